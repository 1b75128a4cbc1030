package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/spectest"
)

const testUsage = `usage: luaws test [flags] [paths...]

Runs busted-style Lua specs (describe/it, luassert's assert, spy/stub) against live luaws
handlers. paths are spec files or directories (default: spec); in a directory, files whose
names contain --pattern and end in .lua are specs. Each file runs in its own fresh Lua state.

  -o, --output FORMAT     utfTerminal (default), plainTerminal, TAP or junit
  --filter PATTERN        run only tests whose full name matches this Lua pattern (repeatable)
  --filter-out PATTERN    skip tests whose full name matches this Lua pattern (repeatable)
  -t, --tags TAGS         run only tests tagged (#tag in a name) with one of these (comma-separated)
  --exclude-tags TAGS     skip tests tagged with one of these
  -l, --list              list the tests ("file:line: name") without running them
  --shuffle               run files and tests in a random order (the seed is printed)
  --seed N                the random order's seed (implies --shuffle)
  --timeout DURATION      end a test, hook or describe body after this long (default 10s)
  -p, --pattern TEXT      spec file names contain TEXT (default _spec)
  -m, --lpath PATH        lua_package_path of the specs and luaws.serve's servers (";;" = default)
  --log-level LEVEL       level of the specs' own ngx.log lines (default error); they are shown
                          with the test that failed, beside the error-log lines of the servers
                          the spec started (luaws.serve)
  --color, --no-color     ANSI colours in utfTerminal output (default: only when stdout is a
                          terminal and NO_COLOR is not set)
  -h, --help              print this help

Options may come before or after the paths (as busted takes them); "--" ends the options.
Exit status: 0 if every test passed (or was pending), 1 on any failure or error, 2 on bad usage
(an unknown option, a path that does not exist). See docs/testing.md.
`

// multi is a repeatable string flag; with split, values are also comma-separated lists.
type multi struct {
	vals  *[]string
	split bool
}

func (m multi) String() string { return "" }
func (m multi) Set(v string) error {
	if m.split {
		for _, x := range strings.Split(v, ",") {
			if x = strings.TrimSpace(x); x != "" {
				*m.vals = append(*m.vals, x)
			}
		}
		return nil
	}
	*m.vals = append(*m.vals, v)
	return nil
}

// runTest is "luaws test".
func runTest(args []string, stdout, stderr io.Writer) int {
	o := spectest.Options{Stdout: stdout, Stderr: stderr}
	fs := quietFlagSet("luaws test")
	var seed uint64
	var color, noColor bool
	fs.BoolVar(&color, "color", false, "")
	fs.BoolVar(&noColor, "no-color", false, "")
	var logLevel string
	fs.StringVar(&o.Output, "o", "utfTerminal", "")
	fs.StringVar(&o.Output, "output", "utfTerminal", "")
	fs.Var(multi{vals: &o.Filters}, "filter", "")
	fs.Var(multi{vals: &o.FiltersOut}, "filter-out", "")
	fs.Var(multi{vals: &o.Tags, split: true}, "t", "")
	fs.Var(multi{vals: &o.Tags, split: true}, "tags", "")
	fs.Var(multi{vals: &o.ExcludeTags, split: true}, "exclude-tags", "")
	fs.BoolVar(&o.List, "l", false, "")
	fs.BoolVar(&o.List, "list", false, "")
	fs.BoolVar(&o.Shuffle, "shuffle", false, "")
	fs.Uint64Var(&seed, "seed", 0, "")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Second, "")
	fs.StringVar(&o.Pattern, "p", "_spec", "")
	fs.StringVar(&o.Pattern, "pattern", "_spec", "")
	fs.StringVar(&o.LuaPath, "m", "", "")
	fs.StringVar(&o.LuaPath, "lpath", "", "")
	fs.StringVar(&logLevel, "log-level", "error", "")
	paths, err := parseAnywhere(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, testUsage)
			return 0
		}
		return usageError(stderr, "luaws test", flagError(err))
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return usageError(stderr, "luaws test", fmt.Errorf("no such file or directory: %s", p))
		}
	}
	o.Paths = paths
	switch {
	case noColor:
		o.NoColor = true
	case color:
	default:
		o.NoColor = os.Getenv("NO_COLOR") != "" || !isTerminal(stdout)
	}
	known := false
	for _, f := range spectest.Formats {
		known = known || f == o.Output
	}
	if !known {
		return usageError(stderr, "luaws test", fmt.Errorf("unknown output format %q (want %s)", o.Output, strings.Join(spectest.Formats, ", ")))
	}
	if seed != 0 {
		o.Shuffle, o.Seed = true, seed
	}
	if o.Timeout <= 0 {
		return usageError(stderr, "luaws test", errors.New("--timeout must be positive"))
	}
	lv, err := errlog.ParseLevel(logLevel)
	if err != nil {
		return usageError(stderr, "luaws test", fmt.Errorf("--log-level: %v", err))
	}
	o.LogLevel = lv
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	sum, err := spectest.Run(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "luaws test: %v\n", err)
		return 1
	}
	if !sum.OK() {
		return 1
	}
	return 0
}

// parseAnywhere parses options wherever they are among the arguments, as busted does, and
// returns the others (the paths); after "--" everything is a path.
func parseAnywhere(fs *flag.FlagSet, args []string) ([]string, error) {
	var paths []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(paths, rest...), nil
		}
		if len(rest) == 0 {
			return paths, nil
		}
		paths = append(paths, rest[0])
		args = rest[1:]
	}
}

// isTerminal reports whether w is a terminal (colours on).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb"
}
