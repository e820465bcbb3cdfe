package pgtest_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"minerights/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestPostGIS: a fresh database has PostGIS with the two CGCS2000 systems
// the registry stores and measures in.
func TestPostGIS(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t, "postgis", func(ctx context.Context, url string) error {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "CREATE EXTENSION postgis")
		return err
	})
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM spatial_ref_sys WHERE srid IN (4490, 4526)`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("CGCS2000 systems: %d %v", n, err)
	}
	// The central meridian of zone 38 maps to the false easting with the
	// zone prefix.
	var x float64
	if err := conn.QueryRow(ctx, `SELECT ST_X(ST_Transform(ST_SetSRID(ST_MakePoint(114, 32.7), 4490), 4526))`).Scan(&x); err != nil {
		t.Fatal(err)
	}
	if x < 38499999.999 || x > 38500000.001 {
		t.Fatalf("easting on the central meridian %.4f, want 38500000", x)
	}
	// Two databases from one template are independent.
	other := pgtest.NewDatabase(t, "postgis", nil)
	if other == url {
		t.Fatal("same database twice")
	}
}
