// Package scripts embeds the default handler: the seed blog post's echo server, verbatim.
package scripts

import _ "embed"

// Echo is scripts/echo.lua, the handler luaws serves at /s when given no --location.
//
//go:embed echo.lua
var Echo []byte
