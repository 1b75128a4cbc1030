// Package mysql is the native half of luaws's resty.mysql (lua/resty/mysql.lua): the
// MySQL/MariaDB client/server protocol's packet parsing and the authentication plugins'
// crypto, as the Lua module "luaws.mysql".
//
// The Lua module keeps lua-resty-mysql's state machine, cosocket I/O and error strings;
// what is per row or per column (length-encoded strings, column-type conversion) and what
// needs a crypto library (SHA-1/SHA-256 scrambles, RSA-OAEP, Ed25519) is here. Parsers are
// tolerant where lua-resty-mysql's are (a value cut short reads as NULL) and return an
// error where lua-resty-mysql's would raise a Lua error on a truncated packet.
package mysql

import (
	"encoding/binary"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/luabind/lnull"
)

// Preload registers "luaws.mysql" in package.preload.
func Preload(L *lua.LState) {
	L.PreloadModule("luaws.mysql", load)
}

func load(L *lua.LState) int {
	mod := L.CreateTable(0, 12)
	for name, fn := range map[string]lua.LGFunction{
		"parse_handshake": parseHandshake,
		"parse_ok":        parseOK,
		"parse_err":       parseErr,
		"parse_eof":       parseEOF,
		"parse_field":     parseField,
		"parse_row":       parseRow,
		"lenenc_int":      lenencInt,
		"native_token":    nativeToken,
		"sha256_token":    sha256Token,
		"old_token":       oldToken,
		"rsa_encrypt":     rsaEncrypt,
		"ed25519_sign":    ed25519Sign,
	} {
		mod.RawSetString(name, L.NewFunction(fn))
	}
	L.Push(mod)
	return 1
}

// reader walks a packet; a read past the end sets short.
type reader struct {
	b     string
	pos   int
	short bool
}

func (r *reader) bytes(n int) string {
	if n < 0 || r.pos+n > len(r.b) {
		r.short = true
		r.pos = len(r.b)
		return ""
	}
	s := r.b[r.pos : r.pos+n]
	r.pos += n
	return s
}

func (r *reader) u8() int {
	s := r.bytes(1)
	if s == "" {
		return 0
	}
	return int(s[0])
}

func (r *reader) u16() int {
	s := r.bytes(2)
	if s == "" {
		return 0
	}
	return int(binary.LittleEndian.Uint16([]byte(s)))
}

func (r *reader) u32() int64 {
	s := r.bytes(4)
	if s == "" {
		return 0
	}
	return int64(binary.LittleEndian.Uint32([]byte(s)))
}

// cstring reads up to a NUL (consumed); ok is false when there is none.
func (r *reader) cstring() (string, bool) {
	i := strings.IndexByte(r.b[r.pos:], 0)
	if i < 0 {
		return "", false
	}
	s := r.b[r.pos : r.pos+i]
	r.pos += i + 1
	return s, true
}

// lenenc reads a length-encoded integer: null is true for 0xfb (NULL) and for a missing or
// invalid (0xff) first byte, as lua-resty-mysql's reader treats them.
func (r *reader) lenenc() (n uint64, null bool) {
	if r.pos >= len(r.b) {
		return 0, true
	}
	first := r.b[r.pos]
	r.pos++
	var w int
	switch {
	case first <= 250:
		return uint64(first), false
	case first == 251:
		return 0, true
	case first == 252:
		w = 2
	case first == 253:
		w = 3
	case first == 254:
		w = 8
	default:
		return 0, true
	}
	s := r.bytes(w)
	if s == "" {
		return 0, true
	}
	var buf [8]byte
	copy(buf[:], s)
	return binary.LittleEndian.Uint64(buf[:]), false
}

// lenencStr reads a length-encoded string; a string running past the packet's end is cut
// there (string.sub's behaviour in the Lua original).
func (r *reader) lenencStr() (string, bool) {
	n, null := r.lenenc()
	if null {
		return "", false
	}
	end := r.pos + int(min(n, uint64(len(r.b))))
	if end > len(r.b) {
		end = len(r.b)
	}
	s := r.b[r.pos:end]
	r.pos = end
	if n > uint64(len(s)) {
		r.short = true
	}
	return s, true
}

func fail(L *lua.LState, msg string) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(msg))
	return 2
}

// parseHandshake is parse_handshake(packet): the server's initial handshake (protocol 10)
// as {protocol_ver, server_ver, thread_id, scramble (20 bytes), capabilities, server_lang,
// server_status, plugin}, or nil, err with lua-resty-mysql's messages.
func parseHandshake(L *lua.LState) int {
	r := &reader{b: L.CheckString(1)}
	proto := r.u8()
	if r.short {
		return fail(L, "bad handshake initialization packet: bad protocol version")
	}
	if proto < 10 {
		return fail(L, "unsupported protocol version "+strconv.Itoa(proto)+", version 10 or higher is required")
	}
	ver, ok := r.cstring()
	if !ok {
		return fail(L, "bad handshake initialization packet: bad server version")
	}
	t := L.CreateTable(0, 8)
	t.RawSetString("protocol_ver", lua.LNumber(proto))
	t.RawSetString("server_ver", lua.LString(ver))
	t.RawSetString("thread_id", lua.LNumber(r.u32()))
	scramble := r.bytes(8)
	if r.short {
		return fail(L, "1st part of scramble not found")
	}
	r.bytes(1) // filler
	capLow := r.u16()
	lang := r.u8()
	status := r.u16()
	capHigh := r.u16()
	r.bytes(11) // auth-plugin-data length and 10 reserved bytes
	if r.short {
		return fail(L, "2nd part of scramble not found")
	}
	// like the official clients, take 12 bytes and skip the 13th (a NUL)
	part2 := r.bytes(12)
	if r.short {
		return fail(L, "2nd part of scramble not found")
	}
	r.bytes(1)
	caps := int64(capLow) | int64(capHigh)<<16
	plugin := "mysql_native_password"
	if caps&0x00080000 != 0 { // CLIENT_PLUGIN_AUTH
		p, ok := r.cstring()
		if !ok { // some 5.5/5.6 servers end the packet without the NUL
			p = r.b[r.pos:]
		}
		plugin = p
	}
	t.RawSetString("scramble", lua.LString(scramble+part2))
	t.RawSetString("capabilities", lua.LNumber(caps))
	t.RawSetString("server_lang", lua.LNumber(lang))
	t.RawSetString("server_status", lua.LNumber(status))
	t.RawSetString("plugin", lua.LString(plugin))
	L.Push(t)
	return 1
}

// parseOK is parse_ok(packet): {affected_rows, insert_id, server_status, warning_count,
// message?} from an OK packet, or nil, "malformed packet".
func parseOK(L *lua.LState) int {
	r := &reader{b: L.CheckString(1), pos: 1}
	affected, null1 := r.lenenc()
	insertID, null2 := r.lenenc()
	status := r.u16()
	warnings := r.u16()
	if r.short || null1 || null2 {
		return fail(L, "malformed packet")
	}
	t := L.CreateTable(0, 5)
	t.RawSetString("affected_rows", lua.LNumber(affected))
	t.RawSetString("insert_id", lua.LNumber(insertID))
	t.RawSetString("server_status", lua.LNumber(status))
	t.RawSetString("warning_count", lua.LNumber(warnings))
	if msg, ok := r.lenencStr(); ok {
		t.RawSetString("message", lua.LString(msg))
	}
	L.Push(t)
	return 1
}

// parseErr is parse_err(packet): errno, message, sqlstate (nil without the '#' marker).
func parseErr(L *lua.LState) int {
	r := &reader{b: L.CheckString(1), pos: 1}
	errno := r.u16()
	var sqlstate lua.LValue = lua.LNil
	if r.pos < len(r.b) && r.b[r.pos] == '#' {
		r.pos++
		end := min(r.pos+5, len(r.b))
		sqlstate = lua.LString(r.b[r.pos:end])
		r.pos = end
	}
	if r.short {
		L.Push(lua.LNil)
	} else {
		L.Push(lua.LNumber(errno))
	}
	L.Push(lua.LString(r.b[r.pos:]))
	L.Push(sqlstate)
	return 3
}

// parseEOF is parse_eof(packet): warning_count, status_flags (0 for a packet cut short).
func parseEOF(L *lua.LState) int {
	r := &reader{b: L.CheckString(1), pos: 1}
	L.Push(lua.LNumber(r.u16()))
	L.Push(lua.LNumber(r.u16()))
	return 2
}

// parseField is parse_field(packet): a column definition as {name = , type = }.
func parseField(L *lua.LState) int {
	r := &reader{b: L.CheckString(1)}
	for i := 0; i < 4; i++ { // catalog, schema, table, org_table
		r.lenencStr()
	}
	col := L.CreateTable(0, 2)
	if name, ok := r.lenencStr(); ok {
		col.RawSetString("name", lua.LString(name))
	} else {
		col.RawSetString("name", lnull.Get(L))
	}
	r.lenencStr() // org_name
	r.bytes(1)    // length of the fixed fields
	r.bytes(2)    // character set
	r.bytes(4)    // column length
	if typ := r.u8(); !r.short {
		col.RawSetString("type", lua.LNumber(typ))
	}
	L.Push(col)
	return 1
}

// numericTypes are the column types whose values lua-resty-mysql converts with tonumber:
// DECIMAL, TINY, SHORT, LONG, FLOAT, DOUBLE, INT24, YEAR and NEWDECIMAL (not LONGLONG,
// which a double cannot hold exactly).
var numericTypes = [256]bool{0x00: true, 0x01: true, 0x02: true, 0x03: true, 0x04: true,
	0x05: true, 0x09: true, 0x0d: true, 0xf6: true}

// parseRow is parse_row(packet, cols, compact): one text-protocol row as a table keyed by
// column name, or an array when compact is true. NULL is ngx.null.
func parseRow(L *lua.LState) int {
	r := &reader{b: L.CheckString(1)}
	cols := L.CheckTable(2)
	compact := lua.LVAsBool(L.Get(3))
	null := lnull.Get(L)
	n := cols.Len()
	var row *lua.LTable
	if compact {
		row = L.CreateTable(n, 0)
	} else {
		row = L.CreateTable(0, n)
	}
	for i := 1; i <= n; i++ {
		var v lua.LValue = null
		col, _ := cols.RawGetInt(i).(*lua.LTable)
		if s, ok := r.lenencStr(); ok {
			v = lua.LString(s)
			if col != nil {
				if typ, ok := col.RawGetString("type").(lua.LNumber); ok && typ >= 0 && typ < 256 && numericTypes[int(typ)] {
					v = toNumber(s)
				}
			}
		}
		if compact {
			row.RawSetInt(i, v)
		} else if col != nil {
			if name := col.RawGetString("name"); name != lua.LNil {
				row.RawSet(name, v)
			}
		}
	}
	L.Push(row)
	return 1
}

// toNumber is Lua's tonumber on a decimal numeral (all a MySQL server sends for numeric
// columns): the number, or nil when the text is not one.
func toNumber(s string) lua.LValue {
	t := strings.TrimSpace(s)
	if t == "" {
		return lua.LNil
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if (c < '0' || c > '9') && c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E' {
			return lua.LNil
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return lua.LNil
		}
	}
	return lua.LNumber(f)
}

// lenencInt is lenenc_int(packet, pos): the length-encoded integer at pos (1-based) and the
// position after it; ngx.null for NULL.
func lenencInt(L *lua.LState) int {
	r := &reader{b: L.CheckString(1), pos: L.CheckInt(2) - 1}
	if r.pos < 0 {
		r.pos = len(r.b)
	}
	n, null := r.lenenc()
	if null {
		L.Push(lnull.Get(L))
	} else {
		L.Push(lua.LNumber(n))
	}
	L.Push(lua.LNumber(r.pos + 1))
	return 2
}
