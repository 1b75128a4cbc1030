package luabind

import (
	"net"
	"sync"
	"time"
)

// nginx's lingering close (lingering_close on, lingering_time 30s, lingering_timeout 5s):
// a connection a handler took over is closed for writing first and what the client still
// sends is read and dropped until it closes too, so that unread input (the rest of a frame
// the handler refused, say) does not turn the close into a reset that loses the last bytes
// sent to the client.
const (
	lingeringTime    = 30 * time.Second
	lingeringTimeout = 5 * time.Second
)

var lingerBufs = sync.Pool{New: func() any { b := make([]byte, 4096); return &b }}

func lingeringClose(c net.Conn) {
	cw, ok := c.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		_ = c.Close()
		return
	}
	go func() {
		defer c.Close()
		bp := lingerBufs.Get().(*[]byte)
		defer lingerBufs.Put(bp)
		end := time.Now().Add(lingeringTime)
		for {
			d := time.Now().Add(lingeringTimeout)
			if d.After(end) {
				d = end
			}
			_ = c.SetReadDeadline(d)
			if _, err := c.Read(*bp); err != nil {
				return
			}
		}
	}()
}
