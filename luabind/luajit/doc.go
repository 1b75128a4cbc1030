// Package luajit makes Lua written for LuaJIT 2.1 / OpenResty behave the same under
// gopher-lua v1.1.2.
//
// Translate rewrites the string escapes gopher-lua's lexer gets wrong ("\xNN", "\z",
// "\u{XXXX}", and rejects the ones LuaJIT rejects), hexadecimal float literals (0xA.8p0),
// a first line starting with '#' and goto used as a name, without moving any line. Compile
// rewrites the parsed chunk so that ".." formats numbers as LuaJIT does (concat.go), and
// where it can change a result, numeric for bounds, # and unary minus follow LuaJIT and a
// generic for's iterator may yield (rewrite.go); its prototypes are instantiated with
// NewFunction. pcall and xpcall can be yielded across inside coroutines (yieldable.go). Open replaces tostring, print, xpcall, load,
// loadstring, loadfile, dofile, require (and package.loaders), setmetatable, getmetatable,
// collectgarbage, assert, next, debug.getinfo/gethook/sethook/getregistry/debug, the string library (find, match, gmatch and gsub with a pattern matcher of
// its own, byte, char, sub, len, upper, lower, reverse, rep, format, dump), table insert/remove/concat/move/foreach/foreachi/getn, the
// math functions, io.write, debug.getupvalue/setupvalue, and adds gcinfo, unpack,
// table.new, table.clear and a global jit table; it removes what OpenResty's LuaJIT does not
// have (table.unpack, string.gfind, math.mod, os.setenv, _GOPHER_LUA_VERSION). Preload registers the
// LuaJIT modules ("table.new", "table.nkeys", ..., "jit") in package.preload. Every
// behaviour was compared with Debian's LuaJIT 2.1 (the one lua-nginx-module uses); the
// tests hold the values it printed. docs/luajit-differences.md lists what still differs.
//
// # What still differs from LuaJIT
//
// Numbers converted to strings: every path prints LuaJIT's "%.14g" ("1e+15", "-0", "nan",
// "inf"), the ".." operator included through Compile's rewrite.
//
// Syntax error messages. gopher-lua's parser only says "syntax error"; load and loadstring
// print it in LuaJIT's shape with LuaJIT's most common wording, so
// load("x = = 1") gives `[string "x = = 1"]:1: unexpected symbol near '='` as LuaJIT does,
// but LuaJIT's specific messages are not reproduced: load("for i=1 do end") gives
// "unexpected symbol near 'do'" where LuaJIT says "',' expected near 'do'", and a missing
// end gives "unexpected symbol near '<eof>'" where LuaJIT says "'end' expected (to close
// 'function' at line 1) near '<eof>'". Lexical errors found by Translate (bad escapes,
// unfinished strings) are exactly LuaJIT's.
//
// Runtime error messages: pcall, and the host's entry and user light threads, catch errors
// with an errfunc (ErrorHandler, TranslateError) that runs while the failing frame is on
// the stack and rewords gopher-lua's text as LuaJIT's, naming the variable from the failing
// instruction and its registers: "attempt to call global 'f' (a nil value)", "attempt to
// index local 't' (a nil value)", "attempt to perform arithmetic on field 'n' (a nil
// value)", "bad argument #1 to 'rep' (...)" ('?' and no position in a tail call or from
// pcall). error() follows LuaJIT's positions. Errors read from coroutine.resume and what an
// xpcall handler receives keep gopher-lua's facts (reworded, without names: the coroutine's
// frames are gone, the handler is PCall's errfunc itself).
//
// Line of a call spanning lines: f"a\z<newline>b"(1) fails at line 2 in LuaJIT (the line
// of "(1)") and at line 1 in gopher-lua, which reports a call at its first line; this is
// gopher-lua's, with or without Translate.
//
// Syntax: SyntaxCheck (syntax.go, LuaJIT's grammar) runs on every loaded chunk, so what
// gopher-lua accepts and LuaJIT refuses ("f\n(x)" ambiguous syntax, "x = 1e", "x=1;;")
// fails with LuaJIT's message.
//
// Numeric literals: LuaJIT's FFI suffixes (1LL, 1ULL, 1i) are not read.
//
// table.nkeys, isempty, isarray and clone appear after require("table.nkeys") etc., as in
// LuaJIT; table.new and table.clear are there from the start, as under OpenResty (whose
// lua-resty-core requires them).
//
// collectgarbage: "count" is the Go heap in use by the whole process, in KiB (read from
// runtime/metrics, no collection, no stop-the-world), not the memory of one state.
// "collect", "stop", "restart" return 0 and "setpause"/"setstepmul" the previous value, as
// LuaJIT does, but nothing is collected; "step" returns true when given a size > 0 and
// false otherwise (LuaJIT returns whether the step ended a cycle); "isrunning" follows
// stop/restart.
//
// load: a binary chunk is read back only if it is string.dump output of this process (see
// dump.go); others are refused ("cannot load incompatible bytecode"). jit: version, version_num, os, arch, on, off, flush,
// opt.start; jit.status() returns false; no jit.util, ffi or string.buffer.
//
// print writes to standard output as gopher-lua's does (OpenResty logs it at NOTICE; the
// host may replace it).
//
// string.format: everything LuaJIT's formatter does was checked, "%a" with rounding
// precisions included.
package luajit
