package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// lowerNofile applies LUAWS_TEST_NOFILE (an RLIMIT_NOFILE for the luaws child process).
func lowerNofile() {
	if n, err := strconv.ParseUint(os.Getenv("LUAWS_TEST_NOFILE"), 10, 64); err == nil {
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: n})
	}
}

// TestAcceptOutOfDescriptors: a luaws whose descriptors run out logs nginx's crit line,
// keeps running, and accepts again once connections close.
func TestAcceptOutOfDescriptors(t *testing.T) {
	dir := t.TempDir()
	logFile := filepath.Join(dir, "error.log")
	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(os.Args[0], "--listen", addr, "--error-log", logFile, "--log-level", "info")
	cmd.Env = append(os.Environ(), "LUAWS_TEST_AS_MAIN=1", "LUAWS_TEST_NOFILE=24")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	waitTCPListening(t, addr)

	crit := regexp.MustCompile(`\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[crit\] \d+#\d+: accept4\(\) failed \(24: Too many open files\)\n`)
	var conns []net.Conn
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(logFile)
		if crit.Match(b) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no accept4() crit line after %d connections; log:\n%s", len(conns), b)
		}
		if len(conns) < 64 {
			c, err := net.Dial("tcp", addr)
			if err == nil {
				conns = append(conns, c)
			}
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}
	for _, c := range conns {
		c.Close()
	}
	client := http.Client{Timeout: 2 * time.Second}
	deadline = time.Now().Add(10 * time.Second)
	for {
		resp, err := client.Get("http://" + addr + "/websockets.html")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not serving again after the descriptors came back: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func waitTCPListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("luaws not listening on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
