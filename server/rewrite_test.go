package server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/internal/testpeer"
	"github.com/luaws/luaws/ngxconf"
)

// rewriteCases run against compat/conf/rewrite/rewrite.conf. {base} in want and header
// is the server's base URL. The same table passes against Debian's nginx
// (LUAWS_NGINX_REFERENCE=1 go test ./server -run TestRewriteModule).
var rewriteCases = []struct {
	path   string
	hdrs   []string // request headers, "Name: value"
	want   string   // "STATUS BODY"; a body of "*" is not compared
	header string   // "Name: value" expected in the response ("!Name": absent), or ""
	log    string   // a text the error log must have, or ""
}{
	{path: "/old/a/b?q=1", want: "200 new uri=/new/a/b args=q=1 level=server\n"},
	{path: "/perm", want: "301 *", header: "Location: {base}/target"},
	{path: "/perm?a=b", want: "301 *", header: "Location: {base}/target?a=b"},
	{path: "/redir?q=2", want: "302 *", header: "Location: http://example.org/x?a=1&q=2"},
	{path: "/implicit", want: "302 *", header: "Location: https://example.org/y"},
	{path: "/noargs?q=1", want: "200 new uri=/new/plain args= level=server\n"},
	{path: "/withargs?y=2", want: "200 new uri=/new/p args=x=1&y=2 level=server\n"},
	{path: "/brk", want: "200 exists\n"},
	{path: "/cycle", want: "500 *", log: `rewrite or internal redirection cycle while processing "/cycle"`},
	{path: "/noflag", want: "200 new uri=/new/ba1 args= level=server\n"},
	{path: "/named", want: "200 new uri=/new/named args= level=server\n"},
	{path: "/rel", want: "302 *", header: "Location: {base}/new/rel"},
	{path: "/luaret", want: "200 lua\n"},
	{path: "/luaret?x=1", want: "204 "},
	{path: "/luarw?a=1", want: "200 /new/luarw /luarw?a=1\n"},
	{path: "/order", want: "200 set,set2,rewrite_by_lua\n"},
	{path: "/luaif", want: "200 n=1\n", header: "X-If: yes"},
	{path: "/proxied", want: "200 x-conn=close\n"},
	{path: "/proxied", hdrs: []string{"Upgrade: foo"}, want: "200 x-conn=upgrade\n"},
	{path: "/ifproxy", want: "200 x-conn=via-if\n", header: "!X-If"},
	{path: "/ifproxy?h=1", want: "200 x-conn=via-if\n", header: "X-If: 1"},
	{path: "/luastatic", want: "200 exists\n", header: "X-Foo: /exists.txt"},
	{path: "/exists.txt", want: "200 is file\n"},
	{path: "/exists-not", want: "404 *"},
	{path: "/front/x?y=1", want: "200 new uri=/new/front-x args=y=1 level=server\n"},
	{path: "/toint", want: "200 true\n"},
	{path: "/isint", want: "200 false\n"},
	{path: "/srvlua", want: "200 L-server\n"},
	{path: "/args?x=y", want: "200 a=1&b=2 2\n"},
	{path: "/srvold/z", want: "200 new uri=/new/z args= level=server\n"},
	{path: "/new/x?srv=1", want: "403 *"},
	{path: "/if?a=yes", want: "200 a is yes\n"},
	{path: "/if?a=no", want: "200 a is no\n"},
	{path: "/if", want: "200 no a\n"},
	{path: "/ifvar?a=0", want: "200 false\n"},
	{path: "/ifvar?a=00", want: "200 true\n"},
	{path: "/ifvar", want: "200 false\n"},
	{path: "/ifre", hdrs: []string{"User-Agent: CURL/7.88"}, want: "200 curl 7\n"},
	{path: "/ifre", hdrs: []string{"User-Agent: wget"}, want: "200 other\n"},
	{path: "/ifneg?x=12", want: "200 num\n"},
	{path: "/ifneg?x=1a", want: "400 *"},
	{path: "/iffile", want: "200 f!fd!ex\n"},
	{path: "/ifset", want: "200 b=in-if\n"},
	{path: "/ifbreak", want: "200 v=end\n"},
	{path: "/ifbreak?stop=1", want: "200 v=stopped\n"},
	{path: "/ifhdr", want: "200 ok\n", header: "X-Outer: outer"},
	{path: "/ifhdr?h=1", want: "200 ok\n", header: "X-Inner: inner"},
	{path: "/ifhdr?h=1", want: "200 ok\n", header: "!X-Outer"},
	{path: "/ifcontent", want: "200 plain\n"},
	{path: "/ifcontent?lua=1", want: "200 lua in if\n"},
	{path: "/setorder", want: "200 1 2 2-c\n"},
	{path: "/map", want: "200 conn=close mapped=def chained=chain:def\n"},
	{path: "/map?k=foo", hdrs: []string{"Upgrade: websocket"}, want: "200 conn=upgrade mapped=is foo chained=chain:is foo\n"},
	{path: "/map?k=EXACT", want: "200 conn=close mapped=exact chained=chain:exact\n"},
	{path: "/map?k=bazz", want: "200 conn=close mapped=ba+zz chained=chain:ba+zz\n"},
	{path: "/map?k=Bazz", want: "200 conn=close mapped=def chained=chain:def\n"},
	{path: "/map?k=quux", want: "200 conn=close mapped=qu u chained=chain:qu u\n"},
	{path: "/map?k=default", want: "200 conn=close mapped=literal default chained=chain:literal default\n"},
	{path: "/map?k=src&other=o", want: "200 conn=close mapped=o chained=chain:o\n"},
	{path: "/maplua?k=foo", want: "200 close is foo\n"},
	{path: "/host", hdrs: []string{"Host: example.com"}, want: "200 exact\n"},
	{path: "/host", hdrs: []string{"Host: a.b.example.com"}, want: "200 wild\n"},
	{path: "/host", hdrs: []string{"Host: www.example.net"}, want: "200 tail\n"},
	{path: "/host", hdrs: []string{"Host: other.org"}, want: "200 dot\n"},
	{path: "/host", hdrs: []string{"Host: x.other.org"}, want: "200 dot\n"},
	{path: "/host", hdrs: []string{"Host: nothing.net"}, want: "200 none\n"},
	{path: "/inc?inc=one", want: "200 first\n"},
	{path: "/inc?inc=two", want: "200 t:wo\n"},
	{path: "/inc", want: "200 none\n"},
	{path: "/volatile?v=1&inc=two", want: "200 c:1 t:wo | c:1 first\n"},
	{path: "/rwlog", want: "200 new uri=/new/log args= level=server\n",
		log: `[notice] `},
	{path: "/rwlog", want: "200 new uri=/new/log args= level=server\n", log: `"^/rw(log)$" matches "/rwlog", client: 127.0.0.1`},
	{path: "/rwlog", want: "200 new uri=/new/log args= level=server\n", log: `rewritten data: "/new/log", args: ""`},
}

func rewriteConf(t *testing.T, port int) string {
	dir, err := filepath.Abs(filepath.Join("..", "compat", "conf", "rewrite"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(dir, "rewrite.conf"))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "exists.txt"), []byte("exists\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer("__PORT__", strconv.Itoa(port), "__ROOT__", root, "__CONF__", dir).Replace(string(src))
}

func TestRewriteModule(t *testing.T) {
	targets := map[string]func(t *testing.T) (string, func() string){
		"luaws": func(t *testing.T) (string, func() string) {
			port := testpeer.FreePort(t)
			cfg, err := ngxconf.Parse("/x/conf/nginx.conf", []byte("http {\n"+rewriteConf(t, port)+"\n}"), nil)
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var buf bytes.Buffer
			lg := errlog.New(lockedWriter{&mu, &buf}, errlog.Notice)
			site, err := FromNginx(cfg.Directives[0], NginxOptions{Prefix: "/x/", ConfDir: "/x/conf", Log: lg})
			if err != nil {
				t.Fatal(err)
			}
			if err := site.Listen(); err != nil {
				t.Fatal(err)
			}
			go site.Serve()
			t.Cleanup(func() { site.Shutdown(context.Background()) })
			return "http://127.0.0.1:" + strconv.Itoa(port), func() string {
				mu.Lock()
				defer mu.Unlock()
				return buf.String()
			}
		},
		"nginx": func(t *testing.T) (string, func() string) {
			testpeer.RequireNginxReference(t)
			port := testpeer.FreePort(t)
			return testpeer.StartNginxHTTP(t, rewriteConf(t, port), port)
		},
	}
	for _, name := range []string{"luaws", "nginx"} {
		t.Run(name, func(t *testing.T) {
			base, logs := targets[name](t)
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			for _, tc := range rewriteCases {
				req, _ := http.NewRequest("GET", base+tc.path, nil)
				for _, h := range tc.hdrs {
					k, v, _ := strings.Cut(h, ": ")
					if k == "Host" {
						req.Host = v
					}
					req.Header.Set(k, v)
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatalf("%s: %v", tc.path, err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				got := strconv.Itoa(resp.StatusCode) + " " + string(body)
				if strings.HasSuffix(tc.want, " *") {
					got = strconv.Itoa(resp.StatusCode) + " *"
				}
				if got != tc.want {
					t.Errorf("%s %v: got %q, want %q", tc.path, tc.hdrs, got, tc.want)
				}
				if h := strings.ReplaceAll(tc.header, "{base}", base); h != "" {
					k, v, _ := strings.Cut(h, ": ")
					if name, absent := strings.CutPrefix(k, "!"); absent {
						if vs := resp.Header.Values(name); len(vs) > 0 {
							t.Errorf("%s: %s: %q, want none", tc.path, name, vs)
						}
					} else if resp.Header.Get(k) != v {
						t.Errorf("%s: %s: %q, want %q", tc.path, k, resp.Header.Get(k), v)
					}
				}
				if tc.log != "" && !strings.Contains(logs(), tc.log) {
					t.Errorf("%s: the error log lacks %q:\n%s", tc.path, tc.log, logs())
				}
			}
		})
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestParseCondAny: every short combination of condition tokens gives a condition or an
// emerg, never a panic.
func TestParseCondAny(t *testing.T) {
	toks := []string{"(", ")", "()", "($a", "$a)", "$a", "=", "!=", "~", "!~*", "-f", "!-x", "x)", "(x", "", "(", "-q"}
	var args []string
	var walk func(n int)
	walk = func(n int) {
		if len(args) > 0 {
			parseCond(&ngxconf.Directive{Name: "if", Args: append([]string(nil), args...)})
		}
		if n == 0 {
			return
		}
		for _, tk := range toks {
			args = append(args, tk)
			walk(n - 1)
			args = args[:len(args)-1]
		}
	}
	walk(4)
}
