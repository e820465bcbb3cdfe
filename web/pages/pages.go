// Package pages serves the web pages people use, in Chinese (zh-CN):
// sign-in, registration of bidding companies, the announced sales (出让公告),
// a sale's announcement and application, the sale room, the result and the
// confirmation letter. Pages are html/template, compiled into the binary.
//
// A page reads and changes a sale only through the HTTP API, called in
// process as the signed-in user (the session cookie goes along): so a page
// shows exactly what the API lets that user see and does what the API lets
// them do, with the API's checks, and no rule of the transfer or of its
// secrecy is written twice. Accounts and sessions, which the API does not
// serve, go to the store through the Accounts interface.
package pages

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"minerights/auction"
	"minerights/internal/money"
	"minerights/registry"
	"minerights/web"
)

// Accounts are the store operations on accounts and sessions the pages use.
type Accounts interface {
	SignIn(ctx context.Context, login, password, addr string) (registry.Session, error)
	SessionPrincipal(ctx context.Context, token string) (registry.Principal, error)
	EndSession(ctx context.Context, token string) error
	RegisterBidder(ctx context.Context, in registry.BidderRegistration) (registry.Account, error)
}

var _ Accounts = (*registry.Store)(nil)

// Deps are what the pages need.
type Deps struct {
	Accounts Accounts
	// API is the HTTP API's handler (the mux it is registered on), called
	// in process.
	API http.Handler
	// Calendar is the working-day calendar in force, for showing the
	// announcement's windows in working days; nil shows none.
	Calendar func(context.Context) (auction.Calendar, error)
	// Authority is the issuing authority named on the pages and on printed
	// documents (MINERIGHTS_AUTHORITY, e.g. 驻马店市自然资源和规划局); empty
	// says 自然资源和规划局.
	Authority string
	Log       *slog.Logger
}

// anonCSRFCookie carries the CSRF token of forms shown to a visitor who is
// not signed in (sign-in, registration): the form field must equal it.
const anonCSRFCookie = "mr_csrf"

type pages struct {
	acc  Accounts
	api  http.Handler
	cal  func(context.Context) (auction.Calendar, error)
	log  *slog.Logger
	tmpl map[string]*template.Template
	// authority is the issuing authority (Deps.Authority).
	authority string
}

//go:embed templates/*.html
var templates embed.FS

// shanghai is the time zone every page speaks in.
var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600) // China has kept UTC+8 without DST since 1991
	}
	return l
}()

// New registers the pages on mux.
func New(mux *http.ServeMux, d Deps) {
	p := &pages{acc: d.Accounts, api: d.API, cal: d.Calendar, log: d.Log, authority: or(d.Authority, "自然资源和规划局"), tmpl: map[string]*template.Template{}}
	if p.log == nil {
		p.log = slog.Default()
	}
	funcs := template.FuncMap{
		"cst":     cst,
		"cstDate": func(t time.Time) string { return t.In(shanghai).Format("2006年1月2日") },
		"wan":     func(yuan int64) string { return money.FormatWan(yuan) },
		"capital": money.CapitalYuan,
		"method":  func(m string) string { return or(methodNames[m], m) },
		"state":   func(s string) string { return or(stateNames[s], s) },
		"phase":   func(s string) string { return or(phaseNames[s], s) },
		"fail":    func(s string) string { return or(failNames[s], s) },
		"rules":   rulesName,
		"json": func(v any) (template.JS, error) {
			b, err := json.Marshal(v)
			return template.JS(b), err
		},
	}
	for _, name := range []string{"login", "register", "logout", "sales", "sale", "room", "result", "error"} {
		p.tmpl[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templates, "templates/layout.html", "templates/"+name+".html"))
	}
	p.deskRoutes(mux, funcs)
	mux.HandleFunc("GET /login", p.loginPage)
	mux.HandleFunc("POST /login", p.login)
	mux.HandleFunc("GET /register", p.registerPage)
	mux.HandleFunc("POST /register", p.register)
	mux.HandleFunc("GET /logout", p.logoutPage)
	mux.HandleFunc("POST /logout", p.logout)
	mux.HandleFunc("GET /sales", p.salesPage)
	mux.HandleFunc("GET /sales/{id}", p.salePage)
	mux.HandleFunc("POST /sales/{id}/application", p.apply)
	mux.HandleFunc("GET /sales/{id}/room", p.roomPage)
	mux.HandleFunc("GET /sales/{id}/result", p.resultPage)
	mux.HandleFunc("GET /sales/{id}/letter", p.letterPage)
	mux.HandleFunc("GET /money", p.moneyJSON)
	mux.HandleFunc("GET /session.json", p.sessionJSON)
	p.registerDesk(mux, funcs)
	// The English read-only sale page of the map is replaced by the room.
	mux.HandleFunc("GET /map/sale.html", func(w http.ResponseWriter, r *http.Request) {
		if id, err := strconv.ParseInt(r.URL.Query().Get("id"), 10, 64); err == nil && id > 0 {
			http.Redirect(w, r, fmt.Sprintf("/sales/%d/room", id), http.StatusMovedPermanently)
			return
		}
		http.Redirect(w, r, "/sales", http.StatusMovedPermanently)
	})
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// cst writes a time in Beijing time, to the second.
func cst(t any) string {
	switch v := t.(type) {
	case time.Time:
		if v.IsZero() {
			return "—"
		}
		return v.In(shanghai).Format("2006年1月2日 15:04:05")
	case *time.Time:
		if v == nil {
			return "—"
		}
		return cst(*v)
	}
	return ""
}

// view is what every page's template gets: who is signed in, the CSRF token
// for its forms, and the page's own data.
type view struct {
	// Authority is the issuing authority (Deps.Authority).
	Authority string
	Title     string
	Me        *registry.Principal
	CSRF      string
	Path      string
	Flash     string
	Error     string
	Page      any
}

// session returns the signed-in principal and the session token, or nil.
func (p *pages) session(r *http.Request) (*registry.Principal, string) {
	c, err := r.Cookie(web.SessionCookie)
	if err != nil || !registry.IsSessionToken(c.Value) {
		return nil, ""
	}
	pr, err := p.acc.SessionPrincipal(r.Context(), c.Value)
	if err != nil {
		if !errors.Is(err, registry.ErrUnauthenticated) {
			p.log.Error("session", "err", err)
		}
		return nil, ""
	}
	return &pr, c.Value
}

// newView makes the common part of a page: for a visitor who is not signed
// in, a CSRF cookie for the page's forms.
func (p *pages) newView(w http.ResponseWriter, r *http.Request, title string) view {
	v := view{Title: title, Path: r.URL.Path, Authority: p.authority}
	if me, _ := p.session(r); me != nil {
		v.Me, v.CSRF = me, me.CSRF
		return v
	}
	if c, err := r.Cookie(anonCSRFCookie); err == nil && len(c.Value) >= 32 {
		v.CSRF = c.Value
		return v
	}
	v.CSRF = randomToken()
	http.SetCookie(w, &http.Cookie{Name: anonCSRFCookie, Value: v.CSRF, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secure(r)})
	return v
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// secure is true behind HTTPS, directly or through a proxy that says so.
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// checkCSRF verifies a form's token: the session's for a signed-in user,
// the CSRF cookie's for a visitor.
func (p *pages) checkCSRF(r *http.Request, me *registry.Principal) bool {
	got := r.PostFormValue(web.CSRFField)
	var want string
	if me != nil {
		want = me.CSRF
	} else if c, err := r.Cookie(anonCSRFCookie); err == nil {
		want = c.Value
	}
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// pageCSP is what a page may load and where its forms may post.
const pageCSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"

func (p *pages) render(w http.ResponseWriter, name string, status int, v view) {
	p.write(w, name, status, v, pageCSP)
}

// write executes template name with data and sends it, never cached, never
// framed, under the content security policy csp.
func (p *pages) write(w http.ResponseWriter, name string, status int, data any, csp string) {
	var buf bytes.Buffer
	if err := p.tmpl[name].Execute(&buf, data); err != nil {
		p.log.Error("render", "page", name, "err", err)
		http.Error(w, "页面生成失败", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", "zh-CN")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", csp)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail shows the error page with a message in Chinese.
func (p *pages) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	v := p.newView(w, r, "无法完成")
	v.Error = msg
	v.Page = status
	p.render(w, "error", status, v)
}

// forbidden answers a page refused by CSRF.
func (p *pages) forbiddenCSRF(w http.ResponseWriter, r *http.Request) {
	p.fail(w, r, http.StatusForbidden, ruleWords["csrf"])
}

// Protect refuses cross-origin changes (CSRF by a foreign page) to the whole
// handler, pages and API alike, by the browser's Sec-Fetch-Site and Origin
// headers (net/http's CrossOriginProtection); clients that are not browsers
// send neither and pass, and carry bearer tokens rather than cookies anyway.
// The refusal is a problem document in Chinese.
func Protect(h http.Handler) http.Handler {
	c := http.NewCrossOriginProtection()
	c.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"title": "Forbidden", "status": http.StatusForbidden,
			"detail": "跨站请求被拒绝：请从本系统的页面提交（cross-origin request refused）",
			"errors": []map[string]string{{"location": "header.Origin", "message": "csrf"}},
		})
	}))
	return c.Handler(h)
}
