package pages

// The HTTP API called in process, as the signed-in user: the pages' only
// way to read or change a sale, a parcel or a layer.

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	"minerights/registry"
	"minerights/web"
)

// apiReply is an answer of the API called in process.
type apiReply struct {
	status int
	header http.Header
	body   bytes.Buffer
}

func (a *apiReply) Header() http.Header         { return a.header }
func (a *apiReply) WriteHeader(s int)           { a.status = s }
func (a *apiReply) Write(b []byte) (int, error) { return a.body.Write(b) }

// call runs an API request in process as the user of r: the session cookie
// goes along, and for a change the session's CSRF token (the page has
// checked its form's token first).
func (p *pages) call(r *http.Request, me *registry.Principal, method, path string, body any) *apiReply {
	return p.callWith(r, me, method, path, body, nil)
}

// rawBody is a request body sent as it is (a file), with its media type.
type rawBody struct {
	contentType string
	data        []byte
}

// callWith is call with more request headers (If-Match); a rawBody is sent
// as it is, anything else as JSON.
func (p *pages) callWith(r *http.Request, me *registry.Principal, method, path string, body any, hdr http.Header) *apiReply {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case rawBody:
		rd = bytes.NewReader(b.data)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequestWithContext(r.Context(), method, path, rd)
	req.RemoteAddr = r.RemoteAddr
	req.Host = r.Host
	if c, err := r.Cookie(web.SessionCookie); err == nil {
		req.AddCookie(c)
	}
	if rb, ok := body.(rawBody); ok {
		req.Header.Set("Content-Type", rb.contentType)
	} else if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if me != nil && method != http.MethodGet {
		req.Header.Set(web.CSRFHeader, me.CSRF)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	rep := &apiReply{status: http.StatusOK, header: http.Header{}}
	p.api.ServeHTTP(rep, req)
	return rep
}

// get reads path from the API into out; on a refusal it returns the status
// and the Chinese words for it.
func (p *pages) get(r *http.Request, me *registry.Principal, path string, out any) (int, string) {
	rep := p.call(r, me, http.MethodGet, path, nil)
	if rep.status != http.StatusOK {
		return rep.status, chinese(rep.status, rep.body.Bytes())
	}
	if err := json.Unmarshal(rep.body.Bytes(), out); err != nil {
		p.log.Error("decode API answer", "path", path, "err", err)
		return http.StatusInternalServerError, "页面生成失败"
	}
	return http.StatusOK, ""
}
