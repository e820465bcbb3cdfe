package pages_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"minerights/registry"
)

// plannerPhone is what web/e2e/planner-phone.mjs saw.
type plannerPhone struct {
	pageReport
	Viewer struct {
		Role, Scope, ColourBy string
		Verdicts              int
		SignedIn, Collapsed   bool
	}
	WhatifVisible, PanelOutOfTheWay bool
	Drawn                           []int
	Whatif                          struct{ Verdict, Status, Text string }
	Latin                           []string
	Overflow                        int
}

// TestPlannerWhatIfOnPhoneInChromium: a planner signs in on the pages at a
// phone's size and lands on the map, which colours every parcel by its
// verdict; opens the collapsed panel and runs a what-if by drawing a square
// over a red line (web/e2e/planner-phone.mjs): the check, sent with the
// session cookie and its CSRF token, fails on the overlap, in Chinese, and
// stores nothing. axe-core and screenshots on each view.
func TestPlannerWhatIfOnPhoneInChromium(t *testing.T) {
	node := needBrowser(t)
	s := newSite(t, rules(t), 1)
	ctx := context.Background()
	ps, _, err := s.db.Store.ListParcels(ctx, registry.ParcelFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if _, err := s.db.Store.RunCompliance(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
	}
	const login = "planner@zmd.gov.cn"
	if _, err := s.db.Store.CreateUser(ctx, registry.UserInput{Role: registry.RolePlanner, Login: login, Name: "李规划", Password: pw}, "test"); err != nil {
		t.Fatal(err)
	}
	reports := func() (n int) {
		if err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM compliance_report`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := reports()
	shots := screenshotDir(t)
	var res plannerPhone
	runScript(t, ctx, 5*time.Minute, node, "planner-phone.mjs", []string{"BASE=" + s.urls[0], "LOGIN=" + login, "PASSWORD=" + pw, "SHOTS=" + shots}, &res, &res.pageReport)
	v := res.Viewer
	if v.Role != "planner" || v.Scope != "all" || !v.SignedIn || v.Verdicts != len(ps) || v.ColourBy != "verdict" || !v.Collapsed {
		t.Errorf("the planner's map on a phone: %+v (want %d verdicts, the panel collapsed)", v, len(ps))
	}
	if !res.WhatifVisible || !res.PanelOutOfTheWay || len(res.Drawn) != 1 || res.Drawn[0] != 5 {
		t.Errorf("what-if offered %v, panel out of the way while drawing %v, drawn %v", res.WhatifVisible, res.PanelOutOfTheWay, res.Drawn)
	}
	if res.Whatif.Verdict != "fail" || !strings.Contains(res.Whatif.Text, "核查结论: 不通过") || !strings.Contains(res.Whatif.Text, "生态保护红线") ||
		!strings.Contains(res.Whatif.Text, "重叠") {
		t.Errorf("what-if: %+v", res.Whatif)
	}
	if len(res.Latin) > 0 {
		t.Errorf("English in the what-if's answer: %v", res.Latin)
	}
	if res.Overflow > 0 {
		t.Errorf("the map is %d px wider than the phone", res.Overflow)
	}
	if n := reports(); n != before {
		t.Errorf("the what-if stored a report: %d, were %d", n, before)
	}
	mustHaveScreenshots(t, shots, "planner-phone-map", "planner-phone-panel", "planner-phone-drawn", "planner-phone-whatif")
}
