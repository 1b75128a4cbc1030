module github.com/luaws/luaws

go 1.26.8

require (
	github.com/dlclark/regexp2 v1.12.0
	github.com/gorilla/websocket v1.5.3 // indirect
	github.com/yuin/gopher-lua v1.1.2 // indirect
	layeh.com/gopher-luar v1.0.11 // indirect
)
