package openapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"minerights/openapi"
	"minerights/registry"
)

// watcher is one live event stream read in the background.
type watcher struct {
	mu     sync.Mutex
	events []sseEvent
	status int
	ended  bool
	done   chan struct{}
}

// watch opens the event stream of sale at url with an optional token and
// Last-Event-ID (lastID < 0: none), from the local address src (nil: any).
func watch(ctx context.Context, t *testing.T, url string, sale int64, token string, lastID int64, src net.IP) *watcher {
	t.Helper()
	w := &watcher{done: make(chan struct{})}
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/v1/sales/%d/events", url, sale), nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if lastID >= 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(lastID, 10))
	}
	d := &net.Dialer{}
	if src != nil {
		d.LocalAddr = &net.TCPAddr{IP: src}
	}
	client := &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("event stream: %v", err)
	}
	w.status = res.StatusCode
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		w.events = append(w.events, sseEvent{kind: "problem", raw: string(b) + " Retry-After=" + res.Header.Get("Retry-After")})
		close(w.done)
		return w
	}
	go func() {
		defer close(w.done)
		defer res.Body.Close()
		scanEvents(res.Body, func(ev sseEvent) bool {
			w.mu.Lock()
			w.events = append(w.events, ev)
			w.mu.Unlock()
			return true
		})
		w.mu.Lock()
		w.ended = true
		w.mu.Unlock()
	}()
	return w
}

func (w *watcher) snapshot() []sseEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]sseEvent(nil), w.events...)
}

// waitFor waits until the watcher has seen event id seq (or more events).
func (w *watcher) waitFor(t *testing.T, seq int64, within time.Duration) {
	t.Helper()
	end := time.Now().Add(within)
	for {
		evs := w.snapshot()
		if len(evs) > 0 && evs[len(evs)-1].id >= seq {
			return
		}
		if time.Now().After(end) {
			last := int64(-1)
			if len(evs) > 0 {
				last = evs[len(evs)-1].id
			}
			t.Fatalf("the watcher reached %d, want %d", last, seq)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// inOrder checks that evs are a snapshot (when want) and then every
// entry from its id, or from `from`, to `to`, each exactly once in order.
func inOrder(t *testing.T, who string, evs []sseEvent, from, to int64) {
	t.Helper()
	next := from + 1
	for i, ev := range evs {
		if i == 0 && ev.kind == "snapshot" {
			next = ev.id + 1
			continue
		}
		if ev.id != next {
			t.Fatalf("%s: event %d (%s) where %d was due", who, ev.id, ev.kind, next)
		}
		next++
	}
	if next != to+1 {
		t.Fatalf("%s: stopped at %d, want %d", who, next-1, to)
	}
}

// bidsInTimedBidding offers a sale to three bidders and brings it into
// timed bidding with a long countdown.
func bidsInTimedBidding(t *testing.T, processes int, opts ...func(*openapi.Deps)) (*xfer, int64, []registered) {
	rules := fast(t)
	rules.Countdown = 2 * time.Minute
	x := newXfer(t, rules, processes, opts...)
	sale, _ := x.offer(3, `"method":"listing","increment":1000,"deposit":1000`)
	bidders := []registered{x.bidder("甲矿业有限公司"), x.bidder("乙石材有限公司"), x.bidder("丙建材有限公司")}
	x.open(sale.ID, "listing", bidders...)
	for _, b := range bidders {
		x.must(201, "POST", fmt.Sprintf("/api/v1/sales/%d/bids", sale.ID), b.token, `{"raise":1}`)
	}
	x.waitState(sale.ID, "timed_bidding", 15*time.Second)
	time.Sleep(time.Second) // the timed bidding delay
	return x, sale.ID, bidders
}

// TestEventsFanOut: watchers spread over two server processes, anonymous
// and signed in, each receive every event of a sale exactly once and in
// order, whichever process took the bid; and the processes read the audit
// log as often with 120 watchers as with 12: once per wake-up, not once per
// watcher.
func TestEventsFanOut(t *testing.T) {
	t.Parallel()
	x, sale, bidders := bidsInTimedBidding(t, 2, takeOver)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := fmt.Sprintf("/api/v1/sales/%d", sale)
	var all []*watcher
	var bidderWatchers []*watcher
	own := map[*watcher]string{} // a signed-in watcher's own bidder id
	addWatchers := func(n int) {
		for i := range n {
			token, id := "", ""
			if i%5 == 0 {
				token, id = bidders[i%len(bidders)].token, fmt.Sprint(bidders[i%len(bidders)].id)
			}
			w := watch(ctx, t, x.urls[i%2], sale, token, -1, nil)
			if w.status != 200 {
				t.Fatalf("watcher %d: %d %v", i, w.status, w.snapshot())
			}
			all = append(all, w)
			if token != "" {
				bidderWatchers = append(bidderWatchers, w)
				own[w] = id
			}
		}
		for _, w := range all {
			w.waitFor(t, 1, 10*time.Second) // the snapshot
		}
	}
	bid := func(n int) int64 {
		for i := range n {
			b := bidders[i%len(bidders)]
			if r := x.call(i%2, "POST", path+"/bids", b.token, `{"raise":1}`); r.status != 201 {
				t.Fatalf("bid: %d %s", r.status, r.body)
			}
		}
		return x.sale(sale).AuditSeq
	}
	auditReads := func() (n int64) {
		for _, q := range x.queries {
			n += q.audit.Load()
		}
		return n
	}
	phase := func(watchers, bids int) (reads int64, head int64) {
		addWatchers(watchers)
		before := auditReads()
		head = bid(bids)
		for _, w := range all {
			w.waitFor(t, head, 10*time.Second)
		}
		return auditReads() - before, head
	}
	few, _ := phase(12, 30)
	many, head := phase(108, 30)
	t.Logf("audit reads for 30 bids: %d with 12 watchers, %d with 120", few, many)
	if many > 2*few+6 || many >= 120 {
		t.Errorf("audit reads grow with the watchers: %d with 12, %d with 120", few, many)
	}
	for i, w := range all {
		inOrder(t, fmt.Sprintf("watcher %d", i), w.snapshot(), 0, head)
	}
	// A bidder's watcher sees its own bids with its identity (auction.Visible:
	// the bidder concerned) and everyone else's by paddle; the public ones
	// see no bidder.
	for _, w := range all {
		for _, ev := range w.snapshot() {
			if ev.kind != "bid-accepted" || !strings.Contains(ev.raw, `"bidder":`) {
				continue
			}
			if id, ok := own[w]; !ok || !strings.Contains(ev.raw, `"bidder":"`+id+`"`) {
				t.Fatalf("a watcher sees a bidder not its own: %s", ev.raw)
			}
		}
	}
	if len(bidderWatchers) == 0 {
		t.Fatal("no signed-in watcher")
	}
	var encodes, entries int64
	for _, ev := range x.events {
		st := ev.Stats()
		encodes += st.Encodes
		entries += st.Entries
	}
	// Four views at most (public and the three bidders' own) in each
	// process: encoding is per view, not per watcher.
	if encodes > 4*entries+8*int64(len(x.events)) {
		t.Errorf("%d encodes for %d entries read", encodes, entries)
	}
}

// stallingClient opens an event stream with a tiny receive buffer and never
// reads it, like a client that stopped.
func stallingClient(t *testing.T, url string, sale int64) net.Conn {
	t.Helper()
	d := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		_ = c.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048) })
		return err
	}}
	conn, err := d.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "GET /api/v1/sales/%d/events HTTP/1.1\r\nHost: x\r\n\r\n", sale)
	return conn
}

// announced announces a sale with windows far enough off that notices can
// be added for the length of a test.
func announced(x *xfer) int64 {
	x.t.Helper()
	sale, _ := x.offer(2, `"method":"listing","increment":1000,"deposit":1000`)
	now := x.dbNow()
	w := map[string]any{"apply_start": now.Add(time.Minute), "apply_end": now.Add(2 * time.Minute), "deposit_deadline": now.Add(2 * time.Minute),
		"bidding_start": now.Add(2 * time.Minute), "bidding_end": now.Add(3 * time.Minute)}
	wb, _ := json.Marshal(w)
	x.must(200, "POST", fmt.Sprintf("/api/v1/sales/%d/announcement", sale.ID), x.bureau, string(wb))
	return sale.ID
}

// notices publishes n supplementary notices of about size bytes each and
// returns the sale's last audit sequence.
func notices(x *xfer, sale int64, n, size int) int64 {
	x.t.Helper()
	text := strings.Repeat("补", size/3)
	for i := range n {
		x.must(201, "POST", fmt.Sprintf("/api/v1/sales/%d/notices", sale), x.bureau, fmt.Sprintf(`{"text":"%d %s"}`, i, text))
	}
	return x.sale(sale).AuditSeq
}

// withEvents gives each process a fan-out with these bounds.
func withEvents(t *testing.T, cfg registry.EventsConfig) func(*openapi.Deps) {
	return func(d *openapi.Deps) {
		ev := registry.NewEvents(d.Store.(*registry.Store), d.Transfer.Hub, cfg)
		t.Cleanup(ev.Close)
		d.Transfer.Events = ev
	}
}

// TestStalledSubscriberCutOff: a client that stops reading is disconnected
// once it falls more than the buffer (48 of 120 large events) behind, while another keeps receiving
// every event; resuming from the last event it got, it misses nothing.
func TestStalledSubscriberCutOff(t *testing.T) {
	t.Parallel()
	for _, mode := range []struct {
		name string
		opt  func(*openapi.Deps)
	}{{"hall", takeOver}, {"handler", func(*openapi.Deps) {}}} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			stalledCutOff(t, mode.opt)
		})
	}
}

func stalledCutOff(t *testing.T, opt func(*openapi.Deps)) {
	x := newXfer(t, fast(t), 1, withEvents(t, registry.EventsConfig{Buffer: 48, Replay: 1000}), opt)
	sale := announced(x)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	healthy := watch(ctx, t, x.urls[0], sale, "", -1, nil)
	healthy.waitFor(t, 1, 5*time.Second)
	stalled := stallingClient(t, x.urls[0], sale)
	defer stalled.Close()
	time.Sleep(300 * time.Millisecond)    // the stalled stream is subscribed
	head := notices(x, sale, 120, 59_700) // about 7 MB of events
	healthy.waitFor(t, head, 20*time.Second)
	inOrder(t, "healthy watcher", healthy.snapshot(), 0, head)
	if st := x.events[0].Stats(); st.Cutoffs < 1 {
		_ = stalled.SetReadDeadline(time.Now().Add(2 * time.Second))
		got, err := io.ReadAll(stalled)
		t.Fatalf("the stalled subscriber was not cut off: %+v (it holds %d bytes: %v)", st, len(got), err)
	}
	// The stalled client now reads what reached it: the stream ends (the
	// server closed it) before the last event.
	_ = stalled.SetReadDeadline(time.Now().Add(20 * time.Second))
	got, err := io.ReadAll(stalled)
	if err != nil {
		t.Fatalf("the stalled stream was not closed: %v after %d bytes", err, len(got))
	}
	var last int64
	for _, line := range strings.Split(string(got), "\n") {
		if id, ok := strings.CutPrefix(strings.TrimSpace(line), "id: "); ok {
			// The last complete event: its id line and its data.
			if n, err := strconv.ParseInt(id, 10, 64); err == nil && strings.Contains(string(got), fmt.Sprintf("id: %d\nevent: notice-published\ndata: {", n)) {
				last = n
			}
		}
	}
	if last >= head {
		t.Fatalf("the stalled client got everything (%d of %d): it was never behind", last, head)
	}
	// Complete events only count: drop one in case the last was cut short.
	last--
	resumed := watch(ctx, t, x.urls[0], sale, "", last, nil)
	resumed.waitFor(t, head, 10*time.Second)
	evs := resumed.snapshot()
	if evs[0].kind == "snapshot" {
		t.Fatalf("the resumed stream starts with a snapshot, not at %d", last+1)
	}
	inOrder(t, "resumed watcher", evs, last, head)
}

// TestStreamHistoryBounded: a new subscriber gets the current state, not
// the sale's history; one resuming within the replay bound gets exactly
// what followed its id, from memory or the table; one further back starts
// over from the current state.
func TestStreamHistoryBounded(t *testing.T) {
	t.Parallel()
	x := newXfer(t, fast(t), 1, withEvents(t, registry.EventsConfig{Buffer: 8, Replay: 16}), takeOver)
	sale := announced(x)
	head := notices(x, sale, 30, 30)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cases := []struct {
		name     string
		lastID   int64
		snapshot bool
		from     int64
	}{
		{"new", -1, true, head},
		{"from the start, beyond the bound", 0, true, head},
		{"within memory", head - 5, false, head - 5},
		{"within the bound, from the table", head - 14, false, head - 14},
		{"past the bound", head - 17, true, head},
	}
	for _, tc := range cases {
		w := watch(ctx, t, x.urls[0], sale, "", tc.lastID, nil)
		time.Sleep(300 * time.Millisecond)
		evs := w.snapshot()
		if tc.snapshot {
			if len(evs) != 1 || evs[0].kind != "snapshot" || evs[0].id != head {
				t.Errorf("%s: got %d events (%v), want the snapshot at %d alone", tc.name, len(evs), kinds(evs), head)
			}
			var s openapi.SaleOut
			if len(evs) > 0 && (json.Unmarshal([]byte(evs[0].raw), &s) != nil || s.ID != sale || s.AuditSeq != head) {
				t.Errorf("%s: snapshot %s", tc.name, evs[0].raw)
			}
			continue
		}
		if len(evs) == 0 || evs[0].kind == "snapshot" {
			t.Errorf("%s: %v, want the events after %d", tc.name, kinds(evs), tc.from)
			continue
		}
		inOrder(t, tc.name, evs, tc.from, head)
	}
	// New events reach them all.
	next := notices(x, sale, 1, 30)
	w := watch(ctx, t, x.urls[0], sale, "", head-3, nil)
	w.waitFor(t, next, 5*time.Second)
	inOrder(t, "after a new notice", w.snapshot(), head-3, next)
}

func kinds(evs []sseEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, fmt.Sprintf("%d %s", e.id, e.kind))
	}
	return out
}

// TestStreamLimits: streams over the per-address limit get a 429 problem,
// over the process's total a 503 problem, both with Retry-After, both
// counted at /metrics; a closed stream frees its place.
func TestStreamLimits(t *testing.T) {
	t.Parallel()
	metrics := openapi.NewMetrics()
	x := newXfer(t, fast(t), 1, func(d *openapi.Deps) {
		d.Transfer.Streams = openapi.StreamLimits{PerAddress: 2, Total: 3, WriteTimeout: 10 * time.Second}
		d.Metrics = metrics
	})
	sale := announced(x)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ip := func(s string) net.IP { return net.ParseIP(s) }
	a1ctx, closeA1 := context.WithCancel(ctx)
	a1 := watch(a1ctx, t, x.urls[0], sale, "", -1, ip("127.0.0.1"))
	a2 := watch(ctx, t, x.urls[0], sale, "", -1, ip("127.0.0.1"))
	a3 := watch(ctx, t, x.urls[0], sale, "", -1, ip("127.0.0.1"))
	b1 := watch(ctx, t, x.urls[0], sale, "", -1, ip("127.0.0.2"))
	c1 := watch(ctx, t, x.urls[0], sale, "", -1, ip("127.0.0.3"))
	for name, w := range map[string]*watcher{"first": a1, "second": a2, "other address": b1} {
		if w.status != 200 {
			t.Errorf("%s stream: %d %v", name, w.status, w.snapshot())
		}
	}
	problem := func(name string, w *watcher, status int) {
		t.Helper()
		evs := w.snapshot()
		if w.status != status || len(evs) != 1 || !strings.Contains(evs[0].raw, `"status":`+strconv.Itoa(status)) || strings.HasSuffix(evs[0].raw, "Retry-After=") {
			t.Errorf("%s: %d %v, want a %d problem with Retry-After", name, w.status, evs, status)
		}
	}
	problem("third stream from one address", a3, 429)
	problem("fourth stream in all", c1, 503)
	closeA1()
	<-a1.done
	var again *watcher
	for range 50 { // the server sees the close shortly
		if again = watch(ctx, t, x.urls[0], sale, "", -1, ip("127.0.0.3")); again.status == 200 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if again.status != 200 {
		t.Errorf("a closed stream's place was not freed: %d", again.status)
	}
	srv := httptest.NewServer(metrics.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{`minerights_sse_refused_total{limit="per_address"} 1`, `minerights_sse_refused_total{limit="total"}`, "minerights_sse_streams 3", "minerights_sse_reads_total"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
