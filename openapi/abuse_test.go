package openapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"minerights/openapi"
	"minerights/registry"
	"minerights/registry/registrytest"
)

// server is the production handler stack on a real listener.
func server(t *testing.T) (*httptest.Server, registrytest.DB, map[string]string) {
	t.Helper()
	db := registrytest.Seeded(t)
	mux := http.NewServeMux()
	openapi.New(mux, openapi.Deps{Store: db.Store})
	srv := httptest.NewServer(openapi.Wrap(mux, slog.New(slog.NewTextHandler(io.Discard, nil)), openapi.NewMetrics()))
	t.Cleanup(srv.Close)
	tokens := map[string]string{}
	for _, role := range []string{registry.RoleBureau, registry.RolePlanner} {
		tok, err := db.Store.CreateToken(context.Background(), role, role, 0)
		if err != nil {
			t.Fatal(err)
		}
		tokens[role] = tok
	}
	expired, err := db.Store.CreateToken(context.Background(), registry.RoleBureau, "expired", time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	tokens["expired"] = expired
	time.Sleep(10 * time.Millisecond)
	return srv, db, tokens
}

func polygonWith(n int) string {
	var b strings.Builder
	b.WriteString(`{"type":"Polygon","coordinates":[[`)
	for i := range n {
		// a circle of n vertices around a point in 确山县
		a := 2 * math.Pi * float64(i) / float64(n)
		fmt.Fprintf(&b, "[%.9f,%.9f],", 113.95+0.01*math.Cos(a), 32.65+0.01*math.Sin(a))
	}
	b.WriteString(`[113.96,32.65]]]}`)
	return b.String()
}

// TestAbuse: hostile requests get a 4xx, store nothing, and the process
// keeps serving with bounded memory.
func TestAbuse(t *testing.T) {
	srv, db, tokens := server(t)
	parcel := func(geometry, name string) []byte {
		return []byte(`{"name":` + name + `,"county_code":"411725","mineral":"灰岩","basis":"explored","geometry":` + geometry + `}`)
	}
	deep := strings.Repeat("[", 200000) + strings.Repeat("]", 200000)
	cases := []struct {
		name, token string
		body        []byte
		status      int
	}{
		{"body over the size limit", "bureau", bytes.Repeat([]byte("x"), openapi.MaxBodyBytes+10), 413},
		{"deeply nested JSON", "bureau", parcel(deep, `"x"`), 0},
		{"polygon with a million vertices", "bureau", parcel(polygonWith(1_000_000), `"x"`), 413},
		{"polygon over the vertex limit", "bureau", parcel(polygonWith(12_000), `"x"`), 0},
		{"huge number", "bureau", parcel(`{"type":"Polygon","coordinates":[[[1e999,32],[114,32],[114,33],[1e999,32]]]}`, `"x"`), 0},
		{"invalid UTF-8 in a name", "bureau", parcel(polygonWith(8), "\"\xff\xfe矿\""), 400},
		{"forged token", "mrt_" + strings.Repeat("A", 43), parcel(polygonWith(8), `"x"`), 401},
		{"overlong token", "mrt_" + strings.Repeat("A", 5000), parcel(polygonWith(8), `"x"`), 401},
		{"expired token", "expired", parcel(polygonWith(8), `"x"`), 401},
		{"wrong role", "planner", parcel(polygonWith(8), `"x"`), 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := tokens[tc.token]
			if tok == "" {
				tok = tc.token
			}
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/parcels", bytes.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode < 400 || resp.StatusCode >= 500 || tc.status != 0 && resp.StatusCode != tc.status {
				t.Fatalf("status %d (want %v, any 4xx if 0): %.300s", resp.StatusCode, tc.status, body)
			}
			if !strings.Contains(resp.Header.Get("Content-Type"), "problem+json") {
				t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
			}
		})
	}
	var n int
	if err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM parcel`).Scan(&n); err != nil || n != 11 {
		t.Fatalf("%d parcels after the abuse, want 11 (%v)", n, err)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.HeapInuse > 512<<20 {
		t.Fatalf("heap in use %d MiB after the abuse", ms.HeapInuse>>20)
	}
	if resp, err := http.Get(srv.URL + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("server down after the abuse: %v", err)
	}
}

// TestDisconnectsDoNotWedgeThePool: a thousand clients that give up mid
// request leave the connection pool usable and empty.
func TestDisconnectsDoNotWedgeThePool(t *testing.T) {
	srv, db, _ := server(t)
	rounds, perRound := 3, 400
	if testing.Short() {
		rounds = 1
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for round := range rounds {
		var wg sync.WaitGroup
		sem := make(chan struct{}, 64)
		for i := range perRound {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				r := rand.New(rand.NewPCG(uint64(round), uint64(i)))
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(r.IntN(3000))*time.Microsecond)
				defer cancel()
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/v1/parcels?geometry=true&limit=1000", nil)
				if resp, err := client.Do(req); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}()
		}
		wg.Wait()
	}
	deadline := time.Now().Add(10 * time.Second)
	for db.Pool.Stat().AcquiredConns() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if a := db.Pool.Stat().AcquiredConns(); a > 0 {
		t.Fatalf("%d connections still held after the clients left", a)
	}
	for range 20 {
		resp, err := http.Get(srv.URL + "/api/v1/parcels")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("not serving after disconnects: %v", err)
		}
		resp.Body.Close()
	}
}

// TestBidRateLimit: a bidder sending ten times its allowed rate gets 429
// problems for the excess, and only the bids it was answered 201 for exist.
func TestBidRateLimit(t *testing.T) {
	metrics := openapi.NewMetrics()
	x := newXfer(t, fast(t), 1, func(d *openapi.Deps) { d.Transfer.BidRate, d.Transfer.BidBurst, d.Metrics = 2, 4, metrics })
	sale, _ := x.offer(2, `"method":"listing","increment":1000,"deposit":1000`)
	b := x.bidder("急躁的竞买人")
	x.open(sale.ID, "listing", b)
	path := fmt.Sprintf("/api/v1/sales/%d/bids", sale.ID)
	start := time.Now()
	var accepted, limited int
	for range 40 {
		r := x.call(0, "POST", path, b.token, `{"raise":1}`)
		switch r.status {
		case 201:
			accepted++
		case 429:
			limited++
			if !strings.Contains(r.header.Get("Content-Type"), "problem+json") {
				t.Fatalf("429 as %q", r.header.Get("Content-Type"))
			}
		case 409: // the rules refuse raising one's own high bid; not a rate matter
		default:
			t.Fatalf("bid: %d %s", r.status, r.body)
		}
	}
	allowed := 4 + int(2*time.Since(start).Seconds()) + 1
	if limited < 20 || accepted > allowed {
		t.Fatalf("%d accepted (at most %d allowed), %d limited", accepted, allowed, limited)
	}
	var stored int
	if err := x.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM bid WHERE sale_id = $1`, sale.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != accepted {
		t.Fatalf("%d bids stored, %d answered 201", stored, accepted)
	}
	rec := httptest.NewRecorder()
	metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for outcome, n := range map[string]int{"accepted": accepted, "rate_limited": limited} {
		if want := fmt.Sprintf(`minerights_bids_total{outcome=%q} %d`, outcome, n); !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
