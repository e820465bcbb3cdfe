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
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
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

func (p *pages) render(w http.ResponseWriter, name string, status int, v view) {
	var buf bytes.Buffer
	if err := p.tmpl[name].Execute(&buf, v); err != nil {
		p.log.Error("render", "page", name, "err", err)
		http.Error(w, "页面生成失败", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", "zh-CN")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
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

func (p *pages) loginPage(w http.ResponseWriter, r *http.Request) {
	v := p.newView(w, r, "登录")
	v.Page = map[string]string{"Next": safeNext(r.URL.Query().Get("next")), "Login": ""}
	if r.URL.Query().Get("registered") == "1" {
		v.Flash = "注册成功，请登录。"
	}
	p.render(w, "login", http.StatusOK, v)
}

// safeNext keeps a redirect target on this site.
func safeNext(s string) string {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") {
		return "/sales"
	}
	return s
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// openForm starts a form that a visitor may post signed in or not (login,
// registration): it bounds the body and checks the CSRF token against the
// session or the anonymous cookie. When it answers false it has already
// written the refusal; else it answers the session token the request came
// with, if any.
func (p *pages) openForm(w http.ResponseWriter, r *http.Request) (string, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	me, old := p.session(r)
	if !p.checkCSRF(r, me) && !p.checkCSRF(r, nil) {
		p.forbiddenCSRF(w, r)
		return "", false
	}
	return old, true
}

func (p *pages) login(w http.ResponseWriter, r *http.Request) {
	old, ok := p.openForm(w, r)
	if !ok {
		return
	}
	login, pw, next := r.PostFormValue("login"), r.PostFormValue("password"), safeNext(r.PostFormValue("next"))
	sess, err := p.acc.SignIn(r.Context(), login, pw, clientAddr(r))
	if err != nil {
		v := p.newView(w, r, "登录")
		v.Page = map[string]string{"Next": next, "Login": login}
		status := http.StatusUnauthorized
		var te *registry.ThrottledError
		switch {
		case errors.As(err, &te):
			status = http.StatusTooManyRequests
			secs := int(time.Until(te.Until).Seconds()) + 1
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			v.Error = fmt.Sprintf("登录失败次数过多，请于 %s 之后再试。", cst(te.Until))
		case errors.Is(err, registry.ErrBadCredentials):
			v.Error = "电子邮箱或密码不正确。"
		case errors.Is(err, registry.ErrAccountDisabled):
			status = http.StatusForbidden
			v.Error = "该账户已被停用，请与自然资源和规划局联系。"
		default:
			p.log.Error("sign in", "err", err)
			status = http.StatusServiceUnavailable
			v.Error = statusWords[http.StatusServiceUnavailable]
		}
		p.render(w, "login", status, v)
		return
	}
	if old != "" {
		// A session the browser had before is never carried over.
		_ = p.acc.EndSession(r.Context(), old)
	}
	http.SetCookie(w, &http.Cookie{Name: web.SessionCookie, Value: sess.Token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: secure(r), Expires: sess.ExpiresAt})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// registration is the form of /register, kept to show it again.
type registration struct {
	Company, CreditCode, Contact, Phone, Email string
	Field                                      string
}

func (p *pages) registerPage(w http.ResponseWriter, r *http.Request) {
	v := p.newView(w, r, "竞买人注册")
	v.Page = registration{}
	p.render(w, "register", http.StatusOK, v)
}

// fieldNames are the registration form's labels, for messages.
var fieldNames = map[string]string{"company": "单位名称", "credit_code": "统一社会信用代码", "contact": "联系人",
	"phone": "联系电话", "email": "电子邮箱", "password": "密码"}

func (p *pages) register(w http.ResponseWriter, r *http.Request) {
	_, ok := p.openForm(w, r)
	if !ok {
		return
	}
	f := registration{Company: r.PostFormValue("company"), CreditCode: r.PostFormValue("credit_code"), Contact: r.PostFormValue("contact"),
		Phone: r.PostFormValue("phone"), Email: r.PostFormValue("email")}
	pw := r.PostFormValue("password")
	show := func(status int, field, msg string) {
		v := p.newView(w, r, "竞买人注册")
		f.Field = field
		v.Page, v.Error = f, msg
		p.render(w, "register", status, v)
	}
	if pw != r.PostFormValue("password2") {
		show(http.StatusUnprocessableEntity, "password", "两次输入的密码不一致。")
		return
	}
	_, err := p.acc.RegisterBidder(r.Context(), registry.BidderRegistration{Company: f.Company, CreditCode: f.CreditCode,
		Contact: f.Contact, Phone: f.Phone, Email: f.Email, Password: pw})
	var ve *registry.ValidationError
	switch {
	case errors.As(err, &ve):
		reason := ve.Reason
		if i := strings.LastIndex(reason, "; "); i >= 0 {
			reason = reason[i+2:]
		}
		show(http.StatusUnprocessableEntity, ve.Field, or(fieldNames[ve.Field], ve.Field)+"："+reason)
		return
	case errors.Is(err, registry.ErrConflict):
		msg := "该单位或电子邮箱已注册。"
		var ce *registry.ConflictError
		errors.As(err, &ce)
		if ce != nil && ce.Field == "credit_code" {
			show(http.StatusConflict, "credit_code", "该统一社会信用代码已注册，请直接登录。")
			return
		}
		if ce != nil && ce.Field == "email" {
			show(http.StatusConflict, "email", "该电子邮箱已注册，请直接登录。")
			return
		}
		show(http.StatusConflict, "", msg)
		return
	case err != nil:
		p.log.Error("register", "err", err)
		show(http.StatusServiceUnavailable, "", statusWords[http.StatusServiceUnavailable])
		return
	}
	sess, err := p.acc.SignIn(r.Context(), f.Email, pw, clientAddr(r))
	if err != nil {
		http.Redirect(w, r, "/login?registered=1", http.StatusSeeOther)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: web.SessionCookie, Value: sess.Token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: secure(r), Expires: sess.ExpiresAt})
	http.Redirect(w, r, "/sales?welcome=1", http.StatusSeeOther)
}

func (p *pages) logoutPage(w http.ResponseWriter, r *http.Request) {
	v := p.newView(w, r, "退出登录")
	p.render(w, "logout", http.StatusOK, v)
}

func (p *pages) logout(w http.ResponseWriter, r *http.Request) {
	me, token := p.session(r)
	if me != nil {
		if !p.checkCSRF(r, me) {
			p.forbiddenCSRF(w, r)
			return
		}
		if err := p.acc.EndSession(r.Context(), token); err != nil {
			p.log.Error("sign out", "err", err)
			p.fail(w, r, http.StatusServiceUnavailable, statusWords[http.StatusServiceUnavailable])
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: web.SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: secure(r)})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// moneyJSON writes an amount given in 万元 three ways, for the sale room's
// confirmation: the figures, 万元 and 大写 come from internal/money, never
// from a second copy in the browser.
func (p *pages) moneyJSON(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	yuan, err := money.ParseWan(strings.TrimSpace(r.URL.Query().Get("wan")))
	if err != nil || yuan <= 0 {
		w.WriteHeader(http.StatusUnprocessableEntity)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "请输入以万元为单位的金额，例如 43586.65（最多四位小数，即精确到元）"})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"yuan": yuan, "wan_yuan": money.FormatWan(yuan), "capital": money.CapitalYuan(yuan),
		"figures": groupDigits(yuan)})
}

// groupDigits writes 元 with thousands separators: 435866500 → 435,866,500.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// loginURL sends a visitor to sign in and back.
func loginURL(r *http.Request) string {
	return "/login?next=" + url.QueryEscape(r.URL.RequestURI())
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
