package openapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"minerights/auction"
	"minerights/data"
	"minerights/internal/apitest"
	"minerights/internal/money"
	"minerights/internal/pgtest"
	"minerights/openapi"
	"minerights/registry"
	"minerights/registry/registrytest"
)

// xfer is the API over real HTTP on a fresh seeded database, with the hub
// and the scheduler running as in `minerights serve`.
type xfer struct {
	t      *testing.T
	db     registrytest.DB
	urls   []string
	bureau string
	// queries counts each process's queries on its pool; events is each
	// process's fan-out of live events.
	queries []*queryCount
	events  []*registry.Events
}

// queryCount counts the queries a pool sends (pgx.QueryTracer), and those
// that read the audit log.
type queryCount struct{ all, audit atomic.Int64 }

func (q *queryCount) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	q.all.Add(1)
	if strings.Contains(d.SQL, "FROM audit_event") {
		q.audit.Add(1)
	}
	return ctx
}

func (q *queryCount) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// newXfer starts `processes` API servers on one database, each with its own
// pool, hub and scheduler, as separate serve processes would be.
func newXfer(t *testing.T, rules auction.Rules, processes int, opts ...func(*openapi.Deps)) *xfer {
	t.Helper()
	db := registrytest.Seeded(t)
	x := &xfer{t: t, db: db}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for range processes {
		cfg, err := pgxpool.ParseConfig(db.URL)
		if err != nil {
			t.Fatal(err)
		}
		qc := &queryCount{}
		cfg.ConnConfig.Tracer = qc
		x.queries = append(x.queries, qc)
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		store := registry.New(pool)
		hub := registry.NewHub(store, nil)
		sched := &registry.Scheduler{Store: store, Hub: hub, MaxSleep: 200 * time.Millisecond, CheckpointEvery: time.Second}
		events := registry.NewEvents(store, hub, registry.EventsConfig{})
		wg.Add(3)
		go func() { defer wg.Done(); _ = hub.Run(ctx) }()
		go func() { defer wg.Done(); _ = sched.Run(ctx) }()
		go func() { defer wg.Done(); _ = events.Run(ctx) }()
		mux := http.NewServeMux()
		deps := openapi.Deps{Store: store, Transfer: openapi.Transfer{Rules: rules, Hub: hub, Events: events, BidRate: 1000, BidBurst: 1000,
			// A loaded test machine may not run a stream for a while: its
			// writes get longer than production's 250 ms.
			Streams: openapi.StreamLimits{WriteTimeout: 10 * time.Second}}}
		for _, o := range opts {
			o(&deps)
		}
		if halls := deps.Transfer.Halls; halls != nil {
			wg.Add(1)
			go func() { defer wg.Done(); _ = halls.Run(ctx) }()
		}
		openapi.New(mux, deps)
		x.events = append(x.events, deps.Transfer.Events)
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		x.urls = append(x.urls, srv.URL)
	}
	tok, err := db.Store.CreateToken(ctx, registry.RoleBureau, "登记科", 0)
	if err != nil {
		t.Fatal(err)
	}
	x.bureau = tok
	return x
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) into(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// call sends a request to server i; body is JSON text or nil.
func (x *xfer) call(i int, method, path, token, body string, hdr ...string) reply {
	x.t.Helper()
	r, err := apitest.Do(http.DefaultClient, x.urls[i], method, path, token, body, hdr...)
	if err != nil {
		x.t.Fatal(err)
	}
	return reply{status: r.Status, header: r.Header, body: r.Body}
}

// must sends a request and fails the test unless the status is want.
func (x *xfer) must(want int, method, path, token, body string, hdr ...string) reply {
	x.t.Helper()
	r := x.call(0, method, path, token, body, hdr...)
	if r.status != want {
		x.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.body)
	}
	return r
}

// storedBids reads the sale's bids back from the database, in sequence.
func (x *xfer) storedBids(saleID int64) []auction.Bid {
	x.t.Helper()
	rows, err := x.db.Pool.Query(context.Background(), `SELECT seq, amount_yuan, bidder_id, paddle FROM bid WHERE sale_id = $1 ORDER BY seq`, saleID)
	if err != nil {
		x.t.Fatal(err)
	}
	var bids []auction.Bid
	for rows.Next() {
		var seq, amount, bidder int64
		var paddle int
		if err := rows.Scan(&seq, &amount, &bidder, &paddle); err != nil {
			x.t.Fatal(err)
		}
		bids = append(bids, auction.Bid{Seq: uint64(seq), Amount: amount, Bidder: registry.BidderKey(bidder), Paddle: paddle})
	}
	if err := rows.Err(); err != nil {
		x.t.Fatal(err)
	}
	return bids
}

// auditVerifies checks that the public audit endpoint verifies the chain.
func (x *xfer) auditVerifies() {
	x.t.Helper()
	var rep struct{ OK bool }
	x.must(200, "GET", "/api/v1/audit", "", "").into(x.t, &rep)
	if !rep.OK {
		x.t.Error("audit does not verify")
	}
}

func (x *xfer) sale(id int64) openapi.SaleOut {
	x.t.Helper()
	var s openapi.SaleOut
	x.must(200, "GET", fmt.Sprintf("/api/v1/sales/%d", id), x.bureau, "").into(x.t, &s)
	return s
}

// waitUntil sleeps until the server's clock passes at.
func (x *xfer) waitUntil(at time.Time) {
	x.t.Helper()
	var now time.Time
	if err := x.db.Pool.QueryRow(context.Background(), `SELECT clock_timestamp()`).Scan(&now); err != nil {
		x.t.Fatal(err)
	}
	if d := at.Sub(now); d > 0 {
		time.Sleep(d + 50*time.Millisecond)
	}
}

func (x *xfer) waitState(id int64, want string, within time.Duration) openapi.SaleOut {
	x.t.Helper()
	end := time.Now().Add(within)
	for {
		s := x.sale(id)
		if s.State == want {
			return s
		}
		if time.Now().After(end) {
			x.t.Fatalf("sale %d is %s, want %s", id, s.State, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type registered struct {
	id    int64
	token string
}

func (x *xfer) bidder(name string) registered {
	x.t.Helper()
	var out struct {
		Bidder registry.Bidder `json:"bidder"`
		Token  string          `json:"token"`
	}
	x.must(201, "POST", "/api/v1/bidders", x.bureau, fmt.Sprintf(`{"name":%q}`, name)).into(x.t, &out)
	return registered{id: out.Bidder.ID, token: out.Token}
}

// offer makes gazette parcel no pass the compliance check (through the
// compliance engine) and creates a sale of it; it returns the sale and the
// starting price.
func (x *xfer) offer(no int, body string) (openapi.SaleOut, int64) {
	x.t.Helper()
	ctx := context.Background()
	ps, _, err := x.db.Store.ListParcels(ctx, registry.ParcelFilter{})
	if err != nil {
		x.t.Fatal(err)
	}
	p := ps[no-1]
	if _, err := x.db.Store.RunCompliance(ctx, p.ID); err != nil {
		x.t.Fatal(err)
	}
	var s openapi.SaleOut
	x.must(201, "POST", "/api/v1/sales", x.bureau, fmt.Sprintf(`{"parcel_id":%d,%s}`, p.ID, body)).into(x.t, &s)
	return s, *p.StartingPriceYuan
}

func (x *xfer) dbNow() time.Time {
	x.t.Helper()
	var now time.Time
	if err := x.db.Pool.QueryRow(context.Background(), `SELECT clock_timestamp()`).Scan(&now); err != nil {
		x.t.Fatal(err)
	}
	return now
}

// sseEvent is one message read from an event stream.
type sseEvent struct {
	id   int64
	kind string
	data openapi.SaleEvent
	raw  string
}

// readEvents reads an event stream until ctx ends, sending each message.
func readEvents(ctx context.Context, t *testing.T, url, lastID string, out chan<- sseEvent) {
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Errorf("event stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
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

// scanEvents parses Server-Sent Events from r, handing each to f until it
// returns false or r ends.
func scanEvents(r io.Reader, f func(sseEvent) bool) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var ev sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "id: "):
			ev.id, _ = strconv.ParseInt(line[4:], 10, 64)
		case strings.HasPrefix(line, "event: "):
			ev.kind = line[7:]
		case strings.HasPrefix(line, "data: "):
			ev.raw = line[6:]
			_ = json.Unmarshal([]byte(ev.raw), &ev.data)
		case line == "" && ev.kind != "":
			if !f(ev) {
				return
			}
			ev = sseEvent{}
		}
	}
}

// TestDrill runs a whole 挂牌 sale through the API under the shipped drill
// rules (data/rules/drill.yaml): three bidders register, pay and qualify,
// quote during the listing, the listing closes into timed bidding, bids
// restart the countdown, the sale closes, the winner gets its confirmation
// letter with the price in capital numerals, the losers' deposits are
// refunded, the live stream showed it all by paddle number, the audit log
// verifies, and a tampered row is detected. It takes about two minutes of
// wall time, because the drill rules are real durations.
func TestDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("the drill runs in real time")
	}
	t.Parallel()
	b, _ := data.Rules("drill")
	rules, err := auction.ParseRules(b)
	if err != nil {
		t.Fatal(err)
	}
	x := newXfer(t, rules, 1)
	const inc, dep = 100_000, 1_000_000
	sale, start := x.offer(1, fmt.Sprintf(`"method":"listing","increment":%d,"deposit":%d,"reserve":%d`, inc, dep, 435866500+2*inc))
	path := fmt.Sprintf("/api/v1/sales/%d", sale.ID)
	if sale.State != "draft" || sale.Reserve == nil || sale.Reserve.Amount == nil {
		t.Fatalf("draft sale %+v", sale)
	}
	x.must(404, "GET", path, "", "") // drafts are the bureau's

	a, bb, c := x.bidder("甲矿业有限公司"), x.bidder("乙石材有限公司"), x.bidder("丙建材有限公司")
	outsider := x.bidder("丁公司")

	now := x.dbNow()
	bidStart := now.Add(22 * time.Second)
	w := map[string]time.Time{
		"apply_start": now.Add(2 * time.Second), "apply_end": now.Add(16 * time.Second),
		"deposit_deadline": now.Add(19 * time.Second), "bidding_start": bidStart, "bidding_end": bidStart.Add(60 * time.Second),
	}
	wb, _ := json.Marshal(w)
	x.must(200, "POST", path+"/announcement", x.bureau, string(wb))
	var pub openapi.SaleOut
	x.must(200, "GET", path, "", "").into(t, &pub)
	if pub.Reserve == nil || pub.Reserve.Amount != nil || pub.Reserve.Commitment == "" {
		t.Fatalf("the public sees the reserve before the close: %+v", pub.Reserve)
	}
	x.must(401, "POST", path+"/notices", "", "")
	x.must(201, "POST", path+"/notices", x.bureau, `{"text":"补充公告：现场踏勘时间调整为工作日上午。"}`)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan sseEvent, 1000)
	go readEvents(ctx, t, x.urls[0]+path+"/events", "", events)

	x.waitUntil(w["apply_start"])
	paddle := map[int64]int{}
	for _, r := range []registered{a, bb, c} {
		var s openapi.SaleOut
		x.must(201, "POST", path+"/applications", r.token, "").into(t, &s)
		if s.You == nil || s.You.Bidder == nil || s.You.Bidder.ID != r.id {
			t.Fatalf("applicant's own view %+v", s.You)
		}
		paddle[r.id] = s.You.Paddle
	}
	x.must(409, "POST", path+"/applications", a.token, "") // once only
	for _, r := range []registered{a, bb, c} {
		x.must(200, "POST", path+"/deposits", x.bureau, fmt.Sprintf(`{"bidder_id":%d,"amount":%d}`, r.id, dep))
		x.must(200, "POST", path+"/qualifications", x.bureau, fmt.Sprintf(`{"bidder_id":%d,"approve":true}`, r.id))
	}
	var asBidder openapi.SaleOut
	x.must(200, "GET", path, a.token, "").into(t, &asBidder)
	if asBidder.Participants != nil || asBidder.You == nil || !asBidder.You.Qualified || !asBidder.You.DepositPaid {
		t.Fatalf("bidder view %+v", asBidder)
	}
	bid := func(r registered, amount int64, key string) reply {
		hdr := []string{}
		if key != "" {
			hdr = []string{"Idempotency-Key", key}
		}
		return x.call(0, "POST", path+"/bids", r.token, fmt.Sprintf(`{"amount":%d}`, amount), hdr...)
	}
	if r := bid(a, start, ""); r.status != 409 {
		t.Fatalf("bid before bidding opens: %d %s", r.status, r.body)
	}

	x.waitUntil(bidStart)
	var first openapi.BidReceipt
	r := bid(a, start, "a-1")
	if r.status != 201 {
		t.Fatalf("first quote: %d %s", r.status, r.body)
	}
	r.into(t, &first)
	if first.Seq != 1 || first.Amount.Yuan != start || first.PreviousHigh != 0 || first.Phase != "listing" || first.At.IsZero() {
		t.Errorf("receipt %+v", first)
	}
	// Bad input and abuse: each a clear 4xx, nothing changed.
	before := x.sale(sale.ID).BidCount
	for _, tc := range []struct {
		name   string
		token  string
		body   string
		key    string
		status int
	}{
		{"same key, same body: the same answer", a.token, fmt.Sprintf(`{"amount":%d}`, start), "a-1", 201},
		{"same key, another body", a.token, fmt.Sprintf(`{"amount":%d}`, start+5*inc), "a-1", 422},
		{"below the increment", bb.token, fmt.Sprintf(`{"amount":%d}`, start+inc-1), "", 422},
		{"a float", bb.token, fmt.Sprintf(`{"amount":%d.5}`, start+inc), "", 422},
		{"negative", bb.token, `{"amount":-100}`, "", 422},
		{"a string", bb.token, `{"amount":"436000000"}`, "", 422},
		{"amount and raise", bb.token, fmt.Sprintf(`{"amount":%d,"raise":1}`, start+inc), "", 422},
		{"neither amount nor raise", bb.token, `{}`, "", 422},
		{"not applied", outsider.token, fmt.Sprintf(`{"amount":%d}`, start+inc), "", 403},
		{"on someone else's behalf", bb.token, fmt.Sprintf(`{"amount":%d,"paddle":%d}`, start+inc, paddle[a.id]), "", 403},
		{"the bureau bidding", x.bureau, fmt.Sprintf(`{"amount":%d}`, start+inc), "", 403},
		{"anonymous", "", fmt.Sprintf(`{"amount":%d}`, start+inc), "", 401},
		{"already the high bidder", a.token, fmt.Sprintf(`{"amount":%d}`, start+inc), "", 409},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := []string{}
			if tc.key != "" {
				hdr = []string{"Idempotency-Key", tc.key}
			}
			r := x.call(0, "POST", path+"/bids", tc.token, tc.body, hdr...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.status == 201 {
				var again openapi.BidReceipt
				r.into(t, &again)
				if again != first || r.header.Get("Idempotent-Replayed") != "true" {
					t.Errorf("replay %+v, want %+v", again, first)
				}
				return
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
				t.Errorf("content type %q", ct)
			}
		})
	}
	if n := x.sale(sale.ID).BidCount; n != before {
		t.Fatalf("refused bids changed the sale: %d bids, was %d", n, before)
	}
	x.must(201, "POST", path+"/bids", bb.token, fmt.Sprintf(`{"amount":%d}`, start+inc))
	var raised openapi.BidReceipt
	x.must(201, "POST", path+"/bids", c.token, `{"raise":1}`).into(t, &raised)
	if raised.Amount.Yuan != start+2*inc || raised.PreviousHigh != start+inc {
		t.Errorf("raise by one increment: %+v", raised)
	}

	s := x.waitState(sale.ID, "timed_bidding", 70*time.Second)
	if s.TimedStart == nil {
		t.Fatal("no timed bidding start")
	}
	x.waitUntil(*s.TimedStart)
	var rc openapi.BidReceipt
	x.must(201, "POST", path+"/bids", a.token, fmt.Sprintf(`{"amount":%d}`, start+3*inc)).into(t, &rc)
	if rc.Deadline == nil || rc.Deadline.Sub(rc.At) != rules.Countdown || rc.Phase != "timed_bidding" {
		t.Errorf("timed bid did not restart the countdown: %+v", rc)
	}
	time.Sleep(2 * time.Second) // within the countdown
	x.must(201, "POST", path+"/bids", bb.token, fmt.Sprintf(`{"amount":%d}`, start+4*inc)).into(t, &rc)
	s = x.waitState(sale.ID, "closed_sold", 15*time.Second)
	price := start + 4*inc
	if s.Result == nil || !s.Result.Sold || s.Result.Price.Yuan != price || s.Result.WinnerPaddle != paddle[bb.id] {
		t.Fatalf("result %+v", s.Result)
	}
	if !s.Result.ClosedAt.Equal(rc.Deadline.UTC()) && !s.Result.ClosedAt.Equal(*rc.Deadline) {
		t.Errorf("closed at %s, the last countdown ended at %s", s.Result.ClosedAt, rc.Deadline)
	}
	if r := bid(c, price+inc, ""); r.status != 409 {
		t.Errorf("bid after the close: %d %s", r.status, r.body)
	}
	x.must(200, "GET", path, "", "").into(t, &pub)
	if pub.Reserve == nil || !pub.Reserve.Revealed || pub.Reserve.Amount == nil ||
		!auction.VerifyReserve(pub.Reserve.Commitment, pub.Reserve.Amount.Yuan, mustHex(t, pub.Reserve.Salt)) {
		t.Errorf("the revealed reserve does not open the commitment: %+v", pub.Reserve)
	}

	// The confirmation letter, for the winner, with the price in capital numerals.
	x.must(200, "POST", path+"/confirmation", x.bureau, "")
	var letter openapi.ConfirmationLetter
	x.must(200, "GET", path+"/confirmation", bb.token, "").into(t, &letter)
	const capital = "肆亿叁仟陆佰贰拾陆万陆仟伍佰元整"
	if letter.Price.Yuan != 436266500 || letter.Price.Capital != capital || letter.Price.Capital != money.CapitalYuan(price) ||
		letter.Winner.ID != bb.id || letter.Paddle != paddle[bb.id] {
		t.Errorf("letter %+v", letter)
	}
	x.must(403, "GET", path+"/confirmation", a.token, "")
	html := x.must(200, "GET", path+"/confirmation.html", bb.token, "")
	if !strings.HasPrefix(html.header.Get("Content-Type"), "text/html") || !bytes.Contains(html.body, []byte(capital)) ||
		!bytes.Contains(html.body, []byte("乙石材有限公司")) || !bytes.Contains(html.body, []byte("436266500.00")) {
		t.Errorf("letter page: %s", html.body)
	}
	var notice openapi.ResultNotice
	x.must(200, "GET", path+"/result", "", "").into(t, &notice)
	if !notice.Sold || notice.Winner == nil || notice.Winner.Name != "乙石材有限公司" || notice.Price.Capital != capital {
		t.Errorf("result notice %+v", notice)
	}
	if page := x.must(200, "GET", path+"/result.html", "", ""); !bytes.Contains(page.body, []byte(capital)) {
		t.Errorf("result page lacks the capital numerals")
	}

	// Deposits: the losers' refunded, the winner's kept.
	var ledger struct{ Items []registry.DepositEntry }
	x.must(200, "GET", path+"/deposits", x.bureau, "").into(t, &ledger)
	refunded := map[int64]int64{}
	for _, e := range ledger.Items {
		if e.Kind == "refund" {
			refunded[e.BidderID] += e.Amount
		}
	}
	if refunded[a.id] != dep || refunded[c.id] != dep || refunded[bb.id] != 0 {
		t.Errorf("refunds %v", refunded)
	}
	x.must(200, "GET", path+"/deposits", a.token, "").into(t, &ledger)
	for _, e := range ledger.Items {
		if e.BidderID != a.id {
			t.Errorf("a bidder sees another's deposit: %+v", e)
		}
	}

	// Publicity, then the contract with the deposit credited.
	var pubSale openapi.SaleOut
	x.must(200, "POST", path+"/publicity", x.bureau, "").into(t, &pubSale)
	x.must(201, "POST", path+"/objections", c.token, `{"text":"对竞得人资格有异议。"}`)
	x.must(200, "POST", path+"/objections/1/resolution", x.bureau, `{"outcome":"经复核，竞得人资格符合要求。"}`)
	x.waitUntil(*pubSale.PublicityEnd)
	contract := fmt.Sprintf(`{"schedule":"instalments","instalments":[{"due":"2026-01-05","amount":%d},{"due":"2099-12-31","amount":%d}]}`, price/2, price-price/2)
	var k registry.Contract
	x.must(201, "POST", path+"/contract", x.bureau, contract).into(t, &k)
	if k.DepositCredited != dep || k.Paid != dep || k.Instalments[0].Status != "overdue" || k.Instalments[1].Status != "due" || !k.Overdue {
		t.Errorf("contract %+v", k)
	}

	// The live stream showed bids by paddle, countdown restarts and the close.
	cancel()
	seen := map[string]int{}
	var lastID int64
	if ev := <-events; ev.kind != "snapshot" || ev.id < 1 {
		t.Errorf("a new stream starts with %s %d, want the snapshot", ev.kind, ev.id)
	} else {
		lastID = ev.id
	}
	for len(events) > 0 {
		ev := <-events
		seen[ev.kind]++
		if ev.id != lastID+1 {
			t.Errorf("event %d after %d", ev.id, lastID)
		}
		lastID = ev.id
		if d := string(ev.data.Data); strings.Contains(d, `"bidder"`) || strings.Contains(d, "公司") {
			t.Errorf("the public stream names a bidder: %s", ev.raw)
		}
	}
	for _, k := range []string{"bid-accepted", "countdown-restarted", "listing-closed", "timed-bidding-started", "sale-sold", "deposits-released"} {
		if seen[k] == 0 {
			t.Errorf("the stream never showed %s (saw %v)", k, seen)
		}
	}
	// Resuming with Last-Event-ID starts right after it.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	resumed := make(chan sseEvent, 1)
	go readEvents(ctx2, t, x.urls[0]+path+"/events", "5", resumed)
	select {
	case ev := <-resumed:
		if ev.id != 6 {
			t.Errorf("resumed at %d, want 6", ev.id)
		}
	case <-ctx2.Done():
		t.Error("no event after resuming")
	}

	// The audit log verifies and re-derives the winner; a tampered row does not.
	var rep struct {
		OK       bool
		Sales    []registry.SaleAudit
		Problems []registry.AuditProblem
	}
	x.must(200, "GET", "/api/v1/audit", "", "").into(t, &rep)
	if !rep.OK || len(rep.Sales) != 1 || rep.Sales[0].WinnerPaddle != paddle[bb.id] || rep.Sales[0].Price != price {
		t.Fatalf("audit %+v", rep)
	}
	// One statement at a time: on Citus a DDL statement's text goes to the
	// workers, which take no several commands in one.
	for _, tamper := range []string{`ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only`,
		`UPDATE audit_event SET data = jsonb_set(data, '{winner,amount}', '999') WHERE kind = 'sale-sold'`,
		`ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only`} {
		if _, err := x.db.Pool.Exec(context.Background(), tamper); err != nil {
			t.Fatal(err)
		}
	}
	x.must(200, "GET", "/api/v1/audit", "", "").into(t, &rep)
	if rep.OK || len(rep.Problems) == 0 {
		t.Fatalf("tampering not detected: %+v", rep)
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	var b []byte
	if _, err := fmt.Sscanf(s, "%x", &b); err != nil {
		t.Fatal(err)
	}
	return b
}

// fast are the drill rules shortened further for tests that need a closed
// sale quickly, with a bid rate that does not get in the way of a load.
func fast(t *testing.T) auction.Rules {
	t.Helper()
	return apitest.DrillRules(t, func(r *auction.Rules) {
		r.AnnouncementLead = auction.Period{Duration: 500 * time.Millisecond}
		r.ListingPeriod = auction.Period{Duration: 3 * time.Second}
		r.TimedBiddingDelay = 200 * time.Millisecond
		r.Countdown = time.Second
		r.PublicityLength = auction.Period{Duration: 200 * time.Millisecond}
		r.BidRate = auction.BidRate{Bids: 1000, Per: time.Second}
	})
}

// open announces a sale with windows from now and waits until bidding
// opens, after the bidders applied, paid and were qualified.
func (x *xfer) open(id int64, method string, bidders ...registered) {
	x.t.Helper()
	now := x.dbNow()
	// The applications, deposits and qualifications must all land before
	// bidding opens; on Citus (make test-citus) each crosses nodes.
	lead := 2 * time.Second
	if pgtest.Citus() != nil {
		lead = 12 * time.Second
	}
	start := now.Add(lead)
	w := map[string]any{"apply_start": now.Add(time.Second), "apply_end": start, "deposit_deadline": start, "bidding_start": start}
	if method != "auction" {
		w["bidding_end"] = start.Add(3 * time.Second)
	}
	wb, _ := json.Marshal(w)
	path := fmt.Sprintf("/api/v1/sales/%d", id)
	x.must(200, "POST", path+"/announcement", x.bureau, string(wb))
	x.waitUntil(now.Add(time.Second))
	for _, r := range bidders {
		x.must(201, "POST", path+"/applications", r.token, "")
		x.must(200, "POST", path+"/deposits", x.bureau, fmt.Sprintf(`{"bidder_id":%d,"amount":1000}`, r.id))
		x.must(200, "POST", path+"/qualifications", x.bureau, fmt.Sprintf(`{"bidder_id":%d,"approve":true}`, r.id))
	}
	x.waitUntil(start)
}

// TestConcurrentBidsTwoProcesses has bidders race on one sale through two
// API servers, each with its own pool, hub and scheduler: every 2xx receipt
// is in the database exactly once, amounts rise by at least the increment
// in sequence order, the close picks the winner the bids re-derive, and the
// audit log verifies.
func TestConcurrentBidsTwoProcesses(t *testing.T) {
	t.Parallel()
	x := newXfer(t, fast(t), 2)
	const inc = 1000
	sale, start := x.offer(2, fmt.Sprintf(`"method":"listing","increment":%d,"deposit":1000`, inc))
	var bidders []registered
	for i := range 8 {
		bidders = append(bidders, x.bidder(fmt.Sprintf("竞买人%d", i)))
	}
	x.open(sale.ID, "listing", bidders...)
	path := fmt.Sprintf("/api/v1/sales/%d", sale.ID)

	var mu sync.Mutex
	var receipts []openapi.BidReceipt
	var wg sync.WaitGroup
	stop := time.Now().Add(2 * time.Second)
	for i, r := range bidders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			amount := start + int64(i)*inc
			for n := 0; time.Now().Before(stop); n++ {
				key := fmt.Sprintf("b%d-%d", i, n)
				res := x.call(i%2, "POST", path+"/bids", r.token, fmt.Sprintf(`{"amount":%d}`, amount), "Idempotency-Key", key)
				switch res.status {
				case 201:
					var rc openapi.BidReceipt
					res.into(t, &rc)
					mu.Lock()
					receipts = append(receipts, rc)
					mu.Unlock()
					// A retry of the same request is answered the same, by either server.
					again := x.call(1-i%2, "POST", path+"/bids", r.token, fmt.Sprintf(`{"amount":%d}`, amount), "Idempotency-Key", key)
					var rc2 openapi.BidReceipt
					if again.status == 201 {
						again.into(t, &rc2)
					}
					if again.status != 201 || rc2 != rc {
						t.Errorf("retry: %d %s, first %s", again.status, again.body, res.body)
					}
					amount = rc.Amount.Yuan + inc*int64(1+i%3)
				case 422, 409:
					var p struct {
						Errors []struct {
							Location string
							Value    any
						}
					}
					res.into(t, &p)
					if len(p.Errors) > 0 && p.Errors[0].Location == "body.amount" {
						if v, ok := p.Errors[0].Value.(float64); ok {
							amount = int64(v) + inc*int64(i%3)
						}
					}
				default:
					t.Errorf("bid: %d %s", res.status, res.body)
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(receipts) < 10 {
		t.Fatalf("only %d bids accepted", len(receipts))
	}
	s := x.waitState(sale.ID, "closed_sold", 15*time.Second)

	bids := x.storedBids(sale.ID)
	if len(bids) != len(receipts) {
		t.Errorf("%d receipts, %d bids in the database", len(receipts), len(bids))
	}
	bySeq := map[int64]int64{}
	for _, rc := range receipts {
		if _, dup := bySeq[rc.Seq]; dup {
			t.Errorf("sequence %d receipted twice", rc.Seq)
		}
		bySeq[rc.Seq] = rc.Amount.Yuan
	}
	for i, b := range bids {
		if bySeq[int64(b.Seq)] != b.Amount {
			t.Errorf("bid %d: database %d, receipt %d", b.Seq, b.Amount, bySeq[int64(b.Seq)])
		}
		if b.Seq != uint64(i+1) {
			t.Errorf("sequence gap at %d", b.Seq)
		}
		if i > 0 && b.Amount < bids[i-1].Amount+inc {
			t.Errorf("bid %d of %d does not beat %d by the increment", b.Seq, b.Amount, bids[i-1].Amount)
		}
	}
	want := auction.Winner(bids, auction.MethodListing, start, fast(t))
	if !want.Sold || s.Result == nil || s.Result.WinningSeq != int64(want.Best.Seq) || s.Result.Price.Yuan != want.Best.Amount {
		t.Errorf("result %+v, re-derived %+v", s.Result, want)
	}
	x.auditVerifies()
	t.Logf("%d bids accepted by two servers", len(bids))
}

// TestFailuresAndDefaultAPI covers, through the API, a 拍卖 that does not
// start for want of bidders, a listing that closes below its reserve, and a
// winner who defaults: deposit forfeited, bidder barred from the re-offer.
func TestFailuresAndDefaultAPI(t *testing.T) {
	t.Parallel()
	x := newXfer(t, fast(t), 1)
	a, b := x.bidder("甲公司"), x.bidder("乙公司")

	auc, _ := x.offer(3, `"method":"auction","increment":1000,"deposit":1000`)
	below, start2 := x.offer(2, `"method":"listing","increment":1000,"deposit":1000,"reserve":600000000`)
	won, start1 := x.offer(1, `"method":"listing","increment":1000,"deposit":1000`)
	var wg sync.WaitGroup
	for _, s := range []struct {
		id     int64
		method string
	}{{auc.ID, "auction"}, {below.ID, "listing"}, {won.ID, "listing"}} {
		wg.Add(1)
		go func() { defer wg.Done(); x.open(s.id, s.method, a, b) }()
	}
	wg.Wait()
	x.must(201, "POST", fmt.Sprintf("/api/v1/sales/%d/bids", below.ID), a.token, fmt.Sprintf(`{"amount":%d}`, start2))
	x.must(201, "POST", fmt.Sprintf("/api/v1/sales/%d/bids", won.ID), b.token, fmt.Sprintf(`{"amount":%d}`, start1))

	if s := x.waitState(auc.ID, "failed", 10*time.Second); s.Result.Reason != "too_few_bidders" {
		t.Errorf("auction: %+v", s.Result)
	}
	if s := x.waitState(below.ID, "failed", 10*time.Second); s.Result.Reason != "below_reserve" || s.Reserve.Amount.Yuan != 600000000 {
		t.Errorf("below reserve: %+v", s.Result)
	}
	x.waitState(won.ID, "closed_sold", 10*time.Second)
	path := fmt.Sprintf("/api/v1/sales/%d", won.ID)
	x.must(200, "POST", path+"/default", x.bureau, `{"reason":"竞得人逾期未签订出让合同"}`)
	var ledger struct{ Items []registry.DepositEntry }
	x.must(200, "GET", path+"/deposits", x.bureau, "").into(t, &ledger)
	kinds := map[string]int64{}
	for _, e := range ledger.Items {
		kinds[fmt.Sprint(e.BidderID, e.Kind)] += e.Amount
	}
	if kinds[fmt.Sprint(b.id, "forfeit")] != 1000 || kinds[fmt.Sprint(a.id, "refund")] != 1000 {
		t.Errorf("ledger %v", kinds)
	}
	var parcel openapi.Parcel
	x.must(200, "GET", fmt.Sprintf("/api/v1/parcels/%d", won.ParcelID), "", "").into(t, &parcel)
	if parcel.Status != "failed" {
		t.Errorf("parcel status %s", parcel.Status)
	}
	var re openapi.SaleOut
	x.must(201, "POST", path+"/reoffer", x.bureau, `{"method":"listing","increment":2000,"deposit":1000}`).into(t, &re)
	if re.Round != 2 || re.State != "draft" {
		t.Fatalf("re-offer %+v", re)
	}
	now := x.dbNow()
	start := now.Add(2 * time.Second)
	wb, _ := json.Marshal(map[string]any{"apply_start": now.Add(time.Second), "apply_end": start, "deposit_deadline": start, "bidding_start": start, "bidding_end": start.Add(3 * time.Second)})
	x.must(200, "POST", fmt.Sprintf("/api/v1/sales/%d/announcement", re.ID), x.bureau, string(wb))
	x.waitUntil(now.Add(time.Second))
	x.must(403, "POST", fmt.Sprintf("/api/v1/sales/%d/applications", re.ID), b.token, "")
	x.must(201, "POST", fmt.Sprintf("/api/v1/sales/%d/applications", re.ID), a.token, "")
	x.auditVerifies()
}
