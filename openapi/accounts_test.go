package openapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"minerights/registry"
	"minerights/web"
)

// TestAccountsAPI: the bureau lists the pending bidder accounts, approves
// one (its session then acts for the bidder) and makes a planner's account;
// the bidder API checks the credit code's check character; a session cookie
// is accepted beside bearer tokens, with the CSRF header on changes.
func TestAccountsAPI(t *testing.T) {
	t.Parallel()
	x := newXfer(t, fast(t), 1)
	ctx := context.Background()
	x.must(422, "POST", "/api/v1/bidders", x.bureau, `{"name":"甲","credit_code":"91411726MA44444443"}`)
	x.must(201, "POST", "/api/v1/bidders", x.bureau, `{"name":"甲","credit_code":"91411726MA44444442"}`)

	a, err := x.db.Store.RegisterBidder(ctx, registry.BidderRegistration{Company: "乙石材有限公司", CreditCode: "91350100M000100Y43",
		Contact: "李四", Phone: "13800000000", Email: "yi@example.cn", Password: "乙公司的密码123"})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := x.db.Store.SignIn(ctx, "yi@example.cn", "乙公司的密码123", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cookie := web.SessionCookie + "=" + sess.Token
	var list struct {
		Items []registry.Account
		Total int
	}
	x.must(200, "GET", "/api/v1/accounts?pending=true", x.bureau, "").into(t, &list)
	if list.Total != 1 || list.Items[0].ID != a.ID || list.Items[0].Bidder.Name != "乙石材有限公司" {
		t.Fatalf("pending accounts: %+v", list)
	}
	// The pending company may read but not list its own sales or bid.
	x.must(403, "GET", "/api/v1/accounts?pending=true", "", "", "Cookie", cookie)
	r := x.must(403, "POST", "/api/v1/sales/1/applications", "", "", "Cookie", cookie, web.CSRFHeader, sess.CSRF)
	if !strings.Contains(string(r.body), "account-pending") {
		t.Errorf("a pending account's application: %s", r.body)
	}
	x.must(200, "POST", fmt.Sprintf("/api/v1/accounts/%d/approval", a.ID), x.bureau, "")
	// Every process hears the approval (the notification) and reads the
	// session again.
	settle := func(want int, path string) {
		t.Helper()
		start := time.Now()
		for time.Since(start) < 2*time.Second && x.call(0, "GET", path, "", "", "Cookie", cookie).status != want {
			time.Sleep(10 * time.Millisecond)
		}
	}
	settle(200, "/api/v1/sales?mine=true")
	x.must(200, "GET", "/api/v1/sales?mine=true", "", "", "Cookie", cookie)
	// Changes with the cookie need the CSRF header.
	x.must(403, "POST", "/api/v1/sales/1/applications", "", "", "Cookie", cookie)
	x.must(404, "POST", "/api/v1/sales/999/applications", "", "", "Cookie", cookie, web.CSRFHeader, sess.CSRF)
	// A stale cookie on a public read is ignored; on a bidder's operation it is 401.
	x.must(200, "GET", "/api/v1/sales", "", "", "Cookie", web.SessionCookie+"=mrs_stale")
	r = x.must(401, "GET", "/api/v1/sales/1/deposits", "", "", "Cookie", web.SessionCookie+"=mrs_stale")
	if !strings.Contains(string(r.body), "session-ended") {
		t.Errorf("stale cookie: %s", r.body)
	}

	var planner registry.Account
	x.must(201, "POST", "/api/v1/accounts", x.bureau, `{"role":"planner","login":"plan@example.cn","name":"规划员","password":"规划员的密码123"}`).into(t, &planner)
	x.must(409, "POST", "/api/v1/accounts", x.bureau, `{"role":"planner","login":"plan@example.cn","name":"另一个","password":"规划员的密码123"}`)
	x.must(422, "POST", "/api/v1/accounts", x.bureau, `{"role":"bidder","login":"b@example.cn","name":"b","password":"规划员的密码123"}`)
	x.must(409, "POST", fmt.Sprintf("/api/v1/accounts/%d/approval", planner.ID), x.bureau, "")
	x.must(404, "POST", "/api/v1/accounts/9999/approval", x.bureau, "")
	var off registry.Account
	x.must(200, "POST", fmt.Sprintf("/api/v1/accounts/%d/disablement", a.ID), x.bureau, "").into(t, &off)
	if off.DisabledAt == nil {
		t.Fatalf("disabled account %+v", off)
	}
	settle(422, "/api/v1/sales?mine=true")
	r = x.must(422, "GET", "/api/v1/sales?mine=true", "", "", "Cookie", cookie)
	var p struct{ Detail string }
	if err := json.Unmarshal(r.body, &p); err != nil || !strings.Contains(p.Detail, "mine=true") {
		t.Errorf("a disabled account's session reads as anonymous: %s", r.body)
	}
}
