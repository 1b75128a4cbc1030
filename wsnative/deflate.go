package wsnative

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"strconv"
	"strings"
)

// ExtDeflate is the token of the permessage-deflate extension (RFC 7692).
const ExtDeflate = "permessage-deflate"

// ErrInflatedTooBig is returned by [Inflater.Inflate] when a message inflates
// beyond the limit (a deflate bomb); a server answers it with close 1009.
var ErrInflatedTooBig = errors.New("exceeding max payload len")

// DeflateParams are the negotiated parameters of permessage-deflate, seen
// from one side: "local" is what this side compresses, "peer" what it
// inflates.
type DeflateParams struct {
	ServerNoContextTakeover bool
	ClientNoContextTakeover bool
	// ServerMaxWindowBits and ClientMaxWindowBits are 8..15; 0 means the
	// parameter was not sent.
	ServerMaxWindowBits int
	ClientMaxWindowBits int
}

// String renders the parameters as a Sec-WebSocket-Extensions value.
func (p DeflateParams) String() string {
	var b strings.Builder
	b.WriteString(ExtDeflate)
	if p.ServerNoContextTakeover {
		b.WriteString("; server_no_context_takeover")
	}
	if p.ClientNoContextTakeover {
		b.WriteString("; client_no_context_takeover")
	}
	if p.ServerMaxWindowBits != 0 {
		b.WriteString("; server_max_window_bits=" + strconv.Itoa(p.ServerMaxWindowBits))
	}
	if p.ClientMaxWindowBits != 0 {
		b.WriteString("; client_max_window_bits=" + strconv.Itoa(p.ClientMaxWindowBits))
	}
	return b.String()
}

// Extension is one offer of a Sec-WebSocket-Extensions header: a token and
// its parameters in order (a parameter without a value has Value "" and
// HasValue false).
type Extension struct {
	Name   string
	Params []ExtParam
}

// ExtParam is one parameter of an [Extension].
type ExtParam struct {
	Name, Value string
	HasValue    bool
}

// ParseExtensions splits Sec-WebSocket-Extensions values (RFC 6455 section
// 9.1) into offers. Quoted values are unquoted. Malformed elements are
// dropped rather than failing the whole header.
func ParseExtensions(values []string) []Extension {
	var out []Extension
	for _, v := range values {
		for _, elem := range splitOutsideQuotes(v, ',') {
			parts := splitOutsideQuotes(elem, ';')
			name := strings.TrimSpace(parts[0])
			if name == "" || !isToken(name) {
				continue
			}
			ext := Extension{Name: strings.ToLower(name)}
			ok := true
			for _, p := range parts[1:] {
				p = strings.TrimSpace(p)
				if p == "" {
					continue
				}
				k, val, has := strings.Cut(p, "=")
				k = strings.TrimSpace(k)
				val = strings.TrimSpace(val)
				if has && len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
					val = val[1 : len(val)-1]
				}
				if !isToken(k) {
					ok = false
					break
				}
				ext.Params = append(ext.Params, ExtParam{Name: strings.ToLower(k), Value: val, HasValue: has})
			}
			if ok {
				out = append(out, ext)
			}
		}
	}
	return out
}

func splitOutsideQuotes(s string, sep byte) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case sep:
			if !quoted {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}

// windowBits reads a *_max_window_bits value: 8..15.
func windowBits(v string) (int, bool) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 8 || n > 15 || (len(v) > 1 && v[0] == '0') {
		return 0, false
	}
	return n, true
}

// NegotiateDeflate picks the first permessage-deflate offer a server can
// accept (RFC 7692 section 5) and returns the parameters of its answer. Go's
// compressor always uses a 32 KiB window, so an offer that limits the
// server's window (server_max_window_bits < 15) is declined, as section 5.1
// allows; client_max_window_bits is accepted without a value (the server
// inflates with the largest window). An offer with an unknown or repeated
// parameter, or a bad value, is declined. ok is false when no offer is
// acceptable: the server then answers without the extension.
func NegotiateDeflate(offers []Extension) (p DeflateParams, ok bool) {
next:
	for _, o := range offers {
		if o.Name != ExtDeflate {
			continue
		}
		var q DeflateParams
		seen := map[string]bool{}
		for _, prm := range o.Params {
			if seen[prm.Name] {
				continue next
			}
			seen[prm.Name] = true
			switch prm.Name {
			case "server_no_context_takeover":
				if prm.HasValue {
					continue next
				}
				q.ServerNoContextTakeover = true
			case "client_no_context_takeover":
				if prm.HasValue {
					continue next
				}
				q.ClientNoContextTakeover = true
			case "server_max_window_bits":
				n, good := windowBits(prm.Value)
				if !good || n != 15 {
					continue next
				}
				q.ServerMaxWindowBits = n
			case "client_max_window_bits":
				if prm.HasValue {
					if _, good := windowBits(prm.Value); !good {
						continue next
					}
				}
				// The server inflates with a 32 KiB window whatever the
				// client uses, so it need not limit the client.
			default:
				continue next
			}
		}
		return q, true
	}
	return DeflateParams{}, false
}

// ClientDeflateOffer is the offer a client sends: context takeover both ways,
// the client willing to accept a server_max_window_bits answer.
const ClientDeflateOffer = ExtDeflate + "; client_max_window_bits"

// CheckDeflateResponse checks a server's answer to [ClientDeflateOffer]
// (RFC 7692 section 5.1 / 7.1.1.2): only the known parameters, each once; a
// client_max_window_bits answer limits our compressor, which Go cannot do
// below 15, so such an answer is refused (the client must fail the
// connection).
func CheckDeflateResponse(values []string) (p DeflateParams, negotiated bool, err error) {
	exts := ParseExtensions(values)
	for _, e := range exts {
		if e.Name != ExtDeflate {
			return p, false, errors.New("unexpected extension in response: " + e.Name)
		}
	}
	if len(exts) == 0 {
		return p, false, nil
	}
	if len(exts) > 1 {
		return p, false, errors.New("permessage-deflate answered twice")
	}
	seen := map[string]bool{}
	for _, prm := range exts[0].Params {
		if seen[prm.Name] {
			return p, false, errors.New("repeated permessage-deflate parameter: " + prm.Name)
		}
		seen[prm.Name] = true
		switch prm.Name {
		case "server_no_context_takeover":
			p.ServerNoContextTakeover = true
		case "client_no_context_takeover":
			p.ClientNoContextTakeover = true
		case "server_max_window_bits":
			n, good := windowBits(prm.Value)
			if !good {
				return p, false, errors.New("bad server_max_window_bits in response")
			}
			p.ServerMaxWindowBits = n
		case "client_max_window_bits":
			n, good := windowBits(prm.Value)
			if !good || n != 15 {
				return p, false, errors.New("unsupported client_max_window_bits in response")
			}
			p.ClientMaxWindowBits = n
		default:
			return p, false, errors.New("unknown permessage-deflate parameter in response: " + prm.Name)
		}
	}
	return p, true, nil
}

// deflateTail is what a sync flush ends with; RFC 7692 section 7.2.1 drops
// it from each message and the receiver puts it back.
var deflateTail = []byte{0x00, 0x00, 0xff, 0xff}

// Deflater compresses messages for one direction of a connection.
type Deflater struct {
	w         *flate.Writer
	buf       bytes.Buffer
	noContext bool
}

// NewDeflater returns a compressor; noContextTakeover resets its window
// after every message.
func NewDeflater(noContextTakeover bool) *Deflater {
	d := &Deflater{noContext: noContextTakeover}
	d.w, _ = flate.NewWriter(&d.buf, flate.DefaultCompression)
	return d
}

// Compress appends the compressed form of one fragment to dst. fin ends the
// message: the trailing 00 00 ff ff is dropped and, without context
// takeover, the window is reset.
func (d *Deflater) Compress(dst, p []byte, fin bool) ([]byte, error) {
	d.buf.Reset()
	if _, err := d.w.Write(p); err != nil {
		return dst, err
	}
	if err := d.w.Flush(); err != nil {
		return dst, err
	}
	out := d.buf.Bytes()
	if fin {
		out = bytes.TrimSuffix(out, deflateTail)
		if len(out) == 0 {
			out = []byte{0x00} // an empty message: one empty stored block header, RFC 7692 7.2.3.6
		}
		if d.noContext {
			d.w.Reset(&d.buf)
		}
	}
	return append(dst, out...), nil
}

// Inflater decompresses messages for one direction of a connection, keeping
// the window between messages unless told not to.
type Inflater struct {
	src       msgReader
	r         io.ReadCloser
	noContext bool
	dict      []byte // the last 32 KiB of output, for a reset reader
	out       bytes.Buffer
}

// msgReader serves one message's compressed bytes followed by the tail, then
// reports io.EOF... but flate treats EOF mid-stream as an error, so it ends
// with io.ErrUnexpectedEOF only when the stream really is short.
type msgReader struct {
	parts [][]byte
}

func (m *msgReader) Read(p []byte) (int, error) {
	for len(m.parts) > 0 && len(m.parts[0]) == 0 {
		m.parts = m.parts[1:]
	}
	if len(m.parts) == 0 {
		return 0, io.EOF
	}
	n := copy(p, m.parts[0])
	m.parts[0] = m.parts[0][n:]
	return n, nil
}

func (m *msgReader) ReadByte() (byte, error) {
	for len(m.parts) > 0 && len(m.parts[0]) == 0 {
		m.parts = m.parts[1:]
	}
	if len(m.parts) == 0 {
		return 0, io.EOF
	}
	c := m.parts[0][0]
	m.parts[0] = m.parts[0][1:]
	return c, nil
}

// NewInflater returns a decompressor; noContextTakeover starts every message
// with an empty window.
func NewInflater(noContextTakeover bool) *Inflater {
	return &Inflater{noContext: noContextTakeover}
}

const windowSize = 32 << 10

// Inflate decompresses one whole message (its fragments' payloads joined)
// and returns the result, at most max bytes; a message that inflates further
// gives ErrInflatedTooBig. The result is valid until the next call.
func (f *Inflater) Inflate(msg []byte, max int64) ([]byte, error) {
	f.src.parts = append(f.src.parts[:0], msg, deflateTail)
	if f.r == nil {
		f.r = flate.NewReader(&f.src)
	} else {
		dict := f.dict
		if f.noContext {
			dict = nil
		}
		if err := f.r.(flate.Resetter).Reset(&f.src, dict); err != nil {
			return nil, err
		}
	}
	f.out.Reset()
	var chunk [4096]byte
	for {
		n, err := f.r.Read(chunk[:])
		if int64(f.out.Len()+n) > max {
			return nil, ErrInflatedTooBig
		}
		f.out.Write(chunk[:n])
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			// The sync-flush tail ends the data without a final block: the
			// reader runs out of input exactly there.
			break
		}
		if err != nil {
			return nil, errors.New("invalid compressed data: " + err.Error())
		}
		if n == 0 && len(f.src.parts) == 0 {
			break
		}
	}
	if len(f.src.parts) > 0 {
		for _, p := range f.src.parts {
			if len(p) > 0 {
				return nil, errors.New("invalid compressed data: trailing bytes")
			}
		}
	}
	out := f.out.Bytes()
	if !f.noContext {
		f.dict = appendWindow(f.dict, out)
	}
	return out, nil
}

// appendWindow keeps the last 32 KiB of history.
func appendWindow(dict, out []byte) []byte {
	if len(out) >= windowSize {
		return append(dict[:0], out[len(out)-windowSize:]...)
	}
	dict = append(dict, out...)
	if len(dict) > windowSize {
		dict = append(dict[:0], dict[len(dict)-windowSize:]...)
	}
	return dict
}
