package gen

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

// The output is written by hand rather than through encoding/json so that
// it is canonical by construction: properties keep the order they are
// declared in (a map would sort or shuffle them), every coordinate has
// exactly nine decimals (about 0.1 mm), there is one feature per line so
// that diffs of the committed files stay readable, and the file ends with a
// newline.

// coordDecimals is the number of decimals of every lon/lat in the output.
const coordDecimals = 9

// kv is one property; a property list is a []kv in output order.
type kv struct {
	k string
	v any
}

// feature is one output feature: its properties and its outer ring in
// lon/lat, closed, already rounded to coordDecimals.
type feature struct {
	props []kv
	ring  orb.Ring
}

// prop returns the value of property k, or nil.
func (f feature) prop(k string) any {
	for _, p := range f.props {
		if p.k == k {
			return p.v
		}
	}
	return nil
}

// round9 rounds v to coordDecimals decimals, so that what the generator
// checks is what the file says.
func round9(v float64) float64 { return math.Round(v*1e9) / 1e9 }

func appendCoord(b []byte, v float64) []byte {
	return strconv.AppendFloat(b, v, 'f', coordDecimals, 64)
}

// appendString writes s as a JSON string. Unlike encoding/json it leaves
// <, > and & alone, which keeps Chinese names and reasons readable.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// appendValue writes the property values the generator uses.
func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case []int:
		b = append(b, '[')
		for i, n := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(n), 10)
		}
		return append(b, ']'), nil
	case []string:
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		return append(b, ']'), nil
	}
	return b, fmt.Errorf("gen: cannot encode property value %T", v)
}

func appendProps(b []byte, props []kv) ([]byte, error) {
	b = append(b, '{')
	for i, p := range props {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, p.k)
		b = append(b, ':')
		var err error
		if b, err = appendValue(b, p.v); err != nil {
			return nil, fmt.Errorf("gen: property %q: %w", p.k, err)
		}
	}
	return append(b, '}'), nil
}

// appendPositions writes [[x,y],...] with coordDecimals decimals.
func appendPositions(b []byte, r []orb.Point) []byte {
	b = append(b, '[')
	for i, p := range r {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = appendCoord(b, p[0])
		b = append(b, ',')
		b = appendCoord(b, p[1])
		b = append(b, ']')
	}
	return append(b, ']')
}

// appendFeature writes one Polygon feature.
func appendFeature(b []byte, f feature) ([]byte, error) {
	b = append(b, `{"type":"Feature","properties":`...)
	b, err := appendProps(b, f.props)
	if err != nil {
		return nil, err
	}
	b = append(b, `,"geometry":{"type":"Polygon","coordinates":[`...)
	b = appendPositions(b, f.ring)
	return append(b, "]}}"...), nil
}

// encodeCollection writes a FeatureCollection, one feature per line.
func encodeCollection(fs []feature) ([]byte, error) {
	b := []byte(`{"type":"FeatureCollection","features":[` + "\n")
	for i, f := range fs {
		var err error
		if b, err = appendFeature(b, f); err != nil {
			return nil, err
		}
		if i < len(fs)-1 {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	return append(b, "]}\n"...), nil
}
