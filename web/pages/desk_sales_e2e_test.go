package pages_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"minerights/internal/money"
	"minerights/registry"
)

// deskE2E is what web/e2e/desk-sales.mjs saw.
type deskE2E struct {
	pageReport
	Sale                                                  int64
	AfterLogin, CreateError, Draft, Preview, Announced    string
	Pending, PendingAfter, Queue, Monitor, Closed, Letter string
	Publicity, Contract, Audit                            string
	LetterPdfBytes, PhoneOverflow                         int
}

// TestDeskSalesInChromium runs the clerk's sale in headless Chromium
// (web/e2e/desk-sales.mjs): create with a secret reserve, preview and
// announce, approve three companies, deposits and the review, the live
// monitor, the close, the printed letter, the publicity, the contract and a
// payment, the audit; axe-core on every page and a phone-sized screen.
// Screenshots go to MINERIGHTS_SCREENSHOTS when set.
func TestDeskSalesInChromium(t *testing.T) {
	node := needBrowser(t)
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
	const clerkLogin = "clerk@zmd.example.cn"
	if _, err := s.db.Store.CreateUser(ctx, registry.UserInput{Role: registry.RoleBureau, Login: clerkLogin, Name: "王科员", Password: pw}, "test"); err != nil {
		t.Fatal(err)
	}
	type co struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	}
	var cos []co
	for _, c := range companies {
		s.register(c) // through /register: the accounts wait for approval
		cos = append(cos, co{c.name, c.email})
	}
	cj, _ := json.Marshal(cos)
	reserve := money.FormatWan(*parcel.StartingPriceYuan + 1)
	shots := screenshotDir(t)
	var res deskE2E
	runScript(t, ctx, 5*time.Minute, node, "desk-sales.mjs", []string{"BASE=" + s.urls[0], "CLERK=" + clerkLogin, "PASSWORD=" + pw, "PARCEL=" + strings.TrimSpace(jsonInt(parcel.ID)),
		"RESERVE=" + reserve, "SHOTS=" + shots, "COMPANIES=" + string(cj)}, &res, &res.pageReport)
	checks := []struct {
		what, got string
		want      []string
	}{
		{"after sign-in", res.AfterLogin, []string{"/desk/sales"}},
		{"a typo in the increment", res.CreateError, []string{"加价幅度：请输入以万元为单位"}},
		{"the draft", res.Draft, []string{"出让草稿已创建", "承诺值", "挂牌"}},
		{"the preview", res.Preview, []string{"报名期", "个工作日"}},
		{"the pending accounts", res.Pending, []string{companies[0].name, companies[1].name, companies[2].name}},
		{"after approval", res.PendingAfter, []string{"没有待审核的账户"}},
		{"the review", res.Queue, []string{"已到账", "已通过", "未通过", "营业执照已过有效期"}},
		{"the monitor", res.Monitor, []string{"当前最高报价", companies[0].name, companies[1].name}},
		{"the close", res.Closed, []string{"成交", companies[1].name}},
		{"the letter", res.Letter, []string{"成交确认书", companies[1].name, "出让人：驻马店市自然资源和规划局", "（盖章）", "大写："}},
		{"the publicity", res.Publicity, []string{"结果公示"}},
		{"the contract", res.Contract, []string{"已缴 1100.00 万元", "缴款 1000.00 万元（壹仟万元整）", "BOC-0001"}},
		{"the audit", res.Audit, []string{"核验通过"}},
	}
	for _, c := range checks {
		for _, w := range c.want {
			if !strings.Contains(c.got, w) {
				t.Errorf("%s lacks %q: %s", c.what, w, c.got)
			}
		}
	}
	if res.Announced != "已公告" && res.Announced != "报名中" {
		t.Errorf("after the announcement the state is %q", res.Announced)
	}
	if strings.Contains(res.Draft, reserve) {
		t.Errorf("the draft shows the secret reserve %s", reserve)
	}
	if res.LetterPdfBytes < 10000 {
		t.Errorf("the printed letter is %d bytes", res.LetterPdfBytes)
	}
	if res.PhoneOverflow > 0 {
		t.Errorf("the sale page is %d px wider than a phone", res.PhoneOverflow)
	}
	mustHaveScreenshots(t, shots, "desk-login", "desk-sales", "desk-sales-error", "desk-sale-draft", "desk-sale-preview", "desk-accounts",
		"desk-sale-applications", "desk-sale-reviewed", "desk-sale-monitor", "desk-sale-closed", "desk-letter", "desk-sale-publicity",
		"desk-sale-contract", "desk-audit", "desk-sale-phone")
	if rep, err := s.db.Store.VerifyAudit(ctx, 0); err != nil || !rep.OK {
		t.Errorf("audit after the story: %+v %v", rep, err)
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }
