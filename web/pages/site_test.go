package pages_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"minerights/auction"
	"minerights/data"
	"minerights/internal/apitest"
	"minerights/internal/pgtest"
	"minerights/openapi"
	"minerights/registry"
	"minerights/registry/registrytest"
	"minerights/web/pages"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// site is minerights as `serve` wires it (API, pages, cross-origin
// protection), over real HTTP on a fresh seeded database, with `processes`
// servers each with its own pool, hub and scheduler.
type site struct {
	t       *testing.T
	db      registrytest.DB
	urls    []string
	servers []*httptest.Server
	muxes   []*http.ServeMux
	bureau  string
}

func newSite(t *testing.T, rules auction.Rules, processes int) *site {
	t.Helper()
	db := registrytest.Seeded(t)
	s := &site{t: t, db: db}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for range processes {
		pool, err := pgxpool.New(ctx, db.URL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		store := registry.New(pool)
		hub := registry.NewHub(store, nil)
		sched := &registry.Scheduler{Store: store, Hub: hub, MaxSleep: 200 * time.Millisecond, CheckpointEvery: time.Second}
		wg.Add(2)
		go func() { defer wg.Done(); _ = hub.Run(ctx) }()
		go func() { defer wg.Done(); _ = sched.Run(ctx) }()
		mux := http.NewServeMux()
		openapi.New(mux, openapi.Deps{Store: store, Transfer: openapi.Transfer{Rules: rules, Hub: hub, BidRate: 1000, BidBurst: 1000}})
		files, err := registry.NewCalendarFiles(data.Calendars()...)
		if err != nil {
			t.Fatal(err)
		}
		pages.New(mux, pages.Deps{Accounts: store, API: mux, Authority: "驻马店市自然资源和规划局",
			Calendar: func(ctx context.Context) (auction.Calendar, error) { return store.Calendar(ctx, files) }})
		srv := httptest.NewServer(pages.Protect(mux))
		t.Cleanup(srv.Close)
		s.urls = append(s.urls, srv.URL)
		s.servers, s.muxes = append(s.servers, srv), append(s.muxes, mux)
		// Wait until the hub listens, so that revocations are heard.
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if _, live := hub.TokenEpoch(); live {
				break
			}
		}
	}
	tok, err := db.Store.CreateToken(ctx, registry.RoleBureau, "登记科", 0)
	if err != nil {
		t.Fatal(err)
	}
	s.bureau = tok
	return s
}

// rules are drill rules short enough for a test.
func rules(t *testing.T) auction.Rules {
	t.Helper()
	return apitest.DrillRules(t, func(r *auction.Rules) {
		r.AnnouncementLead = auction.Period{Duration: 500 * time.Millisecond}
		r.ListingPeriod = auction.Period{Duration: 3 * time.Second}
		r.TimedBiddingDelay = 200 * time.Millisecond
		r.Countdown = 2 * time.Second
		r.BidRate = auction.BidRate{Bids: 1000, Per: time.Second}
	})
}

// api calls the API with the bureau's token and decodes the answer.
func (s *site) api(want int, method, path, body string, out any) {
	s.t.Helper()
	r, err := apitest.Do(http.DefaultClient, s.urls[0], method, path, s.bureau, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if r.Status != want {
		s.t.Fatalf("%s %s: %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	if out != nil {
		if err := json.Unmarshal(r.Body, out); err != nil {
			s.t.Fatal(err)
		}
	}
}

func (s *site) dbNow() time.Time {
	s.t.Helper()
	var now time.Time
	if err := s.db.Pool.QueryRow(context.Background(), `SELECT clock_timestamp()`).Scan(&now); err != nil {
		s.t.Fatal(err)
	}
	return now
}

func (s *site) waitUntil(at time.Time) {
	s.t.Helper()
	if d := at.Sub(s.dbNow()); d > 0 {
		time.Sleep(d + 50*time.Millisecond)
	}
}

// offer makes gazette parcel no compliant and creates a draft sale of it.
func (s *site) offer(no int, method string) int64 {
	s.t.Helper()
	ctx := context.Background()
	ps, _, err := s.db.Store.ListParcels(ctx, registry.ParcelFilter{})
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.db.Store.RunCompliance(ctx, ps[no-1].ID); err != nil {
		s.t.Fatal(err)
	}
	var out struct{ ID int64 }
	s.api(201, "POST", "/api/v1/sales", fmt.Sprintf(`{"parcel_id":%d,"method":%q,"increment":100000,"deposit":1000000}`, ps[no-1].ID, method), &out)
	return out.ID
}

// announce announces a sale whose applications open at once and bidding
// after `bidding`; it returns the bidding start.
func (s *site) announce(id int64, applyFor, listing time.Duration) time.Time {
	s.t.Helper()
	now := s.dbNow()
	start := now.Add(applyFor)
	w := map[string]any{"apply_start": now.Add(600 * time.Millisecond), "apply_end": start, "deposit_deadline": start, "bidding_start": start}
	if listing > 0 {
		w["bidding_end"] = start.Add(listing)
	}
	b, _ := json.Marshal(w)
	s.api(200, "POST", fmt.Sprintf("/api/v1/sales/%d/announcement", id), string(b), nil)
	s.waitUntil(now.Add(600 * time.Millisecond))
	return start
}

// browser is a client with a cookie jar, as a browser would be, that does
// not follow redirects so that tests see them.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (s *site) browser(i int) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: s.t, base: s.urls[i], c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(method, path string, form url.Values, hdr ...string) page {
	b.t.Helper()
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, rd)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, header: res.Header, body: string(body)}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the CSRF token of the forms on path.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	p := b.do("GET", path, nil)
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("GET %s (%d) has no CSRF field:\n%s", path, p.status, p.body)
	}
	return m[1]
}

// post submits a form from the page at from.
func (b *browser) post(from, path string, form url.Values) page {
	b.t.Helper()
	form.Set("csrf", b.csrf(from))
	return b.do("POST", path, form)
}

func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// company is a bidding company for tests; codes carry valid check
// characters (GB 32100-2015).
type company struct {
	name, code, email string
}

var companies = []company{
	{"泌阳县甲矿业有限公司", "91411726MA44444442", "jia@example.cn"},
	{"确山县乙石材有限公司", "91350100M000100Y43", "yi@example.cn"},
	{"驻马店丙建材有限公司", "91411700MA9K000012", "bing@example.cn"},
}

const pw = "正确的密码horse1"

// register registers a company on /register and returns its signed-in
// browser and account id.
func (s *site) register(c company) (*browser, int64) {
	s.t.Helper()
	b := s.browser(0)
	p := b.post("/register", "/register", url.Values{"company": {c.name}, "credit_code": {c.code}, "contact": {"张三"},
		"phone": {"0396-1234567"}, "email": {c.email}, "password": {pw}, "password2": {pw}})
	if p.status != http.StatusSeeOther {
		s.t.Fatalf("register %s: %d\n%s", c.name, p.status, p.body)
	}
	a, err := s.db.Store.FindAccount(context.Background(), c.email)
	if err != nil {
		s.t.Fatal(err)
	}
	return b, a.ID
}

func (s *site) approve(account int64) {
	s.t.Helper()
	s.api(200, "POST", fmt.Sprintf("/api/v1/accounts/%d/approval", account), "", nil)
}

// admit records the deposit and qualifies a bidder on a sale.
func (s *site) admit(sale, account int64) {
	s.t.Helper()
	a, err := s.db.Store.GetAccount(context.Background(), account)
	if err != nil {
		s.t.Fatal(err)
	}
	s.api(200, "POST", fmt.Sprintf("/api/v1/sales/%d/deposits", sale), fmt.Sprintf(`{"bidder_id":%d,"amount":1000000}`, a.Bidder.ID), nil)
	s.api(200, "POST", fmt.Sprintf("/api/v1/sales/%d/qualifications", sale), fmt.Sprintf(`{"bidder_id":%d,"approve":true}`, a.Bidder.ID), nil)
}

func mustContain(t *testing.T, what string, p page, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(p.body, w) {
			t.Errorf("%s (%d) lacks %q:\n%s", what, p.status, w, p.body)
		}
	}
}
