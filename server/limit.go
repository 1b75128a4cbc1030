package server

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/luaws/luaws/luabind/shdict"
)

// limitReqZone is limit_req_zone: a key and a rate (in thousandths of a request per second,
// as nginx keeps it).
type limitReqZone struct {
	name string
	key  string
	rate int64
	size int64
	mu   sync.Mutex
	m    map[string]*limitReqNode
}

type limitReqNode struct {
	excess int64 // thousandths of a request
	last   time.Time
}

// limitReq is one limit_req directive.
type limitReq struct {
	zone  *limitReqZone
	burst int64 // thousandths
	delay int64 // thousandths; nodelay: burst
}

// parseLimitReqZone reads "limit_req_zone key zone=name:size rate=Nr/s|Nr/m [sync]".
func parseLimitReqZone(args []string) (*limitReqZone, error) {
	if len(args) < 3 {
		return nil, fmt.Errorf("invalid number of arguments in \"limit_req_zone\" directive")
	}
	z := &limitReqZone{key: args[0], m: map[string]*limitReqNode{}}
	for _, a := range args[1:] {
		switch {
		case strings.HasPrefix(a, "zone="):
			name, size, ok := strings.Cut(a[5:], ":")
			if !ok || name == "" {
				return nil, fmt.Errorf("invalid zone size \"%s\"", a)
			}
			n, err := shdict.ParseSize(size)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("invalid zone size \"%s\"", a)
			}
			z.name, z.size = name, n
		case strings.HasPrefix(a, "rate="):
			v := a[5:]
			scale := int64(1)
			switch {
			case strings.HasSuffix(v, "r/s"):
				v = strings.TrimSuffix(v, "r/s")
			case strings.HasSuffix(v, "r/m"):
				v, scale = strings.TrimSuffix(v, "r/m"), 60
			default:
				return nil, fmt.Errorf("invalid rate \"%s\"", a)
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("invalid rate \"%s\"", a)
			}
			z.rate = n * 1000 / scale
		case a == "sync":
		default:
			return nil, fmt.Errorf("invalid parameter \"%s\"", a)
		}
	}
	if z.name == "" {
		return nil, fmt.Errorf("\"limit_req_zone\" must have \"zone\" parameter")
	}
	if z.rate == 0 {
		z.rate = 1000
	}
	return z, nil
}

// account applies nginx's leaky bucket for key: ok false when the request is over the
// burst; wait is how long to delay it otherwise; excess is for the log line.
func (l *limitReq) account(key string, now time.Time, dryRun bool) (ok bool, wait time.Duration, excess int64) {
	z := l.zone
	z.mu.Lock()
	defer z.mu.Unlock()
	n := z.m[key]
	if n == nil {
		// nginx's zone holds about 16000 states per megabyte; drop the oldest when full
		if int64(len(z.m)) >= z.size/64 {
			z.expire(now)
		}
		n = &limitReqNode{last: now}
		z.m[key] = n
		excess = 0
	} else {
		ms := now.Sub(n.last).Milliseconds()
		if ms < 0 {
			ms = 0
		}
		excess = n.excess - z.rate*ms/1000 + 1000
		if excess < 0 {
			excess = 0
		}
	}
	if excess > l.burst {
		return false, 0, excess
	}
	if dryRun {
		return true, 0, excess
	}
	n.excess, n.last = excess, now
	if excess <= l.delay {
		return true, 0, excess
	}
	return true, time.Duration((excess-l.delay)*1000/z.rate) * time.Millisecond, excess
}

// expire drops states whose excess has drained away.
func (z *limitReqZone) expire(now time.Time) {
	for k, n := range z.m {
		if n.excess-z.rate*now.Sub(n.last).Milliseconds()/1000 <= 0 {
			delete(z.m, k)
		}
	}
}

// limitConnZone is limit_conn_zone: requests in progress per key.
type limitConnZone struct {
	name string
	key  string
	mu   sync.Mutex
	m    map[string]int
}

// limitConn is one limit_conn directive.
type limitConn struct {
	zone *limitConnZone
	n    int
}

func parseLimitConnZone(args []string) (*limitConnZone, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("invalid number of arguments in \"limit_conn_zone\" directive")
	}
	if !strings.HasPrefix(args[1], "zone=") {
		return nil, fmt.Errorf("invalid parameter \"%s\"", args[1])
	}
	name, size, ok := strings.Cut(args[1][5:], ":")
	if !ok || name == "" {
		return nil, fmt.Errorf("invalid zone size \"%s\"", args[1])
	}
	if n, err := shdict.ParseSize(size); err != nil || n <= 0 {
		return nil, fmt.Errorf("invalid zone size \"%s\"", args[1])
	}
	return &limitConnZone{name: name, key: args[0], m: map[string]int{}}, nil
}

// acquire takes a slot for key; release gives it back.
func (l *limitConn) acquire(key string) bool {
	z := l.zone
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.m[key] >= l.n {
		return false
	}
	z.m[key]++
	return true
}

func (l *limitConn) release(key string) {
	z := l.zone
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.m[key]--; z.m[key] <= 0 {
		delete(z.m, key)
	}
}
