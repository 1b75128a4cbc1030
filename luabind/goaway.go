package luabind

import (
	"context"
	"time"

	"github.com/luaws/luaws/errlog"
	"github.com/luaws/luaws/wsnative"
)

func (h *Host) trackWebsocket(r *request) {
	h.wsmu.Lock()
	if h.websockets == nil {
		h.websockets = map[*request]*socket{}
	}
	h.websockets[r] = r.sock
	h.wsmu.Unlock()
}

func (h *Host) untrackWebsocket(r *request) {
	if r.sock == nil {
		return
	}
	h.wsmu.Lock()
	delete(h.websockets, r)
	h.wsmu.Unlock()
}

// Websockets is how many websocket handlers the host is running.
func (h *Host) Websockets() int {
	h.wsmu.Lock()
	defer h.wsmu.Unlock()
	return len(h.websockets)
}

// goingAway is the close frame a graceful stop sends when worker_shutdown_timeout ends.
var goingAway = func() []byte {
	payload := append([]byte{0x03, 0xe9}, "going away"...) // 1001
	return append([]byte{0x88, byte(len(payload))}, payload...)
}()

// GoAway ends every websocket handler still running (the end of worker_shutdown_timeout):
// each connection gets a close frame with status 1001 "going away" — written between two of
// the handler's frames, never inside one — then its handler's threads are killed and the
// connection closed. It waits (up to ctx) for the handlers to end.
func (h *Host) GoAway(ctx context.Context) error {
	h.wsmu.Lock()
	socks := make(map[*request]*socket, len(h.websockets))
	for r, s := range h.websockets {
		socks[r] = s
	}
	h.wsmu.Unlock()
	for r, s := range socks {
		go func() {
			// A frame being written finishes first (its send timeout bounds it); the lock is
			// kept so that the handler sends nothing after the close frame.
			s.wmu.Lock()
			conn := s.conn
			if conn != nil {
				_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
				if _, err := conn.Write(goingAway); err != nil {
					r.sc.log.Log(errlog.Info, &r.logc, "failed to send the close frame on shutdown: "+wsnative.Reason(err))
				}
			}
			r.stopped.Store(true)
			r.killAll()
			if conn != nil {
				_ = conn.Close()
			}
			s.wmu.Unlock()
		}()
	}
	return h.Wait(ctx)
}
