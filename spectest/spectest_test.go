package spectest

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// run runs the specs at paths (relative to the repository root) with o's other options.
func run(t *testing.T, o Options, paths ...string) (*Summary, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	o.Paths, o.Stdout, o.Stderr = paths, &out, &errb
	sum, err := Run(context.Background(), o)
	if err != nil {
		t.Fatalf("Run(%v): %v\nstderr:\n%s", paths, err, errb.String())
	}
	return sum, out.String(), errb.String()
}

// TestProjectSpecs is `luaws test spec/`: the project's own Lua specs, run from the repository
// root as the README's commands are.
func TestProjectSpecs(t *testing.T) {
	t.Chdir("..")
	sum, out, stderr := run(t, Options{Output: "plainTerminal"}, "spec")
	if !sum.OK() || sum.Successes == 0 {
		t.Errorf("luaws test spec/: %d successes, %d failures, %d errors\n%s\nstderr:\n%s",
			sum.Successes, sum.Failures, sum.Errors, out, stderr)
	}
}

// TestFixtureFramework runs the framework's own Lua checks (hooks order, insulate/expose,
// assertions, spies, fake socket).
func TestFixtureFramework(t *testing.T) {
	t.Chdir("..")
	sum, out, _ := run(t, Options{Output: "plainTerminal"}, "spectest/testdata/framework_spec.lua")
	if !sum.OK() || sum.Pending != 1 {
		t.Errorf("framework_spec: want all passing and 1 pending, got %+v\n%s", sum, out)
	}
}

const failing = "spectest/testdata/failing_spec.lua"

// TestFailingFixture: a failing spec gives a failing summary (exit 1), file:line, a readable
// diff and busted's summary line.
func TestFailingFixture(t *testing.T) {
	t.Chdir("..")
	sum, out, _ := run(t, Options{Output: "plainTerminal"}, failing)
	if sum.OK() {
		t.Fatalf("failing fixture reported OK:\n%s", out)
	}
	want := map[Status]int{Success: sum.Successes, Failure: sum.Failures, Error: sum.Errors, Pending: sum.Pending}
	for st, n := range map[Status]int{Success: 2, Failure: 1, Error: 1, Pending: 1} {
		if want[st] != n {
			t.Errorf("%s: got %d, want %d", st, want[st], n)
		}
	}
	for _, s := range []string{
		"Failure -> " + failing + " @ 7\nfailing fixture compares frames\n",
		failing + ":9: Expected objects to be the same.\nPassed in:\n(table) {\n  [1] = 'hi'\n *[2] = 'text' }\nExpected:\n(table) {\n  [1] = 'hi'\n *[2] = 'binary' }",
		"stack traceback:\n\t" + failing + ":9: in function",
		"Error -> " + failing + " @ 12\n",
		failing + ":14: attempt to index local 't' (a nil value)",
		"Pending -> " + failing + " @ 17\n",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	if !regexp.MustCompile(`(?m)^2 successes / 1 failure / 1 error / 1 pending : \d+\.\d{6} seconds$`).MatchString(out) {
		t.Errorf("no busted summary line in:\n%s", out)
	}
}

// TestSelection checks --filter, --filter-out, --tags, --exclude-tags and --list.
func TestSelection(t *testing.T) {
	t.Chdir("..")
	for _, tc := range []struct {
		name string
		o    Options
		want []string
	}{
		{"filter", Options{Filters: []string{"frames$"}}, []string{"failing fixture compares frames"}},
		{"filter pattern", Options{Filters: []string{"^failing fixture [pr]"}},
			[]string{"failing fixture passes", "failing fixture raises an error"}},
		{"filter-out", Options{FiltersOut: []string{"fixture [^p]"}},
			[]string{"failing fixture passes"}},
		{"tags", Options{Tags: []string{"slow"}}, []string{"failing fixture #slow waits"}},
		{"exclude-tags", Options{ExcludeTags: []string{"slow"}, FiltersOut: []string{"frames", "error", "written"}},
			[]string{"failing fixture passes"}},
	} {
		for _, list := range []bool{false, true} {
			o := tc.o
			o.List, o.Output = list, "TAP"
			sum, out, _ := run(t, o, failing)
			var got []string
			if list {
				for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
					if l == "" {
						continue
					}
					_, name, ok := strings.Cut(l, ": ")
					if !ok || !strings.HasPrefix(l, failing+":") {
						t.Errorf("%s: bad --list line %q", tc.name, l)
					}
					got = append(got, name)
				}
			} else {
				for _, r := range sum.Results {
					got = append(got, r.Name)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("%s (list=%v): got %q, want %q", tc.name, list, got, tc.want)
			}
		}
	}
}

// TestShuffle: the same seed gives the same order, every test still runs once.
func TestShuffle(t *testing.T) {
	t.Chdir("..")
	names := func(seed uint64) []string {
		sum, _, _ := run(t, Options{Shuffle: true, Seed: seed, Output: "TAP"}, "spec/protocol_spec.lua")
		var n []string
		for _, r := range sum.Results {
			n = append(n, r.Name)
		}
		return n
	}
	a, b := names(42), names(42)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("seed 42 gave two orders")
	}
	sum, _, _ := run(t, Options{Output: "TAP"}, "spec/protocol_spec.lua")
	var plain []string
	for _, r := range sum.Results {
		plain = append(plain, r.Name)
	}
	if len(plain) != len(a) {
		t.Fatalf("shuffled run has %d tests, plain %d", len(a), len(plain))
	}
	if fmt.Sprint(plain) == fmt.Sprint(a) {
		t.Errorf("seed 42 did not change the order")
	}
}

// TestTimeout: a test blocked past --timeout is ended and reported, the next test runs; a test
// that never yields ends its file.
func TestTimeout(t *testing.T) {
	t.Chdir("..")
	for _, tc := range []struct {
		file   string
		errors int
		succ   int
		msg    string
	}{
		{"spectest/testdata/timeout_spec.lua", 1, 1, "spectest/testdata/timeout_spec.lua:2: test timed out after 0.2 seconds (--timeout)"},
		{"spectest/testdata/busy_spec.lua", 1, 0, "spectest/testdata/busy_spec.lua:2: timed out after 200ms (--timeout) without yielding"},
	} {
		sum, out, _ := run(t, Options{Timeout: 200 * time.Millisecond, Output: "plainTerminal"}, tc.file)
		if sum.Errors != tc.errors || sum.Successes != tc.succ {
			t.Errorf("%s: %d errors, %d successes; want %d, %d\n%s", tc.file, sum.Errors, sum.Successes, tc.errors, tc.succ, out)
		}
		if !strings.Contains(out, tc.msg) {
			t.Errorf("%s: output lacks %q:\n%s", tc.file, tc.msg, out)
		}
	}
}

// tapResult is one test line of a TAP stream.
type tapResult struct {
	ok, skip bool
	num      int
	desc     string
}

// parseTAP is a strict TAP 13 parser: a version line first, test lines numbered 1..N in order,
// "# " comments, one plan (here at the end) matching the number of tests, nothing else.
func parseTAP(s string) ([]tapResult, error) {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) == 0 || lines[0] != "TAP version 13" {
		return nil, fmt.Errorf("first line %q is not the version", lines[0])
	}
	testRe := regexp.MustCompile(`^(not ok|ok) (\d+)(?: - ([^#]*(?:\\#[^#]*)*))?(?: # (SKIP|TODO)\b.*)?$`)
	planRe := regexp.MustCompile(`^1\.\.(\d+)$`)
	var res []tapResult
	plan := -1
	for i, l := range lines[1:] {
		switch {
		case strings.HasPrefix(l, "#"):
		case planRe.MatchString(l):
			if plan >= 0 {
				return nil, fmt.Errorf("line %d: second plan", i+2)
			}
			plan, _ = strconv.Atoi(planRe.FindStringSubmatch(l)[1])
		case testRe.MatchString(l):
			if plan >= 0 {
				return nil, fmt.Errorf("line %d: test after a trailing plan", i+2)
			}
			m := testRe.FindStringSubmatch(l)
			n, _ := strconv.Atoi(m[2])
			if n != len(res)+1 {
				return nil, fmt.Errorf("line %d: test %d out of sequence", i+2, n)
			}
			res = append(res, tapResult{ok: m[1] == "ok", skip: m[4] == "SKIP", num: n, desc: strings.TrimSpace(m[3])})
		default:
			return nil, fmt.Errorf("line %d: not TAP: %q", i+2, l)
		}
	}
	if plan != len(res) {
		return nil, fmt.Errorf("plan 1..%d but %d tests", plan, len(res))
	}
	return res, nil
}

func TestTAP(t *testing.T) {
	t.Chdir("..")
	sum, out, _ := run(t, Options{Output: "TAP"}, failing, "spectest/testdata/framework_spec.lua")
	res, err := parseTAP(out)
	if err != nil {
		t.Fatalf("TAP: %v\n%s", err, out)
	}
	var ok, notOK, skip int
	for _, r := range res {
		switch {
		case r.skip:
			skip++
		case r.ok:
			ok++
		default:
			notOK++
		}
	}
	if ok != sum.Successes || notOK != sum.Failures+sum.Errors || skip != sum.Pending {
		t.Errorf("TAP counts ok=%d not ok=%d skip=%d; summary %+v", ok, notOK, skip, sum)
	}
	if res[1].desc != "failing fixture compares frames" || res[1].ok {
		t.Errorf("test 2 = %+v", res[1])
	}
	// Perl's TAP::Parser (prove's) must agree, when installed.
	if _, err := exec.LookPath("perl"); err != nil {
		t.Skip("no perl for TAP::Parser")
	}
	f := filepath.Join(t.TempDir(), "out.tap")
	if err := os.WriteFile(f, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `use TAP::Parser; my $p = TAP::Parser->new({source => $ARGV[0]});
while (defined(my $r = $p->next)) {}
print join(" ", scalar($p->passed), scalar($p->failed), scalar($p->skipped), scalar($p->parse_errors), $p->version), "\n";`
	got, err := exec.Command("perl", "-e", script, f).CombinedOutput()
	if err != nil {
		t.Skipf("TAP::Parser: %v: %s", err, got)
	}
	want := fmt.Sprintf("%d %d %d 0 13\n", ok+skip, notOK, skip)
	if string(got) != want {
		t.Errorf("TAP::Parser says passed failed skipped parse_errors version = %q, want %q", got, want)
	}
}

func TestJUnit(t *testing.T) {
	t.Chdir("..")
	sum, out, _ := run(t, Options{Output: "junit"}, failing, "spectest/testdata/framework_spec.lua")
	var rep JUnitReport
	if err := xml.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("JUnit XML: %v\n%s", err, out)
	}
	if rep.Tests != len(sum.Results) || rep.Failures != sum.Failures || rep.Errors != sum.Errors || rep.Skipped != sum.Pending {
		t.Errorf("testsuites counts %d/%d/%d/%d, summary %+v", rep.Tests, rep.Failures, rep.Errors, rep.Skipped, sum)
	}
	if len(rep.Suites) != 2 || rep.Suites[0].Name != failing {
		t.Fatalf("suites: %+v", rep.Suites)
	}
	s := rep.Suites[0]
	var f *JUnitCase
	for i := range s.Cases {
		if s.Cases[i].Name == "failing fixture compares frames" {
			f = &s.Cases[i]
		}
	}
	if f == nil || f.Failure == nil || f.Line != 7 ||
		f.Failure.Message != failing+":9: Expected objects to be the same." ||
		!strings.Contains(f.Failure.Text, " *[2] = 'binary' }") {
		t.Errorf("failing case: %+v", f)
	}
	if s.Tests != len(s.Cases) || s.Failures != 1 || s.Errors != 1 || s.Skipped != 1 {
		t.Errorf("suite counts: %+v", s)
	}
	// xmllint checks it against the schema in testdata, when installed.
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("no xmllint")
	}
	x := filepath.Join(t.TempDir(), "junit.xml")
	if err := os.WriteFile(x, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("xmllint", "--noout", "--schema", "spectest/testdata/junit.xsd", x).CombinedOutput(); err != nil {
		t.Errorf("xmllint: %v\n%s", err, b)
	}
}

// TestTerminalSymbols: utfTerminal and plainTerminal progress marks, in order.
func TestTerminalSymbols(t *testing.T) {
	t.Chdir("..")
	for _, tc := range []struct{ format, first string }{
		{"plainTerminal", "+-*.+\n"},
		{"utfTerminal", "\x1b[32m●\x1b[0m\x1b[31m◼\x1b[0m\x1b[35m✱\x1b[0m\x1b[33m◌\x1b[0m\x1b[32m●\x1b[0m\n"},
	} {
		_, out, _ := run(t, Options{Output: tc.format}, failing)
		first, _, _ := strings.Cut(out, "\n")
		if first+"\n" != tc.first {
			t.Errorf("%s: first line %q, want %q", tc.format, first, tc.first)
		}
	}
}

func TestFind(t *testing.T) {
	t.Chdir("..")
	files, err := Find([]string{"spec"}, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !strings.HasSuffix(f, "_spec.lua") {
			t.Errorf("Find: %s is not a spec", f)
		}
	}
	if len(files) < 4 {
		t.Errorf("Find(spec) = %v", files)
	}
	if _, err := Find([]string{"no/such/dir"}, ""); err == nil {
		t.Errorf("Find(no/such/dir): no error")
	}
}

// TestFailureShowsErrorLog: when the handler under test crashes, the failure report shows
// the server's "lua entry thread aborted" line, and the spec's own ngx.log lines are shown
// only with a failing test (not interleaved with the progress output on stderr).
func TestFailureShowsErrorLog(t *testing.T) {
	t.Chdir("..")
	sum, out, stderr := run(t, Options{Output: "plainTerminal"}, "spectest/testdata/crash_spec.lua")
	if sum.Failures != 1 || sum.Successes != 1 {
		t.Fatalf("want 1 failure and 1 success, got %+v\n%s", sum, out)
	}
	want := regexp.MustCompile(`Error log:\n  \d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[error\] \d+#\d+: \*\d+ lua entry thread aborted: runtime error: boom.lua:2: attempt to index`)
	if !want.MatchString(out) {
		t.Errorf("no crash line in the report:\n%s", out)
	}
	if strings.Contains(out, "a line of a passing test") || strings.Contains(stderr, "a line of a passing test") {
		t.Errorf("a passing test's log line was shown:\nstdout:\n%s\nstderr:\n%s", out, stderr)
	}
	var r *Result
	for i := range sum.Results {
		if sum.Results[i].Status == Failure {
			r = &sum.Results[i]
		}
	}
	if r == nil || len(r.Log) == 0 {
		t.Errorf("Result.Log empty: %+v", r)
	}
}
