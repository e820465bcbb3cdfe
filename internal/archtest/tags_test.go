package archtest

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// storeAndDomain are the folders whose types are the store's and the
// domain's own: the HTTP layers (openapi, maps, web) describe the wire with
// their own types, so no struct here carries huma's schema tags. JSON names
// are allowed: the store keeps some values as JSON.
var storeAndDomain = []string{"registry", "compliance", "geo", "auction"}

// wireTags are the struct tags huma reads to describe an API body or
// parameter (huma's schema.go and huma.go).
var wireTags = []string{"doc", "enum", "format", "example", "default", "minimum", "maximum", "exclusiveMinimum",
	"exclusiveMaximum", "multipleOf", "minLength", "maxLength", "pattern", "patternDescription", "minItems", "maxItems",
	"uniqueItems", "minProperties", "maxProperties", "readOnly", "writeOnly", "deprecated", "hidden", "nullable",
	"required", "dependentRequired", "contentEncoding", "contentMediaType", "timeFormat", "dateFormat",
	"path", "query", "header", "cookie", "form"}

// wireTagsIn returns, one line each, the struct fields of the Go source src
// (named name) that carry a wire tag.
func wireTagsIn(name string, src any) ([]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		field, ok := n.(*ast.Field)
		if !ok || field.Tag == nil {
			return true
		}
		tag, err := strconv.Unquote(field.Tag.Value)
		if err != nil {
			return true
		}
		for _, k := range wireTags {
			if _, ok := reflect.StructTag(tag).Lookup(k); ok {
				out = append(out, fmt.Sprintf("%s: tag %s:", fset.Position(field.Pos()), k))
			}
		}
		return true
	})
	return out, nil
}

// TestNoWireTagsInStoreOrDomain: wire types live with the HTTP layers,
// storage types with the store.
func TestNoWireTagsInStoreOrDomain(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	for _, dir := range storeAndDomain {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			files++
			found, err := wireTagsIn(p, nil)
			for _, f := range found {
				t.Errorf("%s (an API description belongs to the HTTP layer's own type)", strings.TrimPrefix(f, root+"/"))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if files < 20 {
		t.Fatalf("read %d files: not run from the module", files)
	}
}

// TestWireTagsFound: the check sees a huma tag among others, and lets JSON
// names through.
func TestWireTagsFound(t *testing.T) {
	src := "package x\ntype T struct {\n\tA string `json:\"a\"`\n\tB string `json:\"b\" enum:\"p,q\"`\n\tC struct {\n\t\tD int `json:\"d\" doc:\"d\"`\n\t}\n}\n"
	found, err := wireTagsIn("x.go", src)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 2 || !strings.Contains(found[0], "x.go:4:") || !strings.Contains(found[0], "enum") ||
		!strings.Contains(found[1], "x.go:6:") || !strings.Contains(found[1], "doc") {
		t.Errorf("found %q, want B's enum and D's doc", found)
	}
}
