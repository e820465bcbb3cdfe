package openapi

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestCheckJSON: what the body check finds, and where it says it is.
func TestCheckJSON(t *testing.T) {
	cases := []struct {
		name, body, loc string // loc "" means nothing is found
	}{
		{"plain", `{"text":"ok","n":1,"a":[1,{"b":2}]}`, ""},
		{"case variant", `{"text":"ok","Text":"x"}`, "body.Text"},
		{"exact duplicate", `{"a":1,"a":2}`, "body.a"},
		{"same key in sibling objects", `{"a":{"k":1},"b":{"k":1}}`, ""},
		{"nested in an array", `{"r":[{"u":1},{"u":1,"U":2}]}`, "body.r[1].U"},
		{"Kelvin sign", `{"k":1,"\u212a":2}`, "body.\u212a"},
		{"long s", `{"basis":1,"ba\u017fis":2}`, "body.ba\u017fis"},
		{"NUL in a value", `{"a":{"b":["x","y\u0000"]}}`, "body.a.b[1]"},
		{"NUL in a key", `{"a\u0000":1}`, "body"},
		{"after a closed object", `{"a":{"x":1},"b":"\u0000"}`, "body.b"},
		{"top-level array", `[{"a":1},{"b":1,"B":1}]`, "body[1].B"},
		{"syntax error left to the decoder", `{"a":`, ""},
		{"escaped key", `{"text":1,"T\u0065xt":2}`, "body.Text"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := checkJSON([]byte(tc.body))
			switch {
			case tc.loc == "" && p != nil:
				t.Fatalf("found %+v", p)
			case tc.loc != "" && p == nil:
				t.Fatalf("found nothing, want %s", tc.loc)
			case tc.loc != "" && p.loc != tc.loc:
				t.Fatalf("at %s, want %s (%s)", p.loc, tc.loc, p.msg)
			}
		})
	}
}

// FuzzFoldKey: two keys fold alike exactly when strings.EqualFold, the
// matching encoding/json uses for field names, holds them equal.
func FuzzFoldKey(f *testing.F) {
	for _, s := range [][2]string{{"text", "Text"}, {"k", "\u212a"}, {"s", "\u017f"}, {"ß", "SS"}, {"Σ", "ς"}, {"a", "b"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if (foldKey(a) == foldKey(b)) != strings.EqualFold(a, b) {
			t.Fatalf("foldKey(%q)=%q, foldKey(%q)=%q, EqualFold %v", a, foldKey(a), b, foldKey(b), strings.EqualFold(a, b))
		}
	})
}

// FuzzCheckJSON: on any bytes, checkJSON does not panic, and on valid JSON
// it lets through nothing the decoder would read ambiguously: every object
// it accepts has keys distinct under case folding, and no string holds
// U+0000.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{`{"text":"ok","Text":"x"}`, `{"a":[{"b":1},{"B":2}]}`, `[1,"\u0000"]`, `{"a":{"b":{"c":[]}},"d":null}`, `"x"`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p := checkJSON(body)
		if p != nil || !json.Valid(body) {
			return
		}
		var walk func(any)
		walk = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				seen := map[string]string{}
				for k, e := range x {
					if strings.ContainsRune(k, 0) {
						t.Fatalf("accepted a key with NUL: %q", body)
					}
					if prev, ok := seen[foldKey(k)]; ok {
						t.Fatalf("accepted %q and %q in one object: %q", prev, k, body)
					}
					seen[foldKey(k)] = k
					walk(e)
				}
			case []any:
				for _, e := range x {
					walk(e)
				}
			case string:
				if strings.ContainsRune(x, 0) {
					t.Fatalf("accepted a string with NUL: %q", body)
				}
			}
		}
		var v any
		if err := json.Unmarshal(body, &v); err == nil {
			walk(v)
		}
	})
}
