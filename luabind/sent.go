package luabind

import (
	"context"
	"net/http"
)

// Sent is what a request sent on a connection its handler took over from net/http (raw
// responses, error pages, websockets): nginx's $status, $bytes_sent and $body_bytes_sent,
// which the server's access log cannot see once the connection is no longer its own.
type Sent struct {
	Status    int
	Bytes     int64 // everything written, the response head included
	BodyBytes int64 // Bytes less the response head
}

type sentKey struct{}

// WithSentHook returns ctx with a hook a handler that takes the connection over calls once,
// when the request ends, with what it sent (see ReportSent).
func WithSentHook(ctx context.Context, hook func(Sent)) context.Context {
	return context.WithValue(ctx, sentKey{}, hook)
}

// ReportSent calls the hook WithSentHook put in ctx, if any.
func ReportSent(ctx context.Context, s Sent) {
	if hook, ok := ctx.Value(sentKey{}).(func(Sent)); ok {
		hook(s)
	}
}

// hasSentHook reports whether ctx carries a WithSentHook hook.
func hasSentHook(ctx context.Context) bool {
	_, ok := ctx.Value(sentKey{}).(func(Sent))
	return ok
}

// reportSent reports a taken-over request's outcome (nothing when net/http wrote it).
func (r *request) reportSent() {
	if !r.hijacked || r.r == nil {
		return
	}
	st := r.status
	if r.exited && r.exitStatus == 444 {
		st = 444
	}
	ReportSent(r.r.Context(), Sent{Status: st, Bytes: r.rawBytes, BodyBytes: r.rawBytes - r.rawHeadLen})
}

// ConnID is nginx's connection number of hr ("*7" in log lines), 0 outside of a Host's
// connections.
func ConnID(hr *http.Request) uint64 { return connID(hr) }

// NginxReason is nginx's reason phrase for a status line.
func NginxReason(status int) string { return nginxReason(status) }

type specialKey struct{}

// WithSpecialHook returns ctx with the server's error_page: when a handler ends with a
// status of 300 or more and nothing sent yet (ngx.exit(403)), hook may serve the response
// instead of the built-in page; it returns false when it has no page for the status.
func WithSpecialHook(ctx context.Context, hook func(http.ResponseWriter, *http.Request, int) bool) context.Context {
	return context.WithValue(ctx, specialKey{}, hook)
}

// specialByHook lets the server's error_page answer status; true: it did.
func (r *request) specialByHook(status int) bool {
	if r.r == nil || r.w == nil || r.hijacked || r.headersSent {
		return false
	}
	hook, _ := r.r.Context().Value(specialKey{}).(func(http.ResponseWriter, *http.Request, int) bool)
	if hook == nil || !hook(r.w, r.r, status) {
		return false
	}
	r.headersSent = true
	return true
}
