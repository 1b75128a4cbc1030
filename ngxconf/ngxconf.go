// Package ngxconf reads nginx configuration files the way nginx does: directives and blocks,
// "#" comments, single and double quotes with nginx's unescaping, "include" with globs, and
// the bodies of *_by_lua_block directives lexed as Lua (a brace inside a Lua string, long
// string or comment does not open or close anything). Every directive knows its file and line.
//
// It is a hand-written lexer rather than nginx-go-crossplane: crossplane's bundled Lua lexer
// miscounts braces in Lua comments and long strings, and the nginx grammar is small enough that
// owning all of it costs less than plugging our Lua lexer into crossplane's.
package ngxconf

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Directive is one nginx directive: its name, its arguments (unquoted and unescaped) and, for
// a block directive, the directives inside it.
type Directive struct {
	Name string
	Args []string
	// File is the path of the file the directive is in; Line the line of its name; EndLine
	// the line of the ";" or "{" that ended it (nginx names inline Lua chunks after it).
	File    string
	Line    int
	EndLine int
	// Block is non-nil for a block directive ("http { ... }"), even an empty one.
	Block []*Directive
	// Lua is set for a *_by_lua_block directive: its last argument is the Lua source
	// between the braces, starting right after the "{"; LuaLine is the line of the "{".
	Lua     bool
	LuaLine int
	// Quoted tells, per argument, whether it was written in quotes.
	Quoted []bool
	// ConfDir is the directory of the main configuration file (nginx's conf prefix).
	ConfDir string
}

// IsBlock reports whether d has a block.
func (d *Directive) IsBlock() bool { return d.Block != nil }

// Pos is "FILE:LINE", as nginx's messages end.
func (d *Directive) Pos() string { return fmt.Sprintf("%s:%d", d.File, d.Line) }

// Chunkname is what lua-nginx-module names an inline chunk of this directive:
// "content_by_lua(nginx.conf:56)" for content_by_lua and content_by_lua_block alike.
func (d *Directive) Chunkname() string {
	name := strings.TrimSuffix(d.Name, "_block")
	line := d.EndLine
	if d.Lua {
		line = d.LuaLine
	}
	return fmt.Sprintf("%s(%s:%d)", name, chunkFile(d.File, d.ConfDir, len(name)+len(strconv.Itoa(line))), line)
}

// chunkNameMax is lua-nginx-module's LJ_CHUNKNAME_MAX_LEN.
const chunkNameMax = 56

// chunkFile is the file part of a chunk name as lua-nginx-module writes it: "nginx.conf"
// for a file of that name, a path relative to the conf directory for one under it, else the
// path; cut to its end after "..." when, with reserve (the tag and the line number), it
// would pass chunkNameMax.
func chunkFile(file, confDir string, reserve int) string {
	if strings.HasSuffix(file, "/nginx.conf") || file == "nginx.conf" {
		return "nginx.conf"
	}
	if confDir != "" && strings.HasPrefix(file, confDir+"/") {
		file = file[len(confDir)+1:] // an include written relative to the conf directory
	}
	if len(file)+reserve > chunkNameMax {
		return "..." + file[len(file)-(chunkNameMax-reserve-3):]
	}
	return file
}

// Find returns the directives named name among ds (not looking inside blocks).
func Find(ds []*Directive, name string) []*Directive {
	var out []*Directive
	for _, d := range ds {
		if d.Name == name {
			out = append(out, d)
		}
	}
	return out
}

// Error is a configuration error at a position, worded as nginx's "[emerg]" lines are.
type Error struct {
	Msg  string
	File string
	Line int
}

func (e *Error) Error() string {
	if e.File == "" {
		return e.Msg
	}
	if e.File == "command line" { // nginx names no line in -g directives
		return e.Msg + " in command line"
	}
	return fmt.Sprintf("%s in %s:%d", e.Msg, e.File, e.Line)
}

// Config is a parsed configuration: the top-level directives with includes expanded.
type Config struct {
	File       string // the main file
	Directives []*Directive
	// Files lists every file read, the main one first (nginx -T prints them).
	Files []string
}

// ParseFile reads the configuration in path; includes resolve relative to its directory.
func ParseFile(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Msg: fmt.Sprintf("open() %q failed (%s)", path, errnoText(err))}
	}
	return Parse(path, src, nil)
}

// Parse parses src as the configuration file path (which need not exist; includes resolve
// relative to its directory). extra, if not nil, is parsed first as more top-level
// directives (nginx's -g), named "command line".
func Parse(path string, src []byte, extra []byte) (*Config, error) {
	p := &parser{confDir: filepath.Dir(path), cfg: &Config{File: path}}
	var ds []*Directive
	if extra != nil {
		g, err := p.parse("command line", extra, 0)
		if err != nil {
			return nil, err
		}
		ds = append(ds, g...)
	}
	p.cfg.Files = append(p.cfg.Files, path)
	main, err := p.parse(path, src, 0)
	if err != nil {
		return nil, err
	}
	p.cfg.Directives = append(ds, main...)
	return p.cfg, nil
}

type parser struct {
	confDir string
	cfg     *Config
	depth   int // include depth
}

// parse reads one file's directives; includes are read in place.
func (p *parser) parse(file string, src []byte, _ int) ([]*Directive, error) {
	lx := &lexer{file: file, src: src, line: 1}
	ds, err := p.block(lx, false, false)
	if err != nil {
		return nil, err
	}
	return ds, nil
}

// block reads directives up to the end of the file (top) or the "}" closing a block; in an
// opaque block (map entries, ...) a name may be empty (” in a map).
func (p *parser) block(lx *lexer, inBlock, opaque bool) ([]*Directive, error) {
	ds := []*Directive{}
	for {
		t, err := lx.next()
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tokEOF:
			if inBlock {
				return nil, lx.errf(lx.line, "unexpected end of file, expecting \"}\"")
			}
			return ds, nil
		case tokClose:
			if !inBlock {
				return nil, lx.errf(t.line, "unexpected \"}\"")
			}
			return ds, nil
		case tokSemi, tokOpen:
			return nil, lx.errf(t.line, "unexpected \"%s\"", t.text)
		}
		if t.text == "" && !opaque { // a quoted empty name: no directive has it
			return nil, lx.errf(t.line, "unknown directive \"\"")
		}
		// nginx accepts a quoted directive name; it is kept as is.
		d := &Directive{Name: t.text, File: lx.file, Line: t.line, ConfDir: p.confDir}
		isLuaBlock := strings.HasSuffix(d.Name, "_by_lua_block")
	args:
		for {
			a, err := lx.next()
			if err != nil {
				return nil, err
			}
			switch a.kind {
			case tokWord:
				d.Args = append(d.Args, a.text)
				d.Quoted = append(d.Quoted, a.quoted)
			case tokSemi:
				d.EndLine = a.line
				break args
			case tokOpen:
				d.EndLine = a.line
				if isLuaBlock {
					body, err := lx.luaBlock()
					if err != nil {
						return nil, err
					}
					d.Lua, d.LuaLine = true, a.line
					d.Args = append(d.Args, body)
					d.Quoted = append(d.Quoted, false)
					break args
				}
				inner, err := p.block(lx, true, opaqueBlocks[d.Name])
				if err != nil {
					return nil, err
				}
				d.Block = inner
				break args
			case tokClose:
				return nil, lx.errf(a.line, "unexpected \"}\"")
			case tokEOF:
				return nil, lx.errf(lx.line, "unexpected end of file, expecting \";\" or \"}\"")
			}
		}
		if d.Name == "include" && d.Block == nil {
			inc, err := p.include(d)
			if err != nil {
				return nil, err
			}
			ds = append(ds, inc...)
			continue
		}
		ds = append(ds, d)
	}
}

// include reads the files an include directive names (a glob matching nothing is fine; a
// plain name that does not exist is an error, as in nginx).
func (p *parser) include(d *Directive) ([]*Directive, error) {
	if len(d.Args) != 1 {
		return nil, &Error{Msg: `invalid number of arguments in "include" directive`, File: d.File, Line: d.Line}
	}
	if p.depth > 64 {
		return nil, &Error{Msg: "include nesting too deep", File: d.File, Line: d.Line}
	}
	pat := d.Args[0]
	if !filepath.IsAbs(pat) {
		pat = p.confDir + "/" + pat // not cleaned: a chunk name shows the path as written
	}
	var files []string
	if strings.ContainsAny(pat, "*?[") {
		m, err := filepath.Glob(pat)
		if err != nil {
			return nil, &Error{Msg: fmt.Sprintf("%s pattern \"%s\" failed", "glob()", pat), File: d.File, Line: d.Line}
		}
		sort.Strings(m)
		for _, f := range m {
			if st, err := os.Stat(f); err == nil && !st.IsDir() {
				files = append(files, f)
			}
		}
	} else {
		files = []string{pat}
	}
	var out []*Directive
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, &Error{Msg: fmt.Sprintf("open() \"%s\" failed (%s)", f, errnoText(err)), File: d.File, Line: d.Line}
		}
		p.cfg.Files = append(p.cfg.Files, f)
		p.depth++
		ds, err := p.parse(f, src, 0)
		p.depth--
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
	}
	return out, nil
}

// errnoText renders an open error as nginx does: "2: No such file or directory".
func errnoText(err error) string {
	switch {
	case os.IsNotExist(err):
		return "2: No such file or directory"
	case os.IsPermission(err):
		return "13: Permission denied"
	}
	return err.Error()
}
