package errpage

import (
	"strings"
	"testing"

	"github.com/luaws/luaws/internal/buildinfo"
)

// The pages below are Debian's nginx 1.22.1's (`return N;`), with its "nginx/1.22.1"
// signature replaced by luaws's server token.
func TestBodyIsNginxs(t *testing.T) {
	sig := "<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n"
	for _, tc := range []struct {
		status     int
		code       int
		reason     string
		body       string
		nginxBytes int // Content-Length under nginx
	}{
		{404, 404, "Not Found", "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n" + sig, 153},
		{400, 400, "Bad Request", "<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n" + sig, 157},
		{405, 405, "Not Allowed", "<html>\r\n<head><title>405 Not Allowed</title></head>\r\n<body>\r\n<center><h1>405 Not Allowed</h1></center>\r\n" + sig, 157},
		{494, 400, "Bad Request", "<html>\r\n<head><title>400 Request Header Or Cookie Too Large</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>Request Header Or Cookie Too Large</center>\r\n" + sig, 233},
		{498, 498, "", "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n" + sig, 153},
		{503, 503, "Service Temporarily Unavailable", "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n" + sig, 197},
		{302, 302, "Moved Temporarily", "<html>\r\n<head><title>302 Found</title></head>\r\n<body>\r\n<center><h1>302 Found</h1></center>\r\n" + sig, 145},
	} {
		if len(tc.body) != tc.nginxBytes {
			t.Fatalf("%d: test page is %d bytes, nginx's %d", tc.status, len(tc.body), tc.nginxBytes)
		}
		want := strings.Replace(tc.body, "nginx/1.22.1", buildinfo.ServerToken, 1)
		got, ok := Body(tc.status)
		if !ok || got != want {
			t.Errorf("Body(%d) = %q, %v; want %q", tc.status, got, ok, want)
		}
		if c, r := StatusLine(tc.status); c != tc.code || r != tc.reason {
			t.Errorf("StatusLine(%d) = %d %q, want %d %q", tc.status, c, r, tc.code, tc.reason)
		}
	}
	for _, s := range []int{200, 204, 304, 418, 444} {
		if b, ok := Body(s); ok {
			t.Errorf("Body(%d) = %q, nginx sends none", s, b)
		}
	}
}
