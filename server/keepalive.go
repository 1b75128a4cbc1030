package server

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// KeepAlive is nginx's so_keepalive: "on", "off" or "[keepidle]:[keepintvl]:[keepcnt]". The
// zero value leaves TCP keepalive off, as nginx leaves the system default.
type KeepAlive struct {
	On          bool
	Idle, Intvl time.Duration
	Count       int
	text        string
}

func (k *KeepAlive) String() string { return k.text }

// Set parses nginx's syntax (it makes *KeepAlive a flag.Value).
func (k *KeepAlive) Set(v string) error {
	*k = KeepAlive{text: v}
	switch v {
	case "on":
		k.On = true
		return nil
	case "off":
		return nil
	}
	parts := strings.Split(v, ":")
	if len(parts) != 3 {
		return fmt.Errorf("invalid so_keepalive value %q: want on, off or [keepidle]:[keepintvl]:[keepcnt]", v)
	}
	k.On = true
	var err error
	if parts[0] != "" {
		if k.Idle, err = ParseTime(parts[0]); err != nil {
			return fmt.Errorf("invalid so_keepalive keepidle %q: %w", parts[0], err)
		}
	}
	if parts[1] != "" {
		if k.Intvl, err = ParseTime(parts[1]); err != nil {
			return fmt.Errorf("invalid so_keepalive keepintvl %q: %w", parts[1], err)
		}
	}
	if parts[2] != "" {
		if k.Count, err = strconv.Atoi(parts[2]); err != nil || k.Count <= 0 {
			return fmt.Errorf("invalid so_keepalive keepcnt %q", parts[2])
		}
	}
	return nil
}

func (k KeepAlive) listenConfig() net.ListenConfig {
	lc := net.ListenConfig{KeepAlive: -1}
	if !k.On {
		return lc
	}
	orDefault := func(d time.Duration) time.Duration {
		if d == 0 {
			return -1 // the system's value
		}
		return d
	}
	cnt := k.Count
	if cnt == 0 {
		cnt = -1
	}
	lc.KeepAlive = 0
	lc.KeepAliveConfig = net.KeepAliveConfig{Enable: true, Idle: orDefault(k.Idle), Interval: orDefault(k.Intvl), Count: cnt}
	return lc
}

// ParseTime parses nginx's time syntax: "30" (seconds), "30s", "2m", "1h30m", "500ms".
func ParseTime(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, nil
	}
	units := map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "m": time.Minute,
		"h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour, "M": 30 * 24 * time.Hour,
		"y": 365 * 24 * time.Hour}
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("bad time %q", s)
		}
		n, _ := strconv.Atoi(rest[:i])
		rest = rest[i:]
		j := 0
		for j < len(rest) && (rest[j] < '0' || rest[j] > '9') {
			j++
		}
		u, ok := units[rest[:j]]
		if !ok {
			return 0, fmt.Errorf("bad time unit in %q", s)
		}
		total += time.Duration(n) * u
		rest = rest[j:]
	}
	return total, nil
}

// stderr writes to the process's standard error at the time of each write.
type stderr struct{}

func (stderr) Write(p []byte) (int, error) { return os.Stderr.Write(p) }
