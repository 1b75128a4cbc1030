package luabind

// The time functions of the ngx table, as lua-resty-core 0.1.25 over lua-nginx-module
// 0.10.23 and nginx 1.22 define them. Like nginx's cached time, ngx.now, ngx.time,
// ngx.today, ngx.localtime and ngx.utctime read a per-state cache that only
// ngx.update_time refreshes (nginx also refreshes it on every event-loop turn; the host
// may call ngxTimeCache.update at its own turns).

import (
	"fmt"
	"math"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// ngxTimeCache is one Lua state's cached time: seconds and milliseconds, as nginx's
// ngx_cached_time holds them.
type ngxTimeCache struct {
	clock func() time.Time
	loc   *time.Location
	sec   int64
	msec  int64
}

// ngxTimeNewCache returns a cache reading clock, with local time in loc, already filled.
func ngxTimeNewCache(clock func() time.Time, loc *time.Location) *ngxTimeCache {
	c := &ngxTimeCache{clock: clock, loc: loc}
	c.update()
	return c
}

func (c *ngxTimeCache) update() {
	t := c.clock()
	c.sec = t.Unix()
	c.msec = int64(t.Nanosecond() / int(time.Millisecond))
}

// registerNgxTime sets the time functions on the ngx table, over a cache of its own, which
// it returns: the host refreshes it as nginx's event loop would (see lthread.block).
func registerNgxTime(L *lua.LState, ngx *lua.LTable) *ngxTimeCache {
	c := ngxTimeNewCache(time.Now, time.Local)
	ngxTimeRegister(L, ngx, c)
	return c
}

// ngxTimeRegister sets the time functions over the given cache (tests pass a fake clock).
func ngxTimeRegister(L *lua.LState, ngx *lua.LTable, c *ngxTimeCache) {
	funcs := map[string]lua.LGFunction{
		"now":             c.ngxTimeNow,
		"time":            c.ngxTimeTime,
		"update_time":     c.ngxTimeUpdateTime,
		"today":           c.ngxTimeToday,
		"localtime":       c.ngxTimeLocaltime,
		"utctime":         c.ngxTimeUtctime,
		"http_time":       ngxTimeHTTPTime,
		"cookie_time":     ngxTimeCookieTime,
		"parse_http_time": ngxTimeParseHTTPTime,
	}
	for name, fn := range funcs {
		ngx.RawSetString(name, L.NewFunction(fn))
	}
}

func (c *ngxTimeCache) ngxTimeNow(L *lua.LState) int {
	L.Push(lua.LNumber(float64(c.sec) + float64(c.msec)/1000.0))
	return 1
}

func (c *ngxTimeCache) ngxTimeTime(L *lua.LState) int {
	L.Push(lua.LNumber(c.sec))
	return 1
}

func (c *ngxTimeCache) ngxTimeUpdateTime(L *lua.LState) int {
	c.update()
	return 0
}

func (c *ngxTimeCache) ngxTimeToday(L *lua.LState) int {
	t := time.Unix(c.sec, 0).In(c.loc)
	L.Push(lua.LString(fmt.Sprintf("%04d-%02d-%02d", t.Year(), t.Month(), t.Day())))
	return 1
}

func ngxTimeISO(t time.Time) lua.LString {
	return lua.LString(fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d",
		t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second()))
}

func (c *ngxTimeCache) ngxTimeLocaltime(L *lua.LState) int {
	L.Push(ngxTimeISO(time.Unix(c.sec, 0).In(c.loc)))
	return 1
}

func (c *ngxTimeCache) ngxTimeUtctime(L *lua.LState) int {
	L.Push(ngxTimeISO(time.Unix(c.sec, 0).UTC()))
	return 1
}

var (
	ngxTimeWeek   = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	ngxTimeMonths = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
)

// ngxTimeCheckSec is the FFI wrappers' argument: a number ("number argument only"
// otherwise), converted to a C long by truncation; NaN, infinities and out-of-range values
// become LONG_MIN as on x86-64.
func ngxTimeCheckSec(L *lua.LState) int64 {
	v, ok := L.Get(1).(lua.LNumber)
	if !ok {
		ngxStrError(L, 1, "number argument only")
	}
	f := float64(v)
	if math.IsNaN(f) || f >= 1<<63 || f < -(1<<63) {
		return math.MinInt64
	}
	return int64(f)
}

// ngxTimeGmtime is nginx's ngx_gmtime: negative times are the epoch, and times past
// 9999-12-31 23:59:59 are that.
func ngxTimeGmtime(t int64) time.Time {
	if t < 0 {
		t = 0
	}
	const maxDays = 2932896
	if t/86400 > maxDays {
		t = maxDays*86400 + 86399
	}
	return time.Unix(t, 0).UTC()
}

// ngxTimeHTTP formats "Thu, 18 Nov 2010 11:27:35 GMT".
func ngxTimeHTTP(t int64) string {
	tm := ngxTimeGmtime(t)
	return fmt.Sprintf("%s, %02d %s %4d %02d:%02d:%02d GMT", ngxTimeWeek[tm.Weekday()],
		tm.Day(), ngxTimeMonths[tm.Month()-1], tm.Year(), tm.Hour(), tm.Minute(), tm.Second())
}

// ngxTimeCookie formats "Thu, 18-Nov-10 11:27:35 GMT", with a 4-digit year after 2037.
func ngxTimeCookie(t int64) string {
	tm := ngxTimeGmtime(t)
	year := fmt.Sprintf("%02d", tm.Year()%100)
	if tm.Year() > 2037 {
		year = fmt.Sprintf("%d", tm.Year())
	}
	return fmt.Sprintf("%s, %02d-%s-%s %02d:%02d:%02d GMT", ngxTimeWeek[tm.Weekday()],
		tm.Day(), ngxTimeMonths[tm.Month()-1], year, tm.Hour(), tm.Minute(), tm.Second())
}

func ngxTimeHTTPTime(L *lua.LState) int {
	L.Push(lua.LString(ngxTimeHTTP(ngxTimeCheckSec(L))))
	return 1
}

func ngxTimeCookieTime(L *lua.LState) int {
	L.Push(lua.LString(ngxTimeCookie(ngxTimeCheckSec(L))))
	return 1
}

var ngxTimeMday = [12]uint64{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// ngxTimeParse is nginx's ngx_parse_http_time, byte for byte: RFC 822/1123
// ("Tue, 10 Nov 2002 23:50:13"), RFC 850 ("Tuesday, 10-Dec-02 23:50:13") and asctime
// ("Tue Dec 10 23:50:13 2002"); anything after the time (or year) is ignored, the week day
// is not checked, and the arithmetic wraps as nginx's unsigned arithmetic does.
func ngxTimeParse(s string) (int64, bool) {
	at := func(i int) byte {
		if i >= 0 && i < len(s) {
			return s[i]
		}
		return 0 // the NUL after a Lua string
	}
	isd := func(i int) bool { c := at(i); return c >= '0' && c <= '9' }
	d := func(i int) uint64 { return uint64(at(i) - '0') }
	const (
		rfc822 = iota + 1
		rfc850
		isoc
	)
	fmtKind := 0
	end := len(s)
	p := 0
	for ; p < end; p++ {
		if s[p] == ',' {
			break
		}
		if s[p] == ' ' {
			fmtKind = isoc
			break
		}
	}
	for p++; p < end; p++ {
		if s[p] != ' ' {
			break
		}
	}
	if end-p < 18 {
		return 0, false
	}
	var day, year, hour, min, sec uint64
	if fmtKind != isoc {
		if !isd(p) || !isd(p+1) {
			return 0, false
		}
		day = d(p)*10 + d(p+1)
		p += 2
		switch at(p) {
		case ' ':
			if end-p < 18 {
				return 0, false
			}
			fmtKind = rfc822
		case '-':
			fmtKind = rfc850
		default:
			return 0, false
		}
		p++
	}
	var month int64
	switch at(p) {
	case 'J':
		switch {
		case at(p+1) == 'a':
			month = 0
		case at(p+2) == 'n':
			month = 5
		default:
			month = 6
		}
	case 'F':
		month = 1
	case 'M':
		if at(p+2) == 'r' {
			month = 2
		} else {
			month = 4
		}
	case 'A':
		if at(p+1) == 'p' {
			month = 3
		} else {
			month = 7
		}
	case 'S':
		month = 8
	case 'O':
		month = 9
	case 'N':
		month = 10
	case 'D':
		month = 11
	default:
		return 0, false
	}
	p += 3
	if (fmtKind == rfc822 && at(p) != ' ') || (fmtKind == rfc850 && at(p) != '-') {
		return 0, false
	}
	p++
	switch fmtKind {
	case rfc822:
		if !isd(p) || !isd(p+1) || !isd(p+2) || !isd(p+3) {
			return 0, false
		}
		year = d(p)*1000 + d(p+1)*100 + d(p+2)*10 + d(p+3)
		p += 4
	case rfc850:
		if !isd(p) || !isd(p+1) {
			return 0, false
		}
		year = d(p)*10 + d(p+1)
		if year < 70 {
			year += 2000
		} else {
			year += 1900
		}
		p += 2
	case isoc:
		if at(p) == ' ' {
			p++
		}
		if !isd(p) {
			return 0, false
		}
		day = d(p)
		p++
		if at(p) != ' ' {
			if !isd(p) {
				return 0, false
			}
			day = day*10 + d(p)
			p++
		}
		if end-p < 14 {
			return 0, false
		}
	}
	if at(p) != ' ' {
		return 0, false
	}
	p++
	if !isd(p) || !isd(p+1) {
		return 0, false
	}
	hour = d(p)*10 + d(p+1)
	p += 2
	if at(p) != ':' {
		return 0, false
	}
	p++
	if !isd(p) || !isd(p+1) {
		return 0, false
	}
	min = d(p)*10 + d(p+1)
	p += 2
	if at(p) != ':' {
		return 0, false
	}
	p++
	if !isd(p) || !isd(p+1) {
		return 0, false
	}
	sec = d(p)*10 + d(p+1)
	if fmtKind == isoc {
		p += 2
		if at(p) != ' ' {
			return 0, false
		}
		p++
		if !isd(p) || !isd(p+1) || !isd(p+2) || !isd(p+3) {
			return 0, false
		}
		year = d(p)*1000 + d(p+1)*100 + d(p+2)*10 + d(p+3)
	}
	if hour > 23 || min > 59 || sec > 59 {
		return 0, false
	}
	if day == 29 && month == 1 {
		if year&3 != 0 || (year%100 == 0 && year%400 != 0) {
			return 0, false
		}
	} else if day > ngxTimeMday[month] {
		return 0, false
	}
	// shift the new year to March 1 and count months from 1, for Gauss' formula
	month--
	if month <= 0 {
		month += 12
		year-- // wraps for year 0, as in nginx
	}
	days := 365*year + year/4 - year/100 + year/400 + uint64(367*month/12) - 30 + day - 1 -
		719527 + 31 + 28
	return int64(days*86400 + hour*3600 + min*60 + sec), true
}

func ngxTimeParseHTTPTime(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if !ok {
		ngxStrError(L, 1, "string argument only")
	}
	t, ok := ngxTimeParse(string(s))
	if !ok || t == -1 { // -1 is NGX_ERROR to the FFI wrapper, even when it is a real time
		L.Push(lua.LNil)
		return 1
	}
	L.Push(lua.LNumber(t))
	return 1
}
