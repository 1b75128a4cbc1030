package ngxconf

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// flat renders directives as "name[arg|arg]{...}" lines to compare trees compactly.
func flat(ds []*Directive) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.Name)
		b.WriteString("[" + strings.Join(d.Args, "|") + "]")
		if d.Block != nil {
			b.WriteString("{" + flat(d.Block) + "}")
		}
		b.WriteString(";")
	}
	return b.String()
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"simple", "a b c;", "a[b|c];"},
		{"block", "http { server { listen 80; } }", "http[]{server[]{listen[80];};};"},
		{"comments", "# c\na 1; # x\n#b;\nc;", "a[1];c[];"},
		{"hash inside word", "a b#c;", "a[b#c];"},
		{"quotes", `a "x y" 'z;w' "q\"r" 's\'t';`, `a[x y|z;w|q"r|s't];`},
		{"escapes", `a "t\tn\nr\r\\ \d";`, "a[t\tn\nr\r\\ \\d];"},
		{"unquoted escape", `a b\ c;`, `a[b\ c];`}, // the blank does not split; the backslash stays
		{"variable braces", `set $a ${b}c;`, `set[$a|${b}c];`},
		{"location regex", `location ~* \.(gif|jpg)$ { return 404; }`, `location[~*|\.(gif|jpg)$]{return[404];};`},
		{"lua block braces in strings", "content_by_lua_block { local s = \"}\" local t = {1} }",
			"content_by_lua_block[ local s = \"}\" local t = {1} ];"},
		{"lua block comment brace", "content_by_lua_block {\n -- }\n x() }", "content_by_lua_block[\n -- }\n x() ];"},
		{"lua block long string", "content_by_lua_block { a = [[ } ]] b = [==[ ]] } ]==] }",
			"content_by_lua_block[ a = [[ } ]] b = [==[ ]] } ]==] ];"},
		{"lua block long comment", "content_by_lua_block { --[[ } ]] x = '\\'}' }", "content_by_lua_block[ --[[ } ]] x = '\\'}' ];"},
		{"set_by_lua_block", "set_by_lua_block $x { return 1 } a;", "set_by_lua_block[$x| return 1 ];a[];"},
		{"lua block then more", "location / { access_by_lua_block { } content_by_lua_block {x{}} }",
			"location[/]{access_by_lua_block[ ];content_by_lua_block[x{}];};"},
		{"directives after blocks", "events {}\nhttp {}\nuser root;", "events[]{};http[]{};user[root];"},
		{"single-quoted lua", "content_by_lua '\n  ngx.say(\"it\\'s\")\n';", "content_by_lua[\n  ngx.say(\"it's\")\n];"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("/x/nginx.conf", []byte(tt.src), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := flat(cfg.Directives); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"stray close", "a;\n}", `unexpected "}" in /x/nginx.conf:2`},
		{"missing semicolon", "a b", `unexpected end of file, expecting ";" or "}" in /x/nginx.conf:1`},
		{"unclosed block", "http {\n a;\n", `unexpected end of file, expecting "}" in /x/nginx.conf:3`},
		{"after quote", `a "b"c;`, `unexpected "c" in /x/nginx.conf:1`},
		{"unclosed lua", "content_by_lua_block {\n x = '}\n }", `Lua code block missing the closing quote in /x/nginx.conf:2`},
		{"unclosed lua long", "content_by_lua_block { x = [[ }", `Lua code block missing the closing long bracket of a string in /x/nginx.conf:1`},
		{"missing include", "include nope.conf;", `open() "/x/nope.conf" failed (2: No such file or directory) in /x/nginx.conf:1`},
		{"semicolon first", ";", `unexpected ";" in /x/nginx.conf:1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("/x/nginx.conf", []byte(tt.src), nil)
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v, want %s", err, tt.want)
			}
		})
	}
}

func TestLinesAndChunknames(t *testing.T) {
	src := "http {\n  server {\n    location = /a {\n      content_by_lua '\n        ngx.log(ngx.ERR, \"a\")\n      ';\n    }\n" +
		"    location = /b {\n      content_by_lua_block {\n        ngx.log(ngx.ERR, \"b\")\n      }\n    }\n  }\n}\n"
	cfg, err := Parse("/etc/x/nginx.conf", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := cfg.Directives[0].Block[0]
	a := srv.Block[0].Block[0]
	b := srv.Block[1].Block[0]
	// Observed on nginx 1.22 + lua-nginx-module: the quoted form is named after the line of
	// its ";", the block form after the line of its "{".
	for _, c := range []struct {
		d         *Directive
		line      int
		chunkname string
	}{{a, 4, "content_by_lua(nginx.conf:6)"}, {b, 9, "content_by_lua(nginx.conf:9)"}} {
		if c.d.Line != c.line || c.d.Chunkname() != c.chunkname {
			t.Errorf("%s: line %d chunkname %s, want %d %s", c.d.Name, c.d.Line, c.d.Chunkname(), c.line, c.chunkname)
		}
	}
}

func TestInclude(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("nginx.conf", "a;\nhttp {\n include sites/*.conf;\n include mime.types;\n}\n")
	write("sites/b.conf", "server { listen 2; }")
	write("sites/a.conf", "server { listen 1; }\n\ncontent_by_lua_block { }")
	write("mime.types", "types { text/html html; }")
	cfg, err := ParseFile(filepath.Join(dir, "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	want := "a[];http[]{server[]{listen[1];};content_by_lua_block[ ];server[]{listen[2];};types[]{text/html[html];};};"
	if got := flat(cfg.Directives); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	lua := cfg.Directives[1].Block[1]
	if lua.Chunkname() != "content_by_lua(sites/a.conf:3)" || filepath.Clean(lua.File) != filepath.Join(dir, "sites/a.conf") {
		t.Errorf("included directive at %s named %s", lua.Pos(), lua.Chunkname())
	}
	wantFiles := []string{"nginx.conf", "sites/a.conf", "sites/b.conf", "mime.types"}
	for i := range wantFiles {
		wantFiles[i] = filepath.Join(dir, wantFiles[i])
	}
	if !reflect.DeepEqual(cfg.Files, wantFiles) {
		t.Errorf("files %v, want %v", cfg.Files, wantFiles)
	}
}

func TestFixtureShape(t *testing.T) {
	src, err := os.ReadFile("../../shared/fixtures/test-nginx-shape.conf")
	if err != nil {
		t.Skip("fixture not found:", err)
	}
	cfg, err := Parse("/srv/conf/nginx.conf", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	http := Find(cfg.Directives, "http")
	if len(http) != 1 || len(Find(cfg.Directives, "events")) != 1 || len(Find(cfg.Directives, "env")) != 10 {
		t.Fatalf("top level: %s", flat(cfg.Directives))
	}
	srv := Find(http[0].Block, "server")[0]
	locs := Find(srv.Block, "location")
	if len(locs) != 3 {
		t.Fatalf("%d locations", len(locs))
	}
	c := locs[1].Block[0]
	if !c.Lua || !strings.Contains(c.Args[0], `"hello { braces } in a string")  -- } in a comment too`) {
		t.Errorf("lua block: %q", c.Args)
	}
	s := locs[0].Block[1]
	if !strings.Contains(s.Args[0], `", it's ", #data`) {
		t.Errorf("content_by_lua not unescaped: %q", s.Args[0])
	}
}

// TestChunkFile: chunk names of files other than nginx.conf as lua-nginx-module writes them
// (002-content.t TEST 46-50).
func TestChunkFile(t *testing.T) {
	for _, tc := range []struct {
		file    string
		reserve int
		want    string
	}{
		{"/p/conf/nginx.conf", 15, "nginx.conf"},
		{"/p/conf/sites/a.conf", 15, "sites/a.conf"},
		{"/p/conf/../html/lua.conf", 15, "../html/lua.conf"},
		{"/p/conf/../html/1234567890123456789012345678901234.conf", 15, "...234567890123456789012345678901234.conf"},
		{"/tmp/lua.conf", 15, "/tmp/lua.conf"},
		{"/tmp/12345678901234567890123456789012345.conf", 15, "...345678901234567890123456789012345.conf"},
		{"/tmp/12345678901234567890123456789012345.conf", 16, "...45678901234567890123456789012345.conf"},
		{"/p/html/lua.conf", 15, "/p/html/lua.conf"}, // an absolute include
	} {
		if got := chunkFile(tc.file, "/p/conf", tc.reserve); got != tc.want {
			t.Errorf("chunkFile(%q, %d) = %q, want %q", tc.file, tc.reserve, got, tc.want)
		}
	}
}
