package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// module is the module path of minerights.
const module = "minerights"

// pkg is what the rules need of one entry of `go list -deps -json`.
type pkg struct {
	ImportPath string
	Module     *struct{ Path string }
	Imports    []string
	Deps       []string
}

// ours reports whether p is a package of this module.
func ours(p string) bool { return p == module || strings.HasPrefix(p, module+"/") }

// under reports whether p is dir or a package below it (paths relative to
// the module).
func under(p, dir string) bool {
	dir = module + "/" + dir
	return p == dir || strings.HasPrefix(p, dir+"/")
}

// isPgx reports whether p is the PostgreSQL driver or one of its
// companions (pgxpool, pgconn, pgxlisten, tern, puddle).
func isPgx(p string) bool { return strings.HasPrefix(p, "github.com/jackc/") }

// pure are the packages that do no I/O: the domain (geo, auction,
// compliance) and the small pure helpers they may use.
var pure = []string{"geo", "auction", "compliance", "internal/money", "internal/creditcode", "internal/cql2"}

func isPure(p string) bool {
	return slices.ContainsFunc(pure, func(d string) bool { return under(p, d) })
}

// pgxAllowed are the packages that may import pgx: the store, and the
// infrastructure that manages clusters and load (the test harness, the
// bench drivers).
var pgxAllowed = []string{"registry", "internal/pgcluster", "internal/pgtest", "cmd/bidload", "scripts/benchmap"}

// stdIO are standard packages a pure package must not import.
var stdIO = []string{"net", "net/http", "database/sql", "os/exec"}

// violations returns every forbidden arrow of the graph, one line each.
func violations(pkgs []pkg) []string {
	var out []string
	bad := func(from, to, rule string) { out = append(out, fmt.Sprintf("%s → %s: %s", from, to, rule)) }
	for _, p := range pkgs {
		from := p.ImportPath
		if !ours(from) {
			continue
		}
		if isPure(from) {
			for _, d := range p.Deps {
				switch {
				case ours(d) && !isPure(d):
					bad(from, d, "geo, auction and compliance are pure: they import no package of ours that does I/O")
				case isPgx(d):
					bad(from, d, "geo, auction and compliance are pure: no database driver")
				}
			}
			for _, d := range p.Imports {
				if slices.Contains(stdIO, d) {
					bad(from, d, "geo, auction and compliance are pure: no network, database or process I/O")
				}
			}
		}
		for _, d := range p.Imports {
			if isPgx(d) && !slices.ContainsFunc(pgxAllowed, func(a string) bool { return under(from, a) }) {
				bad(from, d, "pgx only in registry and the infrastructure (internal/pgcluster, internal/pgtest, cmd/bidload, scripts/benchmap)")
			}
			if ours(d) && under(d, "cmd") && !sameCommand(from, d) {
				bad(from, d, "nothing imports a command")
			}
			if under(from, "registry") && (under(d, "openapi") || under(d, "maps") || under(d, "web")) {
				bad(from, d, "the store does not know its consumers (openapi, maps, web)")
			}
		}
		if under(from, "internal") {
			for _, d := range p.Deps {
				if under(d, "registry") || under(d, "openapi") || under(d, "maps") || under(d, "web") {
					bad(from, d, "internal/* is below the store: test helpers that need the store live beside it (registry/registrytest)")
				}
			}
		}
	}
	return out
}

// sameCommand reports whether from and to are in the same command's tree
// (cmd/checkload may import cmd/checkload/sqlscript).
func sameCommand(from, to string) bool {
	cmdOf := func(p string) string {
		parts := strings.SplitN(strings.TrimPrefix(p, module+"/"), "/", 3)
		if len(parts) < 2 {
			return p
		}
		return parts[0] + "/" + parts[1]
	}
	return under(from, "cmd") && cmdOf(from) == cmdOf(to)
}

// TestImportRules checks the module's package graph (what the build
// imports, tests aside) against the rules.
func TestImportRules(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-deps", "-json", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	var mine int
	for _, p := range pkgs {
		if ours(p.ImportPath) {
			mine++
		}
	}
	if mine < 10 {
		t.Fatalf("go list found %d packages of %s: not run from the module", mine, module)
	}
	for _, v := range violations(pkgs) {
		t.Error(v)
	}
}

// TestRulesCatchEachArrow feeds the rules a graph with one forbidden arrow
// of each kind, and one with only allowed ones.
func TestRulesCatchEachArrow(t *testing.T) {
	m := func(p string) string { return module + "/" + p }
	tests := []struct {
		name string
		pkg  pkg
		want string // a part of the one violation; "" for none
	}{
		{"domain imports the store", pkg{ImportPath: m("auction"), Deps: []string{m("registry")}}, "are pure"},
		{"domain imports pgx through a library", pkg{ImportPath: m("compliance"), Deps: []string{"github.com/jackc/pgx/v5"}}, "no database driver"},
		{"domain does HTTP", pkg{ImportPath: m("geo"), Imports: []string{"net/http"}, Deps: []string{"net/http"}}, "no network"},
		{"API imports pgx", pkg{ImportPath: m("openapi"), Imports: []string{"github.com/jackc/pgx/v5/pgxpool"}}, "pgx only in registry"},
		{"maps imports pgx", pkg{ImportPath: m("maps"), Imports: []string{"github.com/jackc/pgx/v5"}}, "pgx only in registry"},
		{"pages import pgx", pkg{ImportPath: m("web/pages"), Imports: []string{"github.com/jackc/pgx/v5"}}, "pgx only in registry"},
		{"the server command imports pgx", pkg{ImportPath: m("cmd/minerights"), Imports: []string{"github.com/jackc/pgx/v5"}}, "pgx only in registry"},
		{"a package imports a command", pkg{ImportPath: m("openapi"), Imports: []string{m("cmd/minerights")}}, "nothing imports a command"},
		{"the store imports the API", pkg{ImportPath: m("registry"), Imports: []string{m("openapi")}}, "does not know its consumers"},
		{"test helper below the store imports it", pkg{ImportPath: m("internal/testdb"), Imports: []string{m("registry")}, Deps: []string{m("registry")}}, "below the store"},

		{"the store imports pgx", pkg{ImportPath: m("registry"), Imports: []string{"github.com/jackc/pgx/v5"}}, ""},
		{"the store's test helper imports pgx", pkg{ImportPath: m("registry/registrytest"), Imports: []string{"github.com/jackc/pgx/v5/pgxpool", m("registry")}}, ""},
		{"a bench driver imports pgx", pkg{ImportPath: m("cmd/bidload"), Imports: []string{"github.com/jackc/pgx/v5/pgxpool"}}, ""},
		{"the cluster manager imports pgx", pkg{ImportPath: m("internal/pgcluster"), Imports: []string{"github.com/jackc/pgx/v5"}}, ""},
		{"a command imports its own part", pkg{ImportPath: m("cmd/checkload"), Imports: []string{m("cmd/checkload/sqlscript")}}, ""},
		{"compliance uses geo", pkg{ImportPath: m("compliance"), Imports: []string{m("geo")}, Deps: []string{m("geo"), "github.com/paulmach/orb"}}, ""},
		{"the API uses the store", pkg{ImportPath: m("openapi"), Imports: []string{m("registry")}, Deps: []string{m("registry"), "github.com/jackc/pgx/v5"}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := violations([]pkg{tc.pkg})
			switch {
			case tc.want == "" && len(got) != 0:
				t.Errorf("violations %q, want none", got)
			case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
				t.Errorf("violations %q, want one saying %q", got, tc.want)
			}
		})
	}
}
