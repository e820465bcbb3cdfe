package openapi

import (
	"net/http"

	"minerights/web"
)

// registerWebMap serves the map at / and its files under /map/.
func registerWebMap(mux *http.ServeMux) {
	files := web.Static()
	static := http.StripPrefix("/map/", http.FileServerFS(files))
	mux.Handle("GET /map/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The files change only with the binary; a day's caching is safe
		// and revalidation is cheap (Last-Modified of the embed).
		w.Header().Set("Cache-Control", "public, max-age=3600")
		static.ServeHTTP(w, r)
	}))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, files, "index.html")
	})
}
