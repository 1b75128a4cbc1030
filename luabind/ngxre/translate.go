package ngxre

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file maps a PCRE (8.x, as linked by Debian's lua-nginx-module) pattern onto the
// dialect of github.com/dlclark/regexp2 (the .NET engine), compiled in its RE2 mode, which
// already gives ASCII-only \d and \w, POSIX classes inside brackets and lenient escapes.
//
// It is a lexical pass, not a regex parser: it walks the pattern once to learn the capture
// groups and names, then once more to emit, and only rewrites what the two dialects
// disagree on:
//   - capture numbering: PCRE numbers every group left to right, .NET numbers unnamed groups
//     before named ones, so every capture becomes an explicitly numbered (?<N>...) and names
//     are kept on our side;
//   - (?P<n>..), (?'n'..), \k{n}, \g{n}, \gN, \g{-N}, (?P=n) → numbered forms;
//   - possessive quantifiers X*+ → atomic groups (?>X*);
//   - \K → an empty marker group whose position becomes the match start;
//   - $ and \Z (end or before a final newline; RE2 mode makes them end-only), ^ in multiline
//     mode (PCRE does not match after a newline that ends the subject);
//   - \s (PCRE includes VT), \h \H \v \V \R \N \X \C, \Q...\E, \x{...}, \o{...}, \cX, octal;
//   - x-mode whitespace and # comments are dropped here, (?#...) comments too;
//   - (*UTF8)-style leading verbs are dropped, (*FAIL) becomes (?!).
// Errors the scan can see are reported with PCRE's own text and offset.

// compileError is a pattern error in PCRE's words: msg, and the byte offset into the
// pattern where PCRE reports it (len(pattern) for "at the end").
type compileError struct {
	msg string
	off int
}

func (e *compileError) Error() string { return e.msg }

// translation is the result of translating one pattern.
type translation struct {
	expr      string         // regexp2 pattern
	ncap      int            // PCRE capture groups
	names     []capName      // named groups, sorted by name then number (PCRE's name table order)
	kgroup    int            // regexp2 group number of the \K marker, 0 if none
	rightLook bool           // has assertions that look right of the match end (for d mode)
	dupnames  bool           // (?J) seen
	nameIndex map[string]int // first group number of each name
}

// capName is one entry of the name table.
type capName struct {
	name string
	num  int
}

type groupFrame struct {
	outStart int
	x, m     bool
}

type translator struct {
	p      []rune
	offs   []int // byte offset of each rune of p, plus len(pattern)
	utf    bool
	emit   bool
	out    []byte
	stack  []groupFrame
	x, m   bool
	dup    bool
	ncap   int
	total  int // ncap from the first pass
	names  []capName
	byName map[string][]int
	kgroup int
	right  bool
	atom   int // output offset where the last quantifiable atom starts, -1 if none
}

// decodePattern splits the pattern into runes: UTF-8 in u mode, one rune per byte otherwise.
func decodePattern(pat string, utf bool) ([]rune, []int) {
	p := make([]rune, 0, len(pat))
	offs := make([]int, 0, len(pat)+1)
	if !utf {
		for i := 0; i < len(pat); i++ {
			p = append(p, rune(pat[i]))
			offs = append(offs, i)
		}
	} else {
		for i := 0; i < len(pat); {
			r, sz := utf8.DecodeRuneInString(pat[i:])
			p = append(p, r)
			offs = append(offs, i)
			i += sz
		}
	}
	offs = append(offs, len(pat))
	return p, offs
}

// translate converts pat for regexp2. utf is the u/U option, x and m the x and m options,
// dup the D option.
func translate(pat string, utf, x, m, dup bool) (*translation, error) {
	p, offs := decodePattern(pat, utf)
	t := &translator{p: p, offs: offs, utf: utf}
	// First pass: count groups and learn names (forward references need them).
	if err := t.run(x, m, dup); err != nil {
		return nil, err
	}
	names, byName, total := t.names, t.byName, t.ncap
	t2 := &translator{p: p, offs: offs, utf: utf, emit: true, total: total}
	t2.byName = byName
	if err := t2.run(x, m, dup); err != nil {
		return nil, err
	}
	sortNames(names)
	tr := &translation{
		expr:      string(t2.out),
		ncap:      total,
		names:     names,
		kgroup:    t2.kgroup,
		rightLook: t2.right,
		dupnames:  t2.dup,
		nameIndex: make(map[string]int, len(byName)),
	}
	for n, nums := range byName {
		tr.nameIndex[n] = nums[0]
	}
	return tr, nil
}

func sortNames(n []capName) {
	// insertion sort: name tables are tiny
	for i := 1; i < len(n); i++ {
		for j := i; j > 0 && (n[j].name < n[j-1].name || (n[j].name == n[j-1].name && n[j].num < n[j-1].num)); j-- {
			n[j], n[j-1] = n[j-1], n[j]
		}
	}
}

func (t *translator) errAt(i int, msg string) error {
	if i > len(t.p) {
		i = len(t.p)
	}
	return &compileError{msg: msg, off: t.offs[i]}
}

func (t *translator) w(s string) {
	if t.emit {
		t.out = append(t.out, s...)
	}
}

func (t *translator) wr(r rune) {
	if t.emit {
		t.out = utf8.AppendRune(t.out, r)
	}
}

func (t *translator) pos() int { return len(t.out) }

func (t *translator) peek(i int) rune {
	if i < len(t.p) {
		return t.p[i]
	}
	return -1
}

// literal emits r as a literal outside a class.
func (t *translator) literal(r rune) {
	switch r {
	case '\\', '*', '+', '?', '|', '{', '}', '[', ']', '(', ')', '^', '$', '.', '#', ' ', '\t', '\n', '\r', '\f', '\v':
		t.w(fmt.Sprintf("\\x%02X", r))
	default:
		t.wr(r)
	}
}

// classLiteral emits r as a literal inside a class.
func (t *translator) classLiteral(r rune) {
	switch r {
	case '\\', ']', '[', '^', '-':
		t.wr('\\')
		t.wr(r)
	default:
		if r < 0x20 || r == 0x7f {
			t.w(fmt.Sprintf("\\x%02X", r))
		} else {
			t.wr(r)
		}
	}
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v'
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func isWord(r rune) bool {
	return r == '_' || isDigit(r) || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
}

func isHex(r rune) bool {
	return isDigit(r) || (r >= 'a' && r <= 'f') || (r >= 'A' && r <= 'F')
}

func (t *translator) run(x, m, dup bool) error {
	t.x, t.m, t.dup = x, m, dup
	t.atom = -1
	if t.byName == nil {
		t.byName = map[string][]int{}
	}
	i := 0
	// Leading verbs such as (*UTF8), (*UCP), (*CRLF): accepted and ignored.
	for t.peek(i) == '(' && t.peek(i+1) == '*' {
		j := i + 2
		for j < len(t.p) && (t.p[j] == '_' || t.p[j] == '=' || isWord(t.p[j])) {
			j++
		}
		verb := string(t.p[i+2 : j])
		if t.peek(j) != ')' || !isStartVerb(verb) {
			break
		}
		i = j + 1
	}
	n := len(t.p)
	for i < n {
		c := t.p[i]
		if t.x {
			if isSpace(c) {
				i++
				continue
			}
			if c == '#' {
				for i < n && t.p[i] != '\n' {
					i++
				}
				continue
			}
		}
		var err error
		switch c {
		case '\\':
			i, err = t.escape(i)
		case '[':
			i, err = t.class(i)
		case '(':
			i, err = t.open(i)
		case ')':
			if len(t.stack) == 0 {
				return t.errAt(i, "unmatched parentheses")
			}
			f := t.stack[len(t.stack)-1]
			t.stack = t.stack[:len(t.stack)-1]
			t.w(")")
			t.x, t.m = f.x, f.m
			t.atom = f.outStart
			i++
		case '*', '+', '?':
			i, err = t.quantifier(i, i+1)
		case '{':
			if end, ok := t.braceQuantifier(i); ok {
				i, err = t.quantifier(i, end)
			} else {
				t.atom = t.pos()
				t.literal('{')
				i++
			}
		case '$':
			t.atom = t.pos()
			if t.m {
				t.w("$")
			} else {
				t.w(`(?=\n?\z)`)
			}
			t.right = true
			i++
		case '^':
			t.atom = t.pos()
			if t.m {
				t.w(`(?:^(?!(?<=\n)\z))`)
			} else {
				t.w("^")
			}
			i++
		case '|':
			t.w("|")
			t.atom = -1
			i++
		case '.':
			t.atom = t.pos()
			t.w(".")
			i++
		default:
			t.atom = t.pos()
			t.literal(c)
			i++
		}
		if err != nil {
			return err
		}
	}
	if len(t.stack) > 0 {
		return t.errAt(n, "missing )")
	}
	return nil
}

func isStartVerb(v string) bool {
	switch {
	case v == "UTF8", v == "UTF", v == "UCP", v == "CR", v == "LF", v == "CRLF", v == "ANYCRLF",
		v == "ANY", v == "BSR_ANYCRLF", v == "BSR_UNICODE", v == "NO_START_OPT",
		v == "NO_AUTO_POSSESS", strings.HasPrefix(v, "LIMIT_MATCH="),
		strings.HasPrefix(v, "LIMIT_RECURSION="):
		return true
	}
	return false
}

// braceQuantifier reports whether p[i:] starts a {n}, {n,} or {n,m} quantifier and where
// it ends.
func (t *translator) braceQuantifier(i int) (int, bool) {
	j := i + 1
	d := j
	for isDigit(t.peek(j)) {
		j++
	}
	if j == d {
		return 0, false
	}
	if t.peek(j) == '}' {
		return j + 1, true
	}
	if t.peek(j) != ',' {
		return 0, false
	}
	j++
	for isDigit(t.peek(j)) {
		j++
	}
	if t.peek(j) != '}' {
		return 0, false
	}
	return j + 1, true
}

// quantifier emits the quantifier p[i:end] and its lazy or possessive suffix.
func (t *translator) quantifier(i, end int) (int, error) {
	if t.atom < 0 {
		return 0, t.errAt(i, "nothing to repeat")
	}
	q := string(t.p[i:end])
	if t.p[i] == '{' {
		body := q[1 : len(q)-1]
		lo, hi, comma := body, "", false
		if k := strings.IndexByte(body, ','); k >= 0 {
			lo, hi, comma = body[:k], body[k+1:], true
		}
		a, err1 := strconv.Atoi(lo)
		if err1 != nil || a > 65535 {
			return 0, t.errAt(end-1, "number too big in {} quantifier")
		}
		if comma && hi != "" {
			b, err2 := strconv.Atoi(hi)
			if err2 != nil || b > 65535 {
				return 0, t.errAt(end-1, "number too big in {} quantifier")
			}
			if b < a {
				return 0, t.errAt(end-1, "numbers out of order in {} quantifier")
			}
		}
	}
	start := t.atom
	switch t.peek(end) {
	case '+':
		if t.emit {
			atom := string(t.out[start:])
			t.out = append(append(append(append(t.out[:start], "(?>"...), atom...), q...), ')')
		}
		end++
	case '?':
		t.w(q + "?")
		end++
	default:
		t.w(q)
	}
	t.atom = -1
	return end, nil
}

// readName reads a group name starting at i, up to the terminator term.
func (t *translator) readName(i int, term rune) (string, int, error) {
	j := i
	if isDigit(t.peek(j)) {
		return "", 0, t.errAt(j, "group name must start with a non-digit")
	}
	for j < len(t.p) && isWord(t.p[j]) {
		j++
	}
	if t.peek(j) != term {
		if j >= len(t.p) || j == i {
			return "", 0, t.errAt(j, "syntax error in subpattern name (missing terminator)")
		}
		return "", 0, t.errAt(j, "syntax error in subpattern name (missing terminator)")
	}
	if j-i > 32 {
		return "", 0, t.errAt(j, "subpattern name is too long (maximum 32 characters)")
	}
	return string(t.p[i:j]), j, nil
}

// backref emits a back reference to group num.
func (t *translator) backref(at, num int) error {
	if t.emit && (num <= 0 || num > t.total) {
		// PCRE checks references once the whole pattern is read
		return t.errAt(len(t.p), "reference to non-existent subpattern")
	}
	t.atom = t.pos()
	t.w("\\k<" + strconv.Itoa(num) + ">")
	return nil
}

// namedRef emits a back reference to the group called name.
func (t *translator) namedRef(at int, name string) error {
	nums := t.byName[name]
	if len(nums) == 0 {
		if !t.emit {
			return nil
		}
		return t.errAt(at, "reference to non-existent subpattern")
	}
	return t.backref(at, nums[0])
}

// open handles '(' at i.
func (t *translator) open(i int) (int, error) {
	frame := groupFrame{outStart: t.pos(), x: t.x, m: t.m}
	push := func() { t.stack = append(t.stack, frame) }
	if t.peek(i+1) == '*' {
		j := i + 2
		for j < len(t.p) && t.p[j] != ')' {
			j++
		}
		verb := string(t.p[i+2 : min(j, len(t.p))])
		if t.peek(j) == ')' && (verb == "FAIL" || verb == "F") {
			t.w("(?!)")
			t.atom = -1
			return j + 1, nil
		}
		if t.peek(j) == ')' && verb == "ACCEPT" {
			return 0, t.errAt(i+2, "(*ACCEPT) is not supported")
		}
		return 0, t.errAt(i+2, "(*VERB) not recognized or malformed")
	}
	if t.peek(i+1) != '?' {
		t.ncap++
		push()
		t.w("(?<" + strconv.Itoa(t.ncap) + ">")
		return i + 1, nil
	}
	j := i + 2
	switch c := t.peek(j); c {
	case '#':
		for j < len(t.p) && t.p[j] != ')' {
			j++
		}
		if j >= len(t.p) {
			return 0, t.errAt(len(t.p), "missing ) after comment")
		}
		return j + 1, nil
	case ':', '>':
		push()
		t.w("(?" + string(c))
		return j + 1, nil
	case '=', '!':
		push()
		t.right = true
		t.w("(?" + string(c))
		return j + 1, nil
	case '|':
		return 0, t.errAt(j, "(?| branch reset groups are not supported")
	case '<', '\'', 'P':
		if c == '<' && (t.peek(j+1) == '=' || t.peek(j+1) == '!') {
			push()
			t.w("(?<" + string(t.p[j+1]))
			return j + 2, nil
		}
		term := '>'
		k := j + 1
		if c == '\'' {
			term = '\''
		} else if c == 'P' {
			switch t.peek(j + 1) {
			case '<':
				k = j + 2
			case '=':
				name, e, err := t.readName(j+2, ')')
				if err != nil {
					return 0, err
				}
				if err := t.namedRef(j+2, name); err != nil {
					return 0, err
				}
				return e + 1, nil
			case '>':
				return 0, t.errAt(j, "recursion and subroutine calls are not supported")
			default:
				return 0, t.errAt(j+1, "unrecognized character after (?P")
			}
		}
		name, e, err := t.readName(k, term)
		if err != nil {
			return 0, err
		}
		t.ncap++
		if prev := t.byName[name]; len(prev) > 0 && !t.emit && !t.dup {
			return 0, t.errAt(e, "two named subpatterns have the same name")
		}
		if !t.emit {
			t.byName[name] = append(t.byName[name], t.ncap)
			t.names = append(t.names, capName{name, t.ncap})
		}
		push()
		t.w("(?<" + strconv.Itoa(t.ncap) + ">")
		return e + 1, nil
	case '(':
		return t.condition(i, j, frame)
	case 'R', '&', '+':
		return 0, t.errAt(j, "recursion and subroutine calls are not supported")
	case 'C':
		return 0, t.errAt(j, "callouts are not supported")
	default:
		if isDigit(c) || (c == '-' && isDigit(t.peek(j+1))) {
			return 0, t.errAt(j, "recursion and subroutine calls are not supported")
		}
		// option setting: (?imsxJUX-imsxJUX) or (?...:
		var on, off strings.Builder
		neg := false
		nx, nm, ndup := t.x, t.m, t.dup
		for ; j < len(t.p); j++ {
			c := t.p[j]
			if c == ')' || c == ':' {
				break
			}
			switch c {
			case '-':
				if neg {
					return 0, t.errAt(j, "unrecognized character after (? or (?-")
				}
				neg = true
				continue
			case 'i', 's':
			case 'm':
				nm = !neg
			case 'x':
				nx = !neg
				continue
			case 'J':
				ndup = !neg
				continue
			case 'X':
				continue
			case 'U':
				return 0, t.errAt(j, "(?U) ungreedy mode is not supported")
			default:
				return 0, t.errAt(j, "unrecognized character after (? or (?-")
			}
			if neg {
				off.WriteRune(c)
			} else {
				on.WriteRune(c)
			}
		}
		if j >= len(t.p) {
			return 0, t.errAt(j, "unrecognized character after (? or (?-")
		}
		flags := on.String()
		if off.Len() > 0 {
			flags += "-" + off.String()
		}
		if t.p[j] == ')' {
			if flags != "" {
				t.w("(?" + flags + ")")
			}
			t.x, t.m, t.dup = nx, nm, t.dup || ndup
			return j + 1, nil
		}
		push()
		t.w("(?" + flags + ":")
		t.x, t.m, t.dup = nx, nm, t.dup || ndup
		return j + 1, nil
	}
}

// condition handles a conditional group "(?(" at i; j points at the inner '('.
func (t *translator) condition(i, j int, frame groupFrame) (int, error) {
	k := j + 1
	if c := t.peek(k); c == '?' && (t.peek(k+1) == '=' || t.peek(k+1) == '!' || t.peek(k+1) == '<') {
		// assertion condition: the assertion itself is scanned as a group
		t.stack = append(t.stack, frame)
		t.w("(?")
		return j, nil
	}
	var num int
	switch c := t.peek(k); {
	case isDigit(c) || c == '+' || c == '-':
		sign := 0
		if c == '+' || c == '-' {
			sign = 1
			if c == '-' {
				sign = -1
			}
			k++
		}
		e := k
		for isDigit(t.peek(e)) {
			e++
		}
		if t.peek(e) != ')' || e == k {
			return 0, t.errAt(e, "malformed number or name after (?(")
		}
		num, _ = strconv.Atoi(string(t.p[k:e]))
		switch sign {
		case 1:
			num += t.ncap
		case -1:
			num = t.ncap - num + 1
		}
		k = e
	case c == '<' || c == '\'':
		term := '>'
		if c == '\'' {
			term = '\''
		}
		name, e, err := t.readName(k+1, term)
		if err != nil {
			return 0, err
		}
		if t.peek(e+1) != ')' {
			return 0, t.errAt(e+1, "malformed number or name after (?(")
		}
		num = t.nameNum(name)
		k = e + 1
	case c == 'R' || string(t.p[k:min(k+6, len(t.p))]) == "DEFINE":
		return 0, t.errAt(k, "recursion conditions and DEFINE are not supported")
	default:
		name, e, err := t.readName(k, ')')
		if err != nil {
			return 0, err
		}
		num = t.nameNum(name)
		k = e
	}
	if t.emit && (num <= 0 || num > t.total) {
		return 0, t.errAt(k, "reference to non-existent subpattern")
	}
	t.stack = append(t.stack, frame)
	t.w("(?(" + strconv.Itoa(num) + ")")
	return k + 1, nil
}

func (t *translator) nameNum(name string) int {
	if nums := t.byName[name]; len(nums) > 0 {
		return nums[0]
	}
	return 0
}

// codepoint validates a character value written as \x{..}, \o{..} or octal.
func (t *translator) codepoint(v int64, at int) (rune, error) {
	if (!t.utf && v > 0xff) || v > 0x10ffff {
		return 0, t.errAt(at, "character value in \\x{} or \\o{} is too large")
	}
	if t.utf && v >= 0xd800 && v <= 0xdfff {
		return 0, t.errAt(at, "disallowed Unicode code point (>= 0xd800 && <= 0xdfff)")
	}
	return rune(v), nil
}

// charEscape decodes the escapes that stand for one character (\x, \o, \0, \c, \a, \e, \f,
// \n, \r, \t and octal), the backslash being at i. ok is false when p[i+1] is not one.
func (t *translator) charEscape(i int, inClass bool) (r rune, next int, ok bool, err error) {
	c := t.peek(i + 1)
	switch c {
	case 'a':
		return 7, i + 2, true, nil
	case 'e':
		return 27, i + 2, true, nil
	case 'f':
		return '\f', i + 2, true, nil
	case 'n':
		return '\n', i + 2, true, nil
	case 'r':
		return '\r', i + 2, true, nil
	case 't':
		return '\t', i + 2, true, nil
	case 'x':
		j := i + 2
		if t.peek(j) == '{' {
			k := j + 1
			for isHex(t.peek(k)) {
				k++
			}
			if t.peek(k) == '}' && k > j+1 {
				v, perr := strconv.ParseInt(string(t.p[j+1:k]), 16, 64)
				if perr != nil {
					v = 1 << 40
				}
				r, err := t.codepoint(v, k)
				return r, k + 1, true, err
			}
			// not a valid \x{...}: PCRE reads \x as NUL and '{' literally
			return 0, j, true, nil
		}
		k := j
		for k < j+2 && isHex(t.peek(k)) {
			k++
		}
		v, _ := strconv.ParseInt("0"+string(t.p[j:k]), 16, 64)
		return rune(v), k, true, nil
	case 'o':
		j := i + 2
		if t.peek(j) != '{' {
			return 0, 0, true, t.errAt(j, "missing opening brace after \\o")
		}
		k := j + 1
		for t.peek(k) >= '0' && t.peek(k) <= '7' {
			k++
		}
		if t.peek(k) != '}' || k == j+1 {
			return 0, 0, true, t.errAt(k, "non-octal character in \\o{} (closing brace missing?)")
		}
		v, perr := strconv.ParseInt(string(t.p[j+1:k]), 8, 64)
		if perr != nil {
			v = 1 << 40
		}
		r, err := t.codepoint(v, k)
		return r, k + 1, true, err
	case 'c':
		if i+2 >= len(t.p) {
			return 0, 0, true, t.errAt(len(t.p), "\\c at end of pattern")
		}
		x := t.p[i+2]
		if x > 127 {
			return 0, 0, true, t.errAt(i+2, "\\c must be followed by an ASCII character")
		}
		if x >= 'a' && x <= 'z' {
			x -= 32
		}
		return x ^ 0x40, i + 3, true, nil
	case '0':
		k := i + 2
		for k < i+4 && t.peek(k) >= '0' && t.peek(k) <= '7' {
			k++
		}
		v, _ := strconv.ParseInt("0"+string(t.p[i+2:k]), 8, 64)
		return rune(v), k, true, nil
	}
	if isDigit(c) && c != '0' {
		k := i + 1
		for isDigit(t.peek(k)) {
			k++
		}
		v, _ := strconv.Atoi(string(t.p[i+1 : k]))
		if !inClass && (v < 10 || v <= t.total) {
			return 0, 0, false, nil // a back reference
		}
		// octal: up to three octal digits
		k = i + 1
		for k < i+4 && t.peek(k) >= '0' && t.peek(k) <= '7' {
			k++
		}
		if k == i+1 {
			// \8 or \9 in a class: the literal digit
			return c, i + 2, true, nil
		}
		ov, _ := strconv.ParseInt(string(t.p[i+1:k]), 8, 64)
		if !t.utf && ov > 0xff {
			return 0, 0, true, t.errAt(k, "octal value is greater than \\377 in 8-bit non-UTF-8 mode")
		}
		return rune(ov), k, true, nil
	}
	return 0, 0, false, nil
}

const (
	hspace = `\t \xA0\u1680\u180E\u2000-\u200A\u202F\u205F\u3000`
	vspace = `\n\x0B\f\r\x85\u2028\u2029`
)

// escape handles a backslash outside a class at i.
func (t *translator) escape(i int) (int, error) {
	if i+1 >= len(t.p) {
		return 0, t.errAt(len(t.p), "\\ at end of pattern")
	}
	if r, next, ok, err := t.charEscape(i, false); err != nil {
		return 0, err
	} else if ok {
		t.atom = t.pos()
		t.literal(r)
		return next, nil
	}
	c := t.p[i+1]
	start := t.pos()
	switch c {
	case 'Q':
		j := i + 2
		for j < len(t.p) {
			if t.p[j] == '\\' && t.peek(j+1) == 'E' {
				return j + 2, nil
			}
			t.atom = t.pos()
			t.literal(t.p[j])
			j++
		}
		return j, nil
	case 'E':
		return i + 2, nil
	case 'K':
		t.kgroup = t.total + 1
		t.w("(?<" + strconv.Itoa(t.kgroup) + ">)")
		t.atom = -1
		return i + 2, nil
	case 'A', 'G':
		t.w("\\" + string(c))
		t.atom = start
		return i + 2, nil
	case 'z', 'b', 'B':
		t.w("\\" + string(c))
		t.right = true
		t.atom = start
		return i + 2, nil
	case 'Z':
		t.w(`(?=\n?\z)`)
		t.right = true
		t.atom = start
		return i + 2, nil
	case 's':
		t.w(`[\s\x0B]`)
	case 'S':
		t.w(`[^\s\x0B]`)
	case 'h':
		t.w("[" + hspace + "]")
	case 'H':
		t.w("[^" + hspace + "]")
	case 'v':
		t.w("[" + vspace + "]")
	case 'V':
		t.w("[^" + vspace + "]")
	case 'R':
		t.w(`(?>\r\n|[` + vspace + `])`)
	case 'N':
		t.w(`[^\n]`)
	case 'C':
		t.w(`[\s\S]`)
	case 'X':
		t.w(`(?>\P{M}\p{M}*)`)
	case 'd', 'D', 'w', 'W':
		t.w("\\" + string(c))
	case 'p', 'P':
		return t.property(i, c, false)
	case 'g':
		return t.gref(i)
	case 'k':
		j := i + 2
		var term rune
		switch t.peek(j) {
		case '<':
			term = '>'
		case '\'':
			term = '\''
		case '{':
			term = '}'
		default:
			return 0, t.errAt(i+1, "\\k is not followed by a braced, angle-bracketed, or quoted name")
		}
		name, e, err := t.readName(j+1, term)
		if err != nil {
			return 0, err
		}
		return e + 1, t.namedRef(j+1, name)
	default:
		if isDigit(c) {
			k := i + 1
			for isDigit(t.peek(k)) {
				k++
			}
			v, _ := strconv.Atoi(string(t.p[i+1 : k]))
			return k, t.backref(i+1, v)
		}
		// an unknown escape of a letter, or an escaped non-alphanumeric: the character itself
		t.atom = start
		t.literal(c)
		return i + 2, nil
	}
	t.atom = start
	return i + 2, nil
}

// gref handles \g forms at i: \gN, \g{N}, \g-N, \g{-N}, \g{name}.
func (t *translator) gref(i int) (int, error) {
	j := i + 2
	braced := t.peek(j) == '{'
	if braced {
		j++
	}
	if t.peek(j) == '<' || t.peek(j) == '\'' {
		return 0, t.errAt(j, "recursion and subroutine calls are not supported")
	}
	neg := false
	if t.peek(j) == '-' || t.peek(j) == '+' {
		neg = t.peek(j) == '-'
		j++
	}
	k := j
	for isDigit(t.peek(k)) {
		k++
	}
	if k == j {
		if braced {
			name, e, err := t.readName(j, '}')
			if err != nil {
				return 0, err
			}
			return e + 1, t.namedRef(j, name)
		}
		return 0, t.errAt(i+1, "a numbered reference must not be zero")
	}
	if braced && t.peek(k) != '}' {
		return 0, t.errAt(k, "\\g is not followed by a braced, angle-bracketed, or quoted name/number or by a plain number")
	}
	v, _ := strconv.Atoi(string(t.p[j:k]))
	if v == 0 {
		return 0, t.errAt(k, "a numbered reference must not be zero")
	}
	if neg {
		v = t.ncap - v + 1
	}
	end := k
	if braced {
		end++
	}
	return end, t.backref(j, v)
}

// property handles \p and \P (inside a class when inClass).
func (t *translator) property(i int, c rune, inClass bool) (int, error) {
	j := i + 2
	var name string
	end := 0
	if t.peek(j) == '{' {
		k := j + 1
		for k < len(t.p) && t.p[k] != '}' {
			k++
		}
		if k >= len(t.p) {
			return 0, t.errAt(k, "malformed \\P or \\p sequence")
		}
		name, end = string(t.p[j+1:k]), k+1
	} else if j < len(t.p) {
		name, end = string(t.p[j]), j+1
	} else {
		return 0, t.errAt(j, "malformed \\P or \\p sequence")
	}
	if strings.HasPrefix(name, "^") {
		name = name[1:]
		if c == 'p' {
			c = 'P'
		} else {
			c = 'p'
		}
	}
	var body string
	switch name {
	case "Any":
		if c == 'p' {
			body = `\s\S`
		} else {
			body = `` // matches nothing
		}
	case "L&":
		if c == 'p' {
			body = `\p{Lu}\p{Ll}\p{Lt}`
		} else {
			body = `^\p{Lu}\p{Ll}\p{Lt}`
		}
	default:
		if !validCategory(name) {
			return 0, t.errAt(end-1, "unknown property name after \\P or \\p")
		}
		body = "\\" + string(c) + "{" + name + "}"
	}
	if inClass {
		if strings.HasPrefix(body, "^") || body == "" {
			return 0, t.errAt(end-1, "negated \\p{Any} or \\P{L&} inside a class is not supported")
		}
		t.w(body)
	} else {
		t.atom = t.pos()
		switch {
		case body == "":
			t.w("(?!)")
		case strings.HasPrefix(body, `\`) && strings.Count(body, `\`) == 1:
			t.w(body)
		default:
			t.w("[" + body + "]")
		}
	}
	return end, nil
}

// validCategory reports whether name is a Unicode general category both dialects know.
func validCategory(name string) bool {
	switch name {
	case "C", "Cc", "Cf", "Cn", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu",
		"M", "Mc", "Me", "Mn", "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps",
		"S", "Sc", "Sk", "Sm", "So", "Z", "Zl", "Zp", "Zs":
		return true
	}
	return false
}

var posixNames = map[string]bool{
	"alnum": true, "alpha": true, "ascii": true, "blank": true, "cntrl": true, "digit": true,
	"graph": true, "lower": true, "print": true, "punct": true, "space": true, "upper": true,
	"word": true, "xdigit": true,
}

// posixClass returns the body of a POSIX class for use inside brackets.
func posixClass(name string, neg bool) string {
	var s string
	switch name {
	case "alnum":
		s = `0-9A-Za-z`
	case "alpha":
		s = `A-Za-z`
	case "ascii":
		s = `\x00-\x7F`
	case "blank":
		s = `\t `
	case "cntrl":
		s = `\x00-\x1F\x7F`
	case "digit":
		s = `0-9`
	case "graph":
		s = `!-~`
	case "lower":
		s = `a-z`
	case "print":
		s = ` -~`
	case "punct":
		s = `!-/:-@\[-` + "`" + `\{-~`
	case "space":
		s = `\t\n\x0B\f\r `
	case "upper":
		s = `A-Z`
	case "word":
		s = `0-9A-Za-z_`
	case "xdigit":
		s = `0-9A-Fa-f`
	}
	if neg {
		return "" // caller handles
	}
	return s
}

// class handles a bracket expression starting at i.
func (t *translator) class(i int) (int, error) {
	t.atom = t.pos()
	j := i + 1
	neg := false
	if t.peek(j) == '^' {
		neg = true
		j++
	}
	// Negated POSIX classes and \S-like escapes inside a class are collected separately and
	// joined with a lookahead-free alternative: [^...] cannot hold them, so we build
	// (?:[pos]|[^neg]) where needed.
	var negParts []string
	bodyStart := len(t.out)
	first := true
	for {
		if j >= len(t.p) {
			return 0, t.errAt(len(t.p), "missing terminating ] for character class")
		}
		c := t.p[j]
		if c == ']' && !first {
			j++
			break
		}
		first = false
		switch {
		case c == '[' && (t.peek(j+1) == ':' || t.peek(j+1) == '.' || t.peek(j+1) == '='):
			k := j + 2
			for k+1 < len(t.p) && !(t.p[k] == t.p[j+1] && t.p[k+1] == ']') && t.p[k] != ']' {
				k++
			}
			if k+1 < len(t.p) && t.p[k] == t.p[j+1] && t.p[k+1] == ']' {
				if t.p[j+1] != ':' {
					return 0, t.errAt(j, "POSIX collating elements are not supported")
				}
				name := string(t.p[j+2 : k])
				pneg := strings.HasPrefix(name, "^")
				if pneg {
					name = name[1:]
				}
				if !posixNames[name] {
					return 0, t.errAt(j+2, "unknown POSIX class name")
				}
				if pneg {
					negParts = append(negParts, posixClass(name, false))
				} else {
					t.w(posixClass(name, false))
				}
				j = k + 2
				continue
			}
			t.classLiteral('[')
			j++
		case c == '\\':
			if j+1 >= len(t.p) {
				return 0, t.errAt(len(t.p), "\\ at end of pattern")
			}
			if r, next, ok, err := t.charEscape(j, true); err != nil {
				return 0, err
			} else if ok {
				t.classLiteral(r)
				j = next
				continue
			}
			e := t.p[j+1]
			switch e {
			case 'd', 'w', 'D', 'W':
				t.w("\\" + string(e))
			case 's':
				t.w(`\s\x0B`)
			case 'S':
				negParts = append(negParts, `\s\x0B`)
			case 'h':
				t.w(hspace)
			case 'H':
				negParts = append(negParts, hspace)
			case 'v':
				t.w(vspace)
			case 'V':
				negParts = append(negParts, vspace)
			case 'b':
				t.w(`\x08`)
			case 'p', 'P':
				next, err := t.property(j, e, true)
				if err != nil {
					return 0, err
				}
				j = next
				continue
			case 'Q':
				k := j + 2
				for k < len(t.p) && !(t.p[k] == '\\' && t.peek(k+1) == 'E') {
					t.classLiteral(t.p[k])
					k++
				}
				if k < len(t.p) {
					k += 2
				}
				j = k
				continue
			case 'E':
			default:
				t.classLiteral(e)
			}
			j += 2
		case c == '-' || c == '^' || c == '[':
			if c == '-' {
				t.wr('-')
			} else {
				t.classLiteral(c)
			}
			j++
		default:
			t.classLiteral(c)
			j++
		}
	}
	pos := string(t.out[bodyStart:])
	t.out = t.out[:bodyStart]
	// A trailing or leading '-' is literal in PCRE; make it explicit for .NET, which would
	// read "[a-]" fine but "[-[x]" as subtraction.
	pos = fixDashes(pos)
	if len(negParts) == 0 {
		if neg {
			t.w("[^" + pos + "]")
		} else {
			t.w("[" + pos + "]")
		}
		return j, nil
	}
	// Positive set united with complements: [pos] | [^n1] | [^n2] ...; negated: none of them.
	var alts []string
	if pos != "" {
		alts = append(alts, "["+pos+"]")
	}
	for _, n := range negParts {
		alts = append(alts, "[^"+n+"]")
	}
	if neg {
		var look strings.Builder
		look.WriteString("(?:(?!")
		look.WriteString(strings.Join(alts, "|"))
		look.WriteString(`)[\s\S])`)
		t.w(look.String())
	} else {
		t.w("(?:" + strings.Join(alts, "|") + ")")
	}
	return j, nil
}

// fixDashes escapes a '-' that starts or ends a class body.
func fixDashes(s string) string {
	if strings.HasPrefix(s, "-") {
		s = `\-` + s[1:]
	}
	if strings.HasSuffix(s, "-") && !strings.HasSuffix(s, `\-`) {
		s = s[:len(s)-1] + `\-`
	}
	return s
}
