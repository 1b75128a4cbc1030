// Package luajit makes Lua written for LuaJIT 2.1 / OpenResty behave the same under
// gopher-lua v1.1.2.
//
// Translate rewrites the string escapes gopher-lua's lexer gets wrong ("\xNN", "\z",
// "\u{XXXX}", and rejects the ones LuaJIT rejects) without moving any line. Open replaces
// tostring, print, xpcall, load, loadstring, collectgarbage, string.format, math.random,
// math.randomseed and math.huge, and adds unpack/table.unpack, table.new, table.clear,
// table.nkeys, table.isempty, table.isarray, table.clone and a global jit table. Preload
// registers the LuaJIT modules ("table.new", ..., "jit") in package.preload. Every
// behaviour was compared with Debian's LuaJIT 2.1 (the one lua-nginx-module uses); the
// tests hold the values it printed.
//
// # What still differs from LuaJIT
//
// Numbers converted to strings by the VM or by gopher-lua's own library functions.
// tostring, print, string.format ("%s", "%q", "%.14g") and load format numbers as LuaJIT
// does, but the concatenation operator and every library function that takes a number
// where it wants a string call gopher-lua's LNumber.String, a method of a gopher-lua type
// used directly by the VM's OP_CONCAT (stringConcat -> LVAsString); it cannot be replaced
// from outside the VM. It prints integer-valued numbers as int64 digits and others with
// Go's shortest form:
//
//	"" .. 1e15      LuaJIT "1e+15"             gopher-lua "1000000000000000"
//	"" .. 2^53      LuaJIT "9.007199254741e+15" gopher-lua "9007199254740992"
//	"" .. 1/3       LuaJIT "0.33333333333333"   gopher-lua "0.3333333333333333"
//	"" .. -0.0      LuaJIT "-0"                 gopher-lua "0"
//	"" .. 0/0       LuaJIT "nan"                gopher-lua "NaN"
//	"" .. math.huge LuaJIT "inf"                gopher-lua "+Inf"
//	table.concat({1/3}), string.len(1/3) (18, LuaJIT 16): the same.
//
// Numbers below 1e14 with no fraction, the common case, print the same both ways. Code that
// needs LuaJIT's text calls tostring(x) or string.format("%.14g", x).
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
// Ambiguous syntax: LuaJIT rejects "f\n(x)" after any token ("ambiguous syntax (function
// call x new statement)"); gopher-lua only after ")". Code LuaJIT accepts is unaffected.
//
// Numeric literals: hexadecimal fractions and exponents (0x1.8p1) and LuaJIT's FFI
// suffixes (1LL, 1ULL, 1i) are left to gopher-lua, which does not read them.
//
// The table extensions exist as table.new etc. from Open on; in LuaJIT they appear only
// after require("table.new"). table.unpack is present as well as unpack (LuaJIT 2.1 built
// without 5.2 compatibility, as OpenResty's is, has only unpack).
//
// collectgarbage: "count" is the Go heap in use by the whole process, in KiB (read from
// runtime/metrics, no collection, no stop-the-world), not the memory of one state.
// "collect", "stop", "restart" return 0 and "setpause"/"setstepmul" the previous value, as
// LuaJIT does, but nothing is collected; "step" returns true when given a size > 0 and
// false otherwise (LuaJIT returns whether the step ended a cycle); "isrunning" follows
// stop/restart.
//
// load: binary chunks are always refused ("cannot load incompatible bytecode", as LuaJIT
// says for another build's bytecode). jit: version, version_num, os, arch, on, off, flush,
// opt.start; jit.status() returns false; no jit.util, ffi or string.buffer.
//
// print writes to standard output as gopher-lua's does (OpenResty logs it at NOTICE; the
// host may replace it).
//
// string.format: everything LuaJIT's formatter does was checked except "%a" with
// precisions that round, which follows Go's hexadecimal formatting.
package luajit
