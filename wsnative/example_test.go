package wsnative_test

import (
	"bytes"
	"fmt"

	"github.com/luaws/luaws/wsnative"
)

// A server reads a client's masked frame and answers unmasked.
func Example() {
	var wire bytes.Buffer
	wsnative.WriteFrame(&wire, true, wsnative.OpText, []byte("hello"), true, wsnative.NewMaskKey())

	r := wsnative.NewReader(&wire)
	f, err := r.ReadFrame(65535, true)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s %q\n", wsnative.OpName(f.Opcode), f.Payload)

	var out bytes.Buffer
	n, _ := wsnative.WriteFrame(&out, true, wsnative.OpText, f.Payload, false, [4]byte{})
	fmt.Printf("% x (%d bytes)\n", out.Bytes(), n)

	_, err = r.ReadFrame(65535, true)
	fmt.Println(err)
	// Output:
	// text "hello"
	// 81 05 68 65 6c 6c 6f (7 bytes)
	// failed to receive the first 2 bytes: closed
}

func ExampleCheckServerRequest() {
	head, _ := wsnative.ParseRequestHead([]byte("GET /chat HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"))
	_, err := wsnative.CheckServerRequest(head.ProtoMajor, head.ProtoMinor, head.Header)
	fmt.Println(err)
	// Output: bad "connection" request header
}
