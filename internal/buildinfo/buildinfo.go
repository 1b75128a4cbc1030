// Package buildinfo names luaws's version and what it was built with: the Server header and
// error-page signature (nginx's NGINX_VER), and `luaws --version`.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is luaws's own version.
const Version = "0.1.0"

// ServerToken is what luaws signs responses with, where nginx writes "nginx/1.22.1": the
// Server header and the last line of its error pages.
const ServerToken = "luaws/" + Version

// gopherLua is the module path of the Lua VM.
const gopherLua = "github.com/yuin/gopher-lua"

// Describe is the text of `luaws --version`: luaws's version, the Go toolchain that built the
// binary and the gopher-lua module inside it (from the binary's build information).
func Describe() string {
	lua := "unknown"
	goVer := runtime.Version()
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVer = bi.GoVersion
		for _, m := range bi.Deps {
			if m.Path == gopherLua {
				lua = m.Version
				if m.Replace != nil {
					lua = m.Replace.Version + " (replaced by " + m.Replace.Path + ")"
				}
			}
		}
	}
	return fmt.Sprintf("luaws %s\nbuilt with %s, %s/%s\nLua: %s %s (Lua 5.1, LuaJIT 2.1 compatible library)\n",
		Version, goVer, runtime.GOOS, runtime.GOARCH, gopherLua, lua)
}
