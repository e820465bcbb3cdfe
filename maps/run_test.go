package maps_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"minerights/maps"
	"minerights/openapi"
	"minerights/registry/registrytest"
)

// TestRunCachesUntilItsContextEnds: New starts nothing, so nothing is
// cached until Run's listener is connected; Run returns once its context
// ends, and from then on every tile is read from the database again.
func TestRunCachesUntilItsContextEnds(t *testing.T) {
	db := registrytest.Seeded(t)
	layers := maps.New(db.Store, nil, maps.Config{})
	mux := http.NewServeMux()
	openapi.New(mux, openapi.Deps{Store: db.Store, Maps: layers})
	cache := func() string {
		t.Helper()
		r := getFrom(mux, zhumadianTile)
		if r.Status != http.StatusOK {
			t.Fatalf("tile: %d %s", r.Status, r.Body)
		}
		return r.Header.Get("X-Tile-Cache")
	}
	for range 3 {
		if c := cache(); c != "miss" {
			t.Fatalf("without Run a tile came from the cache (%s)", c)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- layers.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for cache() != "hit" {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatal("Run's listener never made the cache live")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	for range 3 {
		if c := cache(); c != "miss" {
			t.Fatalf("after Run a tile came from the cache (%s)", c)
		}
	}
}
