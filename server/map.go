package server

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/luaws/luaws/luabind/ngxre"
	"github.com/luaws/luaws/ngxconf"
)

// varMap is "map SOURCE $name { ... }" (ngx_http_map_module): $name is computed from
// SOURCE when it is read, once per request unless the map is volatile.
type varMap struct {
	source    string
	exact     map[string]string // lower-cased keys, as nginx hashes them
	wild      []mapEntry        // hostnames: "*.example.com", ".example.com", "www.example.*"
	regexes   []mapEntry
	deflt     string
	hostnames bool
	volatile  bool
}

type mapEntry struct {
	key   string
	re    *ngxre.Regex
	value string
}

// parseMap reads a map block.
func parseMap(d *ngxconf.Directive) (string, *varMap, error) {
	if len(d.Args) != 2 {
		return "", nil, nargs(d)
	}
	if d.Block == nil {
		return "", nil, emerg(d, "directive \"map\" has no opening \"{\"")
	}
	name := d.Args[1]
	if len(name) < 2 || name[0] != '$' {
		return "", nil, emerg(d, "invalid variable name \"%s\"", name)
	}
	m := &varMap{source: d.Args[0], exact: map[string]string{}}
	for _, e := range d.Block {
		key := e.Name
		switch {
		case key == "hostnames" && len(e.Args) == 0:
			m.hostnames = true
			continue
		case key == "volatile" && len(e.Args) == 0:
			m.volatile = true
			continue
		case len(e.Args) != 1 || e.Block != nil:
			return "", nil, emerg(e, "invalid number of the map parameters")
		}
		value := e.Args[0]
		if key == "default" {
			if _, dup := m.exact["\x00default"]; dup {
				return "", nil, emerg(e, "duplicate default map parameter")
			}
			m.exact["\x00default"], m.deflt = "", value
			continue
		}
		if strings.HasPrefix(key, "~") {
			caseless := strings.HasPrefix(key, "~*")
			src := strings.TrimPrefix(strings.TrimPrefix(key, "~*"), "~")
			re, err := coreRegex(e, src, caseless)
			if err != nil {
				return "", nil, err
			}
			m.regexes = append(m.regexes, mapEntry{key: src, re: re, value: value})
			continue
		}
		key = strings.TrimPrefix(key, "\\") // "\default", "\~x": the literal
		if m.hostnames && (strings.HasPrefix(key, "*.") || strings.HasPrefix(key, ".") || strings.HasSuffix(key, ".*")) {
			m.wild = append(m.wild, mapEntry{key: strings.ToLower(key), value: value})
			continue
		}
		lk := strings.ToLower(key)
		if _, dup := m.exact[lk]; dup {
			return "", nil, emerg(e, "conflicting parameter \"%s\"", key)
		}
		m.exact[lk] = value
	}
	delete(m.exact, "\x00default")
	return strings.ToLower(name[1:]), m, nil
}

// eval computes the map's value for r.
func (m *varMap) eval(r *http.Request, vs Variables) string {
	src := expandRequest(m.source, r, vs)
	if m.hostnames {
		src = strings.TrimSuffix(src, ".")
	}
	key := strings.ToLower(src)
	if v, ok := m.exact[key]; ok {
		return expandRequest(v, r, vs)
	}
	if best, ok := m.wildMatch(key); ok {
		return expandRequest(best, r, vs)
	}
	for _, e := range m.regexes {
		caps, _ := e.re.Match(src)
		if caps == nil {
			continue
		}
		if !strings.Contains(e.value, "$") {
			return e.value
		}
		vars := map[string]string{}
		for i := 1; 2*i < len(caps) && i < 10; i++ {
			if caps[2*i] >= 0 {
				vars[strconv.Itoa(i)] = src[caps[2*i]:caps[2*i+1]]
			}
		}
		for name, n := range e.re.Names() {
			if caps[2*n] >= 0 {
				vars[strings.ToLower(name)] = src[caps[2*n]:caps[2*n+1]]
			}
		}
		return expand(e.value, r, mapVars{vs, vars}, nil)
	}
	return expandRequest(m.deflt, r, vs)
}

// wildMatch finds the hostnames entry for host: the longest leading wildcard, then the
// longest trailing one, as nginx's combined hash does.
func (m *varMap) wildMatch(host string) (string, bool) {
	best, n, found := "", -1, false
	for _, e := range m.wild {
		var ok bool
		switch {
		case strings.HasPrefix(e.key, "*."):
			ok = strings.HasSuffix(host, e.key[1:])
		case strings.HasPrefix(e.key, "."):
			ok = host == e.key[1:] || strings.HasSuffix(host, e.key)
		}
		if ok && len(e.key) > n {
			best, n, found = e.value, len(e.key), true
		}
	}
	if found {
		return best, true
	}
	for _, e := range m.wild {
		if strings.HasSuffix(e.key, ".*") && strings.HasPrefix(host, e.key[:len(e.key)-1]) && len(e.key) > n {
			best, n, found = e.value, len(e.key), true
		}
	}
	return best, found
}

// mapVars are a regex entry's captures, then the request's variables.
type mapVars struct {
	vs   Variables
	caps map[string]string
}

func (v mapVars) Variable(r *http.Request, name string) (string, bool) {
	if s, ok := v.caps[name]; ok {
		return s, true
	}
	if len(name) == 1 && name[0] >= '0' && name[0] <= '9' {
		return "", true
	}
	return expandRequest("$"+name, r, v.vs), true
}

// maps are the http level's map variables.
type maps map[string]*varMap

// variable is $name for r if it is a map variable (luabind.Host.SetVariables): computed
// once per request (each time for a volatile map); a map that needs itself is "".
func (ms maps) variable(r *http.Request, name string, vs Variables) (string, bool) {
	m := ms[name]
	if m == nil {
		return "", false
	}
	st := stateOf(r)
	if st == nil {
		return m.eval(r, vs), true
	}
	st.mu.Lock()
	v, cached := st.mapped[name]
	busy := st.mapBusy[name]
	if !busy {
		if st.mapBusy == nil {
			st.mapBusy = map[string]bool{}
		}
		st.mapBusy[name] = true
	}
	st.mu.Unlock()
	if busy || cached && !m.volatile {
		return v, true
	}
	v = m.eval(r, vs)
	st.mu.Lock()
	delete(st.mapBusy, name)
	if st.mapped == nil {
		st.mapped = map[string]string{}
	}
	st.mapped[name] = v
	st.mu.Unlock()
	return v, true
}
