package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/luaws/luaws/internal/buildinfo"
	"github.com/luaws/luaws/internal/errpage"
)

// call runs luaws in the test process with args; it returns the exit code, stdout and stderr.
func call(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestHelpAndUsageErrors: --help and -h print the same help, naming every mode; a mistake
// on the command line is one line and a hint on stderr, exit status 2.
func TestHelpAndUsageErrors(t *testing.T) {
	code, help, _ := call("--help")
	if code != 0 {
		t.Fatalf("--help: exit %d", code)
	}
	for _, want := range []string{"luaws test", "luaws run", "-c FILE", "-p PREFIX", "-s SIGNAL", "-t, -T", "--access-log FILE", "Exit status"} {
		if !strings.Contains(help, want) {
			t.Errorf("--help does not mention %q", want)
		}
	}
	if code, h, _ := call("-h"); code != 0 || h != help {
		t.Errorf("-h: exit %d, same help %v", code, h == help)
	}
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"--bogus"}, "luaws: unknown flag -bogus"},
		{[]string{"--location", "/ws"}, `luaws: --location: "/ws" has no =SCRIPT: want PATH=SCRIPT, e.g. /ws=scripts/echo.lua`},
		{[]string{"--location", "ws=x.lua"}, `luaws: --location: PATH "ws" must start with /`},
		{[]string{"--workers"}, "luaws: flag -workers needs a value"},
		{[]string{"extra"}, `luaws: unexpected argument "extra"`},
		{[]string{"test", "--bogus"}, "luaws test: unknown flag -bogus"},
		{[]string{"test", "no/such/dir"}, "luaws test: no such file or directory: no/such/dir"},
		{[]string{"test", "-o", "XML", "."}, `luaws test: unknown output format "XML"`},
	} {
		code, out, errs := call(tc.args...)
		lines := strings.Split(strings.TrimSuffix(errs, "\n"), "\n")
		if code != 2 || out != "" || len(lines) != 2 || !strings.HasPrefix(lines[0], tc.err) || !strings.HasPrefix(lines[1], "Run 'luaws") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2, nothing, %q + a hint", tc.args, code, out, errs, tc.err)
		}
	}
	if code, _, errs := call("--root", filepath.Join(t.TempDir(), "missing")); code != 1 || !strings.Contains(errs, "no such directory") {
		t.Errorf("missing --root: exit %d, %q", code, errs)
	}
}

// TestVersion: --version names luaws, the Go toolchain and the gopher-lua module.
func TestVersion(t *testing.T) {
	code, out, _ := call("--version")
	if code != 0 || !strings.HasPrefix(out, "luaws "+buildinfo.Version+"\n") ||
		!regexp.MustCompile(`built with go1\.\d+`).MatchString(out) || !strings.Contains(out, "github.com/yuin/gopher-lua v1.") {
		t.Errorf("--version: exit %d\n%s", code, out)
	}
}

// TestTestCommandLine: luaws test takes options before or after the paths, colours only on
// a terminal unless --color, and exits 0 (all passed), 1 (a failure) or 2 (bad usage).
func TestTestCommandLine(t *testing.T) {
	t.Chdir("../..")
	esc := "\x1b["
	for _, tc := range []struct {
		args  []string
		code  int
		want  string
		color bool
	}{
		{[]string{"test", "spec/echo_spec.lua", "-o", "TAP"}, 0, "1..4\n", false},
		{[]string{"test", "-o", "TAP", "spec/echo_spec.lua"}, 0, "1..4\n", false},
		{[]string{"test", "spec/echo_spec.lua", "--list"}, 0, "spec/echo_spec.lua:", false},
		{[]string{"test", "spec/echo_spec.lua"}, 0, "4 successes", false}, // a pipe: no colours
		{[]string{"test", "spec/echo_spec.lua", "--color"}, 0, "4 successes", true},
		{[]string{"test", "--no-color", "spec/echo_spec.lua"}, 0, "4 successes", false},
		{[]string{"test", "spectest/testdata/failing_spec.lua", "-o", "plainTerminal"}, 1, "failure", false},
		{[]string{"test", "-o", "TAP", "--", "spec/echo_spec.lua"}, 0, "1..4\n", false},
		{[]string{"test", "--help"}, 0, "usage: luaws test", false},
	} {
		code, out, errs := call(tc.args...)
		if code != tc.code || !strings.Contains(out, tc.want) || strings.Contains(out, esc) != tc.color {
			t.Errorf("%v: exit %d (want %d), colours %v (want %v), output:\n%s\nstderr:\n%s",
				tc.args, code, tc.code, strings.Contains(out, esc), tc.color, out, errs)
		}
	}
}

// TestFlagModeStartLogsAndPages: flag mode prints where it listens and what it serves,
// writes the access log in nginx's combined format and answers unknown paths with nginx's
// 404 page.
func TestFlagModeStartLogsAndPages(t *testing.T) {
	dir := t.TempDir()
	access := filepath.Join(dir, "access.log")
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	script, _ := filepath.Abs("../../scripts/echo.lua")
	cmd := exec.Command(os.Args[0], "--listen", addr, "--location", "/s="+script, "--access-log", access)
	cmd.Env = append(os.Environ(), "LUAWS_TEST_AS_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitTCPListening(t, addr)
	req, _ := http.NewRequest("GET", "http://"+addr+"/missing?q=1", nil)
	req.Header.Set("User-Agent", "cli-test/1")
	req.Header.Set("Referer", "http://example.com/")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page, _ := errpage.Body(404)
	if resp.StatusCode != 404 || string(body) != page || resp.Header.Get("Server") != buildinfo.ServerToken {
		t.Errorf("404: %d, Server %q, body %q", resp.StatusCode, resp.Header.Get("Server"), body)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	want := "luaws " + buildinfo.Version + " listening on http://" + addr + ": /s = " + script + "\n"
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("start-up line: got %q, want %q", stderr.String(), want)
	}
	log, _ := os.ReadFile(access)
	combined := regexp.MustCompile(`^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET /missing\?q=1 HTTP/1\.1" 404 ` +
		strconv.Itoa(len(page)) + ` "http://example\.com/" "cli-test/1"\n$`)
	if !combined.Match(log) {
		t.Errorf("access log:\n%q", log)
	}
}
