package main

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"minerights/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// cli runs the command line with only the given environment.
func runCLI(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut)
	return out.String(), err
}

// TestSetUpFromTheCommandLine: migrate and seed twice (idempotent), then a
// token made on the command line is stored only as a digest.
func TestSetUpFromTheCommandLine(t *testing.T) {
	url := pgtest.NewDatabase(t, "empty", nil)
	env := map[string]string{"DATABASE_URL": url}
	for range 2 {
		if _, err := runCLI(t, env, "migrate"); err != nil {
			t.Fatal(err)
		}
		if _, err := runCLI(t, env, "seed"); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var parcels, counties int
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM parcel), (SELECT count(*) FROM county)`).Scan(&parcels, &counties); err != nil {
		t.Fatal(err)
	}
	if parcels != 11 || counties != 10 {
		t.Fatalf("%d parcels, %d counties after seeding twice", parcels, counties)
	}
	out, err := runCLI(t, env, "token", "create", "--role", "planner", "--name", "规划科")
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSpace(out)
	if !strings.HasPrefix(tok, "mrt_") {
		t.Fatalf("token %q", tok)
	}
	var role string
	if err := conn.QueryRow(ctx, `SELECT role FROM api_token WHERE name = '规划科'`).Scan(&role); err != nil || role != "planner" {
		t.Fatalf("stored role %q: %v", role, err)
	}
	if _, err := runCLI(t, env, "token", "create", "--role", "admin", "--name", "x"); err == nil {
		t.Fatal("unknown role accepted")
	}
	var id int64
	if err := conn.QueryRow(ctx, `SELECT id FROM api_token WHERE name = '规划科'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, env, "token", "revoke", strconv.FormatInt(id, 10)); err != nil {
		t.Fatal(err)
	}
	var revoked bool
	if err := conn.QueryRow(ctx, `SELECT revoked_at IS NOT NULL FROM api_token WHERE id = $1`, id).Scan(&revoked); err != nil || !revoked {
		t.Fatalf("token %d revoked: %v, %v", id, revoked, err)
	}
	if _, err := runCLI(t, env, "token", "revoke", strconv.FormatInt(id, 10)); err == nil {
		t.Fatal("revoking a revoked token again succeeded")
	}
}

func TestNeedsDatabaseURL(t *testing.T) {
	for _, cmd := range [][]string{{"migrate"}, {"seed"}, {"serve"}, {"token", "create", "--role", "bureau", "--name", "x"}} {
		_, err := runCLI(t, nil, cmd...)
		if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
			t.Errorf("%v without DATABASE_URL: %v", cmd, err)
		}
	}
}

// TestFlagsOverrideEnvironment: --database-url wins over DATABASE_URL.
func TestFlagsOverrideEnvironment(t *testing.T) {
	url := pgtest.NewDatabase(t, "empty", nil)
	env := map[string]string{"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}
	if _, err := runCLI(t, env, "--database-url", url, "migrate"); err != nil {
		t.Fatalf("flag did not override the environment: %v", err)
	}
}

func TestLogLevel(t *testing.T) {
	for _, tc := range []struct {
		level, format string
		info, warn    bool
	}{
		{"debug", "text", true, true},
		{"info", "json", true, true},
		{"warn", "text", false, true},
		{"error", "json", false, false},
	} {
		var b strings.Builder
		log := newLogger(&b, tc.format, tc.level)
		log.Info("request")
		log.Warn("slow")
		if got := strings.Contains(b.String(), "request"); got != tc.info {
			t.Errorf("%s: info logged %v, want %v", tc.level, got, tc.info)
		}
		if got := strings.Contains(b.String(), "slow"); got != tc.warn {
			t.Errorf("%s: warn logged %v, want %v", tc.level, got, tc.warn)
		}
	}
}
