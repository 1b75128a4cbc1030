package luabind

import (
	"encoding/binary"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/luaws/luaws/internal/testpeer"
)

// resty.dns.resolver against a real dnsmasq, and against scripted servers for bad replies.

const dnsNew = `local resolver = require "resty.dns.resolver"
local r, err = resolver:new{ nameservers = { {"127.0.0.1", $DNS} }, retrans = $RETRANS, timeout = 300 }
if not r then ngx.say("failed to instantiate resolver: ", err) return end
local function rr(ans)
	if not ans then return "nil" end
	local keys = {}
	for k in pairs(ans) do keys[#keys + 1] = k end
	table.sort(keys)
	local out = {}
	for _, k in ipairs(keys) do
		local v = ans[k]
		if type(v) == "table" then v = "{" .. table.concat(v, ",") .. "}" end
		out[#out + 1] = k .. "=" .. tostring(v)
	end
	return table.concat(out, " ")
end
local function q(name, opts)
	local ans, err, tries = r:query(name, opts, {})
	if not ans then
		ngx.say((("error: " .. err .. " tries: " .. table.concat(tries, " | ")):gsub("127%.0%.0%.1:%d+", "SERVER")))
		return
	end
	if ans.errcode then ngx.say("errcode=", ans.errcode, " errstr=", ans.errstr) end
	for i, a in ipairs(ans) do ngx.say(rr(a)) end
end
`

// bigTXT is a TXT record too large for a 512-byte UDP reply: dnsmasq sets TC, and the
// resolver asks again over TCP.
var bigTXT = strings.Repeat("x", 200)

func TestRestyDNSResolver(t *testing.T) {
	port := testpeer.StartDnsmasq(t,
		"--host-record=a.test,127.0.0.1,::1",
		"--host-record=multi.test,127.0.0.2",
		"--cname=alias.test,a.test",
		"--mx-host=mx.test,mail.a.test,10",
		"--srv-host=_xmpp._tcp.srv.test,target.a.test,5222,5,20",
		"--txt-record=txt.test,hello world",
		"--txt-record=txt2.test,one,two",
		`--txt-record=big.test,`+bigTXT+","+bigTXT+","+bigTXT,
		"--ptr-record=9.0.0.10.in-addr.arpa,nine.test",
		"--address=/nx.test/")
	vars := func(*testing.T) map[string]string {
		return map[string]string{"DNS": strconv.Itoa(port), "RETRANS": "2"}
	}
	runSockCases(t, []sockCase{
		{name: "A and AAAA", peers: vars, src: dnsNew + `
q("a.test")
q("a.test", { qtype = r.TYPE_AAAA })
q("a.test.")
local ans = r:query("a.test", { qtype = r.TYPE_AAAA })
show(resolver.compress_ipv6_addr(ans[1].address))`,
			want: "address=127.0.0.1 class=1 name=a.test section=1 ttl=300 type=1\n" +
				"address=0:0:0:0:0:0:0:1 class=1 name=a.test section=1 ttl=300 type=28\n" +
				"address=127.0.0.1 class=1 name=a.test section=1 ttl=300 type=1\n::1\n"},
		{name: "CNAME MX SRV TXT PTR", peers: vars, src: dnsNew + `
q("alias.test")
q("mx.test", { qtype = r.TYPE_MX })
q("_xmpp._tcp.srv.test", { qtype = r.TYPE_SRV })
q("txt.test", { qtype = r.TYPE_TXT })
q("txt2.test", { qtype = r.TYPE_TXT })
local ans = r:reverse_query("10.0.0.9")
show(rr(ans[1]))`,
			want: "class=1 cname=a.test name=alias.test section=1 ttl=300 type=5\n" +
				"address=127.0.0.1 class=1 name=a.test section=1 ttl=300 type=1\n" +
				"class=1 exchange=mail.a.test name=mx.test preference=10 section=1 ttl=300 type=15\n" +
				"class=1 name=_xmpp._tcp.srv.test port=5222 priority=5 section=1 target=target.a.test ttl=300 type=33 weight=20\n" +
				"class=1 name=txt.test section=1 ttl=300 txt=hello world type=16\n" +
				"class=1 name=txt2.test section=1 ttl=300 txt={one,two} type=16\n" +
				"class=1 name=9.0.0.10.in-addr.arpa ptrdname=nine.test section=1 ttl=300 type=12\n"},
		{name: "server error codes", peers: vars, src: dnsNew + `
q("nx.test")
q("unknown.example")`,
			want: "errcode=3 errstr=name error\nerrcode=5 errstr=refused\n"},
		{name: "truncated reply retried over TCP, tcp_query", peers: vars, src: dnsNew + `
local ans = r:query("big.test", { qtype = r.TYPE_TXT })
show(#ans, type(ans[1].txt), #ans[1].txt, #ans[1].txt[1])
ans = r:tcp_query("a.test")
show(ans[1].address)
show(r:query(".a.test"))
show(r:tcp_query(".a.test"))`,
			want: "1 table 3 200\n127.0.0.1\nnil bad name\nnil bad name\n"},
		{name: "nameserver as host:port, no_random, no_recurse", peers: vars, src: `
local resolver = require "resty.dns.resolver"
local r = resolver:new{ nameservers = { "127.0.0.1:$DNS" }, no_random = true, no_recurse = true }
show(r:query("a.test")[1].address, r:tcp_query("a.test")[1].address, r:query("big.test", { qtype = r.TYPE_TXT })[1].txt[3] == ("` + bigTXT + `"))`,
			want: "127.0.0.1 127.0.0.1 true\n"},
		{name: "set_timeout, destroy", peers: vars, src: dnsNew + `
show(r:set_timeout(1000))
r:destroy()
show(r:query("a.test"))
show(r:tcp_query("a.test"))
show(r:set_timeout(10))
show(resolver:new({}))
show(resolver:new())
show(resolver.new(nil, { nameservers = {} }))
local r2 = resolver:new{ nameservers = { "127.0.0.1" } }
show(r2.servers[1][1], r2.servers[1][2])`,
			want: "\nnil not initialized\nnil not initialized\nnil not initialized\nnil no nameservers specified\n" +
				"nil no options table specified\nnil no nameservers specified\n127.0.0.1 53\n"},
		{name: "static helpers", src: `local resolver = require "resty.dns.resolver"
show(resolver.compress_ipv6_addr("FF01:0:0:0:0:0:0:101"), resolver.compress_ipv6_addr("0:0:0:0:0:0:0:1"),
	resolver.compress_ipv6_addr("1:0:0:0:0:0:0:0"), resolver.compress_ipv6_addr("0:0:0:0:0:0:0:0"),
	resolver.compress_ipv6_addr("1:2:3:4:5:6:7:8"), resolver.compress_ipv6_addr("1:0:0:2:0:0:0:3"))
show(resolver.expand_ipv6_addr("FF01::101"), resolver.expand_ipv6_addr("::1"), resolver.expand_ipv6_addr("::"),
	resolver.expand_ipv6_addr("1::"), resolver.expand_ipv6_addr("1:2:3:4:5:6:7:8"))
show(resolver.arpa_str("1.2.3.4"), resolver.arpa_str("FF01::101"))
show(resolver.TYPE_A, resolver.TYPE_NS, resolver.TYPE_CNAME, resolver.TYPE_SOA, resolver.TYPE_PTR, resolver.TYPE_MX,
	resolver.TYPE_TXT, resolver.TYPE_AAAA, resolver.TYPE_SRV, resolver.TYPE_SPF, resolver.CLASS_IN,
	resolver.SECTION_AN, resolver.SECTION_NS, resolver.SECTION_AR, resolver._VERSION)`,
			want: "FF01::101 ::1 1:: :: 1:2:3:4:5:6:7:8 1::2:0:0:0:3\n" +
				"FF01:0:0:0:0:0:0:101 0:0:0:0:0:0:0:1 0:0:0:0:0:0:0:0 1:0:0:0:0:0:0:0 1:2:3:4:5:6:7:8\n" +
				"4.3.2.1.in-addr.arpa 1.0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.F.F.ip6.arpa\n" +
				"1 2 5 6 12 15 16 28 33 99 1 1 2 3 0.23\n"},
	})
}

// dnsReply is a reply to query req: the question copied, with the given id, flags, answer
// count and answer bytes.
func dnsReply(req []byte, id uint16, flags uint16, nan uint16, answers []byte) []byte {
	if len(req) < 12 {
		return nil
	}
	b := make([]byte, 12, 512)
	binary.BigEndian.PutUint16(b[0:], id)
	binary.BigEndian.PutUint16(b[2:], flags)
	binary.BigEndian.PutUint16(b[4:], 1)
	binary.BigEndian.PutUint16(b[6:], nan)
	b = append(b, req[12:]...)
	return append(b, answers...)
}

// aRecord is an A answer pointing at the question's name.
func aRecord(ip [4]byte) []byte {
	return append([]byte{0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4}, ip[:]...)
}

func reqID(req []byte) uint16 {
	if len(req) < 2 {
		return 0
	}
	return binary.BigEndian.Uint16(req)
}

// TestRestyDNSBadServers: replies a resolver must survive, each a clear nil, err.
func TestRestyDNSBadServers(t *testing.T) {
	served := func(reply func(req []byte, _ net.Addr) [][]byte) func(t *testing.T) map[string]string {
		return func(t *testing.T) map[string]string {
			return map[string]string{"DNS": udpPeer(t, reply, nil), "RETRANS": "2"}
		}
	}
	ok := [4]byte{10, 1, 2, 3}
	runSockCases(t, []sockCase{
		{name: "garbage", peers: served(func(req []byte, _ net.Addr) [][]byte {
			return [][]byte{[]byte("garbage")}
		}), src: dnsNew + `q("a.test")`,
			want: "error: failed to connect to TCP server SERVER: connection refused tries: " +
				"failed to connect to TCP server SERVER: connection refused | failed to connect to TCP server SERVER: connection refused\n"},
		{name: "no QR flag", peers: served(func(req []byte, _ net.Addr) [][]byte {
			return [][]byte{dnsReply(req, reqID(req), 0x0100, 1, aRecord(ok))}
		}), src: dnsNew + `q("a.test")`,
			want: "error: bad QR flag in the DNS response tries: bad QR flag in the DNS response | bad QR flag in the DNS response\n"},
		{name: "silent server", peers: served(nil), src: dnsNew + `q("a.test")`,
			want: "error: failed to receive reply from UDP server SERVER: timeout tries: " +
				"failed to receive reply from UDP server SERVER: timeout | failed to receive reply from UDP server SERVER: timeout\n",
			log: []string{"lua udp socket read timed out"}},
		{name: "wrong ids, then the right one", peers: served(func(req []byte, _ net.Addr) [][]byte {
			id := reqID(req)
			return [][]byte{dnsReply(req, id+1, 0x8180, 1, aRecord([4]byte{6, 6, 6, 6})),
				dnsReply(req, id+2, 0x8180, 1, aRecord([4]byte{6, 6, 6, 6})),
				dnsReply(req, id, 0x8180, 1, aRecord(ok))}
		}), src: dnsNew + `q("a.test")`,
			want: "address=10.1.2.3 class=1 name=a.test section=1 ttl=60 type=1\n"},
		{name: "wrong ids only", peers: served(func(req []byte, _ net.Addr) [][]byte {
			return [][]byte{dnsReply(req, reqID(req)+1, 0x8180, 1, aRecord(ok))}
		}), src: dnsNew + `q("a.test")`,
			want: "error: failed to receive reply from UDP server SERVER: timeout tries: " +
				"failed to receive reply from UDP server SERVER: timeout | failed to receive reply from UDP server SERVER: timeout\n"},
		{name: "record cut short, no TCP server", peers: served(func(req []byte, _ net.Addr) [][]byte {
			r := dnsReply(req, reqID(req), 0x8180, 1, aRecord(ok))
			return [][]byte{r[:len(r)-2]}
		}), src: dnsNew + `q("a.test")`,
			want: "error: failed to connect to TCP server SERVER: connection refused tries: " +
				"failed to connect to TCP server SERVER: connection refused | failed to connect to TCP server SERVER: connection refused\n"},
		{name: "bad record lengths", peers: served(func(req []byte, _ net.Addr) [][]byte {
			bad := append([]byte{0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 3}, 1, 2, 3)
			return [][]byte{dnsReply(req, reqID(req), 0x8180, 1, bad)}
		}), src: dnsNew + `q("a.test")`,
			want: "error: bad A record value length: 3 tries: bad A record value length: 3 | bad A record value length: 3\n"},
		{name: "oversized reply", peers: served(func(req []byte, _ net.Addr) [][]byte {
			txt := append([]byte{0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0x27, 0x10}, []byte(strings.Repeat("\xffy", 5000))...)
			return [][]byte{dnsReply(req, reqID(req), 0x8180, 1, txt)}
		}), src: dnsNew + `q("a.test", { qtype = r.TYPE_TXT })`,
			want: "error: failed to connect to TCP server SERVER: connection refused tries: " +
				"failed to connect to TCP server SERVER: connection refused | failed to connect to TCP server SERVER: connection refused\n"},
		// lua-resty-dns follows 128 pointers, then takes the name as read so far.
		{name: "pointer loop", peers: served(func(req []byte, _ net.Addr) [][]byte {
			r := dnsReply(req, reqID(req), 0x8180, 1, nil)
			loop := []byte{0xc0, byte(len(r))} // points at itself
			rec := append(loop, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4)
			return [][]byte{append(r, rec...)}
		}), src: dnsNew + `q("a.test")`,
			want: "address=1.2.3.4 class=1 name= section=1 ttl=60 type=1\n"},
	})
}
