// Package cql2 parses OGC CQL2 text (OGC 21-065) into a small syntax tree:
// the basic comparison predicates, LIKE, BETWEEN, IN, IS NULL, the spatial
// functions S_INTERSECTS and friends over WKT and BBOX literals, and the
// boolean connectives. It knows nothing about SQL or about which properties
// exist: the registry checks names against a collection's queryables and
// binds every literal as a query parameter, so no text of a filter ever
// reaches the database as SQL.
package cql2

import (
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
)

// Expr is a boolean expression: a predicate or a combination of them.
type Expr interface {
	expr()
	// String renders the expression as CQL2 text that parses back to an
	// equal tree.
	String() string
}

// Operand is a value in a predicate: a property or a literal.
type Operand interface {
	operand()
	String() string
}

// And is true when every argument is.
type And struct{ Args []Expr }

// Or is true when any argument is.
type Or struct{ Args []Expr }

// Not negates its argument.
type Not struct{ Arg Expr }

// Comparison is one of = <> < <= > >= between two scalars.
type Comparison struct {
	Op          string
	Left, Right Operand
}

// Like matches a string against a pattern with % and _ wildcards.
type Like struct {
	Not     bool
	Arg     Operand
	Pattern Operand
}

// Between is true when Low <= Arg <= High.
type Between struct {
	Not            bool
	Arg, Low, High Operand
}

// In is true when Arg equals one of List.
type In struct {
	Not  bool
	Arg  Operand
	List []Operand
}

// IsNull is true when Arg has no value.
type IsNull struct {
	Not bool
	Arg Operand
}

// Spatial is one of the spatial functions, Op in lower case
// (s_intersects, s_disjoint, s_equals, s_touches, s_within, s_overlaps,
// s_crosses, s_contains).
type Spatial struct {
	Op   string
	A, B Operand
}

// BoolLiteral is a TRUE or FALSE standing as a whole predicate.
type BoolLiteral struct{ Value bool }

// Property names a queryable of the collection.
type Property struct{ Name string }

// String is a character literal.
type String struct{ Value string }

// Number is a numeric literal; Text keeps the digits exactly as written so
// that a database can compare it as an exact decimal.
type Number struct {
	Text  string
	Value float64
}

// Boolean is TRUE or FALSE used as a value.
type Boolean struct{ Value bool }

// Timestamp is a TIMESTAMP('...') or DATE('...') literal.
type Timestamp struct {
	Value time.Time
	Date  bool
}

// Geometry is a WKT or BBOX literal, in the filter's CRS with its axes in
// the order written.
type Geometry struct {
	Geom orb.Geometry
	// BBox is set when the literal was BBOX(...): Geom is then its polygon.
	BBox bool
}

func (And) expr()         {}
func (Or) expr()          {}
func (Not) expr()         {}
func (Comparison) expr()  {}
func (Like) expr()        {}
func (Between) expr()     {}
func (In) expr()          {}
func (IsNull) expr()      {}
func (Spatial) expr()     {}
func (BoolLiteral) expr() {}

func (Property) operand()  {}
func (String) operand()    {}
func (Number) operand()    {}
func (Boolean) operand()   {}
func (Timestamp) operand() {}
func (Geometry) operand()  {}

func join(args []Expr, op string) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.String()
	}
	return "(" + strings.Join(parts, " "+op+" ") + ")"
}

func (e And) String() string { return join(e.Args, "AND") }
func (e Or) String() string  { return join(e.Args, "OR") }
func (e Not) String() string { return "NOT (" + e.Arg.String() + ")" }
func (e Comparison) String() string {
	return e.Left.String() + " " + e.Op + " " + e.Right.String()
}

func not(b bool) string {
	if b {
		return "NOT "
	}
	return ""
}

func (e Like) String() string {
	return e.Arg.String() + " " + not(e.Not) + "LIKE " + e.Pattern.String()
}
func (e Between) String() string {
	return e.Arg.String() + " " + not(e.Not) + "BETWEEN " + e.Low.String() + " AND " + e.High.String()
}
func (e In) String() string {
	parts := make([]string, len(e.List))
	for i, a := range e.List {
		parts[i] = a.String()
	}
	return e.Arg.String() + " " + not(e.Not) + "IN (" + strings.Join(parts, ", ") + ")"
}
func (e IsNull) String() string { return e.Arg.String() + " IS " + not(e.Not) + "NULL" }
func (e Spatial) String() string {
	return strings.ToUpper(e.Op) + "(" + e.A.String() + ", " + e.B.String() + ")"
}
func (e BoolLiteral) String() string { return Boolean(e).String() }

func (p Property) String() string { return `"` + strings.ReplaceAll(p.Name, `"`, `""`) + `"` }
func (s String) String() string   { return "'" + strings.ReplaceAll(s.Value, "'", "''") + "'" }
func (n Number) String() string   { return n.Text }
func (b Boolean) String() string {
	if b.Value {
		return "TRUE"
	}
	return "FALSE"
}
func (t Timestamp) String() string {
	if t.Date {
		return "DATE('" + t.Value.Format(time.DateOnly) + "')"
	}
	return "TIMESTAMP('" + t.Value.UTC().Format(time.RFC3339Nano) + "')"
}
func (g Geometry) String() string {
	if g.BBox {
		b := g.Geom.Bound()
		f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
		return "BBOX(" + f(b.Min[0]) + ", " + f(b.Min[1]) + ", " + f(b.Max[0]) + ", " + f(b.Max[1]) + ")"
	}
	return wkt.MarshalString(g.Geom)
}
