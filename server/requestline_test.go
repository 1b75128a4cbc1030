package server

import (
	"strings"
	"testing"
	"time"
)

// TestCheckRequestLine: nginx 1.22's verdicts on request lines, each as soon as the byte
// that decides it arrives (checked against Debian's nginx: its answer and error-log line).
func TestCheckRequestLine(t *testing.T) {
	tests := []struct {
		line  string
		state lineState
		msg   string
		uri   string
	}{
		{"GET / HTTP/1.1\r\n", lineOK, "", ""},
		{"GET /a?b=c HTTP/1.0\n", lineOK, "", ""},
		{"GET  /a   HTTP/1.1  \r\n", lineOK, "", ""},
		{"GET http://x/y HTTP/1.1\r\n", lineOK, "", ""},
		{"GET /a HTTP/1.2\r\n", lineOK, "", ""},
		{"GET /a HTTP/1.", lineWait, "", ""},
		{"GET /a", lineWait, "", ""},
		{"GET", lineWait, "", ""},
		{"Ge", lineBad, "client sent invalid method", ""},
		{"GeT / HTTP/1.1\n", lineBad, "client sent invalid method", ""},
		{"G@T / HTTP/1.1\r\n", lineBad, "client sent invalid method", ""},
		{"GET x HTTP/1.1\n", lineBad, "client sent invalid request", ""},
		{"GET http:/x HTTP/1.1\r\n", lineBad, "client sent invalid request", ""},
		{"OPTIONS * HTTP/1.1\r\n", lineBad, "client sent invalid request", ""},
		{"GET /a\t HTTP/1.1\r\n", lineBad, "client sent invalid request", ""},
		{"GET /a\x7f HTTP/1.1\r\n", lineBad, "client sent invalid request", ""},
		{"GET /a\x80#b HTTP/1.1\r\n", lineOK, "", ""},
		{"GET /a b HTTP/1.0\r\n", lineBad, "client sent invalid request", ""},
		{"GET /a HTTP/1.1 x\r\n", lineBad, "client sent invalid request", ""},
		{"GET /\x01 HTTP/1.1\r\n", lineBad, "client sent invalid request", ""},
		{"GET /a HTTP/0.9\r\n", lineBad, "client sent invalid request", ""},
		{"GET /a HTTP/1.1\rx", lineBad, "client sent invalid request", ""},
		{"GET /a HTTP/2.0\r\n", lineBadVersion, "client sent invalid version", ""},
		{"GET /a HTTP/11.0\r\n", lineBadVersion, "client sent invalid version", ""},
		{"GET /foo\r\n", line09, "", "/foo"},
		{"GET /foo?x=1\n", line09, "", "/foo?x=1"},
		{"POST /foo\r\n", lineBad, "client sent invalid method in HTTP/0.9 request", ""},
	}
	for _, tt := range tests {
		v := checkRequestLine([]byte(tt.line))
		if v.state != tt.state || v.msg != tt.msg || v.uri != tt.uri {
			t.Errorf("checkRequestLine(%q) = %+v, want state %d %q %q", tt.line, v, tt.state, tt.msg, tt.uri)
		}
	}
}

// TestBadRequestLine: a request line nginx refuses is answered at once, through the default
// server's error_page (where headers-more's input commands find no header list to change),
// and logged at info; an HTTP/0.9 request is served, the response its body alone.
// (The expected bodies and log lines are Debian's nginx 1.22.1's for the same bytes.)
func TestBadRequestLine(t *testing.T) {
	conf := `http {
 access_log off;
 server {
  listen 127.0.0.1:0;
  server_name localhost;
  error_page 400 = /err;
  location = /err {
    more_set_input_headers "Cookie: foo=bar";
    echo -n $cookie_foo;
    echo "ok $request $request_method $uri";
  }
  location /lua {
    content_by_lua_block {
      ngx.req.set_header("X-Foo", "howdy")
      ngx.say("X-Foo: ", ngx.req.get_headers()["X-Foo"])
    }
  }
  location /foo {
    more_set_input_headers 'X-Foo: howdy';
    more_set_headers 'X-Out: o';
    echo "x-foo: $http_x_foo";
  }
 }
}
`
	base, logs, _ := startConf(t, conf, nil)
	addr := strings.TrimPrefix(base, "http://")
	tests := []struct {
		req, status, body, log string
	}{
		{"GeT / HTTP/1.1\n", "200 OK", "ok GeT / HTTP/1.1 GET /err\n",
			`client sent invalid method while reading client request line, client: 127.0.0.1, server: localhost, request: "GeT / HTTP/1.1"`},
		{"GET x HTTP/1.1\n", "200 OK", "ok GET x HTTP/1.1 GET /err\n",
			`client sent invalid request while reading client request line, client: 127.0.0.1, server: localhost, request: "GET x HTTP/1.1"`},
		{"HEAD x HTTP/1.1\r\n", "200 OK", "", `request: "HEAD x HTTP/1.1"`},
		{"GET /foo HTTP/2.0\r\n\r\n", "505 HTTP Version Not Supported", "<title>505 HTTP Version Not Supported</title>",
			`client sent invalid version while reading client request line, client: 127.0.0.1, server: localhost, request: "GET /foo HTTP/2.0"`},
		{"GET /foo\r\n", "", "x-foo: \n", ""},
		{"GET /lua\r\n", "", "X-Foo: nil\n", ""},
	}
	for _, tt := range tests {
		got := rawExchange(t, addr, tt.req)
		if tt.status == "" {
			if got != tt.body {
				t.Errorf("%q: got %q, want the body alone %q", tt.req, got, tt.body)
			}
			continue
		}
		head, body, _ := strings.Cut(got, "\r\n\r\n")
		if !strings.HasPrefix(head, "HTTP/1.0 "+tt.status+"\r\n") || !strings.Contains(body, tt.body) {
			t.Errorf("%q: got %q, want %s and %q", tt.req, got, tt.status, tt.body)
		}
		if tt.body == "" && body != "" {
			t.Errorf("%q: body %q, want none", tt.req, body)
		}
		deadline := time.Now().Add(2 * time.Second)
		for !strings.Contains(logs.String(), tt.log) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if !strings.Contains(logs.String(), "[info]") || !strings.Contains(logs.String(), tt.log) {
			t.Errorf("%q: no %q in the error log:\n%s", tt.req, tt.log, logs.String())
		}
	}
}
