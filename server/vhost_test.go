package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestFindLocation(t *testing.T) {
	locs := []*Loc{
		{Modifier: "=", Path: "/"},
		{Modifier: "", Path: "/"},
		{Modifier: "", Path: "/documents/"},
		{Modifier: "^~", Path: "/images/"},
		{Modifier: "~*", Path: `\.(gif|jpg|jpeg)$`},
		{Modifier: "", Path: "/api/", Nested: []*Loc{
			{Modifier: "=", Path: "/api/exact"},
			{Modifier: "", Path: "/api/v1/"},
			{Modifier: "~", Path: `^/api/.*\.lua$`},
		}},
		{Modifier: "~", Path: `^/api/.*\.json$`},
		{Modifier: "@", Path: "@fallback"},
	}
	if err := (&VServer{Locations: locs}).compile(); err != nil {
		t.Fatal(err)
	}
	name := func(l *Loc) string {
		if l == nil {
			return "<nil>"
		}
		return l.Modifier + " " + l.Path
	}
	// The examples of nginx's documentation of "location", plus nesting.
	tests := []struct{ uri, want string }{
		{"/", "= /"},
		{"/index.html", " /"},
		{"/documents/document.html", " /documents/"},
		{"/images/1.gif", "^~ /images/"},
		{"/documents/1.jpg", `~* \.(gif|jpg|jpeg)$`},
		{"/DOCUMENTS/1.JPG", `~* \.(gif|jpg|jpeg)$`},
		{"/api/exact", "= /api/exact"},
		{"/api/v1/x", " /api/v1/"},
		{"/api/v1/x.lua", `~ ^/api/.*\.lua$`},
		{"/api/x.json", `~ ^/api/.*\.json$`},
		{"/api/x", " /api/"},
		{"@fallback", "<nil>"}, // named locations are not matched by URI
	}
	for _, tt := range tests {
		if got := name(FindLocation(locs, tt.uri)); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.uri, got, tt.want)
		}
	}
	if (&VServer{Locations: locs}).NamedLocation("@fallback") == nil {
		t.Error("named location not found")
	}
	if FindLocation([]*Loc{{Modifier: "=", Path: "/x"}}, "/y") != nil {
		t.Error("no location should match")
	}
}

func TestServerNames(t *testing.T) {
	mk := func(names ...string) *VServer {
		v := &VServer{Names: names}
		if err := v.compile(); err != nil {
			t.Fatal(err)
		}
		return v
	}
	a := mk("example.org", "www.example.org")
	b := mk("*.example.org")
	c := mk("mail.*")
	d := mk(`~^(?P<user>.+)\.example\.net$`)
	e := mk(".example.com")
	f := mk("*.sub.example.org")
	dflt := mk("default")
	sl := &siteListener{servers: []*VServer{a, b, c, d, e, f, dflt}, deflt: dflt}
	tests := []struct {
		host string
		want *VServer
	}{
		{"example.org", a},
		{"WWW.Example.ORG:8080", a},
		{"foo.example.org", b},
		{"x.sub.example.org", f}, // the longest wildcard wins
		{"mail.example.org", b},  // a leading wildcard beats a trailing one
		{"mail.test", c},
		{"joe.example.net", d},
		{"example.com", e},
		{"a.example.com", e},
		{"example.org.", a},
		{"unknown", dflt},
		{"", dflt},
		{"[::1]:80", dflt},
	}
	for _, tt := range tests {
		if got := sl.pick(tt.host); got != tt.want {
			t.Errorf("%q: got %v, want %v", tt.host, got.Names, tt.want.Names)
		}
	}
}

func TestNormalizeListen(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1984", "0.0.0.0:1984"},
		{"*:80", "0.0.0.0:80"},
		{"127.0.0.1:8080", "127.0.0.1:8080"},
		{"127.0.0.1", "127.0.0.1:80"},
		{"[::1]:443", "[::1]:443"},
		{"localhost:99", "localhost:99"},
		{"x:y", ""},
	}
	for _, tt := range tests {
		got, err := NormalizeListen(tt.in)
		if (err != nil) != (tt.want == "") || got != tt.want {
			t.Errorf("%q: got %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

type fakeVars map[string]string

func (f fakeVars) Variable(_ *http.Request, name string) (string, bool) {
	v, ok := f[name]
	return v, ok
}

func TestExpand(t *testing.T) {
	vs := fakeVars{"uri": "/a", "host": "h"}
	set := map[string]string{"x": "1"}
	r := httptest.NewRequest("GET", "/a", nil)
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"$uri", "/a"},
		{"${uri}x", "/ax"},
		{"$x-$host", "1-h"},
		{"$nope.", "."},
		{"cost: $", "cost: $"},
		{"$$x", "$1"},
	}
	for _, tt := range tests {
		if got := expand(tt.in, r, vs, set); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestFindLocationAutoRedirect: a URI naming a proxy_pass location but for its trailing
// slash gets the location's redirect, unless a location is named exactly the URI; the
// redirect wins over shorter prefixes and regular expressions (nginx 1.22, checked).
func TestFindLocationAutoRedirect(t *testing.T) {
	redirect := func(path string) *Loc {
		l := &Loc{Path: path}
		l.redirect = &Loc{Path: path + " (redirect)"}
		return l
	}
	locs := []*Loc{{Path: "/"}, redirect("/p/"), {Path: "/p"}, redirect("/q/"), {Modifier: "~", Path: "q"},
		{Modifier: "=", Path: "/r"}, func() *Loc { l := redirect("/r/"); l.Modifier = "="; return l }(), redirect("/s/")}
	v := &VServer{Locations: locs}
	if err := v.compile(); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ uri, want string }{
		{"/p", "/p"}, {"/p/", "/p/"}, {"/q", "/q/ (redirect)"}, {"/q/x", "q"}, {"/r", "/r"},
		{"/r/", "/r/"}, {"/s", "/s/ (redirect)"}, {"/s/x", "/s/"}, {"/sx", "/"},
	}
	for _, tt := range tests {
		if l := FindLocation(v.Locations, tt.uri); l == nil || l.Path != tt.want {
			t.Errorf("FindLocation(%q) = %v, want %s", tt.uri, l, tt.want)
		}
	}
}
