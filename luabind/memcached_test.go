package luabind

import (
	"strings"
	"testing"

	"github.com/luaws/luaws/internal/testpeer"
)

// resty.memcached against a real memcached (and scripted peers for bad replies).

const memcNew = `local memcached = require "resty.memcached"
local memc = memcached:new()
memc:set_timeout(2000)
local ok, err = memc:connect("127.0.0.1", $PORT)
if not ok then ngx.say("failed to connect: ", err) return end
`

func TestRestyMemcached(t *testing.T) {
	addr := testpeer.StartMemcached(t)
	vars := func(*testing.T) map[string]string {
		return map[string]string{"PORT": addr[strings.LastIndexByte(addr, ':')+1:]}
	}
	runSockCases(t, []sockCase{
		{name: "store and get", peers: vars, src: memcNew + `
show(memc:flush_all())
show(memc:set("dog", "32", 0, 5))
show(memc:get("dog"))
show(memc:get("nokey"))
show(memc:add("dog", "x"))
show(memc:replace("nokey", "x"))
show(memc:append("dog", "1"), memc:prepend("dog", {"a", {"b"}}))
show(memc:get("dog"))
show(memc:set("a b", "spaced"), memc:get("a b"))
show(memc:incr("n", 1))
show(memc:set("n", 10), memc:incr("n", 5), memc:decr("n", 20))
show(memc:incr("dog", 1))
show(memc:delete("dog"), memc:delete("dog"))
show(memc:touch("n", 100), memc:touch("nokey", 1))
`, want: "1\n1\n32 5\nnil nil nil\nnil NOT_STORED\nnil NOT_STORED\n1 1\nab321 5\n1 spaced 0\n" +
			"nil NOT_FOUND\n1 15 0\nnil CLIENT_ERROR cannot increment or decrement non-numeric value\n1 nil NOT_FOUND\n1 nil NOT_FOUND\n"},
		{name: "multi get gets cas", peers: vars, src: memcNew + `
memc:set("k1", "v1", 0, 3) memc:set("k2", "v2")
local res = memc:get({"k1", "k2", "k3"})
show(res.k1[1], res.k1[2], res.k2[1], res.k3)
local v, flags, cas = memc:gets("k1")
show(v, flags, type(cas))
show(memc:cas("k1", "new", cas))
show(memc:cas("k1", "newer", cas))
res = memc:gets({"k1"})
show(res.k1[1], type(res.k1[3]))
show(next(memc:get({})))
`, want: "v1 3 v2 nil\nv1 3 string\n1 nil\nnil EXISTS\nnew string\nnil\n"},
		{name: "pipeline", peers: vars, src: memcNew + `
show(memc:init_pipeline())
show(memc:init_pipeline())
memc:set("p", "1")
memc:get("p")
memc:incr("p", 2)
memc:delete("nokey")
local res = memc:commit_pipeline()
for i, r in ipairs(res) do show(i, r[1], r[2], r[3]) end
show(memc:commit_pipeline())
memc:init_pipeline()
show(memc:commit_pipeline())
`, want: "nil\nalready init pipeline\n1 1 nil nil\n2 1 0 nil\n3 3 nil nil\n4 nil NOT_FOUND nil\nnil no pipeline\nnil no more cmds\n"},
		{name: "stats version verbosity keepalive", peers: vars, src: memcNew + `
local lines = memc:stats()
show(#lines > 10, lines[1]:match("^STAT pid ") ~= nil)
show(memc:stats("nosuch"))
show(type(memc:version()))
show(memc:verbosity(1))
show(memc:get_reused_times())
show(memc:set_keepalive())
local m2 = memcached:new({ key_transform = { function(k) return k .. "_" end, function(k) return k end } })
show(m2:connect("127.0.0.1", $PORT))
show(m2:get_reused_times())
m2:set("t", "x")
show(m2:get("t"))
show(m2:quit())
show(memcached:new({ key_transform = {} }))
`, want: "true true\nnil ERROR\nstring\n1\n0\n1\n1\n1\nx 0\n1\nnil expecting key_transform = { escape, unescape } table\n"},
	})
}

func TestRestyMemcachedBadReplies(t *testing.T) {
	runSockCases(t, []sockCase{
		{name: "vanishes mid value", peers: port(answerPeer("VALUE k 0 10\r\nabc")), src: memcNew + `
show(memc:get("k"))
`, want: "nil nil closed\n"},
		{name: "garbage line", peers: port(replyPeer("HUH\r\n", false)), src: memcNew + `
show(memc:get("k"))
`, want: "nil nil HUH\n"},
		{name: "read timeout closes", peers: port(replyPeer("", false)), src: memcNew + `
memc:set_timeout(50)
show(memc:set("k", "v"))
show(memc:set("k", "v"))
`, want: "nil timeout\nnil closed\n", log: []string{"lua tcp socket read timed out"}},
	})
}
