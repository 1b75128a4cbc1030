package ngxconf

import (
	"fmt"
	"strings"
)

type tokKind int

const (
	tokEOF   tokKind = iota
	tokWord          // a directive name or an argument
	tokSemi          // ;
	tokOpen          // {
	tokClose         // }
)

type token struct {
	kind   tokKind
	text   string
	line   int
	quoted bool
}

// lexer splits nginx configuration text into tokens as ngx_conf_read_token does.
type lexer struct {
	file string
	src  []byte
	pos  int
	line int
}

func (lx *lexer) errf(line int, format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...), File: lx.file, Line: line}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// next returns the next token.
func (lx *lexer) next() (token, error) {
	// Skip blanks and comments.
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		if c == '\n' {
			lx.line++
			lx.pos++
			continue
		}
		if isSpace(c) {
			lx.pos++
			continue
		}
		if c == '#' {
			for lx.pos < len(lx.src) && lx.src[lx.pos] != '\n' {
				lx.pos++
			}
			continue
		}
		break
	}
	if lx.pos >= len(lx.src) {
		return token{kind: tokEOF, line: lx.line}, nil
	}
	line := lx.line
	switch c := lx.src[lx.pos]; c {
	case ';':
		lx.pos++
		return token{kind: tokSemi, text: ";", line: line}, nil
	case '{':
		lx.pos++
		return token{kind: tokOpen, text: "{", line: line}, nil
	case '}':
		lx.pos++
		return token{kind: tokClose, text: "}", line: line}, nil
	case '"', '\'':
		return lx.quoted(c)
	}
	return lx.word()
}

// quoted reads a quoted argument; the character after the closing quote must end it.
func (lx *lexer) quoted(q byte) (token, error) {
	line := lx.line
	lx.pos++
	start := lx.pos
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		switch {
		case c == '\\' && lx.pos+1 < len(lx.src):
			if lx.src[lx.pos+1] == '\n' {
				lx.line++
			}
			lx.pos += 2
			continue
		case c == '\n':
			lx.line++
		case c == q:
			text := unescape(string(lx.src[start:lx.pos]))
			lx.pos++
			if lx.pos < len(lx.src) {
				n := lx.src[lx.pos]
				if !isSpace(n) && n != ';' && n != '{' && n != '}' && n != ')' {
					return token{}, lx.errf(lx.line, "unexpected \"%c\"", n)
				}
			}
			return token{kind: tokWord, text: text, line: line, quoted: true}, nil
		}
		lx.pos++
	}
	return token{}, lx.errf(lx.line, "unexpected end of file, expecting \";\" or \"}\"")
}

// word reads an unquoted argument: up to a blank, ";", "{" or "}" (a "{" right after "$"
// belongs to a "${var}" reference).
func (lx *lexer) word() (token, error) {
	line := lx.line
	start := lx.pos
	inVar := false
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		if c == '\\' && lx.pos+1 < len(lx.src) {
			if lx.src[lx.pos+1] == '\n' {
				lx.line++
			}
			lx.pos += 2
			continue
		}
		if inVar {
			if c == '}' {
				inVar = false
			}
			lx.pos++
			continue
		}
		if c == '{' && lx.pos > start && lx.src[lx.pos-1] == '$' {
			inVar = true
			lx.pos++
			continue
		}
		if isSpace(c) || c == ';' || c == '{' || c == '}' {
			break
		}
		lx.pos++
	}
	if inVar {
		return token{}, lx.errf(lx.line, "unexpected end of file, expecting \"}\"")
	}
	return token{kind: tokWord, text: unescape(string(lx.src[start:lx.pos])), line: line}, nil
}

// unescape applies nginx's escapes: \" \' \\ \t \r \n; any other backslash stays.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case '"', '\'', '\\':
				b.WriteByte(s[i+1])
				i++
				continue
			case 't':
				b.WriteByte('\t')
				i++
				continue
			case 'r':
				b.WriteByte('\r')
				i++
				continue
			case 'n':
				b.WriteByte('\n')
				i++
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// luaBlock reads Lua source up to the "}" matching the "{" just read, and returns the source
// between them. Braces inside Lua strings, long strings and comments do not count.
func (lx *lexer) luaBlock() (string, error) {
	start := lx.pos
	startLine := lx.line
	depth := 0
	src := lx.src
	for lx.pos < len(src) {
		c := src[lx.pos]
		switch {
		case c == '\n':
			lx.line++
			lx.pos++
		case c == '-' && lx.pos+1 < len(src) && src[lx.pos+1] == '-':
			lx.pos += 2
			if lvl, ok := longBracket(src, lx.pos); ok {
				if err := lx.skipLong(lvl, "comment"); err != nil {
					return "", err
				}
				continue
			}
			for lx.pos < len(src) && src[lx.pos] != '\n' {
				lx.pos++
			}
		case c == '[':
			if lvl, ok := longBracket(src, lx.pos); ok {
				if err := lx.skipLong(lvl, "string"); err != nil {
					return "", err
				}
				continue
			}
			lx.pos++
		case c == '"' || c == '\'':
			l := lx.line
			lx.pos++
			for {
				if lx.pos >= len(src) || src[lx.pos] == '\n' {
					return "", lx.errf(l, "Lua code block missing the closing quote")
				}
				if src[lx.pos] == '\\' && lx.pos+1 < len(src) {
					if src[lx.pos+1] == '\n' {
						lx.line++
					}
					lx.pos += 2
					continue
				}
				if src[lx.pos] == c {
					lx.pos++
					break
				}
				lx.pos++
			}
		case c == '{':
			depth++
			lx.pos++
		case c == '}':
			if depth == 0 {
				body := string(src[start:lx.pos])
				lx.pos++
				return body, nil
			}
			depth--
			lx.pos++
		default:
			lx.pos++
		}
	}
	return "", lx.errf(startLine, "Lua code block missing the closing \"}\"")
}

// longBracket reports whether a Lua long bracket ("[[", "[==[") opens at i, and its level.
func longBracket(src []byte, i int) (int, bool) {
	if i >= len(src) || src[i] != '[' {
		return 0, false
	}
	j := i + 1
	for j < len(src) && src[j] == '=' {
		j++
	}
	if j < len(src) && src[j] == '[' {
		return j - i - 1, true
	}
	return 0, false
}

// skipLong skips a long string or comment opening at lx.pos with the given level.
func (lx *lexer) skipLong(level int, what string) error {
	line := lx.line
	lx.pos += level + 2
	closing := "]" + strings.Repeat("=", level) + "]"
	for lx.pos < len(lx.src) {
		if lx.src[lx.pos] == '\n' {
			lx.line++
		}
		if lx.src[lx.pos] == ']' && strings.HasPrefix(string(lx.src[lx.pos:min(len(lx.src), lx.pos+len(closing))]), closing) {
			lx.pos += len(closing)
			return nil
		}
		lx.pos++
	}
	return lx.errf(line, "Lua code block missing the closing long bracket of a %s", what)
}
