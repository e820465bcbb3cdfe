package openapi_test

import (
	"fmt"
	"testing"
	"time"

	"minerights/auction"
	"minerights/openapi"
)

// TestTenderThreeBidders runs a 招标 through the API with three bidders on
// two servers: sealed bids (one replaced by a higher one), the tender
// opened at its deadline by either server's scheduler, the winner the bids
// re-derive, and an audit log that verifies. With the listing drill
// (TestDrill) it is the transfer run on Citus by `make test-citus`.
func TestTenderThreeBidders(t *testing.T) {
	t.Parallel()
	x := newXfer(t, fast(t), 2)
	const inc = 1000
	sale, start := x.offer(3, fmt.Sprintf(`"method":"tender","increment":%d,"deposit":1000`, inc))
	a, b, c := x.bidder("甲矿业有限公司"), x.bidder("乙石材有限公司"), x.bidder("丙建材有限公司")
	x.open(sale.ID, "tender", a, b, c)
	path := fmt.Sprintf("/api/v1/sales/%d", sale.ID)
	x.waitState(sale.ID, string(auction.StateTenderOpen), 10*time.Second)
	for i, bid := range []struct {
		who    registered
		amount int64
	}{{a, start + 5*inc}, {b, start + 9*inc}, {c, start + 2*inc}, {c, start + 12*inc}} {
		if r := x.call(i%2, "POST", path+"/bids", bid.who.token, fmt.Sprintf(`{"amount":%d}`, bid.amount), "Idempotency-Key", fmt.Sprintf("t%d", i)); r.status != 201 {
			t.Fatalf("tender bid %d: %d %s", i, r.status, r.body)
		}
		// The retry, through the other server, is answered with the same receipt.
		if r := x.call(1-i%2, "POST", path+"/bids", bid.who.token, fmt.Sprintf(`{"amount":%d}`, bid.amount), "Idempotency-Key", fmt.Sprintf("t%d", i)); r.status != 201 {
			t.Fatalf("tender bid %d: %d %s", i, r.status, r.body)
		}
	}
	s := x.waitState(sale.ID, "closed_sold", 20*time.Second)

	bids := x.storedBids(sale.ID)
	if len(bids) != 4 {
		t.Fatalf("%d bids stored, want 4 (retries are not bids)", len(bids))
	}
	want := auction.Winner(bids, auction.MethodTender, start, fast(t))
	if !want.Sold || want.Best.Amount != start+12*inc || s.Result == nil ||
		s.Result.WinningSeq != int64(want.Best.Seq) || s.Result.Price.Yuan != want.Best.Amount {
		t.Errorf("result %+v, re-derived %+v", s.Result, want)
	}
	x.auditVerifies()
	var out openapi.SaleOut
	x.must(200, "GET", path, "", "").into(t, &out)
	if out.State != "closed_sold" {
		t.Errorf("public view: %s", out.State)
	}
}
