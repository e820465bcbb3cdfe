package registry_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"minerights/internal/pgtest"
	"minerights/registry"
	"minerights/registry/registrytest"
)

// TestReadsFromStreamingReplica: public reads go to a real streaming
// replica (pg_basebackup -R) while it keeps up, writes stay on the primary,
// and a replica that dies is bypassed without a failed read.
func TestReadsFromStreamingReplica(t *testing.T) {
	primary := pgtest.Cluster()
	if primary == nil {
		t.Skip("needs the cluster pgtest starts (MINERIGHTS_TEST_PG_URL is set)")
	}
	ctx := context.Background()
	db := registrytest.Seeded(t)
	dir, err := os.MkdirTemp("", "mrrep")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // the server's user must reach r/
		t.Fatal(err)
	}
	replica, err := primary.StartReplica(ctx, filepath.Join(dir, "r"), 5433)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = replica.Remove(context.Background()); os.RemoveAll(dir) })

	u, _ := url.Parse(db.URL)
	readPool, err := pgxpool.New(ctx, replica.URL(u.Path[1:]))
	if err != nil {
		t.Fatal(err)
	}
	defer readPool.Close()
	store := db.Store.WithReplica(readPool, 5*time.Second)

	// The replica catches up with the seed, then serves reads.
	waitFor(t, func() bool { _, ok := store.CheckReplica(ctx); return ok })
	if !store.ReadsFromReplica() {
		t.Fatal("healthy replica not used")
	}
	ps, total, err := store.ListParcels(ctx, registry.ParcelFilter{})
	if err != nil || total != 11 {
		t.Fatalf("read from replica: %d parcels, %v", total, err)
	}

	// A write goes to the primary (the replica refuses writes) and reaches
	// the replica by streaming.
	name := "renamed on the primary"
	if _, err := store.UpdateParcel(ctx, ps[0].ID, registry.ParcelPatch{Name: &name}); err != nil {
		t.Fatalf("write with a replica configured: %v", err)
	}
	waitFor(t, func() bool {
		p, err := store.GetParcel(ctx, ps[0].ID)
		return err == nil && p.Name == name
	})

	// The replica dies: reads fall back to the primary.
	if err := replica.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := store.CheckReplica(ctx); ok || store.ReadsFromReplica() {
		t.Fatal("dead replica still marked healthy")
	}
	if _, total, err := store.ListParcels(ctx, registry.ParcelFilter{}); err != nil || total != 11 {
		t.Fatalf("read after the replica died: %d, %v", total, err)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatal("condition not met within 20s")
}
