// Package web holds the web map's browser files: the app (index.html,
// app.js, the sale page) and MapLibre GL JS, vendored from npm by
// `npm run build`, compiled into the binary so that the map needs no network
// and no basemap server at run time.
package web

import (
	"embed"
	"io/fs"
)

//go:embed static
var static embed.FS

// Static returns the files served under /map/, index.html among them.
func Static() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // embedded at compile time
	}
	return sub
}
