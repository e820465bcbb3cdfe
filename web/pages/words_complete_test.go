package pages

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// source is what the Go files of some packages declare, read with go/parser
// so that a name added there is seen here without anyone listing it.
type source struct {
	consts  map[string]string   // constant name → string value
	typed   map[string][]string // type name → the string values of its constants
	calls   map[string][]string // function name → the first string argument of each call
	statusE map[string]bool     // http.StatusX named in an operation's Errors
}

// inspectGo walks the syntax of the Go files of dir, tests aside, with fn.
func inspectGo(t *testing.T, fset *token.FileSet, dir string, fn func(ast.Node) bool) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, fn)
	}
}

func readSource(t *testing.T, dirs ...string) source {
	t.Helper()
	s := source{consts: map[string]string{}, typed: map[string][]string{}, calls: map[string][]string{}, statusE: map[string]bool{}}
	fset := token.NewFileSet()
	for _, dir := range dirs {
		inspectGo(t, fset, dir, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GenDecl:
				if n.Tok != token.CONST {
					return true
				}
				for _, sp := range n.Specs {
					vs := sp.(*ast.ValueSpec)
					for i, id := range vs.Names {
						if i >= len(vs.Values) {
							continue
						}
						lit, ok := vs.Values[i].(*ast.BasicLit)
						if !ok || lit.Kind != token.STRING {
							continue
						}
						v, _ := strconv.Unquote(lit.Value)
						s.consts[id.Name] = v
						if typ, ok := vs.Type.(*ast.Ident); ok {
							s.typed[typ.Name] = append(s.typed[typ.Name], v)
						}
					}
				}
			case *ast.CallExpr:
				fn, ok := n.Fun.(*ast.Ident)
				if !ok || len(n.Args) == 0 {
					return true
				}
				if lit, ok := n.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					v, _ := strconv.Unquote(lit.Value)
					s.calls[fn.Name] = append(s.calls[fn.Name], v)
				}
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); !ok || k.Name != "Errors" {
					return true
				}
				ast.Inspect(n.Value, func(m ast.Node) bool {
					if sel, ok := m.(*ast.SelectorExpr); ok && strings.HasPrefix(sel.Sel.Name, "Status") {
						s.statusE[sel.Sel.Name] = true
					}
					return true
				})
			}
			return true
		})
	}
	return s
}

// statusCode reads net/http's name of a status (StatusNotFound) back to
// its code through http.StatusText.
func statusCode(name string) (int, bool) {
	for code := 100; code < 600; code++ {
		txt := http.StatusText(code)
		if txt == "" {
			continue
		}
		camel := "Status" + strings.NewReplacer(" ", "", "-", "", "'", "").Replace(strings.Title(strings.ToLower(txt))) //nolint:staticcheck // ASCII words
		if camel == name || (code == 414 && name == "StatusRequestURITooLong") || (code == 413 && name == "StatusRequestEntityTooLarge") {
			return code, true
		}
	}
	return 0, false
}

func dirs(t *testing.T, names ...string) []string {
	t.Helper()
	var out []string
	for _, n := range names {
		if fi, err := os.Stat(filepath.Join("..", "..", n)); err == nil && fi.IsDir() {
			out = append(out, filepath.Join("..", "..", n))
		}
	}
	return out
}

// TestWordsComplete: every name the code can hand the pages has Chinese in
// the pages' tables, found by reading the code that makes them: the sale
// states, methods and failure reasons (auction), the rules a refusal names
// (every refuse("…") in auction), the parcel statuses, verdicts and rule
// effects (registry, compliance), every status an API operation declares,
// and the layer kinds the rule table is seeded with. A name added to any
// of them without Chinese fails here before a page shows it in English.
func TestWordsComplete(t *testing.T) {
	auc := readSource(t, dirs(t, "auction")...)
	store := readSource(t, dirs(t, "registry", "compliance")...)
	api := readSource(t, dirs(t, "openapi", "maps")...)
	var missing []string
	need := func(what string, table map[string]string, keys []string) {
		if len(keys) == 0 {
			t.Errorf("found no %s in the code: the reading of the source is broken", what)
		}
		for _, k := range keys {
			if zh, ok := table[k]; !ok || !hasHan(zh) {
				missing = append(missing, what+" "+strconv.Quote(k))
			}
		}
	}
	need("sale state", stateNames, auc.typed["State"])
	need("transfer method", methodNames, auc.typed["Method"])
	need("failure reason", failNames, auc.typed["FailReason"])
	need("refusal rule", ruleWords, auc.calls["refuse"])
	var statuses, verdicts, effects []string
	for name, v := range store.consts {
		switch {
		case regexp.MustCompile(`^Status[A-Z][a-z]+$`).MatchString(name):
			statuses = append(statuses, v)
		case strings.HasPrefix(name, "Verdict"):
			verdicts = append(verdicts, v)
		case strings.HasPrefix(name, "Effect"):
			effects = append(effects, v)
		}
	}
	need("parcel status", parcelStatusNames, statuses)
	need("verdict", verdictNames, verdicts)
	need("rule effect", effectNames, effects)
	var codes []string
	byCode := map[string]string{}
	for name := range api.statusE {
		code, ok := statusCode(name)
		if !ok {
			t.Errorf("net/http.%s: no status code known", name)
			continue
		}
		codes = append(codes, strconv.Itoa(code))
		byCode[strconv.Itoa(code)] = name
	}
	status := map[string]string{}
	for c, w := range statusWords {
		status[strconv.Itoa(c)] = w
	}
	need("API status", status, codes)
	// The layer kinds the rule table starts with (migration 002).
	mig, err := os.ReadFile("../../data/migrations/002_compliance.sql")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	if i := strings.Index(string(mig), "INSERT INTO compliance_rule"); i >= 0 {
		for _, m := range regexp.MustCompile(`(?m)^\s*\('([a-z_]+)',`).FindAllStringSubmatch(string(mig)[i:], -1) {
			kinds = append(kinds, m[1])
		}
	}
	need("layer kind", kindNames, kinds)
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no Chinese for %d names the code produces:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}
