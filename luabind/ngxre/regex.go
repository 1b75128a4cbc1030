package ngxre

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// Flags is the parsed form of an ngx.re options string.
type Flags struct {
	Caseless  bool // i
	Multiline bool // m
	Dotall    bool // s
	Extended  bool // x
	Anchored  bool // a
	UTF8      bool // u or U
	NoCheck   bool // U: skip the UTF-8 validity check of the subject
	DFA       bool // d
	DupNames  bool // D
	JIT       bool // j (a hint: accepted, no effect)
	Once      bool // o (a hint: every pattern is cached, see Cache)
	JSCompat  bool // J (accepted; PCRE's JavaScript-compatibility tweaks are not emulated)
}

// ParseFlags parses an options string. On an unknown letter it returns OpenResty's message
// (`unknown flag "z" (flags "zi")`).
func ParseFlags(opts string) (Flags, error) {
	var f Flags
	for i := 0; i < len(opts); i++ {
		switch opts[i] {
		case 'o':
			f.Once = true
		case 'j':
			f.JIT = true
		case 'i':
			f.Caseless = true
		case 's':
			f.Dotall = true
		case 'm':
			f.Multiline = true
		case 'u':
			f.UTF8 = true
		case 'U':
			f.UTF8, f.NoCheck = true, true
		case 'x':
			f.Extended = true
		case 'd':
			f.DFA = true
		case 'a':
			f.Anchored = true
		case 'D':
			f.DupNames = true
		case 'J':
			f.JSCompat = true
		default:
			return f, fmt.Errorf("unknown flag \"%s\" (flags \"%s\")", opts[i:i+1], opts)
		}
	}
	return f, nil
}

// key is the part of the flags that changes the compiled program.
func (f Flags) key() uint16 {
	var k uint16
	set := func(b bool, bit uint16) {
		if b {
			k |= bit
		}
	}
	set(f.Caseless, 1)
	set(f.Multiline, 2)
	set(f.Dotall, 4)
	set(f.Extended, 8)
	set(f.Anchored, 16)
	set(f.UTF8, 32)
	set(f.NoCheck, 64)
	set(f.DFA, 128)
	set(f.DupNames, 256)
	return k
}

// Regex is a compiled ngx.re pattern. It is safe for concurrent use.
type Regex struct {
	re       *regexp2.Regexp
	dfaRe    *regexp2.Regexp // d mode: \G(?:pat)\z, used on truncated subjects
	flags    Flags
	ncap     int
	names    []capName
	nameIdx  map[string]int
	kgroup   int
	dupnames bool
}

// NumCaptures is the number of capture groups, as PCRE counts them.
func (r *Regex) NumCaptures() int {
	if r.flags.DFA {
		return 0
	}
	return r.ncap
}

// Compile compiles pattern with flags. Errors carry OpenResty's text:
// `pcre_compile() failed: missing ) in "("`.
func Compile(pattern string, f Flags) (*Regex, error) {
	tr, err := translate(pattern, f.UTF8, f.Extended, f.Multiline, f.DupNames)
	if err != nil {
		var ce *compileError
		if errors.As(err, &ce) {
			return nil, errors.New(pcreError(pattern, ce.msg, ce.off))
		}
		return nil, err
	}
	opts := regexp2.RegexOptions(regexp2.RE2)
	if f.Caseless {
		opts |= regexp2.IgnoreCase
	}
	if f.Multiline {
		opts |= regexp2.Multiline
	}
	if f.Dotall {
		opts |= regexp2.Singleline
	}
	expr := tr.expr
	if f.Anchored {
		expr = `\G(?:` + expr + `)`
	}
	re, err := regexp2.Compile(expr, opts)
	if err != nil {
		return nil, errors.New(pcreError(pattern, mapEngineError(err), len(pattern)))
	}
	r := &Regex{re: re, flags: f, ncap: tr.ncap, names: tr.names, nameIdx: tr.nameIndex,
		kgroup: tr.kgroup, dupnames: f.DupNames || tr.dupnames}
	if f.DFA && !tr.rightLook && tr.kgroup == 0 {
		r.dfaRe, _ = regexp2.Compile(`\G(?:`+tr.expr+`)\z`, opts)
	}
	return r, nil
}

// pcreError formats a compile error the way lua-nginx-module does.
func pcreError(pattern, msg string, off int) string {
	var s string
	if off >= len(pattern) {
		s = fmt.Sprintf("pcre_compile() failed: %s in \"%s\"", msg, pattern)
	} else {
		s = fmt.Sprintf("pcre_compile() failed: %s in \"%s\" at \"%s\"", msg, pattern, pattern[off:])
	}
	// lua-resty-core reads the message from a 128-byte buffer.
	if len(s) > 127 {
		s = s[:127]
	}
	return s
}

// mapEngineError words a regexp2 parse error the way PCRE would where the two agree on the
// cause, and keeps regexp2's text otherwise.
func mapEngineError(err error) string {
	msg := err.Error()
	var se interface{ Error() string }
	_ = se
	switch {
	case strings.Contains(msg, "range in reverse order"):
		return "range out of order in character class"
	case strings.Contains(msg, "unknown unicode category"):
		return "unknown property name after \\P or \\p"
	case strings.Contains(msg, "reference to undefined group"):
		return "reference to non-existent subpattern"
	case strings.Contains(msg, "invalid nested repetition"), strings.Contains(msg, "missing argument to repetition"):
		return "nothing to repeat"
	case strings.Contains(msg, "missing closing )"), strings.Contains(msg, "not enough )"):
		return "missing )"
	case strings.Contains(msg, "too many | in"):
		return "conditional group contains more than two branches"
	}
	msg = strings.TrimPrefix(msg, "error parsing regexp: ")
	if k := strings.LastIndex(msg, " in `"); k >= 0 {
		msg = msg[:k]
	}
	return msg
}

// subject is a Lua string prepared for the rune-based engine.
type subject struct {
	s     string
	runes []rune
	offs  []int // byte offset of each rune, plus len(s); nil when runes index bytes 1:1
}

// errBadUTF8 and errBadOffset are PCRE's exec errors for an invalid UTF-8 subject and a start
// offset inside a character.
var (
	errBadUTF8   = errors.New("pcre_exec() failed: -10")
	errBadOffset = errors.New("pcre_exec() failed: -11")
)

// runePool recycles subject buffers of one-shot calls (match, find); see release.
var runePool = sync.Pool{New: func() any { return new(subject) }}

// newSubject prepares s. The result may be handed back with release once no match refers
// to it any more.
func newSubject(s string, f Flags) (*subject, error) {
	sj := runePool.Get().(*subject)
	sj.s, sj.offs = s, nil
	if cap(sj.runes) < len(s) {
		sj.runes = make([]rune, 0, len(s))
	}
	sj.runes = sj.runes[:0]
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii || !f.UTF8 {
		// one rune per byte: Latin-1 for bytes >= 0x80
		sj.runes = sj.runes[:len(s)]
		for i := 0; i < len(s); i++ {
			sj.runes[i] = rune(s[i])
		}
		return sj, nil
	}
	if !f.NoCheck && !utf8.ValidString(s) {
		sj.release()
		return nil, errBadUTF8
	}
	sj.offs = make([]int, 0, len(s)+1)
	for i := 0; i < len(s); {
		r, sz := utf8.DecodeRuneInString(s[i:])
		sj.runes = append(sj.runes, r)
		sj.offs = append(sj.offs, i)
		i += sz
	}
	sj.offs = append(sj.offs, len(s))
	return sj, nil
}

// release returns sj's buffers to the pool; sj must not be used afterwards.
func (sj *subject) release() {
	if cap(sj.runes) > 64<<10 {
		return
	}
	sj.s, sj.offs = "", nil
	runePool.Put(sj)
}

// runeAt maps a byte offset to a rune index. exact is false when the offset falls inside a
// character (the index then is of the next character).
func (sj *subject) runeAt(b int) (idx int, exact bool) {
	if sj.offs == nil {
		return b, true
	}
	idx = sort.SearchInts(sj.offs, b)
	return idx, idx < len(sj.offs) && sj.offs[idx] == b
}

func (sj *subject) byteAt(r int) int {
	if sj.offs == nil {
		return r
	}
	return sj.offs[r]
}

// exec finds the first match at or after byte offset pos. It returns nil on no match, or
// the capture offsets (byte offsets, pairs, -1 for an unset group), ncap+1 pairs.
func (r *Regex) exec(sj *subject, pos int, caps []int) ([]int, error) {
	if pos > len(sj.s) {
		return nil, nil
	}
	if pos < 0 {
		pos = 0
	}
	start, exact := sj.runeAt(pos)
	if !exact && !r.flags.NoCheck {
		return nil, errBadOffset
	}
	m, err := r.re.FindRunesMatchStartingAt(sj.runes, start)
	if err != nil {
		return nil, fmt.Errorf("pcre_exec() failed: %w", err)
	}
	if m == nil {
		return nil, nil
	}
	n := r.ncap
	if r.flags.DFA {
		n = 0
	}
	if cap(caps) < 2*(n+1) {
		caps = make([]int, 2*(n+1))
	}
	caps = caps[:2*(n+1)]
	ms, me := m.Index, m.Index+m.Length
	if r.flags.DFA {
		me = r.longest(sj, ms, me)
	}
	if r.kgroup > 0 {
		if g := m.GroupByNumber(r.kgroup); g != nil && len(g.Captures) > 0 {
			ms = g.Index
		}
	}
	caps[0], caps[1] = sj.byteAt(ms), sj.byteAt(me)
	for i := 1; i <= n; i++ {
		if g := m.GroupByNumber(i); g != nil && len(g.Captures) > 0 {
			caps[2*i], caps[2*i+1] = sj.byteAt(g.Index), sj.byteAt(g.Index+g.Length)
		} else {
			caps[2*i], caps[2*i+1] = -1, -1
		}
	}
	return caps, nil
}

// longest extends a match found at rune ms (ending at me) to the longest one that starts
// there, as PCRE's DFA matcher reports. It is exact when the pattern has no assertion that
// looks past the end of the match; otherwise the backtracking match is kept.
func (r *Regex) longest(sj *subject, ms, me int) int {
	if r.dfaRe == nil {
		return me
	}
	for e := len(sj.runes); e > me; e-- {
		m, err := r.dfaRe.FindRunesMatchStartingAt(sj.runes[:e:e], ms)
		if err == nil && m != nil && m.Index == ms {
			return e
		}
	}
	return me
}

// Match finds the first match of r in s: the byte offsets of the whole match and of each
// capture group (pairs, -1 for a group that took no part), or nil when r does not match.
func (r *Regex) Match(s string) ([]int, error) {
	sj, err := newSubject(s, r.flags)
	if err != nil {
		return nil, err
	}
	defer sj.release()
	return r.exec(sj, 0, nil)
}

// Names maps each named capture group to its number.
func (r *Regex) Names() map[string]int {
	m := make(map[string]int, len(r.names))
	for _, n := range r.names {
		m[n.name] = n.num
	}
	return m
}
