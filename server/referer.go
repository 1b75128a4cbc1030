package server

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/luaws/luaws/ngxconf"
)

// referers is a location's valid_referers (ngx_http_referer_module): what makes
// $invalid_referer "" (valid) or "1".
type referers struct {
	none, blocked bool
	exact         map[string]*string // host -> URI prefix (nil: any URI)
	head          []wildRef          // "*.example.com" (suffix ".example.com"), ".example.com"
	tail          []wildRef          // "www.example.*" (prefix "www.example.")
	hostRe        []*regexp.Regexp   // server_names' regex names, against the host
	re            []*regexp.Regexp   // "~..." (caseless), against what follows the scheme
}

type wildRef struct {
	part string
	bare bool // ".example.com": example.com itself matches too
	uri  *string
}

// parseReferers reads a valid_referers directive; names are the server's server_name
// values (for the "server_names" parameter).
func parseReferers(d *ngxconf.Directive, names []string) (*referers, error) {
	if len(d.Args) == 0 {
		return nil, nargs(d)
	}
	rf := &referers{exact: map[string]*string{}}
	for _, a := range d.Args {
		switch {
		case a == "none":
			rf.none = true
		case a == "blocked":
			rf.blocked = true
		case a == "server_names":
			for _, n := range names {
				if strings.HasPrefix(n, "~") {
					re, err := regexp.Compile(n[1:])
					if err != nil {
						return nil, emerg(d, "%v", err)
					}
					rf.hostRe = append(rf.hostRe, re)
				} else if err := rf.add(n, nil); err != nil {
					return nil, emerg(d, "%v", err)
				}
			}
		case strings.HasPrefix(a, "~"):
			re, err := regexp.Compile("(?i)" + a[1:])
			if err != nil {
				return nil, emerg(d, "%v", err)
			}
			rf.re = append(rf.re, re)
		default:
			host, uri := a, (*string)(nil)
			if i := strings.IndexByte(a, '/'); i >= 0 {
				host = a[:i]
				u := a[i:]
				uri = &u
			}
			if err := rf.add(host, uri); err != nil {
				return nil, emerg(d, "%v", err)
			}
		}
	}
	return rf, nil
}

type refError string

func (e refError) Error() string { return string(e) }

func (rf *referers) add(host string, uri *string) error {
	h := strings.ToLower(host)
	switch {
	case strings.HasPrefix(h, "*.") && !strings.Contains(h[2:], "*"):
		rf.head = append(rf.head, wildRef{part: h[1:], uri: uri})
	case strings.HasPrefix(h, ".") && len(h) > 1 && !strings.Contains(h, "*"):
		rf.head = append(rf.head, wildRef{part: h, bare: true, uri: uri})
	case strings.HasSuffix(h, ".*") && !strings.Contains(h[:len(h)-2], "*"):
		rf.tail = append(rf.tail, wildRef{part: h[:len(h)-1], uri: uri})
	case h == "" || strings.Contains(h, "*"):
		return refError("invalid hostname or wildcard \"" + host + "\"")
	default:
		rf.exact[h] = uri
	}
	return nil
}

// invalid is $invalid_referer for r: "" when the Referer is valid, "1" when not.
func (rf *referers) invalid(r *http.Request) string {
	if rf == nil || len(rf.exact) == 0 && len(rf.head) == 0 && len(rf.tail) == 0 && len(rf.hostRe) == 0 && len(rf.re) == 0 {
		return ""
	}
	vals, ok := r.Header["Referer"]
	if !ok || len(vals) == 0 {
		if rf.none {
			return ""
		}
		return "1"
	}
	ref := vals[0]
	rest := ""
	switch {
	case len(ref) >= len("http://i.ru") && strings.EqualFold(ref[:7], "http://"):
		rest = ref[7:]
	case len(ref) >= len("http://i.ru") && strings.EqualFold(ref[:8], "https://"):
		rest = ref[8:]
	default:
		if rf.blocked {
			return ""
		}
		return "1"
	}
	end := strings.IndexAny(rest, "/:")
	if end < 0 {
		end = len(rest)
	}
	if end > 256 {
		return "1"
	}
	host := strings.ToLower(rest[:end])
	if uri, found := rf.lookup(host); found {
		if uri == nil {
			return ""
		}
		p := rest[end:]
		if i := strings.IndexByte(p, '/'); i >= 0 {
			p = p[i:]
		} else {
			p = ""
		}
		if strings.HasPrefix(p, *uri) {
			return ""
		}
		return "1"
	}
	for _, re := range rf.hostRe {
		if re.MatchString(host) {
			return ""
		}
	}
	for _, re := range rf.re {
		if re.MatchString(rest) {
			return ""
		}
	}
	return "1"
}

// lookup is nginx's combined hash: an exact name first, then the longest head wildcard,
// then a tail wildcard.
func (rf *referers) lookup(host string) (*string, bool) {
	if uri, ok := rf.exact[host]; ok {
		return uri, true
	}
	best := -1
	for i, w := range rf.head {
		if strings.HasSuffix(host, w.part) && len(host) > len(w.part) || w.bare && host == w.part[1:] {
			if best < 0 || len(w.part) > len(rf.head[best].part) {
				best = i
			}
		}
	}
	if best >= 0 {
		return rf.head[best].uri, true
	}
	for _, w := range rf.tail {
		if strings.HasPrefix(host, w.part) && len(host) > len(w.part) {
			return w.uri, true
		}
	}
	return nil, false
}
