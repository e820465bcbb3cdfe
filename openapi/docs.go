package openapi

import (
	"embed"
	"io/fs"
	"net/http"
)

// docsUI is Swagger UI, vendored (scripts/vendor-docs.sh) so that /docs
// works on a network without the internet.
//
//go:embed docsui
var docsUI embed.FS

// registerDocs serves the API documentation page at /docs.
func registerDocs(mux *http.ServeMux) {
	sub, err := fs.Sub(docsUI, "docsui")
	if err != nil {
		panic(err) // embedded at compile time
	}
	files := http.FileServerFS(sub)
	mux.HandleFunc("GET /docs", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, sub, "index.html")
	})
	mux.Handle("GET /docs/", http.StripPrefix("/docs/", cacheFor(files, "public, max-age=86400")))
}

func cacheFor(h http.Handler, value string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", value)
		h.ServeHTTP(w, r)
	})
}
