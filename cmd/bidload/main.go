// Command bidload is the load driver of `make bench-bids`. It has three
// steps: setup (parcels that pass the compliance engine, bidders with
// tokens, sales announced and taken through applications, deposits,
// qualification and one listing quote per bidder, so that they are all in
// timed bidding), run (concurrent bidders over HTTP against one or more
// servers for a fixed time, printing accepted bids per second and latency
// percentiles) and check (every 2xx receipt is in the database exactly
// once, amounts rise by at least the increment, and, once every sale has
// closed, the audit log verifies and each winner equals the one re-derived
// from the bids).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"minerights/auction"
	"minerights/data/gen"
	"minerights/internal/flood"
	"minerights/registry"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bidload setup|run|check [flags]")
		os.Exit(2)
	}
	ctx := context.Background()
	var err error
	switch os.Args[1] {
	case "setup":
		err = setup(ctx, os.Args[2:])
	case "run":
		err = run(ctx, os.Args[2:], os.Stdout)
	case "check":
		err = check(ctx, os.Args[2:], os.Stdout)
	default:
		err = fmt.Errorf("unknown step %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bidload:", err)
		os.Exit(1)
	}
}

// plan is what setup leaves for run and check.
type plan struct {
	Sales   []planSale   `json:"sales"`
	Bidders []planBidder `json:"bidders"`
}

type planSale struct {
	ID        int64 `json:"id"`
	Increment int64 `json:"increment"`
	High      int64 `json:"high"`
	Holder    int64 `json:"holder"`
	Quotes    int   `json:"quotes"`
}

type planBidder struct {
	ID    int64  `json:"id"`
	Token string `json:"token"`
	Sale  int    `json:"sale"` // index into Sales
}

func parallel(n, workers int, f func(i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// parcels returns n parcels that pass the compliance engine: gazette parcel
// 1 itself for one sale; for more, small cells inside its footprint below
// its mining elevation, which collide with nothing in three dimensions.
func parcels(ctx context.Context, store *registry.Store, n int) ([]int64, error) {
	ps, _, err := store.ListParcels(ctx, registry.ParcelFilter{Limit: 1})
	if err != nil || len(ps) == 0 {
		return nil, fmt.Errorf("no seeded parcel: %v", err)
	}
	base := ps[0]
	if n == 1 {
		if _, err := store.RunCompliance(ctx, base.ID); err != nil {
			return nil, err
		}
		return []int64{base.ID}, nil
	}
	bottom := 0.0
	if base.ElevationBottomM != nil {
		bottom = *base.ElevationBottomM
	}
	top, low := bottom-10, bottom-60
	bound := base.Geometry.Bound()
	const step = 0.0004 // about 40 m
	var cells []orb.MultiPolygon
	for x := bound.Min[0] + step; x+step < bound.Max[0] && len(cells) < 3*n; x += step {
		for y := bound.Min[1] + step; y+step < bound.Max[1] && len(cells) < 3*n; y += step {
			s := step * 0.8
			ring := orb.Ring{{x, y}, {x + s, y}, {x + s, y + s}, {x, y + s}, {x, y}}
			inside := true
			for _, pt := range ring {
				if !planar.MultiPolygonContains(base.Geometry, pt) {
					inside = false
				}
			}
			if inside {
				cells = append(cells, orb.MultiPolygon{{ring}})
			}
		}
	}
	if len(cells) < n {
		return nil, fmt.Errorf("only %d cells fit in parcel %d", len(cells), base.ID)
	}
	// Register every cell before checking any: a parcel registered near a
	// checked one makes its report stale (the 3-D rule's reach).
	ids := make([]int64, len(cells))
	err = parallel(len(cells), 8, func(i int) error {
		price := int64(1_000_000)
		p, err := store.CreateParcel(ctx, registry.ParcelInput{
			Name: fmt.Sprintf("bench cell %d", i), CountyCode: base.CountyCode, Mineral: base.Mineral, Basis: "explored",
			Geometry: cells[i], ElevationTopM: &top, ElevationBottomM: &low, StartingPriceYuan: &price,
			SourceDocument: "bidload", GeometrySource: registry.GeometryGenerated,
		})
		ids[i] = p.ID
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]int64, 0, n)
	var mu sync.Mutex
	err = parallel(len(ids), 8, func(i int) error {
		mu.Lock()
		done := len(out) >= n
		mu.Unlock()
		if done {
			return nil
		}
		if _, err := store.RunCompliance(ctx, ids[i]); err != nil {
			return err
		}
		if why, err := store.ComplianceProblem(ctx, ids[i]); err != nil || why != "" {
			return err // a cell that does not pass is skipped
		}
		mu.Lock()
		if len(out) < n {
			out = append(out, ids[i])
		}
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) < n {
		return nil, fmt.Errorf("only %d of %d cells pass compliance", len(out), n)
	}
	return out, nil
}

func setup(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("setup", flag.ContinueOnError)
	db := fs.String("db", os.Getenv("DATABASE_URL"), "database URL")
	nSales := fs.Int("sales", 1, "sales in timed bidding")
	nBidders := fs.Int("bidders", 64, "bidders, spread over the sales")
	slack := fs.Duration("slack", 0, "extra time before applications open and again before bidding starts, for a slow cluster (a loaded machine, Citus)")
	rulesFile := fs.String("rules", "", "rules YAML file (the servers' MINERIGHTS_RULES)")
	out := fs.String("out", "plan.json", "plan file to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := os.ReadFile(*rulesFile)
	if err != nil {
		return err
	}
	rules, err := auction.ParseRules(b)
	if err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, *db)
	if err != nil {
		return err
	}
	defer pool.Close()
	store := registry.New(pool)
	t0 := time.Now()
	ids, err := parcels(ctx, store, *nSales)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bidload: %d parcels pass compliance (%s)\n", len(ids), time.Since(t0).Round(time.Second))
	const inc, dep = 1000, 1000
	p := plan{Sales: make([]planSale, len(ids)), Bidders: make([]planBidder, *nBidders)}
	t1 := time.Now()
	if err := parallel(len(ids), 8, func(i int) error {
		sl, err := store.CreateSale(ctx, registry.SaleInput{ParcelID: ids[i], Method: auction.MethodListing, Increment: inc, Deposit: dep}, rules, "bidload")
		p.Sales[i] = planSale{ID: sl.ID, Increment: inc}
		return err
	}); err != nil {
		return err
	}
	tSales := time.Since(t1)
	t1 = time.Now()
	if err := parallel(*nBidders, 8, func(i int) error {
		bd, err := store.CreateBidder(ctx, registry.BidderInput{Name: fmt.Sprintf("bench bidder %d", i)})
		if err != nil {
			return err
		}
		tok, err := store.CreateBidderToken(ctx, bd.ID, bd.Name, 0)
		p.Bidders[i] = planBidder{ID: bd.ID, Token: tok, Sale: i % len(ids)}
		return err
	}); err != nil {
		return err
	}
	tBidders := time.Since(t1)
	var now time.Time
	if err := pool.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&now); err != nil {
		return err
	}
	w := setupWindows(now, *slack, len(ids), *nBidders, tSales, tBidders)
	fmt.Fprintf(os.Stderr, "bidload: sales made in %s, bidders in %s: announcements until %s, applications until %s, listing quotes until %s\n",
		tSales.Round(time.Millisecond), tBidders.Round(time.Millisecond), w.ApplyStart.Sub(now).Round(time.Second),
		w.BiddingStart.Sub(now).Round(time.Second), w.BiddingEnd.Sub(now).Round(time.Second))
	applyStart, biddingStart := w.ApplyStart, w.BiddingStart
	if err := parallel(len(ids), 8, func(i int) error {
		_, err := store.Announce(ctx, p.Sales[i].ID, auction.Calendar{}, w, "bidload")
		return err
	}); err != nil {
		return err
	}
	time.Sleep(time.Until(applyStart.Add(100 * time.Millisecond)))
	if err := parallel(*nBidders, 16, func(i int) error {
		bd, sale := p.Bidders[i], p.Sales[p.Bidders[i].Sale].ID
		if _, err := store.Apply(ctx, sale, bd.ID, "bidload"); err != nil {
			return err
		}
		if _, err := store.RecordDeposit(ctx, sale, bd.ID, dep, "bidload"); err != nil {
			return err
		}
		_, err := store.Qualify(ctx, sale, bd.ID, true, "", "bidload")
		return err
	}); err != nil {
		return fmt.Errorf("applications (raise the window if it closed): %w", err)
	}
	fmt.Fprintf(os.Stderr, "bidload: %d bidders applied, paid and qualified (%s)\n", *nBidders, time.Since(t0).Round(time.Second))
	time.Sleep(time.Until(biddingStart.Add(100 * time.Millisecond)))
	bySale := make([][]int, len(ids))
	for i, bd := range p.Bidders {
		bySale[bd.Sale] = append(bySale[bd.Sale], i)
	}
	if err := parallel(len(ids), 16, func(i int) error {
		sl, err := store.GetSale(ctx, p.Sales[i].ID)
		if err != nil {
			return err
		}
		amount := sl.Machine.Terms.StartingPrice
		for _, j := range bySale[i] {
			rc, _, err := store.PlaceBid(ctx, registry.BidRequest{SaleID: p.Sales[i].ID, BidderID: p.Bidders[j].ID, Amount: amount, Actor: "bidload"})
			if err != nil {
				return fmt.Errorf("listing quote (raise the listing window if it closed): %w", err)
			}
			p.Sales[i].High, p.Sales[i].Holder = rc.Amount, p.Bidders[j].ID
			p.Sales[i].Quotes++
			amount += inc
		}
		return nil
	}); err != nil {
		return err
	}
	// Timed bidding opens once the listing has closed and the delay passed.
	time.Sleep(time.Until(w.BiddingEnd.Add(rules.TimedBiddingDelay + 500*time.Millisecond)))
	for {
		var waiting int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM sale WHERE id = ANY($1) AND NOT (machine->>'timed_started')::boolean IS TRUE`,
			saleIDs(p)).Scan(&waiting); err != nil {
			return err
		}
		if waiting == 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	fmt.Fprintf(os.Stderr, "bidload: %d sales in timed bidding (%s)\n", len(ids), time.Since(t0).Round(time.Second))
	f, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return os.WriteFile(*out, f, 0o600)
}

// setupWindows fixes the windows every sale of the round is announced
// with: the announcements must be done before applications open, every
// bidder's application, deposit and qualification before the listing
// opens, and every listing quote before it closes. The time those steps
// take depends on the target (on Citus each announcement and each
// qualification writes reference tables on every node) and on the
// machine's load, so the windows follow the pace this set-up has just
// measured: an announcement costs about what a sale's creation cost (both
// lock the parcel and write the sale), and a bidder's steps (application,
// deposit, qualification, listing quote: each a transaction on the sale)
// about what a bidder's creation cost on one PostgreSQL, and up to half a
// sale's creation on Citus, where every step of a sale's transaction
// crosses to the sale's worker (measured at load 20: sales made at 5 a
// second, application steps at 20). The estimates are generous (the
// announcements twice the creations; the applications three times the
// bidders' creation, or 1.5 sale creations a bidder at twice the
// concurrency; the quotes a third of that), on top of a fixed part and the
// slack: a window too long only makes the set-up wait.
func setupWindows(now time.Time, slack time.Duration, sales, bidders int, tSales, tBidders time.Duration) auction.Windows {
	perSale := tSales / time.Duration(max(sales, 1))
	applyStart := now.Add(slack + 3*time.Second + time.Duration(sales)*15*time.Millisecond + 2*tSales)
	apply := max(3*tBidders, time.Duration(bidders)*perSale*3/2)
	biddingStart := applyStart.Add(slack + 5*time.Second + time.Duration(bidders)*10*time.Millisecond + apply)
	biddingEnd := biddingStart.Add(3*time.Second + time.Duration(bidders)*5*time.Millisecond + max(tBidders, apply/3))
	return auction.Windows{ApplyStart: applyStart, ApplyEnd: biddingStart, DepositDeadline: biddingStart,
		BiddingStart: biddingStart, BiddingEnd: biddingEnd}
}

func saleIDs(p plan) []int64 {
	out := make([]int64, len(p.Sales))
	for i, s := range p.Sales {
		out[i] = s.ID
	}
	return out
}

func readPlan(file string) (plan, error) {
	var p plan
	b, err := os.ReadFile(file)
	if err == nil {
		err = json.Unmarshal(b, &p)
	}
	return p, err
}

// receipt is one accepted bid as the client saw it.
type receipt struct {
	SaleID int64 `json:"sale_id"`
	Seq    int64 `json:"seq"`
	Amount struct {
		Yuan int64 `json:"yuan"`
	} `json:"amount"`
	Bidder int64 `json:"bidder"`
}

type saleState struct {
	mu     sync.Mutex
	high   int64
	holder int64
	inc    int64
}

func run(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	urls := fs.String("urls", "http://127.0.0.1:8080", "comma-separated server base URLs; bidders are spread over them")
	planFile := fs.String("plan", "plan.json", "plan file from setup")
	dur := fs.Duration("d", 20*time.Second, "how long to bid")
	workers := fs.Int("c", 64, "concurrent clients")
	out := fs.String("out", "receipts.jsonl", "receipts of accepted bids")
	label := fs.String("label", "api", "label of the result line")
	rate := fs.Float64("rate", 0, "bids per second in all, sent open loop at a fixed pace; 0: as fast as the clients go (closed loop)")
	floodN := fs.Int("flood", 0, "anonymous clients looping a costly public read beside the bids, each from an address of its own (X-Forwarded-For: the servers must trust this host as a proxy)")
	floodPath := fs.String("flood-path", "/ogc/collections/stress/items?filter="+url.QueryEscape(gen.DisjointFilter(700)), "the public read of -flood")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p, err := readPlan(*planFile)
	if err != nil {
		return err
	}
	servers := strings.Split(*urls, ",")
	states := make([]*saleState, len(p.Sales))
	for i, s := range p.Sales {
		states[i] = &saleState{high: s.High, holder: s.Holder, inc: s.Increment}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *workers * 2}, Timeout: 30 * time.Second}
	// A plan is run more than once (bench-room's rows, the flood
	// workload's second run): each run starts from the prices the sales
	// have now, not from those of the set-up, so stated amounts are not
	// refused as stale.
	if err := refreshHighs(ctx, client, servers[0], p.Sales, states); err != nil {
		return err
	}
	stopFlood := make(chan struct{})
	floodDone := flood.Run(servers, *floodN, *floodPath, stopFlood)
	if *floodN > 0 {
		time.Sleep(2 * time.Second) // the load is on when the bids begin
	}
	var mu sync.Mutex
	var receipts []receipt
	var lat []time.Duration
	var refused, failed atomic.Int64
	began := time.Now()
	end := began.Add(*dur)
	var base int64
	for _, st := range states {
		base = max(base, st.high)
	}
	// With -rate, a pacer hands out one ticket per bid at the fixed rate;
	// a client sends only with a ticket, so the rate does not follow the
	// server's speed.
	var tickets chan struct{}
	if *rate > 0 {
		tickets = make(chan struct{}, *workers)
		go func() {
			every := time.Duration(float64(time.Second) / *rate)
			next := time.Now()
			for time.Now().Before(end) {
				next = next.Add(every)
				time.Sleep(time.Until(next))
				select {
				case tickets <- struct{}{}:
				default: // every client is busy: the bid is not sent
				}
			}
		}()
	}
	// Keys are unique to this run, so that a second run on the same plan
	// (the flood workload's) makes new bids instead of replaying the first's.
	runID := fmt.Sprintf("%x", rand.Uint64())
	var wg sync.WaitGroup
	for wk := range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []int
			for i := wk; i < len(p.Bidders); i += *workers {
				mine = append(mine, i)
			}
			if len(mine) == 0 {
				return
			}
			var myLat []time.Duration
			var myRc []receipt
			defer func() {
				mu.Lock()
				lat = append(lat, myLat...)
				receipts = append(receipts, myRc...)
				mu.Unlock()
			}()
			for n := 0; time.Now().Before(end); n++ {
				bd := p.Bidders[mine[n%len(mine)]]
				st := states[bd.Sale]
				// A contested sale's bidders outbid what they last saw by
				// more the later they bid: the amount grows with the time
				// of sending, so that bids sent close together still rise
				// in the order the sale row lock serves them.
				st.mu.Lock()
				holder := st.holder
				amount := max(st.high+st.inc, base+st.inc*time.Since(began).Microseconds()/4) + int64(rand.IntN(int(st.inc)))
				st.mu.Unlock()
				if holder == bd.ID {
					if len(mine) == 1 {
						time.Sleep(time.Millisecond)
					}
					continue
				}
				// Most bidders press 加价 (raise by one increment, priced
				// under the lock); some state an amount.
				if tickets != nil {
					select {
					case <-tickets:
					case <-time.After(time.Until(end)):
						return
					}
				}
				body := `{"raise":1}`
				if rand.IntN(4) == 0 {
					body = fmt.Sprintf(`{"amount":%d}`, amount)
				}
				req, _ := http.NewRequestWithContext(ctx, "POST", fmt.Sprintf("%s/api/v1/sales/%d/bids", servers[int(bd.ID)%len(servers)], p.Sales[bd.Sale].ID), strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+bd.Token)
				req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%s-%d-%d-%d", runID, bd.ID, wk, n))
				t := time.Now()
				res, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				myLat = append(myLat, time.Since(t))
				switch res.StatusCode {
				case 201:
					var rc receipt
					if err := json.Unmarshal(b, &rc); err != nil {
						failed.Add(1)
						continue
					}
					rc.Bidder = bd.ID
					myRc = append(myRc, rc)
					st.mu.Lock()
					if rc.Amount.Yuan > st.high {
						st.high, st.holder = rc.Amount.Yuan, bd.ID
					}
					st.mu.Unlock()
				case 409, 422, 429:
					refused.Add(1)
					var pr struct {
						Errors []struct {
							Location string  `json:"location"`
							Value    float64 `json:"value"`
						} `json:"errors"`
					}
					if json.Unmarshal(b, &pr) == nil && len(pr.Errors) > 0 && pr.Errors[0].Location == "body.amount" {
						st.mu.Lock()
						if h := int64(pr.Errors[0].Value) - st.inc; h > st.high {
							st.high, st.holder = h, 0
						}
						st.mu.Unlock()
					}
				default:
					if failed.Add(1) <= 5 {
						fmt.Fprintf(os.Stderr, "bidload: %d %s\n", res.StatusCode, b)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(stopFlood)
	floodCounts := floodDone()
	slices.Sort(lat)
	pct := func(q float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(float64(len(lat))*q))].Microseconds()) / 1000
	}
	fmt.Fprintf(w, "%s\tsales=%d\tbidders=%d\tclients=%d\taccepted/s=%.1f\trefused/s=%.1f\terrors=%d\tp50_ms=%.2f\tp99_ms=%.2f",
		*label, len(p.Sales), len(p.Bidders), *workers, float64(len(receipts))/dur.Seconds(), float64(refused.Load())/dur.Seconds(),
		failed.Load(), pct(0.50), pct(0.99))
	if *floodN > 0 {
		fmt.Fprintf(w, "\tflood_clients=%d\tflood_answers=%v", *floodN, floodCounts)
	}
	fmt.Fprintln(w)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, rc := range receipts {
		_ = enc.Encode(rc)
	}
	return os.WriteFile(*out, buf.Bytes(), 0o600)
}

func check(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	db := fs.String("db", os.Getenv("DATABASE_URL"), "database URL")
	planFile := fs.String("plan", "plan.json", "plan file from setup")
	in := fs.String("receipts", "receipts.jsonl", "receipts from run")
	wait := fs.Duration("wait", 2*time.Minute, "how long to wait for every sale to close")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p, err := readPlan(*planFile)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, *db)
	if err != nil {
		return err
	}
	defer pool.Close()
	var problems []string
	bad := func(f string, a ...any) {
		if len(problems) < 20 {
			problems = append(problems, fmt.Sprintf(f, a...))
		}
	}
	perSale := map[int64]int{}
	seen := map[[2]int64]bool{}
	dec := json.NewDecoder(bytes.NewReader(b))
	n := 0
	for {
		var rc receipt
		if err := dec.Decode(&rc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return err
		}
		n++
		k := [2]int64{rc.SaleID, rc.Seq}
		if seen[k] {
			bad("receipt %v given twice", k)
		}
		seen[k] = true
		perSale[rc.SaleID]++
		var amount, bidder int64
		if err := pool.QueryRow(ctx, `SELECT amount_yuan, bidder_id FROM bid WHERE sale_id = $1 AND seq = $2`, rc.SaleID, rc.Seq).
			Scan(&amount, &bidder); err != nil {
			bad("receipt %v not in the database: %v", k, err)
			continue
		}
		if amount != rc.Amount.Yuan || bidder != rc.Bidder {
			bad("receipt %v: database has %d by %d, receipt %d by %d", k, amount, bidder, rc.Amount.Yuan, rc.Bidder)
		}
	}
	for _, s := range p.Sales {
		rows, err := pool.Query(ctx, `SELECT amount_yuan FROM bid WHERE sale_id = $1 ORDER BY seq`, s.ID)
		if err != nil {
			return err
		}
		var amounts []int64
		for rows.Next() {
			var a int64
			if err := rows.Scan(&a); err != nil {
				return err
			}
			amounts = append(amounts, a)
		}
		if len(amounts) != s.Quotes+perSale[s.ID] {
			bad("sale %d: %d bids in the database, %d quotes + %d receipts", s.ID, len(amounts), s.Quotes, perSale[s.ID])
		}
		for i := 1; i < len(amounts); i++ {
			if amounts[i] < amounts[i-1]+s.Increment {
				bad("sale %d: bid %d (%d) does not beat %d by the increment", s.ID, i+1, amounts[i], amounts[i-1])
			}
		}
	}
	// Every sale closes when its countdown runs out; then the winners.
	deadline := time.Now().Add(*wait)
	for {
		var open int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM sale WHERE id = ANY($1) AND closed_at IS NULL`, saleIDs(p)).Scan(&open); err != nil {
			return err
		}
		if open == 0 {
			break
		}
		if time.Now().After(deadline) {
			bad("%d sales still open after %s", open, *wait)
			break
		}
		time.Sleep(time.Second)
	}
	rep, err := registry.New(pool).VerifyAudit(ctx, 0)
	if err != nil {
		return err
	}
	for _, pr := range rep.Problems {
		bad("audit: sale %d entry %d: %s", pr.SaleID, pr.Seq, pr.Problem)
	}
	sold := 0
	for _, s := range rep.Sales {
		if s.Outcome == "sold" && s.Derived == "sold" {
			sold++
		}
	}
	fmt.Fprintf(w, "check\treceipts=%d\tsales=%d\tsold_and_rederived=%d\tinconsistencies=%d\n", n, len(p.Sales), sold, len(problems))
	for _, pr := range problems {
		fmt.Fprintln(w, "  "+pr)
	}
	if len(problems) > 0 {
		return errors.New("inconsistencies found")
	}
	return nil
}

// refreshHighs sets each sale's known high bid from its public state: the
// least acceptable next bid less one increment.
func refreshHighs(ctx context.Context, client *http.Client, server string, sales []planSale, states []*saleState) error {
	for i, s := range sales {
		req, err := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/v1/sales/%d", server, s.ID), nil)
		if err != nil {
			return err
		}
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		var out struct {
			MinNextBid *int64 `json:"min_next_bid"`
		}
		err = json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || err != nil {
			return fmt.Errorf("sale %d: %s %v", s.ID, res.Status, err)
		}
		if out.MinNextBid != nil && *out.MinNextBid-states[i].inc > states[i].high {
			states[i].high, states[i].holder = *out.MinNextBid-states[i].inc, 0
		}
	}
	return nil
}
