package testpeer

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The reference: Debian's nginx + lua-nginx-module + lua-resty-core, with
// lua-resty-websocket's lib/ from the upstream-suite cache. It is not part of
// CI (the upstream copy is never committed); tests that run their peers
// against it too, to show that a failure is luaws's and not the peer's, do so
// only when LUAWS_NGINX_REFERENCE is set.

// NginxLocation is one `location PATH { content_by_lua_file SCRIPT; }`.
type NginxLocation struct {
	Path   string
	Script string // absolute path of the content handler
}

// RequireNginxReference skips the test unless LUAWS_NGINX_REFERENCE is set,
// and fails it when it is set but the reference stack is incomplete. It
// returns the lua-resty-websocket lib directory.
func RequireNginxReference(t testing.TB) string {
	t.Helper()
	if os.Getenv("LUAWS_NGINX_REFERENCE") == "" {
		t.Skip("reference run: set LUAWS_NGINX_REFERENCE=1 (needs nginx-light, libnginx-mod-http-lua, lua-resty-core and lua-resty-websocket in the upstream-suite cache)")
	}
	cache := os.Getenv("UPSTREAM_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "upstream-suite")
	}
	lib := filepath.Join(cache, "lua-resty-websocket", "lib")
	for _, f := range []string{
		"/usr/sbin/nginx",
		"/usr/lib/nginx/modules/ndk_http_module.so",
		"/usr/lib/nginx/modules/ngx_http_lua_module.so",
		filepath.Join(lib, "resty", "websocket", "server.lua"),
	} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("nginx reference: %v", err)
		}
	}
	return lib
}

// StartNginx runs the reference nginx in the foreground on a free port with
// the given locations, serving static files from root (may be ""), and
// returns its base URL and a reader of its error log.
func StartNginx(t testing.TB, root string, locs ...NginxLocation) (baseURL string, errlog func() string) {
	t.Helper()
	lib := RequireNginxReference(t)
	dir := t.TempDir()
	for _, d := range []string{"logs", "conf"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	port := FreePort(t)
	errLog := filepath.Join(dir, "logs", "error.log")
	var b strings.Builder
	fmt.Fprintf(&b, `load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
daemon off;
master_process off;
worker_processes 1;
pid %s/logs/nginx.pid;
error_log %s debug;
events { worker_connections 256; }
http {
    access_log off;
    lua_package_path "%s/?.lua;;";
    client_body_temp_path %s/logs;
    server {
        listen 127.0.0.1:%d;
`, dir, errLog, lib, dir, port)
	if root != "" {
		fmt.Fprintf(&b, "        root %s;\n", root)
	}
	for _, l := range locs {
		fmt.Fprintf(&b, `        location %s {
            lua_socket_log_errors off;
            lua_check_client_abort on;
            content_by_lua_file %s;
        }
`, l.Path, l.Script)
	}
	b.WriteString("    }\n}\n")
	conf := filepath.Join(dir, "conf", "nginx.conf")
	addr, errlog := runNginx(t, dir, conf, b.String(), errLog, port)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("nginx error log (tail):\n%s", tail(errlog(), 60))
		}
	})
	return "http://" + addr, errlog
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// StartNginxHTTP runs the reference nginx (lua and echo modules loaded) in the foreground
// with body as its http{} block, whose servers listen on 127.0.0.1:port; it returns the
// base URL of that port and a reader of the error log (level notice).
func StartNginxHTTP(t testing.TB, body string, port int) (baseURL string, errlog func() string) {
	t.Helper()
	RequireNginxReference(t)
	dir := t.TempDir()
	errLog := filepath.Join(dir, "error.log")
	conf := filepath.Join(dir, "nginx.conf")
	src := fmt.Sprintf(`load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
daemon off;
master_process off;
worker_processes 1;
pid %s/nginx.pid;
error_log %s notice;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path %s;
%s
}
`, dir, errLog, dir, body)
	addr, errlog := runNginx(t, dir, conf, src, errLog, port)
	return "http://" + addr, errlog
}

// runNginx writes src to conf and runs Debian's nginx on it with prefix dir until the test
// ends; it returns the address it listens on (127.0.0.1:port) once it does, and a reader of
// its error log errLog.
func runNginx(t testing.TB, dir, conf, src, errLog string, port int) (addr string, errlog func() string) {
	t.Helper()
	if err := os.WriteFile(conf, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, "/usr/sbin/nginx", "-p", dir+"/", "-c", conf, "-e", errLog)
	errlog = func() string { data, _ := os.ReadFile(errLog); return string(data) }
	addr = "127.0.0.1:" + strconv.Itoa(port)
	if err := waitListening(p, addr); err != nil {
		t.Fatalf("nginx: %v\n%s\n%s", err, p.Output.String(), errlog())
	}
	return addr, errlog
}
