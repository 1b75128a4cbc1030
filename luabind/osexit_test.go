package luabind

import (
	"bytes"
	"strings"
	"testing"

	"github.com/luaws/luaws/errlog"
)

// TestOSExitInInit: os.exit in init_by_lua* is an error that stops start-up (under nginx it
// would end nginx there), never the process; 091-coroutine TEST 45 for how it is reported.
func TestOSExitInInit(t *testing.T) {
	var logs bytes.Buffer
	h, err := NewHost(Config{Log: errlog.New(&logs, errlog.Err)})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.SetInit([]Chunk{{Name: "init_by_lua(nginx.conf:3)", Src: []byte("x = 1\nos.exit(2)")}}); err != nil {
		t.Fatal(err)
	}
	err = h.RunInit()
	if err == nil || !strings.Contains(err.Error(), "init_by_lua error: ") || !strings.Contains(err.Error(), ":2: os.exit(2) called while starting up") {
		t.Fatalf("RunInit = %v", err)
	}
	// As under nginx, the error comes once, from whoever starts up (at the error level),
	// with the chunk's traceback, and is not logged as an aborted thread.
	if !strings.Contains(err.Error(), "\nstack traceback:\n\t") || strings.Contains(err.Error(), "coroutine 0:") {
		t.Errorf("RunInit = %q, want a plain traceback", err)
	}
	if strings.Contains(logs.String(), "thread aborted") {
		t.Errorf("log:\n%s", logs.String())
	}
}
