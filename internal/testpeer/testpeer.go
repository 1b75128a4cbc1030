// Package testpeer holds helpers for tests that run the luaws binary and real
// protocol peers (Chromium, node's ws, Python's websockets, redis-server)
// against it.
//
// Peers are external programs. Require finds one; when the environment
// variable CI is set (as .ci/run does) a missing peer fails the test, so CI
// can never pass by skipping; on a developer machine it skips.
package testpeer

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// StartTimeout bounds how long StartLuaws and StartRedis wait for a server to
// accept connections.
const StartTimeout = 20 * time.Second

// InCI reports whether the tests run under CI (the CI variable is set and
// not "0" or "false"), where missing peers are failures.
func InCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "0" && v != "false"
}

// ModuleRoot returns the directory holding the module's go.mod, found by
// walking up from the working directory (go test runs in the package dir).
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("testpeer: getwd: %v", err)
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			bytes.Contains(data, []byte("module github.com/luaws/luaws")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("testpeer: no go.mod of github.com/luaws/luaws above the working directory")
		}
		dir = parent
	}
}

// Artifacts returns the directory where tests leave files worth looking at
// after the run (screenshots, logs): $LUAWS_ARTIFACTS when set (created if
// needed), else a t.TempDir().
func Artifacts(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("LUAWS_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatalf("testpeer: artifacts dir: %v", err)
		}
		return d
	}
	return t.TempDir()
}

var build struct {
	once sync.Once
	path string
	err  error
}

// BuildLuaws builds ./cmd/luaws once per test binary and returns the path of
// the executable. LUAWS_BIN, when set, names a binary to use instead.
//
// The binary goes to a directory under the user cache keyed by the module
// root, written to a temporary name and renamed into place, so concurrent test
// binaries (go test ./... runs packages in parallel) never see a half-written
// file and repeated runs leave one binary behind, not one per run.
func BuildLuaws(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("LUAWS_BIN"); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatalf("testpeer: LUAWS_BIN: %v", err)
		}
		return abs
	}
	root := ModuleRoot(t)
	build.once.Do(func() { build.path, build.err = buildLuaws(root) })
	if build.err != nil {
		t.Fatalf("testpeer: %v", build.err)
	}
	return build.path
}

func buildLuaws(root string) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil || cache == "" {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "luaws-testpeer", fmt.Sprintf("%x", fnv32(root)))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("build luaws: %w", err)
	}
	tmp := filepath.Join(dir, fmt.Sprintf("luaws.%d.tmp", os.Getpid()))
	goBin := filepath.Join(goRoot(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	cmd := exec.Command(goBin, "build", "-o", tmp, "./cmd/luaws")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("go build ./cmd/luaws: %w\n%s", err, out)
	}
	final := filepath.Join(dir, "luaws")
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("build luaws: %w", err)
	}
	return final, nil
}

func goRoot() string {
	if r := os.Getenv("GOROOT"); r != "" {
		return r
	}
	if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
		return strings.TrimSpace(string(out))
	}
	return "/usr/local/go"
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testpeer: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// syncBuffer is a bytes.Buffer safe for a process writing and a test reading.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Proc is a server process started by a test.
type Proc struct {
	Cmd    *exec.Cmd
	Output *syncBuffer // stdout and stderr, interleaved
	done   chan struct{}
	err    error // valid after done is closed
}

// Exited reports whether the process has ended, and its wait error.
func (p *Proc) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

func startProc(t testing.TB, name string, args ...string) *Proc {
	t.Helper()
	out := &syncBuffer{}
	cmd := exec.Command(name, args...)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("testpeer: start %s: %v", name, err)
	}
	p := &Proc{Cmd: cmd, Output: out, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.stop() })
	return p
}

// stop sends SIGTERM to the process group, and SIGKILL if it is still there
// after five seconds.
func (p *Proc) stop() {
	if done, _ := p.Exited(); done {
		return
	}
	pgid := -p.Cmd.Process.Pid
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		<-p.done
	}
}

// waitListening polls addr until it accepts a TCP connection, the process
// ends, or StartTimeout passes.
func waitListening(p *Proc, addr string) error {
	deadline := time.Now().Add(StartTimeout)
	for {
		if done, err := p.Exited(); done {
			return fmt.Errorf("exited before listening on %s (%v)", addr, err)
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening on %s after %v: %w", addr, StartTimeout, err)
		}
		time.Sleep(20 * time.Millisecond) // poll interval, not synchronisation
	}
}

func hasFlag(args []string, flag string) (string, bool) {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1], true
		}
		if v, ok := strings.CutPrefix(a, flag+"="); ok {
			return v, true
		}
	}
	return "", false
}

// StartLuaws runs the luaws binary (BuildLuaws) with args, adding
// --listen 127.0.0.1:PORT on a free port unless args has --listen, and
// --error-log FILE in a temp dir unless args has --error-log. It waits until
// the server accepts connections and stops it (SIGTERM, then SIGKILL) when the
// test ends. It returns the base URL ("http://127.0.0.1:PORT") and a function
// that reads the error log so far. When the test fails, the process output and
// the error log are logged.
func StartLuaws(t testing.TB, args ...string) (baseURL string, errlog func() string) {
	t.Helper()
	_, baseURL, errlog = StartLuawsProc(t, args...)
	return baseURL, errlog
}

// StartLuawsProc is StartLuaws that also returns the process, for tests that stop or kill
// it themselves.
func StartLuawsProc(t testing.TB, args ...string) (proc *Proc, baseURL string, errlog func() string) {
	t.Helper()
	bin := BuildLuaws(t)
	logFile, ok := hasFlag(args, "--error-log")
	if !ok {
		logFile = filepath.Join(t.TempDir(), "error.log")
		args = append([]string{"--error-log", logFile}, args...)
	}
	errlog = func() string {
		data, err := os.ReadFile(logFile)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Sprintf("(reading %s: %v)", logFile, err)
		}
		return string(data)
	}
	listen, fixed := hasFlag(args, "--listen")
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		a := args
		if !fixed {
			listen = "127.0.0.1:" + strconv.Itoa(FreePort(t))
			a = append([]string{"--listen", listen}, args...)
		}
		p := startProc(t, bin, a...)
		err := waitListening(p, listen)
		if err == nil {
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("luaws %s output:\n%s", strings.Join(a, " "), p.Output.String())
					t.Logf("luaws error log %s:\n%s", logFile, errlog())
				}
			})
			return p, "http://" + listen, errlog
		}
		lastErr = fmt.Errorf("luaws %s: %w\noutput:\n%s\nerror log:\n%s",
			strings.Join(a, " "), err, p.Output.String(), errlog())
		p.stop()
		if fixed || !strings.Contains(lastErr.Error(), "address already in use") {
			break
		}
	}
	t.Fatalf("testpeer: %v", lastErr)
	return nil, "", nil
}

// StartRedis runs a throw-away redis-server (Require "redis-server") on a
// free port with no persistence and returns its address "127.0.0.1:PORT".
func StartRedis(t testing.TB) string {
	t.Helper()
	bin := Require(t, "redis-server")
	port := FreePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	p := startProc(t, bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := waitListening(p, addr); err != nil {
		t.Fatalf("testpeer: redis-server: %v\n%s", err, p.Output.String())
	}
	return addr
}

// dialRESP sends one inline command to a Redis server and returns the first
// reply line (with its CRLF).
func dialRESP(addr, cmd string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return "", fmt.Errorf("redis %s: %w", addr, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(cmd + "\r\n")); err != nil {
		return "", fmt.Errorf("redis %s: %w", addr, err)
	}
	buf := make([]byte, 512)
	n, err := c.Read(buf)
	if err != nil {
		return "", fmt.Errorf("redis %s: %w", addr, err)
	}
	return string(buf[:n]), nil
}
