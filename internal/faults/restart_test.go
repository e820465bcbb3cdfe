package faults

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"minerights/internal/pgtest"
	"minerights/openapi"
	"minerights/registry/registrytest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestDatabaseRestartUnderLoad: while PostgreSQL is down the API answers 503
// with Retry-After (never a 500, never a hang), and once it is back the
// service recovers by itself within seconds.
func TestDatabaseRestartUnderLoad(t *testing.T) {
	cluster := pgtest.Cluster()
	if cluster == nil {
		t.Skip("needs the cluster pgtest starts")
	}
	db := registrytest.Seeded(t)
	mux := http.NewServeMux()
	openapi.New(mux, openapi.Deps{Store: db.Store})
	srv := httptest.NewServer(openapi.Wrap(mux, slog.New(slog.NewTextHandler(io.Discard, nil)), openapi.NewMetrics()))
	defer srv.Close()
	client := &http.Client{Timeout: 5 * time.Second}

	// Load: clients keep reading throughout; every answer must be a 200 or
	// a 503 with Retry-After.
	var bad, unavailable, ok atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Get(srv.URL + "/api/v1/parcels")
				if err != nil {
					bad.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch {
				case resp.StatusCode == 200:
					ok.Add(1)
				case resp.StatusCode == 503 && resp.Header.Get("Retry-After") != "":
					unavailable.Add(1)
				default:
					t.Errorf("status %d (Retry-After %q) while the database restarts", resp.StatusCode, resp.Header.Get("Retry-After"))
					bad.Add(1)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	ctx := context.Background()
	if err := cluster.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	resp, err := client.Get(srv.URL + "/readyz")
	if err != nil || resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("readyz with the database down: %v %v", resp, err)
	}
	resp.Body.Close()
	if err := cluster.Start(ctx, false); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	var recovered time.Duration
	for time.Since(restarted) < 15*time.Second {
		resp, err := client.Get(srv.URL + "/api/v1/parcels")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				recovered = time.Since(restarted)
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if recovered == 0 {
		t.Fatal("the service did not recover within 15 s of the database restart")
	}
	if unavailable.Load() == 0 || bad.Load() != 0 {
		t.Fatalf("answers: %d ok, %d 503 with Retry-After, %d bad", ok.Load(), unavailable.Load(), bad.Load())
	}
	t.Logf("recovered %v after the restart; %d ok, %d 503", recovered, ok.Load(), unavailable.Load())
}
