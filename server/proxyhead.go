package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/luaws/luaws/luabind"
)

// The request an upstream gets, as ngx_http_proxy_create_request writes it: the request
// line with proxy_http_version's version (1.0 by default), the proxy_set_header fields in
// their order with nginx's defaults after them (Host, Connection: close, Content-Length of
// the body; a field whose value is empty is not sent), then the client's fields in the
// order of the request's header list (luabind.RequestHeaders: as received, or as Lua left
// it), but those whose name proxy_set_header names, then the body.

// proxyHead is the head sent upstream for r, whose body is bodyLen bytes (-1: none).
func (p *Proxy) proxyHead(r *http.Request, bodyLen int64) []byte {
	var b bytes.Buffer
	version := "HTTP/1.0"
	if p.version == "1.1" {
		version = "HTTP/1.1"
	}
	fmt.Fprintf(&b, "%s %s %s\r\n", r.Method, p.target(r), version)
	extra := map[string]string{"proxy_host": p.proxyHost, "proxy_internal_body_length": ""}
	if bodyLen >= 0 {
		extra["proxy_internal_body_length"] = strconv.FormatInt(bodyLen, 10)
	}
	set := make(map[string]bool, len(p.headers))
	for _, h := range p.headers {
		set[strings.ToLower(h.Name)] = true
		if v := expand(h.Value, r, p.vars, extra); v != "" {
			b.WriteString(h.Name + ": " + v + "\r\n")
		}
	}
	if p.passHeaders {
		for _, f := range luabind.RequestHeaders(r) {
			if !set[strings.ToLower(f.Name)] {
				b.WriteString(f.Name + ": " + f.Value + "\r\n")
			}
		}
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// requestBody is what goes upstream after the head: the client's body, read whole first
// when its length is not known (chunked), as nginx buffers it (proxy_request_buffering).
// Its length is -1 when the request has none.
func (p *Proxy) requestBody(r *http.Request) (io.Reader, int64, error) {
	if r.ContentLength == 0 && r.Header.Get("Content-Length") == "" {
		return nil, -1, nil // a GET: no Content-Length sent either
	}
	if !p.passBody || r.Body == nil || r.Body == http.NoBody {
		return nil, r.ContentLength, nil
	}
	if r.ContentLength > 0 {
		return io.LimitReader(r.Body, r.ContentLength), r.ContentLength, nil
	}
	if r.ContentLength == 0 || len(r.TransferEncoding) == 0 {
		return nil, r.ContentLength, nil
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, 0, fmt.Errorf("read request body: %w", err)
	}
	return bytes.NewReader(data), int64(len(data)), nil
}

// upConn is a connection to an upstream server, with its reader.
type upConn struct {
	net.Conn
	br *bufio.Reader
}

// connPool keeps an upstream{}'s idle connections (its keepalive), by server.
type connPool struct {
	mu   sync.Mutex
	idle map[string][]*upConn
}

func (cp *connPool) get(addr string) *upConn {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	l := cp.idle[addr]
	if len(l) == 0 {
		return nil
	}
	c := l[len(l)-1]
	cp.idle[addr] = l[:len(l)-1]
	return c
}

// put keeps c if fewer than max are idle, else closes it (nginx closes the least recently
// used one; here the newcomer).
func (cp *connPool) put(addr string, c *upConn, max int) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if cp.idle == nil {
		cp.idle = map[string][]*upConn{}
	}
	if len(cp.idle[addr]) >= max {
		c.Close()
		return
	}
	cp.idle[addr] = append(cp.idle[addr], c)
}
