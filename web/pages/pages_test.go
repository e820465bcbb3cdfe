package pages_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"minerights/internal/apitest"
	"minerights/registry"
	"minerights/web"
)

// TestRegisterApproveApply: a company registers on its page (credit code
// checked by its check character), is signed in but may not apply until the
// bureau approves it, then applies on the sale's page and sees its 号牌, the
// deposit and the qualification as the bureau records them.
func TestRegisterApproveApply(t *testing.T) {
	t.Parallel()
	s := newSite(t, rules(t), 1)
	sale := s.offer(1, "listing")
	s.announce(sale, 20*time.Second, 3*time.Second)

	b := s.browser(0)
	bad := b.post("/register", "/register", url.Values{"company": {"甲公司"}, "credit_code": {"91411726MA44444443"}, "contact": {"张三"},
		"phone": {"13800000000"}, "email": {"jia@example.cn"}, "password": {pw}, "password2": {pw}})
	if bad.status != http.StatusUnprocessableEntity {
		t.Fatalf("a wrong check character: %d", bad.status)
	}
	mustContain(t, "register with a wrong check character", bad, "统一社会信用代码", "校验码不符", `value="甲公司"`, `aria-invalid="true"`)
	if a, _, _ := s.db.Store.ListAccounts(context.Background(), registry.AccountFilter{}); len(a) != 0 {
		t.Fatalf("a refused registration stored %d accounts", len(a))
	}

	jia, id := s.register(companies[0])
	if jia.cookie(web.SessionCookie) == "" {
		t.Fatal("registration did not sign the company in")
	}
	dup := s.browser(0).post("/register", "/register", url.Values{"company": {"另一家"}, "credit_code": {companies[0].code}, "contact": {"李四"},
		"phone": {"13800000001"}, "email": {"other@example.cn"}, "password": {pw}, "password2": {pw}})
	if dup.status != http.StatusConflict {
		t.Fatalf("a second registration of one credit code: %d", dup.status)
	}
	mustContain(t, "duplicate registration", dup, "该统一社会信用代码已注册")

	path := fmt.Sprintf("/sales/%d", sale)
	p := jia.do("GET", path, nil)
	mustContain(t, "the sale page of a pending account", p, "尚待自然资源和规划局审核通过", "拐点坐标表", "J1", "万元", "<svg",
		"报名期 0 个工作日", "挂牌期 0 个工作日", `出让规则：<code translate="no">test</code>`)
	if strings.Contains(p.body, "e&#43;") || !strings.Contains(p.body, `>J1</text>`) {
		t.Error("the parcel outline's coordinates are not plain decimals")
	}
	if strings.Contains(p.body, `id="apply"`) {
		t.Error("a pending account is offered the apply button")
	}
	refused := jia.post(path, path+"/application", url.Values{})
	if refused.status != http.StatusForbidden {
		t.Fatalf("a pending account applied: %d %s", refused.status, refused.body)
	}
	mustContain(t, "apply while pending", refused, "审核通过后方可报名")

	s.approve(id)
	p = jia.do("GET", path, nil)
	mustContain(t, "the sale page once approved", p, `id="apply"`)
	applied := jia.post(path, path+"/application", url.Values{})
	if applied.status != http.StatusSeeOther || applied.header.Get("Location") != path+"?applied=1" {
		t.Fatalf("apply: %d %v %s", applied.status, applied.header, applied.body)
	}
	p = jia.do("GET", path+"?applied=1", nil)
	mustContain(t, "after applying", p, "报名成功", "1 号", "未到账", "审核中")
	again := jia.post(path, path+"/application", url.Values{})
	mustContain(t, "applying twice", again, "您已报名，无需重复报名")

	s.admit(sale, id)
	p = jia.do("GET", path, nil)
	mustContain(t, "after the deposit and qualification", p, "已到账", "已通过")
	list := jia.do("GET", "/sales", nil)
	mustContain(t, "the sales list", list, "采矿权出让公告", "泌阳县", "挂牌", "报名中", path)
}

// TestCSRF: a change made with the session cookie needs the session's token
// (form field or X-CSRF-Token), and a cross-site request is refused before
// anything runs; nothing changes.
func TestCSRF(t *testing.T) {
	t.Parallel()
	s := newSite(t, rules(t), 1)
	sale := s.offer(1, "listing")
	s.announce(sale, 20*time.Second, 3*time.Second)
	jia, id := s.register(companies[0])
	s.approve(id)
	path := fmt.Sprintf("/sales/%d", sale)

	// A form without the token, or with another session's token.
	if p := jia.do("POST", path+"/application", url.Values{}); p.status != http.StatusForbidden {
		t.Fatalf("apply without a CSRF token: %d", p.status)
	}
	yi, _ := s.register(companies[1])
	if p := jia.do("POST", path+"/application", url.Values{"csrf": {yi.csrf("/sales")}}); p.status != http.StatusForbidden {
		t.Fatalf("apply with another session's CSRF token: %d", p.status)
	}
	// The API with the cookie: without the header, then with it.
	if p := jia.do("POST", "/api/v1/sales/"+fmt.Sprint(sale)+"/applications", nil); p.status != http.StatusForbidden || !strings.Contains(p.body, "csrf") {
		t.Fatalf("API change with the cookie and no X-CSRF-Token: %d %s", p.status, p.body)
	}
	// A cross-site form post, even with the right token.
	tok := jia.csrf(path)
	if p := jia.do("POST", path+"/application", url.Values{"csrf": {tok}}, "Sec-Fetch-Site", "cross-site"); p.status != http.StatusForbidden || !strings.Contains(p.body, "跨站请求被拒绝") {
		t.Fatalf("cross-site apply: %d %s", p.status, p.body)
	}
	if p := jia.do("POST", "/login", url.Values{"login": {companies[0].email}, "password": {pw}}, "Origin", "https://evil.example"); p.status != http.StatusForbidden {
		t.Fatalf("cross-origin login: %d", p.status)
	}
	sl, err := s.db.Store.GetSale(context.Background(), sale)
	if err != nil {
		t.Fatal(err)
	}
	if len(sl.Machine.Participants) != 0 {
		t.Fatalf("a refused request applied: %+v", sl.Machine.Participants)
	}
	// The same request from the page's own form goes through.
	if p := jia.do("POST", path+"/application", url.Values{"csrf": {tok}}); p.status != http.StatusSeeOther {
		t.Fatalf("apply with the token: %d %s", p.status, p.body)
	}
	// And the API with the header.
	r, err := apitest.Do(http.DefaultClient, s.urls[0], "GET", "/api/v1/sales/1", "", "")
	if err != nil || r.Status != 200 {
		t.Fatalf("public read: %v %d", err, r.Status)
	}
}

// TestSessionFixation: a session id planted in the browser before sign-in is
// never adopted; signing in makes a new one and ends the one the browser
// had.
func TestSessionFixation(t *testing.T) {
	t.Parallel()
	s := newSite(t, rules(t), 1)
	jia, id := s.register(companies[0])
	s.approve(id)
	before := jia.cookie(web.SessionCookie)
	planted := "mrs_attackerchosenvalue0000000000000000000000"
	b := s.browser(0)
	u, _ := url.Parse(b.base)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: web.SessionCookie, Value: planted, Path: "/"}})
	if p := b.post("/login", "/login", url.Values{"login": {companies[0].email}, "password": {pw}}); p.status != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", p.status, p.body)
	}
	got := b.cookie(web.SessionCookie)
	if got == planted || got == before || !strings.HasPrefix(got, "mrs_") {
		t.Fatalf("the session after sign-in is %q (planted %q, other %q)", got, planted, before)
	}
	if _, err := s.db.Store.SessionPrincipal(context.Background(), planted); err != registry.ErrUnauthenticated {
		t.Fatalf("the planted id authenticates: %v", err)
	}
	// Signing in again in the same browser ends the session it had.
	if p := b.post("/login", "/login", url.Values{"login": {companies[0].email}, "password": {pw}}); p.status != http.StatusSeeOther {
		t.Fatalf("sign in again: %d", p.status)
	}
	if _, err := s.db.Store.SessionPrincipal(context.Background(), got); err != registry.ErrUnauthenticated {
		t.Fatalf("the previous session still authenticates after a new sign-in: %v", err)
	}
	// The cookie is HttpOnly and SameSite.
	p := s.browser(0).do("POST", "/login", url.Values{"login": {companies[0].email}, "password": {pw}, "csrf": {"x"}})
	_ = p
	c := s.browser(0)
	res := c.post("/login", "/login", url.Values{"login": {companies[0].email}, "password": {pw}})
	sc := res.header.Get("Set-Cookie")
	if !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") || strings.Contains(sc, "Secure") {
		t.Errorf("session cookie over plain HTTP: %s", sc)
	}
	res = c.do("POST", "/login", url.Values{"login": {companies[0].email}, "password": {pw}, "csrf": {c.csrf("/login")}}, "X-Forwarded-Proto", "https")
	if sc := res.header.Get("Set-Cookie"); !strings.Contains(sc, "Secure") {
		t.Errorf("session cookie behind HTTPS is not Secure: %s", sc)
	}
}

// TestLoginThrottle: after five failures a login is refused even with the
// right password, and a client address that fails on many logins is
// refused too; the refusal says until when, and nothing signs in.
func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	s := newSite(t, rules(t), 1)
	s.register(companies[0])
	b := s.browser(0)
	for i := range registry.LoginFailuresPerLogin {
		p := b.post("/login", "/login", url.Values{"login": {companies[0].email}, "password": {"wrong" + fmt.Sprint(i)}})
		if p.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, p.status)
		}
		mustContain(t, "a wrong password", p, "电子邮箱或密码不正确")
	}
	p := b.post("/login", "/login", url.Values{"login": {companies[0].email}, "password": {pw}})
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" {
		t.Fatalf("the right password after %d failures: %d", registry.LoginFailuresPerLogin, p.status)
	}
	mustContain(t, "throttled", p, "登录失败次数过多")
	if b.cookie(web.SessionCookie) != "" && b.cookie(web.SessionCookie) != "" {
		if _, err := s.db.Store.SessionPrincipal(context.Background(), b.cookie(web.SessionCookie)); err == nil {
			t.Fatal("a throttled sign-in started a session")
		}
	}
	// Per address: many logins from one address (the test client's).
	for i := range registry.LoginFailuresPerAddr {
		_, err := s.db.Store.SignIn(context.Background(), fmt.Sprintf("nobody%d@example.cn", i), "x", "203.0.113.9")
		if err != registry.ErrBadCredentials {
			t.Fatalf("failure %d from one address: %v", i, err)
		}
	}
	var te *registry.ThrottledError
	_, err := s.db.Store.SignIn(context.Background(), companies[1].email, pw, "203.0.113.9")
	if !asThrottled(err, &te) || !te.PerAddr {
		t.Fatalf("an address past its failures: %v", err)
	}
	// Another address is not throttled for another login.
	if _, err := s.db.Store.SignIn(context.Background(), "nobody@example.cn", "x", "198.51.100.1"); err != registry.ErrBadCredentials {
		t.Fatalf("another address: %v", err)
	}
}

func asThrottled(err error, te **registry.ThrottledError) bool {
	t, ok := err.(*registry.ThrottledError)
	*te = t
	return ok
}

// TestCrossAccount: one company sees only its own application and bids;
// another's letter is refused to it; a session reads what a token of the
// same bidder would, and never another bidder's identity.
func TestCrossAccount(t *testing.T) {
	t.Parallel()
	s := newSite(t, rules(t), 1)
	sale := s.offer(1, "listing")
	start := s.announce(sale, 12*time.Second, 3*time.Second) // two registrations (argon2id) and approvals fit on a loaded machine
	jia, ja := s.register(companies[0])
	yi, ya := s.register(companies[1])
	s.approve(ja)
	s.approve(ya)
	path := fmt.Sprintf("/sales/%d", sale)
	for _, b := range []*browser{jia, yi} {
		if p := b.post(path, path+"/application", url.Values{}); p.status != http.StatusSeeOther {
			t.Fatalf("apply: %d %s", p.status, p.body)
		}
	}
	s.admit(sale, ja)
	p := yi.do("GET", path, nil)
	mustContain(t, "乙's page", p, "2 号", "未到账")
	if strings.Contains(p.body, companies[0].name) || strings.Contains(p.body, "已到账") {
		t.Error("乙's page shows 甲's name or deposit")
	}
	api := yi.do("GET", "/api/v1/sales/"+fmt.Sprint(sale), nil)
	if strings.Contains(api.body, companies[0].name) || !strings.Contains(api.body, companies[1].name) {
		t.Errorf("乙's session reads the sale as: %s", api.body)
	}
	s.waitUntil(start)
	// 甲 bids through the API with its session; the letter is then 甲's only.
	csrf := jia.csrf(path + "/room")
	if r := jia.do("POST", fmt.Sprintf("/api/v1/sales/%d/bids", sale), nil, "X-CSRF-Token", csrf, "Content-Type", "application/json"); r.status != 422 {
		t.Logf("empty bid body: %d", r.status)
	}
	bid := jsonPost(t, jia, fmt.Sprintf("/api/v1/sales/%d/bids", sale), `{"amount":435866500}`, csrf)
	if bid.status != 201 {
		t.Fatalf("甲's bid through its session: %d %s", bid.status, bid.body)
	}
	var closed struct{ State string }
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		s.api(200, "GET", fmt.Sprintf("/api/v1/sales/%d", sale), "", &closed)
		if closed.State == "closed_sold" {
			break
		}
	}
	if closed.State != "closed_sold" {
		t.Fatalf("the sale did not close: %s", closed.State)
	}
	s.api(200, "POST", fmt.Sprintf("/api/v1/sales/%d/confirmation", sale), "", nil)
	if p := jia.do("GET", path+"/letter", nil); p.status != 200 || !strings.Contains(p.body, "成交确认书") || !strings.Contains(p.body, companies[0].name) {
		t.Fatalf("the winner's letter: %d %s", p.status, p.body)
	}
	if p := yi.do("GET", path+"/letter", nil); p.status != http.StatusForbidden || strings.Contains(p.body, companies[0].code) {
		t.Fatalf("the loser opened the letter: %d", p.status)
	}
	mustContain(t, "the loser's refusal", yi.do("GET", path+"/letter", nil), "仅向竞得人和驻马店市自然资源和规划局提供")
	if p := s.browser(0).do("GET", path+"/letter", nil); p.status != http.StatusSeeOther {
		t.Fatalf("an anonymous visitor is not sent to sign in: %d", p.status)
	}
	res := jia.do("GET", path+"/result", nil)
	mustContain(t, "the result", res, "成交", "1 号", "肆亿叁仟伍佰捌拾陆万陆仟伍佰元整", "成交确认书（打印）")
	if p := yi.do("GET", path+"/result", nil); strings.Contains(p.body, "成交确认书（打印）") {
		t.Error("the loser is offered the letter on the result page")
	}
}

func jsonPost(t *testing.T, b *browser, path, body, csrf string) page {
	t.Helper()
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", csrf)
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, header: res.Header, body: string(raw)}
}

// TestSessionEndReachesEveryProcess: a session signed in on one server and
// remembered by another is refused by both as soon as it is ended, and so
// are the sessions of an account the bureau disables.
func TestSessionEndReachesEveryProcess(t *testing.T) {
	t.Parallel()
	s := newSite(t, rules(t), 2)
	jia, id := s.register(companies[0])
	s.approve(id)
	token := jia.cookie(web.SessionCookie)
	// A bidder-only read: anonymous callers are refused (422).
	mine := func(base, tok string) int {
		b := &browser{t: t, base: base, c: &http.Client{}}
		return b.do("GET", "/api/v1/sales?mine=true", nil, "Cookie", web.SessionCookie+"="+tok).status
	}
	for _, u := range s.urls {
		if st := mine(u, token); st != 200 {
			t.Fatalf("the session on %s: %d", u, st)
		}
	}
	if p := jia.post("/sales", "/logout", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", p.status)
	}
	waitRefused := func(what, tok string) {
		t.Helper()
		start := time.Now()
		for time.Since(start) < time.Second && mine(s.urls[1], tok) == 200 {
			time.Sleep(10 * time.Millisecond)
		}
		if st := mine(s.urls[1], tok); st == 200 {
			t.Fatalf("the second server still accepts a session after %s on the first", what)
		}
		t.Logf("%s heard by the second server within %v", what, time.Since(start))
	}
	waitRefused("logout", token)

	b := s.browser(0)
	if p := b.post("/login", "/login", url.Values{"login": {companies[0].email}, "password": {pw}}); p.status != http.StatusSeeOther {
		t.Fatalf("sign in: %d", p.status)
	}
	token = b.cookie(web.SessionCookie)
	if st := mine(s.urls[1], token); st != 200 {
		t.Fatalf("second server: %d", st)
	}
	s.api(200, "POST", fmt.Sprintf("/api/v1/accounts/%d/disablement", id), "", nil)
	waitRefused("disabling the account", token)
	if p := s.browser(0).post("/login", "/login", url.Values{"login": {companies[0].email}, "password": {pw}}); p.status != http.StatusForbidden {
		t.Fatalf("a disabled account signs in: %d", p.status)
	}
}
