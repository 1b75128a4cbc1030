package luabind

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// respHeader is the response header ngx.header stages before headers are sent. It keeps the
// order fields were set in, as nginx writes them.
type respHeader struct {
	fields []headerField
}

type headerField struct {
	name   string
	values []string
}

// headerName turns a Lua key into a header name as ngx.header does: "content_type" means
// "Content-Type" (underscores become hyphens).
func headerName(key string) string {
	return strings.ReplaceAll(key, "_", "-")
}

func (h *respHeader) index(name string) int {
	for i := range h.fields {
		if strings.EqualFold(h.fields[i].name, name) {
			return i
		}
	}
	return -1
}

func (h *respHeader) get(name string) []string {
	if i := h.index(name); i >= 0 {
		return h.fields[i].values
	}
	return nil
}

// set replaces a field; nil or empty values remove it.
func (h *respHeader) set(name string, values []string) {
	i := h.index(name)
	switch {
	case len(values) == 0 && i >= 0:
		h.fields = append(h.fields[:i], h.fields[i+1:]...)
	case len(values) == 0:
	case i >= 0:
		h.fields[i].values = values
	default:
		h.fields = append(h.fields, headerField{name: name, values: values})
	}
}

// ngx.header metamethods.
func ngxHeaderIndex(L *lua.LState) int {
	r := httpRequestOf(L)
	vals := r.header.get(headerName(L.CheckString(2)))
	switch len(vals) {
	case 0:
		L.Push(lua.LNil)
	case 1:
		L.Push(lua.LString(vals[0]))
	default:
		t := L.CreateTable(len(vals), 0)
		for _, v := range vals {
			t.Append(lua.LString(v))
		}
		L.Push(t)
	}
	return 1
}

func ngxHeaderNewIndex(L *lua.LState) int {
	r := httpRequestOf(L)
	name := headerName(L.CheckString(2))
	if r.headersSent {
		logf(L, r, 4, "attempt to set ngx.header.HEADER after sending out response headers")
		return 0
	}
	var vals []string
	switch v := L.Get(3).(type) {
	case *lua.LNilType:
	case *lua.LTable:
		v.ForEach(func(_, e lua.LValue) { vals = append(vals, luaToString(e)) })
		if len(vals) == 0 {
			vals = nil
		}
	default:
		vals = []string{luaToString(v)}
	}
	r.header.set(escapeHeader(name, true), escapeHeaderValues(vals))
	return 0
}

// Header names and values set from Lua are %XX-escaped as lua-nginx-module does
// (ngx_http_lua_copy_escaped_header), so that no CR/LF or control byte reaches the wire:
// in names every byte outside RFC 7230's token characters, in values the control bytes
// but HTAB, and DEL.
var headerEscapes = [2][8]uint32{
	{0xffffffff, 0xfc009305, 0x38000001, 0xa8000000, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
	{0xfffffdff, 0x00000000, 0x00000000, 0x80000000, 0, 0, 0, 0},
}

func escapeHeader(s string, isName bool) string {
	table := &headerEscapes[1]
	if isName {
		table = &headerEscapes[0]
	}
	esc := func(c byte) bool { return table[c>>5]&(1<<(c&0x1f)) != 0 }
	n := 0
	for i := 0; i < len(s); i++ {
		if esc(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		if c := s[i]; esc(c) {
			b = append(b, '%', hex[c>>4], hex[c&0xf])
		} else {
			b = append(b, c)
		}
	}
	return string(b)
}

func escapeHeaderValues(vals []string) []string {
	for i, v := range vals {
		vals[i] = escapeHeader(v, false)
	}
	return vals
}
