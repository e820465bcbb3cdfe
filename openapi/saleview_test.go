package openapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"minerights/openapi"
	"minerights/registry"
)

// seen is what a reader got of a sale, in the terms of the one rule of what
// each reader sees (openapi sightOf).
type seen struct {
	Exists       bool
	Reserve      bool     // the reserve's amount
	Salt         bool     // the reserve's salt
	Participants bool     // every applicant's standing
	You          bool     // the reader's own standing ("you")
	Names        []string // the bidders' names that appear anywhere in the sale
}

func (x *xfer) seenOf(s openapi.SaleOut, body []byte, names []string) seen {
	x.t.Helper()
	g := seen{Exists: true, Reserve: s.Reserve != nil && s.Reserve.Amount != nil, Salt: s.Reserve != nil && s.Reserve.Salt != "",
		Participants: s.Participants != nil}
	g.You = s.You != nil
	for _, n := range names {
		if strings.Contains(string(body), n) {
			g.Names = append(g.Names, n)
		}
	}
	return g
}

// snapshot is the first message of a new event stream of the sale: the sale
// as the reader may see it.
func (x *xfer) snapshot(id int64, token string) (openapi.SaleOut, []byte) {
	x.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/v1/sales/%d/events", x.urls[0], id), nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		x.t.Fatal(err)
	}
	defer res.Body.Close()
	var raw string
	scanEvents(res.Body, func(ev sseEvent) bool {
		if ev.kind == "snapshot" {
			raw = ev.raw
		}
		return false
	})
	var s openapi.SaleOut
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		x.t.Fatalf("sale %d: the stream's first message is not a snapshot (%v): %q", id, err, raw)
	}
	return s, []byte(raw)
}

// TestSaleSightEveryRoleAndPhase: every reader (the public, a planner, two
// applicants, a bidder outside the sale, the bureau) in every phase of a
// sale (draft, applications, bidding, sold) sees exactly what the one rule
// allows, the same through the sale, the list of sales and the live stream's
// snapshot: a draft only the bureau; the reserve the bureau, and everyone
// once revealed at the close; every applicant's standing and identity the
// bureau; a bidder its own standing; the winner's name everyone once sold,
// nobody any other bidder's name. The audit view names nobody it may not,
// and the database's sale_public view (the map layers) shows the public what
// the API shows it.
func TestSaleSightEveryRoleAndPhase(t *testing.T) {
	t.Parallel()
	rules := fast(t)
	rules.Countdown = 5 * time.Second // the phase stays while every reader reads
	x := newXfer(t, rules, 1)
	ctx := context.Background()
	const start, inc = 435866500, 1000 // parcel 1's starting price
	sale, got := x.offer(1, fmt.Sprintf(`"method":"listing","increment":%d,"deposit":1000,"reserve":%d`, inc, start+inc))
	if got != start {
		t.Fatalf("parcel 1 starts at %d, the test assumes %d", got, start)
	}
	path := fmt.Sprintf("/api/v1/sales/%d", sale.ID)
	names := []string{"甲矿业有限公司SV1", "乙石材有限公司SV2", "丙建材有限公司SV3"}
	a, b, outsider := x.bidder(names[0]), x.bidder(names[1]), x.bidder(names[2])
	planner, err := x.db.Store.CreateToken(ctx, registry.RolePlanner, "规划科", 0)
	if err != nil {
		t.Fatal(err)
	}
	readers := []struct {
		name, token string
		bureau      bool
		self        registered // the reader's own bidder, if any
		applicant   bool
	}{
		{"public", "", false, registered{}, false},
		{"planner", planner, false, registered{}, false},
		{"applicant a", a.token, false, a, true},
		{"applicant b (the winner)", b.token, false, b, true},
		{"bidder outside the sale", outsider.token, false, outsider, false},
		{"bureau", x.bureau, true, registered{}, false},
	}
	nameOf := map[int64]string{a.id: names[0], b.id: names[1], outsider.id: names[2]}

	check := func(phase string, draft, closed bool) {
		t.Helper()
		for _, r := range readers {
			// What the rule allows this reader in this phase.
			want := seen{Exists: !draft || r.bureau}
			if want.Exists {
				want.Reserve = r.bureau || closed
				want.Salt = closed
				want.Participants = r.bureau && !draft // nobody has applied to a draft
				want.You = r.applicant && !draft
				for _, n := range names {
					own := r.self.id != 0 && nameOf[r.self.id] == n
					applied := n != names[2]
					switch {
					case r.bureau && applied && !draft, own && (r.applicant || r.bureau), closed && n == names[1]:
						want.Names = append(want.Names, n)
					}
				}
			}
			res := x.call(0, "GET", path, r.token, "")
			var list struct{ Items []openapi.SaleOut }
			x.must(200, "GET", "/api/v1/sales", r.token, "").into(t, &list)
			listed := slices.IndexFunc(list.Items, func(s openapi.SaleOut) bool { return s.ID == sale.ID })
			if !want.Exists {
				if res.status != 404 || listed >= 0 {
					t.Errorf("%s, %s: the draft answers %d and is listed %v", phase, r.name, res.status, listed >= 0)
				}
				continue
			}
			if res.status != 200 || listed < 0 {
				t.Fatalf("%s, %s: GET %d %s; listed %v", phase, r.name, res.status, res.body, listed >= 0)
			}
			var s openapi.SaleOut
			res.into(t, &s)
			item, _ := json.Marshal(list.Items[listed])
			snap, raw := x.snapshot(sale.ID, r.token)
			for _, v := range []struct {
				via  string
				sale openapi.SaleOut
				body []byte
			}{{"the sale", s, res.body}, {"the list", list.Items[listed], item}, {"the stream's snapshot", snap, raw}} {
				w := want
				if v.via == "the list" {
					// The list carries no bidder records (registry.ListSales
					// reads none): it names nobody, not even the caller or
					// the winner.
					w.Names = nil
				}
				if g := x.seenOf(v.sale, v.body, names); fmt.Sprint(g) != fmt.Sprint(w) {
					t.Errorf("%s, %s, through %s: sees %+v, the rule allows %+v", phase, r.name, v.via, g, want)
				}
			}
			if s.You != nil && (s.You.Bidder == nil || s.You.Bidder.ID != r.self.id) {
				t.Errorf("%s, %s: its own standing names %+v", phase, r.name, s.You.Bidder)
			}
			if closed && (s.Result == nil || s.Result.Winner == nil || s.Result.Winner.Name != names[1]) {
				t.Errorf("%s, %s: the result %+v does not name the winner", phase, r.name, s.Result)
			}
			// The audit view: no name the reader may not see (the events'
			// own rule may show less, never more).
			audit := x.must(200, "GET", path+"/audit", r.token, "")
			for _, n := range names {
				if strings.Contains(string(audit.body), n) && !r.bureau && !slices.Contains(want.Names, n) {
					t.Errorf("%s, %s: the audit view names %q", phase, r.name, n)
				}
			}
		}
		// The map layers' view shows the public what the API shows it.
		var pub openapi.SaleOut
		if r := x.call(0, "GET", path, "", ""); r.status == 200 {
			r.into(t, &pub)
		}
		var rows int
		var price, paddle *int64
		var winner *string
		var commitment string
		err := x.db.Pool.QueryRow(ctx, `SELECT count(*) OVER (), price_yuan, winner_paddle, winner_name, reserve_commitment
			FROM sale_public WHERE sale_id = $1`, sale.ID).Scan(&rows, &price, &paddle, &winner, &commitment)
		switch {
		case draft:
			if err == nil {
				t.Errorf("%s: sale_public shows the draft", phase)
			}
		case err != nil:
			t.Fatalf("%s: sale_public: %v", phase, err)
		case pub.Reserve == nil || commitment != pub.Reserve.Commitment:
			t.Errorf("%s: sale_public's reserve commitment %q, the API's %+v", phase, commitment, pub.Reserve)
		case !closed && (price != nil || paddle != nil || winner != nil):
			t.Errorf("%s: sale_public shows a price or a winner before the close", phase)
		case closed && (pub.Result == nil || pub.Result.Price == nil || pub.Result.Winner == nil || price == nil || paddle == nil || winner == nil ||
			*price != pub.Result.Price.Yuan || int(*paddle) != pub.Result.WinnerPaddle || *winner != pub.Result.Winner.Name):
			t.Errorf("%s: sale_public and the API's public result differ: %v %v %v | %+v", phase, price, paddle, winner, pub.Result)
		}
	}

	check("draft", true, false)

	now := x.dbNow()
	bidStart := now.Add(6 * time.Second)
	wb, _ := json.Marshal(map[string]any{"apply_start": now.Add(time.Second), "apply_end": bidStart, "deposit_deadline": bidStart,
		"bidding_start": bidStart, "bidding_end": bidStart.Add(5 * time.Second)})
	x.must(200, "POST", path+"/announcement", x.bureau, string(wb))
	x.waitUntil(now.Add(time.Second))
	for _, r := range []registered{a, b} {
		x.must(201, "POST", path+"/applications", r.token, "")
		x.must(200, "POST", path+"/deposits", x.bureau, fmt.Sprintf(`{"bidder_id":%d,"amount":1000}`, r.id))
		x.must(200, "POST", path+"/qualifications", x.bureau, fmt.Sprintf(`{"bidder_id":%d,"approve":true}`, r.id))
	}
	check("applications", false, false)

	x.waitUntil(bidStart)
	x.must(201, "POST", path+"/bids", a.token, fmt.Sprintf(`{"amount":%d}`, start))
	x.must(201, "POST", path+"/bids", b.token, fmt.Sprintf(`{"amount":%d}`, start+inc))
	check("bidding", false, false)
	if st := x.sale(sale.ID).State; st != "listing" && st != "timed_bidding" {
		t.Fatalf("the sale left bidding (%s) while the readers read: the bidding phase proves nothing", st)
	}

	x.waitState(sale.ID, "closed_sold", 30*time.Second)
	check("sold", false, true)
}
