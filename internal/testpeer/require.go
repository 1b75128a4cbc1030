package testpeer

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// peer describes how to find one external peer.
type peer struct {
	find func(t testing.TB) (string, error)
	hint string // how to install it
}

var peers = map[string]peer{
	"chromium": {
		find: func(testing.TB) (string, error) {
			return lookFirst(os.Getenv("LUAWS_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser")
		},
		hint: "apt-get install chromium",
	},
	"node": {
		find: func(testing.TB) (string, error) { return lookFirst("node", "nodejs") },
		hint: "install Node.js",
	},
	// node-ws: node plus the npm package ws installed in interop/node.
	// Returns the node binary.
	"node-ws": {
		find: func(t testing.TB) (string, error) {
			node, err := lookFirst("node", "nodejs")
			if err != nil {
				return "", err
			}
			pkg := filepath.Join(ModuleRoot(t), "interop", "node", "node_modules", "ws", "package.json")
			if _, err := os.Stat(pkg); err != nil {
				return "", fmt.Errorf("npm package ws not installed: %w", err)
			}
			return node, nil
		},
		hint: "npm ci --prefix interop/node",
	},
	// python3-websockets: a python3 that can import websockets (Debian's
	// python3-websockets lives in /usr/bin/python3's dist-packages, which a
	// pyenv python3 earlier on PATH does not see). Returns that python3.
	"python3-websockets": {
		find: func(testing.TB) (string, error) {
			var lastErr error
			for _, c := range []string{os.Getenv("LUAWS_PYTHON3"), "/usr/bin/python3", "python3"} {
				p, err := lookFirst(c)
				if err != nil {
					lastErr = err
					continue
				}
				out, err := exec.Command(p, "-c", "import websockets, sys; sys.stdout.write(websockets.__version__)").CombinedOutput()
				if err == nil {
					return p, nil
				}
				lastErr = fmt.Errorf("%s cannot import websockets: %v: %s", p, err, out)
			}
			return "", lastErr
		},
		hint: "apt-get install python3-websockets",
	},
	"redis-server": {
		find: func(testing.TB) (string, error) { return lookFirst("redis-server", "/usr/bin/redis-server") },
		hint: "apt-get install redis-server",
	},
}

func lookFirst(names ...string) (string, error) {
	var lastErr error = fmt.Errorf("no candidate")
	for _, n := range names {
		if n == "" {
			continue
		}
		p, err := exec.LookPath(n)
		if err == nil {
			return p, nil
		}
		lastErr = err
	}
	return "", lastErr
}

// Require returns the path of the named external peer: "chromium", "node",
// "node-ws" (node, with interop/node's npm dependencies installed),
// "python3-websockets" (a python3 that imports websockets) or "redis-server".
// When the peer is missing the test fails if CI is set (see InCI) and is
// skipped otherwise.
func Require(t testing.TB, name string) string {
	t.Helper()
	p, ok := peers[name]
	if !ok {
		t.Fatalf("testpeer.Require: unknown peer %q", name)
	}
	path, err := p.find(t)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("peer %s not available (%v); install: %s", name, err, p.hint)
	if InCI() {
		t.Fatalf("%s [CI is set: missing peers fail]", msg)
	}
	t.Skip(msg)
	return ""
}
