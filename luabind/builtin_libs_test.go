package luabind_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind"
	"github.com/luaws/luaws/luabind/shdict"
)

// TestBuiltinLibs runs testdata/libs/NAME.lua, which exercise the built-in resty.lock,
// resty.lrucache(.pureffi), resty.limit.*, resty.upload, resty.core (+ resty.core.*) and
// ngx.base64/process/errlog/resp, and compares the body with
// NAME.out: the output of the same script under Debian's nginx 1.22.1 + lua-nginx-module
// 0.10.23 with the upstream libraries (lua-resty-lock 0.09, lua-resty-lrucache 0.14,
// lua-resty-limit-traffic 0.09, lua-resty-upload 0.11, Debian's lua-resty-core 0.1.25) on
// lua_package_path.
func TestBuiltinLibs(t *testing.T) {
	cases := []struct {
		name  string
		ctype string // a multipart request with NAME.body when set
	}{
		{name: "lock"},
		{name: "lrucache"},
		{name: "limit"},
		{name: "upload", ctype: "multipart/form-data; boundary=XyZ"},
		{name: "upload_bad"},
		{name: "core"},
		{name: "resp"},
		{name: "semaphore"},
		{name: "ssl"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want, err := os.ReadFile(filepath.Join("testdata", "libs", tc.name+".out"))
			if err != nil {
				t.Fatal(err)
			}
			ts := serveWithDicts(t, filepath.Join("testdata", "libs", tc.name+".lua"), "locks", "req", "conn", "count")
			req := getT
			if tc.ctype != "" {
				body, err := os.ReadFile(filepath.Join("testdata", "libs", tc.name+".body"))
				if err != nil {
					t.Fatal(err)
				}
				req = fmt.Sprintf("POST /t HTTP/1.1\r\nHost: %%s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s", tc.ctype, len(body), body)
			}
			resp, got, _ := rawHTTP(t, ts, req)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("status %d", resp.StatusCode)
			}
			if string(got) != string(want) {
				t.Errorf("body:\n%s\nwant:\n%s", got, want)
			}
			if errs := ts.log.lines("[error]"); len(errs) > 0 {
				t.Errorf("errors logged:\n%s", strings.Join(errs, "\n"))
			}
		})
	}
}

// serveWithDicts serves the Lua file at path with 1 MiB shared dicts of the given names.
func serveWithDicts(t testing.TB, path string, dicts ...string) *testServer {
	t.Helper()
	reg := shdict.NewRegistry()
	for _, d := range dicts {
		if err := reg.Add(d, 1<<20); err != nil {
			t.Fatal(err)
		}
	}
	log := &syncBuf{}
	host, err := luabind.NewHost(luabind.Config{Log: errlog.New(log, errlog.Debug), SharedDicts: reg})
	if err != nil {
		t.Fatal(err)
	}
	h, err := host.FileHandler(path)
	if err != nil {
		t.Fatal(err)
	}
	return start(t, host, h, log)
}
