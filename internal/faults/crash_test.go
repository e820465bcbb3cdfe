package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"minerights/auction"
	"minerights/internal/apitest"
	"minerights/registry"
	"minerights/registry/registrytest"
)

// crashRules are drill rules short enough for a test: a 3 s listing, then
// timed bidding with a 3 s countdown.
const crashRules = `name: faults
listing_period: {duration: 3s}
announcement_lead: {duration: 500ms}
timed_bidding_delay: 300ms
countdown: 3s
min_bidders: {listing: 1, auction: 3, tender: 3}
confirmation_within: {duration: 3s}
publicity_start_within: {duration: 5s}
publicity_length: {duration: 10s}
bid_rate: {bids: 1000, per: 1s}
allow_self_raise: false
`

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds cmd/minerights once for the test binary.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mrbin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "minerights")
		out, err := exec.Command("go", "build", "-o", binPath, "../../cmd/minerights").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// lockedBuffer collects a process's log lines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// process is one `minerights serve`, a real OS process.
type process struct {
	cmd  *exec.Cmd
	url  string
	logs *lockedBuffer
}

var listening = regexp.MustCompile(`addr=http://(127\.0\.0\.1:\d+)`)

func serve(t *testing.T, dbURL, rules string, extra ...string) *process {
	t.Helper()
	logs := &lockedBuffer{}
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--rules", rules,
		"--bid-rate", "1000", "--bid-burst", "1000", "--checkpoint-every", "1s"}, extra...)
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, logs: logs}
	t.Cleanup(func() { p.kill() })
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := listening.FindStringSubmatch(logs.String()); m != nil {
			p.url = "http://" + m[1]
			return p
		}
	}
	t.Fatalf("serve did not start:\n%s", logs.String())
	return nil
}

// kill is kill -9: no drain, no deferred cleanup in the process.
func (p *process) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	}
}

type client struct {
	t    *testing.T
	http *http.Client
}

func (c client) call(base, method, path, token, body string, hdr ...string) (int, []byte, error) {
	r, err := apitest.Do(c.http, base, method, path, token, body, hdr...)
	return r.Status, r.Body, err
}

func (c client) must(want int, base, method, path, token, body string, out any) {
	c.t.Helper()
	status, b, err := c.call(base, method, path, token, body)
	if err != nil || status != want {
		c.t.Fatalf("%s %s: %d %v %s", method, path, status, err, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatal(err)
		}
	}
}

type saleView struct {
	ID         int64  `json:"id"`
	State      string `json:"state"`
	MinNextBid *int64 `json:"min_next_bid"`
	Result     *struct {
		Sold       bool  `json:"sold"`
		WinningSeq int64 `json:"winning_seq"`
		Price      *struct {
			Yuan int64 `json:"yuan"`
		} `json:"price"`
	} `json:"result"`
}

type bidder struct {
	id    int64
	token string
}

// openSale offers gazette parcel 2 by listing through base, registers n
// bidders, qualifies them and has each quote once in the listing, then waits
// for timed bidding.
func openSale(t *testing.T, c client, db registrytest.DB, base string, n int) (saleView, []bidder, string) {
	t.Helper()
	ctx := context.Background()
	bureau, parcel := db.Offerable(t, 2)
	var sale saleView
	c.must(201, base, "POST", "/api/v1/sales", bureau, fmt.Sprintf(`{"parcel_id":%d,"method":"listing","increment":1000,"deposit":1000}`, parcel), &sale)
	var bidders []bidder
	for i := range n {
		var out struct {
			Bidder struct {
				ID int64 `json:"id"`
			} `json:"bidder"`
			Token string `json:"token"`
		}
		c.must(201, base, "POST", "/api/v1/bidders", bureau, fmt.Sprintf(`{"name":"竞买人%d"}`, i), &out)
		bidders = append(bidders, bidder{out.Bidder.ID, out.Token})
	}
	var now time.Time
	if err := db.Pool.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&now); err != nil {
		t.Fatal(err)
	}
	// The application window grows with n: applying, paying and qualifying
	// each bidder takes a few requests, slower on a loaded machine.
	start := now.Add(2*time.Second + time.Duration(n)*300*time.Millisecond)
	w, _ := json.Marshal(map[string]any{"apply_start": now.Add(time.Second), "apply_end": start,
		"deposit_deadline": start, "bidding_start": start, "bidding_end": start.Add(3 * time.Second)})
	path := fmt.Sprintf("/api/v1/sales/%d", sale.ID)
	c.must(200, base, "POST", path+"/announcement", bureau, string(w), nil)
	time.Sleep(time.Until(now.Add(1100 * time.Millisecond)))
	for _, b := range bidders {
		c.must(201, base, "POST", path+"/applications", b.token, "", nil)
		c.must(200, base, "POST", path+"/deposits", bureau, fmt.Sprintf(`{"bidder_id":%d,"amount":1000}`, b.id), nil)
		c.must(200, base, "POST", path+"/qualifications", bureau, fmt.Sprintf(`{"bidder_id":%d,"approve":true}`, b.id), nil)
	}
	time.Sleep(time.Until(start.Add(100 * time.Millisecond)))
	for _, b := range bidders {
		c.must(200, base, "GET", path, "", "", &sale)
		c.must(201, base, "POST", path+"/bids", b.token, `{"raise":1}`, nil)
	}
	waitState(t, c, base, sale.ID, "timed_bidding", 15*time.Second)
	return sale, bidders, bureau
}

func waitState(t *testing.T, c client, base string, id int64, want string, within time.Duration) saleView {
	t.Helper()
	var s saleView
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		status, b, err := c.call(base, "GET", fmt.Sprintf("/api/v1/sales/%d", id), "", "")
		if err == nil && status == 200 && json.Unmarshal(b, &s) == nil && s.State == want {
			return s
		}
	}
	t.Fatalf("sale %d not %s within %v (last %q)", id, want, within, s.State)
	return s
}

type receipt struct {
	Seq    int64 `json:"seq"`
	Amount struct {
		Yuan int64 `json:"yuan"`
	} `json:"amount"`
}

// TestKillServerMidBidding: one of two server processes is killed with
// SIGKILL in the middle of timed bidding while bidders keep bidding against
// the other. No receipted bid is lost or duplicated, the sale closes exactly
// once, and its winner is the one the bids re-derive.
func TestKillServerMidBidding(t *testing.T) {
	db := registrytest.Seeded(t)
	rules := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(rules, []byte(crashRules), 0o644); err != nil {
		t.Fatal(err)
	}
	a, b := serve(t, db.URL, rules), serve(t, db.URL, rules)
	c := client{t: t, http: &http.Client{Timeout: 5 * time.Second}}
	sale, bidders, _ := openSale(t, c, db, a.url, 6)
	path := fmt.Sprintf("/api/v1/sales/%d", sale.ID)

	var mu sync.Mutex
	var receipts []receipt
	var failures int
	var wg sync.WaitGroup
	stop := time.Now().Add(4 * time.Second)
	killAt := time.Now().Add(1500 * time.Millisecond)
	for i, bd := range bidders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; time.Now().Before(stop); n++ {
				base := a.url
				if (i+n)%2 == 1 || time.Now().After(killAt) {
					base = b.url
				}
				status, body, err := c.call(base, "POST", path+"/bids", bd.token, `{"raise":1}`, "Idempotency-Key", fmt.Sprintf("k%d-%d", i, n))
				switch {
				case err != nil:
					mu.Lock()
					failures++ // the killed process: no receipt, so no promise
					mu.Unlock()
				case status == 201:
					var rc receipt
					if err := json.Unmarshal(body, &rc); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					receipts = append(receipts, rc)
					mu.Unlock()
				case status == 409 || status == 422 || status == 429:
				default:
					t.Errorf("bid: %d %s", status, body)
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	time.Sleep(time.Until(killAt))
	a.kill()
	wg.Wait()
	if len(receipts) < 10 {
		t.Fatalf("only %d bids receipted", len(receipts))
	}
	final := waitState(t, c, b.url, sale.ID, "closed_sold", 20*time.Second)

	ctx := context.Background()
	rows, err := db.Pool.Query(ctx, `SELECT seq, amount_yuan, bidder_id, paddle FROM bid WHERE sale_id = $1 ORDER BY seq`, sale.ID)
	if err != nil {
		t.Fatal(err)
	}
	var bids []auction.Bid
	for rows.Next() {
		var seq, amount, bidderID int64
		var paddle int
		if err := rows.Scan(&seq, &amount, &bidderID, &paddle); err != nil {
			t.Fatal(err)
		}
		bids = append(bids, auction.Bid{Seq: uint64(seq), Amount: amount, Bidder: registry.BidderKey(bidderID), Paddle: paddle})
	}
	inDB := map[int64]int64{}
	for i, bid := range bids {
		inDB[int64(bid.Seq)] = bid.Amount
		if bid.Seq != uint64(i+1) {
			t.Errorf("sequence gap at %d", bid.Seq)
		}
		if i > 0 && bid.Amount < bids[i-1].Amount+1000 {
			t.Errorf("bid %d of %d does not beat %d by the increment", bid.Seq, bid.Amount, bids[i-1].Amount)
		}
	}
	seen := map[int64]bool{}
	for _, rc := range receipts {
		if seen[rc.Seq] {
			t.Errorf("sequence %d receipted twice", rc.Seq)
		}
		seen[rc.Seq] = true
		if amt, ok := inDB[rc.Seq]; !ok || amt != rc.Amount.Yuan {
			t.Errorf("receipted bid %d (%d 元) lost: database has %d, %v", rc.Seq, rc.Amount.Yuan, amt, ok)
		}
	}
	var closes int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_event WHERE sale_id = $1 AND kind IN ('sale-sold', 'sale-failed')`, sale.ID).Scan(&closes); err != nil {
		t.Fatal(err)
	}
	if closes != 1 {
		t.Errorf("%d closes recorded, want exactly 1", closes)
	}
	floor := int64(0)
	if err := db.Pool.QueryRow(ctx, `SELECT starting_price_yuan FROM parcel WHERE id = (SELECT parcel_id FROM sale WHERE id = $1)`, sale.ID).Scan(&floor); err != nil {
		t.Fatal(err)
	}
	r, err := auction.ParseRules([]byte(crashRules))
	if err != nil {
		t.Fatal(err)
	}
	want := auction.Winner(bids, auction.MethodListing, floor, r)
	if !want.Sold || final.Result == nil || final.Result.WinningSeq != int64(want.Best.Seq) || final.Result.Price.Yuan != want.Best.Amount {
		t.Errorf("result %+v, re-derived %+v", final.Result, want)
	}
	var audit struct{ OK bool }
	c.must(200, b.url, "GET", "/api/v1/audit", "", "", &audit)
	if !audit.OK {
		t.Error("audit does not verify after the crash")
	}
	t.Logf("%d bids in the database, %d receipted, %d requests cut off by the kill", len(bids), len(receipts), failures)
}

// TestSchedulerCatchesUp: every server is killed while a countdown runs;
// when one starts again after the deadline has passed, it closes the sale
// at once, stamped with the deadline, not the restart.
func TestSchedulerCatchesUp(t *testing.T) {
	db := registrytest.Seeded(t)
	rules := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(rules, []byte(crashRules), 0o644); err != nil {
		t.Fatal(err)
	}
	a := serve(t, db.URL, rules)
	c := client{t: t, http: &http.Client{Timeout: 5 * time.Second}}
	sale, _, _ := openSale(t, c, db, a.url, 2)
	var view struct {
		Deadline *time.Time `json:"deadline"`
	}
	c.must(200, a.url, "GET", fmt.Sprintf("/api/v1/sales/%d", sale.ID), "", "", &view)
	if view.Deadline == nil {
		t.Fatal("timed bidding without a countdown deadline")
	}
	deadline := *view.Deadline
	a.kill()
	time.Sleep(time.Until(deadline.Add(2 * time.Second)))
	var state string
	if err := db.Pool.QueryRow(context.Background(), `SELECT state FROM sale WHERE id = $1`, sale.ID).Scan(&state); err != nil {
		t.Fatal(err)
	}
	if state != "timed_bidding" {
		t.Fatalf("state %q with every server down, want timed_bidding", state)
	}
	restarted := time.Now()
	b := serve(t, db.URL, rules)
	waitState(t, c, b.url, sale.ID, "closed_sold", 10*time.Second)
	var at time.Time
	if err := db.Pool.QueryRow(context.Background(), `SELECT at FROM audit_event WHERE sale_id = $1 AND kind = 'sale-sold'`, sale.ID).Scan(&at); err != nil {
		t.Fatal(err)
	}
	if !at.Equal(deadline) {
		t.Errorf("closed at %v, the deadline was %v", at, deadline)
	}
	t.Logf("caught up %v after the restart", time.Since(restarted))
}

// TestSIGTERMDrains: on SIGTERM a server fails /readyz during the drain
// delay, ends its event streams, and exits cleanly.
func TestSIGTERMDrains(t *testing.T) {
	db := registrytest.Seeded(t)
	rules := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(rules, []byte(crashRules), 0o644); err != nil {
		t.Fatal(err)
	}
	a := serve(t, db.URL, rules, "--drain-delay", "1s", "--shutdown-timeout", "5s")
	c := client{t: t, http: &http.Client{Timeout: 10 * time.Second}}
	sale, _, _ := openSale(t, c, db, a.url, 1)

	streamEnded := make(chan time.Time, 1)
	resp, err := http.Get(fmt.Sprintf("%s/api/v1/sales/%d/events", a.url, sale.ID))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("event stream: %v %v", resp, err)
	}
	go func() {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		streamEnded <- time.Now()
	}()
	sent := time.Now()
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if status, _, err := c.call(a.url, "GET", "/readyz", "", ""); err != nil || status != 503 {
		t.Fatalf("readyz while draining: %d %v", status, err)
	}
	select {
	case at := <-streamEnded:
		t.Logf("event stream ended %v after SIGTERM", at.Sub(sent))
	case <-time.After(5 * time.Second):
		t.Fatal("the event stream outlived the drain")
	}
	exited := make(chan error, 1)
	go func() { exited <- a.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, a.logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not exit after SIGTERM")
	}
}
