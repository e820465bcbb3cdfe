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

// SessionCookie is the name of the browser session cookie, which the pages
// set at sign-in and the API accepts beside bearer tokens.
const SessionCookie = "mr_session"

// CSRFHeader carries a session's CSRF token on the API calls a page makes;
// forms carry it in the field CSRFField.
const (
	CSRFHeader = "X-CSRF-Token"
	CSRFField  = "csrf"
)
