package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"net/url"

	"github.com/alecthomas/kong"
	"github.com/jackc/pgx/v5"

	"minerights/internal/pgtest"
	"minerights/registry"
)

// commandPaths lists every command of the command line, as the words that
// name it (["token", "create"], ...).
func commandPaths(t *testing.T) [][]string {
	t.Helper()
	var c cli
	p, err := kong.New(&c, kong.Name("minerights"))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	var walk func(n *kong.Node, path []string)
	walk = func(n *kong.Node, path []string) {
		for _, ch := range n.Children {
			if ch.Type != kong.CommandNode {
				continue
			}
			p := append(append([]string(nil), path...), ch.Name)
			out = append(out, p)
			walk(ch, p)
		}
	}
	walk(p.Model.Node, nil)
	return out
}

// TestHelpRunsNothing: --help of the program and of every command prints
// the help and succeeds, and nothing runs: no table in the database the
// environment names, no file in the working directory, no OpenAPI document
// or features on stdout, no server started.
func TestHelpRunsNothing(t *testing.T) {
	url := pgtest.NewDatabase(t, "empty", nil)
	dir := t.TempDir()
	t.Chdir(dir)
	env := map[string]string{"DATABASE_URL": url, "MINERIGHTS_ADDR": "127.0.0.1:0"}
	paths := append([][]string{{}}, commandPaths(t)...)
	if len(paths) < 15 {
		t.Fatalf("only %d commands found: %v", len(paths), paths)
	}
	for _, path := range paths {
		for _, flag := range []string{"--help", "-h"} {
			args := append(append([]string(nil), path...), flag)
			out, err := runCLI(t, env, args...)
			if err != nil {
				t.Errorf("%v: %v", args, err)
				continue
			}
			want := strings.TrimSpace("Usage: minerights " + strings.Join(path, " "))
			if !strings.Contains(out, want) {
				t.Errorf("%v: no %q in\n%s", args, want, out)
			}
			if strings.Contains(out, "openapi:") || strings.Contains(out, `"type":"FeatureCollection"`) || strings.Contains(out, "mrt_") {
				t.Errorf("%v ran the command:\n%.300s", args, out)
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("--help left %s in the working directory", e.Name())
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var tables int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind = 'r'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("--help made %d tables in the database", tables)
	}
	// Without a command the program says which ones there are and fails.
	if _, err := runCLI(t, env); err == nil || !strings.Contains(err.Error(), "serve") {
		t.Errorf("no command: %v", err)
	}
}

// TestTokenIDAndList: token create tells the id that token revoke needs;
// token list shows every token with role, name, expiry, revocation and
// last use, and never a secret.
func TestTokenIDAndList(t *testing.T) {
	url := pgtest.NewDatabase(t, "empty", nil)
	env := map[string]string{"DATABASE_URL": url}
	if _, err := runCLI(t, env, "migrate"); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runCLI2(t, env, "token", "create", "--role", "bureau", "--name", "登记科")
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSpace(out)
	if !strings.HasPrefix(tok, "mrt_") || strings.Contains(tok, "\n") {
		t.Fatalf("stdout is not the token alone: %q", out)
	}
	if !strings.Contains(errOut, "token 1 (bureau, 登记科) created") || !strings.Contains(errOut, "minerights token revoke 1") {
		t.Fatalf("stderr does not give the id: %q", errOut)
	}
	if _, _, err := runCLI2(t, env, "token", "create", "--role", "planner", "--name", "规划科", "--ttl", "24h"); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, env, "token", "revoke", "2"); err != nil {
		t.Fatal(err)
	}
	// A server authenticating the token records its use.
	ctx := context.Background()
	pool, err := (&globals{DatabaseURL: url}).openPool(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := registry.New(pool).Authenticate(ctx, tok); err != nil {
		t.Fatal(err)
	}
	out, err = runCLI(t, env, "token", "list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "id") || !strings.Contains(lines[0], "last used") {
		t.Fatalf("token list:\n%s", out)
	}
	// id, role, created (date time), expires, revoked, last used, name
	if f := strings.Fields(lines[1]); len(f) != 9 || f[0] != "1" || f[1] != "bureau" || f[4] != "never" || f[5] != "-" || f[6] == "never" || f[8] != "登记科" {
		t.Errorf("token 1 (never expires, not revoked, used): %q", lines[1])
	}
	if f := strings.Fields(lines[2]); len(f) != 10 || f[0] != "2" || f[1] != "planner" || f[4] == "never" || f[6] == "-" || f[8] != "never" || f[9] != "规划科" {
		t.Errorf("token 2 (expires, revoked, never used): %q", lines[2])
	}
	if strings.Contains(out, "mrt_") {
		t.Error("token list shows a secret")
	}
	out, err = runCLI(t, env, "token", "list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 2 {
		t.Fatalf("token list --json: %v\n%s", err, out)
	}
	if list[0]["last_used_at"] == nil || list[1]["revoked_at"] == nil || list[1]["expires_at"] == nil || list[1]["last_used_at"] != nil {
		t.Errorf("token list --json: %s", out)
	}
}

// TestLocalClusterFound: with DATABASE_URL unset, commands use the cluster
// `make run` keeps in .data/ when it is running, and `localdb url` prints
// its URL; without one they say how to get one.
func TestLocalClusterFound(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if _, err := runCLI(t, nil, "localdb", "url"); err == nil || !strings.Contains(err.Error(), "make run") {
		t.Fatalf("no cluster: %v", err)
	}
	if _, err := runCLI(t, nil, "migrate"); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Fatalf("no cluster, no DATABASE_URL: %v", err)
	}
	asLocalCluster(t, dir)
	ctx := context.Background()
	out, err := runCLI(t, nil, "localdb", "url")
	if err != nil || !strings.Contains(out, "host="+url.QueryEscape(filepath.Join(dir, ".data"))) || !strings.Contains(out, "/minerights?") {
		t.Fatalf("localdb url: %v %q", err, out)
	}
	if _, err := runCLI(t, nil, "migrate"); err != nil {
		t.Fatalf("migrate on the local cluster: %v", err)
	}
	var n int
	conn, err := pgx.Connect(ctx, strings.TrimSpace(out))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM schema_version`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the local cluster's database is not migrated: %v", err)
	}
}

// runCLI2 is runCLI that returns stderr too.
func runCLI2(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut strings.Builder
	err := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut)
	return out.String(), errOut.String(), err
}

// TestImportSameFileTwice: importing the file of the current version again
// makes no version; the progress bar counts bytes of the file's size with
// a rate, and the features read.
func TestImportSameFileTwice(t *testing.T) {
	url := pgtest.NewDatabase(t, "empty", nil)
	env := map[string]string{"DATABASE_URL": url}
	for _, args := range [][]string{{"migrate"}, {"seed"}} {
		if _, err := runCLI(t, env, args...); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(t.TempDir(), "stress.geojson")
	if _, err := runCLI(t, env, "generate", "stress", "--redlines", "3000", "--out", file); err != nil {
		t.Fatal(err)
	}
	out, bar, err := runCLI2(t, env, "import", "redlines", file, "--progress", "always")
	if err != nil || !strings.Contains(out, "version 2 is current: 3000 features") {
		t.Fatalf("first import: %v\n%s", err, out)
	}
	st, _ := os.Stat(file)
	total := st.Size()
	for _, want := range []string{"100%", "importing redlines: 3000 features", "/s)"} {
		if !strings.Contains(bar, want) {
			t.Errorf("progress bar lacks %q:\n%q", want, bar)
		}
	}
	if total < 1<<20 && !strings.Contains(bar, "kB") || total >= 1<<20 && !strings.Contains(bar, "MB") {
		t.Errorf("progress bar does not count bytes of %d:\n%q", total, bar)
	}
	out, err = runCLI(t, env, "import", "redlines", file)
	if err != nil || !strings.Contains(out, "identical to version 2") {
		t.Fatalf("second import: %v\n%s", err, out)
	}
	if versions, current := layerVersions(t, url, "redlines"); versions != 2 || current != 2 {
		t.Errorf("%d versions of redlines, current %d; want 2 and 2", versions, current)
	}
	// Another kind for the same name is still refused, not passed as unchanged.
	if _, err := runCLI(t, env, "import", "redlines", file, "--kind", "farmland"); err == nil {
		t.Error("the same file under another kind was accepted")
	}
}

// dropDatabase drops a database of the test cluster on a connection of
// its own (a test's connections are closed by the time cleanups run).
func dropDatabase(t *testing.T, name string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.AdminURL(t))
	if err != nil {
		t.Errorf("drop %s: %v", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Errorf("drop %s: %v", name, err)
	}
}

// asLocalCluster makes the test cluster stand in, in dir, for the one
// `make run` keeps in .data/ (the same layout: pgdata/ and the socket on
// port 5432 in one directory), with an empty database minerights.
func asLocalCluster(t *testing.T, dir string) {
	t.Helper()
	cl := pgtest.Cluster()
	if cl == nil || cl.Port != 5432 {
		t.Skip("needs the cluster pgtest starts (MINERIGHTS_TEST_PG_URL is set)")
	}
	if err := os.Symlink(cl.Dir, filepath.Join(dir, ".data")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pgtest.AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `CREATE DATABASE minerights`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dropDatabase(t, "minerights") })
}

// layerVersions counts the versions of a layer and tells the current one.
func layerVersions(t *testing.T, url, name string) (versions, current int) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, `SELECT count(*), COALESCE(max(version) FILTER (WHERE current), 0) FROM layer WHERE name = $1`, name).Scan(&versions, &current); err != nil {
		t.Fatal(err)
	}
	return versions, current
}
