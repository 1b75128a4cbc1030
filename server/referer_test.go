package server

import (
	"net/http/httptest"
	"testing"

	"github.com/luaws/luaws/ngxconf"
)

// $invalid_referer for each Referer, as Debian's nginx 1.22.1 computed it for the same
// valid_referers line.
func TestInvalidReferer(t *testing.T) {
	d := &ngxconf.Directive{Name: "valid_referers", Args: []string{"none", "blocked", "www.foo.com",
		"*.bar.com", ".baz.org", "www.tail.*", "site.com/gal/", "server_names", `~\.rx\.`}}
	rf, err := parseReferers(d, []string{"localhost", "www.srv.org", `~^re\d+\.srv$`})
	if err != nil {
		t.Fatal(err)
	}
	only := &referers{exact: map[string]*string{}}
	if err := only.add("www.foo.com", nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		referer        string // "-": no Referer field
		want, wantOnly string
	}{
		{"-", "", "1"},
		{"http://www.foo.com/", "", ""},
		{"http://WWW.FOO.COM:8080/x", "", ""},
		{"https://a.bar.com/", "", "1"},
		{"http://bar.com/", "1", "1"},
		{"http://baz.org", "", "1"},
		{"http://x.baz.org/", "", "1"},
		{"http://www.tail.co.uk/", "", "1"},
		{"http://site.com/gal/1", "", "1"},
		{"http://site.com/other", "1", "1"},
		{"http://site.com", "1", "1"},
		{"http://www.srv.org/", "", "1"},
		{"http://re12.srv/", "", "1"},
		{"http://abc.rx.net/", "", "1"},
		{"ftp://x", "", "1"},
		{"http://a.b", "", "1"}, // shorter than "http://i.ru": "blocked"
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		if tt.referer != "-" {
			r.Header.Set("Referer", tt.referer)
		}
		if got := rf.invalid(r); got != tt.want {
			t.Errorf("%s: $invalid_referer %q, want %q", tt.referer, got, tt.want)
		}
		if got := only.invalid(r); got != tt.wantOnly {
			t.Errorf("%s (www.foo.com only): $invalid_referer %q, want %q", tt.referer, got, tt.wantOnly)
		}
	}
	if _, err := parseReferers(&ngxconf.Directive{Name: "valid_referers", Args: []string{"a.*.com"}}, nil); err == nil {
		t.Error("a.*.com accepted")
	}
}
