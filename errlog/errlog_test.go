package errlog

import (
	"bytes"
	"regexp"
	"testing"
)

// nginx's log handler adds the request context (", client: ...") to every level but debug.
func TestRequestContextByLevel(t *testing.T) {
	c := &Conn{ID: 3, Context: "ngx.timer", Client: "127.0.0.1", Server: "s", Request: "GET / HTTP/1.1", Host: "h"}
	tests := []struct {
		level int
		want  string
	}{
		{Info, `\[info\] \d+#\d+: \*3 msg, context: ngx.timer, client: 127.0.0.1, server: s, request: "GET / HTTP/1.1", host: "h"\n$`},
		{Debug, `\[debug\] \d+#\d+: \*3 msg\n$`},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		New(&b, Debug).Log(tt.level, c, "msg")
		if !regexp.MustCompile(tt.want).Match(b.Bytes()) {
			t.Errorf("level %d: %q does not match %s", tt.level, b.String(), tt.want)
		}
	}
}
