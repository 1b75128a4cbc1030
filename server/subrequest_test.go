package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The expected bodies below were checked against Debian's nginx 1.22 with
// libnginx-mod-http-lua and libnginx-mod-http-echo loaded, for the same configuration.
const subConf = `
http {
    default_type text/plain;
    server {
        listen 127.0.0.1:0;
        location /main {
            content_by_lua_block {
                local res = ngx.location.capture("/sub", {args = {a = 1}})
                ngx.say(res.status, " ", tostring(res.truncated), " [", res.body, "] ", res.header["X-Foo"], " ", table.concat(res.header["x-multi"], ";"))
                ngx.say("main: sub=", tostring(ngx.is_subrequest), " internal=", tostring(ngx.req.is_internal()))
            }
        }
        location /sub {
            content_by_lua_block {
                ngx.header["X-Foo"] = "bar"
                ngx.header.x_multi = {"a", "b"}
                ngx.req.read_body()
                ngx.print(ngx.req.get_method(), " ", ngx.var.request_method, " ", ngx.var.uri, "?", tostring(ngx.var.args), " sub=", tostring(ngx.is_subrequest), " body=", tostring(ngx.req.get_body_data()))
            }
        }
        location /errors {
            content_by_lua_block {
                local r = ngx.location.capture("/nope")
                ngx.say("nope ", r.status, " [", r.body, "]")
                r = ngx.location.capture("/fails")
                ngx.say("fails ", r.status, " [", r.body, "] ", tostring(r.truncated))
                r = ngx.location.capture("/fails-late")
                ngx.say("fails-late ", r.status, " [", r.body, "] ", tostring(r.truncated))
                r = ngx.location.capture("/exiterr")
                ngx.say("exiterr ", r.status, " [", r.body, "]")
                r = ngx.location.capture("/exit404")
                ngx.say("exit404 ", r.status, " [", r.body, "]")
                r = ngx.location.capture("/int")
                ngx.say("internal ", r.status, " [", r.body, "]")
                for _, u in ipairs{"/sub\0x", "/../etc/passwd", "/a/%2e%2e/b"} do
                    local ok, err = pcall(ngx.location.capture, u)
                    ngx.say(ok, " ", err)
                end
                local ok, err = pcall(ngx.location.capture, "/sub", {method = "GET"})
                ngx.say(ok, " ", err)
                ok, err = pcall(ngx.location.capture, "/sub", {ctx = 1})
                ngx.say(ok, " ", err)
                ok, err = pcall(ngx.location.capture_multi, {})
                ngx.say(ok, " ", err)
            }
        }
        location /fails { content_by_lua_block { error("boom") } }
        location /fails-late { content_by_lua_block { ngx.say("before"); error("boom") } }
        location /exit404 { content_by_lua_block { ngx.exit(404) } }
        location /exiterr { content_by_lua_block { ngx.exit(ngx.ERROR) } }
        location /int { internal; content_by_lua_block { ngx.say("internal ok") } }
        location /multi {
            content_by_lua_block {
                local a, b = ngx.location.capture_multi{
                    {"/sub", {method = ngx.HTTP_POST, body = "xyz"}},
                    {"/sub?b=2", {args = "c=3"}},
                }
                ngx.say(a.body, "|", b.body)
                local h = ngx.location.capture("/sub", {method = ngx.HTTP_HEAD})
                ngx.say("head ", h.status, " [", h.body, "]")
            }
        }
        location /ctx {
            content_by_lua_block {
                ngx.ctx.a = "parent"
                local c = {b = "given"}
                local r1 = ngx.location.capture("/ctxsub")
                local r2 = ngx.location.capture("/ctxsub", {ctx = c})
                ngx.say(r1.body, r2.body, "parent a=", ngx.ctx.a, " c.set=", tostring(c.set))
            }
        }
        location /ctxsub {
            content_by_lua_block { ngx.say("sub a=", tostring(ngx.ctx.a), " b=", tostring(ngx.ctx.b)); ngx.ctx.set = "yes" }
        }
        location /vars {
            set $dog "main";
            content_by_lua_block {
                local r1 = ngx.location.capture("/varsub", {vars = {dog = "hello", cat = 32}})
                local r2 = ngx.location.capture("/varsub", {copy_all_vars = true})
                ngx.print(r1.body, r2.body)
            }
        }
        location /varsub { set $cat ""; echo "dog=$dog cat=$cat"; }
        location /deep {
            content_by_lua_block {
                local n = tonumber(ngx.var.arg_n or 0)
                local ok, res = pcall(ngx.location.capture, "/deep", {args = {n = n + 1}})
                if not ok then ngx.say("depth ", n, ": ", res) return end
                ngx.print(res.body)
            }
        }
        location /exec { content_by_lua_block { ngx.ctx.foo = 1; ngx.exec("/target", {a = "b c"}) } }
        location /exec-rewrite {
            rewrite_by_lua_block { ngx.exec("/target?x=1", "y=2") }
            content_by_lua_block { ngx.say("not here") }
        }
        location /exec-named { content_by_lua_block { ngx.exec("@named") } }
        location /exec-missing { content_by_lua_block { ngx.exec("@missing") } }
        location @named { content_by_lua_block { ngx.say("named ", ngx.var.uri, " internal=", tostring(ngx.req.is_internal())) } }
        location /target {
            internal;
            content_by_lua_block { ngx.say("target ", ngx.var.uri, "?", ngx.var.args, " ctx=", tostring(ngx.ctx.foo), " internal=", tostring(ngx.req.is_internal()), " sub=", tostring(ngx.is_subrequest)) }
        }
        location /loop { content_by_lua_block { ngx.exec("/loop") } }
        location /jump { rewrite_by_lua_block { ngx.ctx.a = 1 ngx.req.set_uri("/target", true) ngx.say("not here") } }
        location /jumploop { rewrite_by_lua_block { ngx.req.set_uri("/jumploop", true) } }
        location /exec-late { content_by_lua_block { ngx.say("x"); local ok, err = pcall(ngx.exec, "/target"); ngx.say(ok, " ", err) } }
        location /log {
            log_by_lua_block { local ok, err = pcall(ngx.location.capture, "/ctxsub") ngx.log(ngx.ERR, "LOG: ", err) }
            content_by_lua_block { ngx.say("ok") }
        }

        location /e1 {
            echo hello world;
            echo -n "no newline";
            echo -- -n;
            echo;
            echo_duplicate 3 "ab";
            echo "uri=$uri args=$args";
        }
        location /e2 {
            echo_location /esub "a=1";
            echo "between";
            echo_location_async /esleep;
            echo_location_async /esub?x=y;
            echo "end";
        }
        location /esub { echo "esub $args"; }
        location /esleep { echo_sleep 0.05; echo "esleep"; }
        location /e3 { echo_status 404; echo "not found really"; }
        location /e4 {
            echo_before_body "before";
            echo_after_body "after";
            content_by_lua_block { ngx.say("lua body") }
        }
        location /e5 { echo_exec /esub "q=1"; }
        location /e6 { echo_exec @enamed; }
        location @enamed { echo "named $uri"; }
        location /e7 { echo_location /nowhere; echo "x"; }
        location /e8 { echo_location /luasub; echo done; }
        location /luasub { content_by_lua_block { ngx.say("lua sub ", tostring(ngx.is_subrequest)) } }
        location /e9 { echo_read_request_body; echo_request_body; echo; }
        location /e10 { content_by_lua_block { local r = ngx.location.capture("/e10sub", {method = ngx.HTTP_PUT, body = "hello"}) ngx.print(r.body) } }
        location /e10sub { echo $echo_request_method; echo_request_body; }
        location /nofile { content_by_lua_file html/nope.lua; }
        location /noabort { content_by_lua_block {
            local semaphore = require "ngx.semaphore"
            local s = {ready = semaphore.new(), done = semaphore.new()}
            package.loaded.noabort_test = s
            local errs = {}
            ngx.thread.spawn(function()
                s.ready:wait(5)
                local ok, err = pcall(ngx.exec, "/target")
                errs[#errs+1] = err
                ok, err = pcall(ngx.exit, 404)
                errs[#errs+1] = err
                s.done:post()
            end)
            local r = ngx.location.capture("/noabort-sub")
            ngx.say(r.body, table.concat(errs, "; "))
        } }
        location /noabort-sub { content_by_lua_block {
            local s = package.loaded.noabort_test
            s.ready:post()
            s.done:wait(5)
            ngx.say("sub done")
        } }
        location /nokill { content_by_lua_block {
            -- a thread with a capture pending cannot be killed (127-uthread-kill TEST 5, 6)
            local busy = ngx.thread.spawn(function() return ngx.location.capture("/noabort-sub2").body end)
            local idle = ngx.thread.spawn(function() ngx.sleep(60) end)
            ngx.say(ngx.thread.kill(busy))
            ngx.say(ngx.thread.kill(idle))
            ngx.say(select(2, ngx.thread.wait(busy)))
        } }
        location /noabort-sub2 { content_by_lua_block { ngx.sleep(0.001) ngx.print("sub done") } }
        location /headonly { content_by_lua_block {
            ngx.say("x")
            local ok, err = ngx.flush()
            if not ok then ngx.log(ngx.WARN, "failed to flush: ", err) end
            ok, err = ngx.say("y")
            if not ok then ngx.log(ngx.WARN, "failed to say: ", err) end
        } }
    }
}
`

func TestSubrequests(t *testing.T) {
	base, logs, _ := startConf(t, subConf, map[string]string{"html/index.html": "hello\n"})
	notFound := "<html>\r\n<head><title>404 Not Found</title></head>\r\n"
	tests := []struct {
		name, method, path, body string
		status                   int
		want                     string // the whole body, or a prefix ending in "..."
		log                      string // a line the error log must have
	}{
		{"capture", "GET", "/main", "", 200,
			"200 false [GET GET /sub?a=1 sub=true body=nil] bar a;b\nmain: sub=false internal=false\n", ""},
		{"errors", "GET", "/errors", "", 200, "nope 404 []\n" +
			"fails 500 [] true\n" +
			"fails-late 200 [before\n] true\n" +
			"exiterr 500 []\n" +
			"exit404 404 []\n" +
			"internal 200 [internal ok\n]\n" +
			"false unsafe uri in argument #1: /sub\n" +
			"false unsafe uri in argument #1: /../etc/passwd\n" +
			"false unsafe uri in argument #1: /a/%2e%2e/b\n" +
			"false Bad http request method\n" +
			"false Bad ctx option value type number, expected a Lua table\n" +
			"false at least one subrequest should be specified\n",
			"lua entry thread aborted: runtime error: content_by_lua(nginx.conf:"},
		{"multi", "GET", "/multi", "", 200,
			"POST GET /sub?nil sub=true body=xyz|GET GET /sub?b=2&c=3 sub=true body=nil\nhead 200 []\n", ""},
		{"method of main", "POST", "/multi", "abc", 200,
			"POST POST /sub?nil sub=true body=xyz|GET POST /sub?b=2&c=3 sub=true body=nil\nhead 200 []\n", ""},
		{"ctx", "GET", "/ctx", "", 200, "sub a=nil b=nil\nsub a=nil b=given\nparent a=parent c.set=yes\n", ""},
		{"vars", "GET", "/vars", "", 200, "dog=hello cat=\ndog=main cat=\n", ""},
		{"too deep", "GET", "/deep", "", 200, "depth 51: failed to issue subrequest: -1\n",
			`lua subrequests cycle while processing "/deep"`},
		{"exec", "GET", "/exec", "", 200, "target /target?a=b%20c ctx=nil internal=true sub=false\n", ""},
		{"exec in rewrite", "GET", "/exec-rewrite", "", 200, "target /target?x=1&y=2 ctx=nil internal=true sub=false\n", ""},
		{"exec named", "GET", "/exec-named", "", 200, "named /exec-named internal=true\n", ""},
		{"exec missing named", "GET", "/exec-missing", "", 500, "...", `could not find named location "@missing"`},
		{"internal from outside", "GET", "/target", "", 404, notFound + "...", ""},
		{"exec cycle", "GET", "/loop", "", 500, "...", `rewrite or internal redirection cycle while internally redirecting to "/loop"`},
		{"set_uri jump", "GET", "/jump?x=1", "", 200, "target /target?x=1 ctx=nil internal=true sub=false\n", ""},
		{"set_uri jump cycle", "GET", "/jumploop", "", 500, "...", `rewrite or internal redirection cycle while processing "/jumploop"`},
		{"exec after output", "GET", "/exec-late", "", 200, "x\nfalse attempt to call ngx.exec after sending out response headers\n", ""},
		{"capture in log phase", "GET", "/log", "", 200, "ok\n", "LOG: API disabled in the context of log_by_lua*"},

		{"echo", "GET", "/e1?z=1", "", 200, "hello world\nno newline-n\n\nabababuri=/e1 args=z=1\n", ""},
		{"echo_location", "GET", "/e2", "", 200, "esub a=1\nbetween\nesleep\nesub x=y\nend\n", ""},
		{"echo_status", "GET", "/e3", "", 404, "not found really\n", ""},
		{"echo filters", "GET", "/e4", "", 200, "before\nlua body\nafter\n", ""},
		{"echo_exec", "GET", "/e5", "", 200, "esub q=1\n", ""},
		{"echo_exec named", "GET", "/e6", "", 200, "named /e6\n", ""},
		{"echo_location 404", "GET", "/e7", "", 200, notFound + "...", ""},
		{"echo_location lua", "GET", "/e8", "", 200, "lua sub true\ndone\n", ""},
		{"echo_request_body", "POST", "/e9", "posted", 200, "posted\n", ""},
		{"echo_request_body in a subrequest", "GET", "/e10", "", 200, "PUT\nhello", ""},
		{"no abort while a capture is pending", "GET", "/noabort", "", 200,
			"sub done\nattempt to abort with pending subrequests; attempt to abort with pending subrequests\n", ""},
		{"a thread with a pending capture cannot be killed", "GET", "/nokill", "", 200,
			"nilpending subrequests\n1\nsub done\n", ""},
		{"HEAD: header only", "HEAD", "/headonly", "", 200, "", "failed to say: header only"},
		{"missing handler file", "GET", "/nofile", "", 404, notFound + "...", `failed to load external Lua file "`},
	}
	client := &http.Client{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, base+tt.path, strings.NewReader(tt.body))
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got := string(b)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d (body %q)", resp.StatusCode, tt.status, got)
			}
			if p, ok := strings.CutSuffix(tt.want, "..."); ok {
				if !strings.HasPrefix(got, p) {
					t.Errorf("body %q, want it to start with %q", got, p)
				}
			} else if got != tt.want {
				t.Errorf("body\n%q, want\n%q", got, tt.want)
			}
			// a line may be written after the response went out (HEAD: once the header is flushed)
			for i := 0; i < 200 && tt.log != "" && !strings.Contains(logs.String(), tt.log); i++ {
				time.Sleep(10 * time.Millisecond)
			}
			if tt.log != "" && !strings.Contains(logs.String(), tt.log) {
				t.Errorf("error log lacks %q:\n%s", tt.log, logs.String())
			}
		})
	}
}

// TestSubrequestFlagMode: --location handlers capture each other.
func TestSubrequestFlagMode(t *testing.T) {
	addr, _ := startFlagServer(t, Options{Locations: []Location{
		{Path: "/a", Code: []byte(`local r = ngx.location.capture("/b", {args = "x=1"}) ngx.say(r.status, " ", r.body) local n = ngx.location.capture("/none") ngx.say(n.status)`)},
		{Path: "/b", Code: []byte(`ngx.print("b ", ngx.var.arg_x, " ", tostring(ngx.is_subrequest))`)},
	}})
	resp, err := http.Get("http://" + addr + "/a")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := "200 b 1 true\n404\n"; string(b) != want {
		t.Errorf("got %q, want %q", b, want)
	}
}

// TestSubrequestProxyTruncated: an upstream that closes before the Content-Length it
// announced gives the capture its body so far with truncated = true (as nginx: 020-subrequest
// TEST 46).
func TestSubrequestProxyTruncated(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil || line == "\r\n" {
						break
					}
				}
				_, _ = c.Write([]byte("HTTP/1.0 200 OK\r\nContent-Length: 1024\r\n\r\nhello world"))
			}()
		}
	}()
	conf := `http { server { listen 127.0.0.1:0;
        location /proxy { internal; proxy_pass http://` + ln.Addr().String() + `; }
        location /main { content_by_lua_block {
            local res = ngx.location.capture("/proxy")
            ngx.say(res.status, " [", res.body, "] ", tostring(res.truncated))
        } }
    } }`
	base, logs, _ := startConf(t, conf, nil)
	resp, err := http.Get(base + "/main")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := "200 [hello world] true\n"; string(b) != want {
		t.Errorf("got %q, want %q", b, want)
	}
	if !strings.Contains(logs.String(), "upstream prematurely closed connection") {
		t.Errorf("log lacks the premature close:\n%s", logs.String())
	}
}

// TestAddHeaderSeesLuaVars: add_header evaluates a variable Lua assigned (002-content TEST 15).
func TestAddHeaderSeesLuaVars(t *testing.T) {
	conf := `http { server { listen 127.0.0.1:0;
        location /set { set $a ""; content_by_lua_block { ngx.var.a = 32; ngx.say(ngx.var.a) } add_header Foo $a; }
    } }`
	base, _, _ := startConf(t, conf, nil)
	resp, err := http.Get(base + "/set")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "32\n" || resp.Header.Get("Foo") != "32" {
		t.Errorf("got %q, Foo: %q; want \"32\\n\", Foo: 32", b, resp.Header.Get("Foo"))
	}
}
