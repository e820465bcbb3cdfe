package cql2

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Expr
	}{
		{"equals string", "status = 'announced'", Comparison{"=", Property{"status"}, String{"announced"}}},
		{"quoted names and escaped quote", `"name" <> 'O''Brien'`, Comparison{"<>", Property{"name"}, String{"O'Brien"}}},
		{"number keeps its text", "starting_price_yuan >= 43586650.00", Comparison{">=", Property{"starting_price_yuan"}, Number{"43586650.00", 43586650}}},
		{"negative number", "elevation_bottom_m < -12.5e1", Comparison{"<", Property{"elevation_bottom_m"}, Number{"-12.5e1", -125}}},
		{"chinese value", "county = '泌阳县'", Comparison{"=", Property{"county"}, String{"泌阳县"}}},
		{"and binds tighter than or", "a = 1 OR b = 2 AND c = 3", Or{[]Expr{
			Comparison{"=", Property{"a"}, Number{"1", 1}},
			And{[]Expr{Comparison{"=", Property{"b"}, Number{"2", 2}}, Comparison{"=", Property{"c"}, Number{"3", 3}}}},
		}}},
		{"parentheses", "(a = 1 or b = 2) and not c = 3", And{[]Expr{
			Or{[]Expr{Comparison{"=", Property{"a"}, Number{"1", 1}}, Comparison{"=", Property{"b"}, Number{"2", 2}}}},
			Not{Comparison{"=", Property{"c"}, Number{"3", 3}}},
		}}},
		{"like", "name LIKE '%花岗岩%'", Like{false, Property{"name"}, String{"%花岗岩%"}}},
		{"not like", "name NOT LIKE 'x_'", Like{true, Property{"name"}, String{"x_"}}},
		{"between", "gazette_no BETWEEN 2 AND 5", Between{false, Property{"gazette_no"}, Number{"2", 2}, Number{"5", 5}}},
		{"in", "status IN ('sold', 'failed')", In{false, Property{"status"}, []Operand{String{"sold"}, String{"failed"}}}},
		{"not in", "gazette_no NOT IN (1)", In{true, Property{"gazette_no"}, []Operand{Number{"1", 1}}}},
		{"is null", "elevation_top_m IS NULL", IsNull{false, Property{"elevation_top_m"}}},
		{"is not null", "verdict is not null", IsNull{true, Property{"verdict"}}},
		{"boolean literal", "TRUE", BoolLiteral{true}},
		{"boolean value", "published = false", Comparison{"=", Property{"published"}, Boolean{false}}},
		{"bbox", "S_INTERSECTS(geometry, BBOX(113.5, 32.6, 113.7, 32.8))", Spatial{"s_intersects", Property{"geometry"},
			Geometry{orb.Bound{Min: orb.Point{113.5, 32.6}, Max: orb.Point{113.7, 32.8}}.ToPolygon(), true}}},
		{"point", "s_within(POINT(113.6 32.7), geometry)", Spatial{"s_within", Geometry{Geom: orb.Point{113.6, 32.7}}, Property{"geometry"}}},
		{"polygon", "S_CONTAINS(geom, POLYGON((0 0, 1 0, 1 1, 0 0)))", Spatial{"s_contains", Property{"geom"},
			Geometry{Geom: orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}}},
		{"multipoint both forms", "S_INTERSECTS(g, MULTIPOINT((1 2), 3 4))", Spatial{"s_intersects", Property{"g"},
			Geometry{Geom: orb.MultiPoint{{1, 2}, {3, 4}}}}},
		{"timestamp", "created_at > TIMESTAMP('2026-01-02T03:04:05Z')", Comparison{">", Property{"created_at"},
			Timestamp{Value: mustTime(t, "2026-01-02T03:04:05Z")}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Parse(%q)\n got %#v\nwant %#v", tc.in, got, tc.want)
			}
			again, err := Parse(got.String())
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Fatalf("round trip of %q through %q: %#v, %v", tc.in, got.String(), again, err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
		pos            int
	}{
		{"empty", "  ", "empty", 1},
		{"unterminated string", "name = 'abc", "unterminated string", 8},
		{"dangling and", "a = 1 AND", "ends where", 10},
		{"missing operator", "a 1", "expected a comparison", 3},
		{"unknown character", "a = 1;", "unexpected character ';'", 6},
		{"keyword as operand", "a = AND", "keyword AND", 5},
		{"between without and", "a BETWEEN 1 OR 2", "BETWEEN needs AND", 13},
		{"open ring", "S_INTERSECTS(g, POLYGON((0 0, 1 0, 1 1, 0 1)))", "end at its first point", 25},
		{"short ring", "S_INTERSECTS(g, POLYGON((0 0, 1 0, 0 0)))", "at least 4 points", 25},
		{"3-D point", "S_INTERSECTS(g, POINT(1 2 3))", "2-D", 27},
		{"bbox arity", "S_INTERSECTS(g, BBOX(1, 2, 3))", "4 numbers", 17},
		{"bbox inverted", "S_INTERSECTS(g, BBOX(3, 2, 1, 4))", "minimum is above", 17},
		{"huge number", "a = 1e999", "out of range", 5},
		{"function", "upper(name) = 'A'", "function upper", 1},
		{"temporal", "T_AFTER(t, TIMESTAMP('2026-01-01T00:00:00Z'))", "temporal", 1},
		{"bad timestamp", "t > TIMESTAMP('yesterday')", "RFC 3339", 15},
		{"trailing", "a = 1 b = 2", "expected AND, OR", 7},
		{"unclosed paren", "(a = 1", `expected ")"`, 7},
		{"deep nesting", strings.Repeat("(", MaxDepth+1) + "a = 1" + strings.Repeat(")", MaxDepth+1), "deeper", MaxDepth + 1},
		{"too long", "a = '" + strings.Repeat("x", MaxLength) + "'", "at most", 1},
		{"not utf-8", "a = '\xff'", "UTF-8", 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.in)
			se, ok := err.(*SyntaxError)
			if !ok {
				t.Fatalf("Parse(%q) = %v, want a *SyntaxError", tc.in, err)
			}
			if !strings.Contains(se.Msg, tc.want) || se.Pos != tc.pos {
				t.Fatalf("Parse(%q) = %q at %d, want %q at %d", tc.in, se.Msg, se.Pos, tc.want, tc.pos)
			}
		})
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	e, err := Parse("x = TIMESTAMP('" + s + "')")
	if err != nil {
		t.Fatal(err)
	}
	return e.(Comparison).Right.(Timestamp).Value
}

// FuzzParse checks that any input either parses to a tree whose text parses
// back to the same tree, or fails with a positioned SyntaxError; never a
// panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"status = 'announced'", "a = 1 OR b = 2 AND NOT c = 3", "name LIKE '%岩%'",
		"gazette_no BETWEEN 2 AND 5", "status NOT IN ('sold', 'failed')", "x IS NOT NULL",
		"S_INTERSECTS(geometry, BBOX(113.5, 32.6, 113.7, 32.8))",
		"S_WITHIN(geometry, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((2 2, 3 2, 3 3, 2 2))))",
		"S_CROSSES(geometry, GEOMETRYCOLLECTION(POINT(1 2), LINESTRING(0 0, 1 1)))",
		"t > TIMESTAMP('2026-01-02T03:04:05Z') AND d < DATE('2026-02-01')", `"a""b" <> 'c''d'`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			se, ok := err.(*SyntaxError)
			if !ok || se.Pos < 1 {
				t.Fatalf("Parse(%q): %v is not a positioned SyntaxError", s, err)
			}
			return
		}
		text := e.String()
		again, err := Parse(text)
		if err != nil {
			t.Fatalf("Parse(%q) gave %q, which does not parse: %v", s, text, err)
		}
		if again.String() != text {
			t.Fatalf("Parse(%q): %q then %q", s, text, again.String())
		}
	})
}
