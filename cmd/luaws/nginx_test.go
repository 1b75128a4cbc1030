package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The test binary doubles as luaws (and as its daemon, which re-executes it) when
// LUAWS_TEST_AS_MAIN is set, so that these tests drive the real process life cycle.
func TestMain(m *testing.M) {
	if os.Getenv("LUAWS_TEST_AS_MAIN") == "1" {
		lowerNofile()
		main()
	}
	// Become the subreaper of the daemons we start, so that they can be waited for.
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, 36 /* PR_SET_CHILD_SUBREAPER */, 1, 0)
	os.Exit(m.Run())
}

// luaws runs the test binary as luaws with args; it returns the exit code and stderr.
func luaws(t testing.TB, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "LUAWS_TEST_AS_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), stderr.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, stderr.String()
}

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// servroot writes what Test::Nginx writes: conf/nginx.conf from the fixture, html/index.html
// and an empty logs/.
func servroot(t testing.TB, port int) string {
	dir := t.TempDir()
	src, err := os.ReadFile("../../../shared/fixtures/test-nginx-shape.conf")
	if err != nil {
		t.Skip("fixture not found:", err)
	}
	conf := strings.ReplaceAll(string(src), "@SERVROOT@", dir)
	conf = strings.ReplaceAll(conf, "@PKGPATH@", dir+"/lib")
	conf = strings.Replace(conf, "listen          1984;", "listen          "+strconv.Itoa(port)+";", 1)
	for _, d := range []string{"conf", "logs", "html"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "conf/nginx.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "html/index.html"), []byte("It works!\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func tree(t testing.TB, dir string) []string {
	var out []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// stop sends QUIT to the pid in the pid file and waits for the daemon to be gone.
func stop(t testing.TB, dir string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "logs/nginx.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(pid, &ws, 0, nil)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(3 * time.Second): // Test::Nginx's limit before SIGKILL
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("pid %d still running 3s after QUIT", pid)
	}
}

func get(t testing.TB, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, b)
}

// cycle is one Test::Nginx block: start the daemon, request, read the error log, QUIT,
// check that nothing is left behind.
func cycle(t testing.TB, dir string, port int) {
	t.Helper()
	errLog := filepath.Join(dir, "logs/error.log")
	if rc, stderr := luaws(t, "-e", errLog, "-p", dir+"/", "-c", filepath.Join(dir, "conf/nginx.conf")); rc != 0 {
		t.Fatalf("start: exit %d: %s", rc, stderr)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	if got, want := get(t, base+"/c"), "200 received: hello { braces } in a string (text)\n"; got != want {
		t.Fatalf("/c: got %q, want %q", got, want)
	}
	if got, want := get(t, base+"/"), "200 It works!\n"; got != want {
		t.Fatalf("/: got %q, want %q", got, want)
	}
	log, _ := os.ReadFile(errLog)
	echo := regexp.MustCompile(`(?m)^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[warn\] \d+#\d+: \*\d+ \[lua\] content_by_lua\(nginx\.conf:77\):25: echoing: hello \{ braces \} in a string, it's 28 bytes, client: 127\.0\.0\.1, server: localhost, request: "GET /s HTTP/1\.1", host: "127\.0\.0\.1:\d+"$`)
	if !echo.Match(log) {
		t.Fatalf("error.log lacks the echo line:\n%s", log)
	}
	if bytes.Contains(log, []byte("[error]")) || bytes.Contains(log, []byte("[warn] ")) && bytes.Count(log, []byte("[warn]")) != bytes.Count(log, []byte("echoing:")) {
		t.Fatalf("unexpected [error]/[warn] in error.log:\n%s", log)
	}
	stop(t, dir)
	want := []string{"conf/nginx.conf", "html/index.html", "logs/access.log", "logs/error.log"}
	if got := tree(t, dir); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("left in the server root: %v, want %v", got, want)
	}
}

func TestTestNginxShape(t *testing.T) {
	port := freePort(t)
	dir := servroot(t, port)
	cycle(t, dir, port)
}

func TestTestNginxCycles(t *testing.T) {
	n := 200
	if testing.Short() {
		n = 10
	}
	port := freePort(t)
	dir := servroot(t, port)
	for i := 0; i < n; i++ {
		cycle(t, dir, port)
		os.Truncate(filepath.Join(dir, "logs/error.log"), 0)
	}
}

// The seed blog post's location, unchanged, served from an nginx.conf in the foreground.
func TestBlogPostConfig(t *testing.T) {
	port := freePort(t)
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "logs"), 0o755)
	post, err := os.ReadFile("../../../shared/seeds/000_70fe7b03292880ad.txt")
	if err != nil {
		t.Skip("seed not found")
	}
	loc := regexp.MustCompile("(?s)```\n(location /s \\{.*?\n\\})\n").FindSubmatch(post)
	if loc == nil {
		t.Fatal("no location /s in the blog post")
	}
	conf := fmt.Sprintf("daemon off;\nerror_log logs/error.log info;\nevents {}\nhttp {\n  server {\n    listen 127.0.0.1:%d;\n%s\n  }\n}\n", port, loc[1])
	os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644)
	cmd := exec.Command(os.Args[0], "-p", dir+"/", "-c", "nginx.conf")
	cmd.Env = append(os.Environ(), "LUAWS_TEST_AS_MAIN=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGQUIT)
		cmd.Wait()
	}()
	var c *websocket.Conn
	for i := 0; i < 100; i++ {
		c, _, err = websocket.DefaultDialer.Dial(fmt.Sprintf("ws://127.0.0.1:%d/s/", port), nil)
		if err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, msg := range []string{"hello", "it's luaws"} {
		if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		typ, got, err := c.ReadMessage()
		if err != nil || typ != websocket.TextMessage || string(got) != msg {
			t.Fatalf("echo: %d %q %v", typ, got, err)
		}
	}
}

func TestCommandLine(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	os.Mkdir(filepath.Join(dir, "logs"), 0o755)
	good := write("good.conf", "events {}\nhttp { server { listen 127.0.0.1:1; proxy_buffering off;\n location / { content_by_lua_block { ngx.say(1) } } } }\n")
	badSyntax := write("bad1.conf", "http {\n server {\n }\n }\n}\n")
	badLua := write("bad2.conf", "http { server {\n location / {\n content_by_lua_block {\n local x = = 1\n }\n }\n } }\n")
	badValue := write("bad3.conf", "http { server {\n lua_socket_log_errors maybe;\n } }\n")
	missingFile := write("bad4.conf", "http {\n init_by_lua_file nope.lua; server {\n location / { return 200; }\n } }\n")
	initErr := write("bad4i.conf", "http {\n init_by_lua_block {\n local co = coroutine.wrap(function() error(\"something went wrong\") end)\n co()\n }\n server { location / { return 200; }\n } }\n")
	// nginx opens a handler's file at request time (a 404 then); -t succeeds
	missingHandler := write("bad4h.conf", "http { server {\n location / { content_by_lua_file nope.lua; }\n } }\n")
	// as Debian's nginx 1.22 words them (compared by running it on the same files)
	unknown := write("bad5.conf", "events {}\nhttp {\n  server {\n    lua_shared_dic x 1m;\n  }\n}\n")
	refused := write("bad6.conf", "events {}\nhttp {\n  server {\n    location /a { mirror /m; }\n  }\n}\n")
	dupLoc := write("bad7.conf", "events {}\nhttp {\n  server { listen 127.0.0.1:1; location /x {} location /x {} }\n}\n")
	dupName := write("warn1.conf", "events {}\nhttp {\n  server { listen 127.0.0.1:1; server_name a; }\n  server { listen 127.0.0.1:1; server_name a; }\n}\n")
	tuning := write("tuning.conf", "events { worker_connections 64; }\nhttp {\n  sendfile on; tcp_nopush on; sendfile off;\n  server { listen 127.0.0.1:1; }\n}\n")
	tests := []struct {
		name string
		args []string
		rc   int
		want string // a regexp stderr must match
	}{
		{"version", []string{"-v"}, 0, `^nginx version: luaws/1\.25\.0 \(luaws [0-9.]+\)\n$`},
		{"configure", []string{"-V"}, 0, `(?s)^nginx version: luaws/1\.25\.0 .*configure arguments: `},
		{"test ok", []string{"-p", dir, "-c", good, "-t"}, 0,
			`(?s)\[notice\] directive "proxy_buffering" ignored \(tuning only, not implemented by luaws\) in .*good.conf:2\n.*syntax is ok\n.*test is successful\n$`},
		{"test quiet", []string{"-tq", "-p", dir, "-c", good}, 0, `^$`},
		{"syntax", []string{"-t", "-p", dir, "-c", badSyntax}, 1, `\[emerg\] unexpected "}" in .*bad1.conf:5\n.*test failed`},
		// as nginx: inline request-phase code is compiled by the first request that runs it
		{"lua syntax", []string{"-t", "-p", dir, "-c", badLua}, 0, `(?s)syntax is ok\n.*test is successful\n$`},
		{"bad value", []string{"-t", "-p", dir, "-c", badValue}, 1,
			`\[emerg\] invalid value "maybe" in "lua_socket_log_errors" directive, it must be "on" or "off" in .*bad3.conf:2`},
		{"missing lua file", []string{"-t", "-p", dir, "-c", missingFile}, 1, `\[emerg\] failed to load Lua file ".*nope.lua".* in .*bad4.conf:2`},
		// 091-coroutine TEST 45: reported once, at the error level, with a plain traceback
		{"init_by_lua error", []string{"-t", "-p", dir, "-c", initErr}, 1,
			`^luaws: \[error\] init_by_lua error: init_by_lua\(bad4i.conf:2\):3: init_by_lua\(bad4i.conf:2\):2: something went wrong\nstack traceback:\n\t\[C\]: in function 'co'\n\tinit_by_lua\(bad4i.conf:2\):3: in main chunk\n.*test failed\n$`},
		{"missing handler file", []string{"-t", "-p", dir, "-c", missingHandler}, 0, `test is successful`},
		{"missing conf", []string{"-t", "-p", dir, "-c", "nope.conf"}, 1, `\[emerg\] open\(\) ".*nope.conf" failed \(2: No such file or directory\)`},
		{"signal without daemon", []string{"-p", dir, "-c", good, "-s", "quit"}, 1, `nginx.pid" failed \(2: No such file or directory\)`},
		{"bad option", []string{"-x", "-t"}, 1, `invalid option: "-x"`},
		{"unknown directive", []string{"-t", "-p", dir, "-c", unknown}, 1,
			`^luaws: \[emerg\] unknown directive "lua_shared_dic" in .*bad5.conf:4\nluaws: configuration file .*bad5.conf test failed\n$`},
		{"unknown directive at start", []string{"-p", dir, "-c", unknown, "-g", "daemon off;"}, 1,
			`^luaws: \[emerg\] unknown directive "lua_shared_dic" in .*bad5.conf:4\n$`},
		{"refused directive", []string{"-t", "-p", dir, "-c", refused}, 1,
			`^luaws: \[emerg\] "mirror" directive is not supported by luaws .* in .*bad6.conf:4\n.*test failed\n$`},
		{"duplicate location", []string{"-t", "-p", dir, "-c", dupLoc}, 1,
			`^luaws: \[emerg\] duplicate location "/x" in .*bad7.conf:3\n.*test failed\n$`},
		{"conflicting server name", []string{"-t", "-p", dir, "-c", dupName}, 0,
			`^luaws: \[warn\] conflicting server name "a" on 127.0.0.1:1, ignored\n.*syntax is ok\n.*test is successful\n$`},
		{"tuning listed once", []string{"-t", "-p", dir, "-c", tuning}, 0,
			`^luaws: \[notice\] directive "worker_connections" ignored \(tuning only, not implemented by luaws\) in .*tuning.conf:1\n` +
				`luaws: \[notice\] directive "sendfile" ignored .* in .*tuning.conf:3\nluaws: \[notice\] directive "tcp_nopush" ignored .*tuning.conf:3\n.*syntax is ok\n.*successful\n$`},
		{"-g", []string{"-t", "-p", dir, "-c", good, "-g", "daemon off; bogus_main 1;"}, 1, `\[emerg\] unknown directive "bogus_main" in command line\n.*test failed\n$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, stderr := luaws(t, tt.args...)
			if rc != tt.rc || !regexp.MustCompile(tt.want).MatchString(stderr) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d, stderr matching %s", rc, stderr, tt.rc, tt.want)
			}
		})
	}
	// a start-up error goes to the -e error log as well (043-shdict TEST 93)
	dupDict := write("bad8.conf", "events {}\nhttp {\n  lua_shared_dict dogs 1m;\n  lua_shared_dict dogs 1m;\n  server { listen 127.0.0.1:1; }\n}\n")
	elog := filepath.Join(dir, "logs", "start.log")
	if rc, stderr := luaws(t, "-p", dir, "-c", dupDict, "-e", elog, "-g", "daemon off;"); rc != 1 || !strings.Contains(stderr, `lua_shared_dict "dogs" is already defined as "dogs"`) {
		t.Errorf("duplicate dict: exit %d, stderr %s", rc, stderr)
	}
	if b, _ := os.ReadFile(elog); !regexp.MustCompile(`\[emerg\] \d+#\d+: lua_shared_dict "dogs" is already defined as "dogs" in \S*bad8.conf:4\n`).Match(b) {
		t.Errorf("error log after a start-up error:\n%s", b)
	}
}

func TestIsNginxStyle(t *testing.T) {
	tests := []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"--listen", "0.0.0.0:9000"}, false},
		{[]string{"-shared-dict", "a=1m"}, false},
		{[]string{"-tls-cert", "x"}, false},
		{[]string{"-version"}, false},
		{[]string{"-t"}, true},
		{[]string{"-tq"}, true},
		{[]string{"-V"}, true},
		{[]string{"-p", "/srv/", "-c", "conf/nginx.conf"}, true},
		{[]string{"-c/etc/nginx.conf"}, true},
		{[]string{"-s", "reload"}, true},
	}
	for _, tt := range tests {
		if got := isNginxStyle(tt.args); got != tt.want {
			t.Errorf("%q: got %v", tt.args, got)
		}
	}
}
