package testpeer

import (
	"os"
	"path/filepath"
	"testing"
)

func TestModuleRoot(t *testing.T) {
	root := ModuleRoot(t)
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("ModuleRoot %s: %v", root, err)
	}
	if _, err := os.Stat(filepath.Join(root, "internal", "testpeer")); err != nil {
		t.Fatalf("ModuleRoot %s is not this module: %v", root, err)
	}
}

func TestHasFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		flag string
		want string
		ok   bool
	}{
		{[]string{"--listen", "127.0.0.1:1"}, "--listen", "127.0.0.1:1", true},
		{[]string{"--listen=127.0.0.1:2"}, "--listen", "127.0.0.1:2", true},
		{[]string{"--location", "/s=x.lua"}, "--listen", "", false},
		{[]string{"--listen"}, "--listen", "", false},
	} {
		got, ok := hasFlag(tc.args, tc.flag)
		if got != tc.want || ok != tc.ok {
			t.Errorf("hasFlag(%q, %q) = %q, %v; want %q, %v", tc.args, tc.flag, got, ok, tc.want, tc.ok)
		}
	}
}

func TestStartRedis(t *testing.T) {
	addr := StartRedis(t)
	c, err := dialRESP(addr, "PING")
	if err != nil {
		t.Fatal(err)
	}
	if c != "+PONG\r\n" {
		t.Fatalf("PING: %q", c)
	}
}
