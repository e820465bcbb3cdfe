package faults

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"minerights/data/gen"
	"minerights/geo"
	"minerights/internal/flood"
	"minerights/registry"
	"minerights/registry/registrytest"
)

// stressLayer imports n generated red lines as the check layer "stress".
func stressLayer(t *testing.T, db registrytest.DB, n int) {
	t.Helper()
	var b bytes.Buffer
	if err := gen.StressRedlines(&b, n, 1); err != nil {
		t.Fatal(err)
	}
	r, err := geo.NewLayerReader(&b, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Store.ImportLayer(context.Background(), registry.LayerImport{
		Name: "stress", Kind: "redline", Title: "stress", Source: "minerights generate stress", Features: r,
	}); err != nil {
		t.Fatal(err)
	}
}

// TestTimelyBidsUnderPublicFlood (issue 10, finding 3): twenty anonymous
// clients loop a costly CQL2 read over a 20,000-feature layer while the
// bidders of a sale in its countdown bid 1.5 s before the deadline. Every
// bid is accepted, /readyz stays fast, and the flood gets answers (200, or
// 429/503 when it asks too much), never a 500.
func TestTimelyBidsUnderPublicFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("a real server under load")
	}
	db := registrytest.Seeded(t)
	stressLayer(t, db, 20000)
	rulesFile := t.TempDir() + "/rules.yaml"
	// The crash rules with an 8 s countdown: time for the flood to start
	// before the first round's deadline.
	rules := strings.Replace(crashRules, "countdown: 3s", "countdown: 8s", 1)
	if err := os.WriteFile(rulesFile, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	p := serve(t, db.URL, rulesFile, "--trusted-proxies", "127.0.0.1")
	c := client{t, &http.Client{Timeout: 30 * time.Second}}
	const nBidders = 6
	sale, bidders, _ := openSale(t, c, db, p.url, nBidders)
	path := fmt.Sprintf("/api/v1/sales/%d", sale.ID)

	stop := make(chan struct{})
	wait := flood.Run([]string{p.url}, 20, "/ogc/collections/stress/items?filter="+url.QueryEscape(gen.DisjointFilter(700)), stop)
	stopped := false
	defer func() {
		if !stopped {
			close(stop)
			wait()
		}
	}()
	time.Sleep(2 * time.Second) // the flood fills the public pool

	var slowestReady time.Duration
	for range 5 {
		start := time.Now()
		status, _, err := c.call(p.url, "GET", "/readyz", "", "")
		if err != nil || status != 200 {
			t.Fatalf("readyz under the flood: %d %v", status, err)
		}
		slowestReady = max(slowestReady, time.Since(start))
		time.Sleep(100 * time.Millisecond)
	}

	// Rounds of bids, each sent 1.5 s before the countdown's deadline as
	// the sale shows it: every bid must be accepted.
	var accepted, refused atomic.Int64
	var refusals sync.Map
	for round := range 3 {
		var sv struct {
			State      string     `json:"state"`
			Deadline   *time.Time `json:"deadline"`
			ServerTime time.Time  `json:"server_time"`
			High       struct {
				Paddle int `json:"paddle"`
			} `json:"high"`
		}
		// A bidder reads the countdown with its token: the bid pool's
		// capacity, not the public pool the flood holds.
		c.must(200, p.url, "GET", path, bidders[0].token, "", &sv)
		if sv.State != "timed_bidding" || sv.Deadline == nil {
			t.Fatalf("round %d: sale %s, deadline %v", round, sv.State, sv.Deadline)
		}
		time.Sleep(sv.Deadline.Sub(sv.ServerTime) - 1500*time.Millisecond)
		var wg sync.WaitGroup
		for i, b := range bidders {
			if i+1 == sv.High.Paddle {
				continue // the high bidder may not raise itself; paddles are numbered in the order of applying
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, body, err := c.call(p.url, "POST", path+"/bids", b.token, `{"raise":1}`)
				if err == nil && status == http.StatusCreated {
					accepted.Add(1)
					return
				}
				refused.Add(1)
				refusals.Store(fmt.Sprintf("bidder %d round %d", b.id, round), fmt.Sprintf("%d %v %s", status, err, body))
			}()
		}
		wg.Wait()
	}
	close(stop)
	counts := wait()
	stopped = true
	t.Logf("bids accepted %d, refused %d; slowest /readyz %v; flood answers by status %v", accepted.Load(), refused.Load(), slowestReady, counts)
	refusals.Range(func(k, v any) bool { t.Errorf("%s refused: %s", k, v); return true })
	if accepted.Load() != 3*(nBidders-1) {
		t.Fatalf("%d of %d timely bids accepted", accepted.Load(), 3*(nBidders-1))
	}
	if slowestReady > time.Second {
		t.Errorf("/readyz took %v under the flood", slowestReady)
	}
	if counts[http.StatusInternalServerError] > 0 || counts[http.StatusOK]+counts[http.StatusServiceUnavailable] == 0 {
		t.Errorf("flood answers %v: want 200s or 503s and no 500", counts)
	}
	if strings.Contains(p.logs.String(), "level=ERROR") {
		t.Errorf("errors in the server log:\n%s", p.logs.String())
	}
	// The sale closes once the bids stop, after its deadline and grace.
	waitState(t, c, p.url, sale.ID, "closed_sold", 20*time.Second)
}

// rss reads a process's resident set and its peak from /proc, in MiB.
func rss(t *testing.T, pid int) (now, peak float64) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			now = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		}
	}
	return now, peak
}

// TestAnonymousMemoryBounded (issue 10, finding 6): 40 concurrent anonymous
// 8 MiB POSTs (401 and 404: nobody reads them) and 20 concurrent
// 10,000-feature OGC pages keep the server process's peak resident set
// (VmHWM, read from /proc) under 200 MiB.
func TestAnonymousMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("a real server under load")
	}
	db := registrytest.Seeded(t)
	stressLayer(t, db, 20000)
	p := serve(t, db.URL, "drill", "--trusted-proxies", "127.0.0.1", "--public-statement-timeout", "60s", "--public-request-timeout", "120s")
	pid := p.cmd.Process.Pid
	_, before := rss(t, pid)

	body := bytes.Repeat([]byte(`"xxxxxxxx",`), (8<<20)/11)
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[string]int{}
	note := func(what string, status int) {
		mu.Lock()
		statuses[fmt.Sprintf("%s %d", what, status)]++
		mu.Unlock()
	}
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := "/api/v1/parcels"
			if i%2 == 1 {
				target = "/api/v1/nowhere"
			}
			req, _ := http.NewRequest("POST", p.url+target, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i+1))
			res, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
			if err != nil {
				note("post error", 0) // the server may close before taking the whole body
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			note("post", res.StatusCode)
		}()
	}
	var features atomic.Int64
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", p.url+"/ogc/collections/stress/items?limit=10000", nil)
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("192.0.2.%d", i+1))
			res, err := (&http.Client{Timeout: 120 * time.Second}).Do(req)
			if err != nil {
				t.Errorf("page %d: %v", i, err)
				return
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			if err != nil {
				t.Errorf("page %d: %v", i, err)
				return
			}
			note("page", res.StatusCode)
			if res.StatusCode == 200 {
				features.Add(int64(bytes.Count(b, []byte(`"type":"Feature"`))))
			}
		}()
	}
	wg.Wait()
	now, peak := rss(t, pid)
	fmt.Printf("anonymous memory: server RSS %.1f MiB before, %.1f MiB after, peak (VmHWM) %.1f MiB; answers %v; %d features streamed\n",
		before, now, peak, statuses, features.Load())
	for k := range statuses {
		if strings.HasPrefix(k, "post 2") || strings.HasPrefix(k, "post 5") || strings.HasPrefix(k, "page 5") {
			t.Errorf("answers %v", statuses)
		}
	}
	if statuses["page 200"] == 0 || features.Load() != int64(statuses["page 200"])*10000 {
		t.Errorf("pages: %v, %d features", statuses, features.Load())
	}
	if peak >= 200 {
		t.Fatalf("peak RSS %.1f MiB, want under 200", peak)
	}
}
