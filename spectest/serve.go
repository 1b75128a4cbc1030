package spectest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/luabind/shdict"
	"github.com/luaws/luaws/ngxconf"
	"github.com/luaws/luaws/server"
)

// stopper is what a spec server is: a *server.Server, or a *server.Site built from nginx.conf.
type stopper interface {
	Shutdown(ctx context.Context) error
	Close() error
}

// specServer is a server started by luaws.serve{} in a spec.
type specServer struct {
	srv     stopper
	log     *lockedBuffer
	logMark int // how much of log the current test's report has already seen (fr.mu)
	once    sync.Once
	stopped chan struct{}
}

// lockedBuffer is the server's error log, read by srv:error_log() while handlers write it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// from returns what was written past byte offset off, and the new end offset.
func (b *lockedBuffer) from(off int) (string, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := b.buf.Len()
	if off > n {
		off = n
	}
	return string(b.buf.Bytes()[off:]), n
}

func (b *lockedBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := strings.TrimSuffix(b.buf.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func (s *specServer) stop() {
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			_ = s.srv.Close()
		}
	})
}

func (fr *fileRun) stopServers() {
	fr.mu.Lock()
	srvs := fr.servers
	fr.servers = nil
	fr.mu.Unlock()
	for _, s := range srvs {
		s.stop()
	}
}

// openLuaws is require "luaws.spec.luaws": the spec's luaws table (the Lua driver adds the
// fake socket helpers).
func (fr *fileRun) openLuaws(L *lua.LState) int {
	m := L.NewTable()
	L.SetFuncs(m, map[string]lua.LGFunction{"serve": fr.luaServe})
	L.Push(m)
	return 1
}

// resolveScript finds a handler file: relative to the working directory, or else to the spec
// file's directory.
func (fr *fileRun) resolveScript(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	if _, err := os.Stat(p); err == nil {
		return p
	}
	alt := filepath.Join(filepath.Dir(fr.file), p)
	if _, err := os.Stat(alt); err == nil {
		return alt
	}
	return p
}

// luaServe is luaws.serve{ ["/path"] = "handler.lua" | { code = "...", name = "..." }, ... }:
// a live server on a free loopback port. Other keys: lua_package_path (default the runner's
// --lpath), shared_dict = { name = "1m", ... }, log_level (default "debug"). It returns the
// server object: srv.url ("ws://127.0.0.1:PORT"), srv.http_url, srv.host, srv.port,
// srv:stop(), srv:error_log() (the error log's lines).
func (fr *fileRun) luaServe(L *lua.LState) int {
	opts := L.CheckTable(1)
	if conf, file := opts.RawGetString("conf"), opts.RawGetString("conf_file"); conf != lua.LNil || file != lua.LNil {
		return fr.serveConf(L, opts, lua.LVAsString(conf), lua.LVAsString(file))
	}
	so := server.Options{Listen: "127.0.0.1:0", LuaPath: fr.opts.LuaPath}
	level := errlog.Debug
	var bad error
	opts.ForEach(func(k, v lua.LValue) {
		if bad != nil {
			return
		}
		key, ok := k.(lua.LString)
		if !ok {
			bad = fmt.Errorf("unexpected key %s", k.String())
			return
		}
		ks := string(key)
		switch {
		case strings.HasPrefix(ks, "/"):
			switch v := v.(type) {
			case lua.LString:
				so.Locations = append(so.Locations, server.Location{Path: ks, Script: fr.resolveScript(string(v))})
			case *lua.LTable:
				code, _ := v.RawGetString("code").(lua.LString)
				file, _ := v.RawGetString("file").(lua.LString)
				name, _ := v.RawGetString("name").(lua.LString)
				switch {
				case file != "":
					so.Locations = append(so.Locations, server.Location{Path: ks, Script: fr.resolveScript(string(file))})
				case code != "":
					if name == "" {
						name = lua.LString("content_by_lua(" + ks + ")")
					}
					so.Locations = append(so.Locations, server.Location{Path: ks, Code: []byte(code), Chunkname: string(name)})
				default:
					bad = fmt.Errorf("location %s: a table needs code = \"...\" or file = \"...\"", ks)
				}
			default:
				bad = fmt.Errorf("location %s: a handler file name or { code = ... } expected, got %s", ks, v.Type())
			}
		case ks == "lua_package_path":
			so.LuaPath = lua.LVAsString(v)
		case ks == "log_level":
			lv, err := errlog.ParseLevel(lua.LVAsString(v))
			if err != nil {
				bad = err
			}
			level = lv
		case ks == "shared_dict":
			t, ok := v.(*lua.LTable)
			if !ok {
				bad = fmt.Errorf("shared_dict: a table { name = \"10m\" } expected")
				return
			}
			t.ForEach(func(n, sz lua.LValue) {
				size, err := shdict.ParseSize(lua.LVAsString(sz))
				if err != nil {
					bad = fmt.Errorf("shared_dict %s: %w", n.String(), err)
				}
				so.SharedDicts = append(so.SharedDicts, server.SharedDict{Name: n.String(), Size: size})
			})
		default:
			bad = fmt.Errorf("unknown option %q (locations start with \"/\"; conf = \"...\" or conf_file = \"...\" for nginx.conf)", ks)
		}
	})
	if bad == nil && len(so.Locations) == 0 {
		bad = fmt.Errorf("no location given (e.g. [\"/s\"] = \"scripts/echo.lua\")")
	}
	if bad != nil {
		L.RaiseError("luaws.serve: %v", bad)
	}
	sort.Slice(so.Locations, func(i, j int) bool { return so.Locations[i].Path < so.Locations[j].Path })
	buf := &lockedBuffer{}
	so.Log = errlog.New(buf, level)
	srv, err := server.New(so)
	if err != nil {
		L.RaiseError("luaws.serve: %v", err)
	}
	addr, err := srv.Listen()
	if err != nil {
		L.RaiseError("luaws.serve: %v", err)
	}
	ss := &specServer{srv: srv, log: buf}
	fr.mu.Lock()
	fr.servers = append(fr.servers, ss)
	fr.mu.Unlock()
	go func() { _ = srv.Serve() }()

	return pushServer(L, ss, addr.String(), srv.URL())
}

// pushServer returns the spec's server object: url, http_url, host, port, stop, error_log.
func pushServer(L *lua.LState, ss *specServer, addr, base string) int {
	host, portStr, _ := strings.Cut(addr, ":")
	port, _ := strconv.Atoi(portStr)
	obj := L.NewTable()
	obj.RawSetString("url", lua.LString("ws"+strings.TrimPrefix(base, "http")))
	obj.RawSetString("http_url", lua.LString(base))
	obj.RawSetString("host", lua.LString(host))
	obj.RawSetString("port", lua.LNumber(port))
	mt := L.NewTable()
	methods := L.NewTable()
	L.SetFuncs(methods, map[string]lua.LGFunction{
		"stop": func(L *lua.LState) int {
			ss.stop()
			return 0
		},
		"error_log": func(L *lua.LState) int {
			L.Push(strList(L, ss.log.lines()))
			return 1
		},
	})
	mt.RawSetString("__index", methods)
	L.SetMetatable(obj, mt)
	L.Push(obj)
	return 1
}

// serveConf is luaws.serve{ conf = "..." } or luaws.serve{ conf_file = "nginx.conf" }: nginx
// configuration served the way luaws -c serves it. conf holds either the inside of a server{}
// block (as Test::Nginx's "--- config": luaws adds the http{} and server{} around it, listening
// on a free loopback port) or a whole configuration with an http{} block; conf_file names a
// whole configuration (its listen directives are used as they are). Other keys: log_level.
func (fr *fileRun) serveConf(L *lua.LState, opts *lua.LTable, conf, file string) int {
	level := errlog.Debug
	if v := opts.RawGetString("log_level"); v != lua.LNil {
		lv, err := errlog.ParseLevel(lua.LVAsString(v))
		if err != nil {
			L.RaiseError("luaws.serve: %v", err)
		}
		level = lv
	}
	var cfg *ngxconf.Config
	var err error
	switch {
	case file != "":
		cfg, err = ngxconf.ParseFile(fr.resolveScript(file))
	case strings.Contains(conf, "http {") || strings.Contains(conf, "http{"):
		cfg, err = ngxconf.Parse(filepath.Join(filepath.Dir(fr.file), "spec.conf"), []byte(conf), nil)
	default:
		port, perr := freePort()
		if perr != nil {
			L.RaiseError("luaws.serve: %v", perr)
		}
		lpath := ""
		if fr.opts.LuaPath != "" {
			lpath = "lua_package_path \"" + fr.opts.LuaPath + "\";\n"
		}
		text := "http {\n" + lpath + "server {\nlisten 127.0.0.1:" + strconv.Itoa(port) +
			";\nserver_name localhost;\n" + conf + "\n}\n}\n"
		cfg, err = ngxconf.Parse(filepath.Join(filepath.Dir(fr.file), "spec.conf"), []byte(text), nil)
	}
	if err != nil {
		L.RaiseError("luaws.serve: %v", err)
	}
	var http *ngxconf.Directive
	for _, d := range cfg.Directives {
		if d.Name == "http" {
			http = d
		}
	}
	if http == nil {
		L.RaiseError("luaws.serve: no http{} block")
	}
	buf := &lockedBuffer{}
	dir := filepath.Dir(cfg.File)
	site, err := server.FromNginx(http, server.NginxOptions{Prefix: dir + "/", ConfDir: dir, Log: errlog.New(buf, level)})
	if err != nil {
		L.RaiseError("luaws.serve: %v", err)
	}
	if err := site.Listen(); err != nil {
		L.RaiseError("luaws.serve: %v", err)
	}
	ss := &specServer{srv: site.Site, log: buf}
	fr.mu.Lock()
	fr.servers = append(fr.servers, ss)
	fr.mu.Unlock()
	go func() { _ = site.Serve() }()
	addrs := site.Addrs()
	if len(addrs) == 0 {
		L.RaiseError("luaws.serve: nothing to listen on")
	}
	return pushServer(L, ss, addrs[0].String(), "http://"+addrs[0].String())
}

// freePort finds a free loopback port for a server{} block luaws.serve wraps.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
