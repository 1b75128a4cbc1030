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
	r := requestOf(L)
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
	r := requestOf(L)
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
	r.header.set(name, vals)
	return 0
}
