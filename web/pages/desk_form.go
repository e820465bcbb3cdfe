package pages

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// deskForm is one desk form being answered, from the clerk's gate to the
// redirect: every form of the desk goes the same way (openDeskForm, then
// send, then done), so that the anti-forgery check, the bound on the body,
// the Chinese words of a refusal and the log of a failure are written once.
type deskForm struct {
	p *pages
	w http.ResponseWriter
	r *http.Request
	// v is the page's view: the signed-in clerk; show sets its Error.
	v view
	// page shows the form's page again, with v.Error, at status; nil shows
	// the error page (a form that has no page of its own).
	page func(v view, status int)
	// refused says why the API refused the change; nil says chinese(…). It
	// may also note what the page lists (the problems of a file).
	refused func(rep *apiReply) string
}

// openDeskForm starts answering a desk form: only a signed-in clerk passes
// (deskView); the body is bounded to limit bytes and parsed, as multipart
// when it is sent so (a larger body is refused at 413: on the form's page
// with tooLarge when the form takes a file, else on the error page); the
// form's anti-forgery token must be the session's.
// page is how the form's page is shown again (see deskForm.page). When it
// answers false it has written the refusal.
func (p *pages) openDeskForm(w http.ResponseWriter, r *http.Request, title string, limit int64, tooLarge string,
	page func(v view, status int)) (*deskForm, bool) {
	v, ok := p.deskView(w, r, title)
	if !ok {
		return nil, false
	}
	f := &deskForm{p: p, w: w, r: r, v: v, page: page}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	switch status := parseForm(r, limit); {
	case status == http.StatusRequestEntityTooLarge && tooLarge != "":
		f.show(status, tooLarge)
		return nil, false
	case status != 0:
		p.fail(w, r, status, statusWords[status])
		return nil, false
	}
	if !p.checkCSRF(r, v.Me) {
		p.forbiddenCSRF(w, r)
		return nil, false
	}
	return f, true
}

// parseForm reads a form's body, multipart or url-encoded (a file beyond
// what memory keeps goes to a temporary file, as net/http does); it answers
// 0, or the status of a body it cannot read: a multipart body that does not
// parse is taken for one cut off at the limit.
func parseForm(r *http.Request, limit int64) int {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(min(limit, 1<<20)); err != nil {
			return http.StatusRequestEntityTooLarge
		}
		return 0
	}
	var tooBig *http.MaxBytesError
	switch err := r.ParseForm(); {
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge
	case err != nil:
		return http.StatusBadRequest
	}
	return 0
}

// pathID is the id in the form's path; a path without one is refused
// (404), and pathID answers false.
func (f *deskForm) pathID() (int64, bool) {
	id, ok := pathID(f.r)
	if !ok {
		f.p.fail(f.w, f.r, http.StatusNotFound, statusWords[http.StatusNotFound])
	}
	return id, ok
}

// show writes the form's page again with msg as its error, at status.
func (f *deskForm) show(status int, msg string) {
	if f.page == nil {
		f.p.fail(f.w, f.r, status, msg)
		return
	}
	f.v.Error = msg
	f.page(f.v, status)
}

// send asks the API, as the clerk, for the form's change (a rawBody goes
// as it is, anything else as JSON; hdr may add If-Match). When the API
// answers one of want, send answers the reply. Otherwise the form's page
// says the refusal in Chinese at the API's status, a 5xx goes to the log,
// and send answers false: the change was not made.
func (f *deskForm) send(method, path string, body any, hdr http.Header, want ...int) (*apiReply, bool) {
	rep := f.p.callWith(f.r, f.v.Me, method, path, body, hdr)
	for _, s := range want {
		if rep.status == s {
			return rep, true
		}
	}
	if rep.status >= 500 {
		f.p.log.Error("desk form", "method", method, "path", path, "status", rep.status, "body", rep.body.String())
	}
	if f.refused != nil {
		f.show(rep.status, f.refused(rep))
	} else {
		f.show(rep.status, chinese(rep.status, rep.body.Bytes()))
	}
	return nil, false
}

// sendFor is send that reads the API's answer, when it made the change,
// into out.
func (f *deskForm) sendFor(out any, method, path string, body any, want ...int) bool {
	rep, ok := f.send(method, path, body, nil, want...)
	if ok {
		_ = json.Unmarshal(rep.body.Bytes(), out)
	}
	return ok
}

// done sends the browser on to next, the page that says the change is
// made (its flash named in the address).
func (f *deskForm) done(next string) {
	http.Redirect(f.w, f.r, next, http.StatusSeeOther)
}

// uploaded reads a form's file of at most limit bytes; when there is none,
// or it is larger, it answers the status and the words for the clerk.
func uploaded(r *http.Request, limit int, none, tooLarge string) ([]byte, int, string) {
	file, _, err := r.FormFile("file")
	if err != nil {
		return nil, http.StatusUnprocessableEntity, none
	}
	data, err := io.ReadAll(io.LimitReader(file, int64(limit)+1))
	_ = file.Close()
	if err != nil || len(data) > limit {
		return nil, http.StatusRequestEntityTooLarge, tooLarge
	}
	return data, 0, ""
}
