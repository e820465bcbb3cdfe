package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"minerights/internal/pgtest"
)

// TestCalendarCommand: `minerights calendar load` loads test-only years
// all or nothing, naming the file and the line of a problem; loading the
// same file again records nothing; `calendar list` shows what is in force.
func TestCalendarCommand(t *testing.T) {
	url := pgtest.NewDatabase(t, "empty", nil)
	env := map[string]string{"DATABASE_URL": url}
	if _, err := runCLI(t, env, "migrate"); err != nil {
		t.Fatal(err)
	}
	f30, f31 := "../../auction/testdata/calendar-2030.yaml", "../../auction/testdata/calendar-2031.yaml"
	b, err := os.ReadFile(f31)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "2031.yaml")
	if err := os.WriteFile(bad, []byte(strings.Replace(string(b), "work: [2031-04-27]", "work: [2031-04-28]", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, env, "calendar", "load", f30, bad)
	if err == nil || !strings.Contains(err.Error(), bad+": refused, nothing loaded") || !strings.Contains(err.Error(), "line 14: holidays[1].work[0]") ||
		!strings.Contains(err.Error(), "2031-04-28 is a Monday") {
		t.Fatalf("bad file: %v\n%s", err, out)
	}
	out, err = runCLI(t, env, "calendar", "list")
	if err != nil || strings.Contains(out, "2030") || !strings.Contains(out, "2026") {
		t.Fatalf("after a refused load: %v\n%s", err, out)
	}
	out, err = runCLI(t, env, "calendar", "load", "--by", "登记科", f30, f31)
	if err != nil || !strings.Contains(out, "2030: version 1 in force (new year): holidays 1") || !strings.Contains(out, "2031: version 1 in force (new year): holidays 2") {
		t.Fatalf("load: %v\n%s", err, out)
	}
	out, err = runCLI(t, env, "calendar", "load", f31)
	if err != nil || !strings.Contains(out, "2031: unchanged, version 1 is already in force") {
		t.Fatalf("load again: %v\n%s", err, out)
	}
	out, err = runCLI(t, env, "calendar", "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2026  file", "2030  database  1", "2031  database  1", "登记科"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
}
