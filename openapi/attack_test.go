package openapi_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"minerights/auction"
	"minerights/internal/apitest"
	"minerights/registry"
)

// attacker is one reader of the attack test: the public, a bidder, a
// planner or the bureau, as the server knows it and as auction.Visible does.
type attacker struct {
	name   string
	token  string
	viewer auction.Viewer
	bidder int64 // the bidder id of a bidder reader
}

// attackRules are the drill rules shortened so that four sales run their
// whole course in a test, with bidding windows long enough to look at the
// sealed phase from every side.
func attackRules(t *testing.T) auction.Rules {
	t.Helper()
	return apitest.DrillRules(t, func(r *auction.Rules) {
		r.AnnouncementLead = auction.Period{Duration: 500 * time.Millisecond}
		r.ListingPeriod = auction.Period{Duration: 12 * time.Second}
		r.TimedBiddingDelay = 200 * time.Millisecond
		r.Countdown = time.Second
		r.PublicityLength = auction.Period{Duration: 3 * time.Second}
		r.BidRate = auction.BidRate{Bids: 1000, Per: time.Second}
	})
}

// announceFor announces a sale with bidding from now+4 s for `bidding`
// (none for an auction), admits the bidders (apply, deposit, qualify) and
// refuses `refused` after it applied, with reason.
func (x *xfer) announceFor(id int64, method string, bidding time.Duration, admitted []registered, refused *registered, reason string) time.Time {
	x.t.Helper()
	now := x.dbNow()
	start := now.Add(4 * time.Second)
	w := map[string]any{"apply_start": now.Add(time.Second), "apply_end": start, "deposit_deadline": start, "bidding_start": start}
	if method != "auction" {
		w["bidding_end"] = start.Add(bidding)
	}
	wb, _ := json.Marshal(w)
	path := fmt.Sprintf("/api/v1/sales/%d", id)
	x.must(200, "POST", path+"/announcement", x.bureau, string(wb))
	x.waitUntil(now.Add(time.Second))
	for _, r := range admitted {
		x.must(201, "POST", path+"/applications", r.token, "")
		x.must(200, "POST", path+"/deposits", x.bureau, fmt.Sprintf(`{"bidder_id":%d,"amount":1000}`, r.id))
		x.must(200, "POST", path+"/qualifications", x.bureau, fmt.Sprintf(`{"bidder_id":%d,"approve":true}`, r.id))
	}
	if refused != nil {
		x.must(201, "POST", path+"/applications", refused.token, "")
		x.must(200, "POST", path+"/qualifications", x.bureau, fmt.Sprintf(`{"bidder_id":%d,"approve":false,"reason":%q}`, refused.id, reason))
	}
	return start
}

// auditItem is an entry of GET /api/v1/sales/{id}/audit.
type auditItem struct {
	Seq        int64           `json:"seq"`
	Kind       string          `json:"kind"`
	Actor      string          `json:"actor"`
	Data       json.RawMessage `json:"data"`
	View       string          `json:"view"`
	Salt       string          `json:"salt"`
	Hash       string          `json:"hash"`
	PrevHash   string          `json:"prev_hash"`
	RecordedAt time.Time       `json:"recorded_at"`
	At         time.Time       `json:"at"`
}

// streamed reads a sale's event stream as token for a moment: the backlog.
func (x *xfer) streamed(id int64, token string) []auditItem {
	x.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	ch := make(chan sseEvent, 1000)
	go func() {
		defer close(ch)
		readEventsAs(ctx, x.t, fmt.Sprintf("%s/api/v1/sales/%d/events?after=0", x.urls[0], id), token, ch)
	}()
	var out []auditItem
	for ev := range ch {
		out = append(out, auditItem{Seq: ev.id, Kind: ev.kind, Actor: ev.data.Actor, Data: ev.data.Data, View: "?"})
	}
	return out
}

// readEventsAs reads an event stream with a bearer token (none: anonymous)
// until ctx ends, sending each message.
func readEventsAs(ctx context.Context, t *testing.T, url, token string, out chan<- sseEvent) {
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("event stream: %d", res.StatusCode)
		return
	}
	scanEvents(res.Body, func(ev sseEvent) bool {
		select {
		case out <- ev:
			return true
		case <-ctx.Done():
			return false
		}
	})
}

// secretsOf are the strings only some readers may find in anything the
// server answers, with who may.
type secretText struct {
	what    string
	text    string
	allowed func(a attacker, opened bool) bool
}

// TestAttackSecrecy is the adversarial test of what leaves the server. Four
// sales run their course through the API: a 招标 with amended sealed bids, a
// 挂牌 with a refused applicant, timed bidding, confirmation, publicity, an
// objection, the contract and a payment, a 拍卖 with a reserve that fails,
// and a sale suspended, resumed and terminated, so that the log holds every
// kind auction.Kinds lists. Before the close (tender and listing live) and
// after it, the public, each bidder, a planner and the bureau read every way
// out: the sale, the sale list, the bids, the event stream, the sale's audit
// chain, the audit verification, the result and the OGC sales layer. Each
// audit entry and event must be exactly what auction.Visible's table gives
// for its kind, reader and phase; and no reader may find a sealed amount,
// another bidder's name or id, a token id, a refusal reason or the contract
// terms it is not entitled to, anywhere.
func TestAttackSecrecy(t *testing.T) {
	t.Parallel()
	rules := attackRules(t)
	x := newXfer(t, rules, 1)
	ctx := context.Background()
	names := []string{"甲矿业有限公司", "乙石材有限公司", "丙建材有限公司", "丁砂石有限公司"}
	var bs []registered
	for _, n := range names {
		bs = append(bs, x.bidder(n))
	}
	A, B, C, D := bs[0], bs[1], bs[2], bs[3]
	planner, err := x.db.Store.CreateToken(ctx, registry.RolePlanner, "规划科", 0)
	if err != nil {
		t.Fatal(err)
	}
	actorOf := func(q string, args ...any) string {
		var id int64
		if err := x.db.Pool.QueryRow(ctx, q, args...).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%d", id)
	}
	bidderReader := func(name string, r registered) attacker {
		return attacker{name: name, token: r.token, bidder: r.id, viewer: auction.Viewer{Audience: auction.AudienceBidder,
			Bidder: registry.BidderKey(r.id), Actor: "bidder#" + actorOf(`SELECT id FROM api_token WHERE bidder_id = $1`, r.id)}}
	}
	readers := []attacker{
		{name: "public", viewer: auction.Viewer{Audience: auction.AudiencePublic}},
		bidderReader("bidder A", A),
		bidderReader("bidder B", B),
		bidderReader("bidder D (refused)", D),
		{name: "planner", token: planner, viewer: auction.Viewer{Audience: auction.AudiencePlanner, Actor: "planner#" + actorOf(`SELECT id FROM api_token WHERE role = 'planner'`)}},
		{name: "bureau", token: x.bureau, viewer: auction.Viewer{Audience: auction.AudienceBureau}},
	}

	tender, start := x.offer(1, `"method":"tender","increment":1000,"deposit":1000`)
	listing, lstart := x.offer(2, `"method":"listing","increment":1000,"deposit":1000`)
	auc, astart := x.offer(3, `"method":"auction","increment":1000,"deposit":1000,"reserve":`+fmt.Sprint(int64(1)<<40))
	_ = astart
	parcels, _, err := x.db.Store.ListParcels(ctx, registry.ParcelFilter{})
	if err != nil {
		t.Fatal(err)
	}
	price4 := int64(10_000_000)
	if _, err := x.db.Store.UpdateParcel(ctx, parcels[3].ID, registry.ParcelPatch{StartingPriceYuan: &price4}); err != nil {
		t.Fatal(err)
	}
	ended, _ := x.offer(4, `"method":"listing","increment":1000,"deposit":1000`)
	const reason = "营业执照经营范围不符-机密"
	var wg sync.WaitGroup
	var tenderStart, listingStart time.Time
	for _, f := range []func(){
		func() {
			tenderStart = x.announceFor(tender.ID, "tender", 12*time.Second, []registered{A, B, C}, nil, "")
		},
		func() {
			listingStart = x.announceFor(listing.ID, "listing", 12*time.Second, []registered{A, B}, &D, reason)
		},
		func() { x.announceFor(auc.ID, "auction", 0, []registered{A, B, C}, nil, "") },
		func() { x.announceFor(ended.ID, "listing", 12*time.Second, nil, nil, "") },
	} {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	wg.Wait()
	x.waitUntil(tenderStart)
	x.waitUntil(listingStart)

	// Sealed bids, two of them amended; quotes in the listing.
	sealed := map[string]registered{} // amount text → its bidder
	tbid := func(r registered, amount int64) {
		x.must(201, "POST", fmt.Sprintf("/api/v1/sales/%d/bids", tender.ID), r.token, fmt.Sprintf(`{"amount":%d}`, amount))
		sealed[fmt.Sprint(amount)] = r
	}
	tbid(A, start+7_771)
	tbid(B, start+7_772)
	tbid(A, start+7_773) // amends A's first bid
	tbid(C, start+7_774)
	tbid(B, start+7_779) // amends B's: B wins
	x.must(201, "POST", fmt.Sprintf("/api/v1/sales/%d/bids", listing.ID), A.token, fmt.Sprintf(`{"amount":%d}`, lstart))
	x.must(201, "POST", fmt.Sprintf("/api/v1/sales/%d/bids", listing.ID), B.token, fmt.Sprintf(`{"amount":%d}`, lstart+1000))
	base := fmt.Sprintf("/api/v1/sales/%d", ended.ID)
	x.must(201, "POST", base+"/notices", x.bureau, `{"text":"补充公告：竞买须知第三条更正"}`)
	x.must(200, "POST", base+"/suspension", x.bureau, `{"reason":"收到举报，暂停核查"}`)
	x.must(200, "POST", base+"/resumption", x.bureau, `{"reason":"核查完毕"}`)
	x.must(200, "POST", base+"/termination", x.bureau, `{"reason":"规划调整，终止出让"}`)

	secrets := []secretText{
		{what: "reason for refusing D", text: reason, allowed: func(a attacker, _ bool) bool { return a.name == "bureau" || a.bidder == D.id }},
		{what: "contract reference", text: "合同编号-机密-7", allowed: func(a attacker, _ bool) bool { return a.name == "bureau" || a.bidder == A.id }},
		{what: "payment reference", text: "银行流水-机密-9", allowed: func(a attacker, _ bool) bool { return a.name == "bureau" || a.bidder == A.id }},
	}
	for amount, r := range sealed {
		secrets = append(secrets, secretText{what: "sealed amount " + amount, text: amount,
			allowed: func(a attacker, opened bool) bool { return opened || a.name == "bureau" || a.bidder == r.id }})
	}
	for i, n := range names {
		id := bs[i].id
		secrets = append(secrets, secretText{what: "the name of " + n, text: n,
			allowed: func(a attacker, opened bool) bool {
				// Winners are named in the result once their sale closed:
				// B won the tender, A the listing.
				return a.name == "bureau" || a.bidder == id || (opened && (id == A.id || id == B.id))
			}})
	}

	sales := []int64{tender.ID, listing.ID, auc.ID, ended.ID}
	kinds := map[string]bool{}
	look := func(phase string, opened bool, live []int64) {
		// The bureau's whole entries are what the others' views are checked against.
		whole := map[int64]map[int64]auditItem{}
		phases := map[int64]auction.Phase{}
		for _, id := range live {
			var items struct{ Items []auditItem }
			x.must(200, "GET", fmt.Sprintf("/api/v1/sales/%d/audit?limit=5000", id), x.bureau, "").into(t, &items)
			whole[id] = map[int64]auditItem{}
			for _, it := range items.Items {
				whole[id][it.Seq] = it
				kinds[it.Kind] = true
			}
			var sl struct {
				Result *struct {
					Sold   bool
					Winner *struct{ ID int64 }
				}
			}
			x.must(200, "GET", fmt.Sprintf("/api/v1/sales/%d", id), x.bureau, "").into(t, &sl)
			if sl.Result != nil {
				phases[id] = auction.Phase{Opened: true}
				if sl.Result.Sold {
					phases[id] = auction.Phase{Opened: true, Winner: registry.BidderKey(sl.Result.Winner.ID)}
				}
			}
		}
		var mu sync.Mutex
		var rg sync.WaitGroup
		slots := make(chan struct{}, 3) // a few readers at a time: other tests share the machine
		for _, a := range readers {
			for _, id := range live {
				rg.Add(1)
				go func() {
					defer rg.Done()
					slots <- struct{}{}
					defer func() { <-slots }()
					ways := map[string]string{}
					var items struct{ Items []auditItem }
					r := x.call(0, "GET", fmt.Sprintf("/api/v1/sales/%d/audit?limit=5000", id), a.token, "")
					ways["audit chain"] = string(r.body)
					_ = json.Unmarshal(r.body, &items)
					streamed := x.streamed(id, a.token)
					sb, _ := json.Marshal(streamed)
					ways["event stream"] = string(sb)
					for _, p := range []string{"/api/v1/sales/%d", "/api/v1/sales?limit=1000", "/api/v1/sales/%d/bids", "/api/v1/audit?sale_id=%d", "/api/v1/audit", "/api/v1/sales/%d/result", "/ogc/collections/sales/items?limit=1000"} {
						path := p
						if strings.Contains(p, "%d") {
							path = fmt.Sprintf(p, id)
						}
						res := x.call(0, "GET", path, a.token, "")
						if res.status >= 500 {
							t.Errorf("%s %s: %d %s", a.name, path, res.status, res.body)
						}
						ways[path] = string(res.body)
					}
					mu.Lock()
					defer mu.Unlock()
					where := fmt.Sprintf("%s, sale %d, %s", phase, id, a.name)
					for way, body := range ways {
						for _, s := range secrets {
							if !s.allowed(a, opened) && strings.Contains(body, s.text) {
								t.Errorf("%s: %s shows %s", where, way, s.what)
							}
						}
					}
					checkEntries(t, where+", audit chain", id, items.Items, whole[id], a, phases[id], true)
					checkEntries(t, where+", event stream", id, streamed, whole[id], a, phases[id], false)
					if !opened && id == tender.ID && a.name != "bureau" {
						var bids struct{ Items []struct{ Paddle int } }
						_ = json.Unmarshal([]byte(ways[fmt.Sprintf("/api/v1/sales/%d/bids", id)]), &bids)
						own := 0
						if a.bidder == A.id || a.bidder == B.id {
							own = 2 // A and B each hold two sealed bids
						}
						if len(bids.Items) != own {
							t.Errorf("%s: the bids list shows %d sealed bids", where, len(bids.Items))
						}
					}
				}()
			}
		}
		rg.Wait()
	}

	look("before the close", false, []int64{tender.ID, listing.ID})
	for _, id := range []int64{tender.ID, listing.ID} {
		if s := x.sale(id); s.Result != nil {
			t.Fatalf("sale %d closed before the sealed phase was looked at: make the windows longer", id)
		}
	}

	// The tender opens; the listing goes to timed bidding, A outbids B, the
	// countdown closes it for A; then the rest of the course.
	x.waitState(tender.ID, "closed_sold", 20*time.Second)
	ls := x.waitState(listing.ID, "timed_bidding", 20*time.Second)
	x.waitUntil(*ls.TimedStart)
	x.must(201, "POST", fmt.Sprintf("/api/v1/sales/%d/bids", listing.ID), A.token, `{"raise":1}`)
	x.waitState(listing.ID, "closed_sold", 10*time.Second)
	x.waitState(auc.ID, "failed", 10*time.Second)
	lp := fmt.Sprintf("/api/v1/sales/%d", listing.ID)
	x.must(200, "POST", lp+"/confirmation", x.bureau, "")
	ps := x.sale(listing.ID)
	x.must(200, "POST", lp+"/publicity", x.bureau, "")
	x.must(201, "POST", lp+"/objections", B.token, `{"text":"对竞价过程有异议"}`)
	x.must(200, "POST", lp+"/objections/1/resolution", x.bureau, `{"outcome":"经核查，竞价过程合规，异议不成立"}`)
	pub := x.sale(listing.ID)
	x.waitUntil(*pub.PublicityEnd)
	price := ps.Result.Price.Yuan
	x.must(201, "POST", lp+"/contract", x.bureau, fmt.Sprintf(`{"schedule":"lump_sum","instalments":[{"due":"2027-06-30","amount":%d}],"reference":"合同编号-机密-7"}`, price))
	x.must(201, "POST", lp+"/payments", x.bureau, `{"amount":1000,"reference":"银行流水-机密-9"}`)
	x.must(200, "POST", fmt.Sprintf("/api/v1/sales/%d/default", tender.ID), x.bureau, `{"reason":"竞得人逾期未签订出让合同"}`)

	look("after the close", true, sales)
	for _, k := range auction.Kinds() {
		if !kinds[k] {
			t.Errorf("no sale of the attack test records %s: extend the course so that every kind is read by every reader", k)
		}
	}
	var rep struct{ OK bool }
	x.must(200, "GET", "/api/v1/audit", "", "").into(t, &rep)
	if !rep.OK {
		t.Error("the audit log does not verify")
	}
}

// checkEntries checks a reader's view of a sale's entries against the
// bureau's whole entries and auction.Visible: the same entries (none missing
// that the rule shows, none shown that it hides), each exactly as the rule
// gives it; a salt only with a whole entry; in the chain, every entry's
// hash, withheld or not.
func checkEntries(t *testing.T, where string, saleID int64, got []auditItem, whole map[int64]auditItem, a attacker, p auction.Phase, chain bool) {
	t.Helper()
	seen := map[int64]bool{}
	for _, it := range got {
		seen[it.Seq] = true
		w, ok := whole[it.Seq]
		if !ok {
			continue // written after the bureau's read
		}
		if it.Kind != w.Kind {
			t.Errorf("%s: entry %d is %s, the bureau reads %s", where, it.Seq, it.Kind, w.Kind)
			continue
		}
		view, visible := auction.Visible(w.Kind, w.Actor, w.Data, a.viewer, p)
		if !visible {
			if !chain {
				t.Errorf("%s: entry %d (%s) was streamed; the rule withholds it", where, it.Seq, it.Kind)
			} else if it.View != "nothing" || len(it.Data) > 0 && string(it.Data) != "null" || it.Actor != "" || it.Salt != "" || it.Hash != w.Hash {
				t.Errorf("%s: withheld entry %d (%s) shows %s %q %s", where, it.Seq, it.Kind, it.View, it.Actor, it.Data)
			}
			continue
		}
		if !sameJSON(it.Data, view.Data) || it.Actor != view.Actor {
			t.Errorf("%s: entry %d (%s) shows %q %s; the rule gives %s: %q %s", where, it.Seq, it.Kind, it.Actor, it.Data, view.Level, view.Actor, view.Data)
		}
		if chain {
			if it.View != view.Level.String() || (it.Salt != "") != (view.Level == auction.Whole) || it.Hash != w.Hash || it.PrevHash != w.PrevHash {
				t.Errorf("%s: entry %d (%s): view %s salt %q, the rule gives %s", where, it.Seq, it.Kind, it.View, it.Salt, view.Level)
			}
			if it.Salt != "" && !rehashes(it, saleID) {
				t.Errorf("%s: entry %d (%s) shown whole with its salt does not rehash", where, it.Seq, it.Kind)
			}
		}
		if view.Level != auction.Whole && (strings.Contains(it.Actor, "#") || bytes.Contains(it.Data, []byte(`"bidder"`))) {
			t.Errorf("%s: entry %d (%s) names someone: %q %s", where, it.Seq, it.Kind, it.Actor, it.Data)
		}
	}
	for seq, w := range whole {
		_, visible := auction.Visible(w.Kind, w.Actor, w.Data, a.viewer, p)
		if (visible || chain) && !seen[seq] {
			t.Errorf("%s: entry %d (%s) is missing", where, seq, w.Kind)
		}
	}
}

// rehashes recomputes a whole entry's hash from what the reader was shown.
func rehashes(it auditItem, saleID int64) bool {
	salt, err1 := hex.DecodeString(it.Salt)
	prev, err2 := hex.DecodeString(it.PrevHash)
	if err1 != nil || err2 != nil {
		return false
	}
	h, err := registry.EntryHash(prev, registry.AuditEntry{SaleID: saleID, Seq: it.Seq, Kind: it.Kind, RecordedAt: it.RecordedAt, Actor: it.Actor, Data: it.Data, Salt: salt})
	return err == nil && hex.EncodeToString(h) == it.Hash
}

func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
