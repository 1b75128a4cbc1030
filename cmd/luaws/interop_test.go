package main_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/luaws/luaws/internal/testpeer"
)

// Interop: independent WebSocket implementations (node's ws, Python's
// websockets) talk to luaws and check every echo. The peers live in
// interop/; each exits non-zero at the first mismatch and prints why.

// interopHandler is a handler the peers talk to and what they may expect.
type interopHandler struct {
	name string
	path string   // location on the server
	args []string // peer options for this handler
}

var interopHandlers = []interopHandler{
	// The seed's echo handler: echoes text only, answers pings with an empty
	// pong, and answers a close with wb:send_close() (no status: 1005).
	{name: "seed", path: "/s", args: []string{"--only", "text,ping,close", "--pong-any", "--close-code", "1005"}},
	// testdata/echo_all.lua: text, binary, fragments, pongs with the ping's
	// payload, close code echoed.
	{name: "echo_all", path: "/all"},
	// The same handler with permessage-deflate on (luaws --ws-compression).
	{name: "echo_all_deflate", path: "/all", args: []string{"--compression"}},
}

type interopPeer struct {
	name    string
	require string
	script  string // relative to the module root
}

var interopPeers = []interopPeer{
	{name: "node-ws", require: "node-ws", script: "interop/node/echo_client.js"},
	{name: "python-websockets", require: "python3-websockets", script: "interop/python/echo_client.py"},
}

func TestInterop(t *testing.T) {
	// The seed handler as `luaws` serves it with no arguments but --listen;
	// echo_all through --location.
	seedBase, _ := testpeer.StartLuaws(t)
	allScript, err := filepath.Abs(filepath.Join("testdata", "echo_all.lua"))
	if err != nil {
		t.Fatal(err)
	}
	allBase, _ := testpeer.StartLuaws(t, "--location", "/all="+allScript)
	deflateBase, _ := testpeer.StartLuaws(t, "--ws-compression", "--location", "/all="+allScript)
	runInterop(t, map[string]string{"seed": seedBase, "echo_all": allBase, "echo_all_deflate": deflateBase})
}

// TestInteropNginxReference runs the same peers against OpenResty (Debian's
// nginx + lua module) serving the same handlers, to show that the peers'
// expectations are OpenResty's. Opt-in: LUAWS_NGINX_REFERENCE=1.
func TestInteropNginxReference(t *testing.T) {
	testpeer.RequireNginxReference(t)
	seed, _ := filepath.Abs(filepath.Join("..", "..", "scripts", "echo.lua")) // the seed handler, verbatim
	all, _ := filepath.Abs(filepath.Join("testdata", "echo_all.lua"))
	base, _ := testpeer.StartNginx(t, "",
		testpeer.NginxLocation{Path: "/s", Script: seed},
		testpeer.NginxLocation{Path: "/all", Script: all})
	runInterop(t, map[string]string{"seed": base, "echo_all": base, "echo_all_deflate": ""})
}

func runInterop(t *testing.T, bases map[string]string) {
	root := testpeer.ModuleRoot(t)
	for _, p := range interopPeers {
		for _, h := range interopHandlers {
			t.Run(p.name+"/"+h.name, func(t *testing.T) {
				if bases[h.name] == "" {
					t.Skip("OpenResty has no permessage-deflate")
				}
				bin := testpeer.Require(t, p.require)
				url := "ws" + strings.TrimPrefix(bases[h.name], "http") + h.path
				args := append([]string{filepath.Join(root, p.script), url}, h.args...)
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				cmd := exec.CommandContext(ctx, bin, args...)
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, out)
				}
				if !strings.Contains(string(out), "PASS") {
					t.Fatalf("%s %s: exited 0 without PASS:\n%s", bin, strings.Join(args, " "), out)
				}
				t.Logf("%s", out)
			})
		}
	}
}
