package ngxre

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// The error-log line of each replacement template that does not compile, as Debian's nginx
// 1.22.1 + lua-nginx-module 0.10.23 wrote them for the same ngx.re.sub/gsub calls.
func TestTemplateErrorLog(t *testing.T) {
	tests := []struct{ tmpl, log string }{
		{"[$0] [$1] [$hello]", `attempt to use named capturing variable "hello" (named captures not supported yet)`},
		{"[${hello}]", `attempt to use named capturing variable "hello" (named captures not supported yet)`},
		{"$$ $a", `attempt to use named capturing variable "a" (named captures not supported yet)`},
		{"[${134]", `the closing bracket in "134" variable is missing`},
		{"[${134", `the closing bracket in "134" variable is missing`},
		{"${1a}", `the closing bracket in "1" variable is missing`},
		{"${-1}", `the closing bracket in "" variable is missing`},
		{"[$0] [${", `lua script: invalid capturing variable name found in "[$0] [${"`},
		{"[$", `lua script: invalid capturing variable name found in "[$"`},
		{"${}", `lua script: invalid capturing variable name found in "${}"`},
		{"$ ", `lua script: invalid capturing variable name found in "$ "`},
		{"${0}${", `lua script: invalid capturing variable name found in "${0}${"`},
		{"$1$2$$", ""}, // compiles
	}
	for _, tt := range tests {
		for _, fn := range []string{"sub", "gsub"} {
			var logged []string
			L := lua.NewState()
			ngx := L.NewTable()
			Register(L, ngx, func(msg string) { logged = append(logged, msg) })
			L.SetGlobal("ngx", ngx)
			L.SetGlobal("tmpl", lua.LString(tt.tmpl))
			err := L.DoString(`s, n, err = ngx.re.` + fn + `("b c d", "(b) (c)", tmpl)`)
			if err != nil {
				t.Fatal(err)
			}
			gotErr := L.GetGlobal("err").String()
			L.Close()
			if tt.log == "" {
				if len(logged) != 0 || gotErr != "nil" {
					t.Errorf("%s(%q): err %s, logged %q; want it compiled", fn, tt.tmpl, gotErr, logged)
				}
				continue
			}
			if gotErr != "failed to compile the replacement template" || strings.Join(logged, "\n") != tt.log {
				t.Errorf("%s(%q): err %q, logged %q; want %q", fn, tt.tmpl, gotErr, logged, tt.log)
			}
		}
	}
}
