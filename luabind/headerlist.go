package luabind

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// The request's header list as nginx keeps it (headers_in.headers): the client's fields in
// their order and case (names nginx ignores left out), changed in place by
// ngx.req.set_header and clear_header as lua-nginx-module changes that list: a set value
// replaces the first field of that name and removes the others, a new field and the extra
// values of a table go to the end. ngx.req.get_headers and proxy_pass list it in that order.

// HeaderField is one field of a request's header list.
type HeaderField struct{ Name, Value string }

type headerListKey struct{}

// RequestHeaders are hr's header fields in nginx's order: the list Lua left for the
// request, else the head as the client sent it, else (TLS, a subrequest) rebuilt from
// hr.Header with Host first.
func RequestHeaders(hr *http.Request) []HeaderField {
	if l, ok := hr.Context().Value(headerListKey{}).([]headerLine); ok {
		return fields(l)
	}
	return fields(clientHeaderLines(hr))
}

// WithRequestHeaders makes fields hr's header list for the phases and handlers after
// (headers-more's input commands change it before Lua runs).
func WithRequestHeaders(hr *http.Request, fields []HeaderField) *http.Request {
	l := make([]headerLine, len(fields))
	for i, f := range fields {
		l[i] = headerLine{f.Name, f.Value}
	}
	return hr.WithContext(context.WithValue(hr.Context(), headerListKey{}, l))
}

func fields(l []headerLine) []HeaderField {
	out := make([]HeaderField, len(l))
	for i, h := range l {
		out[i] = HeaderField{h.name, h.value}
	}
	return out
}

// ClientHead is the head of the main request of ctx's connection as the client sent it,
// through its empty line ($echo_client_request_headers); nil when unknown.
func ClientHead(ctx context.Context) []byte {
	src, _ := ctx.Value(rawHeadsKey{}).(RawHeadSource)
	if src == nil {
		return nil
	}
	return src.CurrentHead()
}

// clientHeaderLines are hr's fields before Lua changed any: from the raw head when the
// server followed it, else from hr.Header (Host first, the rest by name; names with
// underscores left out, as nginx ignores them).
func clientHeaderLines(hr *http.Request) []headerLine {
	if l, ok := hr.Context().Value(headerListKey{}).([]headerLine); ok {
		return append([]headerLine(nil), l...)
	}
	if head := rawHead(hr); head != nil && hr.Context().Value(headersChangedKey{}) == nil {
		return rawHeaderLines(head)
	}
	names := make([]string, 0, len(hr.Header))
	for k := range hr.Header {
		if !strings.Contains(k, "_") {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var lines []headerLine
	if hr.Host != "" {
		lines = append(lines, headerLine{"Host", hr.Host})
	}
	for _, name := range names {
		for _, v := range hr.Header[name] {
			lines = append(lines, headerLine{name, v})
		}
	}
	return lines
}

// headerList is the request's list, taken from the client's on first use.
func (r *request) headerList() []headerLine {
	if r.inHeaders == nil {
		r.inHeaders = clientHeaderLines(r.r)
		if r.inHeaders == nil {
			r.inHeaders = []headerLine{}
		}
	}
	return r.inHeaders
}

// setHeaderLine is lua-nginx-module's set_header_helper: with override, value replaces
// the first field named name and the others go ("" removes them all); without, a new
// field is appended.
func (r *request) setHeaderLine(name, value string, override bool) {
	if r.r.ProtoMajor == 0 {
		return // an HTTP/0.9 request has no header list to change (nor a bad request line)
	}
	if _, ok := RequestLineOf(r.r.Context()); ok {
		return
	}
	l := r.headerList()
	if override {
		out := l[:0]
		matched := false
		for _, h := range l {
			if strings.EqualFold(h.name, name) {
				if value == "" || matched {
					continue
				}
				h.value, matched = value, true
			}
			out = append(out, h)
		}
		r.inHeaders = out
		if matched || value == "" {
			r.syncHeader(name)
			return
		}
	}
	r.inHeaders = append(r.inHeaders, headerLine{name, value})
	r.syncHeader(name)
}

// syncHeader brings hr.Header (and Host, Content-Length) in line with the list for name.
func (r *request) syncHeader(name string) {
	key := http.CanonicalHeaderKey(name)
	delete(r.r.Header, key)
	var vals []string
	for _, h := range r.inHeaders {
		if strings.EqualFold(h.name, name) {
			vals = append(vals, h.value)
		}
	}
	if len(vals) > 0 {
		r.r.Header[key] = vals
	}
	switch key {
	case "Host":
		if len(vals) > 0 {
			r.r.Host = vals[0]
		} else {
			r.r.Host = ""
		}
	case "Content-Length":
		r.r.ContentLength = -1
		if len(vals) > 0 {
			if n, err := strconv.ParseInt(vals[0], 10, 64); err == nil && n >= 0 {
				r.r.ContentLength = n
			}
		}
	}
}

// withBody gives a non-Lua content handler (proxy_pass, echo_read_request_body) the body
// the Lua phases read or replaced (ngx.req.read_body, set_body_data, set_body_file), as
// nginx keeps it in r->request_body for them.
func (r *request) withBody(hr *http.Request) *http.Request {
	if !r.bodyRead && r.bodyData == nil {
		return hr
	}
	c := hr.WithContext(hr.Context())
	c.Body = io.NopCloser(bytes.NewReader(r.bodyData))
	c.ContentLength = int64(len(r.bodyData))
	c.TransferEncoding = nil
	return c
}

// withHeaderList gives a non-Lua content handler (proxy_pass) the list Lua changed.
func (r *request) withHeaderList(hr *http.Request) *http.Request {
	if r.inHeaders == nil {
		return hr
	}
	return hr.WithContext(context.WithValue(hr.Context(), headerListKey{}, append([]headerLine(nil), r.inHeaders...)))
}
