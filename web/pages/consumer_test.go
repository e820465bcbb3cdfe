package pages

import (
	"go/ast"
	"go/token"
	"sort"
	"strings"
	"testing"
)

// storeNames are the names of package registry the pages may use: the
// store's accounts and sessions (Accounts), which the API does not serve,
// and the signed-in principal they answer. Everything else the pages show
// comes from the API's JSON, read into the pages' own view types.
var storeNames = map[string]bool{
	"Store": true, "Session": true, "Principal": true, "Account": true, "BidderRegistration": true,
	"IsSessionToken": true, "RoleBureau": true,
	"ErrUnauthenticated": true, "ErrBadCredentials": true, "ErrAccountDisabled": true, "ErrConflict": true,
	"ThrottledError": true, "ValidationError": true, "ConflictError": true,
}

// TestPagesReadTheAPIIntoTheirOwnTypes: the pages are a consumer of the
// HTTP API; no page decodes an answer into the store's types (a report, a
// rule, a layer, a calendar, an account), so the store can change its types
// without changing what a page shows.
func TestPagesReadTheAPIIntoTheirOwnTypes(t *testing.T) {
	fset := token.NewFileSet()
	used := map[string][]string{}
	inspectGo(t, fset, ".", func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "registry" {
				used[sel.Sel.Name] = append(used[sel.Sel.Name], fset.Position(sel.Pos()).String())
			}
		}
		return true
	})
	if len(used) == 0 {
		t.Fatal("no use of registry found: the test reads the wrong files")
	}
	var names []string
	for n := range used {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !storeNames[n] {
			t.Errorf("registry.%s is used by the pages (%s): read the API's answer into a view type of the pages instead", n, strings.Join(used[n], ", "))
		}
	}
}
