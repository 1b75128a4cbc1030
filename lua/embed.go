// Package luasrc embeds luaws's Lua modules (lua/resty/**/*.lua, lua/jit/*.lua) so that the
// binary carries them and they win over same-named files on lua_package_path. "all:" keeps
// files whose names start with "_" (resty/websocket/_session.lua).
package luasrc

import "embed"

// FS holds the embedded modules, by path ("resty/websocket/server.lua").
//
//go:embed all:resty all:jit
var FS embed.FS
