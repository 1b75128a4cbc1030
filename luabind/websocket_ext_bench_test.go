package luabind_test

import (
	"bytes"
	"testing"

	"github.com/gorilla/websocket"
)

// BenchmarkCompressionEcho: what permessage-deflate costs per echo of a 1 KiB JSON-like
// text (compressed both ways, context takeover as gorilla negotiates it: none), against the
// same handler without compression in the same run. "x_plain" is ns/op over the plain run's.
//
//	go test ./luabind/ -run '^$' -bench CompressionEcho -count 10 | benchstat -
func BenchmarkCompressionEcho(b *testing.B) {
	msg := bytes.Repeat([]byte(`{"room":"lobby","user":"ana","text":"hello everyone"},`), 19)[:1024]
	var plain float64
	for _, mode := range []struct{ name, query string }{{"plain", "compression=0"}, {"deflate", "compression=1"}} {
		b.Run(mode.name, func(b *testing.B) {
			ts := serveScript(b, "ext.lua", extEcho)
			d := websocket.Dialer{EnableCompression: true}
			c, _, err := d.Dial(ts.wsURL("/s?"+mode.query), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			c.EnableWriteCompression(true)
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			roundTrip(b, c, msg)
			b.ResetTimer()
			for range b.N {
				roundTrip(b, c, msg)
			}
			b.StopTimer()
			per := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			if mode.name == "plain" {
				plain = per
			} else if plain > 0 {
				b.ReportMetric(per/plain, "x_plain")
			}
		})
	}
}
