package server

import (
	"regexp"
	"testing"
	"time"
)

// Behaviours lua-nginx-module's own Test::Nginx suite pins (docs/lua-nginx-module-suite.md),
// each checked against Debian's nginx 1.22.1 + lua-nginx-module 0.10.23 on the same config.
func TestLuaNginxModuleSuiteBehaviours(t *testing.T) {
	tests := []struct {
		name     string
		location string // one or more location blocks
		reqs     []confReq
		logs     []string // regexps the error log must match, in any order
	}{
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, logs, _ := startConf(t, "http {\n access_log off;\n server {\n listen 127.0.0.1:0;\n"+tt.location+"\n }\n}\n", nil)
			runReqs(t, base, tt.reqs)
			for _, want := range tt.logs {
				re := regexp.MustCompile(want)
				ok := false
				for i := 0; i < 100 && !ok; i++ {
					if ok = re.MatchString(logs.String()); !ok {
						time.Sleep(20 * time.Millisecond)
					}
				}
				if !ok {
					t.Errorf("error log has no line matching %s:\n%s", want, logs.String())
				}
			}
		})
	}
}
