package main

// nginx's command line: luaws reads an nginx.conf and stands in for nginx where tooling
// (Test::Nginx, init scripts, systemd units) drives an nginx binary.
//
//	luaws -p PREFIX/ -c conf/nginx.conf [-e ERRLOG] [-g "directives;"]   # run
//	luaws -t|-T [-q] ...                                                  # test (and dump)
//	luaws -s stop|quit|reload|reopen ...                                  # signal the daemon
//	luaws -v | -V                                                         # version

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/luaws/luaws/ngxconf"
)

// nginxVersion is the nginx version luaws behaves as (lua-nginx-module's API level of it).
const nginxVersion = "1.25.0"

// nginxArgs are nginx's command-line settings.
type nginxArgs struct {
	prefix, conf, errLog, globals, signal string
	test, dump, quiet, version, configure bool
	help                                  bool
}

// isNginxStyle reports whether args are nginx's command line rather than luaws's own flags.
func isNginxStyle(args []string) bool {
	for _, a := range args {
		if len(a) < 2 || a[0] != '-' || a[1] == '-' {
			continue
		}
		switch a[1] {
		case 'c', 'p', 'e', 'g', 's':
			if len(a) == 2 || strings.ContainsAny(a[2:3], "/.~") {
				return true
			}
		case 't', 'T', 'V', 'v', 'q', '?', 'h':
			if strings.Trim(a[1:], "tTVvq?h") == "" {
				return true
			}
		}
	}
	return false
}

// parseNginxArgs parses nginx's options, including grouped ones ("-tq") and values attached
// to their option ("-cconf/x.conf").
func parseNginxArgs(args []string) (*nginxArgs, error) {
	a := &nginxArgs{}
	for i := 0; i < len(args); i++ {
		s := args[i]
		if len(s) < 2 || s[0] != '-' {
			return nil, fmt.Errorf("invalid option: \"%s\"", s)
		}
		for j := 1; j < len(s); j++ {
			c := s[j]
			switch c {
			case 't':
				a.test = true
			case 'T':
				a.test, a.dump = true, true
			case 'q':
				a.quiet = true
			case 'v':
				a.version = true
			case 'V':
				a.version, a.configure = true, true
			case '?', 'h':
				a.help = true
			case 'c', 'p', 'e', 'g', 's':
				var v string
				if j+1 < len(s) {
					v = s[j+1:]
				} else if i+1 < len(args) {
					i++
					v = args[i]
				} else {
					return nil, fmt.Errorf("option \"-%c\" requires %s", c, map[byte]string{
						'c': "file name", 'p': "directory name", 'e': "file name", 'g': "parameter",
						's': "signal"}[c])
				}
				switch c {
				case 'c':
					a.conf = v
				case 'p':
					a.prefix = v
				case 'e':
					a.errLog = v
				case 'g':
					a.globals = v
				case 's':
					switch v {
					case "stop", "quit", "reopen", "reload":
					default:
						return nil, fmt.Errorf("invalid option: \"-s %s\"", v)
					}
					a.signal = v
				}
				j = len(s)
			default:
				return nil, fmt.Errorf("invalid option: \"%s\"", s)
			}
		}
	}
	return a, nil
}

// resolve fills in the prefix (with a trailing "/") and the absolute configuration path.
func (a *nginxArgs) resolve() error {
	if a.prefix == "" {
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		a.prefix = wd
	}
	p, err := filepath.Abs(a.prefix)
	if err != nil {
		return err
	}
	a.prefix = strings.TrimSuffix(p, "/") + "/"
	if a.conf == "" {
		a.conf = "conf/nginx.conf"
	}
	if !filepath.IsAbs(a.conf) {
		a.conf = a.prefix + a.conf
	}
	a.conf = filepath.Clean(a.conf)
	if a.errLog != "" && a.errLog != "stderr" && !filepath.IsAbs(a.errLog) {
		a.errLog = a.prefix + a.errLog
	}
	return nil
}

const nginxUsage = `Usage: luaws [-?hvVtTq] [-s signal] [-p prefix] [-e filename] [-c filename] [-g directives]

Options:
  -?,-h         : this help
  -v            : show version and exit
  -V            : show version and configure options then exit
  -t            : test configuration and exit
  -T            : test configuration, dump it and exit
  -q            : suppress non-error messages during configuration testing
  -s signal     : send signal to a master process: stop, quit, reopen, reload
  -p prefix     : set prefix path (default: the current directory)
  -e filename   : set error log file (default: logs/error.log)
  -c filename   : set configuration file (default: conf/nginx.conf)
  -g directives : set global directives out of configuration file

luaws's own flags (luaws --help) serve handlers without an nginx.conf.
`

// runNginx is luaws run with nginx's command line.
func runNginx(args []string, stdout, stderr io.Writer) int {
	a, err := parseNginxArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "luaws: %v\n", err)
		return 1
	}
	if a.help {
		fmt.Fprint(stderr, "nginx version: luaws/"+nginxVersion+" (luaws "+version+")\n"+nginxUsage)
		return 0
	}
	if a.version {
		fmt.Fprintf(stderr, "nginx version: luaws/%s (luaws %s)\n", nginxVersion, version)
		if a.configure {
			fmt.Fprintf(stderr, "built with %s (%s/%s)\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
			fmt.Fprintf(stderr, "TLS SNI support enabled\n")
			// ngx.re words its errors as PCRE 8.x does (pcre_compile(), pcre_exec() -10), as under
			// Debian's lua-nginx-module: "--without-pcre2" says so to tools such as Test::Nginx
			fmt.Fprintf(stderr, "configure arguments: --with-http_ssl_module --add-module=lua-nginx-module"+
				" --without-http_fastcgi_module --without-http_scgi_module --without-http_uwsgi_module"+
				" --without-http_proxy_module --with-pcre-jit --without-pcre2\n")
		}
		if !a.test && a.signal == "" {
			return 0
		}
	}
	if err := a.resolve(); err != nil {
		fmt.Fprintf(stderr, "luaws: %v\n", err)
		return 1
	}
	cfg, err := loadConfig(a)
	if err != nil {
		fmt.Fprintf(stderr, "luaws: [emerg] %v\n", err)
		if a.test {
			fmt.Fprintf(stderr, "luaws: configuration file %s test failed\n", a.conf)
		}
		return 1
	}
	switch {
	case a.signal != "":
		return signalDaemon(a, cfg, stderr)
	case a.test:
		return testConfig(a, cfg, stdout, stderr)
	}
	if isDaemonChild() {
		return runDaemonChild(a, cfg, stderr)
	}
	if daemonOn(cfg) {
		return launchDaemon(args, stderr)
	}
	return serveNginx(a, cfg, stderr, nil)
}

// loadConfig parses the configuration (and -g directives).
func loadConfig(a *nginxArgs) (*ngxconf.Config, error) {
	src, err := os.ReadFile(a.conf)
	if err != nil {
		return nil, &ngxconf.Error{Msg: fmt.Sprintf("open() \"%s\" failed (%s)", a.conf, errnoOf(err))}
	}
	var extra []byte
	if a.globals != "" {
		extra = []byte(a.globals)
	}
	return ngxconf.Parse(a.conf, src, extra)
}

func errnoOf(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "2: No such file or directory"
	case errors.Is(err, os.ErrPermission):
		return "13: Permission denied"
	}
	return err.Error()
}

// mainSetting returns the arguments of the last main-level directive name, or nil.
func mainSetting(cfg *ngxconf.Config, name string) *ngxconf.Directive {
	var last *ngxconf.Directive
	for _, d := range cfg.Directives {
		if d.Name == name {
			last = d
		}
	}
	return last
}

func daemonOn(cfg *ngxconf.Config) bool {
	d := mainSetting(cfg, "daemon")
	return d == nil || len(d.Args) != 1 || d.Args[0] != "off"
}

// pidPath is the pid directive's file (default logs/nginx.pid), absolute.
func pidPath(a *nginxArgs, cfg *ngxconf.Config) string {
	p := "logs/nginx.pid"
	if d := mainSetting(cfg, "pid"); d != nil && len(d.Args) == 1 {
		p = d.Args[0]
	}
	if p == "off" {
		return ""
	}
	if !filepath.IsAbs(p) {
		p = a.prefix + p
	}
	return p
}

// readPid reads the daemon's pid from the pid file.
func readPid(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("open() \"%s\" failed (%s)", path, errnoOf(err))
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("invalid PID number \"%s\" in \"%s\"", strings.TrimSpace(string(b)), path)
	}
	return pid, nil
}
