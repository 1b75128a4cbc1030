// Package errpage is nginx's built-in responses: the reason phrase of each status line
// (ngx_http_status_lines) and the error page nginx sends for a status, byte for byte as
// Debian's nginx 1.22 writes them, signed with luaws's server token instead of nginx's.
package errpage

import (
	"net/http"
	"strconv"
	"time"

	"github.com/luaws/luaws/internal/buildinfo"
)

// reasons are nginx's status-line phrases; a status missing here gets "HTTP/1.1 NNN " under
// nginx.
var reasons = map[int]string{
	200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 206: "Partial Content",
	301: "Moved Permanently", 302: "Moved Temporarily", 303: "See Other", 304: "Not Modified",
	307: "Temporary Redirect", 308: "Permanent Redirect",
	400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
	404: "Not Found", 405: "Not Allowed", 406: "Not Acceptable", 408: "Request Time-out",
	409: "Conflict", 410: "Gone", 411: "Length Required", 412: "Precondition Failed",
	413: "Request Entity Too Large", 414: "Request-URI Too Large", 415: "Unsupported Media Type",
	416: "Requested Range Not Satisfiable", 421: "Misdirected Request", 429: "Too Many Requests",
	500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
	503: "Service Temporarily Unavailable", 504: "Gateway Time-out", 505: "HTTP Version Not Supported",
	507: "Insufficient Storage",
}

// detail are nginx's own 4xx codes, sent as "400 Bad Request" with an explanation.
var detail = map[int]string{
	494: "Request Header Or Cookie Too Large",
	495: "The SSL certificate error",
	496: "No required SSL certificate was sent",
	497: "The plain HTTP request was sent to HTTPS port",
}

// titles are the pages whose heading differs from the status line.
var titles = map[int]string{302: "Found", 401: "Authorization Required"}

// Reason is nginx's reason phrase for status ("" when nginx has none).
func Reason(status int) string { return reasons[status] }

// StatusLine is the code and phrase nginx puts on the status line of a response for status
// (nginx's 494-497 go out as 400 Bad Request).
func StatusLine(status int) (int, string) {
	if _, ok := detail[status]; ok {
		return 400, reasons[400]
	}
	return status, reasons[status]
}

// Body is the error page nginx sends for status, or false when it sends none (2xx, 304,
// and codes it has no page for).
func Body(status int) (string, bool) { return BodyBy(status, buildinfo.ServerToken) }

// BodyBy is Body signed with token (the Server header's value: "luaws" under
// server_tokens off).
func BodyBy(status int, token string) (string, bool) {
	tail := "<hr><center>" + token + "</center>\r\n</body>\r\n</html>\r\n"
	if d, ok := detail[status]; ok {
		return "<html>\r\n<head><title>400 " + d + "</title></head>\r\n<body>\r\n" +
			"<center><h1>400 Bad Request</h1></center>\r\n<center>" + d + "</center>\r\n" + tail, true
	}
	if status == 498 { // nginx's "cancelled" code answers with its 404 page
		status = 404
	}
	r, ok := reasons[status]
	if !ok || status < 300 || status == 304 {
		return "", false
	}
	if t, ok := titles[status]; ok {
		r = t
	}
	line := strconv.Itoa(status) + " " + r
	return "<html>\r\n<head><title>" + line + "</title></head>\r\n<body>\r\n<center><h1>" + line +
		"</h1></center>\r\n" + tail, true
}

// Response is the whole response nginx writes for status when it ends a request with its
// error page and closes the connection: status line, Server, Date, Content-Type (when there
// is a page), Content-Length, "Connection: close", Location for a redirect, and the page
// (none for a HEAD request).
func Response(status int, date time.Time, location string, head bool) []byte {
	return ResponseWith(status, buildinfo.ServerToken, date, location, head, nil)
}

// ResponseWith is Response with more header lines ("Name: value"), written where nginx
// writes the headers a handler set before its page (after Connection, before Location).
// token is the Server header's value.
func ResponseWith(status int, token string, date time.Time, location string, head bool, extra []string) []byte {
	code, reason := StatusLine(status)
	body, page := BodyBy(status, token)
	b := make([]byte, 0, 192+len(body))
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, ' ')
	b = append(b, reason...)
	b = append(b, "\r\nServer: "+token+"\r\nDate: "...)
	b = date.UTC().AppendFormat(b, http.TimeFormat)
	if page {
		b = append(b, "\r\nContent-Type: text/html"...)
	}
	b = append(b, "\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\nConnection: close\r\n"...)
	for _, l := range extra {
		b = append(b, l...)
		b = append(b, "\r\n"...)
	}
	if location != "" && status >= 300 && status < 400 {
		b = append(b, "Location: "+location+"\r\n"...)
	}
	b = append(b, "\r\n"...)
	if !head {
		b = append(b, body...)
	}
	return b
}
