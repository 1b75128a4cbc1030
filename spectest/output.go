package spectest

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// reporter writes a run's results in one output format.
type reporter interface {
	fileStart(file string)
	fileEnd(file string)
	result(r Result)
	print(file, text string)
	list(file string, line int, name string)
	end(sum *Summary)
}

func newReporter(format string, w io.Writer, color bool) (reporter, error) {
	switch format {
	case "", "utfTerminal":
		return &terminal{w: w, utf: true, colors: color}, nil
	case "plainTerminal":
		return &terminal{w: w}, nil
	case "TAP":
		return &tap{w: w}, nil
	case "junit":
		return &junit{w: w}, nil
	}
	return nil, fmt.Errorf("unknown output format %q (want %s)", format, strings.Join(Formats, ", "))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// summaryLine is busted's: "N successes / N failures / N errors / N pending : T seconds".
func summaryLine(s *Summary, color func(code, text string) string) string {
	return color("32", plural(s.Successes, "success", "successes")) + " / " +
		color("31", plural(s.Failures, "failure", "failures")) + " / " +
		color("35", plural(s.Errors, "error", "errors")) + " / " +
		color("33", plural(s.Pending, "pending", "pending")) + " : " +
		fmt.Sprintf("%.6f seconds", s.Duration.Seconds())
}

// listing is shared by every format: busted --list prints "file:line: name".
func writeListing(w io.Writer, file string, line int, name string) {
	fmt.Fprintf(w, "%s:%d: %s\n", file, line, name)
}

// terminal is busted's utfTerminal (● ◼ ✱ ◌, colours) and plainTerminal (+ - * .).
type terminal struct {
	w      io.Writer
	utf    bool
	colors bool // ANSI colours (utfTerminal on a terminal)
	col    int
	done   []Result
}

func (t *terminal) color(code, text string) string {
	if !t.utf || !t.colors {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func (t *terminal) fileStart(string) {}
func (t *terminal) fileEnd(string)   {}

func (t *terminal) result(r Result) {
	var sym string
	switch r.Status {
	case Success:
		sym = t.pick("+", "●", "32")
	case Failure:
		sym = t.pick("-", "◼", "31")
	case Error:
		sym = t.pick("*", "✱", "35")
	default:
		sym = t.pick(".", "◌", "33")
	}
	io.WriteString(t.w, sym)
	t.col++
	t.done = append(t.done, r)
}

func (t *terminal) pick(plain, utf, code string) string {
	if t.utf {
		return t.color(code, utf)
	}
	return plain
}

func (t *terminal) print(_, text string) {
	if t.col > 0 {
		io.WriteString(t.w, "\n")
		t.col = 0
	}
	io.WriteString(t.w, text)
}

func (t *terminal) list(file string, line int, name string) { writeListing(t.w, file, line, name) }

func (t *terminal) end(s *Summary) {
	arrow := "->"
	if t.utf {
		arrow = "→"
	}
	fmt.Fprintf(t.w, "\n%s\n", summaryLine(s, t.color))
	for _, st := range []Status{Pending, Failure, Error} {
		label := map[Status]string{Pending: "Pending", Failure: "Failure", Error: "Error"}[st]
		code := map[Status]string{Pending: "33", Failure: "31", Error: "35"}[st]
		for _, r := range t.done {
			if r.Status != st {
				continue
			}
			fmt.Fprintf(t.w, "\n%s %s %s @ %d\n%s\n", t.color(code, label), arrow, r.File, r.Line, t.color("1", r.Name))
			if r.Message != "" {
				fmt.Fprintf(t.w, "%s\n", r.Message)
			}
			if r.Trace != "" && st != Pending {
				fmt.Fprintf(t.w, "\n%s\n", r.Trace)
			}
		}
	}
}

// tap is the Test Anything Protocol, version 13, with the plan at the end (the number of tests
// is known once every file ran); diagnostics and print output are "# " comment lines.
type tap struct {
	w       io.Writer
	n       int
	started bool
}

func (t *tap) start() {
	if !t.started {
		t.started = true
		io.WriteString(t.w, "TAP version 13\n")
	}
}

func (t *tap) fileStart(string) { t.start() }
func (t *tap) fileEnd(string)   {}

func comment(w io.Writer, text string) {
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		fmt.Fprintf(w, "# %s\n", l)
	}
}

// tapName keeps a test name from reading as a TAP directive or a test number.
func tapName(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "#", "\\#")
	return s
}

func (t *tap) result(r Result) {
	t.start()
	t.n++
	switch r.Status {
	case Success:
		fmt.Fprintf(t.w, "ok %d - %s\n", t.n, tapName(r.Name))
	case Pending:
		reason := "pending"
		if r.Message != "" {
			reason = "pending: " + strings.ReplaceAll(r.Message, "\n", " ")
		}
		fmt.Fprintf(t.w, "ok %d - %s # SKIP %s\n", t.n, tapName(r.Name), reason)
	default:
		fmt.Fprintf(t.w, "not ok %d - %s\n", t.n, tapName(r.Name))
		kind := "Failure"
		if r.Status == Error {
			kind = "Error"
		}
		comment(t.w, fmt.Sprintf("%s @ %d", r.File, r.Line))
		comment(t.w, kind+" message: "+r.Message)
		if r.Trace != "" {
			comment(t.w, r.Trace)
		}
	}
}

func (t *tap) print(_, text string) {
	t.start()
	comment(t.w, text)
}

func (t *tap) list(file string, line int, name string) { writeListing(t.w, file, line, name) }

func (t *tap) end(s *Summary) {
	t.start()
	fmt.Fprintf(t.w, "1..%d\n", t.n)
	comment(t.w, summaryLine(s, func(_, x string) string { return x }))
}

// junit is the JUnit XML report CI systems read (Jenkins' schema): a testsuite per spec file.
type junit struct {
	w      io.Writer
	suites []*JUnitSuite
	cur    *JUnitSuite
	start  time.Time
}

// JUnitReport is the <testsuites> document.
type JUnitReport struct {
	XMLName   xml.Name      `xml:"testsuites"`
	Name      string        `xml:"name,attr"`
	Tests     int           `xml:"tests,attr"`
	Failures  int           `xml:"failures,attr"`
	Errors    int           `xml:"errors,attr"`
	Skipped   int           `xml:"skipped,attr"`
	Time      string        `xml:"time,attr"`
	Timestamp string        `xml:"timestamp,attr"`
	Suites    []*JUnitSuite `xml:"testsuite"`
}

// JUnitSuite is one spec file.
type JUnitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Hostname  string      `xml:"hostname,attr"`
	Cases     []JUnitCase `xml:"testcase"`
	SystemOut string      `xml:"system-out,omitempty"`

	dur   time.Duration
	start time.Time
}

// JUnitCase is one test.
type JUnitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *JUnitProblem `xml:"failure"`
	Error     *JUnitProblem `xml:"error"`
	Skipped   *JUnitSkipped `xml:"skipped"`
}

// JUnitProblem is a <failure> or <error>: the message attribute is its first line, the text
// the whole message and the traceback.
type JUnitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnitSkipped marks a pending test.
type JUnitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

func secs(d time.Duration) string { return fmt.Sprintf("%.6f", d.Seconds()) }

func (j *junit) fileStart(file string) {
	if j.start.IsZero() {
		j.start = time.Now()
	}
	host, _ := os.Hostname()
	if host == "" {
		host = "localhost"
	}
	j.cur = &JUnitSuite{Name: file, Hostname: host, start: time.Now(),
		Timestamp: time.Now().UTC().Format("2006-01-02T15:04:05")}
	j.suites = append(j.suites, j.cur)
}

func (j *junit) fileEnd(string) {
	if j.cur != nil {
		j.cur.dur = time.Since(j.cur.start)
		j.cur.Time = secs(j.cur.dur)
	}
}

func (j *junit) result(r Result) {
	if j.cur == nil {
		j.fileStart(r.File)
	}
	c := JUnitCase{Classname: j.cur.Name, Name: r.Name, File: r.File, Line: r.Line, Time: secs(r.Duration)}
	first, _, _ := strings.Cut(r.Message, "\n")
	text := r.Message
	if r.Trace != "" {
		text += "\n\n" + r.Trace
	}
	switch r.Status {
	case Failure:
		c.Failure = &JUnitProblem{Message: first, Type: "failure", Text: text}
		j.cur.Failures++
	case Error:
		c.Error = &JUnitProblem{Message: first, Type: "error", Text: text}
		j.cur.Errors++
	case Pending:
		c.Skipped = &JUnitSkipped{Message: r.Message}
		j.cur.Skipped++
	}
	j.cur.Tests++
	j.cur.Cases = append(j.cur.Cases, c)
}

func (j *junit) print(_, text string) {
	if j.cur != nil {
		j.cur.SystemOut += text
	}
}

func (j *junit) list(file string, line int, name string) { writeListing(j.w, file, line, name) }

func (j *junit) end(s *Summary) {
	rep := JUnitReport{
		Name: "luaws test", Tests: s.Successes + s.Failures + s.Errors + s.Pending,
		Failures: s.Failures, Errors: s.Errors, Skipped: s.Pending, Time: secs(s.Duration),
		Timestamp: j.start.UTC().Format("2006-01-02T15:04:05"), Suites: j.suites,
	}
	if j.start.IsZero() {
		rep.Timestamp = time.Now().UTC().Format("2006-01-02T15:04:05")
	}
	if rep.Suites == nil {
		rep.Suites = []*JUnitSuite{}
	}
	io.WriteString(j.w, xml.Header)
	enc := xml.NewEncoder(j.w)
	enc.Indent("", "  ")
	if err := enc.Encode(rep); err != nil {
		fmt.Fprintf(j.w, "<!-- encode: %v -->", err)
	}
	io.WriteString(j.w, "\n")
}
