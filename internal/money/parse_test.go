package money

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// gazette holds the starting prices of parcels 1–3 exactly as the gazette and
// shared/domain/parcels.json give them, in all three writings.
var gazette = []struct {
	wan     string
	yuan    int64
	capital string
}{
	{"43586.65", 435866500, "肆亿叁仟伍佰捌拾陆万陆仟伍佰元整"},
	{"53444.11", 534441100, "伍亿叁仟肆佰肆拾肆万壹仟壹佰元整"},
	{"14473.83", 144738300, "壹亿肆仟肆佰柒拾叁万捌仟叁佰元整"},
}

func TestGazette(t *testing.T) {
	for _, g := range gazette {
		t.Run(g.wan, func(t *testing.T) {
			yuan, err := ParseWan(g.wan)
			if err != nil || yuan != g.yuan {
				t.Fatalf("ParseWan(%q) = %d, %v; want %d", g.wan, yuan, err, g.yuan)
			}
			if got := FormatWan(yuan); got != g.wan {
				t.Errorf("FormatWan(%d) = %q, want %q", yuan, got, g.wan)
			}
			if got := CapitalYuan(yuan); got != g.capital {
				t.Errorf("CapitalYuan(%d) = %s, want %s", yuan, got, g.capital)
			}
		})
	}
}

func TestParseWan(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  error
	}{
		{"43586.65", 435866500, nil},
		{"0", 0, nil},
		{"0.0", 0, nil},
		{"1", 10000, nil},
		{"1.5", 15000, nil},
		{"0.0001", 1, nil},
		{"1.2345", 12345, nil},
		{"00012.5", 125000, nil},
		{"43586.650000", 435866500, nil},
		{"999999999999.9999", MaxYuan, nil},
		{"43586.650001", 0, ErrPrecision},
		{"0.00001", 0, ErrPrecision},
		{"1.0000000", 0, ErrPrecision},
		{"1000000000000", 0, ErrRange},
		{"999999999999.99999", 0, ErrPrecision},
		{"99999999999999999999999999", 0, ErrRange},
		{"", 0, ErrSyntax},
		{" 1", 0, ErrSyntax},
		{"1 ", 0, ErrSyntax},
		{"+1", 0, ErrSyntax},
		{"-1", 0, ErrSyntax},
		{"1e4", 0, ErrSyntax},
		{"1E4", 0, ErrSyntax},
		{".5", 0, ErrSyntax},
		{"5.", 0, ErrSyntax},
		{".", 0, ErrSyntax},
		{"1.2.3", 0, ErrSyntax},
		{"43,586.65", 0, ErrSyntax},
		{"４３５８６.６５", 0, ErrSyntax},
		{"0x10", 0, ErrSyntax},
		{"NaN", 0, ErrSyntax},
		{"Inf", 0, ErrSyntax},
		{"43586.65万元", 0, ErrSyntax},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseWan(tc.in)
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Errorf("ParseWan(%q) = %d, %v; want %d, %v", tc.in, got, err, tc.want, tc.err)
			}
		})
	}
}

func TestFormatWan(t *testing.T) {
	for _, tc := range []struct {
		yuan int64
		want string
	}{
		{435866500, "43586.65"},
		{0, "0.00"},
		{1, "0.0001"},
		{10, "0.001"},
		{100, "0.01"},
		{10000, "1.00"},
		{15000, "1.50"},
		{12345, "1.2345"},
		{123450, "12.345"},
		{MaxYuan, "999999999999.9999"},
		{-1, "-0.0001"},
		{math.MinInt64, "-922337203685477.5808"},
		{math.MaxInt64, "922337203685477.5807"},
	} {
		if got := FormatWan(tc.yuan); got != tc.want {
			t.Errorf("FormatWan(%d) = %q, want %q", tc.yuan, got, tc.want)
		}
	}
}

func TestParseYuan(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Fen
		err  error
	}{
		{"1680.32", 168032, nil},
		{"12", 1200, nil},
		{"12.5", 1250, nil},
		{"12.50", 1250, nil},
		{"0.05", 5, nil},
		{"0", 0, nil},
		{"9999999999999999.99", MaxFen, nil},
		{"12.505", 0, ErrPrecision},
		{"12.500", 0, ErrPrecision},
		{"10000000000000000", 0, ErrRange},
		{"92233720368547758.08", 0, ErrRange},
		{"", 0, ErrSyntax},
		{"-1", 0, ErrSyntax},
		{"¥12", 0, ErrSyntax},
		{"1,000.00", 0, ErrSyntax},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseYuan(tc.in)
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Errorf("ParseYuan(%q) = %d, %v; want %d, %v", tc.in, got, err, tc.want, tc.err)
			}
		})
	}
}

// TestRoundTrips checks the formatters against the parsers over random amounts.
func TestRoundTrips(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 100000; i++ {
		yuan := r.Int64N(MaxYuan + 1)
		if i%2 == 0 {
			yuan = r.Int64N(1e10)
		}
		if got, err := ParseWan(FormatWan(yuan)); err != nil || got != yuan {
			t.Fatalf("ParseWan(FormatWan(%d) = %q) = %d, %v", yuan, FormatWan(yuan), got, err)
		}
		f := Fen(r.Int64N(int64(MaxFen) + 1))
		if got, err := ParseYuan(f.String()); err != nil || got != f {
			t.Fatalf("ParseYuan(%q) = %d, %v; want %d", f.String(), got, err, f)
		}
	}
}

// FuzzParseWan checks that ParseWan never panics, fails only with a sentinel, and that
// FormatWan writes every accepted figure back in the one canonical form of its text.
func FuzzParseWan(f *testing.F) {
	for _, s := range []string{
		"43586.65", "53444.11", "14473.83", "0", "0.0001", "1.000000", "1.000001",
		"999999999999.9999", "1000000000000", "-1", "+1", "1e4", " 1", ".5", "5.", "",
		"00012.50", "１", "18446744073709551616",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		yuan, err := ParseWan(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrPrecision) && !errors.Is(err, ErrRange) {
				t.Fatalf("ParseWan(%q): unexpected error %v", s, err)
			}
			return
		}
		if yuan < 0 || yuan > MaxYuan {
			t.Fatalf("ParseWan(%q) = %d, outside 0…MaxYuan", s, yuan)
		}
		out := FormatWan(yuan)
		if want := canonicalWan(s); out != want {
			t.Fatalf("FormatWan(ParseWan(%q) = %d) = %q, want %q", s, yuan, out, want)
		}
		if back, err := ParseWan(out); err != nil || back != yuan {
			t.Fatalf("ParseWan(%q) = %d, %v; want %d", out, back, err, yuan)
		}
	})
}

// canonicalWan rewrites an accepted 万元 figure the way FormatWan should, by string
// surgery alone: no leading zeros, no trailing zeros beyond two decimals.
func canonicalWan(s string) string {
	i, frac, _ := strings.Cut(s, ".")
	i = strings.TrimLeft(i, "0")
	if i == "" {
		i = "0"
	}
	frac = strings.TrimRight(frac, "0")
	for len(frac) < 2 {
		frac += "0"
	}
	return i + "." + frac
}
