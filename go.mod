module github.com/luaws/luaws

go 1.26.8

require github.com/yuin/gopher-lua v1.1.2

require github.com/gorilla/websocket v1.5.3 // indirect
