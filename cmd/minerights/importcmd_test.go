package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"minerights/internal/pgtest"
)

// TestImportCommand: `minerights import` prints a summary; a file with a
// bad feature is refused whole, naming it, and the seeded version stays;
// `generate stress` feeds import; seeding again leaves the bureau's import
// current.
func TestImportCommand(t *testing.T) {
	url := pgtest.NewDatabase(t, "empty", nil)
	env := map[string]string{"DATABASE_URL": url}
	for _, args := range [][]string{{"migrate"}, {"seed"}, {"seed"}} {
		if _, err := runCLI(t, env, args...); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.geojson")
	if err := os.WriteFile(bad, []byte(`{"type":"FeatureCollection","features":[
		{"type":"Feature","properties":{"id":"ok"},"geometry":{"type":"Polygon","coordinates":[[[113.5,32.7],[113.51,32.7],[113.51,32.71],[113.5,32.71],[113.5,32.7]]]}},
		{"type":"Feature","properties":{"id":"open"},"geometry":{"type":"Polygon","coordinates":[[[113.6,32.7],[113.61,32.7],[113.61,32.71],[113.6,32.71]]]}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, env, "import", "redlines", bad)
	if err == nil || !strings.Contains(out, "refused, nothing imported") || !strings.Contains(out, "feature 2 (open)") || !strings.Contains(out, "invalid: 1") {
		t.Fatalf("bad file: %v\n%s", err, out)
	}
	stress := filepath.Join(dir, "stress.geojson")
	if _, err := runCLI(t, env, "generate", "stress", "--redlines", "300", "--out", stress); err != nil {
		t.Fatal(err)
	}
	out, err = runCLI(t, env, "import", "redlines", stress, "--source", "test")
	if err != nil || !strings.Contains(out, "layer redlines (kind redline) version 2 is current: 300 features, invalid 0") {
		t.Fatalf("stress import: %v\n%s", err, out)
	}
	if _, err := runCLI(t, env, "seed"); err != nil {
		t.Fatal(err)
	}
	if versions, current := layerVersions(t, url, "redlines"); versions != 2 || current != 2 {
		t.Errorf("%d versions of redlines, current %d; want 2 and 2", versions, current)
	}
}
