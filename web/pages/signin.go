package pages

// Signing in and out, and the registration of a bidding company: the
// accounts and sessions the API does not serve, through the store's
// Accounts.

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"minerights/registry"
	"minerights/web"
)

// loginURL sends a visitor to sign in and back.
func loginURL(r *http.Request) string {
	return "/login?next=" + url.QueryEscape(r.URL.RequestURI())
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
