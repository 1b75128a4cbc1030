package server

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestGzip: ngx_http_gzip_filter_module's choices on static files: gzip_types (text/html
// always), gzip_min_length, Accept-Encoding (set by Lua too, q=0 refuses), a Via header
// without gzip_proxied, gzip_vary (on every response of a type and length it would take); a compressed response has no Content-Length or
// Accept-Ranges and unpacks to the file.
func TestGzip(t *testing.T) {
	page := strings.Repeat("hello", 512)
	conf := "http { server { listen 127.0.0.1:0; default_type text/plain;\n" +
		"gzip on; gzip_min_length 1; gzip_types text/plain; gzip_vary on;\n" +
		"location /lua/ { alias html/; rewrite_by_lua_block { ngx.req.set_header('Accept-Encoding', {'gzip'}) } }\n" +
		"location /big/ { alias html/; gzip_min_length 1m; }\n" +
		"location /off/ { alias html/; gzip off; }\n" +
		"} }\n"
	base, _, _ := startConf(t, conf, map[string]string{"html/a.txt": page, "html/b.css": page, "html/c.html": page})
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	tests := []struct {
		path, accept, via string
		gzipped           bool
	}{
		{"/a.txt", "gzip, deflate", "", true},
		{"/a.txt", "", "", false},
		{"/a.txt", "gzip;q=0", "", false},
		{"/a.txt", "gzip", "1.1 proxy", false},
		{"/b.css", "gzip", "", false}, // not in gzip_types
		{"/c.html", "gzip", "", true}, // text/html always
		{"/lua/a.txt", "", "", true},  // Accept-Encoding set in rewrite_by_lua
		{"/big/a.txt", "gzip", "", false},
		{"/off/a.txt", "gzip", "", false},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", base+tt.path, nil)
		if tt.accept != "" {
			req.Header.Set("Accept-Encoding", tt.accept)
		}
		if tt.via != "" {
			req.Header.Set("Via", tt.via)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body io.Reader = resp.Body
		gz := resp.Header.Get("Content-Encoding") == "gzip"
		if gz {
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				t.Fatalf("%s: %v", tt.path, err)
			}
			body = zr
		}
		b, _ := io.ReadAll(body)
		resp.Body.Close()
		if gz != tt.gzipped || string(b) != page {
			t.Errorf("%s (Accept-Encoding %q, Via %q): gzip %v, %d bytes", tt.path, tt.accept, tt.via, gz, len(b))
		}
		if gz && resp.Header.Get("Accept-Ranges") != "" {
			t.Errorf("%s: Accept-Ranges on a compressed response", tt.path)
		}
		vary := tt.path != "/off/a.txt" && tt.path != "/b.css" && tt.path != "/big/a.txt"
		if vary != (resp.Header.Get("Vary") == "Accept-Encoding") {
			t.Errorf("%s: Vary %q", tt.path, resp.Header.Get("Vary"))
		}
	}
}
