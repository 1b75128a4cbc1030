package errlog

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// syslogPeer is an error log written to a syslog server, as nginx's `error_log
// syslog:server=...`: one datagram per line, "<PRI>Mmm dd hh:mm:ss HOST TAG: " followed by
// the line nginx writes to a file (its own time stamp included), without the newline.
type syslogPeer struct {
	conn     net.Conn
	facility int
	host     string // "" with nohostname
	tag      string
}

// syslogFacilities are the names nginx accepts for facility=, in their syslog numbers.
var syslogFacilities = [...]string{"kern", "user", "mail", "daemon", "auth", "intern", "lpr",
	"news", "uucp", "clock", "authpriv", "ftp", "ntp", "audit", "alert", "cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}

// openSyslog parses the parameters after "syslog:" (server=ADDR[:PORT] or unix:PATH,
// facility=, tag=, nohostname) and connects to the server. Errors are worded as nginx's.
func openSyslog(params string) (*syslogPeer, error) {
	p := &syslogPeer{facility: 23, tag: "nginx"} // local7, as nginx
	server, noHost := "", false
	for _, kv := range strings.Split(params, ",") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "server":
			if server != "" {
				return nil, fmt.Errorf("duplicate syslog \"server\"")
			}
			server = v
		case "facility":
			f := -1
			for i, n := range syslogFacilities {
				if n == v {
					f = i
				}
			}
			if f < 0 {
				return nil, fmt.Errorf("unknown syslog facility \"%s\"", v)
			}
			p.facility = f
		case "tag":
			if len(v) > 32 {
				return nil, fmt.Errorf("syslog tag length exceeds 32")
			}
			for _, c := range v {
				if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
					return nil, fmt.Errorf("syslog \"tag\" only allows alphanumeric characters and underscore")
				}
			}
			p.tag = v
		case "nohostname":
			noHost = true
		case "severity": // nginx takes it and uses it for access logs only
			if _, err := ParseLevel(v); err != nil {
				return nil, fmt.Errorf("unknown syslog severity \"%s\"", v)
			}
		default:
			return nil, fmt.Errorf("unknown syslog parameter \"%s\"", kv)
		}
	}
	if server == "" {
		return nil, fmt.Errorf("no syslog server specified")
	}
	network, addr := "udp", server
	if path, ok := strings.CutPrefix(server, "unix:"); ok {
		network, addr = "unixgram", path
	} else if _, _, err := net.SplitHostPort(server); err != nil {
		addr = net.JoinHostPort(strings.Trim(server, "[]"), "514")
	}
	conn, err := net.Dial(network, addr)
	if err != nil {
		return nil, fmt.Errorf("syslog server \"%s\": %w", server, err)
	}
	p.conn = conn
	if h, err := os.Hostname(); err == nil && !noHost {
		p.host = strings.ToLower(h)
	}
	return p, nil
}

// send writes one line (without its newline) as a datagram of the given nginx level.
func (p *syslogPeer) send(b []byte, level int, now time.Time, line []byte) []byte {
	severity := level - 1 // nginx's emerg (1) is syslog's 0, ... debug (8) is 7
	if severity < 0 {
		severity = 0
	}
	b = append(b, '<')
	b = strconv.AppendInt(b, int64(p.facility*8+severity), 10)
	b = append(b, '>')
	b = now.AppendFormat(b, "Jan _2 15:04:05")
	b = append(b, ' ')
	if p.host != "" {
		b = append(b, p.host...)
		b = append(b, ' ')
	}
	b = append(b, p.tag...)
	b = append(b, ": "...)
	b = append(b, line...)
	_, _ = p.conn.Write(b) // a syslog server that is down loses the line, as under nginx
	return b
}
