package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind"
	"github.com/luaws/luaws/luabind/shdict"
	"github.com/luaws/luaws/ngxconf"
)

// "luaws run" is OpenResty's resty command (resty-cli): it runs a Lua file or -e code in an
// OpenResty timer context, without nginx. Invoked through a link named "resty", luaws is
// that command, so "#!/usr/bin/env resty" scripts run as they are.

const runUsage = `resty [options] [lua-file [args]]
(luaws run [options] [lua-file [args]])

Options:
    -c NUM              Set maximal connection count (accepted; luaws has no limit).
    -e PROG             Run the inlined Lua code in "prog".
    --errlog-level LEVEL
                        Set the error log level (error log: standard error).
                        Can be debug, info, notice, warn, error, crit, alert,
                        or emerg.
    --help              Print this help.
    --http-conf CONF    An nginx.conf snippet for the http {} block (repeatable):
                        lua_shared_dict, lua_package_path, resolver and
                        init_by_lua* directives are applied, others ignored.
    --http-include PATH Include the file in the http {} block (repeatable; as
                        --http-conf).
    -I DIR              Add dir to the search paths for Lua libraries.
    -j off|v|dump       Accepted: luaws has no JIT compiler.
    -l LIB              Require library "lib".
    --main-conf CONF    An nginx.conf snippet for the main block (accepted,
                        ignored: luaws has no nginx modules or env list).
    --main-include PATH Include the file in the main block (as --main-conf).
    --nginx PATH        Accepted and ignored (luaws is its own server).
    --no-stream         Accepted (no stream {} block either way).
    --ns IP             Specify a custom name server (repeatable; the first is
                        used).
    --resolve-ipv6      Make the resolver look up IPv6 addresses too.
    --shdict 'NAME SIZE'
                        Create the specified lua shared dicts in the http
                        configuration block (repeatable).
    -V, -v              Print version numbers.

For bug reporting instructions, please see the luaws README.
`

// restyVersion is the resty-cli version luaws's "run" follows.
const restyVersion = "0.29"

type runOpts struct {
	incDirs   []string
	src       []string
	shdicts   []string
	ns        []string
	errLevel  string
	httpConfs []string // snippets, includes read in
	jit       string
	help      bool
	version   bool
	file      string
	args      []string
	nopts     int // how many arguments came before the script's own
}

// isRestyName reports whether the command was invoked as resty (a link to luaws).
func isRestyName(argv0 string) bool {
	b := filepath.Base(argv0)
	return b == "resty" || strings.HasPrefix(b, "resty.")
}

// runRun is "luaws run" (and luaws invoked as resty); self is how the command was invoked.
func runRun(self string, args []string, stdout, stderr io.Writer) int {
	o, err := parseRunArgs(args)
	if err != nil {
		fmt.Fprint(stderr, err.Error())
		if _, ok := err.(runUsageError); ok {
			fmt.Fprint(stderr, runUsage)
			return 1
		}
		return 2
	}
	if o.help {
		fmt.Fprint(stdout, runUsage)
		return 0
	}
	if o.version {
		fmt.Fprintf(stderr, "resty %s\nluaws %s (Lua 5.1 on gopher-lua, LuaJIT 2.1 library)\n", restyVersion, version)
		return 0
	}
	if o.jit != "" {
		switch o.jit {
		case "off":
			o.src = append([]string{`require "jit".off()`}, o.src...)
		case "v", "dump":
		default:
			fmt.Fprintf(stderr, "ERROR: unknown -j option value: %s.\n", o.jit)
			fmt.Fprint(stderr, runUsage)
			return 1
		}
	}
	if len(o.src) == 0 && o.file == "" {
		fmt.Fprint(stderr, "Neither Lua input file nor -e \"\" option specified.\n")
		return 2
	}
	if o.file != "" {
		if _, err := os.Stat(o.file); err != nil {
			fmt.Fprintf(stderr, "Lua input file %s not found.\n", o.file)
			return 2
		}
	}
	level, err := errlog.ParseLevel(o.errLevel)
	if err != nil {
		fmt.Fprintf(stderr, "bad --errlog-level option value: %s", o.errLevel)
		return 2
	}
	cfg := luabind.Config{Log: errlog.New(stderr, level), SharedDicts: shdict.NewRegistry()}
	for _, v := range o.shdicts {
		f := strings.Fields(v)
		n, err := shdict.ParseSize(f[1])
		if err == nil {
			err = cfg.SharedDicts.Add(f[0], n)
		}
		if err != nil {
			fmt.Fprintf(stderr, "ERROR: invalid --shdict option value: %s\n  (%v)\n", v, err)
			return 2
		}
	}
	var path strings.Builder
	for _, dir := range o.incDirs {
		fmt.Fprintf(&path, "%s/?.ljbc;%s/?.lua;%s/?/init.ljbc;%s/?/init.lua;", dir, dir, dir, dir)
	}
	if path.Len() > 0 {
		cfg.LuaPath = path.String() + ";" // resty-cli's lua_package_path "DIRS;;"
	}
	if len(o.ns) > 0 {
		ns := o.ns[0]
		if strings.HasPrefix(ns, "[") {
			cfg.Resolver = ns + ":53"
		} else {
			cfg.Resolver = ns + ":53"
		}
	}
	var inits []luabind.Chunk
	for i, snippet := range o.httpConfs {
		name := fmt.Sprintf("http-conf-%d", i+1)
		got, err := applyHTTPConf(&cfg, name, snippet)
		if err != nil {
			fmt.Fprintf(stderr, "ERROR: %v\n", err)
			return 2
		}
		inits = append(inits, got...)
	}
	host, err := luabind.NewHost(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "ERROR: %v\n", err)
		return 2
	}
	if len(inits) > 0 {
		if err := host.SetInit(inits); err == nil {
			err = host.RunInit()
		} else if err != nil {
			fmt.Fprintf(stderr, "ERROR: %v\n", err)
			return 1
		}
	}
	c := luabind.Console{Inline: strings.Join(o.src, "; "), File: o.file, Args: o.args,
		Self: self, SelfIndex: o.nopts + 1, Stderr: stderr}
	c.Arg0 = o.file
	if o.file == "" {
		c.Arg0 = "(command line -e)"
	}
	if o.file == "" && o.nopts > 0 {
		c.SelfIndex = o.nopts
	}
	return host.RunConsole(c)
}

// runUsageError is a bad option: resty-cli prints its usage after it.
type runUsageError string

func (e runUsageError) Error() string { return string(e) }

var shdictRe = regexp.MustCompile(`^[_a-zA-Z0-9]+\s+\d+(?i:[km])?$`)
var nsRe = regexp.MustCompile(`^(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\])$`)

// parseRunArgs reads options the way resty-cli does: options come first; the first other
// argument is the Lua file and the rest are its arguments ("--" ends the options).
func parseRunArgs(args []string) (*runOpts, error) {
	o := &runOpts{errLevel: "warn"}
	i := 0
	value := func(name string) (string, error) {
		if i >= len(args) {
			return "", fmt.Errorf("option %s takes an argument but found none.\n", name)
		}
		v := args[i]
		i++
		return v, nil
	}
	// joined: "-Ifoo", "-I=foo", "--ns=1.2.3.4"
	joined := func(a, name string) (string, bool) {
		if strings.HasPrefix(name, "--") {
			if strings.HasPrefix(a, name+"=") {
				return a[len(name)+1:], true
			}
			return "", false
		}
		if strings.HasPrefix(a, name) && len(a) > len(name) {
			return strings.TrimPrefix(a[len(name):], "="), true
		}
		return "", false
	}
	for i < len(args) {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			break
		}
		i++
		if a == "--" {
			break
		}
		var err error
		var v string
		switch a {
		case "-I", "-e", "-l", "-j", "-c", "--ns", "--shdict", "--nginx", "--http-conf", "--main-conf",
			"--http-include", "--main-include", "--errlog-level", "--load-module", "--stream-conf":
			v, err = value(a)
			if err != nil {
				return nil, err
			}
			err = o.set(a, v)
		case "--resolve-ipv6", "--no-stream":
		case "-h", "--help":
			o.help = true
			return o, nil
		case "-v", "-V":
			o.version = true
		case "--gdb", "--valgrind", "--rr", "--stap", "--dump-nginx-conf":
			return nil, fmt.Errorf("ERROR: option %s is not supported by luaws (there is no nginx process)\n", a)
		default:
			done := false
			for _, name := range []string{"-I", "-e", "-l", "-j", "-c", "--ns", "--shdict", "--nginx",
				"--http-conf", "--main-conf", "--http-include", "--main-include", "--errlog-level",
				"--load-module", "--stream-conf"} {
				if v, ok := joined(a, name); ok {
					err, done = o.set(name, v), true
					break
				}
			}
			if !done {
				return nil, runUsageError("ERROR: unknown option " + a + "\n\n")
			}
		}
		if err != nil {
			return nil, err
		}
	}
	o.nopts = i
	if i < len(args) {
		o.file = args[i]
		o.args = args[i+1:]
	}
	return o, nil
}

func (o *runOpts) set(name, v string) error {
	switch name {
	case "-I":
		o.incDirs = append(o.incDirs, v)
	case "-e":
		o.src = append(o.src, v)
	case "-l":
		o.src = append(o.src, "require("+strconv.Quote(v)+")")
	case "-j":
		if o.jit != "" {
			return fmt.Errorf("duplicate -j option found.\n")
		}
		o.jit = v
	case "-c":
		if _, err := strconv.ParseUint(v, 10, 32); err != nil {
			return fmt.Errorf("option -c takes a number but found '%s'.\n", v)
		}
	case "--ns":
		if !nsRe.MatchString(v) {
			return fmt.Errorf("ERROR: Invalid --ns option value: %s\n  (expecting an IP address)\n", v)
		}
		o.ns = append(o.ns, v)
	case "--shdict":
		if !shdictRe.MatchString(v) {
			return fmt.Errorf("ERROR: invalid --shdict option value: %s\n  (expecting NAME SIZE)\n", v)
		}
		o.shdicts = append(o.shdicts, v)
	case "--errlog-level":
		if v == "" || strings.Trim(v, "abcdefghijklmnopqrstuvwxyz") != "" {
			return fmt.Errorf("bad --errlog-level option value: %s", v)
		}
		o.errLevel = v
	case "--http-conf":
		o.httpConfs = append(o.httpConfs, v)
	case "--http-include":
		src, err := os.ReadFile(v)
		if err != nil {
			return fmt.Errorf("ERROR: could not read --http-include file %s: %v\n", v, err)
		}
		o.httpConfs = append(o.httpConfs, string(src))
	case "--main-include":
		if _, err := os.Stat(v); err != nil {
			return fmt.Errorf("ERROR: could not find --main-include file %s\n", v)
		}
	case "--nginx", "--main-conf", "--load-module", "--stream-conf":
	}
	return nil
}

// applyHTTPConf applies the directives of an http {} snippet that mean something to a
// console script; it returns the init_by_lua* chunks to run first.
func applyHTTPConf(cfg *luabind.Config, name, snippet string) ([]luabind.Chunk, error) {
	conf, err := ngxconf.Parse(name, []byte(snippet), nil)
	if err != nil {
		return nil, err
	}
	var inits []luabind.Chunk
	for _, d := range conf.Directives {
		switch d.Name {
		case "lua_shared_dict":
			if len(d.Args) != 2 {
				return nil, fmt.Errorf("invalid number of arguments in \"lua_shared_dict\" directive in %s", d.Pos())
			}
			n, err := shdict.ParseSize(d.Args[1])
			if err == nil {
				err = cfg.SharedDicts.Add(d.Args[0], n)
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", d.Pos(), err)
			}
		case "lua_package_path":
			if len(d.Args) == 1 {
				cfg.LuaPath = d.Args[0]
			}
		case "resolver":
			if len(d.Args) > 0 && cfg.Resolver == "" {
				cfg.Resolver = d.Args[0] + ":53"
			}
		case "init_by_lua_block", "init_by_lua":
			if len(d.Args) == 1 {
				inits = append(inits, luabind.Chunk{Name: d.Chunkname(), Src: []byte(d.Args[0])})
			}
		case "init_by_lua_file":
			if len(d.Args) == 1 {
				inits = append(inits, luabind.Chunk{File: d.Args[0]})
			}
		}
	}
	return inits, nil
}
