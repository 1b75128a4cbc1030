package errlog

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// An error log on syslog sends one datagram per line, as nginx's `error_log
// syslog:server=...`: "<PRI>Mmm dd hh:mm:ss HOST TAG: " and the file's line without its
// newline; PRI is facility*8 + the level's syslog severity (local7 and "nginx" by default).
func TestSyslogDatagrams(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	host, _ := os.Hostname()
	host = regexp.QuoteMeta(strings.ToLower(host))
	tests := []struct {
		params string
		level  int
		want   string
	}{
		{"", Err, `^<187>\w{3} [ \d]\d \d\d:\d\d:\d\d ` + host + ` nginx: \d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[error\] \d+#\d+: \*5 Bad bad bad, client: 1.2.3.4, server: s$`},
		{"", Info, `^<190>.* nginx: .* \[info\] `},
		{",facility=local0,tag=luaws_x", Warn, `^<132>.* ` + host + ` luaws_x: .* \[warn\] `},
		{",nohostname", Alert, `^<185>\w{3} [ \d]\d \d\d:\d\d:\d\d nginx: `},
	}
	buf := make([]byte, 2048)
	for _, tt := range tests {
		lg, err := Open("syslog:server="+pc.LocalAddr().String()+tt.params, Debug)
		if err != nil {
			t.Fatalf("%q: %v", tt.params, err)
		}
		def := filepath.Join(t.TempDir(), "error.log")
		if err := lg.SetDefault(def); err != nil {
			t.Fatal(err)
		}
		lg.Log(tt.level, &Conn{ID: 5, Client: "1.2.3.4", Server: "s"}, "Bad bad bad")
		lg.Close()
		_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatalf("%q: no datagram: %v", tt.params, err)
		}
		if !regexp.MustCompile(tt.want).Match(buf[:n]) {
			t.Errorf("%q: datagram %q does not match %s", tt.params, buf[:n], tt.want)
		}
		// nginx's default error log, opened when no error log is a file, takes error and
		// more severe lines.
		b, _ := os.ReadFile(def)
		if got, want := len(b) > 0, tt.level <= Err; got != want {
			t.Errorf("%q level %d: in the default log %v, want %v", tt.params, tt.level, got, want)
		}
	}
}

func TestSyslogParamErrors(t *testing.T) {
	tests := []struct{ path, want string }{
		{"syslog:", `unknown syslog parameter ""`},
		{"syslog:facility=local1", "no syslog server specified"},
		{"syslog:server=127.0.0.1,facility=nope", `unknown syslog facility "nope"`},
		{"syslog:server=127.0.0.1,tag=a-b", `syslog "tag" only allows alphanumeric characters and underscore`},
		{"syslog:server=127.0.0.1,bogus", `unknown syslog parameter "bogus"`},
		{"syslog:server=127.0.0.1,severity=loud", `unknown syslog severity "loud"`},
		{"syslog:server=127.0.0.1,server=x", `duplicate syslog "server"`},
	}
	for _, tt := range tests {
		if _, err := Open(tt.path, Err); err == nil || err.Error() != tt.want {
			t.Errorf("Open(%q) = %v, want %q", tt.path, err, tt.want)
		}
	}
}
