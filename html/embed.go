// Package html embeds the default document root: the seed blog post's demo page.
package html

import "embed"

// FS holds websockets.html.
//
//go:embed websockets.html
var FS embed.FS
