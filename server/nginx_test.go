package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/ngxconf"
)

const siteConf = `
http {
    lua_shared_dict dogs 1m;
    init_by_lua_block {
        greeting = "hello"
        ngx.shared.dogs:incr("inits", 1, 0)
        ngx.log(ngx.NOTICE, "init ran")
    }
    default_type text/plain;
    server {
        listen 127.0.0.1:0;
        server_name example.org;
        root html;
        add_header X-Server example;

        location = /init {
            content_by_lua_block {
                ngx.say(greeting, " ", ngx.shared.dogs:get("inits"), " ", ngx.var.server_name)
            }
        }
        location /phases {
            set $who "$arg_who-set";
            add_header X-Loc phases;
            rewrite_by_lua_block { ngx.ctx.trail = "rewrite" }
            access_by_lua_block {
                if ngx.var.arg_deny then return ngx.exit(403) end
                ngx.ctx.trail = ngx.ctx.trail .. ",access"
            }
            content_by_lua_block {
                ngx.var.who = ngx.var.who .. "!"
                ngx.say(ngx.ctx.trail, ",", ngx.get_phase(), " ", ngx.var.who)
            }
            log_by_lua_block { ngx.log(ngx.NOTICE, "logged ", ngx.get_phase()) }
        }
        location = /ret { return 201 "made $uri\n"; }
        location = /moved { return 301 http://example.org/new; }
        location /files/ { alias html/sub/; }
        location ~ \.lua$ { return 418; }
        location = /setlua {
            set_by_lua_block $sum { return tonumber(ngx.var.arg_a) + tonumber(ngx.var.arg_b) }
            content_by_lua_block { ngx.say(ngx.var.sum) }
        }
    }
    server {
        listen 127.0.0.1:0;
        server_name other.org;
        location / { return 200 "other\n"; }
    }
}
`

func TestFromNginx(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "html/sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "html/index.html"), []byte("index\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "html/sub/a.txt"), []byte("aliased\n"), 0o644)
	cfg, err := ngxconf.Parse(filepath.Join(dir, "conf/nginx.conf"), []byte(siteConf), nil)
	if err != nil {
		t.Fatal(err)
	}
	var logbuf bytes.Buffer
	lg := errlog.New(&logbuf, errlog.Debug)
	site, err := FromNginx(cfg.Directives[0], NginxOptions{Prefix: dir + "/", ConfDir: filepath.Join(dir, "conf"), Log: lg})
	if err != nil {
		t.Fatal(err)
	}
	if err := site.Listen(); err != nil {
		t.Fatal(err)
	}
	go site.Serve()
	defer site.Shutdown(context.Background())
	addrs := site.Addrs()
	base := "http://" + addrs[0].String()
	if len(addrs) != 1 {
		t.Fatalf("two servers on one address share one listener; got %v", addrs)
	}
	tests := []struct {
		url, host, want string
		header          string // "Name: value" expected, or ""
	}{
		{base + "/init", "", "200 hello 1 example.org\n", "X-Server: example"},
		{base + "/init", "", "200 hello 1 example.org\n", ""}, // init's dict write happened once
		{base + "/phases?who=me", "", "200 rewrite,access,content me-set!\n", "X-Loc: phases"},
		{base + "/phases?deny=1", "", "403 ", ""},
		{base + "/ret", "", "201 made /ret\n", "X-Server: example"},
		{base + "/moved", "", "301 ", "Location: http://example.org/new"},
		{base + "/", "", "200 index\n", ""},
		{base + "/files/a.txt", "", "200 aliased\n", ""},
		{base + "/x/y.lua", "", "418 ", ""},
		{base + "/setlua?a=2&b=3", "", "200 5\n", ""},
		{base + "/nope", "", "404 ", ""},
		{base + "/anything", "other.org", "200 other\n", ""},
		{base + "/init", "unknown.org", "200 hello 1 example.org\n", ""}, // the first server is the default
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", tt.url, nil)
		if tt.host != "" {
			req.Host = tt.host
		}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got := fmt.Sprintf("%d %s", resp.StatusCode, b)
		if resp.StatusCode >= 300 {
			got = fmt.Sprintf("%d ", resp.StatusCode)
		}
		if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.url, got, tt.want)
		}
		if tt.header != "" {
			name, val, _ := strings.Cut(tt.header, ": ")
			if resp.Header.Get(name) != val {
				t.Errorf("%s: %s = %q, want %q", tt.url, name, resp.Header.Get(name), val)
			}
		}
	}
	log := logbuf.String()
	if strings.Count(log, "init ran") != 1 {
		t.Errorf("init's log line should appear once:\n%s", log)
	}
	if !strings.Contains(log, "[lua] log_by_lua(nginx.conf:") || !strings.Contains(log, "logged log") {
		t.Errorf("log_by_lua line missing:\n%s", log)
	}
}

// BenchmarkInitReplay measures what replaying init_by_lua costs a request: the same content
// handler with and without an init chunk that requires a module and builds a table.
func BenchmarkInitReplay(b *testing.B) {
	for _, tc := range []struct{ name, init string }{
		{"none", ""},
		{"init", `init_by_lua_block { local ws = require "resty.websocket.server"; config = {} for i = 1, 50 do config[i] = "v" .. i end }`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			conf := "http { " + tc.init + " server { listen 127.0.0.1:0; location = /x { content_by_lua_block { ngx.say(\"ok\") } } } }"
			cfg, err := ngxconf.Parse("/x/nginx.conf", []byte(conf), nil)
			if err != nil {
				b.Fatal(err)
			}
			site, err := FromNginx(cfg.Directives[0], NginxOptions{Prefix: "/x/", ConfDir: "/x", Log: errlog.New(io.Discard, errlog.Err)})
			if err != nil {
				b.Fatal(err)
			}
			h := FindLocation(site.Servers[0].Locations, "/x").Handler
			req := httptest.NewRequest("GET", "/x", nil)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
