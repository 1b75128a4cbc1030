package luajit

// A Lua 5.1 syntax checker that words its errors as LuaJIT 2.1's parser does
// ("'}' expected (to close '{' at line 2) near 'if'"). gopher-lua's parser only says
// "line:3(column:2) near 'if':   syntax error", so this runs when gopher-lua's parse fails,
// to find the first error the way LuaJIT would and report it in LuaJIT's words. It builds
// nothing: it only walks the token stream with LuaJIT's grammar and its error paths.

// Syntax token kinds. A keyword or operator token has its own text as kind.
const (
	skEOF    = "<eof>"
	skName   = "<name>"
	skString = "<string>"
	skNumber = "<number>"
)

var synKeywords = map[string]bool{
	"and": true, "break": true, "do": true, "else": true, "elseif": true, "end": true,
	"false": true, "for": true, "function": true, "goto": true, "if": true, "in": true,
	"local": true, "nil": true, "not": true, "or": true, "repeat": true, "return": true,
	"then": true, "true": true, "until": true, "while": true,
}

type synToken struct {
	kind string // skEOF, skName, skString, skNumber, or the keyword/operator itself
	text string // what LuaJIT quotes after "near"
	line int    // line where the token ends (LuaJIT's linenumber while it is current)
}

type synLexer struct {
	chunk string
	src   []byte
	pos   int
	line  int
}

func (lx *synLexer) fail(line int, msg, near string) {
	panic(&SyntaxError{Chunk: lx.chunk, Line: line, Msg: msg, Near: near})
}

func (lx *synLexer) peekc(off int) int {
	if lx.pos+off < len(lx.src) {
		return int(lx.src[lx.pos+off])
	}
	return -1
}

// newline consumes one line break (\n, \r, \r\n or \n\r) at pos.
func (lx *synLexer) newline() {
	c := lx.src[lx.pos]
	lx.pos++
	if lx.pos < len(lx.src) && (lx.src[lx.pos] == '\n' || lx.src[lx.pos] == '\r') && lx.src[lx.pos] != c {
		lx.pos++
	}
	lx.line++
}

func isIdentByte(c int) bool {
	return c == '_' || c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func synDigit(c int) bool { return c >= '0' && c <= '9' }

// longSep counts "[==[" style delimiters at pos (which holds '[' or ']'): the number of '='
// when the bracket repeats, else -1 (a lone bracket) or -2-count (a bad delimiter). It
// consumes the opening bracket and the '=' signs.
func (lx *synLexer) longSep() int {
	open := lx.src[lx.pos]
	lx.pos++
	n := 0
	for lx.peekc(0) == '=' {
		lx.pos++
		n++
	}
	if lx.peekc(0) == int(open) {
		return n
	}
	return -n - 1
}

// longString skips a long string or comment whose opening "[==[" is consumed.
func (lx *synLexer) longString(start, sep int, comment bool) string {
	lx.pos++ // second '['
	for {
		c := lx.peekc(0)
		switch {
		case c < 0:
			what := "unfinished long string"
			if comment {
				what = "unfinished long comment"
			}
			lx.fail(lx.line, what, skEOF)
		case c == ']':
			save := lx.pos
			if lx.longSep() == sep {
				lx.pos++
				return string(lx.src[start:lx.pos])
			}
			lx.pos = save + 1
		case c == '\n' || c == '\r':
			lx.newline()
		default:
			lx.pos++
		}
	}
}

func (lx *synLexer) next() synToken {
	for {
		c := lx.peekc(0)
		start := lx.pos
		switch {
		case c < 0:
			return synToken{kind: skEOF, text: skEOF, line: lx.line}
		case c == '\n' || c == '\r':
			lx.newline()
			continue
		case c == ' ' || c == '\t' || c == '\v' || c == '\f':
			lx.pos++
			continue
		case c == '-':
			if lx.peekc(1) != '-' {
				lx.pos++
				return lx.op("-")
			}
			lx.pos += 2
			if lx.peekc(0) == '[' {
				save := lx.pos
				if sep := lx.longSep(); sep >= 0 {
					lx.longString(save, sep, true)
					continue
				}
				lx.pos = save
			}
			for c := lx.peekc(0); c >= 0 && c != '\n' && c != '\r'; c = lx.peekc(0) {
				lx.pos++
			}
			continue
		case c == '[':
			sep := lx.longSep()
			if sep >= 0 {
				s := lx.longString(start, sep, false)
				return synToken{kind: skString, text: s, line: lx.line}
			}
			if sep != -1 {
				lx.fail(lx.line, "invalid long string delimiter", string(lx.src[start:lx.pos]))
			}
			return lx.op("[")
		case c == '=' || c == '<' || c == '>' || c == '~':
			lx.pos++
			if lx.peekc(0) == '=' {
				lx.pos++
			}
			return lx.op(string(lx.src[start:lx.pos]))
		case c == ':':
			lx.pos++
			if lx.peekc(0) == ':' {
				lx.pos++
			}
			return lx.op(string(lx.src[start:lx.pos]))
		case c == '"' || c == '\'':
			return lx.str(start)
		case c == '.':
			if synDigit(lx.peekc(1)) {
				return lx.number(start)
			}
			lx.pos++
			if lx.peekc(0) == '.' {
				lx.pos++
				if lx.peekc(0) == '.' {
					lx.pos++
				}
			}
			return lx.op(string(lx.src[start:lx.pos]))
		case synDigit(c):
			return lx.number(start)
		case isIdentByte(c):
			for isIdentByte(lx.peekc(0)) {
				lx.pos++
			}
			s := string(lx.src[start:lx.pos])
			if synKeywords[s] {
				return synToken{kind: s, text: s, line: lx.line}
			}
			return synToken{kind: skName, text: s, line: lx.line}
		default:
			lx.pos++
			s := string(rune(c))
			if c < ' ' || c == 0x7f {
				s = "char(" + itoa(c) + ")"
			}
			return lx.op(s)
		}
	}
}

func (lx *synLexer) op(s string) synToken { return synToken{kind: s, text: s, line: lx.line} }

// str lexes a short string; Translate has already rejected bad escapes, so escapes are
// only skipped here.
func (lx *synLexer) str(start int) synToken {
	delim := lx.src[lx.pos]
	lx.pos++
	for {
		c := lx.peekc(0)
		switch {
		case c < 0:
			lx.fail(lx.line, "unfinished string", skEOF)
		case c == '\n' || c == '\r':
			lx.fail(lx.line, "unfinished string", string(lx.src[start:lx.pos]))
		case c == int(delim):
			lx.pos++
			return synToken{kind: skString, text: string(lx.src[start:lx.pos]), line: lx.line}
		case c == '\\':
			lx.pos++
			if d := lx.peekc(0); d == '\n' || d == '\r' {
				lx.newline()
			} else if d >= 0 {
				lx.pos++
			}
		default:
			lx.pos++
		}
	}
}

// number lexes a numeral as LuaJIT's lexer collects it (identifier characters, dots, and a
// sign after the exponent letter) and rejects what LuaJIT's number scanner rejects.
func (lx *synLexer) number(start int) synToken {
	xp := 'e'
	if lx.src[lx.pos] == '0' && (lx.peekc(1)|0x20) == 'x' {
		xp = 'p'
	}
	prev := 0
	for {
		c := lx.peekc(0)
		if !(isIdentByte(c) || c == '.' || ((c == '-' || c == '+') && (prev|0x20) == int(xp))) {
			break
		}
		prev = c
		lx.pos++
	}
	s := string(lx.src[start:lx.pos])
	if !validNumeral(s) {
		lx.fail(lx.line, "malformed number", s)
	}
	return synToken{kind: skNumber, text: s, line: lx.line}
}

// validNumeral reports whether LuaJIT (with its FFI suffixes LL, ULL and i) reads s as a
// number.
func validNumeral(s string) bool {
	i, n := 0, len(s)
	isHex := n >= 2 && s[0] == '0' && (s[1]|0x20) == 'x'
	digit := func(c byte) bool {
		if isHex {
			return synDigit(int(c)) || (c|0x20 >= 'a' && c|0x20 <= 'f')
		}
		return synDigit(int(c))
	}
	if isHex {
		i = 2
	}
	digits := 0
	for i < n && digit(s[i]) {
		i++
		digits++
	}
	if i < n && s[i] == '.' {
		i++
		for i < n && digit(s[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	exp := byte('e')
	if isHex {
		exp = 'p'
	}
	if i < n && s[i]|0x20 == exp {
		i++
		if i < n && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= n || !synDigit(int(s[i])) {
			return false
		}
		for i < n && synDigit(int(s[i])) {
			i++
		}
	}
	switch rest := s[i:]; rest {
	case "", "i", "I":
		return true
	default:
		for _, suf := range []string{"ll", "ull", "ul", "lu"} {
			if len(rest) == len(suf) && lowerASCII(rest) == suf {
				return true
			}
		}
	}
	return false
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// synFunc is the state of one function being checked.
type synFunc struct {
	vararg    bool
	loops     int
	breakLine int // line of the first break outside a loop, 0 when none
}

type synParser struct {
	lx       *synLexer
	tok      synToken
	ahead    *synToken
	lastline int
	fn       *synFunc
}

// CheckSyntax parses src (already passed through Translate) with LuaJIT 2.1's grammar and
// returns its first error in LuaJIT's wording, chunk being the name as shown
// (e.g. `[string "x = = 1"]` or `x.lua`). It returns nil when it finds no error.
func CheckSyntax(chunk string, src []byte) (err *SyntaxError) {
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(*SyntaxError)
			if !ok {
				panic(r)
			}
			err = se
		}
	}()
	lx := &synLexer{chunk: chunk, src: src, pos: skipShebang(src), line: 1}
	p := &synParser{lx: lx, fn: &synFunc{vararg: true}}
	p.tok = lx.next()
	p.lastline = 1
	p.chunk()
	if p.tok.kind != skEOF {
		p.errToken(skEOF)
	}
	p.endFunc()
	return nil
}

func (p *synParser) next() {
	p.lastline = p.tok.line
	if p.ahead != nil {
		p.tok = *p.ahead
		p.ahead = nil
		return
	}
	p.tok = p.lx.next()
}

func (p *synParser) lookahead() string {
	if p.ahead == nil {
		t := p.lx.next()
		p.ahead = &t
	}
	return p.ahead.kind
}

func (p *synParser) near() string {
	switch p.tok.kind {
	case skName, skString, skNumber:
		return p.tok.text
	}
	return p.tok.kind
}

func (p *synParser) errSyntax(msg string) {
	p.lx.fail(p.tok.line, msg, p.near())
}

func (p *synParser) errToken(kind string) {
	p.errSyntax("'" + kind + "' expected")
}

func (p *synParser) check(kind string) {
	if p.tok.kind != kind {
		p.errToken(kind)
	}
	p.next()
}

func (p *synParser) opt(kind string) bool {
	if p.tok.kind == kind {
		p.next()
		return true
	}
	return false
}

// match closes a construct opened by who at line.
func (p *synParser) match(what, who string, line int) {
	if p.tok.kind == what {
		p.next()
		return
	}
	if line == p.tok.line {
		p.errToken(what)
	}
	p.errSyntax("'" + what + "' expected (to close '" + who + "' at line " + itoa(line) + ")")
}

func (p *synParser) name() {
	if p.tok.kind != skName && p.tok.kind != "goto" { // goto is a name where LuaJIT 2.1 reads one
		p.errToken(skName)
	}
	p.next()
}

func (p *synParser) endFunc() {
	if p.fn.breakLine > 0 {
		panic(&SyntaxError{Chunk: p.lx.chunk, Line: p.fn.breakLine, Msg: "no loop to break"})
	}
}

func blockEnd(kind string) bool {
	switch kind {
	case "else", "elseif", "end", "until", skEOF:
		return true
	}
	return false
}

func (p *synParser) chunk() {
	for !blockEnd(p.tok.kind) {
		last := p.stmt()
		p.opt(";")
		if last {
			break
		}
	}
}

func (p *synParser) loopBlock() {
	p.fn.loops++
	p.chunk()
	p.fn.loops--
}

// stmt checks one statement and reports whether it must be the last of its block.
func (p *synParser) stmt() bool {
	line := p.tok.line
	switch p.tok.kind {
	case "if":
		p.next()
		p.expr()
		p.check("then")
		p.chunk()
		for p.tok.kind == "elseif" {
			p.next()
			p.expr()
			p.check("then")
			p.chunk()
		}
		if p.opt("else") {
			p.chunk()
		}
		p.match("end", "if", line)
	case "while":
		p.next()
		p.expr()
		p.check("do")
		p.loopBlock()
		p.match("end", "while", line)
	case "do":
		p.next()
		p.chunk()
		p.match("end", "do", line)
	case "for":
		p.next()
		p.name()
		switch p.tok.kind {
		case "=":
			p.next()
			p.expr()
			p.check(",")
			p.expr()
			if p.opt(",") {
				p.expr()
			}
		case ",", "in":
			for p.opt(",") {
				p.name()
			}
			p.check("in")
			p.exprList()
		default:
			p.errSyntax("'=' or 'in' expected")
		}
		p.check("do")
		p.loopBlock()
		p.match("end", "for", line)
	case "repeat":
		p.next()
		p.loopBlock()
		p.match("until", "repeat", line)
		p.expr()
	case "function":
		p.next()
		p.name()
		for p.opt(".") {
			p.name()
		}
		if p.opt(":") {
			p.name()
		}
		p.body(line)
	case "local":
		p.next()
		if p.opt("function") {
			p.name()
			p.body(line)
			break
		}
		p.name()
		for p.opt(",") {
			p.name()
		}
		if p.opt("=") {
			p.exprList()
		}
	case "return":
		p.next()
		if !blockEnd(p.tok.kind) && p.tok.kind != ";" {
			p.exprList()
		}
		return true
	case "break":
		p.next()
		if p.fn.loops == 0 && p.fn.breakLine == 0 {
			p.fn.breakLine = line
		}
		return true
	case "goto":
		if p.lookahead() == skName {
			p.next()
			p.next()
			break
		}
		p.callAssign()
	case "::":
		p.next()
		p.name()
		p.check("::")
	default:
		p.callAssign()
	}
	return false
}

// Kinds of primary expressions, for what may be assigned to.
const (
	pkVar = iota
	pkCall
	pkOther
)

func (p *synParser) callAssign() {
	kind := p.primary()
	if kind == pkCall {
		return
	}
	for {
		if kind != pkVar {
			p.errSyntax("syntax error") // LuaJIT checks the target before what follows it
		}
		if !p.opt(",") {
			break
		}
		kind = p.primary()
	}
	p.check("=")
	p.exprList()
}

func (p *synParser) primary() int {
	kind := pkVar
	switch p.tok.kind {
	case "(":
		line := p.tok.line
		p.next()
		p.expr()
		p.match(")", "(", line)
		kind = pkOther
	case skName:
		p.next()
	case "goto":
		p.next()
	default:
		p.errSyntax("unexpected symbol")
	}
	for {
		switch p.tok.kind {
		case ".":
			p.next()
			p.name()
			kind = pkVar
		case "[":
			p.next()
			p.expr()
			p.check("]")
			kind = pkVar
		case ":":
			p.next()
			p.name()
			p.args()
			kind = pkCall
		case "(", skString, "{":
			p.args()
			kind = pkCall
		default:
			return kind
		}
	}
}

func (p *synParser) args() {
	switch p.tok.kind {
	case "(":
		line := p.tok.line
		if line != p.lastline {
			p.errSyntax("ambiguous syntax (function call x new statement)")
		}
		p.next()
		if p.tok.kind != ")" {
			p.exprList()
		}
		p.match(")", "(", line)
	case "{":
		p.table()
	case skString:
		p.next()
	default:
		p.errSyntax("function arguments expected")
	}
}

func (p *synParser) table() {
	line := p.tok.line
	p.check("{")
	for p.tok.kind != "}" {
		if p.tok.kind == "[" {
			p.next()
			p.expr()
			p.check("]")
			p.check("=")
		} else if (p.tok.kind == skName || p.tok.kind == "goto") && p.lookahead() == "=" {
			p.next()
			p.check("=")
		}
		p.expr()
		if !p.opt(",") && !p.opt(";") {
			break
		}
	}
	p.match("}", "{", line)
}

func (p *synParser) body(line int) {
	p.check("(")
	outer := p.fn
	p.fn = &synFunc{}
	if p.tok.kind != ")" {
		for {
			if p.tok.kind == skName {
				p.next()
			} else if p.tok.kind == "..." {
				p.next()
				p.fn.vararg = true
				break
			} else {
				p.errSyntax("<name> or '...' expected")
			}
			if !p.opt(",") {
				break
			}
		}
	}
	p.check(")")
	p.chunk()
	p.match("end", "function", line)
	p.endFunc()
	p.fn = outer
}

func (p *synParser) exprList() {
	p.expr()
	for p.opt(",") {
		p.expr()
	}
}

func isBinop(kind string) bool {
	switch kind {
	case "+", "-", "*", "/", "%", "^", "..", "==", "~=", "<", "<=", ">", ">=", "and", "or":
		return true
	}
	return false
}

func (p *synParser) expr() {
	for {
		for p.tok.kind == "not" || p.tok.kind == "-" || p.tok.kind == "#" {
			p.next()
		}
		p.simple()
		if !isBinop(p.tok.kind) {
			return
		}
		p.next()
	}
}

func (p *synParser) simple() {
	switch p.tok.kind {
	case skNumber, skString, "nil", "true", "false":
		p.next()
	case "...":
		if !p.fn.vararg {
			p.errSyntax("cannot use '...' outside a vararg function")
		}
		p.next()
	case "{":
		p.table()
	case "function":
		line := p.tok.line
		p.next()
		p.body(line)
	default:
		p.primary()
	}
}
