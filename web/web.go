// Package web holds the browser files: the map app (index.html, app.js),
// the pages' style sheet and the sale room's script (site.css, room.js),
// and MapLibre GL JS, vendored from npm by `npm run build`, compiled into the
// binary so that nothing needs the network or a basemap server at run time.
// The pages themselves are package web/pages.
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
