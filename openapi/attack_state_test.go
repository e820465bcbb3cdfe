package openapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"minerights/auction"
	"minerights/internal/apitest"
	"minerights/openapi"
	"minerights/registry"
)

// parcelChange is one way the bureau could change a parcel.
type parcelChange struct {
	name, method, suffix, ctype, body string
}

func parcelChanges(t *testing.T) []parcelChange {
	t.Helper()
	txt, err := os.ReadFile("../geo/testdata/liuzhuang.txt")
	if err != nil {
		t.Fatal(err)
	}
	return []parcelChange{
		{"price", "PATCH", "", "application/json", `{"starting_price_yuan":1}`},
		{"withdraw", "PATCH", "", "application/json", `{"status":"withdrawn"}`},
		{"back to registered", "PATCH", "", "application/json", `{"status":"registered"}`},
		{"name", "PATCH", "", "application/json", `{"name":"改名"}`},
		{"reserves", "PATCH", "", "application/json", `{"reserves":[]}`},
		{"boundary", "PUT", "/corners", "text/plain", string(txt)},
	}
}

// refusedInSale sends each change to the parcel and expects 409 naming
// the sale, in Chinese, and the parcel unchanged.
func (x *xfer) refusedInSale(parcelID, saleID int64, words string, changes []parcelChange) {
	x.t.Helper()
	path := fmt.Sprintf("/api/v1/parcels/%d", parcelID)
	var before openapi.Parcel
	x.must(200, "GET", path, "", "").into(x.t, &before)
	for _, c := range changes {
		r := x.call(0, c.method, path+c.suffix, x.bureau, c.body, "Content-Type", c.ctype)
		var p problem
		_ = json.Unmarshal(r.body, &p)
		if r.status != 409 || !strings.Contains(p.text(), fmt.Sprintf("出让 %d", saleID)) || !strings.Contains(p.text(), words) {
			x.t.Errorf("%s of parcel %d in sale %d: %d %s", c.name, parcelID, saleID, r.status, r.body)
		}
	}
	var after openapi.Parcel
	x.must(200, "GET", path, "", "").into(x.t, &after)
	if after.Version != before.Version || after.Status != before.Status || after.StartingPrice.Yuan != before.StartingPrice.Yuan {
		x.t.Errorf("parcel %d changed: %+v → %+v", parcelID, before, after)
	}
	// The database holds the rule on its own (migration 009): a writer
	// that skips the registry's check is refused too.
	_, err := x.db.Pool.Exec(context.Background(), `UPDATE parcel SET starting_price_yuan = starting_price_yuan + 1, status = 'withdrawn' WHERE id = $1`, parcelID)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "55006" {
		x.t.Errorf("moving parcel %d in sale %d by SQL: %v", parcelID, saleID, err)
	}
}

// TestParcelInSaleIsTheSales (issue 10, finding 8): from the announcement
// on, a sale's parcel cannot be changed, withdrawn or put back by the
// registry's PATCH and PUT …/corners (a draft keeps its starting price and
// its parcel), and a sold parcel is history; the refusal is 409
// naming the sale. The registry, the map and the sale record agree. After
// the close the publicity takes objections up to the cap per filer
// (finding 5), and a refused bidder's reason reaches nobody but that bidder
// and the bureau (finding 9).
func TestParcelInSaleIsTheSales(t *testing.T) {
	t.Parallel()
	x := newXfer(t, apitest.DrillRules(t, func(r *auction.Rules) {
		r.AnnouncementLead = auction.Period{Duration: 500 * time.Millisecond}
		r.ListingPeriod = auction.Period{Duration: 3 * time.Second}
		r.TimedBiddingDelay = 200 * time.Millisecond
		r.Countdown = time.Second
		r.PublicityLength = auction.Period{Duration: time.Minute}
		r.BidRate = auction.BidRate{Bids: 1000, Per: time.Second}
	}), 1)
	a, b, c := x.bidder("甲公司"), x.bidder("乙公司"), x.bidder("丙公司")
	sale, start := x.offer(1, `"method":"listing","increment":1000,"deposit":1000`)
	path := fmt.Sprintf("/api/v1/sales/%d", sale.ID)

	// A draft is not public: the parcel may be corrected, but not its
	// starting price, which the draft copied, nor withdrawn from under it.
	all := parcelChanges(t)
	x.refusedInSale(sale.ParcelID, sale.ID, "草稿", all[:2])
	x.must(200, "PATCH", fmt.Sprintf("/api/v1/parcels/%d", sale.ParcelID), x.bureau, `{"name":"更正后的矿名"}`)
	if got := x.sale(sale.ID).ParcelName; got != "更正后的矿名" {
		t.Errorf("the draft shows parcel name %q", got)
	}
	// A corrected parcel is checked again before it is announced.
	if _, err := x.db.Store.RunCompliance(context.Background(), sale.ParcelID); err != nil {
		t.Fatal(err)
	}

	// c applies and is refused qualification with a reason.
	now := x.dbNow()
	bstart := now.Add(2 * time.Second)
	wb, _ := json.Marshal(map[string]any{"apply_start": now.Add(time.Second), "apply_end": bstart, "deposit_deadline": bstart,
		"bidding_start": bstart, "bidding_end": bstart.Add(3 * time.Second)})
	x.must(200, "POST", path+"/announcement", x.bureau, string(wb))
	x.refusedInSale(sale.ParcelID, sale.ID, "已公告", all)

	// Before bidding, the sale's own 补充公告 corrects the parcel: the
	// registry, the notice and the compliance report change together.
	var corr struct {
		Notice registry.Notice `json:"notice"`
		Parcel openapi.Parcel  `json:"parcel"`
	}
	x.must(201, "POST", path+"/corrections", x.bureau,
		`{"text":"更正矿名和储量","parcel":{"name":"公告后更正的矿名","reserves":[{"commodity":"饰面用花岗岩","quantity":"12.5","unit":"万立方米"}]}}`).into(t, &corr)
	if corr.Parcel.Name != "公告后更正的矿名" || len(corr.Parcel.Reserves) != 1 || corr.Notice.Kind != "supplementary" ||
		!strings.Contains(string(corr.Notice.Body), "公告后更正的矿名") {
		t.Errorf("correction: %+v", corr)
	}
	if got := x.sale(sale.ID).ParcelName; got != "公告后更正的矿名" {
		t.Errorf("the sale shows parcel name %q", got)
	}
	var notices struct{ Items []registry.Notice }
	x.must(200, "GET", path+"/notices", "", "").into(t, &notices)
	if len(notices.Items) != 2 || notices.Items[1].No != corr.Notice.No {
		t.Errorf("notices %+v", notices.Items)
	}
	x.must(422, "POST", path+"/corrections", x.bureau, `{"text":"改价","parcel":{"starting_price_yuan":1}}`)
	x.waitUntil(now.Add(time.Second))
	for _, r := range []registered{a, b, c} {
		x.must(201, "POST", path+"/applications", r.token, "")
		x.must(200, "POST", path+"/deposits", x.bureau, fmt.Sprintf(`{"bidder_id":%d,"amount":1000}`, r.id))
	}
	const reason = "营业执照已过期（测试理由）"
	for _, r := range []registered{a, b} {
		x.must(200, "POST", path+"/qualifications", x.bureau, fmt.Sprintf(`{"bidder_id":%d,"approve":true}`, r.id))
	}
	x.must(200, "POST", path+"/qualifications", x.bureau, fmt.Sprintf(`{"bidder_id":%d,"approve":false,"reason":%q}`, c.id, reason))
	for _, who := range []struct {
		name, token string
		sees        bool
	}{{"public", "", false}, {"another bidder", a.token, false}, {"bureau", x.bureau, true}} {
		r := x.must(200, "GET", path+"/audit", who.token, "")
		if strings.Contains(string(r.body), reason) != who.sees {
			t.Errorf("%s: the refusal reason shown %v, want %v", who.name, !who.sees, who.sees)
		}
	}
	var own openapi.SaleOut
	x.must(200, "GET", path, c.token, "").into(t, &own)
	if own.You == nil || own.You.Rejection != reason {
		t.Errorf("the refused bidder does not see its reason: %+v", own.You)
	}
	x.waitUntil(bstart)
	x.must(201, "POST", path+"/bids", a.token, fmt.Sprintf(`{"amount":%d}`, start))
	x.refusedInSale(sale.ParcelID, sale.ID, "已公告", all)
	r := x.call(0, "POST", path+"/corrections", x.bureau, `{"text":"竞价中更正","parcel":{"name":"不应生效"}}`)
	if r.status != 409 || !strings.Contains(string(r.body), "竞价开始后不得更改") {
		t.Errorf("a correction after bidding opened: %d %s", r.status, r.body)
	}

	x.waitState(sale.ID, "closed_sold", 15*time.Second)
	x.refusedInSale(sale.ParcelID, sale.ID, "成交", all)
	var parcel openapi.Parcel
	x.must(200, "GET", fmt.Sprintf("/api/v1/parcels/%d", sale.ParcelID), "", "").into(t, &parcel)
	final := x.sale(sale.ID)
	if parcel.Status != "sold" || parcel.StartingPrice.Yuan != final.Terms.StartingPrice.Yuan || final.Result == nil || !final.Result.Sold {
		t.Errorf("registry and sale disagree: parcel %s %d, sale %+v", parcel.Status, parcel.StartingPrice.Yuan, final.Result)
	}
	var items struct {
		Features []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	x.must(200, "GET", fmt.Sprintf("/ogc/collections/parcels/items/%d", sale.ParcelID), "", "")
	x.must(200, "GET", fmt.Sprintf("/ogc/collections/parcels/items?id=%d", sale.ParcelID), "", "").into(t, &items)
	if len(items.Features) != 1 || items.Features[0].Properties["status"] != "sold" {
		t.Errorf("the map shows %+v", items.Features)
	}

	// Objections: the cap per filer per sale.
	x.must(200, "POST", path+"/confirmation", x.bureau, "")
	x.must(200, "POST", path+"/publicity", x.bureau, "")
	for i := range auction.MaxObjectionsPerFiler {
		x.must(201, "POST", path+"/objections", b.token, fmt.Sprintf(`{"text":"异议 %d"}`, i+1))
	}
	r = x.call(0, "POST", path+"/objections", b.token, `{"text":"再一项"}`)
	var p problem
	_ = json.Unmarshal(r.body, &p)
	if r.status != 409 || !strings.Contains(p.text(), fmt.Sprint(auction.MaxObjectionsPerFiler)) {
		t.Errorf("objection %d of one filer: %d %s", auction.MaxObjectionsPerFiler+1, r.status, r.body)
	}
	x.must(201, "POST", path+"/objections", a.token, `{"text":"另一提出人"}`)
	x.refusedInSale(sale.ParcelID, sale.ID, "成交", all)
}

// TestDraftSaleIsNotFound (issue 10, finding 9): to anyone but the bureau
// a draft sale answers every operation exactly as a sale that does not
// exist, so its existence cannot be learned.
func TestDraftSaleIsNotFound(t *testing.T) {
	t.Parallel()
	x := newXfer(t, fast(t), 1)
	a := x.bidder("甲公司")
	planner, err := x.db.Store.CreateToken(context.Background(), "planner", "规划科", 0)
	if err != nil {
		t.Fatal(err)
	}
	draft, _ := x.offer(1, `"method":"listing","increment":1000,"deposit":1000`)
	missing := draft.ID + 1000
	ops := []struct{ method, path, token, body string }{
		{"GET", "/api/v1/sales/%d", "", ""},
		{"GET", "/api/v1/sales/%d/result", "", ""},
		{"GET", "/api/v1/sales/%d/result.html", "", ""},
		{"GET", "/api/v1/sales/%d/notices", "", ""},
		{"GET", "/api/v1/sales/%d/audit", "", ""},
		{"GET", "/api/v1/audit?sale_id=%d", "", ""},
		{"POST", "/api/v1/sales/%d/applications", a.token, ""},
		{"POST", "/api/v1/sales/%d/objections", a.token, `{"text":"异议"}`},
		{"POST", "/api/v1/sales/%d/objections", planner, `{"text":"异议"}`},
		{"GET", "/api/v1/sales/%d/deposits", a.token, ""},
		{"GET", "/api/v1/sales/%d/contract", a.token, ""},
		{"GET", "/api/v1/sales/%d/confirmation", a.token, ""},
	}
	for _, op := range ops {
		t.Run(op.method+" "+op.path, func(t *testing.T) {
			d := x.call(0, op.method, fmt.Sprintf(op.path, draft.ID), op.token, op.body)
			m := x.call(0, op.method, fmt.Sprintf(op.path, missing), op.token, op.body)
			if d.status != m.status || d.status != 404 {
				t.Fatalf("draft %d %s; missing %d %s", d.status, d.body, m.status, m.body)
			}
			var dp, mp problem
			d.into(t, &dp)
			m.into(t, &mp)
			if dp.text() != mp.text() {
				t.Errorf("problems differ: %s | %s", d.body, m.body)
			}
		})
	}
	// The bureau sees its draft.
	x.must(200, "GET", fmt.Sprintf("/api/v1/sales/%d/notices", draft.ID), x.bureau, "")
	x.must(200, "GET", fmt.Sprintf("/api/v1/audit?sale_id=%d", draft.ID), x.bureau, "")
}
