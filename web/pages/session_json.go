package pages

import (
	"encoding/json"
	"net/http"

	"minerights/web"
)

// sessionJSON tells a page of this site that is not rendered here (the
// planner's map, a static file) who is signed in and the session's CSRF
// token, which its API calls that change or compute something must carry
// in X-CSRF-Token, as the rendered pages' forms do. Only a page of the same
// origin can read the answer (no CORS), so the token stays as private as
// in a rendered page; a visitor gets 204.
func (p *pages) sessionJSON(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	me, _ := p.session(r)
	if me == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"name": me.Name, "role": me.Role, "csrf": me.CSRF, "header": web.CSRFHeader})
}
