module github.com/luaws/luaws

go 1.26.8

require (
	github.com/dlclark/regexp2 v1.12.0
	github.com/yuin/gopher-lua v1.1.2
)

require github.com/gorilla/websocket v1.5.3

require golang.org/x/crypto v0.59.0
