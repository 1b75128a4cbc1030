package server

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/ngxconf"
)

// headers-more, as its own suite (openresty/headers-more-nginx-module t/) pins it; each case
// was checked against Debian's nginx 1.22.1 with libnginx-mod-http-headers-more-filter 0.34.
func TestHeadersMore(t *testing.T) {
	conf := `http {
 access_log off;
 more_set_headers 'X-Http: h';
 server {
  listen 127.0.0.1:0;
  more_set_headers 'X-Server: s';
  location /set {
    set $dog bark;
    more_set_headers 'Server: mine' 'X-Dog: $dog' 'X-Uri: $uri';
    more_clear_headers 'X-Hidden-*' Date;
    content_by_lua_block { ngx.header["X-Hidden-A"] = "1" ngx.header["X-Hidden-B"] = "2" ngx.header["X-Kept"] = "3" ngx.say("ok") }
  }
  location /status {
    more_set_headers -s '404 500' 'X-Error: yes';
    more_set_headers -s 200 -t 'text/html' 'X-Html: yes';
    more_set_headers -t 'text/plain' 'Content-Type: text/foo';
    content_by_lua_block { if ngx.var.arg_e then ngx.exit(404) end ngx.say("ok") }
  }
  location /append {
    more_set_headers -a 'X-A: 2';
    content_by_lua_block { ngx.header["X-A"] = "1" ngx.say("ok") }
  }
  location /in {
    set $ua faked;
    more_set_input_headers 'User-Agent: $ua' 'X-New: n';
    more_set_input_headers -r 'X-Only: replaced' 'X-Absent: x';
    more_clear_input_headers 'X-Secret*';
    content_by_lua_block {
      local h = ngx.req.get_headers()
      ngx.say(h.user_agent, " ", h.x_new, " ", h.x_only, " ", tostring(h.x_absent), " ", tostring(h.x_secret_a), " ", ngx.var.http_user_agent)
    }
  }
 }
}
`
	base, _, _ := startConf(t, conf, nil)
	tests := []struct {
		path    string
		reqHdr  map[string]string
		body    string
		headers map[string]string // "" is absent
	}{
		{path: "/set", body: "ok\n", headers: map[string]string{"Server": "mine", "X-Dog": "bark", "X-Uri": "/set",
			"X-Hidden-A": "", "X-Hidden-B": "", "X-Kept": "3", "Date": "", "X-Http": "h", "X-Server": "s"}},
		{path: "/status", body: "ok\n", headers: map[string]string{"X-Error": "", "X-Html": "", "Content-Type": "text/foo"}},
		{path: "/status?e=1", headers: map[string]string{"X-Error": "yes", "X-Html": "", "Content-Type": "text/html"}},
		{path: "/append", body: "ok\n", headers: map[string]string{"X-A": "1,2"}},
		{path: "/in", reqHdr: map[string]string{"User-Agent": "curl", "X-Only": "o", "X-Secret-A": "s"},
			body: "faked n replaced nil nil faked\n"},
		{path: "/in", body: "faked n nil nil nil faked\n"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", base+tt.path, nil)
		for k, v := range tt.reqHdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatalf("%s: %v", tt.path, err)
		}
		b := make([]byte, 4096)
		n, _ := resp.Body.Read(b)
		resp.Body.Close()
		if tt.body != "" && string(b[:n]) != tt.body {
			t.Errorf("%s: body %q, want %q", tt.path, b[:n], tt.body)
		}
		for k, want := range tt.headers {
			if got := strings.Join(resp.Header.Values(k), ","); got != want {
				t.Errorf("%s: %s = %q, want %q", tt.path, k, got, want)
			}
		}
	}
}

func TestHeadersMoreErrors(t *testing.T) {
	tests := []struct{ directive, want string }{
		{`more_set_headers -s 40x 'X: y';`, `more_set_headers: invalid digit "x" found in the status code list "40x"`},
		{`more_set_headers -t;`, `more_set_headers: option -t takes an argument.`},
		{`more_clear_headers -a X;`, `more_clear_headers: invalid option name: "-a"`},
		{`more_set_headers -a 'Server: x';`, `more_set_headers: can not append builtin headers "Server"`},
		{`more_set_headers ': x';`, `more_set_headers: no key found in the header argument: : x`},
		{`more_clear_headers '*';`, `more_clear_headers: wildcard key too short: *`},
		{`more_set_input_headers -s 200 'X: y';`, `more_set_input_headers: invalid option name: "-s"`},
	}
	for _, tt := range tests {
		cfg, err := ngxconf.Parse("/x/conf/nginx.conf", []byte("http { server { location / { "+tt.directive+" } } }"), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = FromNginx(cfg.Directives[0], NginxOptions{Prefix: "/x/", ConfDir: "/x/conf", Log: errlog.New(io.Discard, errlog.Err)})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.directive, err, tt.want)
		}
	}
}

// TestHeadersMoreWire checks what headers-more does to the bytes on the wire, with responses
// other than a content handler's: a return's page, a body longer than the Content-Length
// set, nginx's 301 for a proxy_pass location named with a slash, and the request head
// proxy_pass sends after the input commands. Each case was checked against Debian's nginx
// 1.22.1 with headers-more 0.34 (fields compared one by one: luaws orders them by name).
func TestHeadersMoreWire(t *testing.T) {
	conf := `http {
 access_log off;
 server {
  listen 127.0.0.1:0;
  location /two {
    more_set_headers 'X-Foo: Blah'
    more_set_headers 'X-Bar: hi';
    return 404;
  }
  location /bad {
    more_set_headers -s 500 'X-Mine: Hiya';
    more_set_headers -s 404 'X-Yours: Blah';
    return 500;
  }
  location /ctype {
    default_type text/plain;
    more_clear_headers 'Content-Type';
    return 404;
  }
  location /len {
    more_set_headers 'Content-Length: 2';
    content_by_lua_block { ngx.say("hello") ngx.say("world") }
  }
  location /unlen {
    more_set_headers 'Content-Length: 4';
    more_clear_headers 'Content-Length';
    content_by_lua_block { ngx.say("hello") }
  }
  location = /t/ {
    more_set_headers 'Foo: 1';
    proxy_pass http://127.0.0.1:1;
  }
  location /in {
    more_clear_input_headers 'X-B' 'X-Gone-*';
    more_set_input_headers 'x-a: set' 'New-One: n';
    more_set_input_headers -r 'X-Absent: z';
    more_set_input_headers 'X-Keep-*: lol';
    proxy_pass http://127.0.0.1:$server_port/echo;
  }
  location /clearlen {
    more_clear_input_headers Content-Type Content-Length;
    proxy_pass http://127.0.0.1:$server_port/echo;
  }
  location /echo {
    echo -n $echo_client_request_headers;
  }
  location /hfilter {
    more_set_headers -t 'text/plain' 'X-M: m';
    more_set_headers 'X-Gone:';
    header_filter_by_lua_block { ngx.header["X-Seen"] = tostring(ngx.header["X-M"]) .. "," .. tostring(ngx.header["X-Gone"]) ngx.header["X-M"] = "lua" }
    content_by_lua_block { ngx.header["X-Gone"] = "g" ngx.say("hi") }
  }
  location /sent {
    content_by_lua_block {
      ngx.header.cache_control = { "private", "no-store" }
      ngx.send_headers()
      ngx.say("Cache-Control: ", ngx.var.sent_http_cache_control, "; X-More: ", ngx.var.sent_http_x_more)
    }
    more_clear_headers Cache-Control;
    more_set_headers 'X-More: m';
    add_header Cache-Control "blah";
  }
  location /main {
    echo_location /sub;
    echo "main: $http_user_agent";
  }
  location /sub {
    more_set_input_headers 'User-Agent: dog';
    echo "sub: $http_user_agent";
  }
  location /body {
    more_set_input_headers 'Content-Length: 5';
    echo_read_request_body;
    echo_request_body;
  }
 }
}
`
	base, _, _ := startConf(t, conf, nil)
	addr := strings.TrimPrefix(base, "http://")
	tests := []struct {
		name, req string
		want      []string // in the response
		not       []string // nowhere in it
	}{
		{name: "return 404", req: "GET /two HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
			want: []string{"HTTP/1.1 404 Not Found\r\n", "\r\nX-Bar: hi\r\n", "\r\nX-Foo: Blah\r\n", "<title>404 Not Found</title>"}},
		{name: "return 500, -s", req: "GET /bad HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
			want: []string{"HTTP/1.1 500 Internal Server Error\r\n", "\r\nX-Mine: Hiya\r\n"}, not: []string{"X-Yours"}},
		{name: "return, Content-Type cleared", req: "GET /ctype HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
			want: []string{"HTTP/1.1 404 Not Found\r\n", "<title>404 Not Found</title>"}, not: []string{"Content-Type"}},
		{name: "Content-Length shorter than the body: all of it sent", req: "GET /len HTTP/1.1\r\nHost: a\r\n\r\n",
			want: []string{"HTTP/1.1 200 OK\r\n", "\r\nContent-Length: 2\r\n", "\r\n\r\nhello\nworld\n"}, not: []string{"Transfer-Encoding"}},
		{name: "Content-Length set then cleared: chunked", req: "GET /unlen HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
			want: []string{"\r\nTransfer-Encoding: chunked\r\n", "\r\n\r\n6\r\nhello\n\r\n0\r\n\r\n"}, not: []string{"Content-Length"}},
		{name: "proxy_pass location's auto redirect", req: "GET /t?a=b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
			want: []string{"HTTP/1.1 301 Moved Permanently\r\n", "\r\nFoo: 1\r\n", "\r\nLocation: http://a:" + addr[strings.LastIndex(addr, ":")+1:] + "/t/?a=b\r\n", "<title>301 Moved Permanently</title>"}},
		{name: "input commands keep the list's order", req: "GET /in HTTP/1.1\r\nHost: a\r\nX-Z: 1\r\nX-A: 2\r\nX-B: 3\r\nX-Gone-1: 4\r\nx-a: 5\r\nX-Keep-1: k\r\nX-C: 6\r\nConnection: close\r\n\r\n",
			want: []string{"\r\nGET /echo HTTP/1.0\r\nHost: 127.0.0.1:" + addr[strings.LastIndex(addr, ":")+1:] + "\r\nConnection: close\r\nX-Z: 1\r\nX-A: set\r\nX-Keep-1: k\r\nX-C: 6\r\nNew-One: n\r\nX-Keep-*: lol\r\n\r\n"},
			not:  []string{"X-B", "X-Gone", "X-Absent", "x-a"}},
		{name: "output commands run before header_filter_by_lua", req: "GET /hfilter HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
			want: []string{"\r\nX-M: lua\r\n", "\r\nX-Seen: m,nil\r\n", "\r\nContent-Type: text/plain\r\n"}, not: []string{"X-Gone"}},
		{name: "$sent_http_* after ngx.send_headers: the filters' result", req: "GET /sent HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
			want: []string{"Cache-Control: blah; X-More: m\n", "\r\nCache-Control: blah\r\n"}, not: []string{"private"}},
		{name: "a subrequest's value for a field it shares shows in its parent", req: "GET /main HTTP/1.1\r\nHost: a\r\nUser-Agent: ua\r\nConnection: close\r\n\r\n",
			want: []string{"sub: dog\n", "main: dog\n"}},
		{name: "input Content-Length cleared: no body read", req: "POST /clearlen HTTP/1.1\r\nHost: a\r\nContent-Type: text/x\r\nTest-Header: 1\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world",
			want: []string{"\r\nPOST /echo HTTP/1.0\r\nHost: 127.0.0.1:" + addr[strings.LastIndex(addr, ":")+1:] + "\r\nConnection: close\r\nTest-Header: 1\r\n\r\n"},
			not:  []string{"hello", "Content-Length", "text/x"}},
		{name: "input Content-Length shortens the body", req: "POST /body HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123456789",
			want: []string{"HTTP/1.1 200 OK\r\n", "\r\n\r\n5\r\n01234\r\n0\r\n\r\n"}},
	}
	for _, tt := range tests {
		got := rawExchange(t, addr, tt.req)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: no %q in\n%s", tt.name, w, got)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(got, n) {
				t.Errorf("%s: %q in\n%s", tt.name, n, got)
			}
		}
	}
}

// TestParseMoreHeader: the module's reading of a header argument (its name ends at a colon
// or a space; the value starts after any colons and spaces and keeps its trailing spaces).
func TestParseMoreHeader(t *testing.T) {
	tests := []struct {
		raw, name, value string
		wild             bool
	}{
		{"X-Foo: bar", "X-Foo", "bar", false},
		{"  x-foo:bar baz ", "X-Foo", "bar baz ", false},
		{"X-Foo bar", "X-Foo", "bar", false},
		{"X-Foo:: :bar", "X-Foo", "bar", false},
		{"X-Foo", "X-Foo", "", false},
		{"X-Foo:", "X-Foo", "", false},
		{"X-Hidden-*: lol", "X-Hidden-", "lol", true},
	}
	for _, tt := range tests {
		h, err := parseMoreHeader("more_set_headers", tt.raw, false)
		if err != nil || h.name != tt.name || h.value != tt.value || h.wild != tt.wild {
			t.Errorf("parseMoreHeader(%q) = %+v, %v; want %s %q wild=%v", tt.raw, h, err, tt.name, tt.value, tt.wild)
		}
	}
}
