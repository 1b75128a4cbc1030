package server

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/luaws/luaws/errlog"
)

// body_filter_by_lua*, as lua-nginx-module 0.10.23 runs it: each case is checked against
// Debian's nginx 1.22.1 + lua-nginx-module 0.10.23 (+ the echo module) on the same config,
// most of them from lua-nginx-module's t/082-body-filter.t.
func TestBodyFilterByLua(t *testing.T) {
	type req struct {
		method   string // "" is GET
		path     string
		want     int    // status; 0: the connection is closed with no response
		wantBody string // the whole body
		header   string // "Name: value" the response must have
	}
	tests := []struct {
		name     string
		http     string // http-level directives
		location string // server-level directives and location blocks
		files    map[string]string
		reqs     []req
		logs     []string // regexps the error log must match, in any order
		nologs   []string // regexps it must not match
	}{
		{
			// 082 TEST 1: each echo is a piece, then an empty one with eof
			name: "echo pieces",
			location: `location /read { echo -n hello world; echo -n hiya globe;
                body_filter_by_lua 'local chunk, eof = ngx.arg[1], ngx.arg[2] print("chunk: [", chunk, "], eof: ", eof)'; }`,
			reqs: []req{{path: "/read", want: 200, wantBody: "hello worldhiya globe"}},
			logs: []string{`chunk: \[hello world\], eof: false, client.*chunk: \[hiya globe\], eof: false, client.*chunk: \[\], eof: true, client`},
		},
		{
			// 082 TEST 4, 5, 10, 15
			name: "rewriting pieces",
			location: `location /up { echo hello world; echo hiya globe; body_filter_by_lua 'ngx.arg[1] = string.upper(ngx.arg[1])'; }
            location /cut { echo hello world; echo hiya globe; body_filter_by_lua_block {
                local chunk = ngx.arg[1]
                if string.match(chunk, "hello") then ngx.arg[1] = string.upper(chunk) ngx.arg[2] = true return end
                ngx.arg[1] = nil } }
            location /buf { echo hello world; echo hiya globe; body_filter_by_lua_block {
                local chunk, eof = ngx.arg[1], ngx.arg[2]
                local buf = ngx.ctx.buf
                if eof then if buf then ngx.arg[1] = {"[", buf, chunk, "]"} end return end
                ngx.ctx.buf = buf and {buf, chunk} or chunk
                ngx.arg[1] = nil } }
            location /tab { echo -n hello; body_filter_by_lua_block {
                if ngx.arg[1] ~= "" then ngx.arg[1] = {{ngx.arg[1]}, "!", 1.5, "\n"} end } }`,
			reqs: []req{{path: "/up", want: 200, wantBody: "HELLO WORLD\nHIYA GLOBE\n"},
				{path: "/cut", want: 200, wantBody: "HELLO WORLD\n"},
				{path: "/buf", want: 200, wantBody: "[hello world\nhiya globe\n]"},
				{path: "/tab", want: 200, wantBody: "hello!1.5\n"}},
			nologs: []string{`\[error\]`},
		},
		{
			// Lua's output: each ngx.say/ngx.print a piece, ngx.flush an empty one, ngx.eof the
			// end (what follows it is not filtered); ngx.ctx is the request's in every phase
			name: "Lua output pieces",
			location: `location /say { content_by_lua_block { ngx.say("a") ngx.print("b") ngx.flush() ngx.say("c") ngx.eof() ngx.say("after") }
                body_filter_by_lua_block { print("say [", ngx.arg[1], "] ", ngx.arg[2]) } }
            location /ctx { rewrite_by_lua_block { ngx.ctx.n = 0 } content_by_lua_block { ngx.say("a") ngx.say("b") }
                body_filter_by_lua_block { ngx.ctx.n = ngx.ctx.n + 1 if ngx.arg[1] ~= "" then ngx.arg[1] = ngx.ctx.n .. ngx.arg[1] end }
                log_by_lua_block { print("log n=", ngx.ctx.n) } }
            location /stop { content_by_lua_block { ngx.say("a") local ok, err = ngx.say("b") ngx.log(ngx.WARN, "say b: ", ok, " ", err) }
                body_filter_by_lua_block { print("stop [", ngx.arg[1], "]") if ngx.arg[1] == "a\n" then ngx.arg[2] = true end } }`,
			reqs: []req{{path: "/say", want: 200, wantBody: "a\nbc\n"},
				{path: "/ctx", want: 200, wantBody: "1a\n2b\n"},
				{path: "/stop", want: 200, wantBody: "a\n"},
				{method: http.MethodHead, path: "/say", want: 200}},
			logs: []string{`say \[a\n\] false, client.*say \[b\] false, client.*say \[\] false, client.*say \[c\n\] false, client.*say \[\] true, client`,
				`log n=3, client`, `say b: 1 nil, client`},
			nologs: []string{`say \[after`, `stop \[b`, `(?s)say \[\] true.*say \[`},
		},
		{
			// an error page, a return text and a static file are one piece marked last
			name: "error page, return, static file",
			location: `location /err { content_by_lua_block { ngx.exit(404) }
                body_filter_by_lua_block { print("err eof=", ngx.arg[2], " ", #ngx.arg[1]) } }
            location /ret { return 200 "hello world"; body_filter_by_lua_block { print("ret [", ngx.arg[1], "] ", ngx.arg[2]) ngx.arg[1] = string.upper(ngx.arg[1]) } }
            location /f.txt { root html; body_filter_by_lua_block { print("file [", ngx.arg[1], "] ", ngx.arg[2]) } }
            location /hret { return 200 "x"; header_filter_by_lua_block { ngx.header.foo = "bar" } log_by_lua_block { print("logged ", ngx.var.uri) } }`,
			files: map[string]string{"html/f.txt": "file data\n"},
			reqs: []req{{path: "/err", want: 404},
				{path: "/ret", want: 200, wantBody: "HELLO WORLD", header: "Content-Length: 11"},
				{path: "/f.txt", want: 200, wantBody: "file data\n"},
				{path: "/hret", want: 200, wantBody: "x", header: "Foo: bar"}},
			logs:   []string{`logged /hret, client`, `err eof=true 1\d\d, client`, `ret \[hello world\] true, client`, `file \[file data\n\] true, client`},
			nologs: []string{`(ret|file) \[\]`},
		},
		{
			// 082 TEST 11-13, 17, 26: an error is logged, the connection closed with nothing
			// sent; ngx.say reports the failure; ngx.ERROR fails quietly
			name: "a failing filter",
			location: `location /boom { content_by_lua_block { local ok, err = ngx.say("a") ngx.log(ngx.WARN, "say: ", ok, " ", err) }
                body_filter_by_lua_block { error("boom") } }
            location /nil { echo hello; body_filter_by_lua 'if ngx.arg[2] then error(nil) end'; }
            location /print { echo ok; body_filter_by_lua "ngx.print(32) return 1"; }`,
			reqs: []req{{path: "/boom"}, {path: "/nil"}, {path: "/print"}},
			logs: []string{`\[error\] .*failed to run body_filter_by_lua\*: body_filter_by_lua\(nginx.conf:\d+\):1: boom\nstack traceback:\n\t\[C\]: in function 'error'\n\tbody_filter_by_lua\(nginx.conf:\d+\):1: in main chunk, client`,
				`say: nil nginx output filter error, client`,
				`failed to run body_filter_by_lua\*: unknown reason, client`,
				`failed to run body_filter_by_lua\*: body_filter_by_lua\(nginx.conf:\d+\):1: API disabled in the context of body_filter_by_lua\*`},
			nologs: []string{`coroutine 0:`},
		},
		{
			// 082 TEST 13
			name:     "returning ngx.ERROR",
			location: `location /t { echo hello; body_filter_by_lua 'if ngx.arg[2] then return ngx.ERROR end'; }`,
			reqs:     []req{{path: "/t"}},
			nologs:   []string{`\[error\]`},
		},
		{
			// what ngx.arg and the disabled APIs say (pcall's messages, as nginx words them)
			name: "ngx.arg errors and disabled APIs",
			location: `location /e { echo hello; body_filter_by_lua_block {
                if ngx.arg[2] then return end
                local tests = {
                    function() ngx.arg[3] = "x" end,
                    function() ngx.arg.foo = "x" end,
                    function() ngx.arg[1] = true end,
                    function() ngx.arg[1] = {true} end,
                    function() ngx.arg[1] = {{}, a = 1} end,
                    function() ngx.say("x") end,
                    function() ngx.exit(200) end,
                    function() ngx.sleep(0.1) end,
                    function() ngx.socket.tcp() end,
                    function() ngx.thread.spawn(function() end) end,
                    function() return tostring(ngx.arg[3]) end,
                    function() return ngx.get_phase() end,
                }
                for i, f in ipairs(tests) do print("T", i, ": ", select(2, pcall(f))) end
                ngx.arg[1] = "fine\n" } }`,
			reqs: []req{{path: "/e", want: 200, wantBody: "fine\n"}},
			logs: []string{`T1: body_filter_by_lua\(nginx.conf:\d+\):4: bad index: 3, client`,
				`T2: body_filter_by_lua\(nginx.conf:\d+\):5: bad argument #2 to '__newindex' \(number expected, got string\), client`,
				`T3: body_filter_by_lua\(nginx.conf:\d+\):6: bad chunk data type: boolean, client`,
				`T4: body_filter_by_lua\(nginx.conf:\d+\):7: bad argument #3 to '__newindex' \(bad data type boolean found\), client`,
				`T5: body_filter_by_lua\(nginx.conf:\d+\):8: bad argument #3 to '__newindex' \(non-array table found\), client`,
				`T6: body_filter_by_lua\(nginx.conf:\d+\):9: API disabled in the context of body_filter_by_lua\*, client`,
				`T7: body_filter_by_lua\(nginx.conf:\d+\):10: API disabled in the context of body_filter_by_lua\*, client`,
				`T8: body_filter_by_lua\(nginx.conf:\d+\):11: API disabled in the context of body_filter_by_lua\*, client`,
				`T9: body_filter_by_lua\(nginx.conf:\d+\):12: API disabled in the context of body_filter_by_lua\*, client`,
				`T10: body_filter_by_lua\(nginx.conf:\d+\):13: API disabled in the context of body_filter_by_lua\*, client`,
				`T11: nil, client`, `T12: body_filter, client`},
			nologs: []string{`\[error\]`},
		},
		{
			// 082 TEST 18, 20: eof in subrequests; clearing the last eof truncates a capture
			name: "subrequests",
			location: `location /t { echo_location /read; echo_location /read; }
            location /read { echo -n hello world; echo -n hiya globe; body_filter_by_lua 'ngx.arg[2] = 1'; }
            location /short { return 200 "hello world"; body_filter_by_lua_block { if ngx.arg[2] then ngx.arg[2] = false end } }
            location = /cap { content_by_lua_block { local res = ngx.location.capture("/short") ngx.say("truncated: ", res.truncated) } }`,
			reqs: []req{{path: "/t", want: 200, wantBody: "hello worldhello world"},
				{path: "/cap", want: 200, wantBody: "truncated: true\n"}},
			nologs: []string{`\[error\]`, `\[alert\]`},
		},
		{
			// 082 TEST 2, 19; inherited from the server level; 082 TEST 14 with a header filter
			name: "file, inherited, with a header filter",
			location: `body_filter_by_lua_block { ngx.arg[1] = string.upper(ngx.arg[1]) }
            location /inh { echo inherited; }
            location /file { echo -n hello; body_filter_by_lua_file html/a.lua; }
            location /missing { echo ok; body_filter_by_lua_file html/none.lua; }
            location /both { content_by_lua 'ngx.header.content_length = 12 ngx.say("Hello World")';
                header_filter_by_lua 'ngx.header.content_length = nil';
                body_filter_by_lua 'ngx.arg[1] = ngx.arg[1] .. "aaa"'; }`,
			files: map[string]string{"html/a.lua": `ngx.arg[1] = "<" .. ngx.arg[1] .. ">"`},
			reqs: []req{{path: "/inh", want: 200, wantBody: "INHERITED\n"},
				{path: "/file", want: 200, wantBody: "<hello><>"},
				{path: "/missing"},
				{path: "/both", want: 200, wantBody: "Hello World\naaaaaa"}},
			logs: []string{`failed to load external Lua file ".*none\.lua": cannot open .*none\.lua: No such file or directory`},
		},
		{
			// 158-global-var TEST 6: a new global is warned about with the traceback
			name: "global variable",
			location: `location /g { content_by_lua_block { ngx.say(foo) }
                body_filter_by_lua_block {
                    if not foo then
                        foo = 1
                    else
                        foo = foo + 1
                    end } }`,
			reqs: []req{{path: "/g", want: 200, wantBody: "nil\n"}, {path: "/g", want: 200, wantBody: "2\n"}},
			logs: []string{`\[warn\] .*writing a global Lua variable \('foo'\) which may lead to race conditions between concurrent requests, so prefer the use of 'local' variables\nstack traceback:\n\tbody_filter_by_lua\(nginx.conf:\d+\):3: in main chunk, client`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conf := "http {\n access_log off;\n" + tt.http + "\n server {\n listen 127.0.0.1:0;\n" + tt.location + "\n }\n}\n"
			base, logs, _ := startConfLevel(t, conf, tt.files, errlog.Info)
			for _, rq := range tt.reqs {
				method := rq.method
				if method == "" {
					method = http.MethodGet
				}
				hr, err := http.NewRequest(method, base+rq.path, nil)
				if err != nil {
					t.Fatalf("request %s: %v", rq.path, err)
				}
				resp, err := clientFrom("127.0.0.1").Do(hr)
				if rq.want == 0 {
					if err == nil {
						resp.Body.Close()
						t.Errorf("%s: got %d, want the connection closed with no response", rq.path, resp.StatusCode)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", rq.path, err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Errorf("%s: reading the body: %v", rq.path, err)
				}
				if resp.StatusCode != rq.want || (rq.want != 404 && string(body) != rq.wantBody) {
					t.Errorf("%s %s: got %d %q, want %d %q", method, rq.path, resp.StatusCode, body, rq.want, rq.wantBody)
				}
				if rq.header != "" {
					k, v, _ := strings.Cut(rq.header, ": ")
					if got := resp.Header.Get(k); got != v {
						t.Errorf("%s: header %s = %q, want %q", rq.path, k, got, v)
					}
				}
			}
			checkLogs(t, logs, tt.logs, tt.nologs)
		})
	}
}
