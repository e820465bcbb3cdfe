package pages_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"minerights/auction"
	"minerights/internal/apitest"
	"minerights/internal/money"
	"minerights/registry"
)

// deskRules are drill rules with a publicity short enough for a test.
func deskRules(t *testing.T) auction.Rules {
	t.Helper()
	return apitest.DrillRules(t, func(r *auction.Rules) {
		r.AnnouncementLead = auction.Period{Duration: 500 * time.Millisecond}
		r.ListingPeriod = auction.Period{Duration: 3 * time.Second}
		r.TimedBiddingDelay = 200 * time.Millisecond
		r.Countdown = 2 * time.Second
		r.BidRate = auction.BidRate{Bids: 1000, Per: time.Second}
		r.PublicityLength = auction.Period{Duration: time.Second}
	})
}

// formTimeOf writes t as a datetime-local field in Beijing time.
func formTimeOf(t time.Time) string {
	return t.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02T15:04:05")
}

func (s *site) saleJSON(id int64) map[string]any {
	s.t.Helper()
	var out map[string]any
	s.api(200, "GET", fmt.Sprintf("/api/v1/sales/%d", id), "", &out)
	return out
}

var saleLocation = regexp.MustCompile(`^/desk/sales/(\d+)\?done=created$`)

// TestDeskSalesStory: a clerk runs a sale on the desk from creation to a
// payment on the contract, every change through the desk's forms; bad input
// is refused in Chinese and changes nothing.
func TestDeskSalesStory(t *testing.T) {
	t.Parallel()
	st := newDeskStory(t)
	st.gates()
	st.create()
	st.announce()
	st.applications()
	st.bidding()
	st.documents()
	st.contract()
	st.auditAndAccounts()
}

// deskStory is TestDeskSalesStory's sale, its clerk and companies, from
// one step to the next.
type deskStory struct {
	t      *testing.T
	s      *site
	ctx    context.Context
	parcel registry.Parcel
	clerk  *browser
	// jia, yi and bing are the companies, ja, ya and ba their accounts.
	jia, yi, bing *browser
	ja, ya, ba    int64
	// id is the sale's, sid the same in the path, path its desk page.
	id                   int64
	sid, path            string
	applyStart, applyEnd time.Time
	bidders              map[string]int64
}

func newDeskStory(t *testing.T) *deskStory {
	t.Helper()
	s := newSite(t, deskRules(t), 1)
	ctx := context.Background()
	ps, _, err := s.db.Store.ListParcels(ctx, registry.ParcelFilter{})
	if err != nil {
		t.Fatal(err)
	}
	parcel := ps[0]
	if _, err := s.db.Store.RunCompliance(ctx, parcel.ID); err != nil {
		t.Fatal(err)
	}
	clerk := s.clerk("clerk@zmd.example.cn")
	return &deskStory{t: t, s: s, ctx: ctx, parcel: parcel, clerk: clerk}
}

// gates: visitors are sent to sign in; a company is refused.
func (st *deskStory) gates() {
	t, s, clerk, parcel := st.t, st.s, st.clerk, st.parcel
	// Visitors are sent to sign in; a company is refused.
	if p := s.browser(0).do("GET", "/desk/sales", nil); p.status != http.StatusSeeOther || !strings.Contains(p.header.Get("Location"), "/login?next=") {
		t.Errorf("a visitor at /desk/sales: %d %s", p.status, p.header.Get("Location"))
	}
	st.jia, st.ja = s.register(companies[0])
	if p := st.jia.do("GET", "/desk/sales", nil); p.status != http.StatusForbidden {
		t.Errorf("a company at /desk/sales: %d", p.status)
	}

	list := clerk.do("GET", "/desk/sales", nil)
	mustContain(t, "the desk's sales", list, "新建出让", parcel.Name, `href="/desk"`)

}

// create: bad money is refused before the API and creates nothing; the
// draft never shows its secret reserve.
func (st *deskStory) create() {
	t, s, clerk, parcel := st.t, st.s, st.clerk, st.parcel
	// Bad money is refused before the API and creates nothing.
	p := clerk.post("/desk/sales", "/desk/sales", url.Values{"parcel_id": {fmt.Sprint(parcel.ID)}, "method": {"listing"},
		"increment": {"十万"}, "deposit": {"100"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "加价幅度：请输入以万元为单位") {
		t.Errorf("bad increment: %d %s", p.status, p.body)
	}
	var sales struct{ Items []json.RawMessage }
	s.api(200, "GET", "/api/v1/sales", "", &sales)
	if len(sales.Items) != 0 {
		t.Fatalf("a refused form created %d sales", len(sales.Items))
	}
	// A parcel the API refuses (not found) comes back in Chinese.
	p = clerk.post("/desk/sales", "/desk/sales", url.Values{"parcel_id": {"999999"}, "method": {"listing"}, "increment": {"10"}, "deposit": {"100"}})
	if p.status < 400 || p.status >= 500 || !strings.Contains(p.body, `role="alert"`) {
		t.Errorf("unknown parcel: %d %s", p.status, p.body)
	}

	start := parcel.StartingPriceYuan
	if start == nil {
		t.Fatal("seeded parcel without a starting price")
	}
	reserve := *start + 1 // one 元 above the starting price
	reserveWan := money.FormatWan(reserve)
	p = clerk.post("/desk/sales", "/desk/sales", url.Values{"parcel_id": {fmt.Sprint(parcel.ID)}, "method": {"listing"},
		"increment": {"10"}, "deposit": {"100"}, "reserve": {reserveWan}})
	m := saleLocation.FindStringSubmatch(p.header.Get("Location"))
	if p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("create: %d %s %s", p.status, p.header.Get("Location"), p.body)
	}
	st.sid, st.path = m[1], "/desk/sales/"+m[1]
	fmt.Sscan(m[1], &st.id)
	draft := clerk.do("GET", st.path+"?done=created", nil)
	mustContain(t, "the draft", draft, "出让草稿已创建", "承诺值", "发布出让公告", "10.00 万元")
	if strings.Contains(draft.body, reserveWan) {
		t.Errorf("the draft page shows the secret reserve %s", reserveWan)
	}
}

// announce: the preview changes nothing, a bad time is refused, then the
// announcement and a supplementary notice.
func (st *deskStory) announce() {
	t, s, clerk, path, id := st.t, st.s, st.clerk, st.path, st.id
	// Preview, then announce.
	now := s.dbNow().Truncate(time.Second)
	applyStart, applyEnd := now.Add(2*time.Second), now.Add(7*time.Second)
	st.applyStart, st.applyEnd = applyStart, applyEnd
	win := url.Values{"apply_start": {formTimeOf(applyStart)}, "apply_end": {formTimeOf(applyEnd)},
		"deposit_deadline": {formTimeOf(applyEnd)}, "bidding_start": {formTimeOf(applyEnd)}, "bidding_end": {formTimeOf(applyEnd.Add(3 * time.Second))}}
	win.Set("do", "preview")
	p := clerk.post(path, path+"/announce", win)
	mustContain(t, "the preview", p, "公告预览", "0 个工作日", "报名期")
	if st := s.saleJSON(id)["state"]; st != "draft" {
		t.Errorf("the preview changed the sale: %v", st)
	}
	bad := url.Values{"apply_start": {"明天"}, "do": {"announce"}}
	if p = clerk.post(path, path+"/announce", bad); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "报名开始时间：请按") {
		t.Errorf("a bad time: %d", p.status)
	}
	win.Set("do", "announce")
	if p = clerk.post(path, path+"/announce", win); p.status != http.StatusSeeOther {
		t.Fatalf("announce: %d %s", p.status, p.body)
	}
	p = clerk.post(path, path+"/notice", url.Values{"text": {"竞买保证金账户开户行更正为中国银行驻马店分行。"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("notice: %d %s", p.status, p.body)
	}
	mustContain(t, "the announced sale", clerk.do("GET", path, nil), "补充公告", "开户行更正", "desk-monitor.js")
}

// applications: two more companies register through /register, the desk
// approves them, they apply; deposits and the review of qualifications.
func (st *deskStory) applications() {
	t, s, clerk, path, ctx, m := st.t, st.s, st.clerk, st.path, st.ctx, []string{"", st.sid}
	jia, ja := st.jia, st.ja
	// Three companies registered through /register, approved on the desk.
	st.yi, st.ya = s.register(companies[1])
	st.bing, st.ba = s.register(companies[2])
	yi, ya, bing, ba := st.yi, st.ya, st.bing, st.ba
	acc := clerk.do("GET", "/desk/accounts", nil)
	mustContain(t, "the pending accounts", acc, companies[0].name, companies[1].name, companies[2].name, "审核通过")
	if n := strings.Count(acc.body, `<span class="warn">待审核</span>`); n != 3 {
		t.Errorf("the list of every account marks %d accounts pending, want 3", n)
	}
	for _, a := range []int64{ja, ya, ba} {
		if p := clerk.post("/desk/accounts", fmt.Sprintf("/desk/accounts/%d/approve", a), url.Values{}); p.status != http.StatusSeeOther {
			t.Fatalf("approve %d: %d %s", a, p.status, p.body)
		}
	}
	if p := clerk.do("GET", "/desk/accounts", nil); !strings.Contains(p.body, "没有待审核的账户") || strings.Contains(p.body, `<span class="warn">待审核</span>`) {
		t.Error("approved accounts are still pending")
	}
	s.waitUntil(st.applyStart)
	bidders := map[string]int64{}
	st.bidders = bidders
	for i, b := range []*browser{jia, yi, bing} {
		if p := b.post("/sales/"+m[1], "/sales/"+m[1]+"/application", url.Values{}); p.status != http.StatusSeeOther {
			t.Fatalf("apply: %d %s", p.status, p.body)
		}
		a, _ := s.db.Store.FindAccount(ctx, companies[i].email)
		bidders[companies[i].name] = a.Bidder.ID
	}
	queue := clerk.do("GET", path, nil)
	mustContain(t, "the applications", queue, companies[0].name, companies[1].name, companies[2].name, "待审核")
	for _, c := range companies {
		if p := clerk.post(path, path+"/deposit", url.Values{"bidder_id": {fmt.Sprint(bidders[c.name])}, "amount": {"100"}}); p.status != http.StatusSeeOther {
			t.Fatalf("deposit: %d %s", p.status, p.body)
		}
	}
	for _, c := range companies[:2] {
		if p := clerk.post(path, path+"/qualify", url.Values{"bidder_id": {fmt.Sprint(bidders[c.name])}, "approve": {"1"}}); p.status != http.StatusSeeOther {
			t.Fatalf("qualify: %d %s", p.status, p.body)
		}
	}
	refuse := url.Values{"bidder_id": {fmt.Sprint(bidders[companies[2].name])}, "approve": {"0"}}
	if p := clerk.post(path, path+"/qualify", refuse); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "须填写理由") {
		t.Errorf("a refusal without reason: %d", p.status)
	}
	refuse.Set("reason", "营业执照已过有效期")
	if p := clerk.post(path, path+"/qualify", refuse); p.status != http.StatusSeeOther {
		t.Fatalf("refuse: %d %s", p.status, p.body)
	}
	mustContain(t, "the queue after review", clerk.do("GET", path, nil), "已到账", "已通过", "未通过", "营业执照已过有效期")
}

// bidding: two bidders bid through the API; the monitor names them until
// the sale closes.
func (st *deskStory) bidding() {
	t, s, clerk, path, id, m := st.t, st.s, st.clerk, st.path, st.id, []string{"", st.sid}
	jia, yi := st.jia, st.yi
	// Two bidders bid through the API; the monitor names them.
	s.waitUntil(st.applyEnd.Add(100 * time.Millisecond))
	for i, b := range []*browser{jia, yi} {
		csrf := b.csrf("/sales/" + m[1] + "/room")
		r := jsonPost(t, b, fmt.Sprintf("/api/v1/sales/%d/bids", id), fmt.Sprintf(`{"raise":%d}`, i+1), csrf)
		if r.status != http.StatusOK && r.status != http.StatusCreated {
			t.Fatalf("bid: %d %s", r.status, r.body)
		}
	}
	mon := clerk.do("GET", path, nil)
	mustContain(t, "the monitor", mon, "竞价监控", "当前最高报价", companies[0].name, companies[1].name)
	for deadline := time.Now().Add(20 * time.Second); s.saleJSON(id)["result"] == nil; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the sale did not close: %v", s.saleJSON(id))
		}
	}
}

// documents: the confirmation letter on the desk and the winner's, the
// result notice and the announcement, each naming the authority.
func (st *deskStory) documents() {
	t, s, clerk, path, m := st.t, st.s, st.clerk, st.path, []string{"", st.sid}
	jia, yi := st.jia, st.yi
	closed := clerk.do("GET", path, nil)
	mustContain(t, "the closed sale", closed, "成交", companies[1].name, "签发成交确认书")
	if strings.Contains(closed.body, "desk-monitor.js") {
		t.Error("the closed sale still reloads itself")
	}
	if p := clerk.post(path, path+"/confirmation", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("confirmation: %d %s", p.status, p.body)
	}
	letter := clerk.do("GET", path+"/letter", nil)
	mustContain(t, "the letter", letter, "成交确认书", companies[1].name, "出让人：驻马店市自然资源和规划局", "（盖章）", "大写：", "CJQR-")
	if p := jia.do("GET", path+"/letter", nil); p.status != http.StatusForbidden {
		t.Errorf("a company opens the desk's letter: %d", p.status)
	}
	// The winner's own letter, the result notice and the announcement name
	// the configured authority and the date, not a fixed 自然资源和规划局.
	today := s.dbNow().In(time.FixedZone("CST", 8*3600)).Format("2006年1月2日")
	own := yi.do("GET", "/sales/"+m[1]+"/letter", nil)
	mustContain(t, "the winner's letter", own, "出让人：驻马店市自然资源和规划局", "（盖章）", today, companies[1].name, `href="/sales/`+m[1]+`"`)
	if p := jia.do("GET", "/sales/"+m[1]+"/letter", nil); p.status != http.StatusForbidden || !strings.Contains(p.body, "驻马店市自然资源和规划局") {
		t.Errorf("a loser opens the winner's letter: %d", p.status)
	}
	mustContain(t, "the result notice", yi.do("GET", "/sales/"+m[1]+"/result", nil), "出让人：驻马店市自然资源和规划局", today)
	mustContain(t, "the announcement", yi.do("GET", "/sales/"+m[1], nil), "出让人：驻马店市自然资源和规划局", today)
}

// contract: the publicity, a payment plan refused and then registered, and
// a payment.
func (st *deskStory) contract() {
	t, s, clerk, path, id := st.t, st.s, st.clerk, st.path, st.id
	if p := clerk.post(path, path+"/publicity", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("publicity: %d %s", p.status, p.body)
	}
	mustContain(t, "the publicity", clerk.do("GET", path, nil), "结果公示：", "登记出让合同")
	sl := s.saleJSON(id)
	if end, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(sl["publicity_end"])); !end.IsZero() {
		s.waitUntil(end.Add(100 * time.Millisecond))
	}
	priceYuan := int64(sl["result"].(map[string]any)["price"].(map[string]any)["yuan"].(float64))
	wan := func(y int64) string { return fmt.Sprintf("%d.%04d", y/10000, y%10000) }
	first := priceYuan / 2
	plan := fmt.Sprintf("2027-03-31 %s\n2027-09-30 %s", wan(first), wan(priceYuan-first))
	if p := clerk.post(path, path+"/contract", url.Values{"reference": {"驻自然资采矿出〔2026〕1号"}, "instalments": {"2027-03-31 很多"}}); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.body, "付款计划第 1 行") {
		t.Errorf("a bad plan: %d", p.status)
	}
	if p := clerk.post(path, path+"/contract", url.Values{"reference": {"驻自然资采矿出〔2026〕1号"}, "instalments": {plan}}); p.status != http.StatusSeeOther {
		t.Fatalf("contract: %d %s", p.status, p.body)
	}
	if p := clerk.post(path, path+"/payment", url.Values{"amount": {"1000"}, "reference": {"BOC-0001"}}); p.status != http.StatusSeeOther {
		t.Fatalf("payment: %d %s", p.status, p.body)
	}
	mustContain(t, "the contract", clerk.do("GET", path, nil), "付款计划", "2027-09-30", "缴款 1000.00 万元", "BOC-0001", "壹仟万元整")
}

// auditAndAccounts: the audit of all sales and of this one; a clerk creates
// a planner's account and disables it.
func (st *deskStory) auditAndAccounts() {
	t, s, clerk, ctx, m := st.t, st.s, st.clerk, st.ctx, []string{"", st.sid}
	// The audit of all sales and of this one.
	mustContain(t, "the audit", clerk.do("GET", "/desk/audit", nil), "核验通过")
	mustContain(t, "the sale's chain", clerk.do("GET", "/desk/audit?sale_id="+m[1], nil), "哈希链记录", "核验通过")

	// A clerk creates a planner's account and disables it.
	if p := clerk.post("/desk/accounts", "/desk/accounts", url.Values{"role": {"planner"}, "login": {"planner@zmd.example.cn"},
		"name": {"李规划"}, "password": {"短"}}); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `role="alert"`) {
		t.Errorf("a short password: %d", p.status)
	}
	if p := clerk.post("/desk/accounts", "/desk/accounts", url.Values{"role": {"planner"}, "login": {"planner@zmd.example.cn"},
		"name": {"李规划"}, "password": {pw}}); p.status != http.StatusSeeOther {
		t.Fatalf("create planner: %d %s", p.status, p.body)
	}
	pl, err := s.db.Store.FindAccount(ctx, "planner@zmd.example.cn")
	if err != nil {
		t.Fatal(err)
	}
	if p := clerk.post("/desk/accounts", fmt.Sprintf("/desk/accounts/%d/disable", pl.ID), url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("disable: %d %s", p.status, p.body)
	}
	if a, _ := s.db.Store.GetAccount(ctx, pl.ID); a.DisabledAt == nil {
		t.Error("the planner's account is not disabled")
	}
}
