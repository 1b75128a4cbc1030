package luabind

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/luabind/luajit"
	"github.com/yuin/gopher-lua/parse"
)

// protoCache compiles each chunk once: parsing costs about 100 times what instantiating a
// compiled proto does (DESIGN.md), so requests only ever instantiate.
//
// With lua_code_cache on (keep), a file is read once — a handler file when its configuration
// loads, a module on its first require — and that code runs until the configuration is
// reloaded (a reload builds a new host, with a new cache), as nginx keeps what its workers
// loaded: an edit on disk, half-saved or not, changes nothing until then. With it off, each
// use checks the file and recompiles it when it changed.
type protoCache struct {
	mu    sync.RWMutex
	files map[string]fileProto
	keep  bool
}

type fileProto struct {
	mtime int64
	size  int64
	proto *lua.FunctionProto
}

func newProtoCache() *protoCache {
	return &protoCache{files: make(map[string]fileProto)}
}

// compile parses src as a chunk named chunkname (shown in errors and ngx.log lines), after
// rewriting what LuaJIT parses differently ("\xNN", "\z", "\u{...}").
func compile(chunkname string, src []byte) (*lua.FunctionProto, error) {
	src, err := luajit.Translate(chunkname, src)
	if err != nil {
		return nil, err
	}
	chunk, err := parse.Parse(bytes.NewReader(src), chunkname)
	if err != nil {
		return nil, luajit.ParseError(chunkname, src, err)
	}
	proto, err := luajit.Compile(chunk, chunkname)
	if err != nil {
		return nil, luajit.CompileError(chunkname, src, err)
	}
	if err := luajit.SyntaxCheck(chunkname, src); err != nil {
		return nil, err
	}
	return proto, nil
}

// file returns the compiled chunk of a Lua file, recompiling it when the file changed.
func (c *protoCache) file(path string) (*lua.FunctionProto, error) {
	if c.keep {
		c.mu.RLock()
		fp, ok := c.files[path]
		c.mu.RUnlock()
		if ok {
			return fp.proto, nil
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	c.mu.RLock()
	fp, ok := c.files[path]
	c.mu.RUnlock()
	if ok && fp.mtime == st.ModTime().UnixNano() && fp.size == st.Size() {
		return fp.proto, nil
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	proto, err := compile(shortSrc(path), skipHashLine(src))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.files[path] = fileProto{mtime: st.ModTime().UnixNano(), size: st.Size(), proto: proto}
	c.mu.Unlock()
	return proto, nil
}

// skipHashLine blanks a first line starting with "#" ("#!/usr/bin/env luajit"), as
// luaL_loadfile skips it; the newline stays, so line numbers do not move.
func skipHashLine(src []byte) []byte {
	if len(src) == 0 || src[0] != '#' {
		return src
	}
	i := bytes.IndexByte(src, '\n')
	if i < 0 {
		return nil
	}
	return src[i:]
}

// shortSrc shortens a file path the way Lua's short_src does (LUA_IDSIZE 60): a long path
// keeps its tail behind "...". nginx's log lines and Lua's error positions both show it.
func shortSrc(path string) string {
	const idsize = 60
	if len(path) <= idsize-1 {
		return path
	}
	return "..." + path[len(path)-(idsize-4):]
}

// expandLuaPath turns nginx's lua_package_path into package.path: ";;" stands for the default.
func expandLuaPath(p string) string {
	const def = "./?.lua;./?/init.lua;/usr/local/share/lua/5.1/?.lua;/usr/local/share/lua/5.1/?/init.lua;/usr/share/lua/5.1/?.lua;/usr/share/lua/5.1/?/init.lua"
	if p == "" {
		return def
	}
	if strings.Contains(p, ";;") {
		p = strings.Replace(p, ";;", ";"+def+";", 1)
	}
	return strings.Trim(p, ";")
}

// expandLuaCPath turns nginx's lua_package_cpath into package.cpath: ";;" stands for
// LuaJIT's default; nothing set is "" (no C module can be loaded here).
func expandLuaCPath(p string) string {
	const def = "./?.so;/usr/local/lib/lua/5.1/?.so;/usr/local/lib/lua/5.1/loadall.so"
	if strings.Contains(p, ";;") {
		p = strings.Replace(p, ";;", ";"+def+";", 1)
	}
	return strings.Trim(p, ";")
}

// searchPath finds module name on a package.path; it returns the file, or the
// "\n\tno file '...'" lines Lua's require reports.
func searchPath(name, path string) (string, string) {
	name = strings.ReplaceAll(name, ".", string(filepath.Separator))
	var miss strings.Builder
	for _, tmpl := range strings.Split(path, ";") {
		if tmpl == "" {
			continue
		}
		file := strings.ReplaceAll(tmpl, "?", name)
		if st, err := os.Stat(file); err == nil && !st.IsDir() {
			return file, ""
		}
		fmt.Fprintf(&miss, "\n\tno file '%s'", file)
	}
	return "", miss.String()
}
