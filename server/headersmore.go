package server

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/luaws/luaws/luabind"
	"github.com/luaws/luaws/ngxconf"
)

// headers-more (more_set_headers, more_clear_headers, more_set_input_headers,
// more_clear_input_headers), the module OpenResty bundles: commands inherited from the http
// and server levels run before a location's own, in order. Output commands run when the
// response head is written (respWriter.head), or before header_filter_by_lua* when there is
// one (respWriter.EarlyHeaderFilter: OpenResty adds this module after the Lua one, so its
// filter runs first and the Lua filter sees its result); input commands
// run at the end of the rewrite-module directives, before the Lua phases.

// moreCmd is one headers-more directive.
type moreCmd struct {
	input    bool
	replace  bool // -r: an input header is set only where it exists
	append   bool // -a: an output header is added beside those of its name
	types    []string
	statuses []int
	headers  []moreHeader
}

// moreHeader is one "Name: value" (value "" clears; a name ending in '*' clears by prefix).
type moreHeader struct {
	name  string // canonical
	raw   string // as the directive writes it, '*' included (the name of an input field it adds)
	wild  bool
	value string // may hold variables
}

// moreBuiltin are the output headers nginx itself owns: -a cannot add a second one.
var moreBuiltin = map[string]bool{"Server": true, "Date": true, "Content-Encoding": true,
	"Location": true, "Refresh": true, "Last-Modified": true, "Content-Range": true,
	"Accept-Ranges": true, "Www-Authenticate": true, "Expires": true, "Etag": true,
	"Content-Length": true, "Content-Type": true, "Cache-Control": true, "Link": true}

// parseMore reads a headers-more directive, with the module's start-up errors.
func parseMore(d *ngxconf.Directive) (*moreCmd, error) {
	if len(d.Args) == 0 {
		return nil, nargs(d)
	}
	cmd := &moreCmd{input: strings.Contains(d.Name, "_input_")}
	clear := strings.HasPrefix(d.Name, "more_clear_")
	for i := 0; i < len(d.Args); i++ {
		a := d.Args[i]
		if !strings.HasPrefix(a, "-") {
			h, err := parseMoreHeader(d.Name, a, clear)
			if err != nil {
				return nil, emerg(d, "%v", err)
			}
			cmd.headers = append(cmd.headers, h)
			continue
		}
		switch {
		case a == "-t" || (a == "-s" && !cmd.input):
			if i == len(d.Args)-1 {
				return nil, emerg(d, "%s: option %s takes an argument.", d.Name, a)
			}
			i++
			if a == "-t" {
				cmd.types = append(cmd.types, strings.FieldsFunc(d.Args[i], func(r rune) bool {
					return r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
				})...)
				continue
			}
			for _, f := range strings.Fields(d.Args[i]) {
				n, err := strconv.Atoi(f)
				if err != nil || n < 0 {
					bad := f
					for _, c := range f {
						if c < '0' || c > '9' {
							bad = string(c)
							break
						}
					}
					return nil, emerg(d, "%s: invalid digit \"%s\" found in the status code list \"%s\"", d.Name, bad, d.Args[i])
				}
				cmd.statuses = append(cmd.statuses, n)
			}
		case a == "-a" && d.Name == "more_set_headers":
			cmd.append = true
		case a == "-r" && d.Name == "more_set_input_headers":
			cmd.replace = true
		default:
			return nil, emerg(d, "%s: invalid option name: \"%s\"", d.Name, a)
		}
	}
	if cmd.append {
		for _, h := range cmd.headers {
			if moreBuiltin[h.name] {
				return nil, emerg(d, "%s: can not append builtin headers \"%s\"", d.Name, h.name)
			}
		}
	}
	return cmd, nil
}

// parseMoreHeader reads "Name: value" as the module does: the name ends at a colon or a
// space, the value starts after the colons and spaces that follow and runs to the end
// (trailing spaces kept).
func parseMoreHeader(cmdName, raw string, clear bool) (moreHeader, error) {
	i := 0
	for i < len(raw) && isCSpace(raw[i]) {
		i++
	}
	k := i
	for k < len(raw) && raw[k] != ':' && !isCSpace(raw[k]) {
		k++
	}
	name := raw[i:k]
	for k < len(raw) && (raw[k] == ':' || isCSpace(raw[k])) {
		k++
	}
	value := raw[k:]
	if clear {
		value = ""
	}
	if name == "" {
		return moreHeader{}, fmt.Errorf("%s: no key found in the header argument: %s", cmdName, raw)
	}
	h := moreHeader{value: value, raw: name}
	if strings.HasSuffix(name, "*") {
		if len(name) < 2 {
			return moreHeader{}, fmt.Errorf("%s: wildcard key too short: %s", cmdName, raw)
		}
		h.wild, name = true, name[:len(name)-1]
	}
	h.name = http.CanonicalHeaderKey(name)
	return h, nil
}

// isCSpace is C's isspace.
func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// applyMoreOut runs the output commands on a response head about to be written.
func applyMoreOut(cmds []*moreCmd, h http.Header, status int, eval func(string) string) {
	// nginx's chunked filter runs after this one: a response these commands give a length
	// is not chunked, one whose length they clear is
	te := h["Transfer-Encoding"]
	defer func() {
		if len(h["Content-Length"]) > 0 {
			delete(h, "Transfer-Encoding")
		} else if te != nil {
			h["Transfer-Encoding"] = te
		}
	}()
	for _, c := range cmds {
		if c.input || !c.statusMatches(status) || !c.typeMatches(h.Get("Content-Type")) {
			continue
		}
		for _, mh := range c.headers {
			if mh.name == "Connection" { // nginx's header filter writes it after this one
				continue
			}
			if mh.wild {
				clearPrefix(h, mh.name)
				continue
			}
			v := eval(mh.value)
			switch {
			case v == "" && (mh.name == "Date" || mh.name == "Content-Type"):
				h[mh.name] = nil // nil keeps net/http from adding its own
			case v == "":
				delete(h, mh.name)
			case c.append:
				h[mh.name] = append(h[mh.name], v)
			default:
				h[mh.name] = []string{v}
			}

		}
	}
}

// applyMoreIn runs the input commands on a request's header list, as the module changes
// nginx's headers_in list: a set value replaces the first field of its name and removes the
// others, a new field (named as the directive writes it) goes to the end, "" and a wildcard
// remove. It returns the request with the list changed, and whether any command ran.
func applyMoreIn(cmds []*moreCmd, r *http.Request, eval func(string) string) (*http.Request, bool) {
	if badLineOf(r) != nil { // no header list: nothing is changed, nothing added
		return r, false
	}
	var list []luabind.HeaderField
	ran := false
	for _, c := range cmds {
		if !c.input || (len(c.types) > 0 && !c.inputTypeMatches(r.Header.Get("Content-Type"))) {
			continue
		}
		if !ran {
			list, ran = luabind.RequestHeaders(r), true
		}
		for _, mh := range c.headers {
			v := eval(mh.value)
			// a wildcard matches only to remove: with a value it adds a field named "X-*"
			wild := mh.wild && v == ""
			out, matched := list[:0], false
			for _, f := range list {
				if mh.wild && !wild || !mh.matches(f.Name) {
					out = append(out, f)
					continue
				}
				if v == "" || matched {
					continue
				}
				f.Value, matched = v, true
				out = append(out, f)
				shareWithParents(r, mh.name, v)
			}
			list = out
			if !matched && v != "" && !c.replace {
				list = append(list, luabind.HeaderField{Name: mh.raw, Value: v})
			}
			switch {
			case wild:
				clearPrefix(r.Header, mh.name)
			case mh.wild:
				syncInputHeader(r, list, http.CanonicalHeaderKey(mh.raw))
			default:
				syncInputHeader(r, list, mh.name)
			}
		}
	}
	if !ran {
		return r, false
	}
	r = luabind.WithRequestHeaders(r, list)
	if _, ok := r.Header["Content-Length"]; !ok && r.ContentLength > 0 && r.TransferEncoding == nil {
		// the length cleared: nginx then reads no body (the client's stays unread)
		r.Body, r.ContentLength = http.NoBody, 0
	}
	if cl := r.Header.Get("Content-Length"); cl != "" {
		// the body read from now on is the length the header says, when shorter
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 && r.Body != nil &&
			r.Body != http.NoBody && (r.ContentLength < 0 || n < r.ContentLength) {
			r.Body = limitedBody{io.LimitReader(r.Body, n), r.Body}
			r.ContentLength = n
		}
	}
	return r, true
}

// limitedBody reads the first bytes of a request body and closes all of it.
type limitedBody struct {
	io.Reader
	io.Closer
}

// matches reports whether a field named name is this header's (a wildcard's: by prefix).
func (mh moreHeader) matches(name string) bool {
	if mh.wild {
		return len(name) >= len(mh.name) && strings.EqualFold(name[:len(mh.name)], mh.name)
	}
	return strings.EqualFold(name, mh.name)
}

// shareWithParents gives the requests a subrequest r was issued from the value its input
// command set on a field they share: nginx copies a subrequest's header list by reference
// to the parent's fields, so a value changed in place shows in the parent too (fields added
// or removed do not).
func shareWithParents(r *http.Request, key, v string) {
	for p := luabind.SubrequestParent(r.Context()); p != nil; p = luabind.SubrequestParent(p.Context()) {
		vals := p.Header[key]
		if len(vals) == 0 {
			return
		}
		p.Header[key] = append([]string{v}, vals[1:]...)
	}
}

// syncInputHeader brings r.Header (and r.Host) in line with the list for key.
func syncInputHeader(r *http.Request, list []luabind.HeaderField, key string) {
	delete(r.Header, key)
	var vals []string
	for _, f := range list {
		if strings.EqualFold(f.Name, key) {
			vals = append(vals, f.Value)
		}
	}
	if len(vals) > 0 {
		r.Header[key] = vals
	}
	if key == "Host" {
		r.Host = ""
		if len(vals) > 0 {
			r.Host = vals[0]
		}
	}
}

func hasInput(cmds []*moreCmd) bool {
	for _, c := range cmds {
		if c.input {
			return true
		}
	}
	return false
}

func hasOutput(cmds []*moreCmd) bool {
	for _, c := range cmds {
		if !c.input {
			return true
		}
	}
	return false
}

func clearPrefix(h http.Header, prefix string) {
	for k := range h {
		if len(k) >= len(prefix) && strings.EqualFold(k[:len(prefix)], prefix) {
			delete(h, k)
		}
	}
}

func (c *moreCmd) statusMatches(status int) bool {
	if len(c.statuses) == 0 {
		return true
	}
	for _, s := range c.statuses {
		if s == status {
			return true
		}
	}
	return false
}

// typeMatches compares the response's media type (without its parameters) with -t's.
func (c *moreCmd) typeMatches(ct string) bool {
	if len(c.types) == 0 {
		return true
	}
	mt, _, _ := strings.Cut(ct, ";")
	return c.hasType(strings.TrimSpace(mt))
}

// inputTypeMatches compares the request's whole Content-Type value with -t's, as the module
// does for input headers.
func (c *moreCmd) inputTypeMatches(ct string) bool { return ct != "" && c.hasType(ct) }

func (c *moreCmd) hasType(t string) bool {
	for _, x := range c.types {
		if x == t {
			return true
		}
	}
	return false
}
