package luabind

import (
	"errors"
	"github.com/luaws/luaws/internal/buildinfo"
	"net"
	"strconv"
	"sync/atomic"
	"time"
	"unsafe"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/wsnative"
)

// The native half of resty.websocket.*: require "luaws.websocket". The Lua modules keep the
// object shape OpenResty scripts poke at; the bytes are handled here, in Go.
var websocketFuncs = map[string]lua.LGFunction{
	"accept":     wsAccept,
	"is_native":  wsIsNative,
	"recv_frame": wsRecvFrame,
	"send_frame": wsSendFrame,
	// session_recv / session_send: recv_frame / send_frame, or false when the socket is not
	// a luaws socket (_session.lua then takes protocol's Lua path): one Go call per frame
	// instead of is_native's and the codec's.
	"session_recv": wsSessionRecv,
	"session_send": wsSessionSend,
	// session_methods: the server's recv_frame and send_* in Go (websocket_session.go)
	"session_methods": wsSessionMethods,
	"build_frame":     wsBuildFrame,
	"check_send":      wsCheckSend,
	"unmask":          wsUnmask,
	// check_response(head, key): nil, or why the handshake response is not acceptable.
	"check_response": wsCheckResponse,
	// client_extensions(sock, head): nil, or why the server's extension answer is refused.
	"client_extensions": wsClientExtensions,
}

func openWebsocket(L *lua.LState) int {
	mod := L.CreateTable(0, len(websocketFuncs)+1)
	mod.RawSetString("deflate_offer", lua.LString(wsnative.ClientDeflateOffer))
	for k, fn := range websocketFuncs {
		mod.RawSetString(k, L.NewFunction(fn))
	}
	L.Push(mod)
	return 1
}

// wsAccept performs the server handshake (RFC 6455 section 4.2.2) with OpenResty's checks and
// strings, sends the 101 with every header the script staged in ngx.header, and returns the
// raw request socket.
func wsAccept(L *lua.LState) int {
	r := httpRequestOf(L)
	if r.headersSent {
		L.Push(lua.LNil)
		L.Push(lua.LString("response header already sent"))
		return 2
	}
	hr := r.r
	sr, err := wsnative.CheckServerRequest(hr.ProtoMajor, hr.ProtoMinor, hr.Header)
	if err != nil {
		if st := r.host.cfg.Stats; st != nil {
			st.Refused(refusedReason(err))
		}
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	var origins lua.LValue = lua.LNil
	if t, ok := L.Get(1).(*lua.LTable); ok {
		origins = t.RawGetString("allowed_origins")
	}
	checkOrigin(L, r, origins)
	ext, proto, extHeader, err := readWSOptions(L, 1, r.host.cfg.WebSocket).negotiate(hr.Header)
	if err != nil {
		if st := r.host.cfg.Stats; st != nil {
			st.Refused("subprotocol")
		}
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	if proto != "" {
		sr.Protocol = proto
	}
	if sr.Protocol != "" {
		r.header.set("Sec-WebSocket-Protocol", []string{sr.Protocol})
	}
	if extHeader != "" {
		r.header.set("Sec-WebSocket-Extensions", []string{extHeader})
	}
	r.header.set("Upgrade", []string{"websocket"})
	r.header.set("Sec-WebSocket-Accept", []string{wsnative.AcceptKey(sr.Key)})
	r.header.set("Content-Type", nil)
	r.status = 101

	conn, buffered, err := r.hijack()
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString("failed to send response header: " + err.Error()))
		return 2
	}

	s := newSocket(r, conn, buffered)
	s.raw = true
	r.sock = s
	r.host.trackWebsocket(r)

	head := r.appendSwitchingHead(make([]byte, 0, 256))
	t := threadOf(L)
	s.inl = newInlineIO(conn)
	write101 := func() {
		s.armDeadline(true, s.sendTimeout)
		var n int
		if s.inl != nil && s.inl.t != nil {
			n, err = s.inl.Write(head)
		} else {
			n, err = conn.Write(head)
		}
		r.rawBytes, r.rawHeadLen = r.rawBytes+int64(n), int64(len(head))
	}
	if t.inlineOK(s) {
		t.blockInline(L, s, write101)
	} else {
		t.blockOn(L, conn, write101)
	}
	if err != nil {
		s.closed = true
		L.Push(lua.LNil)
		L.Push(lua.LString("failed to send response header: " + wsnative.Reason(err)))
		return 2
	}
	if st := r.host.cfg.Stats; st != nil {
		s.stats = st
		s.wsLoc = st.Location(r.locationName())
		s.wsLoc.Open.Add(1)
		s.wsLoc.Total.Add(1)
	}
	if ext != nil {
		s.ext = ext
		if ext.inflater != nil {
			s.frameReader().AllowRSV1 = true
		}
		s.startKeepalive()
	}
	pushSocket(L, s)
	if proto != "" {
		L.Push(lua.LString(proto))
		return 2
	}
	return 1
}

// appendSwitchingHead writes the 101 response as nginx lays it out: status line, Server,
// Date, Connection, then the staged headers in the order they were set.
func (r *request) appendSwitchingHead(b []byte) []byte {
	b = append(b, "HTTP/1.1 101 Switching Protocols\r\nServer: "+buildinfo.ServerToken+"\r\nDate: "...)
	b = appendHTTPDate(b, time.Now())
	b = append(b, "\r\nConnection: upgrade\r\n"...)
	for _, f := range r.header.fields {
		for _, v := range f.values {
			b = append(b, f.name...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	return append(b, "\r\n"...)
}

// httpDate is the Date of one second, formatted once: nginx too formats its cached HTTP
// time once per second, not per response (formatting it was 1.7% of a handshake's CPU).
type httpDate struct {
	sec int64
	b   []byte
}

var lastHTTPDate atomic.Pointer[httpDate]

// appendHTTPDate appends now as an HTTP date (RFC 9110 section 5.6.7), in UTC.
func appendHTTPDate(b []byte, now time.Time) []byte {
	sec := now.Unix()
	d := lastHTTPDate.Load()
	if d == nil || d.sec != sec {
		d = &httpDate{sec: sec, b: now.UTC().AppendFormat(make([]byte, 0, 29), "Mon, 02 Jan 2006 15:04:05 GMT")}
		lastHTTPDate.Store(d)
	}
	return append(b, d.b...)
}

func wsIsNative(L *lua.LState) int {
	_, ok := isSocket(L.Get(1))
	L.Push(lua.LBool(ok))
	return 1
}

func wsSessionRecv(L *lua.LState) int {
	if _, ok := isSocket(L.Get(1)); !ok {
		L.Push(lua.LFalse)
		return 1
	}
	return wsRecvFrame(L)
}

func wsSessionSend(L *lua.LState) int {
	if _, ok := isSocket(L.Get(1)); !ok {
		L.Push(lua.LFalse)
		return 1
	}
	return wsSendFrame(L)
}

// maxLenArg reads a max_payload_len argument: nil means no limit of ours.
func maxLenArg(L *lua.LState, n int) int64 {
	v := L.Get(n)
	if v == lua.LNil {
		return 1<<63 - 1
	}
	return int64(L.CheckNumber(n))
}

// wsRecvFrame is protocol.recv_frame on a luaws socket: data, typ, err.
func wsRecvFrame(L *lua.LState) int {
	s := checkSocket(L, 1)
	max := maxLenArg(L, 2)
	force := L.ToBool(3)
	if s.closed || s.conn == nil || s.reading {
		reason := "closed"
		if s.reading {
			reason = "socket busy reading"
		}
		L.Push(lua.LNil)
		L.Push(lua.LNil)
		L.Push(lua.LString(wsnative.StageFirst2 + ": " + reason))
		return 3
	}
	if len(s.rbuf) > 0 && s.frames == nil {
		s.frameReader() // the frame reader drains rbuf through s.Read
	}
	fr := s.frameReader()
	t := threadOf(L)
	s.reader = t
	var f wsnative.Frame
	var err error
	x := s.ext
	if x == nil && fr.FrameBuffered() {
		// The frame is here: no read, no deadline, no yield (nginx returns buffered data
		// without going back to its event loop either).
		f, err = fr.ReadFrame(max, force)
	} else if x == nil && t.inlineOK(s) {
		err = net.ErrClosed
		s.reading = true
		s.inl.reading = true
		t.blockInline(L, s, func() {
			s.armDeadline(false, s.readTimeout)
			f, err = fr.ReadFrame(max, force)
		})
		s.inl.reading = false
		s.reading = false
	} else {
		err = net.ErrClosed
		s.reading = true
		t.blockOn(L, s.conn, func() {
			s.armDeadline(false, s.readTimeout)
			f, err = fr.ReadFrame(max, force)
			for x != nil && err == nil {
				var more bool
				if f, more, err = x.process(f, max); err != nil || !more {
					break
				}
				f, err = fr.ReadFrame(max, force)
			}
		})
		s.reading = false
	}
	if x != nil && isExtError(err) {
		s.rejectFrame(L, err)
	}
	if err != nil {
		if ioe := asIOError(err); ioe != nil {
			L.Push(lua.LNil)
			L.Push(lua.LNil)
			if ioe.Timeout() {
				s.ioFailed(L, "read", err)
				if v := timeoutErrs[ioe.Stage]; v != nil {
					L.Push(v) // boxed once: an idle websocket times out every few seconds
					return 3
				}
			}
			L.Push(lua.LString(ioe.Error()))
			return 3
		}
		L.Push(lua.LNil)
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 3
	}
	if lg := s.req.sc.log; lg.Enabled(errlog.Debug) {
		bit := "0"
		if f.Masked {
			bit = "1"
		}
		lg.Log(errlog.Debug, &s.req.logc, "[lua] protocol.lua:96: recv_frame(): recv_frame: mask bit: "+bit)
	}
	if st := s.stats; st != nil {
		st.FramesIn[f.Opcode&0xf].Add(1)
		st.BytesIn[f.Opcode&0xf].Add(uint64(len(f.Payload)))
	}
	L.Push(lua.LString(f.Payload))
	if f.Opcode == wsnative.OpClose {
		L.Push(lua.LString("close"))
		if f.HasCode {
			L.Push(lua.LNumber(f.CloseCode))
		} else {
			L.Push(lua.LNil)
		}
		return 3
	}
	L.Push(opNames[f.Opcode&0x0f]) // boxed once: no allocation per frame
	if !f.Fin {
		L.Push(lua.LString("again"))
	} else {
		L.Push(lua.LNil)
	}
	return 3
}

// asIOError returns err as the frame reader's I/O error (it returns one as it is, so the
// type assertion finds it without errors.As's allocation), or nil.
func asIOError(err error) *wsnative.IOError {
	if ioe, ok := err.(*wsnative.IOError); ok {
		return ioe
	}
	var ioe *wsnative.IOError
	if errors.As(err, &ioe) {
		return ioe
	}
	return nil
}

// timeoutErrs are recv_frame's timeout errors ("failed to receive the first 2 bytes:
// timeout", ...), by the reader's stage, as Lua values.
var timeoutErrs = func() map[string]lua.LValue {
	m := map[string]lua.LValue{}
	for _, st := range []string{wsnative.StageFirst2, wsnative.StageLen16, wsnative.StageLen64, wsnative.StagePayload} {
		m[st] = lua.LString((&wsnative.IOError{Stage: st, Reason: "timeout"}).Error())
	}
	return m
}()

// opNames are the frame type names recv_frame returns, by opcode, as Lua values (nil for
// the reserved opcodes, which the reader rejects before).
var opNames = func() (t [16]lua.LValue) {
	for op := range t {
		t[op] = lua.LNil
		if name := wsnative.OpName(byte(op)); name != "" {
			t[op] = lua.LString(name)
		}
	}
	return t
}()

// payloadArg converts a frame payload as upstream does: nil/false -> "", strings as they
// are, anything else through tostring. The bytes alias the Lua string: read-only.
func payloadArg(L *lua.LState, n int) []byte {
	v := L.Get(n)
	var s string
	switch v := v.(type) {
	case lua.LString:
		s = string(v)
	case *lua.LNilType:
		return nil
	case lua.LBool:
		if !v {
			return nil
		}
		s = "true"
	case lua.LNumber:
		s = fmtNumber(float64(v))
	default:
		s = L.ToStringMeta(v).String()
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// maskKeyArg takes the masking key the Lua side drew from math.random (as upstream does, so
// math.randomseed makes keys reproducible), or draws one in Go.
func maskKeyArg(L *lua.LState, n int) [4]byte {
	if v, ok := L.Get(n).(lua.LNumber); ok {
		k := uint32(int64(v))
		return [4]byte{byte(k >> 24), byte(k >> 16), byte(k >> 8), byte(k)}
	}
	return wsnative.NewMaskKey()
}

func opcodeArg(L *lua.LState, n int) byte {
	op := L.CheckInt(n)
	return byte(op)
}

// wsSendFrame is protocol.send_frame on a luaws socket: bytes | nil, err.
func wsSendFrame(L *lua.LState) int {
	s := checkSocket(L, 1)
	fin := L.ToBool(2)
	op := opcodeArg(L, 3)
	payload := payloadArg(L, 4)
	max := maxLenArg(L, 5)
	masked := L.ToBool(6)
	if err := wsnative.CheckSend(fin, op, len(payload), max); err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	if s.closed || s.conn == nil {
		L.Push(lua.LNil)
		L.Push(lua.LString("failed to send frame: closed"))
		return 2
	}
	var key [4]byte
	if masked {
		key = maskKeyArg(L, 7)
	}
	if s.ext != nil {
		var cerr error
		if payload, op, cerr = s.ext.compressFrame(fin, op, payload); cerr != nil {
			L.Push(lua.LNil)
			L.Push(lua.LString("failed to compress frame: " + cerr.Error()))
			return 2
		}
	}
	var n int
	var err error
	t := threadOf(L)
	switch size := wsnative.FrameLen(len(payload), masked); {
	case s.werr != nil:
		err = s.werr
	case op != wsnative.OpClose && s.canCoalesce(t, size):
		if s.wbuf == nil {
			s.wbuf = coalescePool.Get().(*[]byte)
		}
		*s.wbuf = wsnative.AppendFrame(*s.wbuf, fin, op, payload, masked, key)
		n = size
	case s.wbuf != nil:
		// the held-back frames and this one, in one write
		b := s.pending()
		held := len(*b)
		if size <= coalesceFrameMax {
			*b = wsnative.AppendFrame(*b, fin, op, payload, masked, key)
			if n, err = s.write(L, func(c net.Conn) (int, error) { return c.Write(*b) }); err == nil {
				n -= held
			}
		} else {
			if _, err = s.write(L, func(c net.Conn) (int, error) { return c.Write(*b) }); err == nil {
				n, err = s.write(L, func(c net.Conn) (int, error) {
					return wsnative.WriteFrame(c, fin, op, payload, masked, key)
				})
			}
		}
		releasePending(b)
	case size <= inlineFrameMax && t.inlineOK(s):
		n, err = s.sendFrameInline(L, t, fin, op, payload, masked, key)
	default:
		n, err = s.write(L, func(c net.Conn) (int, error) {
			return wsnative.WriteFrame(c, fin, op, payload, masked, key)
		})
	}
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString("failed to send frame: " + s.ioFailed(L, "write", err)))
		return 2
	}
	if st := s.stats; st != nil {
		st.FramesOut[op&0xf].Add(1)
		st.BytesOut[op&0xf].Add(uint64(n))
	}
	if n != s.sentN || s.sentV == nil { // box the byte count once while frames keep their size
		s.sentN, s.sentV = n, lua.LNumber(n)
	}
	L.Push(s.sentV)
	return 1
}

// wsBuildFrame is protocol.build_frame(fin, opcode, payload_len, payload, masking, key?).
func wsBuildFrame(L *lua.LState) int {
	fin := L.ToBool(1)
	op := opcodeArg(L, 2)
	n := L.CheckInt(3)
	payload := payloadArg(L, 4)
	masked := L.ToBool(5)
	if n > 0x7fffffff {
		L.Push(lua.LNil)
		L.Push(lua.LString("payload too big"))
		return 2
	}
	if n < len(payload) {
		payload = payload[:n]
	}
	var key [4]byte
	if masked {
		key = maskKeyArg(L, 6)
	}
	b := wsnative.AppendHeader(make([]byte, 0, 14+len(payload)), fin, op, n, masked, key)
	start := len(b)
	b = append(b, payload...)
	if masked {
		wsnative.Mask(key, 0, b[start:])
	}
	L.Push(lua.LString(b))
	return 1
}

// wsCheckSend applies send_frame's checks for the Lua path: nil or the error string.
func wsCheckSend(L *lua.LState) int {
	err := wsnative.CheckSend(L.ToBool(1), opcodeArg(L, 2), L.CheckInt(3), maxLenArg(L, 4))
	if err != nil {
		L.Push(lua.LString(err.Error()))
		return 1
	}
	L.Push(lua.LNil)
	return 1
}

// wsUnmask(key, data): data XOR the 4-byte masking key (RFC 6455 section 5.3).
func wsUnmask(L *lua.LState) int {
	k := L.CheckString(1)
	if len(k) != 4 {
		L.ArgError(1, "masking key must be 4 bytes, got "+strconv.Itoa(len(k)))
	}
	b := []byte(L.CheckString(2))
	wsnative.Mask([4]byte{k[0], k[1], k[2], k[3]}, 0, b)
	L.Push(lua.LString(b))
	return 1
}

func wsCheckResponse(L *lua.LState) int {
	if err := wsnative.CheckClientResponse([]byte(L.CheckString(1)), L.CheckString(2)); err != nil {
		L.Push(lua.LString(err.Error()))
		return 1
	}
	L.Push(lua.LNil)
	return 1
}
