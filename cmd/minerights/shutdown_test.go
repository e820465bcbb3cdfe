package main

import (
	"context"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"minerights/registry/registrytest"
)

// TestServeStopsEveryGoroutine: serve with every background part on (the
// store's notifications, the replica monitor, the hub, the scheduler, the
// event fan-out, the metrics listener) stops within a bound after SIGTERM,
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
	base, done, logs := serveIn(t, ctx, db, "--metrics-addr", "127.0.0.1:0", "--database-read-url", db.URL, "--shutdown-timeout", "5s")
	if base == "" {
		t.Fatalf("server did not start: %s", logs.String())
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
