package luabind

import (
	"bytes"
	"strings"
	"testing"

	"github.com/luaws/luaws/errlog"
)

// TestOSExitInInit: os.exit in init_by_lua* is an error that stops start-up (under nginx it
// would end nginx there), never the process.
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
	if !strings.Contains(logs.String(), "[error] ") || !strings.Contains(logs.String(), "init_by_lua(nginx.conf:3):2: os.exit(2)") {
		t.Errorf("log:\n%s", logs.String())
	}
}
