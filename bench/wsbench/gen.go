package main

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// The load generator speaks RFC 6455 itself: client frames are built and masked here, server
// frames parsed here, and every echo is compared with what was sent, byte for byte and in
// order (each payload carries its sequence number).

const (
	opText   = 0x1
	opBinary = 0x2
	opClose  = 0x8
	opPing   = 0x9
	opPong   = 0xa
)

// genConfig is one generator run.
type genConfig struct {
	Addr     string
	Path     string
	Conns    int           // connections (echo, idle) or workers (handshake)
	InFlight int           // echo: messages in flight per connection
	Size     int           // payload bytes
	Opcode   byte          // opText or opBinary
	Warmup   time.Duration // before the timed window
	Window   time.Duration // the timed window
}

// counters are what the connections add to while the window is open.
type counters struct {
	measuring atomic.Bool
	ops       atomic.Int64
	errs      atomic.Int64
	firstErr  atomic.Value // string
	hmu       sync.Mutex
	hist      histogram
}

func (c *counters) fail(err error) {
	c.errs.Add(1)
	c.firstErr.CompareAndSwap(nil, err.Error())
}

// histogram holds latencies in buckets: 1 µs wide to 1 ms, 10 µs to 10 ms, 100 µs to 1 s.
type histogram [3000]uint64

func bucketOf(d time.Duration) int {
	us := int(d / time.Microsecond)
	switch {
	case us < 1000:
		return us
	case us < 10000:
		return 1000 + (us-1000)/10
	case us < 1000000:
		return 1900 + (us-10000)/1000
	}
	return len(histogram{}) - 1
}

func bucketValue(i int) time.Duration {
	switch {
	case i < 1000:
		return time.Duration(i) * time.Microsecond
	case i < 1900:
		return time.Duration(1000+(i-1000)*10) * time.Microsecond
	}
	return time.Duration(10000+(i-1900)*1000) * time.Microsecond
}

func (h *histogram) add(o *histogram) {
	for i := range h {
		h[i] += o[i]
	}
}

func (h *histogram) quantile(q float64) time.Duration {
	var total uint64
	for _, n := range h {
		total += n
	}
	if total == 0 {
		return 0
	}
	want := uint64(q * float64(total))
	var seen uint64
	for i, n := range h {
		seen += n
		if seen > want {
			return bucketValue(i)
		}
	}
	return bucketValue(len(h) - 1)
}

// wsKey is the Sec-WebSocket-Key every connection sends, and wsAccept the answer expected.
const wsKey = "dGhlIHNhbXBsZSBub25jZQ=="

var wsAccept = func() string {
	h := sha1.Sum([]byte(wsKey + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}()

// conn is a client websocket with its own read buffer.
type conn struct {
	c    net.Conn
	buf  []byte
	r, w int
	key  [4]byte
}

// dial connects and performs the opening handshake, checking the 101 and its accept key.
func dial(addr, path string) (*conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + wsKey + "\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		c.Close()
		return nil, fmt.Errorf("send handshake: %w", err)
	}
	wc := &conn{c: c, buf: make([]byte, 4096), key: [4]byte{0x11, 0x22, 0x33, 0x44}}
	for {
		if i := bytes.Index(wc.buf[:wc.w], []byte("\r\n\r\n")); i >= 0 {
			head := string(wc.buf[:i])
			wc.r = i + 4
			if !bytes.HasPrefix(wc.buf, []byte("HTTP/1.1 101 ")) {
				c.Close()
				return nil, fmt.Errorf("handshake: not a 101: %q", head)
			}
			if !bytes.Contains(bytes.ToLower(wc.buf[:i]), []byte("sec-websocket-accept: "+lower(wsAccept))) {
				c.Close()
				return nil, fmt.Errorf("handshake: bad or missing Sec-WebSocket-Accept: %q", head)
			}
			return wc, nil
		}
		if wc.w == len(wc.buf) {
			c.Close()
			return nil, errors.New("handshake: response head too long")
		}
		n, err := c.Read(wc.buf[wc.w:])
		wc.w += n
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("read handshake response: %w", err)
		}
	}
}

func lower(s string) string { return string(bytes.ToLower([]byte(s))) }

// appendFrame appends a masked client frame.
func appendFrame(dst []byte, op byte, payload []byte, key [4]byte) []byte {
	dst = append(dst, 0x80|op)
	n := len(payload)
	switch {
	case n <= 125:
		dst = append(dst, 0x80|byte(n))
	case n <= 0xffff:
		dst = append(dst, 0x80|126, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x80|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	dst = append(dst, key[:]...)
	start := len(dst)
	dst = append(dst, payload...)
	for i := range payload {
		dst[start+i] ^= key[i&3]
	}
	return dst
}

// frame is a server frame: unmasked by RFC 6455 (a masked one is an error).
type frame struct {
	fin     bool
	op      byte
	payload []byte // aliases the connection buffer until the next read
}

// next returns the next whole frame in the buffer, reading more when needed.
func (c *conn) next() (frame, error) {
	for {
		if f, n, ok, err := parseFrame(c.buf[c.r:c.w]); err != nil {
			return frame{}, err
		} else if ok {
			c.r += n
			return f, nil
		} else if n > len(c.buf) {
			nb := make([]byte, n)
			c.w = copy(nb, c.buf[c.r:c.w])
			c.buf, c.r = nb, 0
		} else if c.r+n > len(c.buf) || c.w == len(c.buf) {
			c.w = copy(c.buf, c.buf[c.r:c.w])
			c.r = 0
		}
		k, err := c.c.Read(c.buf[c.w:])
		c.w += k
		if err != nil && k == 0 {
			return frame{}, err
		}
	}
}

// buffered says whether a whole frame is waiting in the buffer.
func (c *conn) buffered() bool {
	_, _, ok, _ := parseFrame(c.buf[c.r:c.w])
	return ok
}

// parseFrame parses a frame at the start of b: ok with its length, or the length needed.
func parseFrame(b []byte) (frame, int, bool, error) {
	if len(b) < 2 {
		return frame{}, 2, false, nil
	}
	if b[1]&0x80 != 0 {
		return frame{}, 0, false, errors.New("server frame is masked")
	}
	if b[0]&0x70 != 0 {
		return frame{}, 0, false, errors.New("server frame has RSV bits set")
	}
	hdr, n := 2, int(b[1]&0x7f)
	switch n {
	case 126:
		if len(b) < 4 {
			return frame{}, 4, false, nil
		}
		n, hdr = int(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return frame{}, 10, false, nil
		}
		n, hdr = int(binary.BigEndian.Uint64(b[2:])), 10
	}
	if len(b) < hdr+n {
		return frame{}, hdr + n, false, nil
	}
	return frame{fin: b[0]&0x80 != 0, op: b[0] & 0x0f, payload: b[hdr : hdr+n]}, hdr + n, true, nil
}

// closeNicely sends a close frame, waits for the server's (answering pings), then for EOF so
// that the server closes first (its side keeps the TIME_WAIT).
func (c *conn) closeNicely() error {
	defer c.c.Close()
	_ = c.c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.c.Write(appendFrame(nil, opClose, []byte{0x03, 0xe8}, c.key)); err != nil {
		return fmt.Errorf("send close: %w", err)
	}
	for {
		f, err := c.next()
		if err != nil {
			return fmt.Errorf("wait for the close frame: %w", err)
		}
		if f.op == opClose {
			break
		}
	}
	var one [1]byte
	if _, err := c.c.Read(one[:]); err != io.EOF {
		return fmt.Errorf("after the close frame: want EOF, got %v", err)
	}
	return nil
}

// payloadFor fills p with message seq of connection id: the sequence number, then a pattern.
func payloadFor(p []byte, id, seq int) {
	for i := range p {
		p[i] = byte('a' + (i+id)%26)
	}
	if len(p) >= 8 {
		binary.BigEndian.PutUint64(p, uint64(seq))
	}
}

// echoConn keeps inFlight messages outstanding on one connection and checks each echo.
func echoConn(cfg *genConfig, id int, ct *counters, stop <-chan struct{}, ready *sync.WaitGroup) {
	c, err := dial(cfg.Addr, cfg.Path)
	ready.Done()
	if err != nil {
		ct.fail(err)
		return
	}
	var hist histogram
	defer func() {
		ct.hmu.Lock()
		ct.hist.add(&hist)
		ct.hmu.Unlock()
	}()
	payload := make([]byte, cfg.Size)
	want := make([]byte, cfg.Size)
	sent := make([]time.Time, cfg.InFlight)
	var out []byte
	seqSent, seqGot := 0, 0
	send := func(n int) error {
		out = out[:0]
		now := time.Now()
		for range n {
			payloadFor(payload, id, seqSent)
			out = appendFrame(out, cfg.Opcode, payload, c.key)
			sent[seqSent%cfg.InFlight] = now
			seqSent++
		}
		_, err := c.c.Write(out)
		return err
	}
	if err := send(cfg.InFlight); err != nil {
		ct.fail(err)
		return
	}
	stopping := false
	for seqGot < seqSent {
		f, err := c.next()
		if err != nil {
			ct.fail(fmt.Errorf("conn %d: read echo %d: %w", id, seqGot, err))
			c.c.Close()
			return
		}
		if f.op == opPing {
			continue // the handler pings on a read timeout; not counted
		}
		payloadFor(want, id, seqGot)
		if f.op != cfg.Opcode || !f.fin || !bytes.Equal(f.payload, want) {
			ct.fail(fmt.Errorf("conn %d: echo %d differs (opcode %d, %d bytes)", id, seqGot, f.op, len(f.payload)))
			c.c.Close()
			return
		}
		if ct.measuring.Load() {
			ct.ops.Add(1)
			hist[bucketOf(time.Since(sent[seqGot%cfg.InFlight]))]++
		}
		seqGot++
		if !stopping {
			select {
			case <-stop:
				stopping = true
			default:
			}
		}
		if stopping {
			continue
		}
		// answer every echo already in the buffer with one write
		if c.buffered() {
			continue
		}
		if err := send(seqGot + cfg.InFlight - seqSent); err != nil {
			ct.fail(fmt.Errorf("conn %d: send: %w", id, err))
			c.c.Close()
			return
		}
	}
	if err := c.closeNicely(); err != nil {
		ct.fail(fmt.Errorf("conn %d: %w", id, err))
	}
}

// handshakeOnce is one short connection: handshake, one echo, close.
func handshakeOnce(cfg *genConfig, id, seq int, payload, want []byte) error {
	c, err := dial(cfg.Addr, cfg.Path)
	if err != nil {
		return err
	}
	payloadFor(payload, id, seq)
	if _, err := c.c.Write(appendFrame(nil, cfg.Opcode, payload, c.key)); err != nil {
		c.c.Close()
		return err
	}
	f, err := c.next()
	if err != nil {
		c.c.Close()
		return fmt.Errorf("read echo: %w", err)
	}
	payloadFor(want, id, seq)
	if f.op != cfg.Opcode || !bytes.Equal(f.payload, want) {
		c.c.Close()
		return errors.New("echo differs")
	}
	return c.closeNicely()
}

func handshakeWorker(cfg *genConfig, id int, ct *counters, stop <-chan struct{}, ready *sync.WaitGroup) {
	ready.Done()
	var hist histogram
	defer func() {
		ct.hmu.Lock()
		ct.hist.add(&hist)
		ct.hmu.Unlock()
	}()
	payload, want := make([]byte, cfg.Size), make([]byte, cfg.Size)
	for seq := 0; ; seq++ {
		select {
		case <-stop:
			return
		default:
		}
		t0 := time.Now()
		if err := handshakeOnce(cfg, id, seq, payload, want); err != nil {
			ct.fail(fmt.Errorf("worker %d: %w", id, err))
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if ct.measuring.Load() {
			ct.ops.Add(1)
			hist[bucketOf(time.Since(t0))]++
		}
	}
}

// idleConn holds a connection open, answering the handler's pings, until stop.
func idleConn(cfg *genConfig, ct *counters, stop <-chan struct{}, ready *sync.WaitGroup, sem chan struct{}) {
	sem <- struct{}{}
	c, err := dial(cfg.Addr, cfg.Path)
	<-sem
	ready.Done()
	if err != nil {
		ct.fail(err)
		return
	}
	done := make(chan struct{})
	go func() {
		<-stop
		_ = c.c.SetReadDeadline(time.Unix(1, 0))
		close(done)
	}()
	for {
		f, err := c.next()
		if err != nil {
			select {
			case <-done:
				_ = c.c.SetReadDeadline(time.Time{})
				if err := c.closeNicely(); err != nil {
					ct.fail(err)
				}
			default:
				ct.fail(fmt.Errorf("idle connection: %w", err))
				c.c.Close()
			}
			return
		}
		if f.op == opPing {
			if _, err := c.c.Write(appendFrame(nil, opPong, f.payload, c.key)); err != nil {
				ct.fail(err)
				c.c.Close()
				return
			}
		}
	}
}
