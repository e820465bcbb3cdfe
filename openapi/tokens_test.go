package openapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"minerights/registry"
)

// TestRevokedTokenRefusedEverywhere: a process remembers a valid token, but
// a revocation made anywhere (here through the store, as `minerights token
// revoke` does) is heard by every process's hub and the token is refused at
// once, well before any cache lifetime; an expiring token is refused from
// its expiry although it was remembered.
func TestRevokedTokenRefusedEverywhere(t *testing.T) {
	ctx := context.Background()
	x := newXfer(t, fast(t), 2)
	time.Sleep(300 * time.Millisecond) // the hubs start listening

	tok, err := x.db.Store.CreateToken(ctx, registry.RoleBureau, "复核科", 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range x.urls {
		if r := x.call(i, http.MethodGet, "/api/v1/sales", tok, ""); r.status != http.StatusOK {
			t.Fatalf("server %d: status %d: %s", i, r.status, r.body)
		}
	}
	var id int64
	if err := x.db.Pool.QueryRow(ctx, `SELECT id FROM api_token WHERE name = '复核科'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	revoked := time.Now()
	if err := x.db.Store.RevokeToken(ctx, id); err != nil {
		t.Fatal(err)
	}
	for i := range x.urls {
		for {
			r := x.call(i, http.MethodGet, "/api/v1/sales", tok, "")
			if r.status == http.StatusUnauthorized {
				break
			}
			if r.status != http.StatusOK {
				t.Fatalf("server %d: status %d: %s", i, r.status, r.body)
			}
			// Without the notification the token would stay remembered for
			// a minute (a live hub) or 5 s (none).
			if time.Since(revoked) > 3*time.Second {
				t.Fatalf("server %d still accepts the token %s after its revocation", i, time.Since(revoked))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	short, err := x.db.Store.CreateToken(ctx, registry.RoleBureau, "临时", 1500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	x.must(http.StatusOK, http.MethodGet, "/api/v1/sales", short, "")
	time.Sleep(1600 * time.Millisecond)
	for i := range x.urls {
		if r := x.call(i, http.MethodGet, "/api/v1/sales", short, ""); r.status != http.StatusUnauthorized {
			t.Errorf("server %d: expired token: status %d", i, r.status)
		}
	}
}
