package pages_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"minerights/auction"
	"minerights/internal/apitest"
)

// needTool finds a program, or skips (fails under CI=true) without it.
func needTool(t *testing.T, name, install string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing: %s", name, install)
		}
		t.Skipf("%s is missing: %s", name, install)
	}
	return p
}

// e2eResult is what web/e2e/bidders.mjs saw.
type e2eResult struct {
	pageReport
	RegisterError, PendingFlash string
	Listing, Timed              map[string]struct {
		Shown   struct{ Yuan, Wan, Capital string }
		Message string
	}
	Phone struct {
		Bidbox, High, Countdown bool
		Width, Height           int
	}
	OutbidSeenMs  int
	OutbidMessage string
	LastSeconds   struct {
		LeftMs        int
		Before, After time.Time
	}
	ClosedText        map[string]string
	LetterLinkVisible map[string]bool
	Result, Letter    string
	LetterPdfBytes    int
	LoserLetter       struct{ Status, Text string }
	VisitorLetterURL  string
	Tender            struct {
		Form, JiaSees, Closed, Result string
		Amounts                       []string
	}
	AfterLogout string
	Reconnect   struct {
		Conn, ConnAfter                              string
		EventsBefore, EventsAfter, AuditSeq, LastSeq int
	}
}

// TestBiddersInChromium runs the bidders' whole story in headless Chromium
// (web/e2e/bidders.mjs): registration, approval, application, the sale room
// with 一键加价, a typed bid and one in the last seconds of the countdown,
// the outbid message, the close, the printed letter and who may not open
// it, a tender through the sealed-bid form, axe-core on every page, and a
// phone-sized screen. Screenshots go to MINERIGHTS_SCREENSHOTS when set.
func TestBiddersInChromium(t *testing.T) {
	node := needBrowser(t)
	s := newSite(t, apitest.DrillRules(t, func(r *auction.Rules) {
		r.AnnouncementLead = auction.Period{Duration: 500 * time.Millisecond}
		r.ListingPeriod = auction.Period{Duration: 3 * time.Second}
		r.TimedBiddingDelay = time.Second
		r.Countdown = 6 * time.Second
	}), 1)
	listing, tender := s.offer(1, "listing"), s.offer(2, "tender")
	// The script cuts every open connection (event streams among them) here,
	// as a network drop would.
	s.muxes[0].HandleFunc("POST /test/drop-connections", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
		go s.servers[0].CloseClientConnections()
	})
	shots := screenshotDir(t)
	var res e2eResult
	runScript(t, context.Background(), 4*time.Minute, node, "bidders.mjs", []string{"BASE=" + s.urls[0], "BUREAU=" + s.bureau, fmt.Sprintf("LISTING=%d", listing),
		fmt.Sprintf("TENDER=%d", tender), "SHOTS=" + shots}, &res, &res.pageReport)
	if !strings.Contains(res.RegisterError, "校验码") || !strings.Contains(res.PendingFlash, "审核通过") {
		t.Errorf("registration: error %q, pending %q", res.RegisterError, res.PendingFlash)
	}
	res.checkBids(t)
	if !strings.Contains(res.ClosedText["yi"], "恭喜") || strings.Contains(res.ClosedText["jia"], "恭喜") ||
		!res.LetterLinkVisible["yi"] || res.LetterLinkVisible["jia"] {
		t.Errorf("the close: %v, letter link %v", res.ClosedText, res.LetterLinkVisible)
	}
	for _, want := range []string{"成交", "确山县乙石材有限公司", "43646.65 万元", "肆亿叁仟陆佰肆拾陆万陆仟伍佰元整"} {
		if !strings.Contains(res.Result, want) {
			t.Errorf("the result lacks %q: %s", want, res.Result)
		}
	}
	for _, want := range []string{"成交确认书", "确山县乙石材有限公司", "91350100M000100Y43", "肆亿叁仟陆佰肆拾陆万陆仟伍佰元整"} {
		if !strings.Contains(res.Letter, want) {
			t.Errorf("the letter lacks %q: %s", want, res.Letter)
		}
	}
	if res.LetterPdfBytes < 10000 {
		t.Errorf("the printed letter is %d bytes", res.LetterPdfBytes)
	}
	if strings.Contains(res.LoserLetter.Text, "91350100M000100Y43") || !strings.Contains(res.LoserLetter.Text, "仅向竞得人") {
		t.Errorf("the loser's letter page: %+v", res.LoserLetter)
	}
	if !strings.Contains(res.VisitorLetterURL, "/login?next=") {
		t.Errorf("a visitor opening the letter ends at %s", res.VisitorLetterURL)
	}
	if !strings.Contains(res.Tender.Form, "密封报价") || !strings.Contains(res.Tender.JiaSees, "开标前不公开") {
		t.Errorf("tender room: form %q, sees %q", res.Tender.Form, res.Tender.JiaSees)
	}
	for _, a := range res.Tender.Amounts {
		if strings.Contains(res.Tender.JiaSees, a) {
			t.Errorf("甲 sees another's sealed amount %s before the opening: %s", a, res.Tender.JiaSees)
		}
	}
	if !strings.Contains(res.Tender.Result, "确山县乙石材有限公司") || !strings.Contains(res.Tender.Result, "成交") {
		t.Errorf("tender result: %s", res.Tender.Result)
	}
	if rc := res.Reconnect; !strings.Contains(rc.Conn, "连接中断") || rc.ConnAfter != "实时连接正常" || rc.LastSeq < rc.AuditSeq || rc.EventsAfter <= rc.EventsBefore {
		t.Errorf("the visitor's room across a disconnection: %+v", rc)
	}
	if !strings.Contains(res.AfterLogout, "登录") {
		t.Errorf("after logout the sale page offers %q", res.AfterLogout)
	}
	mustHaveScreenshots(t, shots, "login", "register", "register-error", "sales", "sales-pending", "sale-anonymous", "sale-applied", "sale-phone",
		"room-listing", "room-phone", "room-confirm-dialog", "room-outbid-phone", "room-timed", "room-closed", "room-anonymous", "result",
		"letter", "letter-refused", "room-tender", "room-disconnected", "logout")
	rep, err := s.db.Store.VerifyAudit(context.Background(), 0)
	if err != nil || !rep.OK {
		t.Errorf("audit after the story: %+v %v", rep, err)
	}
}

// checkBids checks the bids of the listing and its timed bidding as the
// companies saw them: each confirmation in 万元 and 大写, the phone's bid
// box, the outbid message and the bid in the last seconds.
func (res e2eResult) checkBids(t *testing.T) {
	t.Helper()
	jia := res.Listing["jia"]
	if jia.Shown.Wan != "43586.65 万元" || jia.Shown.Capital != "肆亿叁仟伍佰捌拾陆万陆仟伍佰元整" || jia.Shown.Yuan != "435,866,500 元" ||
		!strings.Contains(jia.Message, "报价已接受") {
		t.Errorf("一键加价 confirmation and receipt: %+v", jia)
	}
	if yi := res.Listing["yi"]; yi.Shown.Wan != "43616.65 万元" || !strings.Contains(yi.Message, "报价已接受") {
		t.Errorf("typed bid: %+v", yi)
	}
	if b := res.Listing["bing"]; !strings.Contains(b.Message, "报价已接受") || b.Shown.Wan != "43626.65 万元" {
		t.Errorf("phone bid: %+v", b)
	}
	if !res.Phone.Bidbox || !res.Phone.High || !res.Phone.Countdown || res.Phone.Width != 390 {
		t.Errorf("at 390×844 the bid box, the high and the countdown are not all on screen: %+v", res.Phone)
	}
	if res.OutbidSeenMs > 1000 || !strings.Contains(res.OutbidMessage, "已被超过") {
		t.Errorf("the outbid company saw %q after %d ms", res.OutbidMessage, res.OutbidSeenMs)
	}
	t.Logf("outbid seen after %d ms; last-seconds bid with %d ms left", res.OutbidSeenMs, res.LastSeconds.LeftMs)
	if yi := res.Timed["yi"]; !strings.Contains(yi.Message, "报价已接受") || res.LastSeconds.LeftMs > 2000 || !res.LastSeconds.After.After(res.LastSeconds.Before) {
		t.Errorf("the bid in the last seconds: %+v, countdown %+v", yi, res.LastSeconds)
	}
}
