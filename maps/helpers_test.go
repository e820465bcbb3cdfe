package maps_test

import (
	"os"
	"testing"

	"minerights/internal/pgtest"
)

// TestMain runs the tests (those of package maps too) against the
// PostgreSQL + PostGIS that pgtest starts.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
