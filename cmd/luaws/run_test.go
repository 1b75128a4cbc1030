package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// runCmd runs the test binary as luaws (or, named resty, as resty) in dir.
func runCmd(t *testing.T, bin, dir string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LUAWS_TEST_AS_MAIN=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("%v: still running after 20s", args)
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stdout.String(), stderr.String()
}

// TestRun drives "luaws run" (resty-cli's command) as a process; the expected outputs are
// what resty-cli printed for the same scripts on Debian's nginx + lua-nginx-module.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"args.lua":      "#!/usr/bin/env resty\nprint(select(\"#\", ...), \" \", arg[0], \" \", #arg, \" \", arg[1], \" \", arg[2])\n",
		"deep.lua":      "local function f() error(\"deep\") end\nf()\n",
		"lib/mymod.lua": "print(\"mymod loaded\")\nreturn {}\n",
		"ctx.lua": `local d = ngx.shared.d
d:set("k", 1)
local th = ngx.thread.spawn(function() ngx.sleep(0.01) d:incr("k", 1) return "thread" end)
local ok, res = ngx.thread.wait(th)
local fired
ngx.timer.at(0, function(premature) fired = premature end)
ngx.sleep(0.05)
print(ngx.get_phase(), " ", ngx.config.is_console, " ", ok, " ", res, " ", d:get("k"), " ", fired)
`,
	}
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	resty := filepath.Join(dir, "resty")
	if err := os.Symlink(os.Args[0], resty); err != nil {
		t.Fatal(err)
	}
	const logLine = `\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[%s\] \d+#\d+: \*2 \[lua\] \(command line -e\):1: %s, context: ngx\.timer\n`
	cases := []struct {
		name       string
		args       []string
		code       int
		stdout     string
		stderrLike string // a regexp the whole of stderr matches
	}{
		{"print spells out values", []string{"run", "-e", `print(nil, true, {1, {2, 3}}, ngx.null, 1/3)`}, 0,
			"niltrue123null0.33333333333333\n", `^$`},
		{"ngx.say and ngx.print", []string{"run", "-e", `ngx.print("a", 1) ngx.say("b") io.write("c\n")`}, 0, "a1b\nc\n", `^$`},
		{"io.write numbers", []string{"run", "-e", `io.write(1/3, " ", 1e15, " ", -0.0, "\n") io.stdout:write(2^53, "\n")`}, 0,
			"0.33333333333333 1e+15 -0\n9.007199254741e+15\n", `^$`},
		{"os.exit code", []string{"run", "-e", `print("x") os.exit(3) print("not reached")`}, 3, "x\n", `^$`},
		{"ngx.exit is os.exit", []string{"run", "-e", `ngx.exit(4)`}, 4, "", `^$`},
		{"os.exit(false)", []string{"run", "-e", `os.exit(false)`}, 1, "", `^$`},
		{"arg and shebang", []string{"run", "args.lua", "x", "y"}, 0, "0 args.lua 2 x y\n", `^$`},
		{"resty link", []string{"-e", `print("as resty")`}, 0, "as resty\n", `^$`},
		{"uncaught error", []string{"run", "deep.lua"}, 1, "",
			`^ERROR: deep\.lua:1: deep\nstack traceback:\n\tdeep\.lua:1: in function 'f'\n\tdeep\.lua:2: in function 'file_gen'\n\tinit_worker_by_lua\(nginx\.conf:133\):45: in function <init_worker_by_lua\(nginx\.conf:133\):43>\n\t\[C\]: in function 'xpcall'\n\tinit_worker_by_lua\(nginx\.conf:133\):52: in function <init_worker_by_lua\(nginx\.conf:133\):50>\n$`},
		{"error at level 0", []string{"run", "-e", `error("x", 0)`}, 1, "",
			`^ERROR: x\nstack traceback:\n\t\(command line -e\):1: in function 'inline_gen'\n`},
		{"error with a table", []string{"run", "-e", `error({})`}, 1, "", `^ERROR: error in error handling\n$`},
		{"runtime error in LuaJIT's words", []string{"run", "-e", `local t = {} local y = t.x.y`}, 1, "",
			`^ERROR: \(command line -e\):1: attempt to index field 'x' \(a nil value\)\nstack traceback:\n`},
		{"syntax error", []string{"run", "-e", `x = = 1`}, 1, "", `^ERROR: init_worker_by_lua\(nginx\.conf:133\):39: \(command line -e\)\S* .*\n$`}, // the wording is the parser's
		{"ngx.log at warn", []string{"run", "-e", `ngx.log(ngx.WARN, "w", 1) ngx.log(ngx.INFO, "i")`}, 0, "",
			"^" + regexpf(logLine, "warn", "w1") + "$"},
		{"--errlog-level info", []string{"run", "--errlog-level", "info", "-e", `ngx.log(ngx.INFO, "i")`}, 0, "",
			"^" + regexpf(logLine, "info", "i") + "$"},
		{"-I and -l", []string{"run", "-I", "lib", "-l", "mymod", "-e", `print(package.loaded.mymod ~= nil)`}, 0,
			"mymod loaded\ntrue\n", `^$`},
		{"timer context", []string{"run", "--shdict", "d 1m", "ctx.lua"}, 0, "timer true true thread 2 false\n", `^$`},
		{"missing file", []string{"run", "nope.lua"}, 2, "", `^Lua input file nope\.lua not found\.\n$`},
		{"bad --shdict", []string{"run", "--shdict", "d", "-e", "print(1)"}, 2, "", `^ERROR: invalid --shdict option value: d\n  \(expecting NAME SIZE\)\n$`},
		{"unknown option", []string{"run", "--bogus"}, 1, "", `^ERROR: unknown option --bogus\n\n`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bin := os.Args[0]
			args := c.args
			if args[0] != "run" {
				bin = resty
			}
			code, stdout, stderr := runCmd(t, bin, dir, args...)
			if code != c.code || stdout != c.stdout || !regexp.MustCompile(c.stderrLike).MatchString(stderr) {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d, stdout %q, stderr matching %s",
					args, code, stdout, stderr, c.code, c.stdout, c.stderrLike)
			}
		})
	}
}

func regexpf(format, level, msg string) string {
	return strings.Replace(strings.Replace(format, "%s", level, 1), "%s", regexp.QuoteMeta(msg), 1)
}
