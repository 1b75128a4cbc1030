package ngxconf

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse: any input either parses into directives that all have a name and a position in
// the file, or fails with an *Error (nginx's "[emerg] ... in FILE:LINE"), never a panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"events {}\nhttp { server { listen 80; location / { content_by_lua_block { ngx.say('{') } } } }\n",
		"worker_processes 4;\nhttp { lua_shared_dict d 1m; init_by_lua 'x = \"}\"'; }",
		"a \"b\\\"c\" 'd;e' f${g}h;\n# comment }\n",
		"location ~ ^/(a|b)\\.lua$ { x; }",
		"http {", "}", "a \"b", "k v {", ";", "a {}}", "\x00;",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if strings.Contains(src, "include") {
			return // would read files
		}
		path := filepath.Join("/nonexistent", "nginx.conf")
		cfg, err := Parse(path, []byte(src), nil)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		var walk func([]*Directive)
		walk = func(ds []*Directive) {
			for _, d := range ds {
				if d.Name == "" || d.Line < 1 || d.File != path {
					t.Fatalf("directive %q at %s:%d", d.Name, d.File, d.Line)
				}
				walk(d.Block)
			}
		}
		walk(cfg.Directives)
	})
}
