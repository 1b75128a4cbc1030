// Command gorillaecho is the pure-Go reference server of bench/run: gorilla/websocket with
// its default buffers, echoing text and binary messages with their type (pings are answered
// by gorilla's default handler).
package main

import (
	"flag"
	"log"
	"net/http"

	"github.com/gorilla/websocket"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	up := websocket.Upgrader{}
	http.HandleFunc("/s", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			typ, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(typ, msg); err != nil {
				return
			}
		}
	})
	log.Fatal(http.ListenAndServe(*listen, nil))
}
