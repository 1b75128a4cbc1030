package server

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/luaws/luaws/errlog"
)

// Behaviours lua-nginx-module's own Test::Nginx suite pins (docs/lua-nginx-module-suite.md),
// each checked against Debian's nginx 1.22.1 + lua-nginx-module 0.10.23 on the same config.
func TestLuaNginxModuleSuiteBehaviours(t *testing.T) {
	tests := []struct {
		name     string
		debug    bool   // error log at debug level
		http     string // http{}-level directives
		location string // one or more location blocks
		files    map[string]string
		reqs     []confReq
		logs     []string // regexps the error log must match, in any order
		nologs   []string // regexps it must not match
	}{
		{
			// 106-timer TEST 27, 33-34: a timer that finds lua_max_running_timers callbacks
			// running is not run; the alert names the function's chunk and first line
			name: "lua_max_running_timers",
			http: "lua_max_running_timers 1;",
			location: `location /t { content_by_lua_block {
                local function f() ngx.sleep(0.05) end
                ngx.timer.at(0, f)
                ngx.timer.at(0, function()
                end)
                ngx.say("ok")
            } }`,
			reqs:   []confReq{{path: "/t", want: 200, wantBody: "ok\n"}},
			logs:   []string{`\[alert\] \d+#\d+: \*\d+ lua failed to run timer with function defined at =content_by_lua\(nginx.conf:\d+\):4: 1 lua_max_running_timers are not enough, context: ngx.timer`},
			nologs: []string{`\[error\]`},
		},
		{
			// 106-timer TEST 31: a timer that used ngx.ctx releases its ref as its fake request
			// ends, before the fake connection closes
			name:  "ngx.ctx in a timer",
			debug: true,
			location: `location /t { content_by_lua_block {
                ngx.timer.at(0, function(premature) ngx.ctx.s = "hello" print("timer prematurely expired: ", premature) end)
                ngx.say("registered timer")
            } }`,
			reqs: []confReq{{path: "/t", want: 200, wantBody: "registered timer\n"}},
			logs: []string{`timer prematurely expired: false.*lua release ngx.ctx at ref \d+.*http lua close fake http connection`},
		},
		{
			// 030-uri-args TEST 64-65, 58: set_uri's binary argument false refuses control bytes
			// (with the caller's position); without it they pass
			name: "set_uri binary argument",
			location: `location /f { rewrite_by_lua_block { ngx.req.set_uri("/foo\r\nbar", false, false) } content_by_lua_block { ngx.say("not here") } }
            location /b { rewrite_by_lua_block { ngx.req.set_uri("/foo\tbar", false, true) } content_by_lua_block { ngx.say(ngx.var.uri) } }
            location /n { content_by_lua_block { ngx.req.set_uri("/foo\tbar") ngx.say(ngx.var.uri) } }`,
			reqs: []confReq{{path: "/f", want: 500}, {path: "/b", want: 200, wantBody: "/foo\tbar\n"}, {path: "/n", want: 200, wantBody: "/foo\tbar\n"}},
			logs: []string{`\[error\] \d+#\d+: \*\d+ lua entry thread aborted: runtime error: rewrite_by_lua\(nginx.conf:\d+\):1: unsafe byte "0x0d" in uri "/foo\\x0D\\x0Abar" \(maybe you want to set the 'binary' argument\?\)`},
		},
		{
			// 065-tcp-socket-timeout TEST 23, 068-socket-keepalive TEST 21-22, 26: timeouts
			// beyond 31 bits and connect options of the wrong type are refused (with
			// the caller's position, as luaL_argerror gives it)
			name: "settimeout overflow, connect option types",
			location: `location /t { content_by_lua_block {
                local sock = ngx.socket.tcp()
                ngx.say(pcall(sock.settimeout, sock, (2 ^ 31) - 1))
                ngx.say(pcall(sock.settimeout, sock, 2 ^ 31))
                for _, o in ipairs{ {pool = {}}, {pool = true}, {pool_size = "a"}, {pool_size = 0}, {pool_size = "0"}, {backlog = -1} } do
                    ngx.say(select(2, pcall(function() sock:connect("127.0.0.1", 1, o) end)))
                end
            } }`,
			reqs: []confReq{{path: "/t", want: 200, wantBody: "true\nfalsebad timeout value\n" +
				"content_by_lua(nginx.conf:6):6: bad argument #3 to 'connect' (bad \"pool\" option type: table)\n" +
				"content_by_lua(nginx.conf:6):6: bad argument #3 to 'connect' (bad \"pool\" option type: boolean)\n" +
				"content_by_lua(nginx.conf:6):6: bad argument #3 to 'connect' (bad \"pool_size\" option type: string)\n" +
				"content_by_lua(nginx.conf:6):6: bad argument #3 to 'connect' (bad \"pool_size\" option value: 0)\n" +
				"content_by_lua(nginx.conf:6):6: bad argument #3 to 'connect' (bad \"pool_size\" option value: 0)\n" +
				"content_by_lua(nginx.conf:6):6: bad argument #3 to 'connect' (bad \"backlog\" option value: -1)\n"}},
		},
		{
			// 065-tcp-socket-timeout TEST 6-20: each connect, send and receive logs its timeout
			// (lua_socket_*_timeout, or settimeouts') at debug level
			name:  "cosocket timeout debug lines",
			debug: true,
			location: `location /t { content_by_lua_block {
                local sock = ngx.socket.tcp()
                sock:settimeouts(102, 103, 150)
                local ok, err = sock:connect("127.0.0.1", ngx.var.server_port)
                sock:send("GET /x HTTP/1.0\r\n\r\n")
                sock:receive()
                sock:receiveany(10)
                sock:receiveuntil("\r\n")()
                ngx.say(ok)
            } }
            location /x { return 200 "hello\r\nworld\r\n"; }`,
			reqs: []confReq{{path: "/t", want: 200, wantBody: "1\n"}},
			logs: []string{`lua tcp socket connect timeout: 102\n`, `lua tcp socket send timeout: 103\n`,
				`(?s)lua tcp socket read timeout: 150\n.*lua tcp socket read timeout: 150\n.*lua tcp socket read timeout: 150\n`},
		},
		{
			// 058-tcp-socket TEST 18, 3: receive("10") reads 10 bytes; sending or receiving on a
			// socket that is not connected is logged (lua_socket_log_errors)
			name: "receive with a numeric string, closed-socket lines",
			location: `location /t { content_by_lua_block {
                local sock = ngx.socket.tcp()
                ngx.say(sock:send("x"))
                ngx.say(sock:receive())
                assert(sock:connect("127.0.0.1", ngx.var.server_port))
                sock:send("GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                ngx.say(sock:receive("10"))
            } }
            location /x { return 200 "hello"; }`,
			reqs: []confReq{{path: "/t", want: 200, wantBody: "nilclosed\nnilclosed\nHTTP/1.1 2\n"}},
			logs: []string{`\[error\] \d+#\d+: \*\d+ attempt to send data on a closed socket: u:[0-9A-F]{16}, c:0000000000000000, ft:\d+ eof:\d+, client`,
				`\[error\] \d+#\d+: \*\d+ attempt to receive data on a closed socket: u:[0-9A-F]{16}, c:0000000000000000, ft:\d+ eof:\d+, client`},
		},
		{
			// 106-timer TEST 23: lua_max_pending_timers
			name: "lua_max_pending_timers",
			http: "lua_max_pending_timers 1;",
			location: `location /t { content_by_lua_block {
                local ok, err = ngx.timer.at(0.01, function() end)
                ngx.say(ok, " ", err)
                ok, err = ngx.timer.at(0.01, function() end)
                ngx.say(ok, " ", err)
            } }`,
			reqs: []confReq{{path: "/t", want: 200, wantBody: "1 nil\nnil too many pending timers\n"}},
		},
		{
			// 034-match TEST 3: nginx starts; the first request that runs the chunk fails
			name: "inline chunk with a bad escape fails at request time",
			location: `location /re { content_by_lua '
                local m = ngx.re.match("hello, 1234", "(\\d+)")
                ngx.say(m[0])
            '; }
            location /ok { content_by_lua_block { ngx.say("ok") } }
            location /set { set_by_lua $x 'return "\\q"'; content_by_lua_block { ngx.say(ngx.var.x) } }`,
			reqs: []confReq{{path: "/re", want: 500, wantBody: "500 Internal Server Error"},
				{path: "/ok", want: 200, wantBody: "ok"}, {path: "/set", want: 500}},
			logs: []string{
				`\[error\] \d+#\d+: \*\d+ failed to load inlined Lua code: content_by_lua\(nginx.conf:\d+\):2: invalid escape sequence near '"\(', client: 127.0.0.1, server: , request: "GET /re HTTP/1.1"`,
				`\[error\] \d+#\d+: \*\d+ failed to load inlined Lua code: set_by_lua\(nginx.conf:\d+\):1: invalid escape sequence near '"', client: 127.0.0.1`,
			},
		},
		{
			// 034-match TEST 27, 003-errors TEST 2-3: a handler file that does not compile fails
			// at request time (nginx starts); set_by_lua's arguments are expanded
			name: "handler file with a syntax error; set_by_lua arguments",
			location: `location /re { content_by_lua_file html/bad.lua; }
            location /ok { content_by_lua_block { ngx.say("ok") } }
            location /set { set $res '[{"a":32}]'; set_by_lua_file $list html/arg.lua $res; content_by_lua_block { ngx.say(ngx.var.list) } }
            location /set2 { set $v abc; set_by_lua $x 'return ngx.arg[1] .. "|" .. ngx.arg[2]' $v ${v}d; content_by_lua_block { ngx.say(ngx.var.x) } }`,
			files: map[string]string{"html/bad.lua": "local m = ngx.re.match(\"x\", \"(\\s+)\")\n", "html/arg.lua": "return ngx.arg[1]\n"},
			reqs: []confReq{{path: "/re", want: 500, wantBody: "500 Internal Server Error"}, {path: "/ok", want: 200, wantBody: "ok"},
				{path: "/set", want: 200, wantBody: "[{\"a\":32}]\n"}, {path: "/set2", want: 200, wantBody: "abc|abcd\n"}},
			logs: []string{`\[error\] \d+#\d+: \*\d+ failed to load external Lua file "\S*/html/bad.lua": \S*/html/bad.lua:1: invalid escape sequence near '"\(', client: 127.0.0.1`},
		},
		{
			// 030-uri-args TEST 34-38, 028-req-header TEST 19, 009-log TEST 15: the debug lines of
			// a truncated get_uri_args (cycle log) / get_headers (request log); ngx.log's
			// argument number counts from the message
			name:  "truncation debug lines, ngx.log of a plain table",
			debug: true,
			location: `location /args { content_by_lua_block { local a, e = ngx.req.get_uri_args(2) local h, e2 = ngx.req.get_headers(2) ngx.say(e, " ", e2) } }
            location /log { content_by_lua_block { ngx.log(ngx.ERR, {}) ngx.say("done") } }`,
			reqs: []confReq{{path: "/args?a=1&b=2&c=3", want: 200, wantBody: "truncated truncated\n"}, {path: "/log", want: 500}},
			logs: []string{`\[debug\] \d+#\d+: lua hit query args limit 2\n`,
				`\[debug\] \d+#\d+: \*\d+ lua exceeding request header limit \d+ > 2\n`,
				`bad argument #1 to 'log' \(expected table to have __tostring metamethod\)`},
		},
		{
			// 127-uthread-kill TEST 1: killing a sleeping thread cleans its sleep up (debug line)
			name:  "kill a pending sleep",
			debug: true,
			location: `location /k { content_by_lua_block {
                local t = ngx.thread.spawn(function() ngx.sleep(1) end)
                ngx.say(ngx.thread.kill(t)) } }`,
			reqs: []confReq{{path: "/k", want: 200, wantBody: "1\n"}},
			logs: []string{`\[debug\] \d+#\d+: \*\d+ lua clean up the timer for pending ngx.sleep\n`},
		},
		{
			// 077-sleep TEST 1, 2: the delay in whole milliseconds, luaL_checknumber's wording
			name:  "ngx.sleep",
			debug: true,
			location: `location /s { content_by_lua_block { ngx.sleep(0.0205) ngx.say("ok") } }
            location /a { content_by_lua_block { ngx.sleep("a") } }
            location /n { content_by_lua_block { ngx.sleep(-1) } }
            location /c { content_by_lua_block { ngx.sleep(1, 2) } }
            location /p { content_by_lua_block { ngx.say(pcall(ngx.sleep, "x")) ngx.say(pcall(ngx.sleep, -2.5)) } }`,
			reqs: []confReq{{path: "/s?x=1", want: 200, wantBody: "ok"}, {path: "/a", want: 500}, {path: "/n", want: 500},
				{path: "/c", want: 500},
				{path: "/p", want: 200, wantBody: "falsebad argument #1 to '?' (number expected, got string)\nfalseinvalid sleep duration \"-2500\"\n"}},
			logs: []string{
				`\[debug\] \d+#\d+: \*\d+ lua ready to sleep for 20 ms\n`,
				`\[debug\] \d+#\d+: \*\d+ lua sleep timer expired: "/s\?x=1"\n`,
				`content_by_lua\(nginx.conf:\d+\):1: bad argument #1 to 'sleep' \(number expected, got string\)`,
				`content_by_lua\(nginx.conf:\d+\):1: invalid sleep duration "-1000"`,
				`content_by_lua\(nginx.conf:\d+\):1: attempt to pass 2 arguments, but accepted 1`,
			},
		},
		{
			// 002-content TEST 1, 106-timer TEST 1: the entry-thread cache's debug lines, a timer's
			// log context (client, listening address, no request line)
			name:  "thread cache and timer debug lines",
			debug: true,
			location: `location /t { content_by_lua_block {
                ngx.timer.at(0, function() ngx.log(ngx.NOTICE, "in timer") end) ngx.say("ok") } }`,
			reqs: []confReq{{path: "/t", want: 200, wantBody: "ok"}},
			logs: []string{
				`\[debug\] \d+#\d+: lua ref lua thread [0-9A-F]{16} \(ref 1\)\n` +
					`.*\[debug\] \d+#\d+: lua ref lua thread [0-9A-F]{16} \(ref 2\)\n` +
					`.*\[debug\] \d+#\d+: \*1 lua caching unused lua thread [0-9A-F]{16} \(ref 1\)\n`,
				`\[debug\] \d+#\d+: lua ngx.timer expired\n`,
				`\[notice\] \d+#\d+: \*1 \[lua\] content_by_lua\(nginx.conf:\d+\):2: in timer, context: ngx.timer, client: 127.0.0.1, server: 127.0.0.1:0\n`,
				`\*1 lua caching unused lua thread [0-9A-F]{16} \(ref 2\)\n.*\*1 http lua close fake http connection [0-9A-F]{16}\n`,
			},
		},
		{
			// 045-ngx-var TEST 2: $args has a set handler; nil makes it not found
			name: "ngx.var.args",
			location: `location /a { content_by_lua_block {
                ngx.say("old: ", ngx.var.args) ngx.var.args = nil ngx.say("new: ", ngx.var.args, " ", ngx.var.arg_hello)
                ngx.var.args = "a=1" ngx.say(ngx.var.args, " ", ngx.var.arg_a, " ", ngx.var.request_uri) } }`,
			reqs: []confReq{{path: "/a?hello=world", want: 200, wantBody: "old: hello=world\nnew: nil nil\na=1 1 /a?hello=world\n"}},
		},
		{
			// 002-content TEST 15: add_header sees a "set" variable Lua changed
			name: "add_header after ngx.var",
			location: `location /set { set $a ""; content_by_lua 'ngx.var.a = 32; ngx.say(ngx.var.a)'; add_header Foo $a; }
            location /nil { set $a "x"; content_by_lua 'ngx.var.a = nil; ngx.say(ngx.var.a)'; add_header Foo "[$a]"; }`,
			reqs: []confReq{{path: "/set", want: 200, wantBody: "32\n", wantHeader: "Foo: 32"},
				{path: "/nil", want: 200, wantBody: "nil\n", wantHeader: "Foo: []"}},
		},
		{
			// 045-ngx-var TEST 6, 7 (the Referer cases are in TestInvalidReferer)
			name: "valid_referers",
			location: `location /r { valid_referers www.foo.com; add_header X-Inv "[$invalid_referer]";
                content_by_lua_block { ngx.say("[", ngx.var.invalid_referer, "]") } }
            location /n { content_by_lua_block { ngx.say("[", ngx.var.invalid_referer, "]") } }`,
			reqs: []confReq{{path: "/r", want: 200, wantBody: "[1]\n", wantHeader: "X-Inv: [1]"},
				{path: "/n", want: 200, wantBody: "[]\n"}},
		},
		{
			// 033-ctx TEST 6, 009-log TEST 18-19: header_filter_by_lua* on Lua's output and on a
			// static file's; what it may not do; a failing filter closes the connection
			name: "header_filter_by_lua",
			location: `location /lua { content_by_lua 'ngx.ctx.foo = 32; ngx.say(ngx.ctx.foo)';
                header_filter_by_lua 'ngx.header.blah = ngx.ctx.foo + 1 print("phase ", ngx.get_phase(), " ", ngx.status)'; }
            location /st { content_by_lua_block { ngx.say("x") } header_filter_by_lua_block { ngx.status = 201 } }
            location /say { content_by_lua_block { ngx.say("x") } header_filter_by_lua_block {
                ngx.header.a = tostring(pcall(ngx.say, "y")) ngx.header.b = select(2, pcall(ngx.sleep, 0.1)) } }
            location /f.txt { root html; header_filter_by_lua_block { ngx.header.foo = 32 ngx.header.content_type = "text/x" } }`,
			files: map[string]string{"html/f.txt": "hi\n"},
			reqs: []confReq{{path: "/lua", want: 200, wantBody: "32\n", wantHeader: "blah: 33"},
				{path: "/st", want: 201, wantBody: "x\n"},
				{path: "/say", want: 200, wantHeader: "b: API disabled in the context of header_filter_by_lua*"},
				{path: "/f.txt", want: 200, wantBody: "hi\n", wantHeader: "Content-Type: text/x"},
				{path: "/f.txt", want: 200, wantHeader: "Foo: 32"}},
			logs: []string{`\[notice\] .* \[lua\] header_filter_by_lua\(nginx.conf:\d+\):1: phase header_filter 200, client`},
		},
		{
			// 098-uthread-wait TEST 1: an ended light thread not waited for is a "zombie"
			name: "coroutine.status of light threads",
			location: `location /z { content_by_lua_block {
                local t = ngx.thread.spawn(function() ngx.say("in ", coroutine.status(coroutine.running())) return "done" end)
                ngx.say("created: ", coroutine.status(t))
                local ok, res = ngx.thread.wait(t)
                ngx.say(res, " ", coroutine.status(t))
                local s = ngx.thread.spawn(function() ngx.sleep(0.01) end)
                ngx.say("sleeping: ", coroutine.status(s)) } }`,
			reqs: []confReq{{path: "/z", want: 200, wantBody: "in running\ncreated: zombie\ndone dead\nsleeping: running\n"}},
		},
		{
			// 107-timer-errors: request APIs in a timer fail with the caller's position
			name: "API disabled in a timer",
			location: `location /t { content_by_lua_block {
                ngx.timer.at(0, function()
                    local ok, err = pcall(function() return ngx.var.uri end)
                    ngx.log(ngx.ERR, "var: ", err)
                    ngx.log(ngx.ERR, "status: ", select(2, pcall(function() return ngx.status end)))
                    ngx.log(ngx.ERR, "read_body: ", select(2, pcall(ngx.req.read_body)))
                    ngx.log(ngx.ERR, "exec: ", select(2, pcall(function() ngx.exec("/x") end)))
                    ngx.log(ngx.ERR, "capture: ", select(2, pcall(function() ngx.location.capture("/x") end)))
                    ngx.say("x")
                end)
                ngx.sleep(0.05) ngx.say("ok") } }`,
			reqs: []confReq{{path: "/t", want: 200, wantBody: "ok\n"}},
			logs: []string{`var: content_by_lua\(nginx.conf:\d+\):3: API disabled in the current context, context: ngx.timer`,
				`status: content_by_lua\(nginx.conf:\d+\):5: API disabled in the current context, context`,
				`read_body: API disabled in the context of ngx.timer, context`,
				`exec: content_by_lua\(nginx.conf:\d+\):7: API disabled in the context of ngx.timer, context`,
				`capture: content_by_lua\(nginx.conf:\d+\):8: API disabled in the context of ngx.timer, context`,
				`lua entry thread aborted: runtime error: content_by_lua\(nginx.conf:\d+\):9: API disabled in the context of ngx.timer`},
		},
		{
			// 077-sleep TEST 10: ngx.sleep only where lua-nginx-module may yield
			name: "ngx.sleep in log_by_lua and set_by_lua",
			// 075-logby TEST 9, 12-27: the output, exit, body and socket APIs are disabled in
			// log_by_lua*, whose error is "failed to run log_by_lua*"
			location: `location /t { set_by_lua $x 'return select(2, pcall(ngx.sleep, 0.01))';
                content_by_lua_block { ngx.say(ngx.var.x) } log_by_lua 'ngx.sleep(0.1)'; }
            location /l { content_by_lua_block { ngx.say("ok") } log_by_lua_block {
                for _, f in ipairs({ ngx.say, ngx.flush, ngx.eof, ngx.send_headers, ngx.req.read_body, ngx.req.socket, ngx.socket.tcp }) do
                    ngx.log(ngx.ERR, "log phase: ", select(2, pcall(f, "x")))
                end
                ngx.exit(200) } }`,
			reqs: []confReq{{path: "/t", want: 200, wantBody: "API disabled in the context of set_by_lua*\n"}, {path: "/l", want: 200, wantBody: "ok\n"}},
			logs: []string{`failed to run log_by_lua\*: log_by_lua\(nginx.conf:\d+\):1: API disabled in the context of log_by_lua\*\nstack traceback:`,
				`(?s)(log phase: API disabled in the context of log_by_lua\*, client.*){7}`,
				`failed to run log_by_lua\*: log_by_lua\(nginx.conf:\d+\):5: API disabled in the context of log_by_lua\*`},
		},
		{
			// 091-coroutine TEST 32-34, 44: an error in a coroutine.wrap coroutine ends the
			// light thread that called it (no pcall catches it), with the coroutine's own
			// message and every coroutine's frames; header_filter_by_lua* has LuaJIT's wrap
			name: "coroutine.wrap errors",
			location: `location /w { content_by_lua_block {
                local co1 = coroutine.wrap(function() error("bad in co1") end)
                local co2 = coroutine.wrap(function() co1() end)
                print(pcall(co2))
                ngx.say("not reached") } }
            location /l { content_by_lua_block {
                local co = coroutine.wrap(function() error("level 2", 2) end)
                co() } }
            location /h { content_by_lua_block { ngx.say("ok") } header_filter_by_lua_block {
                local co = coroutine.wrap(function() error("in filter") end)
                ngx.header.x = select(2, pcall(co)) } }`,
			reqs: []confReq{{path: "/w", want: 500}, {path: "/l", want: 500}, {path: "/h", want: 200, wantHeader: "X: header_filter_by_lua(nginx.conf:14):2: in filter"}},
			logs: []string{`lua entry thread aborted: runtime error: content_by_lua\(nginx.conf:\d+\):2: bad in co1\nstack traceback:\ncoroutine 0:\n\t\[C\]: in function 'error'\n\tcontent_by_lua\(nginx.conf:\d+\):2: in function <content_by_lua\(nginx.conf:\d+\):2>\ncoroutine 1:\n\t\[C\]: in function 'co1'\n.*\ncoroutine 2:\n`,
				`lua entry thread aborted: runtime error: level 2\n`},
			nologs: []string{`not reached`},
		},
		{
			// 077-sleep TEST 11-12: LuaJIT cannot yield across require or an xpcall handler
			name:  "yield across a C call",
			debug: true,
			location: `location /r { content_by_lua_block { package.loaded.foosleep = nil require "foosleep" } }
            location /x { content_by_lua_block {
                print(xpcall(function() error(1) end, function() ngx.sleep(0.001) end))
                local co = coroutine.create(function() require "fooyield" end)
                print("resume: ", select(2, coroutine.resume(co)))
                ngx.say("ok") } }`,
			files: map[string]string{"html/foosleep.lua": "ngx.sleep(0.001)\n", "html/fooyield.lua": "coroutine.yield(1)\n"},
			reqs:  []confReq{{path: "/r", want: 500}, {path: "/x", want: 200, wantBody: "ok\n"}},
			logs: []string{`lua entry thread aborted: runtime error: attempt to yield across C-call boundary\nstack traceback:`,
				`lua clean up the timer for pending ngx.sleep`,
				`\[lua\] content_by_lua\(nginx.conf:\d+\):2: falseerror in error handling, client`,
				`\[lua\] content_by_lua\(nginx.conf:\d+\):4: resume: attempt to yield across C-call boundary`},
		},
		{
			// 033-ctx TEST 14, 075-logby TEST 4-8: a request that used ngx.ctx releases its ref
			name:     "ngx.ctx release debug line",
			debug:    true,
			location: `location /c { content_by_lua_block { ngx.ctx.a = 1 ngx.say(ngx.ctx.a) } log_by_lua_block { ngx.log(ngx.WARN, "ctx ", ngx.ctx.a) } }`,
			reqs:     []confReq{{path: "/c", want: 200, wantBody: "1\n"}, {path: "/c", want: 200}},
			logs:     []string{`(?s)\[lua\] log_by_lua\(nginx.conf:\d+\):1: ctx 1.*\[debug\] \d+#\d+: \*1 lua release ngx.ctx at ref 1\n.*\*2 lua release ngx.ctx at ref 1\n`},
		},
		{
			// 030-uri-args TEST 12, 20, 24, 075-logby TEST 22, 29: set_uri's jump names the
			// phase it is refused in and logs its debug line; a missing log_by_lua_file is
			// logged, the response stays
			name:  "set_uri jump, log_by_lua_file",
			debug: true,
			location: `location /a { access_by_lua_block { ngx.say("err: ", select(2, pcall(ngx.req.set_uri, "/b", true))) } }
            location /s { set_by_lua $x 'return select(2, pcall(ngx.req.set_uri, "/b", true))'; content_by_lua_block { ngx.say(ngx.var.x) } }
            location /r { rewrite_by_lua_block { ngx.req.set_uri("/b", true) } }
            location /b { content_by_lua_block { ngx.say("at b") } }
            location /l { content_by_lua_block { ngx.say("ok") } log_by_lua_file html/nope.lua; }`,
			reqs: []confReq{{path: "/a", want: 200, wantBody: "err: API disabled in the context of access_by_lua*\n"},
				{path: "/s", want: 200, wantBody: "API disabled in the context of set_by_lua*\n"},
				{path: "/r", want: 200, wantBody: "at b\n"}, {path: "/l", want: 200, wantBody: "ok\n"}},
			logs: []string{`\[debug\] \d+#\d+: \*3 lua set uri jump to "/b"\n`,
				`\[error\] \d+#\d+: \*4 failed to load external Lua file "\S*html/nope.lua": cannot open \S*html/nope.lua: No such file or directory, client`},
		},
		{
			// 005-exit TEST 3: ngx.exit(404) after the header went out
			name:     "ngx.exit after the header",
			location: `location /lua { content_by_lua "ngx.say('hi');ngx.exit(404);ngx.say(', you')"; }`,
			reqs:     []confReq{{path: "/lua", want: 200, wantBody: "hi\n"}},
			logs:     []string{`\[error\] .*attempt to set status 404 via ngx.exit after sending out the response status 200, client`},
		},
		{
			// 067-req-socket TEST 11: no request body, no body socket
			name:     "ngx.req.socket without a body",
			location: `location /t { content_by_lua_block { local sock, err = ngx.req.socket() ngx.say(tostring(sock), " ", err) } }`,
			reqs:     []confReq{{path: "/t", want: 200, wantBody: "nil no body\n"}},
		},
		{
			// 068-socket-keepalive TEST 3, 4, 7: nginx's response head (Server without the
			// version under server_tokens off, "Connection: keep-alive"), the server's own
			// keepalive_timeout closing the pooled connection, and the pool's close handler
			// noticing it at once; lua_socket_keepalive_timeout 0 is unlimited
			name:  "keepalive pool close handler",
			debug: true,
			location: `server_tokens off;
            keepalive_timeout 100ms;
            location /t {
                lua_socket_keepalive_timeout 0;
                content_by_lua_block {
                local sock = ngx.socket.tcp()
                assert(sock:connect("127.0.0.1", ngx.var.server_port))
                assert(sock:send("GET /foo HTTP/1.1\r\nHost: localhost\r\nConnection: keepalive\r\n\r\n"))
                local data = assert(sock:receiveuntil("\r\n0\r\n\r\n")())
                ngx.say("received response of ", #data, " bytes")
                assert(sock:setkeepalive())
                ngx.sleep(0.3)
                assert(sock:connect("127.0.0.1", ngx.var.server_port))
                assert(sock:send("GET /nope HTTP/1.1\r\nHost: localhost\r\n\r\n"))
                local head = assert(sock:receiveuntil("\r\n\r\n")())
                local page = assert(sock:receive(tonumber(head:match("Content%-Length: (%d+)"))))
                ngx.say(head:match("Server: [^\r]*"), " ", head:match("Connection: [^\r]*"), " ", page:match("<hr><center>[^<]*"))
            } }
            location /foo { content_by_lua_block { ngx.say("foo") } }`,
			reqs: []confReq{{path: "/t", want: 200, wantBody: "received response of 156 bytes\nServer: luaws Connection: keep-alive <hr><center>luaws\n"}},
			logs: []string{`\[debug\] \d+#\d+: \*\d+ lua tcp socket set keepalive: saving connection [0-9A-F]{16}\n`,
				`\[debug\] \d+#\d+: \*\d+ lua tcp socket connection pool size: 30, backlog: -1\n`,
				`\[debug\] \d+#\d+: \*\d+ lua tcp socket keepalive timeout: unlimited\n`,
				`\[debug\] \d+#\d+: lua tcp socket keepalive close handler: fd:\d+\n`,
				`\[debug\] \d+#\d+: lua tcp socket keepalive: free connection pool for "127.0.0.1:\d+"\n`},
			nologs: []string{`lua tcp socket pool get keepalive peer`}, // the pool was freed
		},
		{
			// 067-req-socket TEST 13-16, 18: a body read that timed out can be read again (the
			// bytes that came meanwhile are not lost), also after an HTTP/1.0 answer's head went
			// out (ngx.flush before ngx.req.socket); 066 TEST 10: a failed read closes only the
			// read side, close() then returns 1 (receiveuntil sizes: luabind's TestPartialMatch)
			name: "request socket rereads, read-closed sockets, receiveuntil sizes",
			location: `location /t { content_by_lua_block {
                local sock = ngx.socket.tcp()
                assert(sock:connect("127.0.0.1", ngx.var.server_port))
                assert(sock:send("POST /back HTTP/1.0\r\nHost: localhost\r\nContent-Length: 1024\r\n\r\nabc"))
                ngx.sleep(0.2)
                assert(sock:send("hello world"))
                assert(sock:receiveuntil("\r\n\r\n")())
                for i = 1, 3 do
                    local line, err, part = sock:receive()
                    ngx.say(line or (err .. " [" .. part .. "]"))
                end
                ngx.say("close: ", sock:close())
            } }
            location /back { content_by_lua_block {
                ngx.send_headers()
                ngx.flush(true)
                local sock = assert(ngx.req.socket())
                sock:settimeout(100)
                local data, err, partial = sock:receive(4096)
                ngx.say("err: ", err, ", partial: ", partial)
                ngx.sleep(0.1)
                ngx.say("received: ", sock:receive(11))
            } }`,
			reqs: []confReq{{path: "/t", want: 200, wantBody: "err: timeout, partial: abc\nreceived: hello world\nclosed []\nclose: 1\n"}},
			logs: []string{`\[error\] \d+#\d+: \*\d+ lua tcp socket read timed out`},
		},
		{
			// keepalive_timeout 0 turns keep-alive off: nginx answers "Connection: close"
			name: "keepalive_timeout 0",
			location: `keepalive_timeout 0;
            location /t { content_by_lua_block {
                local sock = ngx.socket.tcp()
                assert(sock:connect("127.0.0.1", ngx.var.server_port))
                assert(sock:send("GET /foo HTTP/1.1\r\nHost: localhost\r\n\r\n"))
                local head = assert(sock:receiveuntil("\r\n\r\n")())
                ngx.say(head:match("Connection: [^\r]*"), " ", head:match("Server: [^\r]*"))
            } }
            location /foo { content_by_lua_block { ngx.say("foo") } }`,
			reqs: []confReq{{path: "/t", want: 200, wantBody: "Connection: close Server: luaws/"}},
		},
		{
			// 068-socket-keepalive TEST 5, 8: a reused connection, then the pool's own timeout
			name:  "keepalive pool reuse and max idle timeout",
			debug: true,
			location: `location /t {
                lua_socket_keepalive_timeout 100ms;
                content_by_lua_block {
                local sock = ngx.socket.tcp()
                for i = 1, 2 do
                    assert(sock:connect("127.0.0.1", ngx.var.server_port))
                    assert(sock:send("GET /foo HTTP/1.1\r\nHost: localhost\r\n\r\n"))
                    assert(sock:receiveuntil("\r\n0\r\n\r\n")())
                    ngx.say("reused ", sock:getreusedtimes())
                    assert(sock:setkeepalive())
                end
                ngx.sleep(0.3)
            } }
            location /foo { content_by_lua_block { ngx.say("foo") } }`,
			reqs: []confReq{{path: "/t", want: 200, wantBody: "reused 0\nreused 1\n"}},
			logs: []string{`\[debug\] \d+#\d+: \*\d+ lua tcp socket keepalive timeout: 100 ms\n`,
				`\[debug\] \d+#\d+: \*\d+ lua tcp socket get keepalive peer: using connection [0-9A-F]{16}, fd:\d+\n`,
				`\[debug\] \d+#\d+: lua tcp socket keepalive max idle timeout\n`,
				`\[debug\] \d+#\d+: lua tcp socket keepalive: free connection pool for "127.0.0.1:\d+"\n`},
		},
		{
			// 122-worker TEST 4
			name: "ngx.worker.pids",
			location: `location /p { content_by_lua_block {
                local pids, pid = ngx.worker.pids(), ngx.worker.pid()
                local found = false
                for i = 1, ngx.worker.count() do found = found or pids[i] == pid end
                ngx.say(#pids == ngx.worker.count(), " ", found) } }`,
			reqs: []confReq{{path: "/p", want: 200, wantBody: "true true\n"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			level := errlog.Info
			if tt.debug {
				level = errlog.Debug
			}
			base, logs, _ := startConfLevel(t, "http {\n access_log off; "+tt.http+"\n lua_package_path \"$prefix/html/?.lua;;\";\n server {\n listen 127.0.0.1:0;\n"+tt.location+"\n }\n}\n", tt.files, level)
			runReqs(t, base, tt.reqs)
			checkLogs(t, logs, tt.logs, tt.nologs)
		})
	}
}

// An HTTP/1.0 answer of a Lua handler is buffered (lua_http10_buffering) and gets its
// Content-Length at the end; a HEAD gets its head without one (002-content TEST 32).
func TestHTTP10Buffering(t *testing.T) {
	base, _, _ := startConf(t, "http {\n access_log off;\n server {\n listen 127.0.0.1:0;\n"+
		"location /lua { content_by_lua_block { ngx.print(\"Hello, Lua!\\n\") } }\n }\n}\n", nil)
	addr := strings.TrimPrefix(base, "http://")
	tests := []struct {
		req        string
		has, hasnt []string
	}{
		{"GET /lua HTTP/1.0\r\n\r\n", []string{"HTTP/1.1 200 OK\r\n", "\r\nContent-Length: 12\r\n", "\r\n\r\nHello, Lua!\n"}, nil},
		{"HEAD /lua HTTP/1.0\r\n\r\n", []string{"HTTP/1.1 200 OK\r\n", "\r\nContent-Type: text/plain\r\n"}, []string{"Content-Length", "Hello"}},
	}
	for _, tt := range tests {
		got := rawExchange(t, addr, tt.req)
		for _, s := range tt.has {
			if !strings.Contains(got, s) {
				t.Errorf("%q: answer lacks %q:\n%s", tt.req, s, got)
			}
		}
		for _, s := range tt.hasnt {
			if strings.Contains(got, s) {
				t.Errorf("%q: answer has %q:\n%s", tt.req, s, got)
			}
		}
	}
}

// lua_need_request_body on reads the body before the first Lua phase, so that
// ngx.req.get_body_data() has it without ngx.req.read_body() (030-uri-args TEST 49);
// ngx.req.set_uri("") raises lua-nginx-module's bare message (030-uri-args TEST 16).
func TestNeedRequestBody(t *testing.T) {
	base, logs, _ := startConf(t, "http {\n access_log off;\n server {\n listen 127.0.0.1:0;\n"+
		"location /need { lua_need_request_body on; content_by_lua_block { ngx.say(ngx.req.get_body_data()) } }\n"+
		"location /lazy { content_by_lua_block { ngx.say(ngx.req.get_body_data()) } }\n"+
		"location /uri { rewrite_by_lua_block { local ok, err = pcall(ngx.req.set_uri, \"\") ngx.log(ngx.WARN, \"rewrite: err: \", err) }\n"+
		" content_by_lua_block { ngx.say(ngx.var.uri) } }\n }\n}\n", nil)
	for _, tt := range []struct{ path, want string }{{"/need", "a=1&b=2\n"}, {"/lazy", "nil\n"}, {"/uri", "/uri\n"}} {
		resp, err := http.Post(base+tt.path, "application/x-www-form-urlencoded", strings.NewReader("a=1&b=2"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != tt.want {
			t.Errorf("%s: body %q, want %q", tt.path, b, tt.want)
		}
	}
	checkLogs(t, logs, []string{`\[warn\] \d+#\d+: \*\d+ \[lua\] rewrite_by_lua\(nginx.conf:\d+\):1: rewrite: err: attempt to use zero-length uri, client`}, nil)
}
