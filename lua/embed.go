// Package luasrc embeds luaws's Lua modules (lua/resty/**/*.lua) so that the binary
// carries them and they win over same-named files on lua_package_path.
package luasrc

import "embed"

// FS holds the embedded modules, by path ("resty/websocket/server.lua").
//
//go:embed all:resty
var FS embed.FS
