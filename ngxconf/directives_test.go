package ngxconf

import (
	"strings"
	"testing"
)

func TestDirectiveTables(t *testing.T) {
	seen := map[string]string{}
	for table, names := range map[string][]string{"implemented": implementedDirectives,
		"tuning": tuningDirectives, "refused": refusedDirectives} {
		for _, n := range names {
			if other, ok := seen[n]; ok {
				t.Errorf("%q is in both %s and %s", n, other, table)
			}
			seen[n] = table
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct{ src, want, tuning string }{
		{"http { server { lua_shared_dic x 1m; } }", `unknown directive "lua_shared_dic" in f.conf:1`, ""},
		{"events {}\nhttp {\n server {\n  location / { mirror /a; }\n }\n}", `"mirror" directive is not supported by luaws`, ""},
		{"http { server { location / { proxy_cache off; gunzip on; } } }", "", "gunzip"},
		{"http { types { text/html html; application/x-foo foo; } sendfile on; }", "", "sendfile"},
		{"http { content_by_lua_block { local t = { bogus = 1 } } }", "", ""},
		{"http { map $a $b { default 1; x 2; } }", "", ""},
		{"http { geo $a $b { default 1; } }", `"geo" directive is not supported by luaws`, ""},
	}
	for _, tt := range tests {
		cfg, err := Parse("f.conf", []byte(tt.src), nil)
		if err != nil {
			t.Fatal(err)
		}
		var tuned []string
		err = Check(cfg.Directives, func(d *Directive) { tuned = append(tuned, d.Name) })
		if (tt.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.src, err, tt.want)
		}
		if strings.Join(tuned, ",") != tt.tuning {
			t.Errorf("%s: tuning %v, want %q", tt.src, tuned, tt.tuning)
		}
	}
}
