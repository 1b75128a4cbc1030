package server

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// waitLog waits for substr in the error log; it fails after 10 s (a hang guard).
func waitLog(t *testing.T, logs *syncBuf, substr string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if strings.Contains(logs.String(), substr) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("error log lacks %q:\n%s", substr, logs)
}

// TestClientAbort: with lua_check_client_abort on, a client that goes away while the
// request's light threads run is noticed as nginx does (101-on-abort TEST 3-6, 10, 11).
func TestClientAbort(t *testing.T) {
	conf := `http {
    access_log off;
    lua_check_client_abort on;
    server {
        listen 127.0.0.1:0;
        location /uthread {
            content_by_lua_block {
                -- the entry thread is over when the client goes; a user thread still runs
                uthread_aborted = false
                ngx.on_abort(function() uthread_aborted = true ngx.log(ngx.NOTICE, "on abort called") end)
                ngx.thread.spawn(function()
                    ngx.log(ngx.NOTICE, "started")
                    while not uthread_aborted do ngx.sleep(0.001) end
                    ngx.log(ngx.NOTICE, "main handler done")
                end)
            }
        }
        location /capture {
            content_by_lua_block {
                capture_aborted = false
                ngx.on_abort(function() capture_aborted = true ngx.log(ngx.NOTICE, "on abort called") end)
                local res = ngx.location.capture("/sub")
                ngx.log(ngx.NOTICE, "main handler done: ", res.status, " ", res.body)
            }
        }
        location /sub {
            content_by_lua_block {
                -- the subrequest goes on after the client left, until on_abort says so
                ngx.log(ngx.NOTICE, "started")
                while not capture_aborted do ngx.sleep(0.001) end
                ngx.print("sub done")
            }
        }
    }
}`
	for _, tc := range []struct{ path, done string }{
		{"/uthread", "main handler done"},
		{"/capture", "main handler done: 200 sub done"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			base, logs, _ := startConf(t, conf, nil)
			conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(conn, "GET "+tc.path+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			waitLog(t, logs, "started")
			conn.Close()
			waitLog(t, logs, tc.done)
			for _, want := range []string{"client prematurely closed connection", "on abort called"} {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("error log lacks %q:\n%s", want, logs)
				}
			}
			if strings.Contains(logs.String(), "[error]") {
				t.Errorf("error logged:\n%s", logs)
			}
		})
	}
}
