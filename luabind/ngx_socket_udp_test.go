package luabind

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/luaws/luaws/internal/testpeer"
)

// ngx.socket.udp (return values and log lines as Debian's nginx 1.22 + lua-nginx-module
// 0.10.23 give them).

// udpPeer serves datagrams on a loopback UDP port with reply (nil: no answer) and returns
// the port. Every datagram received is recorded in *got, when got is not nil.
func udpPeer(t testing.TB, reply func(req []byte, from net.Addr) [][]byte, got *[]string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	servePackets(t, pc, reply, got)
	return strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port)
}

var peerMu sync.Mutex // guards the *got slices of udp peers

func servePackets(t testing.TB, pc net.PacketConn, reply func(req []byte, from net.Addr) [][]byte, got *[]string) {
	done := make(chan struct{})
	t.Cleanup(func() { pc.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 70000)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			req := append([]byte(nil), buf[:n]...)
			if got != nil {
				peerMu.Lock()
				*got = append(*got, from.Network()+" "+string(req))
				peerMu.Unlock()
			}
			if reply == nil {
				continue
			}
			for _, d := range reply(req, from) {
				_, _ = pc.WriteTo(d, from)
			}
		}
	}()
}

func udpEcho(req []byte, _ net.Addr) [][]byte { return [][]byte{req} }

func udpPort(reply func([]byte, net.Addr) [][]byte) func(t *testing.T) map[string]string {
	return func(t *testing.T) map[string]string { return map[string]string{"PORT": udpPeer(t, reply, nil)} }
}

func closedUDPPort(t testing.TB) string {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port)
	pc.Close()
	return p
}

func TestUDPSocket(t *testing.T) {
	var bound []string
	resolver := "127.0.0.1:" + strconv.Itoa(testpeer.StartDnsmasq(t, "--host-record=a.test,127.0.0.1", "--address=/nx.test/"))
	runSockCases(t, []sockCase{
		{name: "send and receive", peers: udpPort(udpEcho), src: `
local u = ngx.socket.udp()
show(u:setpeername("127.0.0.1", $PORT))
show(u:send("hello"))
show(u:receive())
show(u:send({"a", {"b", 1}, 2.5}))
show(u:receive())
show(u:send(12), u:receive())
show(u:send(true), u:receive())
show(u:send(nil), u:receive())
show(u:send("0123456789"), u:receive(4))
show(u:close())
show(u:close())
show(u:send("x"))
show(u:receive())`,
			want: "1\n1\nhello\n1\nab12.5\n1 12\n1 true\n1 nil\n1 0123\n1\nnil closed\nnil closed\nnil closed\n",
			log:  []string{"attempt to send data on a closed socket: u:", "attempt to receive data on a closed socket: u:"}},
		{name: "port as a string, port in the host", peers: udpPort(udpEcho), src: `
local u = ngx.socket.udp()
show(u:setpeername("127.0.0.1", "$PORT"))
show(u:send("p"), u:receive())
show(u:setpeername("127.0.0.1:$PORT", 53))
show(u:send("q"), u:receive())
show(u:setpeername("[127.0.0.1", 53))`,
			want: "1\n1 p\n1\n1 q\nnil failed to parse host name \"[127.0.0.1\": invalid host\n"},
		{name: "read timeout, then receive again", peers: udpPort(func(req []byte, _ net.Addr) [][]byte {
			if string(req) == "quiet" {
				return nil
			}
			return [][]byte{req}
		}), src: `
local u = ngx.socket.udp()
u:settimeout(50)
show(u:setpeername("127.0.0.1", $PORT))
show(u:send("quiet"))
show(u:receive())
show(u:send("loud"))
show(u:receive())`,
			want: "1\n1\nnil timeout\n1\nloud\n",
			log:  []string{"[error]", "lua udp socket read timed out, client: "}},
		{name: "timeout, lua_socket_log_errors off", cfg: Config{SocketLogErrors: boolPtr(false)}, peers: udpPort(nil), src: `
local u = ngx.socket.udp()
u:settimeout(20)
u:setpeername("127.0.0.1", $PORT)
show(u:receive())
show(u:close())
show(u:send("x"))`,
			want: "nil timeout\n1\nnil closed\n", nolog: []string{"timed out", "attempt to"}},
		{name: "connection refused",
			peers: func(t *testing.T) map[string]string { return map[string]string{"PORT": closedUDPPort(t)} },
			src: `
local u = ngx.socket.udp()
u:settimeout(2000)
show(u:setpeername("127.0.0.1", $PORT))
show(u:send("anyone?"))
show(u:receive())`,
			want: "1\n1\nnil connection refused\n",
			log:  []string{"[error]", "recv() failed (111: Connection refused), client: "}},
		{name: "bad arguments", src: `
local u = ngx.socket.udp()
show(u:setpeername("127.0.0.1", 65536))
show(u:setpeername("127.0.0.1", -1))
show(pcall(u.setpeername, u))
show(pcall(u.send, u))
show(pcall(u.receive, u, 1, 2))
show(pcall(u.settimeout, u))
show(pcall(u.close, u, 1))
show(pcall(ngx.socket.udp, 1))
show(pcall(u.send, u, function() end))
show(u:bind("not an address"))`,
			want: "nil bad port number: 65536\nnil bad port number: -1\n" +
				"false ngx.socket.udp setpeername: expecting 2 or 3 arguments (including the object), but seen 1\n" +
				"false expecting 2 arguments (including the object), but got 1\n" +
				"false expecting 1 or 2 arguments (including the object), but got 3\n" +
				"false ngx.socket settimeout: expecting at least 2 arguments (including the object) but seen 1\n" +
				"false expecting 1 argument (including the object) but seen 2\n" +
				"false expecting zero arguments, but got 1\n" +
				"true nil closed\n" +
				"nil bad address\n"},
		{name: "names through the resolver", peers: udpPort(udpEcho),
			cfg: Config{Resolver: resolver}, src: `
local u = ngx.socket.udp()
show(u:setpeername("a.test", $PORT))
show(u:send("via dns"), u:receive())
show(u:setpeername("nx.test", $PORT))
show(u:send("x"))`,
			want: "1\n1 via dns\nnil nx.test could not be resolved (3: Host not found)\nnil closed\n"},
		{name: "a tcp connect to a name that does not resolve logs nothing at error level",
			cfg: Config{Resolver: resolver}, src: `show(ngx.socket.tcp():connect("nx.test", 80))`,
			want:  "nil nx.test could not be resolved (3: Host not found)\n",
			nolog: []string{"[error]"}},
		{name: "bind", peers: func(t *testing.T) map[string]string {
			return map[string]string{"PORT": udpPeer(t, func(req []byte, from net.Addr) [][]byte {
				return [][]byte{[]byte(from.(*net.UDPAddr).IP.String())}
			}, &bound)}
		}, src: `
local u = ngx.socket.udp()
show(u:bind("127.0.0.1"))
show(u:setpeername("127.0.0.1", $PORT))
show(u:send("who am i"), u:receive())`,
			want: "1\n1\n1 127.0.0.1\n"},
		{name: "unix datagram socket", peers: func(t *testing.T) map[string]string {
			dir, err := os.MkdirTemp("", "luaws-udp")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(dir) })
			p := filepath.Join(dir, "d.sock")
			pc, err := net.ListenPacket("unixgram", p)
			if err != nil {
				t.Fatal(err)
			}
			servePackets(t, pc, udpEcho, nil)
			return map[string]string{"PATH": p}
		}, src: `
local u = ngx.socket.udp()
show(u:setpeername("unix:$PATH"))
show(u:send("over unix"), u:receive())
show(u:setpeername("unix:/nonexistent/luaws.sock"))`,
			want: "1\n1 over unix\nnil no such file or directory\n"},
		{name: "light threads wait on their own sockets", peers: udpPort(func(req []byte, _ net.Addr) [][]byte {
			return [][]byte{append([]byte("re "), req...)}
		}), src: `
local function ask(what)
	local u = ngx.socket.udp()
	u:setpeername("127.0.0.1", $PORT)
	u:send(what)
	return u:receive()
end
local a = ngx.thread.spawn(ask, "one")
local b = ngx.thread.spawn(ask, "two")
show(ngx.thread.wait(a))
show(ngx.thread.wait(b))`,
			want: "true re one\ntrue re two\n"},
		{name: "a queued datagram is read without yielding", peers: udpPort(udpEcho), src: `
local u = ngx.socket.udp()
u:setpeername("127.0.0.1", $PORT)
u:send("first")
ngx.sleep(0.05)
local order = {}
local th = ngx.thread.spawn(function() order[#order + 1] = "thread" end)
order[#order + 1] = "before"
order[#order + 1] = u:receive()
order[#order + 1] = "after"
ngx.thread.wait(th)
show(table.concat(order, " "))`,
			want: "thread before first after\n"},
	})
}
