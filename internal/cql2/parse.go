package cql2

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

// MaxLength bounds the filter text, and MaxDepth the nesting of
// parentheses and NOTs: both keep a hostile filter from costing more than a
// page of features does.
const (
	MaxLength = 16 << 10
	MaxDepth  = 64
	// MaxCoordinates bounds the points in all geometry literals together.
	MaxCoordinates = 10000
)

// SyntaxError says where a filter stops making sense.
type SyntaxError struct {
	// Pos is the 1-based character position of the offending token.
	Pos int
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("at character %d: %s", e.Pos, e.Msg)
}

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tQuoted // "double quoted" property name
	tString
	tNumber
	tPunct
)

type token struct {
	kind tokKind
	text string // identifier, string value, number text, or punctuation
	pos  int    // 1-based character position
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "the end of the filter"
	case tString:
		return "'" + t.text + "'"
	case tQuoted:
		return `"` + t.text + `"`
	}
	return strconv.Quote(t.text)
}

func lex(src string) ([]token, error) {
	var out []token
	i, pos := 0, 1
	for i < len(src) {
		r, w := utf8.DecodeRuneInString(src[i:])
		if r == utf8.RuneError && w == 1 {
			return nil, &SyntaxError{pos, "the filter is not valid UTF-8"}
		}
		start, startPos := i, pos
		adv := func() { i += w; pos++; r, w = utf8.DecodeRuneInString(src[i:]) }
		switch {
		case unicode.IsSpace(r):
			adv()
		case r == '\'':
			var sb strings.Builder
			adv()
			for {
				if i >= len(src) {
					return nil, &SyntaxError{startPos, "unterminated string: a closing ' is missing"}
				}
				if r == '\'' {
					adv()
					if i < len(src) && r == '\'' {
						sb.WriteByte('\'')
						adv()
						continue
					}
					break
				}
				if r == utf8.RuneError && w == 1 {
					return nil, &SyntaxError{pos, "the filter is not valid UTF-8"}
				}
				sb.WriteRune(r)
				adv()
			}
			out = append(out, token{tString, sb.String(), startPos})
		case r == '"':
			var sb strings.Builder
			adv()
			for {
				if i >= len(src) {
					return nil, &SyntaxError{startPos, `unterminated property name: a closing " is missing`}
				}
				if r == '"' {
					adv()
					if i < len(src) && r == '"' {
						sb.WriteByte('"')
						adv()
						continue
					}
					break
				}
				sb.WriteRune(r)
				adv()
			}
			if sb.Len() == 0 {
				return nil, &SyntaxError{startPos, "empty property name"}
			}
			out = append(out, token{tQuoted, sb.String(), startPos})
		case r >= '0' && r <= '9' || r == '.' || ((r == '-' || r == '+') && i+1 < len(src) && (isDigit(src[i+1]) || src[i+1] == '.')):
			if r == '-' || r == '+' {
				adv()
			}
			digits := 0
			for i < len(src) && isDigit(src[i]) {
				adv()
				digits++
			}
			if i < len(src) && src[i] == '.' {
				adv()
				for i < len(src) && isDigit(src[i]) {
					adv()
					digits++
				}
			}
			if digits == 0 {
				return nil, &SyntaxError{startPos, "a number needs digits"}
			}
			if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
				adv()
				if i < len(src) && (src[i] == '+' || src[i] == '-') {
					adv()
				}
				exp := 0
				for i < len(src) && isDigit(src[i]) {
					adv()
					exp++
				}
				if exp == 0 {
					return nil, &SyntaxError{startPos, "a number's exponent needs digits"}
				}
			}
			out = append(out, token{tNumber, src[start:i], startPos})
		case unicode.IsLetter(r) || r == '_':
			for i < len(src) && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.' || r == ':') {
				adv()
			}
			out = append(out, token{tIdent, src[start:i], startPos})
		case r == '<':
			adv()
			if i < len(src) && (r == '=' || r == '>') {
				adv()
			}
			out = append(out, token{tPunct, src[start:i], startPos})
		case r == '>':
			adv()
			if i < len(src) && r == '=' {
				adv()
			}
			out = append(out, token{tPunct, src[start:i], startPos})
		case r == '(' || r == ')' || r == ',' || r == '=':
			adv()
			out = append(out, token{tPunct, src[start:i], startPos})
		default:
			return nil, &SyntaxError{startPos, fmt.Sprintf("unexpected character %q", r)}
		}
	}
	return append(out, token{tEOF, "", pos}), nil
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// reserved words cannot be bare property names; quote them to use them so.
var reserved = map[string]bool{
	"AND": true, "OR": true, "NOT": true, "LIKE": true, "BETWEEN": true, "IN": true, "IS": true,
	"NULL": true, "TRUE": true, "FALSE": true, "TIMESTAMP": true, "DATE": true, "BBOX": true,
	"POINT": true, "LINESTRING": true, "POLYGON": true, "MULTIPOINT": true, "MULTILINESTRING": true,
	"MULTIPOLYGON": true, "GEOMETRYCOLLECTION": true,
}

var spatialOps = map[string]bool{
	"S_INTERSECTS": true, "S_DISJOINT": true, "S_EQUALS": true, "S_TOUCHES": true,
	"S_WITHIN": true, "S_OVERLAPS": true, "S_CROSSES": true, "S_CONTAINS": true,
}

type parser struct {
	toks   []token
	i      int
	depth  int
	coords int
}

// Parse reads a CQL2-text filter.
func Parse(src string) (Expr, error) {
	if len(src) > MaxLength {
		return nil, &SyntaxError{1, fmt.Sprintf("the filter is %d bytes long; at most %d are accepted", len(src), MaxLength)}
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	if p.peek().kind == tEOF {
		return nil, &SyntaxError{1, "the filter is empty"}
	}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errAt(t, "expected AND, OR or the end of the filter, found "+t.describe())
	}
	return e, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errAt(t token, msg string) error { return &SyntaxError{t.pos, msg} }

// keyword reports whether the next token is the (case-insensitive) word.
func (p *parser) keyword(w string) bool {
	t := p.peek()
	return t.kind == tIdent && strings.EqualFold(t.text, w)
}

func (p *parser) accept(w string) bool {
	if p.keyword(w) {
		p.i++
		return true
	}
	return false
}

func (p *parser) punct(s string) bool {
	t := p.peek()
	return t.kind == tPunct && t.text == s
}

func (p *parser) expect(s string) error {
	t := p.peek()
	if t.kind == tPunct && t.text == s {
		p.i++
		return nil
	}
	return p.errAt(t, fmt.Sprintf("expected %q, found %s", s, t.describe()))
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > MaxDepth {
		return p.errAt(p.peek(), fmt.Sprintf("the filter nests deeper than %d levels", MaxDepth))
	}
	return nil
}

func (p *parser) or() (Expr, error) {
	return p.chain("OR", p.and, func(args []Expr) Expr { return Or{Args: args} })
}

func (p *parser) and() (Expr, error) {
	return p.chain("AND", p.not, func(args []Expr) Expr { return And{Args: args} })
}

// chain parses operands joined by the keyword op, one precedence level:
// a single operand stands for itself, several become one n-ary node.
func (p *parser) chain(op string, operand func() (Expr, error), node func([]Expr) Expr) (Expr, error) {
	first, err := operand()
	if err != nil {
		return nil, err
	}
	args := []Expr{first}
	for p.accept(op) {
		e, err := operand()
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	if len(args) == 1 {
		return first, nil
	}
	return node(args), nil
}

func (p *parser) not() (Expr, error) {
	if p.accept("NOT") {
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		e, err := p.not()
		if err != nil {
			return nil, err
		}
		return Not{Arg: e}, nil
	}
	return p.primary()
}

func (p *parser) primary() (Expr, error) {
	t := p.peek()
	if p.punct("(") {
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		p.i++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		return e, nil
	}
	if t.kind == tIdent && spatialOps[strings.ToUpper(t.text)] {
		p.i++
		if err := p.expect("("); err != nil {
			return nil, err
		}
		a, err := p.operand()
		if err != nil {
			return nil, err
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
		b, err := p.operand()
		if err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		return Spatial{Op: strings.ToLower(t.text), A: a, B: b}, nil
	}
	if t.kind == tIdent && strings.HasPrefix(strings.ToUpper(t.text), "T_") {
		return nil, p.errAt(t, "temporal functions ("+t.text+") are not supported; compare timestamps with < and >")
	}
	if t.kind == tIdent && strings.HasPrefix(strings.ToUpper(t.text), "A_") {
		return nil, p.errAt(t, "array functions ("+t.text+") are not supported")
	}
	left, err := p.operand()
	if err != nil {
		return nil, err
	}
	op := p.peek()
	if op.kind == tPunct {
		switch op.text {
		case "=", "<>", "<", "<=", ">", ">=":
			p.i++
			right, err := p.operand()
			if err != nil {
				return nil, err
			}
			return Comparison{Op: op.text, Left: left, Right: right}, nil
		}
	}
	neg := p.accept("NOT")
	switch {
	case p.accept("LIKE"):
		pat, err := p.operand()
		if err != nil {
			return nil, err
		}
		return Like{Not: neg, Arg: left, Pattern: pat}, nil
	case p.accept("BETWEEN"):
		lo, err := p.operand()
		if err != nil {
			return nil, err
		}
		if !p.accept("AND") {
			return nil, p.errAt(p.peek(), "BETWEEN needs AND between its bounds, found "+p.peek().describe())
		}
		hi, err := p.operand()
		if err != nil {
			return nil, err
		}
		return Between{Not: neg, Arg: left, Low: lo, High: hi}, nil
	case p.accept("IN"):
		var list []Operand
		err := p.list(func() error {
			v, err := p.operand()
			list = append(list, v)
			return err
		})
		if err != nil {
			return nil, err
		}
		return In{Not: neg, Arg: left, List: list}, nil
	}
	if !neg && p.accept("IS") {
		isNot := p.accept("NOT")
		if !p.accept("NULL") {
			return nil, p.errAt(p.peek(), "expected NULL after IS, found "+p.peek().describe())
		}
		return IsNull{Not: isNot, Arg: left}, nil
	}
	if b, ok := left.(Boolean); ok && !neg {
		return BoolLiteral(b), nil
	}
	after := p.peek()
	if neg {
		return nil, p.errAt(after, "expected LIKE, BETWEEN or IN after NOT, found "+after.describe())
	}
	return nil, p.errAt(after, "expected a comparison (=, <>, <, <=, >, >=, LIKE, BETWEEN, IN, IS NULL) after "+left.String()+", found "+after.describe())
}

func (p *parser) operand() (Operand, error) {
	t := p.next()
	switch t.kind {
	case tString:
		return String{Value: t.text}, nil
	case tQuoted:
		return Property{Name: t.text}, nil
	case tNumber:
		v, err := strconv.ParseFloat(t.text, 64)
		if err != nil || math.IsInf(v, 0) {
			return nil, p.errAt(t, "number "+t.text+" is out of range")
		}
		return Number{Text: t.text, Value: v}, nil
	case tIdent:
		up := strings.ToUpper(t.text)
		switch up {
		case "TRUE", "FALSE":
			return Boolean{Value: up == "TRUE"}, nil
		case "TIMESTAMP", "DATE":
			return p.instant(t, up == "DATE")
		case "BBOX":
			return p.bbox(t)
		case "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION":
			p.i--
			g, err := p.geometry()
			if err != nil {
				return nil, err
			}
			return Geometry{Geom: g}, nil
		}
		if reserved[up] {
			return nil, p.errAt(t, "expected a property or a value, found the keyword "+up)
		}
		if p.punct("(") {
			return nil, p.errAt(t, "function "+t.text+" is not supported")
		}
		return Property{Name: t.text}, nil
	case tEOF:
		return nil, p.errAt(t, "the filter ends where a property or a value was expected")
	}
	return nil, p.errAt(t, "expected a property or a value, found "+t.describe())
}

func (p *parser) instant(t token, date bool) (Operand, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	s := p.next()
	if s.kind != tString {
		return nil, p.errAt(s, "expected a quoted instant, found "+s.describe())
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	if date {
		v, err := time.Parse(time.DateOnly, s.text)
		if err != nil {
			return nil, p.errAt(s, "DATE needs YYYY-MM-DD, found '"+s.text+"'")
		}
		return Timestamp{Value: v, Date: true}, nil
	}
	v, err := time.Parse(time.RFC3339Nano, s.text)
	if err != nil {
		return nil, p.errAt(s, "TIMESTAMP needs an RFC 3339 instant such as '2026-03-01T09:00:00Z', found '"+s.text+"'")
	}
	return Timestamp{Value: v}, nil
}

func (p *parser) number() (float64, error) {
	t := p.next()
	if t.kind != tNumber {
		return 0, p.errAt(t, "expected a coordinate, found "+t.describe())
	}
	v, err := strconv.ParseFloat(t.text, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, p.errAt(t, "coordinate "+t.text+" is out of range")
	}
	return v, nil
}

func (p *parser) bbox(t token) (Operand, error) {
	var v []float64
	err := p.list(func() error {
		x, err := p.number()
		v = append(v, x)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(v) != 4 && len(v) != 6 {
		return nil, p.errAt(t, fmt.Sprintf("BBOX needs 4 numbers (or 6 with heights), found %d", len(v)))
	}
	lo, hi := orb.Point{v[0], v[1]}, orb.Point{v[2], v[3]}
	if len(v) == 6 {
		hi = orb.Point{v[3], v[4]}
	}
	if lo[0] > hi[0] || lo[1] > hi[1] {
		return nil, p.errAt(t, "BBOX minimum is above its maximum")
	}
	return Geometry{Geom: orb.Bound{Min: lo, Max: hi}.ToPolygon(), BBox: true}, nil
}

// point reads "x y".
func (p *parser) point() (orb.Point, error) {
	x, err := p.number()
	if err != nil {
		return orb.Point{}, err
	}
	y, err := p.number()
	if err != nil {
		return orb.Point{}, err
	}
	if p.peek().kind == tNumber {
		return orb.Point{}, p.errAt(p.peek(), "only 2-D coordinates are supported")
	}
	p.coords++
	if p.coords > MaxCoordinates {
		return orb.Point{}, p.errAt(p.peek(), fmt.Sprintf("the geometries have more than %d points", MaxCoordinates))
	}
	return orb.Point{x, y}, nil
}

// list reads "( item, item, ... )".
func (p *parser) list(item func() error) error {
	if err := p.expect("("); err != nil {
		return err
	}
	if err := p.enter(); err != nil {
		return err
	}
	defer func() { p.depth-- }()
	for {
		if err := item(); err != nil {
			return err
		}
		if p.punct(",") {
			p.i++
			continue
		}
		return p.expect(")")
	}
}

func (p *parser) points() ([]orb.Point, error) {
	var pts []orb.Point
	err := p.list(func() error {
		pt, err := p.point()
		pts = append(pts, pt)
		return err
	})
	return pts, err
}

func (p *parser) lineString(at token) (orb.LineString, error) {
	pts, err := p.points()
	if err != nil {
		return nil, err
	}
	if len(pts) < 2 {
		return nil, p.errAt(at, "a line needs at least 2 points")
	}
	return orb.LineString(pts), nil
}

func (p *parser) polygon(at token) (orb.Polygon, error) {
	var poly orb.Polygon
	err := p.list(func() error {
		ringAt := p.peek()
		pts, err := p.points()
		if err != nil {
			return err
		}
		if len(pts) < 4 {
			return p.errAt(ringAt, "a polygon ring needs at least 4 points")
		}
		if pts[0] != pts[len(pts)-1] {
			return p.errAt(ringAt, "a polygon ring must end at its first point")
		}
		poly = append(poly, orb.Ring(pts))
		return nil
	})
	return poly, err
}

func (p *parser) geometry() (orb.Geometry, error) {
	t := p.next()
	up := strings.ToUpper(t.text)
	if t.kind != tIdent {
		return nil, p.errAt(t, "expected a geometry, found "+t.describe())
	}
	if p.keyword("Z") || p.keyword("M") || p.keyword("ZM") {
		return nil, p.errAt(p.peek(), "only 2-D geometries are supported")
	}
	if p.keyword("EMPTY") {
		return nil, p.errAt(p.peek(), "empty geometries are not supported")
	}
	switch up {
	case "POINT":
		var pt orb.Point
		err := p.list(func() error {
			var err error
			if p.punct(",") || p.punct(")") {
				return p.errAt(p.peek(), "a point needs one coordinate pair")
			}
			pt, err = p.point()
			if err == nil && p.punct(",") {
				return p.errAt(p.peek(), "a point has one coordinate pair; use MULTIPOINT for more")
			}
			return err
		})
		return pt, err
	case "LINESTRING":
		return p.lineString(t)
	case "POLYGON":
		return p.polygon(t)
	case "MULTIPOINT":
		var mp orb.MultiPoint
		err := p.list(func() error {
			if p.punct("(") {
				p.i++
				pt, err := p.point()
				if err != nil {
					return err
				}
				mp = append(mp, pt)
				return p.expect(")")
			}
			pt, err := p.point()
			mp = append(mp, pt)
			return err
		})
		return mp, err
	case "MULTILINESTRING":
		var ml orb.MultiLineString
		err := p.list(func() error {
			ls, err := p.lineString(p.peek())
			ml = append(ml, ls)
			return err
		})
		return ml, err
	case "MULTIPOLYGON":
		var mp orb.MultiPolygon
		err := p.list(func() error {
			poly, err := p.polygon(p.peek())
			mp = append(mp, poly)
			return err
		})
		return mp, err
	case "GEOMETRYCOLLECTION":
		var c orb.Collection
		err := p.list(func() error {
			g, err := p.geometry()
			c = append(c, g)
			return err
		})
		return c, err
	}
	return nil, p.errAt(t, "expected a geometry, found "+t.describe())
}
