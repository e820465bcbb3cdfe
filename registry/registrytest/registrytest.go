// Package registrytest gives tests a registry on a real PostGIS database:
// migrated, or migrated and seeded with the counties and the 11 gazette
// parcels. Each call clones a fresh database from a template prepared once
// per test binary, so tests do not see each other's writes. It lives beside
// the store it builds (internal/pgtest, below it, knows only clusters and
// databases), so that no infrastructure package imports registry.
package registrytest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"minerights/data"
	"minerights/internal/pgtest"
	"minerights/registry"
)

// SeedData is the embedded seed the `seed` command loads.
func SeedData() registry.SeedData {
	return registry.SeedData{Counties: data.Counties(), Facts: data.Facts(), Parcels: data.Parcels(), Layers: data.Layers()}
}

// migrate applies the migrations and, on Citus, places the schema on the
// cluster as `minerights citus distribute` does.
func migrate(ctx context.Context, url string) error {
	if err := registry.Migrate(ctx, url, data.Migrations()); err != nil {
		return err
	}
	if pgtest.Citus() != nil {
		_, err := registry.Distribute(ctx, url)
		return err
	}
	return nil
}

func seed(ctx context.Context, url string) error {
	if err := migrate(ctx, url); err != nil {
		return err
	}
	return seedData(ctx, url)
}

// seedData loads SeedData into a migrated database.
func seedData(ctx context.Context, url string) error {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	_, err = registry.New(pool).Seed(ctx, SeedData())
	return err
}

// DB is a test database with a pool on it, and a store on the pool whose
// Run loop runs until the test ends.
type DB struct {
	URL   string
	Pool  *pgxpool.Pool
	Store *registry.Store
}

func open(t testing.TB, key string, setup pgtest.Setup) DB {
	t.Helper()
	url := pgtest.NewDatabase(t, key, setup)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.AfterConnect = registry.AfterConnect(cfg.AfterConnect) // geometry as EWKB, as serve has it
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	// The store sends its change notifications as serve's does, from its
	// Run loop, until the test ends (before the pool closes).
	store := registry.New(pool)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := store.Run(ctx); err != nil {
			t.Errorf("store.Run: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return DB{URL: url, Pool: pool, Store: store}
}

// Migrated returns an empty, migrated database.
func Migrated(t testing.TB) DB { t.Helper(); return open(t, "migrated", migrate) }

// Seeded returns a migrated database holding the counties and the 11
// gazette parcels.
func Seeded(t testing.TB) DB { t.Helper(); return open(t, "seeded", seed) }

// SeededSingleNode is Seeded without the distribution step: on a Citus
// cluster its tables stay plain tables of the coordinator, so the same
// statements run on one PostgreSQL; elsewhere it is Seeded.
func SeededSingleNode(t testing.TB) DB {
	t.Helper()
	return open(t, "seeded-single", func(ctx context.Context, url string) error {
		if err := registry.Migrate(ctx, url, data.Migrations()); err != nil {
			return err
		}
		return seedData(ctx, url)
	})
}

// Offerable returns a bureau clerk's token and the id of the no-th parcel
// (from 1, by id) with a compliance report run, ready to be offered in a
// sale.
func (db DB) Offerable(t testing.TB, no int) (bureau string, parcelID int64) {
	t.Helper()
	ctx := context.Background()
	bureau, err := db.Store.CreateToken(ctx, registry.RoleBureau, "登记科", 0)
	if err != nil {
		t.Fatal(err)
	}
	ps, _, err := db.Store.ListParcels(ctx, registry.ParcelFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Store.RunCompliance(ctx, ps[no-1].ID); err != nil {
		t.Fatal(err)
	}
	return bureau, ps[no-1].ID
}
