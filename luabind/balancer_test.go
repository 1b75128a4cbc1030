package luabind

import "testing"

// TestParsePeer: set_current_peer's address forms and errors, as Debian's nginx 1.22.1 with
// lua-nginx-module 0.10.23 answers them (ngx_parse_url with no resolving).
func TestParsePeer(t *testing.T) {
	tests := []struct {
		addr      string
		port      int
		peer, err string
	}{
		{"127.0.0.1", 2375, "127.0.0.1:2375", ""},
		{"127.0.0.1:2375", 80, "127.0.0.1:2375", ""},
		{"[::1]", 2375, "[::1]:2375", ""},
		{"[::1]:2375", 1, "[::1]:2375", ""},
		{"::1", 2375, "", "invalid port"},
		{"", 2375, "", "no host"},
		{"127.0.0.1", 0, "127.0.0.1:0", ""},
		{"127.0.0.1", 70000, "127.0.0.1:4464", ""},
		{"1.2.3.4:99999", 0, "", "invalid port"},
		{"127.0.0.1:0", 0, "", "invalid port"},
		{"127.0.0.1:", 5, "", "invalid port"},
		{"127.0.0.1:2375/x", 0, "", "invalid host"},
		{"[::1", 0, "", "invalid host"},
		{"1.2.3", 0, "", "no host allowed"},
		{"localhost", 80, "", "no host allowed"},
		{"unix:/tmp/x.sock", 0, "unix:/tmp/x.sock", ""},
	}
	for _, tt := range tests {
		peer, err := parsePeer(tt.addr, tt.port)
		if peer != tt.peer || err != tt.err {
			t.Errorf("parsePeer(%q, %d) returned %q, %q; want %q, %q", tt.addr, tt.port, peer, err, tt.peer, tt.err)
		}
	}
}
