package pages_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"minerights/registry"
)

// soldInPublicity runs a 挂牌 sale of gazette parcel no to its close through
// the API: two companies apply and bid, the second wins; the letter is
// issued, the publicity started and the first company files an objection.
func (s *site) soldInPublicity(no int) int64 {
	s.t.Helper()
	id := s.offer(no, "listing")
	jia, ja := s.register(companies[0])
	yi, ya := s.register(companies[1])
	s.approve(ja)
	s.approve(ya)
	start := s.announce(id, 2*time.Second, 3*time.Second)
	path := fmt.Sprintf("/sales/%d", id)
	for _, b := range []*browser{jia, yi} {
		if p := b.post(path, path+"/application", url.Values{}); p.status != http.StatusSeeOther {
			s.t.Fatalf("apply: %d %s", p.status, p.body)
		}
	}
	s.admit(id, ja)
	s.admit(id, ya)
	s.waitUntil(start.Add(100 * time.Millisecond))
	for i, b := range []*browser{jia, yi} {
		r := jsonPost(s.t, b, fmt.Sprintf("/api/v1/sales/%d/bids", id), fmt.Sprintf(`{"raise":%d}`, i+1), b.csrf(path+"/room"))
		if r.status != http.StatusOK && r.status != http.StatusCreated {
			s.t.Fatalf("bid: %d %s", r.status, r.body)
		}
	}
	for deadline := time.Now().Add(30 * time.Second); s.saleJSON(id)["result"] == nil; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			s.t.Fatalf("the sale did not close: %v", s.saleJSON(id))
		}
	}
	s.api(200, "POST", fmt.Sprintf("/api/v1/sales/%d/confirmation", id), "", nil)
	s.api(200, "POST", fmt.Sprintf("/api/v1/sales/%d/publicity", id), "", nil)
	if r := jsonPost(s.t, jia, fmt.Sprintf("/api/v1/sales/%d/objections", id), `{"text":"竞价期间系统曾无法访问，要求重新竞价"}`, jia.csrf(path)); r.status != http.StatusCreated {
		s.t.Fatalf("objection: %d %s", r.status, r.body)
	}
	return id
}

// TestDeskSideExits: suspend, resume, terminate and default need the reason
// the rules publish and the clerk's confirmation; without either the desk
// answers in Chinese and the sale is unchanged.
func TestDeskSideExits(t *testing.T) {
	t.Parallel()
	s := newSite(t, deskRules(t), 1)
	clerk := s.clerk("clerk@zmd.example.cn")
	id := s.offer(1, "listing")
	s.announce(id, time.Hour, time.Hour)
	path := fmt.Sprintf("/desk/sales/%d", id)
	page := clerk.do("GET", path, nil)
	mustContain(t, "the announced sale", page, `id="suspend-form"`, `id="terminate-form"`, "确认暂停", "确认终止")
	before := s.saleJSON(id)["state"]
	for _, tc := range []struct {
		action string
		form   url.Values
		want   string
	}{
		{"suspend", url.Values{"reason": {"  "}, "confirm": {"1"}}, "暂停出让须填写暂停原因"},
		{"suspend", url.Values{"reason": {"权属异议"}}, "请勾选“确认暂停”"},
		{"terminate", url.Values{"reason": {"压覆"}}, "请勾选“确认终止”"},
		{"resume", url.Values{"confirm": {"1"}}, "恢复出让须填写恢复说明"},
		{"default", url.Values{"reason": {"逾期"}}, "请勾选“确认违约”"},
	} {
		p := clerk.post(path, path+"/"+tc.action, tc.form)
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, tc.want) {
			t.Errorf("%s %v: %d, want 422 with %q", tc.action, tc.form, p.status, tc.want)
		}
		if st := s.saleJSON(id)["state"]; st != before {
			t.Fatalf("a refused %s changed the sale: %v → %v", tc.action, before, st)
		}
	}
	// Resuming a sale that is not suspended: the API's refusal in Chinese.
	p := clerk.post(path, path+"/resume", url.Values{"reason": {"无"}, "confirm": {"1"}})
	if p.status != http.StatusConflict || !strings.Contains(p.body, `role="alert"`) {
		t.Errorf("resume a running sale: %d", p.status)
	}
	if p := clerk.post(path, path+"/suspend", url.Values{"reason": {"权属异议"}, "confirm": {"1"}}); p.status != http.StatusSeeOther {
		t.Fatalf("suspend: %d %s", p.status, p.body)
	}
	mustContain(t, "the suspended sale", clerk.do("GET", path+"?done=suspend", nil), "出让已暂停。", "暂停原因", "权属异议", `id="resume-form"`)
}

// deskSideE2E is what web/e2e/desk-side.mjs saw.
type deskSideE2E struct {
	pageReport
	UnconfirmedStays bool
	Suspended        struct{ Flash, State, Reason string }
	Resumed          struct{ Flash, State string }
	Terminated       struct {
		Flash, State, Reason string
		FormsLeft            int
	}
	Answered  struct{ Flash, Objections string }
	Defaulted struct{ Flash, State string }
	Reoffer   struct{ URL, Flash, Title, State string }
	Latin     []string
}

// TestDeskSideExitsInChromium: a clerk suspends, resumes and terminates an
// announced sale, answers an objection, records a default and creates the
// re-offer, each by clicks on the desk in headless Chromium
// (web/e2e/desk-side.mjs), with axe-core and screenshots, and no English
// word on any of these pages.
func TestDeskSideExitsInChromium(t *testing.T) {
	node := needBrowser(t)
	s := newSite(t, deskRules(t), 1)
	ctx := context.Background()
	const clerkLogin = "clerk@zmd.example.cn"
	if _, err := s.db.Store.CreateUser(ctx, registry.UserInput{Role: registry.RoleBureau, Login: clerkLogin, Name: "王科员", Password: pw}, "test"); err != nil {
		t.Fatal(err)
	}
	live := s.offer(1, "listing")
	s.announce(live, time.Hour, time.Hour)
	sold := s.soldInPublicity(2)
	shots := screenshotDir(t)
	var res deskSideE2E
	runScript(t, ctx, 4*time.Minute, node, "desk-side.mjs", []string{"BASE=" + s.urls[0], "CLERK=" + clerkLogin, "PASSWORD=" + pw,
		"LIVE=" + jsonInt(live), "SOLD=" + jsonInt(sold), "SHOTS=" + shots}, &res, &res.pageReport)
	if !res.UnconfirmedStays {
		t.Error("the suspension was sent without its confirmation ticked")
	}
	checks := []struct{ what, got, want string }{
		{"suspended flash", res.Suspended.Flash, "出让已暂停。"},
		{"suspended state", res.Suspended.State, "已暂停"},
		{"suspension reason", res.Suspended.Reason, "收到对出让地块权属的书面异议"},
		{"resumed flash", res.Resumed.Flash, "出让已恢复。"},
		{"terminated flash", res.Terminated.Flash, "出让已终止。"},
		{"terminated state", res.Terminated.State, "已终止"},
		{"termination reason", res.Terminated.Reason, "未查明的压覆情况"},
		{"answer flash", res.Answered.Flash, "异议答复已登记。"},
		{"answer shown", res.Answered.Objections, "答复：经核查，竞买过程符合出让规则"},
		{"default flash", res.Defaulted.Flash, "竞得人违约已登记。"},
		{"default state", res.Defaulted.State, "竞得人违约"},
		{"re-offer flash", res.Reoffer.Flash, "再次出让的草稿已创建。"},
		{"re-offer title", res.Reoffer.Title, "第 2 次出让"},
		{"re-offer state", res.Reoffer.State, "草稿"},
	}
	for _, c := range checks {
		if !strings.Contains(c.got, c.want) {
			t.Errorf("%s: %q lacks %q", c.what, c.got, c.want)
		}
	}
	if res.Resumed.State == "已暂停" || res.Resumed.State == "" {
		t.Errorf("after resuming the state is %q", res.Resumed.State)
	}
	if res.Terminated.FormsLeft != 0 {
		t.Errorf("a terminated sale still offers %d side-exit forms", res.Terminated.FormsLeft)
	}
	if res.Reoffer.URL == fmt.Sprintf("/desk/sales/%d", sold) {
		t.Errorf("the re-offer stayed on the defaulted sale")
	}
	if len(res.Latin) > 0 {
		t.Errorf("English on the desk: %v", res.Latin)
	}
	var sl map[string]any
	s.api(200, "GET", fmt.Sprintf("/api/v1/sales/%d", live), "", &sl)
	if sl["state"] != "terminated" {
		t.Errorf("the live sale is %v after the termination", sl["state"])
	}
	mustHaveScreenshots(t, shots, "desk-side-live", "desk-side-suspended", "desk-side-resumed", "desk-side-terminated", "desk-side-objection",
		"desk-side-answered", "desk-side-defaulted", "desk-side-reoffer")
}

// TestDeskContractOverdue: a contract whose first instalment fell due
// yesterday and is unpaid shows, on the desk, the instalment as 逾期 and
// the contract as having overdue payments; a payment that covers it clears
// both.
func TestDeskContractOverdue(t *testing.T) {
	t.Parallel()
	s := newSite(t, deskRules(t), 1)
	clerk := s.clerk("clerk@zmd.example.cn")
	id := s.soldInPublicity(1)
	path := fmt.Sprintf("/desk/sales/%d", id)
	if p := clerk.post(path, path+"/resolve", url.Values{"no": {"1"}, "outcome": {"经核查，异议不成立"}}); p.status != http.StatusSeeOther {
		t.Fatalf("answer: %d %s", p.status, p.body)
	}
	sl := s.saleJSON(id)
	if end, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(sl["publicity_end"])); !end.IsZero() {
		s.waitUntil(end.Add(100 * time.Millisecond))
	}
	price := int64(sl["result"].(map[string]any)["price"].(map[string]any)["yuan"].(float64))
	wan := func(y int64) string { return fmt.Sprintf("%d.%04d", y/10000, y%10000) }
	first := price / 2
	yesterday := s.dbNow().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, -1).Format("2006-01-02")
	plan := fmt.Sprintf("%s %s\n2099-12-31 %s", yesterday, wan(first), wan(price-first))
	if p := clerk.post(path, path+"/contract", url.Values{"reference": {"驻自然资采矿出〔2026〕2号"}, "instalments": {plan}}); p.status != http.StatusSeeOther {
		t.Fatalf("contract: %d %s", p.status, p.body)
	}
	mustContain(t, "the overdue contract", clerk.do("GET", path, nil), `id="overdue"`, "有逾期未缴款项", `<span class="bad">逾期</span>`, yesterday)
	// The deposit (100 万元) is credited; pay the rest of the first instalment.
	if p := clerk.post(path, path+"/payment", url.Values{"amount": {wan(first)}, "reference": {"BOC-0002"}}); p.status != http.StatusSeeOther {
		t.Fatalf("payment: %d %s", p.status, p.body)
	}
	if p := clerk.do("GET", path, nil); strings.Contains(p.body, `id="overdue"`) {
		t.Errorf("the first instalment paid, the contract still shows overdue payments:\n%s", p.body)
	}
}
