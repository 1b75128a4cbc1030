package testpeer

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// MariaDB is a throw-away mariadbd started by StartMariaDB.
type MariaDB struct {
	Addr    string // "127.0.0.1:PORT"
	Port    int
	Unix    string // the unix socket's path
	Dir     string // data directory
	Version string // the server's version, as `mariadbd --version` prints it
}

// MariaDBOptions configure StartMariaDB.
type MariaDBOptions struct {
	// InitSQL runs as the server starts, before it accepts connections (mariadbd
	// --init-file: CREATE DATABASE, CREATE USER, GRANT...; one statement per line).
	InitSQL string
	// Plugins are server plugins to load (e.g. "auth_ed25519"), while bootstrapping too.
	Plugins []string
	// Args are extra mariadbd options (e.g. "--ssl-cert=...").
	Args []string
}

// mariadbFast are options that make a throw-away server quick to create and start: small
// InnoDB files, no fsync, no doublewrite buffer, no binlog.
var mariadbFast = []string{
	"--innodb-log-file-size=4M", "--innodb-buffer-pool-size=16M",
	"--innodb-flush-method=nosync", "--innodb-doublewrite=0",
	"--innodb-buffer-pool-load-at-startup=0", "--innodb-buffer-pool-dump-at-shutdown=0",
	"--innodb-fast-shutdown=3", "--skip-log-bin", "--skip-name-resolve",
	"--lc-messages=en_US", "--basedir=/usr", "--plugin-dir=/usr/lib/mysql/plugin",
}

// StartMariaDB creates a data directory in a temp dir (the system tables, without the help
// tables or the sys schema: one `mariadbd --bootstrap`, which takes a few seconds) and runs mariadbd on a free loopback port and a unix socket until the
// test ends. root has no password. Tests should share one server (one top-level test with
// subtests) rather than start one each.
func StartMariaDB(t testing.TB, opts MariaDBOptions) MariaDB {
	t.Helper()
	bin := Require(t, "mariadbd")
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatalf("testpeer: mariadb: %v", err)
	}
	user := []string{}
	if os.Geteuid() == 0 {
		user = []string{"--user=root"}
	}
	for _, p := range opts.Plugins {
		user = append(user, "--plugin-load-add="+p)
	}

	var sql bytes.Buffer
	sql.WriteString("create database if not exists mysql;\nuse mysql;\nSET @auth_root_socket=NULL;\n")
	for _, f := range []string{"mysql_system_tables.sql", "mysql_system_tables_data.sql"} {
		b, err := os.ReadFile(filepath.Join("/usr/share/mysql", f))
		if err != nil {
			t.Fatalf("testpeer: mariadb bootstrap SQL: %v (apt-get install mariadb-server)", err)
		}
		sql.Write(b)
		sql.WriteByte('\n')
	}
	args := append([]string{"--no-defaults", "--bootstrap", "--silent-startup", "--datadir=" + data,
		"--log-warnings=0", "--enforce-storage-engine=", "--max_allowed_packet=8M"}, mariadbFast...)
	cmd := exec.Command(bin, append(args, user...)...)
	cmd.Stdin = &sql
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("testpeer: mariadbd --bootstrap: %v\n%s", err, out)
	}

	m := MariaDB{Port: FreePort(t), Unix: filepath.Join(dir, "mysqld.sock"), Dir: data}
	m.Addr = "127.0.0.1:" + strconv.Itoa(m.Port)
	args = append([]string{"--no-defaults", "--datadir=" + data, "--socket=" + m.Unix,
		"--port=" + strconv.Itoa(m.Port), "--bind-address=127.0.0.1",
		"--pid-file=" + filepath.Join(dir, "mysqld.pid"), "--log-error=" + filepath.Join(dir, "error.log")},
		mariadbFast...)
	if opts.InitSQL != "" {
		init := filepath.Join(dir, "init.sql")
		if err := os.WriteFile(init, []byte(opts.InitSQL), 0o600); err != nil {
			t.Fatalf("testpeer: mariadb: %v", err)
		}
		args = append(args, "--init-file="+init)
	}
	args = append(append(args, user...), opts.Args...)
	p := startProc(t, bin, args...)
	if err := waitListening(p, m.Addr); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		t.Fatalf("testpeer: mariadbd: %v\n%s\n%s", err, p.Output.String(), log)
	}
	if out, err := exec.Command(bin, "--version").Output(); err == nil {
		m.Version = string(bytes.TrimSpace(out))
	}
	return m
}

// String is the server's address and version, for test logs.
func (m MariaDB) String() string { return fmt.Sprintf("%s (%s)", m.Addr, m.Version) }
