package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/luaws/luaws/internal/testpeer"
)

// TestSystemdUnit: contrib/luaws.service passes `systemd-analyze verify` without a warning
// (with ExecStart pointed at a real binary), and its ExecStart flags are ones luaws takes.
func TestSystemdUnit(t *testing.T) {
	unit, err := os.ReadFile("../../contrib/luaws.service")
	if err != nil {
		t.Fatal(err)
	}
	text := string(unit)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}

	// The flags luaws is started with.
	var cmdline string
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "ExecStart=") {
			cmdline = strings.TrimPrefix(l, "ExecStart=")
			for j := i; strings.HasSuffix(lines[j], "\\"); j++ {
				cmdline = strings.TrimSuffix(cmdline, "\\") + " " + strings.TrimSpace(lines[j+1])
			}
		}
	}
	args := strings.Fields(cmdline)
	if len(args) < 2 || args[0] != "/usr/local/bin/luaws" {
		t.Fatalf("ExecStart = %q", cmdline)
	}
	if _, err := parseFlags(args[1:], io.Discard, io.Discard); err != nil {
		t.Errorf("ExecStart flags: %v", err)
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		msg := "systemd-analyze not found (apt-get install systemd): the unit file is not verified"
		if testpeer.InCI() {
			t.Fatalf("%s [CI is set]", msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "luaws.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(text, "/usr/local/bin/luaws", exe)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || strings.Contains(string(out), "luaws.service") {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
