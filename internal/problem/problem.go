// Package problem writes RFC 9457 problem details for the handlers that
// answer outside huma (map tiles, OGC pages, middleware), in the same shape
// huma writes for the API operations.
package problem

import (
	"encoding/json"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

// Write answers status with detail; location, when set, names the input to
// fix (query.bbox, path.featureId, …).
func Write(w http.ResponseWriter, status int, detail, location string) {
	p := &huma.ErrorModel{Title: http.StatusText(status), Status: status, Detail: detail}
	if location != "" {
		p.Errors = []*huma.ErrorDetail{{Location: location, Message: detail}}
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}
