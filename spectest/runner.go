// Package spectest runs busted-style Lua specs (`luaws test`): describe/it blocks, luassert's
// assertions, spies and stubs, written in Lua (lua/*.lua, embedded) and run by luaws's own Lua
// host. Each spec file runs in a fresh state outside of any request, as an ngx.timer callback
// would: cosockets, resty.websocket.client, light threads and ngx.sleep work, and
// luaws.serve{...} starts handlers on a free loopback port to test them live.
package spectest

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind"
	"github.com/luaws/luaws/luabind/luajit"
)

// Status is the outcome of one test (or of a block's hook, or of loading a file).
type Status string

// The outcomes busted counts.
const (
	Success Status = "success"
	Failure Status = "failure" // an assertion failed
	Error   Status = "error"   // anything else went wrong: a Lua error, a timeout
	Pending Status = "pending"
)

// Result is one reported element: a test, or a failed hook or file.
type Result struct {
	Status   Status
	Name     string // describe names and the it name, joined by spaces
	File     string
	Line     int
	Message  string // "file:line: message" for failures and errors
	Trace    string // the Lua traceback, framework frames removed
	Duration time.Duration
	// Log holds, for a failure or an error, the error-log lines written while the test ran:
	// the spec's own (ngx.log, at --log-level) and those at warn or worse of the servers it
	// started (a handler's "lua entry thread aborted: ..."). They are also in Message.
	Log []string
}

// Summary is the outcome of a run.
type Summary struct {
	Successes, Failures, Errors, Pending int
	Duration                             time.Duration
	Results                              []Result
	Files                                []string
	Seed                                 uint64
}

// OK reports whether nothing failed.
func (s *Summary) OK() bool { return s.Failures == 0 && s.Errors == 0 }

// Options configure a run.
type Options struct {
	Paths       []string // files and directories; default "spec"
	Pattern     string   // a directory's spec files have names containing it and ending .lua
	Filters     []string // Lua patterns: run only tests whose full name matches one of them
	FiltersOut  []string // Lua patterns: skip tests whose full name matches one of them
	Tags        []string // run only tests tagged with one of these ("#tag" in a name)
	ExcludeTags []string // skip tests tagged with one of these
	List        bool     // list the tests ("file:line: name") instead of running them
	Shuffle     bool     // run files and tests in a random order
	Seed        uint64   // the order's seed (with Shuffle; 0 picks one)
	Output      string   // utfTerminal (default), plainTerminal, TAP or junit
	NoColor     bool     // utfTerminal without ANSI colours (stdout is not a terminal, --no-color)
	Timeout     time.Duration
	LuaPath     string // lua_package_path of the spec states and of luaws.serve's servers
	LogLevel    int    // level of the spec states' own error log (ngx.log), written to Stderr
	Stdout      io.Writer
	Stderr      io.Writer
}

// Formats are the -o values.
var Formats = []string{"utfTerminal", "plainTerminal", "TAP", "junit"}

//go:embed lua/*.lua
var luaFS embed.FS

// framework is the Lua side, compiled once per process.
var framework = sync.OnceValues(func() (map[string]*lua.FunctionProto, error) {
	mods := map[string]*lua.FunctionProto{}
	entries, err := fs.ReadDir(luaFS, "lua")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		src, err := fs.ReadFile(luaFS, "lua/"+e.Name())
		if err != nil {
			return nil, err
		}
		// The chunk name marks framework frames, which tracebacks and positions skip.
		name := "[spectest]/" + e.Name()
		chunk, err := parse.Parse(strings.NewReader(string(src)), name)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		proto, err := lua.Compile(chunk, name)
		if err != nil {
			return nil, fmt.Errorf("compile %s: %w", name, err)
		}
		mods["luaws.spec."+strings.TrimSuffix(e.Name(), ".lua")] = proto
	}
	return mods, nil
})

const driver = `
local core = require "luaws.spec.core"
local fake = require "luaws.spec.fakesock"
local luaws = require "luaws.spec.luaws"
luaws.fake_socket, luaws.hex, luaws.tohex = fake.fake_socket, fake.hex, fake.tohex
core.install(luaws)
core.run()
`

// Find lists the spec files under paths: files given by name, and files under directories
// whose names contain pattern and end with ".lua", sorted.
func Find(paths []string, pattern string) ([]string, error) {
	if len(paths) == 0 {
		paths = []string{"spec"}
	}
	if pattern == "" {
		pattern = "_spec"
	}
	var files []string
	seen := map[string]bool{}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("spec path: %w", err)
		}
		if !st.IsDir() {
			if !seen[p] {
				seen[p] = true
				files = append(files, p)
			}
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if !d.IsDir() && strings.HasSuffix(name, ".lua") && strings.Contains(name, pattern) && !seen[path] {
				seen[path] = true
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("walk %s: %w", p, err)
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, nil
}

// Run runs (or lists) the specs and writes the report in the chosen format.
func Run(ctx context.Context, o Options) (*Summary, error) {
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.LogLevel == 0 {
		o.LogLevel = errlog.Err
	}
	rep, err := newReporter(o.Output, o.Stdout, !o.NoColor)
	if err != nil {
		return nil, err
	}
	if o.List {
		rep = &terminal{w: o.Stdout} // --list prints "file:line: name" lines whatever the format
	}
	if _, err := framework(); err != nil {
		return nil, fmt.Errorf("spec framework: %w", err)
	}
	files, err := Find(o.Paths, o.Pattern)
	if err != nil {
		return nil, err
	}
	sum := &Summary{Files: files}
	if o.Shuffle {
		if o.Seed == 0 {
			o.Seed = uint64(time.Now().UnixNano())
		}
		sum.Seed = o.Seed
		fmt.Fprintf(o.Stderr, "luaws test: shuffled with --seed %d\n", o.Seed)
		r := rand.New(rand.NewPCG(o.Seed, 0))
		r.Shuffle(len(files), func(i, j int) { files[i], files[j] = files[j], files[i] })
	}
	start := time.Now()
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fr := &fileRun{opts: &o, file: f, rep: rep, sum: sum}
		fr.run(ctx)
	}
	sum.Duration = time.Since(start)
	if o.List {
		return sum, nil
	}
	rep.end(sum)
	return sum, nil
}

// fileRun is one spec file's run in its own Lua state.
type fileRun struct {
	opts *Options
	file string
	rep  reporter
	sum  *Summary
	rnd  *rand.Rand

	mu      sync.Mutex
	servers []*specServer
	specLog *lockedBuffer // the spec state's own error log
	logMark int           // how much of specLog was seen (mu)

	// the watchdog ends the whole file if a test keeps the CPU past its timeout (a busy loop
	// never lets the Lua-level timer thread run)
	wmu      sync.Mutex
	watch    *time.Timer
	current  string
	curFile  string
	curLine  int
	hung     bool
	cancelFn context.CancelFunc
}

// watchdogGrace is how long past --timeout the Go side waits before ending a file whose test
// does not let the Lua-level timeout fire.
const watchdogGrace = 2 * time.Second

func (fr *fileRun) run(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fr.cancelFn = cancel
	h := fnv.New64a()
	h.Write([]byte(fr.file))
	fr.rnd = rand.New(rand.NewPCG(fr.opts.Seed, h.Sum64()))

	fr.specLog = &lockedBuffer{}
	host, err := luabind.NewHost(luabind.Config{
		LuaPath: fr.opts.LuaPath,
		Log:     errlog.New(fr.specLog, fr.opts.LogLevel),
	})
	if err != nil {
		fr.report(Result{Status: Error, Name: fr.file, File: fr.file, Message: err.Error()})
		return
	}
	fr.rep.fileStart(fr.file)
	err = host.RunChunk(ctx, "=(luaws test)", []byte(driver), fr.setup)
	fr.stopWatch()
	fr.stopServers()
	fr.wmu.Lock()
	hung := fr.hung
	fr.wmu.Unlock()
	switch {
	case hung:
		fr.report(Result{
			Status: Error, Name: fr.current, File: fr.curFile, Line: fr.curLine,
			Message: fmt.Sprintf("%s:%d: timed out after %s (--timeout) without yielding; the rest of %s was not run",
				fr.curFile, fr.curLine, fr.opts.Timeout, fr.file),
		})
	case err != nil && !errors.Is(ctx.Err(), context.Canceled):
		fr.report(Result{Status: Error, Name: fr.file, File: fr.file, Message: err.Error()})
	case err != nil:
		// interrupted
	}
	fr.rep.fileEnd(fr.file)
}

func (fr *fileRun) report(r Result) {
	logs := fr.takeLogs()
	if r.Status == Failure || r.Status == Error {
		r.Log = logs
		if len(logs) > 0 {
			if r.Message != "" {
				r.Message += "\n\n"
			}
			r.Message += "Error log:\n  " + strings.Join(logs, "\n  ")
		}
	}
	switch r.Status {
	case Success:
		fr.sum.Successes++
	case Failure:
		fr.sum.Failures++
	case Pending:
		fr.sum.Pending++
	default:
		r.Status = Error
		fr.sum.Errors++
	}
	fr.sum.Results = append(fr.sum.Results, r)
	fr.rep.result(r)
}

// serverLogLevels are the server lines a failing test's report shows.
var serverLogLevels = []string{"[warn] ", "[error] ", "[crit] ", "[alert] ", "[emerg] "}

// takeLogs returns the error-log lines written since the last call (or the test's start) and
// moves the marks past them: the spec's own lines, then the servers' at warn or worse.
func (fr *fileRun) takeLogs() []string {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	var out []string
	if fr.specLog != nil {
		var text string
		text, fr.logMark = fr.specLog.from(fr.logMark)
		out = append(out, splitLines(text)...)
	}
	for _, ss := range fr.servers {
		var text string
		text, ss.logMark = ss.log.from(ss.logMark)
		for _, l := range splitLines(text) {
			for _, lv := range serverLogLevels {
				if len(l) > 20 && strings.HasPrefix(l[20:], lv) { // after "2006/01/02 15:04:05 "
					out = append(out, l)
					break
				}
			}
		}
	}
	return out
}

func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// setup installs the framework's modules and the Go side of it in a fresh state.
func (fr *fileRun) setup(L *lua.LState) {
	mods, _ := framework()
	preload := L.GetField(L.GetGlobal("package"), "preload").(*lua.LTable)
	for name, proto := range mods {
		preload.RawSetString(name, L.NewFunctionFromProto(proto))
	}
	preload.RawSetString("luaws.spec.host", L.NewFunction(fr.openHost))
	preload.RawSetString("luaws.spec.luaws", L.NewFunction(fr.openLuaws))
	L.SetGlobal("print", L.NewFunction(fr.luaPrint))
}

func strList(L *lua.LState, xs []string) *lua.LTable {
	t := L.CreateTable(len(xs), 0)
	for _, x := range xs {
		t.Append(lua.LString(x))
	}
	return t
}

// openHost is require "luaws.spec.host": the runner's configuration and callbacks.
func (fr *fileRun) openHost(L *lua.LState) int {
	o := fr.opts
	cfg := L.NewTable()
	cfg.RawSetString("file", lua.LString(fr.file))
	cfg.RawSetString("filters", strList(L, o.Filters))
	cfg.RawSetString("filters_out", strList(L, o.FiltersOut))
	cfg.RawSetString("tags", strList(L, o.Tags))
	cfg.RawSetString("exclude_tags", strList(L, o.ExcludeTags))
	cfg.RawSetString("list", lua.LBool(o.List))
	cfg.RawSetString("shuffle", lua.LBool(o.Shuffle))
	cfg.RawSetString("timeout", lua.LNumber(o.Timeout.Seconds()))

	m := L.NewTable()
	m.RawSetString("config", cfg)
	L.SetFuncs(m, map[string]lua.LGFunction{
		"report": fr.luaReport,
		"list":   fr.luaList,
		"now":    luaNow,
		"perm":   fr.luaPerm,
		"begin":  fr.luaBegin,
		"finish": fr.luaFinish,
		"load":   luaLoad,
	})
	L.Push(m)
	return 1
}

// luaLoad is loadfile for spec files with luaws's handler treatment: LuaJIT's string escapes
// ("\xNN", "\z", "\u{...}") are translated first, as for content_by_lua_file.
func luaLoad(L *lua.LState) int {
	path := L.CheckString(1)
	fail := func(err error) int {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return fail(err)
	}
	src, err = luajit.Translate(path, src)
	if err != nil {
		return fail(err)
	}
	chunk, err := parse.Parse(bytes.NewReader(src), path)
	if err != nil {
		return fail(err)
	}
	proto, err := lua.Compile(chunk, path)
	if err != nil {
		return fail(err)
	}
	L.Push(L.NewFunctionFromProto(proto))
	return 1
}

var epoch = time.Now()

func luaNow(L *lua.LState) int {
	L.Push(lua.LNumber(time.Since(epoch).Seconds()))
	return 1
}

func (fr *fileRun) luaPerm(L *lua.LState) int {
	n := L.CheckInt(1)
	t := L.CreateTable(n, 0)
	for _, i := range fr.rnd.Perm(n) {
		t.Append(lua.LNumber(i + 1))
	}
	L.Push(t)
	return 1
}

func (fr *fileRun) luaReport(L *lua.LState) int {
	t := L.CheckTable(1)
	str := func(k string) string {
		if v, ok := t.RawGetString(k).(lua.LString); ok {
			return string(v)
		}
		return ""
	}
	line, _ := t.RawGetString("line").(lua.LNumber)
	dur, _ := t.RawGetString("duration").(lua.LNumber)
	fr.report(Result{
		Status:   Status(str("status")),
		Name:     str("name"),
		File:     str("file"),
		Line:     int(line),
		Message:  str("message"),
		Trace:    str("trace"),
		Duration: time.Duration(float64(dur) * float64(time.Second)),
	})
	return 0
}

func (fr *fileRun) luaList(L *lua.LState) int {
	fr.rep.list(L.CheckString(1), L.CheckInt(2), L.CheckString(3))
	return 0
}

// luaBegin arms the watchdog for a test: name, file, line; error-log lines written before it
// belong to no test.
func (fr *fileRun) luaBegin(L *lua.LState) int {
	fr.takeLogs()
	name, file, line := L.CheckString(1), L.CheckString(2), L.CheckInt(3)
	fr.wmu.Lock()
	defer fr.wmu.Unlock()
	fr.current, fr.curFile, fr.curLine = name, file, line
	if fr.watch != nil {
		fr.watch.Stop()
	}
	fr.watch = time.AfterFunc(fr.opts.Timeout+watchdogGrace, func() {
		fr.wmu.Lock()
		fr.hung = true
		fr.wmu.Unlock()
		fr.cancelFn()
	})
	return 0
}

func (fr *fileRun) luaFinish(L *lua.LState) int {
	fr.stopWatch()
	return 0
}

func (fr *fileRun) stopWatch() {
	fr.wmu.Lock()
	if fr.watch != nil {
		fr.watch.Stop()
		fr.watch = nil
	}
	fr.wmu.Unlock()
}

// luaPrint is print(...): tab-separated, to the report's output.
func (fr *fileRun) luaPrint(L *lua.LState) int {
	var b strings.Builder
	for i := 1; i <= L.GetTop(); i++ {
		if i > 1 {
			b.WriteByte('\t')
		}
		b.WriteString(L.ToStringMeta(L.Get(i)).String())
	}
	b.WriteByte('\n')
	fr.rep.print(fr.file, b.String())
	return 0
}
