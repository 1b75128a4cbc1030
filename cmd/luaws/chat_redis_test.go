package main_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luaws/luaws/internal/testpeer"
)

// TestChatRedisAcrossNodes: scripts/chat_redis.lua on three luaws processes sharing one
// redis-server. Two members on each node send numbered messages; every member must get every
// message exactly once, each sender's in order. Then one node is killed (SIGKILL): the
// members of the other two go on and lose nothing.
func TestChatRedisAcrossNodes(t *testing.T) {
	redisAddr := testpeer.StartRedis(t)
	t.Setenv("LUAWS_REDIS", redisAddr)
	script, err := filepath.Abs(filepath.Join("..", "..", "scripts", "chat_redis.lua"))
	if err != nil {
		t.Fatal(err)
	}
	type node struct {
		proc *testpeer.Proc
		url  string
	}
	var nodes []node
	for i := 0; i < 3; i++ {
		p, base, _ := testpeer.StartLuawsProc(t, "--location", "/chat="+script)
		nodes = append(nodes, node{p, "ws" + strings.TrimPrefix(base, "http") + "/chat?room=r1"})
	}
	type member struct {
		name string
		node int
		c    *websocket.Conn
		got  chan string
	}
	var members []*member
	for n := range nodes {
		for j := 0; j < 2; j++ {
			c, _, err := websocket.DefaultDialer.Dial(nodes[n].url, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			m := &member{name: fmt.Sprintf("n%dm%d", n, j), node: n, c: c, got: make(chan string, 1024)}
			_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
			_, hello, err := c.ReadMessage()
			if err != nil || string(hello) != "joined r1" {
				t.Fatalf("%s: first message %q, %v", m.name, hello, err)
			}
			go func() {
				defer close(m.got)
				for {
					_, msg, err := c.ReadMessage()
					if err != nil {
						return
					}
					m.got <- string(msg)
				}
			}()
			members = append(members, m)
		}
	}

	// round sends perSender messages from each of senders (concurrently) and checks that each
	// of receivers gets exactly those, each sender's in order.
	round := func(tag string, senders, receivers []*member, perSender int) {
		t.Helper()
		var wg sync.WaitGroup
		for _, s := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < perSender; i++ {
					if err := s.c.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf("%s %s %d", tag, s.name, i))); err != nil {
						t.Errorf("%s: send: %v", s.name, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		want := len(senders) * perSender
		for _, r := range receivers {
			next := map[string]int{}
			for n := 0; n < want; n++ {
				select {
				case msg, ok := <-r.got:
					if !ok {
						t.Fatalf("%s: connection ended after %d of %d messages", r.name, n, want)
					}
					var gtag, from string
					var seq int
					if _, err := fmt.Sscanf(msg, "%s %s %d", &gtag, &from, &seq); err != nil || gtag != tag {
						t.Fatalf("%s: unexpected message %q in round %s", r.name, msg, tag)
					}
					if seq != next[from] {
						t.Fatalf("%s: from %s got #%d, want #%d (lost, repeated or reordered)", r.name, from, seq, next[from])
					}
					next[from]++
				case <-time.After(30 * time.Second):
					t.Fatalf("%s: %d of %d messages after 30s", r.name, n, want)
				}
			}
		}
	}
	round("a", members, members, 50)

	// Kill node 2 outright: its members' connections die; the others go on.
	_ = syscall.Kill(-nodes[2].proc.Cmd.Process.Pid, syscall.SIGKILL)
	var alive []*member
	for _, m := range members {
		if m.node != 2 {
			alive = append(alive, m)
		}
	}
	round("b", alive, alive, 50)
	for _, m := range alive {
		select {
		case msg := <-m.got:
			t.Fatalf("%s: extra message %q", m.name, msg)
		default:
		}
	}
}
