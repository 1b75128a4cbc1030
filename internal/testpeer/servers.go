package testpeer

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Servers the protocol libraries (resty.redis, resty.memcached, resty.mysql,
// resty.dns.resolver) are tested against.

func init() {
	peers["memcached"] = peer{
		find: func(testing.TB) (string, error) { return lookFirst("memcached", "/usr/bin/memcached") },
		hint: "apt-get install memcached",
	}
	peers["mariadbd"] = peer{
		find: func(testing.TB) (string, error) {
			return lookFirst("mariadbd", "/usr/sbin/mariadbd", "mysqld", "/usr/sbin/mysqld")
		},
		hint: "apt-get install mariadb-server",
	}
	peers["dnsmasq"] = peer{
		find: func(testing.TB) (string, error) { return lookFirst("dnsmasq", "/usr/sbin/dnsmasq") },
		hint: "apt-get install dnsmasq-base",
	}
}

// Redis is a redis-server started by StartRedisWith.
type Redis struct {
	Addr string // "127.0.0.1:PORT"
	Unix string // the unix socket's path
	Port int
}

// StartRedisWith runs a throw-away redis-server on a free port that also
// listens on a unix socket in a temp dir, with extra arguments appended
// (e.g. "--requirepass", "pw", or TLS options).
func StartRedisWith(t testing.TB, extra ...string) Redis {
	t.Helper()
	bin := Require(t, "redis-server")
	dir := t.TempDir()
	r := Redis{Port: FreePort(t), Unix: filepath.Join(dir, "redis.sock")}
	r.Addr = "127.0.0.1:" + strconv.Itoa(r.Port)
	args := append([]string{"--port", strconv.Itoa(r.Port), "--bind", "127.0.0.1",
		"--unixsocket", r.Unix, "--save", "", "--appendonly", "no", "--dir", dir}, extra...)
	p := startProc(t, bin, args...)
	if err := waitListening(p, r.Addr); err != nil {
		t.Fatalf("testpeer: redis-server: %v\n%s", err, p.Output.String())
	}
	return r
}

// StartMemcached runs a throw-away memcached on a free loopback port and
// returns its address "127.0.0.1:PORT".
func StartMemcached(t testing.TB, extra ...string) string {
	t.Helper()
	bin := Require(t, "memcached")
	port := FreePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	args := append([]string{"-l", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "0", "-m", "16"}, extra...)
	if os.Geteuid() == 0 {
		args = append(args, "-u", "root")
	}
	p := startProc(t, bin, args...)
	if err := waitListening(p, addr); err != nil {
		t.Fatalf("testpeer: memcached: %v\n%s", err, p.Output.String())
	}
	return addr
}

// waitFile polls until path exists or StartTimeout passes.
func waitFile(path string) bool {
	deadline := time.Now().Add(StartTimeout)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return true
		}
		time.Sleep(20 * time.Millisecond) // poll interval, not synchronisation
	}
	return false
}
