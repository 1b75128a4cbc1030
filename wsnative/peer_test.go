package wsnative

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// messages sent in both peer tests: sizes around every length encoding.
var peerSizes = []int{0, 1, 125, 126, 511, 4096, 65535, 65536, 300000}

// A gorilla client talks to a server made of this package: our handshake
// checks its request, our Reader reads its masked frames, and gorilla reads
// the unmasked frames we echo back.
func TestGorillaClient(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no loopback TCP: %v", err)
	}
	defer ln.Close()
	serverErr := make(chan error, 1)
	serverFrames := make(chan int, 1)
	go func() { serverErr <- echoServer(ln, serverFrames, len(peerSizes)*2) }()

	// A small write buffer makes gorilla send long messages as fragments,
	// which the server echoes frame by frame.
	d := websocket.Dialer{Subprotocols: []string{"chat"}, WriteBufferSize: 1024}
	c, resp, err := d.Dial("ws://"+ln.Addr().String()+"/echo", nil)
	if err != nil {
		t.Fatalf("gorilla Dial: %v", err)
	}
	defer c.Close()
	if resp.Header.Get("Sec-WebSocket-Protocol") != "chat" {
		t.Errorf("subprotocol %q", resp.Header.Get("Sec-WebSocket-Protocol"))
	}
	for _, n := range peerSizes {
		for _, typ := range []int{websocket.TextMessage, websocket.BinaryMessage} {
			p := bytes.Repeat([]byte("x"), n)
			if err := c.WriteMessage(typ, p); err != nil {
				t.Fatalf("gorilla WriteMessage(%d bytes): %v", n, err)
			}
			gotTyp, got, err := c.ReadMessage()
			if err != nil || gotTyp != typ || !bytes.Equal(got, p) {
				t.Fatalf("echo of %d bytes: type %d, %d bytes, %v", n, gotTyp, len(got), err)
			}
		}
	}
	if frames := <-serverFrames; frames <= 2*len(peerSizes) {
		t.Errorf("server saw %d frames for %d messages: gorilla did not fragment", frames, 2*len(peerSizes))
	}
	// Ping: we answer with a pong carrying the same payload.
	pong := make(chan string, 1)
	c.SetPongHandler(func(s string) error { pong <- s; return nil })
	c.WriteControl(websocket.PingMessage, []byte("are you there"), noDeadline)
	c.WriteMessage(websocket.TextMessage, []byte("after ping"))
	if _, got, err := c.ReadMessage(); err != nil || string(got) != "after ping" {
		t.Errorf("echo after ping = %q, %v", got, err)
	}
	if s := <-pong; s != "are you there" {
		t.Errorf("pong payload %q", s)
	}
	// Close with a code and reason: we echo them.
	c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "bye"))
	_, _, err = c.ReadMessage()
	if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != CloseGoingAway || ce.Text != "bye" {
		t.Errorf("close echo: %v", err)
	}
	if err := <-serverErr; err != nil {
		t.Errorf("server: %v", err)
	}
}

var noDeadline time.Time

// echoServer accepts one connection, does the handshake with this package
// and echoes frames (as frames, so fragments stay fragments) until a close.
// After the first `messages` final frames it reports how many frames made them.
func echoServer(ln net.Listener, frames chan<- int, messages int) error {
	conn, err := ln.Accept()
	if err != nil {
		return err
	}
	defer conn.Close()
	var head []byte
	buf := make([]byte, 4096)
	var h *RequestHead
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return err
		}
		head = append(head, buf[:n]...)
		h, err = ParseRequestHead(head)
		if err == ErrHeadIncomplete {
			continue
		}
		if err != nil {
			return err
		}
		break
	}
	req, err := CheckServerRequest(h.ProtoMajor, h.ProtoMinor, h.Header)
	if err != nil {
		return err
	}
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n" +
		"Sec-WebSocket-Accept: " + AcceptKey(req.Key) + "\r\n"
	if req.Protocol != "" {
		resp += "Sec-WebSocket-Protocol: " + req.Protocol + "\r\n"
	}
	if _, err := conn.Write([]byte(resp + "\r\n")); err != nil {
		return err
	}
	r := NewReader(io.MultiReader(bytes.NewReader(bytes.Clone(head[h.Size:])), conn))
	nframes, nfinal := 0, 0
	for {
		f, err := r.ReadFrame(1<<20, true)
		if err != nil {
			return err
		}
		if nframes++; f.Fin {
			if nfinal++; nfinal == messages {
				frames <- nframes
			}
		}
		switch f.Opcode {
		case OpPing:
			_, err = WriteFrame(conn, true, OpPong, f.Payload, false, [4]byte{})
		case OpClose:
			p := AppendClosePayload(nil, f.CloseCode, f.Payload)
			_, err = WriteFrame(conn, true, OpClose, p, false, [4]byte{})
			return err
		default:
			_, err = WriteFrame(conn, f.Fin, f.Opcode, f.Payload, false, [4]byte{})
		}
		if err != nil {
			return err
		}
	}
}

// A gorilla server talks to a client made of this package: our request head
// and response check, our masked frames, and our Reader on gorilla's
// unmasked ones.
func TestGorillaServer(t *testing.T) {
	t.Parallel()
	up := websocket.Upgrader{Subprotocols: []string{"b"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.SetReadLimit(1 << 20)
		for {
			typ, p, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(typ, p); err != nil {
				return
			}
		}
	}))
	defer srv.Close()

	addr := strings.TrimPrefix(srv.URL, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	key := NewClientKey()
	if _, err := conn.Write(AppendClientRequest(nil, ClientRequest{Path: "/", Host: addr, Key: key, Protocols: []string{"a", "b"}})); err != nil {
		t.Fatal(err)
	}
	// Read the response head byte by byte, as upstream's receiveuntil
	// leaves the rest in the socket.
	var head []byte
	one := make([]byte, 1)
	for !bytes.HasSuffix(head, []byte("\r\n\r\n")) {
		if _, err := conn.Read(one); err != nil {
			t.Fatalf("reading response head: %v", err)
		}
		head = append(head, one[0])
	}
	if err := CheckClientResponse(head, key); err != nil {
		t.Fatalf("CheckClientResponse(gorilla's response) = %v\n%s", err, head)
	}
	r := NewReader(conn)
	for _, n := range peerSizes {
		p := bytes.Repeat([]byte("y"), n)
		if _, err := WriteFrame(conn, true, OpBinary, p, true, NewMaskKey()); err != nil {
			t.Fatal(err)
		}
		f, err := r.ReadFrame(1<<20, false)
		if err != nil || f.Opcode != OpBinary || !f.Fin || !bytes.Equal(f.Payload, p) {
			t.Fatalf("gorilla's echo of %d bytes: %d bytes, opcode %d, %v", n, len(f.Payload), f.Opcode, err)
		}
	}
	// Fragments are joined by gorilla's ReadMessage and come back whole.
	WriteFrame(conn, false, OpText, []byte("hel"), true, NewMaskKey())
	WriteFrame(conn, true, OpContinuation, []byte("lo"), true, NewMaskKey())
	if f, err := r.ReadFrame(100, false); err != nil || string(f.Payload) != "hello" || f.Opcode != OpText {
		t.Errorf("echo of a fragmented message: %q, %v", f.Payload, err)
	}
	// gorilla answers a ping with a pong of the same payload.
	WriteFrame(conn, true, OpPing, []byte("p"), true, NewMaskKey())
	if f, err := r.ReadFrame(100, false); err != nil || f.Opcode != OpPong || string(f.Payload) != "p" {
		t.Errorf("pong: %s, %v", fmtFrame(f), err)
	}
	// And a close with code and reason comes back as gorilla's close.
	WriteFrame(conn, true, OpClose, AppendClosePayload(nil, CloseNormal, []byte("done")), true, NewMaskKey())
	f, err := r.ReadFrame(100, false)
	if err != nil || f.Opcode != OpClose || !f.HasCode || f.CloseCode != CloseNormal {
		t.Errorf("close: %s, %v", fmtFrame(f), err)
	}
}
