package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"minerights/internal/apitest"
	"minerights/registry/registrytest"
)

// TestServeStopsEveryGoroutine: serve with every background part on (the
// store's notifications, the replica monitor, the hub, the scheduler, the
// event fan-out, the metrics listener, the halls with two taken-over event
// streams open) stops within a bound after SIGTERM,
// and when it returns no goroutine of ours is left: cmd starts each one and
// waits for each one.
func TestServeStopsEveryGoroutine(t *testing.T) {
	db := registrytest.Seeded(t)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	// As main does: SIGTERM cancels the context run gets. (The first
	// Notify starts the runtime's signal loop: count after it.)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	before := runtime.NumGoroutine()
	base, done, logs := serveIn(t, ctx, db, "--metrics-addr", "127.0.0.1:0", "--database-read-url", db.URL, "--shutdown-timeout", "5s", "--rules", "drill")
	if base == "" {
		t.Fatalf("server did not start: %s", logs.String())
	}
	// Two live event streams of a sale, taken over by its hall, are open
	// when the signal comes.
	sale := announcedSale(t, db, base)
	var streams []net.Conn
	for range 2 {
		conn, _ := apitest.TakenOverStream(t, base, fmt.Sprintf("/api/v1/sales/%d/events", sale))
		streams = append(streams, conn)
	}
	for end := time.Now().Add(10 * time.Second); !strings.Contains(ours(), "minerights/openapi.(*hall).run"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("no hall runs for the streams:\n%s", ours())
		}
	}
	for _, path := range []string{"/readyz", "/api/v1/parcels", "/api/v1/sales"} {
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
	}

	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	const bound = 10 * time.Second
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(bound):
		t.Fatalf("serve did not stop within %s of SIGTERM:\n%s", bound, ours())
	}
	// At once: a goroutine of ours still running when serve has returned
	// was not awaited.
	if left := ours(); left != "" {
		t.Fatalf("goroutines of ours left when serve returned:\n%s", left)
	}
	for i, c := range streams {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadAll(c); err != nil {
			t.Errorf("stream %d was not closed by the shutdown: %v", i, err)
		}
	}
	// The rest (the runtime's, net/http's closing connections) settle
	// within a moment to the count before serve.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines after serve stopped, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

// ours returns the stacks of the goroutines running code of this module
// other than the tests' (and the test database's store, see registrytest).
func ours() string {
	buf := make([]byte, 1<<20)
	var out []string
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, "minerights/") && !strings.Contains(g, "_test.go") && !strings.Contains(g, "registrytest") {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}

// announcedSale creates and announces a sale of the second parcel through
// the API at base, as the bureau.
func announcedSale(t *testing.T, db registrytest.DB, base string) int64 {
	t.Helper()
	ctx := context.Background()
	tok, parcel := db.Offerable(t, 2)
	must := func(status int, method, path, body string) apitest.Reply {
		t.Helper()
		r, err := apitest.Do(http.DefaultClient, base, method, path, tok, body)
		if err != nil || r.Status != status {
			t.Fatalf("%s %s: %d %s (%v)", method, path, r.Status, r.Body, err)
		}
		return r
	}
	var sale struct{ ID int64 }
	must(201, "POST", "/api/v1/sales", fmt.Sprintf(`{"parcel_id":%d,"method":"listing","increment":1000,"deposit":1000}`, parcel)).JSON(t, &sale)
	var now time.Time
	if err := db.Pool.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&now); err != nil {
		t.Fatal(err)
	}
	w, _ := json.Marshal(map[string]any{"apply_start": now.Add(time.Minute), "apply_end": now.Add(2 * time.Minute),
		"deposit_deadline": now.Add(2 * time.Minute), "bidding_start": now.Add(2 * time.Minute), "bidding_end": now.Add(3 * time.Minute)})
	must(200, "POST", fmt.Sprintf("/api/v1/sales/%d/announcement", sale.ID), string(w))
	return sale.ID
}
