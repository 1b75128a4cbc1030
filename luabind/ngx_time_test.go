package luabind

import (
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

func TestNgxTimeReference(t *testing.T) { ngxStrRunRef(t, ngxTimeRefCases) }

// ngxTimeTestClock is a clock the test moves by hand.
type ngxTimeTestClock struct{ t time.Time }

func (c *ngxTimeTestClock) now() time.Time { return c.t }

// The cache: ngx.now/time/today/localtime/utctime keep their value until ngx.update_time,
// now has millisecond precision, local time follows the cache's zone.
func TestNgxTimeCache(t *testing.T) {
	clk := &ngxTimeTestClock{t: time.Unix(1290079655, 123456789)}
	L := lua.NewState()
	defer L.Close()
	ngx := L.NewTable()
	ngxTimeRegister(L, ngx, ngxTimeNewCache(clk.now, time.FixedZone("X", 13*3600)))
	L.SetGlobal("ngx", ngx)
	run := func(code string) string {
		t.Helper()
		if err := L.DoString("r = " + code); err != nil {
			t.Fatal(err)
		}
		return L.GetGlobal("r").String()
	}
	steps := []struct {
		advance time.Duration
		code    string
		want    string
	}{
		{0, `string.format("%.3f", ngx.now())`, "1290079655.123"},
		{0, `ngx.now() * 1000 == 1290079655123`, "true"},
		{0, `ngx.time()`, "1290079655"},
		{0, `ngx.utctime()`, "2010-11-18 11:27:35"},
		{0, `ngx.localtime()`, "2010-11-19 00:27:35"},
		{0, `ngx.today()`, "2010-11-19"},
		{90 * time.Second, `ngx.time()`, "1290079655"},
		{0, `string.format("%.3f", ngx.now())`, "1290079655.123"},
		{0, `select("#", ngx.update_time())`, "0"},
		{0, `ngx.time()`, "1290079745"},
		{0, `ngx.utctime()`, "2010-11-18 11:29:05"},
		{500 * time.Millisecond, `ngx.update_time() or string.format("%.3f", ngx.now())`, "1290079745.623"},
		{0, `math.floor(ngx.now()) == ngx.time()`, "true"},
	}
	for _, s := range steps {
		clk.t = clk.t.Add(s.advance)
		if got := run(s.code); got != s.want {
			t.Errorf("%s = %q, want %q", s.code, got, s.want)
		}
	}
}

// Each state has its own cache: updating one leaves another as it was.
func TestNgxTimePerState(t *testing.T) {
	clk := &ngxTimeTestClock{t: time.Unix(1000, 0)}
	var states [2]*lua.LState
	for i := range states {
		L := lua.NewState()
		defer L.Close()
		ngx := L.NewTable()
		ngxTimeRegister(L, ngx, ngxTimeNewCache(clk.now, time.UTC))
		L.SetGlobal("ngx", ngx)
		states[i] = L
	}
	clk.t = time.Unix(2000, 0)
	if err := states[0].DoString(`ngx.update_time()`); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"2000", "1000"} {
		if err := states[i].DoString(`r = ngx.time()`); err != nil {
			t.Fatal(err)
		}
		if got := states[i].GetGlobal("r").String(); got != want {
			t.Errorf("state %d: ngx.time() = %s, want %s", i, got, want)
		}
	}
}

// registerNgxTime itself uses the real clock.
func TestNgxTimeRegisterRealClock(t *testing.T) {
	L := ngxStrTestState(t)
	if err := L.DoString(`r = math.abs(ngx.time() - os.time()) <= 2 and #ngx.localtime() == 19 and #ngx.today() == 10`); err != nil {
		t.Fatal(err)
	}
	if L.GetGlobal("r") != lua.LTrue {
		t.Error("ngx.time() far from os.time() or bad formats")
	}
}

var ngxTimeRefCases = []ngxStrRefCase{
	{`T("http_time 0", ngx.http_time, 0)`, `http_time 0 => "Thu, 01 Jan 1970 00:00:00 GMT"`},
	{`T("http_time 1290079655", ngx.http_time, 1290079655)`, `http_time 1290079655 => "Thu, 18 Nov 2010 11:27:35 GMT"`},
	{`T("http_time float", ngx.http_time, 1290079655.9)`, `http_time float => "Thu, 18 Nov 2010 11:27:35 GMT"`},
	{`T("http_time neg", ngx.http_time, -100)`, `http_time neg => "Thu, 01 Jan 1970 00:00:00 GMT"`},
	{`T("http_time -0.5", ngx.http_time, -0.5)`, `http_time -0.5 => "Thu, 01 Jan 1970 00:00:00 GMT"`},
	{`T("http_time big", ngx.http_time, 253402300799)`, `http_time big => "Fri, 31 Dec 9999 23:59:59 GMT"`},
	{`T("http_time bigger", ngx.http_time, 253402300800 + 86400*400)`, `http_time bigger => "Fri, 31 Dec 9999 23:59:59 GMT"`},
	{`T("http_time 2^40", ngx.http_time, 2^40)`, `http_time 2^40 => "Fri, 31 Dec 9999 23:59:59 GMT"`},
	{`T("http_time str", ngx.http_time, "100")`, `http_time str !! number argument only`},
	{`T("http_time nil", ngx.http_time, nil)`, `http_time nil !! number argument only`},
	{`T("cookie_time 0", ngx.cookie_time, 0)`, `cookie_time 0 => "Thu, 01-Jan-70 00:00:00 GMT"`},
	{`T("cookie_time 1290079655", ngx.cookie_time, 1290079655)`, `cookie_time 1290079655 => "Thu, 18-Nov-10 11:27:35 GMT"`},
	{`T("cookie_time 2037", ngx.cookie_time, 2145916799)`, `cookie_time 2037 => "Thu, 31-Dec-37 23:59:59 GMT"`},
	{`T("cookie_time 2038", ngx.cookie_time, 2145916800)`, `cookie_time 2038 => "Fri, 01-Jan-2038 00:00:00 GMT"`},
	{`T("cookie_time 2000", ngx.cookie_time, 946684800)`, `cookie_time 2000 => "Sat, 01-Jan-00 00:00:00 GMT"`},
	{`T("cookie_time 2005", ngx.cookie_time, 1104537600+86400*40)`, `cookie_time 2005 => "Thu, 10-Feb-05 00:00:00 GMT"`},
	{`T("cookie_time neg", ngx.cookie_time, -5)`, `cookie_time neg => "Thu, 01-Jan-70 00:00:00 GMT"`},
	{`T("cookie_time big", ngx.cookie_time, 2^40)`, `cookie_time big => "Fri, 31-Dec-9999 23:59:59 GMT"`},
	{`T("cookie_time str", ngx.cookie_time, "1")`, `cookie_time str !! number argument only`},
	{`T("parse rfc1123", ngx.parse_http_time, "Thu, 18 Nov 2010 11:27:35 GMT")`, `parse rfc1123 => number:1290079655`},
	{`T("parse rfc850", ngx.parse_http_time, "Thursday, 18-Nov-10 11:27:35 GMT")`, `parse rfc850 => number:1290079655`},
	{`T("parse cookie", ngx.parse_http_time, "Thu, 18-Nov-10 11:27:35 GMT")`, `parse cookie => number:1290079655`},
	{`T("parse asctime", ngx.parse_http_time, "Thu Nov 18 11:27:35 2010")`, `parse asctime => number:1290079655`},
	{`T("parse asctime 1digit", ngx.parse_http_time, "Thu Nov  8 11:27:35 2010")`, `parse asctime 1digit => number:1289215655`},
	{`T("parse no GMT", ngx.parse_http_time, "Thu, 18 Nov 2010 11:27:35")`, `parse no GMT => number:1290079655`},
	{`T("parse junk", ngx.parse_http_time, "junk")`, `parse junk => nil:nil`},
	{`T("parse empty", ngx.parse_http_time, "")`, `parse empty => nil:nil`},
	{`T("parse 1960", ngx.parse_http_time, "Fri, 01 Jan 1960 00:00:00 GMT")`, `parse 1960 => number:-315619200`},
	{`T("parse 0000", ngx.parse_http_time, "Sat, 01 Jan 0000 00:00:00 GMT")`, `parse 0000 => number:-62167208832`},
	{`T("parse feb29 ok", ngx.parse_http_time, "Thu, 29 Feb 2024 00:00:00 GMT")`, `parse feb29 ok => number:1709164800`},
	{`T("parse feb29 bad", ngx.parse_http_time, "Thu, 29 Feb 2023 00:00:00 GMT")`, `parse feb29 bad => nil:nil`},
	{`T("parse 1900 feb29", ngx.parse_http_time, "Thu, 29 Feb 1900 00:00:00 GMT")`, `parse 1900 feb29 => nil:nil`},
	{`T("parse day 00", ngx.parse_http_time, "Thu, 00 Nov 2010 11:27:35 GMT")`, `parse day 00 => number:1288524455`},
	{`T("parse day 31 nov", ngx.parse_http_time, "Thu, 31 Nov 2010 11:27:35 GMT")`, `parse day 31 nov => nil:nil`},
	{`T("parse 24h", ngx.parse_http_time, "Thu, 18 Nov 2010 24:00:00 GMT")`, `parse 24h => nil:nil`},
	{`T("parse bad month", ngx.parse_http_time, "Thu, 18 Xyz 2010 11:27:35 GMT")`, `parse bad month => nil:nil`},
	{`T("parse Jux", ngx.parse_http_time, "Thu, 18 Jux 2010 11:27:35 GMT")`, `parse Jux => number:1279452455`},
	{`T("parse Mxx", ngx.parse_http_time, "Thu, 18 Mxx 2010 11:27:35 GMT")`, `parse Mxx => number:1274182055`},
	{`T("parse rfc850 69", ngx.parse_http_time, "Tuesday, 10-Dec-69 23:50:13 GMT")`, `parse rfc850 69 => number:3153945013`},
	{`T("parse rfc850 70", ngx.parse_http_time, "Tuesday, 10-Dec-70 23:50:13 GMT")`, `parse rfc850 70 => number:29721013`},
	{`T("parse no comma", ngx.parse_http_time, "18 Nov 2010 11:27:35 GMT")`, `parse no comma => nil:nil`},
	{`T("parse spaces", ngx.parse_http_time, "Thu,    18 Nov 2010 11:27:35 GMT")`, `parse spaces => number:1290079655`},
	{`T("parse 9999", ngx.parse_http_time, "Fri, 31 Dec 9999 23:59:59 GMT")`, `parse 9999 => number:253402300799`},
	{`T("parse nil", ngx.parse_http_time, nil)`, `parse nil !! string argument only`},
	{`T("parse num", ngx.parse_http_time, 12)`, `parse num !! string argument only`},
	{`T("parse lowercase month", ngx.parse_http_time, "Thu, 18 nov 2010 11:27:35 GMT")`, `parse lowercase month => nil:nil`},
	{`T("parse trailing junk", ngx.parse_http_time, "Thu, 18 Nov 2010 11:27:35 XYZ whatever")`, `parse trailing junk => number:1290079655`},
	{`T("parse short", ngx.parse_http_time, "Thu, 18 Nov 2010 11:27:3")`, `parse short => nil:nil`},
	{`T("parse asctime short", ngx.parse_http_time, "Thu Nov 18 11:27:35 201")`, `parse asctime short => nil:nil`},
	{`T("http_time 1e30", ngx.http_time, 1e30)`, `http_time 1e30 => "Thu, 01 Jan 1970 00:00:00 GMT"`},
	{`T("http_time -1e30", ngx.http_time, -1e30)`, `http_time -1e30 => "Thu, 01 Jan 1970 00:00:00 GMT"`},
	{`T("http_time nan", ngx.http_time, 0/0)`, `http_time nan => "Thu, 01 Jan 1970 00:00:00 GMT"`},
	{`T("http_time inf", ngx.http_time, 1/0)`, `http_time inf => "Thu, 01 Jan 1970 00:00:00 GMT"`},
	{`T("cookie_time 1e30", ngx.cookie_time, 1e30)`, `cookie_time 1e30 => "Thu, 01-Jan-70 00:00:00 GMT"`},
	{`T("http_time direct", function() local r = ngx.http_time("a") return r end)`, `http_time direct !! POS: number argument only`},
	{`T("parse -1", ngx.parse_http_time, "Wed, 31 Dec 1969 23:59:59 GMT")`, `parse -1 => nil:nil`},
	{`T("parse -2", ngx.parse_http_time, "Wed, 31 Dec 1969 23:59:58 GMT")`, `parse -2 => number:-2`},
	{`T("parse 0001", ngx.parse_http_time, "Mon, 01 Mar 0001 00:00:00 GMT")`, `parse 0001 => number:-62130499200`},
	{`T("parse 0000 mar", ngx.parse_http_time, "Mon, 01 Mar 0000 00:00:00 GMT")`, `parse 0000 mar => number:-62162035200`},
	{`T("parse rfc850 spaced", ngx.parse_http_time, "Sunday, 06-Nov-94 08:49:37 GMT")`, `parse rfc850 spaced => number:784111777`},
	{`T("parse asctime 2", ngx.parse_http_time, "Sun Nov  6 08:49:37 1994")`, `parse asctime 2 => number:784111777`},
	{`T("parse asctime bad", ngx.parse_http_time, "Sun Nov 6 08:49:37 1994")`, `parse asctime bad => number:784111777`},
	{`T("parse comma only", ngx.parse_http_time, ",                      ")`, `parse comma only => nil:nil`},
	{`T("parse rfc850 no dash", ngx.parse_http_time, "Sunday, 06-Nov 94 08:49:37 GMT")`, `parse rfc850 no dash => nil:nil`},
	{`T("parse 60s", ngx.parse_http_time, "Thu, 18 Nov 2010 11:27:60 GMT")`, `parse 60s => nil:nil`},
	{`T("parse 3x digits", ngx.parse_http_time, "Thu, 18 Nov 2010 1:27:35 GMT xx")`, `parse 3x digits => nil:nil`},
	{`T("http_time 951782400", ngx.http_time, 951782400)`, `http_time 951782400 => "Tue, 29 Feb 2000 00:00:00 GMT"`},
	{`T("http_time 4107542400", ngx.http_time, 4107542400)`, `http_time 4107542400 => "Mon, 01 Mar 2100 00:00:00 GMT"`},
	{`T("cookie_time 4107542400", ngx.cookie_time, 4107542400)`, `cookie_time 4107542400 => "Mon, 01-Mar-2100 00:00:00 GMT"`},
}
