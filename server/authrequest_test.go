package server

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestAuthRequest: auth_request's subrequest decides in the access phase (2xx lets the
// request through, 401 and 403 are the answer, 401 with the subrequest's WWW-Authenticate,
// anything else is a 500 and "auth request unexpected status"), it shares the request's
// variables ($user), auth_request_set takes $sent_http_* and, behind proxy_pass,
// $upstream_http_* of its response, Lua phases see the result, and satisfy any lets
// either allow or auth_request pass. Every row is what Debian's nginx 1.22.1 (with the
// lua and echo modules) answers to the same configuration.
func TestAuthRequest(t *testing.T) {
	conf := `http { server { listen 127.0.0.1:0;
    location /auth {
        content_by_lua_block {
            local u = ngx.var.user
            if u == "agentzh" then ngx.header["X-User"] = "u-" .. u; ngx.eof()
            elseif u == "x" then ngx.header["WWW-Authenticate"] = "Basic realm=x"; ngx.exit(401)
            elseif u == "y" then ngx.exit(404)
            else ngx.exit(403) end
        }
    }
    location /api { set $user $arg_user; auth_request /auth; auth_request_set $who $sent_http_x_user; echo "Logged in $who"; }
    location /lapi { set $user $arg_user; auth_request /auth; auth_request_set $who $upstream_http_x_user;
        content_by_lua_block { ngx.say("lua [", ngx.var.who, "]") } }
    location = /up { add_header X-User bob; return 204; }
    location = /pauth { internal; proxy_pass http://127.0.0.1:$server_port/up; }
    location /papi { auth_request /pauth; auth_request_set $who $upstream_http_x_user; echo "proxied $who"; }
    location /any { satisfy any; deny all; set $user x; auth_request /auth; echo "any"; }
    location /any2 { satisfy any; deny all; set $user agentzh; auth_request /auth; echo "any2"; }
    location /off { auth_request off; echo "open"; }
} }
`
	base, logs, _ := startConf(t, conf, nil)
	tests := []struct {
		path       string
		status     int
		body, auth string
	}{
		{"/api?user=agentzh", 200, "Logged in u-agentzh\n", ""},
		{"/api?user=x", 401, "401 Authorization Required", "Basic realm=x"},
		{"/api?user=y", 500, "500 Internal Server Error", ""},
		{"/api?user=z", 403, "403 Forbidden", ""},
		{"/lapi?user=agentzh", 200, "lua []\n", ""}, // a Lua response is not an upstream's
		{"/papi", 200, "proxied bob\n", ""},
		{"/any", 401, "401 Authorization Required", "Basic realm=x"},
		{"/any2", 200, "any2\n", ""},
		{"/off", 200, "open\n", ""},
	}
	for _, tt := range tests {
		resp, err := http.Get(base + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.body) || resp.Header.Get("WWW-Authenticate") != tt.auth {
			t.Errorf("%s: %d %q WWW-Authenticate %q; want %d %q %q", tt.path, resp.StatusCode, b, resp.Header.Get("WWW-Authenticate"), tt.status, tt.body, tt.auth)
		}
	}
	if !strings.Contains(logs.String(), `auth request unexpected status: 404, client: 127.0.0.1, server: , request: "GET /api?user=y HTTP/1.1"`) {
		t.Errorf("log:\n%s", logs)
	}
}
