package luabind

import (
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/luaws/luaws/wsnative"
)

// The opt-in WebSocket extensions of luaws, which lua-resty-websocket never had (a script
// that asks for none of them behaves exactly as under OpenResty):
//
//	server:new{ protocols = {"v2", "v1"} }    subprotocol selection (RFC 6455 section 4.2.2)
//	server:new{ compression = true }          permessage-deflate (RFC 7692); --ws-compression
//	server:new{ strict = true }               UTF-8 and close-code checks; --ws-strict
//	server:new{ ping_interval = ms, idle_timeout = ms }
//	                                          pings and idle close without the handler
//
// With none of them a socket has no wsExt and the frame paths take no extra step.

// WSDefaults are the host-wide defaults of the extensions (the --ws-* flags); a server:new
// option overrides them per connection.
type WSDefaults struct {
	Compression bool
	Strict      bool
}

// wsExt is the extension state of one WebSocket connection.
type wsExt struct {
	strict   bool
	inflater *wsnative.Inflater
	deflater *wsnative.Deflater

	// receiving
	msgOp      byte // opcode of the data message in progress, 0 between messages
	compressed bool // the message in progress has RSV1
	acc        []byte
	text       wsnative.UTF8Validator

	// sending
	sendCompressing bool // a compressed fragmented message is being sent

	// keepalive
	pingEvery, idleAfter time.Duration
	lastRecv             atomic.Int64 // unix nanoseconds of the last frame received
	stopOnce             sync.Once
	stop                 chan struct{}
}

// wsOptions are the extension options of server:new.
type wsOptions struct {
	protocols   []string
	hasProtos   bool
	compression bool
	strict      bool
	pingEvery   time.Duration
	idleAfter   time.Duration
}

// readWSOptions reads the extension options from the table at n (nil: the defaults).
func readWSOptions(L *lua.LState, n int, def WSDefaults) wsOptions {
	o := wsOptions{compression: def.Compression, strict: def.Strict}
	t, ok := L.Get(n).(*lua.LTable)
	if !ok {
		return o
	}
	switch v := t.RawGetString("protocols").(type) {
	case *lua.LTable:
		o.hasProtos = true
		for i := 1; ; i++ {
			s, ok := v.RawGetInt(i).(lua.LString)
			if !ok {
				break
			}
			o.protocols = append(o.protocols, string(s))
		}
	case lua.LString:
		o.hasProtos = true
		o.protocols = []string{string(v)}
	}
	if v := t.RawGetString("compression"); v != lua.LNil {
		o.compression = lua.LVAsBool(v)
	}
	if v := t.RawGetString("strict"); v != lua.LNil {
		o.strict = lua.LVAsBool(v)
	}
	if v, ok := t.RawGetString("ping_interval").(lua.LNumber); ok && v > 0 {
		o.pingEvery = time.Duration(float64(v) * float64(time.Millisecond))
	}
	if v, ok := t.RawGetString("idle_timeout").(lua.LNumber); ok && v > 0 {
		o.idleAfter = time.Duration(float64(v) * float64(time.Millisecond))
	}
	return o
}

// offeredProtocols splits every Sec-WebSocket-Protocol header into its tokens.
func offeredProtocols(values []string) []string {
	var out []string
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// selectProtocol picks the first of the server's protocols the client offered.
func selectProtocol(server, offered []string) (string, bool) {
	for _, s := range server {
		for _, c := range offered {
			if s == c {
				return s, true
			}
		}
	}
	return "", false
}

// errNoProtocol is server:new's error when the client offered none of the server's
// subprotocols.
func errNoProtocol(offered []string) string {
	if len(offered) == 0 {
		return "no subprotocol offered by the client (server accepts: %s)"
	}
	return "none of the client's subprotocols is supported (offered: " + strings.Join(offered, ", ") + "; server accepts: %s)"
}

// negotiate applies the options to a handshake: it returns the extension state (nil when
// no extension is in use), the chosen subprotocol, the Sec-WebSocket-Extensions answer, or
// a refusal.
func (o wsOptions) negotiate(h map[string][]string) (x *wsExt, proto, extHeader string, err error) {
	if o.hasProtos {
		offered := offeredProtocols(h["Sec-Websocket-Protocol"])
		p, ok := selectProtocol(o.protocols, offered)
		if !ok {
			return nil, "", "", errors.New(strings.Replace(errNoProtocol(offered), "%s", strings.Join(o.protocols, ", "), 1))
		}
		proto = p
	}
	if !o.compression && !o.strict && o.pingEvery == 0 && o.idleAfter == 0 {
		return nil, proto, "", nil
	}
	x = &wsExt{strict: o.strict, pingEvery: o.pingEvery, idleAfter: o.idleAfter}
	if o.compression {
		if p, ok := wsnative.NegotiateDeflate(wsnative.ParseExtensions(h["Sec-Websocket-Extensions"])); ok {
			x.inflater = wsnative.NewInflater(p.ClientNoContextTakeover)
			x.deflater = wsnative.NewDeflater(p.ServerNoContextTakeover)
			extHeader = p.String()
		}
	}
	if x.inflater == nil && !x.strict && x.pingEvery == 0 && x.idleAfter == 0 {
		x = nil
	}
	return x, proto, extHeader, nil
}

// Errors of the strict mode and of compression, returned by recv_frame (the connection is
// then closed with the status code in parentheses).
var (
	errBadUTF8Text     = errors.New("invalid UTF-8 in text message")    // 1007
	errBadUTF8Reason   = errors.New("invalid UTF-8 in close reason")    // 1007
	errBadCloseCode    = errors.New("invalid close status code")        // 1002
	errUnexpectedCont  = errors.New("unexpected continuation frame")    // 1002
	errUnfinishedMsg   = errors.New("unfinished fragmented message")    // 1002
	errBadCompressed   = errors.New("invalid compressed data")          // 1007
	errCompressedCtrl  = errors.New("compressed control frame")         // 1002
	errCompressedCont  = errors.New("RSV1 set on a continuation frame") // 1002
	errInflatedTooLong = errors.New("exceeding max payload len")        // 1009
	errCompressedNoExt = errors.New("bad RSV1, RSV2, or RSV3 bits")     // 1002
)

// isExtError reports whether err is one of the errors above (not a frame reader's).
func isExtError(err error) bool {
	switch err {
	case errBadUTF8Text, errBadUTF8Reason, errBadCloseCode, errUnexpectedCont, errUnfinishedMsg,
		errBadCompressed, errCompressedCtrl, errCompressedCont, errInflatedTooLong, errCompressedNoExt:
		return true
	}
	return false
}

// closeCodeFor is the status code a rejected frame is answered with.
func closeCodeFor(err error) int {
	switch err {
	case errBadUTF8Text, errBadUTF8Reason, errBadCompressed:
		return wsnative.CloseInvalidPayload
	case errInflatedTooLong:
		return wsnative.CloseMessageTooBig
	}
	return wsnative.CloseProtocolError
}

// process runs the extensions over one received frame. It returns the frame to hand to
// the script, more = true when the frame was absorbed into a compressed message still in
// progress (read the next one), or an error after which the connection must be closed with
// closeCodeFor(err).
func (x *wsExt) process(f wsnative.Frame, max int64) (out wsnative.Frame, more bool, err error) {
	if x.pingEvery > 0 || x.idleAfter > 0 {
		x.lastRecv.Store(time.Now().UnixNano())
	}
	op := f.Opcode
	if op >= 0x8 { // control
		if f.RSV1 {
			return f, false, errCompressedCtrl
		}
		if op == wsnative.OpClose && x.strict {
			if f.HasCode && !wsnative.ValidCloseCode(f.CloseCode) {
				return f, false, errBadCloseCode
			}
			var v wsnative.UTF8Validator
			if !v.Write(f.Payload) || !v.Done() {
				return f, false, errBadUTF8Reason
			}
		}
		return f, false, nil
	}
	if op == wsnative.OpContinuation {
		if f.RSV1 {
			return f, false, errCompressedCont
		}
		if x.msgOp == 0 && x.strict {
			return f, false, errUnexpectedCont
		}
	} else {
		if x.msgOp != 0 && x.strict {
			return f, false, errUnfinishedMsg
		}
		x.msgOp, x.compressed = op, f.RSV1
		if f.RSV1 && x.inflater == nil {
			return f, false, errCompressedNoExt
		}
	}
	msgOp := x.msgOp
	if f.Fin {
		x.msgOp = 0
	}
	if x.compressed {
		if int64(len(x.acc)+len(f.Payload)) > max {
			x.acc = x.acc[:0]
			return f, false, errInflatedTooLong
		}
		x.acc = append(x.acc, f.Payload...)
		if !f.Fin {
			return f, true, nil
		}
		x.compressed = false
		data, ierr := x.inflater.Inflate(x.acc, max)
		x.acc = x.acc[:0]
		if cap(x.acc) > 64<<10 {
			x.acc = nil
		}
		if ierr == wsnative.ErrInflatedTooBig {
			return f, false, errInflatedTooLong
		}
		if ierr != nil {
			return f, false, errBadCompressed
		}
		// The whole message comes back as one frame of its first frame's type.
		f = wsnative.Frame{Fin: true, Opcode: msgOp, Payload: data, Masked: f.Masked}
	}
	if x.strict && msgOp == wsnative.OpText {
		if !x.text.Write(f.Payload) {
			x.text.Done()
			return f, false, errBadUTF8Text
		}
		if f.Fin && !x.text.Done() {
			return f, false, errBadUTF8Text
		}
	}
	return f, false, nil
}

// compressFrame compresses an outgoing data frame when permessage-deflate is in use; it
// returns the payload and opcode to put on the wire.
func (x *wsExt) compressFrame(fin bool, op byte, payload []byte) ([]byte, byte, error) {
	if x == nil || x.deflater == nil || op >= 0x8 {
		return payload, op, nil
	}
	wire := op
	if op != wsnative.OpContinuation {
		x.sendCompressing = true
		wire |= wsnative.FlagRSV1
	} else if !x.sendCompressing {
		return payload, op, nil
	}
	out, err := x.deflater.Compress(nil, payload, fin)
	if err != nil {
		return nil, 0, err
	}
	if fin {
		x.sendCompressing = false
	}
	return out, wire, nil
}

// rejectFrame answers a frame the extensions refused with a close frame, then closes the
// connection (the script sees recv_frame's error and wb.fatal).
func (s *socket) rejectFrame(L *lua.LState, err error) {
	code := closeCodeFor(err)
	// the frames held back (coalesce.go) go first, in the same write: none is lost or
	// written after the close frame
	b := s.pending()
	if b == nil {
		b = coalescePool.Get().(*[]byte)
	}
	*b = wsnative.AppendFrame(*b, true, wsnative.OpClose, []byte{byte(code >> 8), byte(code)}, false, [4]byte{})
	_, _ = s.write(L, func(c net.Conn) (int, error) { return c.Write(*b) })
	releasePending(b)
	s.shutdownExt()
	_ = s.conn.Close()
}

// startKeepalive sends a ping every pingEvery and closes the connection with 1001 when
// nothing arrived for idleAfter, on a timer of its own, without the handler.
func (s *socket) startKeepalive() {
	x := s.ext
	if x == nil || (x.pingEvery == 0 && x.idleAfter == 0) {
		return
	}
	x.stop = make(chan struct{})
	x.lastRecv.Store(time.Now().UnixNano())
	conn := s.conn
	step := x.pingEvery
	if step == 0 || (x.idleAfter > 0 && x.idleAfter < step) {
		step = x.idleAfter
	}
	go func() {
		tick := time.NewTicker(step)
		defer tick.Stop()
		lastPing := time.Now()
		for {
			select {
			case <-x.stop:
				return
			case now := <-tick.C:
				if x.idleAfter > 0 && now.Sub(time.Unix(0, x.lastRecv.Load())) >= x.idleAfter {
					s.writeControl(conn, wsnative.OpClose, []byte{byte(wsnative.CloseGoingAway >> 8), byte(wsnative.CloseGoingAway & 0xff), 'i', 'd', 'l', 'e', ' ', 't', 'i', 'm', 'e', 'o', 'u', 't'})
					_ = conn.Close()
					return
				}
				if x.pingEvery > 0 && now.Sub(lastPing) >= x.pingEvery {
					lastPing = now
					if s.writeControl(conn, wsnative.OpPing, nil) != nil {
						return
					}
				}
			}
		}
	}()
}

// writeControl writes one control frame from outside the script, between its own writes.
func (s *socket) writeControl(conn net.Conn, op byte, payload []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	// through the lazy-deadline record (coalesce.go): wmu guards it like the other writes,
	// and the script's next send re-arms its own send timeout instead of inheriting this one
	s.armDeadline(true, 5*time.Second)
	_, err := wsnative.WriteFrame(conn, true, op, payload, false, [4]byte{})
	return err
}

// shutdownExt stops the keepalive timer; safe to call more than once.
func (s *socket) shutdownExt() {
	if x := s.ext; x != nil && x.stop != nil {
		x.stopOnce.Do(func() { close(x.stop) })
	}
}

// wsClientExtensions turns permessage-deflate on for a client connection whose server
// accepted the offer (the Sec-WebSocket-Extensions lines of the response head).
func wsClientExtensions(L *lua.LState) int {
	s := checkSocket(L, 1)
	var values []string
	for _, line := range strings.Split(L.CheckString(2), "\r\n") {
		name, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(name), "Sec-WebSocket-Extensions") {
			values = append(values, strings.TrimSpace(v))
		}
	}
	p, negotiated, err := wsnative.CheckDeflateResponse(values)
	if err != nil {
		L.Push(lua.LString("bad \"sec-websocket-extensions\" response header: " + err.Error()))
		return 1
	}
	if negotiated {
		s.ext = &wsExt{
			inflater: wsnative.NewInflater(p.ServerNoContextTakeover),
			deflater: wsnative.NewDeflater(p.ClientNoContextTakeover),
		}
		s.frameReader().AllowRSV1 = true
	}
	return 0
}
