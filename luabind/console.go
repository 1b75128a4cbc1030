package luabind

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/luabind/luajit"

	"github.com/luaws/luaws/errlog"
)

// Console is a script run the way OpenResty's resty command (resty-cli) runs one: in a
// timer of a fresh worker ("ngx.timer" context: cosockets, ngx.sleep, ngx.thread, timers
// and shared dicts work), with ngx.say, ngx.print and print writing to standard output,
// ngx.exit and os.exit ending the process, and the global arg holding the arguments.
type Console struct {
	// Inline is the -e code (several -e and -l options joined by "; "), run first as the
	// chunk "=(command line -e)"; empty for none.
	Inline string
	// File is the Lua file run after Inline (chunk "@File"); empty for none.
	File string
	// Arg0 is arg[0]; Args are arg[1..n]; Self is the command's own path, stored at
	// arg[-SelfIndex].
	Arg0      string
	Args      []string
	Self      string
	SelfIndex int
	// Stderr receives "ERROR: ..." for an uncaught error (ngx.log goes to the host's log).
	Stderr io.Writer
}

// consoleSetupSrc turns a timer's ngx API into resty-cli's console one: output to
// io.stdout (each value flattened as resty-cli does: nil, booleans, ngx.null and nested
// arrays spelled out), print as ngx.say, ngx.exit as os.exit.
const consoleSetupSrc = `
local stdout, null, maxn, concat, tostring, type = io.stdout, ngx.null, table.maxn, table.concat, tostring, type
ngx.config.is_console = true
local function spell(list)
  local out = {}
  for i = 1, maxn(list) do
    local v = list[i]
    local t = type(v)
    if v == nil then out[i] = "nil"
    elseif t == "boolean" then out[i] = v and "true" or "false"
    elseif v == null then out[i] = "null"
    elseif t == "table" then out[i] = spell(v)
    elseif t == "string" then out[i] = v
    else out[i] = tostring(v) end
  end
  return concat(out)
end
local function write(...)
  return stdout:write(spell({...}))
end
ngx.orig_print, ngx.orig_say, ngx.orig_exit = ngx.print, ngx.say, ngx.exit
ngx.print = write
ngx.say = function(...)
  local ok, err = write(...)
  if ok then return write("\n") end
  return ok, err
end
print = ngx.say
ngx.flush = function() return stdout:flush() end
ngx.eof = function() return true end
ngx.exit = os.exit
`

var consoleSetupProto = func() *lua.FunctionProto {
	p, err := compile("=resty-cli", []byte(consoleSetupSrc))
	if err != nil {
		panic(err)
	}
	return p
}()

// consoleConnID is the "*N" of the console timer's log lines, as under resty-cli.
const consoleConnID = 2

// RunConsole runs c and returns the process's exit status: 0 when the script returns, the
// os.exit/ngx.exit code, or 1 after an uncaught error (printed as "ERROR: ..." with its
// traceback, as resty-cli does). It returns as soon as the script ends (like resty-cli,
// light threads and timers still pending then do not run on); the caller exits.
func (h *Host) RunConsole(c Console) int {
	stderr := c.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	done := make(chan int, 1)
	finish := func(code int) {
		select {
		case done <- code:
		default:
		}
	}
	var protos []*lua.FunctionProto
	var names []string
	if c.Inline != "" {
		p, err := compile("(command line -e)", []byte(c.Inline))
		if err != nil {
			fmt.Fprintf(stderr, "ERROR: %s: %s\n", consoleLoaderPos(c, false), strings.TrimSpace(err.Error()))
			return 1
		}
		protos, names = append(protos, p), append(names, "inline_gen")
	}
	if c.File != "" {
		src, err := os.ReadFile(c.File)
		if err != nil {
			fmt.Fprintf(stderr, "ERROR: %s: %s: %s\n", consoleLoaderPos(c, true), c.File, errnoText(err))
			return 1
		}
		p, err := compile(c.File, src)
		if err != nil {
			fmt.Fprintf(stderr, "ERROR: %s: %s\n", consoleLoaderPos(c, true), strings.TrimSpace(err.Error()))
			return 1
		}
		protos, names = append(protos, p), append(names, "file_gen")
	}
	r := &request{host: h, sc: h.scope(nil), start: time.Now(), phase: "timer",
		logc: errlog.Conn{ID: consoleConnID, Context: "ngx.timer"}}
	go func() {
		defer r.survive("console")
		failed, err := r.run(context.Background(), h.worker(), func(L *lua.LState) (*lua.LFunction, []lua.LValue) {
			return L.NewFunction(func(L *lua.LState) int {
				installConsole(L, c, finish)
				for i, p := range protos {
					fn := luajit.NewFunction(L, p)
					L.Push(fn)
					if err := L.PCall(0, 0, L.NewFunction(consoleTraceback(fn, names[i], consoleTail(c, names[i])))); err != nil {
						fmt.Fprintf(stderr, "ERROR: %s\n", consoleErrorText(err, names[i]))
						finish(1)
						return 0
					}
				}
				finish(0)
				return 0
			}), nil
		}, nil)
		if failed {
			fmt.Fprintf(stderr, "ERROR: %s\n", luaErrorText(err))
			finish(1)
		}
		finish(0)
	}()
	return <-done
}

// installConsole applies consoleSetupSrc, os.exit and arg to the console's state.
func installConsole(L *lua.LState, c Console, finish func(int)) {
	exit := L.NewFunction(func(L *lua.LState) int {
		code := 0
		switch v := L.Get(1).(type) {
		case lua.LBool:
			if !v {
				code = 1
			}
		case lua.LNumber:
			code = int(v)
		case *lua.LNilType:
		default:
			code = L.CheckInt(1)
		}
		finish(code)
		// The process ends now; this thread waits for it, holding the state.
		select {}
	})
	if os, ok := L.GetGlobal("os").(*lua.LTable); ok {
		os.RawSetString("exit", exit)
	}
	L.Push(luajit.NewFunction(L, consoleSetupProto))
	L.Call(0, 0)
	arg := L.CreateTable(len(c.Args), 2)
	arg.RawSetInt(0, lua.LString(c.Arg0))
	for i, a := range c.Args {
		arg.RawSetInt(i+1, lua.LString(a))
	}
	if c.Self != "" {
		arg.RawSetInt(-c.SelfIndex, lua.LString(c.Self))
	}
	L.G.Global.RawSetString("arg", arg)
}

// consoleTraceback is the console's error handler: the message and the stack under the
// function that raised it, then resty-cli's own loader frames, as resty-cli prints them.
func consoleTraceback(gen *lua.LFunction, genName string, tail []string) lua.LGFunction {
	return func(L *lua.LState) int {
		v := L.Get(1)
		if s, ok := v.(lua.LString); ok {
			v = lua.LString(luajit.TranslateError(L, string(s), 1))
		}
		switch v.(type) {
		case lua.LString, lua.LNumber:
		default:
			// resty-cli's handler gsubs the message: any other value fails in there
			L.Push(lua.LString("error in error handling"))
			return 1
		}
		var b strings.Builder
		b.WriteString(luaToString(v))
		b.WriteString("\nstack traceback:")
		// level 0 is this handler, 1 the function that raised (skipped, as level 3 of
		// resty-cli's debug.traceback skips error() itself)
		for level := 1; ; level++ {
			dbg, ok := L.GetStack(level)
			if !ok {
				break
			}
			fn, err := L.GetInfo("Slnf", dbg, lua.LNil)
			if err != nil {
				break
			}
			if level == 1 {
				if fn == gen {
					for _, t := range tail {
						b.WriteString("\n\t")
						b.WriteString(t)
					}
					break
				}
				continue
			}
			b.WriteString("\n\t")
			if fn == gen {
				fmt.Fprintf(&b, "%s:%d: in function '%s'", displaySource(dbg.Source), dbg.CurrentLine, genName)
				for _, t := range tail {
					b.WriteString("\n\t")
					b.WriteString(t)
				}
				break
			}
			if dbg.What == "G" {
				b.WriteString("[C]: ")
			} else {
				fmt.Fprintf(&b, "%s:%d: ", displaySource(dbg.Source), dbg.CurrentLine)
			}
			switch {
			case dbg.Name != "" && dbg.Name[0] != '(' && dbg.Name[0] != '<':
				fmt.Fprintf(&b, "in function '%s'", dbg.Name)
			case dbg.What == "G":
				b.WriteString("in function <?>")
			default:
				fmt.Fprintf(&b, "in function <%s:%d>", displaySource(dbg.Source), dbg.LineDefined)
			}
		}
		L.Push(lua.LString(b.String()))
		return 1
	}
}

// displaySource is a chunk name as positions show it: "@file" is file, "=name" is name.
func displaySource(src string) string {
	if src != "" && (src[0] == '@' || src[0] == '=') {
		return src[1:]
	}
	return src
}

func consoleErrorText(err error, _ string) string {
	if ae, ok := err.(*lua.ApiError); ok {
		return strings.TrimRight(luaToString(ae.Object), "\n")
	}
	return err.Error()
}

// consoleTail is the loader's part of a traceback, as resty-cli's generated nginx.conf
// numbers it (the numbers depend on its layout; scripts only see their shape).
func consoleTail(c Console, genName string) []string {
	def := 43 + len(c.Args) // the line of resty-cli's "gen = function()"
	if c.Inline != "" && c.File != "" {
		def += 4
	}
	at := def + 1
	if genName == "file_gen" {
		at++
	}
	const ch = "init_worker_by_lua(nginx.conf:133)"
	return []string{
		fmt.Sprintf("%s:%d: in function <%s:%d>", ch, at, ch, def),
		"[C]: in function 'xpcall'",
		fmt.Sprintf("%s:%d: in function <%s:%d>", ch, def+9, ch, def+7),
	}
}

// consoleLoaderPos is where resty-cli's generated loader reports a chunk that does not
// load (its init_worker_by_lua block): only the shape matters to scripts.
func consoleLoaderPos(c Console, file bool) string {
	line := 39
	if file {
		line = 39
		if c.Inline != "" {
			line = 43
		}
	}
	return fmt.Sprintf("init_worker_by_lua(nginx.conf:133):%d", line+len(c.Args))
}

func errnoText(err error) string {
	if os.IsNotExist(err) {
		return "No such file or directory"
	}
	if os.IsPermission(err) {
		return "Permission denied"
	}
	return err.Error()
}
