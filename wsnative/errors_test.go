package wsnative

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestReasonValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{os.ErrDeadlineExceeded, "timeout"},
		{timeoutErr{}, "timeout"},
		{fmt.Errorf("read: %w", timeoutErr{}), "timeout"},
		{io.EOF, "closed"},
		{io.ErrUnexpectedEOF, "closed"},
		{net.ErrClosed, "closed"},
		{io.ErrClosedPipe, "closed"},
		{syscall.ECONNRESET, "connection reset by peer"},
		{&net.OpError{Op: "write", Err: os.NewSyscallError("write", syscall.EPIPE)}, "broken pipe"},
		{&net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ETIMEDOUT)}, "connection timed out"},
		{syscall.ECONNREFUSED, "connection refused"},
		{errors.New("something else"), "error"},
		{io.ErrNoProgress, "error"},
	}
	for _, tc := range tests {
		if got := Reason(tc.err); got != tc.want {
			t.Errorf("Reason(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestReasonOnPipe(t *testing.T) {
	t.Parallel()
	a, b := net.Pipe()
	buf := make([]byte, 1)

	a.SetReadDeadline(time.Now().Add(time.Millisecond))
	_, err := a.Read(buf)
	if got := Reason(err); got != "timeout" {
		t.Errorf("read past deadline: Reason(%v) = %q", err, got)
	}
	a.SetReadDeadline(time.Time{})

	b.Close()
	_, err = a.Read(buf)
	if got := Reason(err); got != "closed" {
		t.Errorf("read after peer close: Reason(%v) = %q", err, got)
	}
	a.Close()
	_, err = a.Write(buf)
	if got := Reason(err); got != "closed" {
		t.Errorf("write after close: Reason(%v) = %q", err, got)
	}
}

func TestReasonOnTCP(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no loopback TCP: %v", err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	dial := func() (client, server *net.TCPConn) {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		return c.(*net.TCPConn), (<-accepted).(*net.TCPConn)
	}
	buf := make([]byte, 16)

	c, s := dial()
	s.SetReadDeadline(time.Now().Add(time.Millisecond))
	_, err = s.Read(buf)
	if got := Reason(err); got != "timeout" {
		t.Errorf("read past deadline: Reason(%v) = %q", err, got)
	}
	s.SetReadDeadline(time.Time{})
	c.Close()
	_, err = s.Read(buf)
	if got := Reason(err); got != "closed" {
		t.Errorf("read after peer close: Reason(%v) = %q", err, got)
	}
	s.Close()
	_, err = s.Read(buf)
	if got := Reason(err); got != "closed" {
		t.Errorf("read after own close: Reason(%v) = %q", err, got)
	}

	// A peer that closes with SO_LINGER 0 sends a RST.
	c, s = dial()
	c.SetLinger(0)
	c.Close()
	_, err = s.Read(buf)
	if got := Reason(err); got != "connection reset by peer" {
		t.Errorf("read after RST: Reason(%v) = %q", err, got)
	}
	s.Close()

	// And through a Reader, with the stage in front. Whether the RST beats
	// the byte to the reader is up to the kernel; either word is right.
	c, s = dial()
	c.Write([]byte{0x81})
	c.SetLinger(0)
	c.Close()
	_, err = NewReader(s).ReadFrame(100, false)
	if err == nil || (err.Error() != "failed to receive the first 2 bytes: connection reset by peer" &&
		err.Error() != "failed to receive the first 2 bytes: closed") {
		t.Errorf("ReadFrame after RST returned %v", err)
	}
	s.Close()
}
