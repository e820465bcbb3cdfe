package money

import (
	"math"
	"testing"
)

func TestFromYuan(t *testing.T) {
	for _, y := range []int64{0, 1, -1, MaxYuan, math.MaxInt64 / 100, math.MinInt64 / 100} {
		f := FromYuan(y)
		if got, ok := f.Yuan(); !ok || got != y {
			t.Errorf("FromYuan(%d).Yuan() = %d, %v", y, got, ok)
		}
	}
	for _, y := range []int64{math.MaxInt64/100 + 1, math.MinInt64/100 - 1, math.MaxInt64} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("FromYuan(%d) did not panic", y)
				}
			}()
			FromYuan(y)
		}()
	}
}

func TestYuan(t *testing.T) {
	for _, tc := range []struct {
		f    Fen
		want int64
		ok   bool
	}{
		{0, 0, true},
		{100, 1, true},
		{199, 1, false},
		{5, 0, false},
		{-100, -1, true},
		{-150, -1, false},
	} {
		if got, ok := tc.f.Yuan(); got != tc.want || ok != tc.ok {
			t.Errorf("Fen(%d).Yuan() = %d, %v; want %d, %v", tc.f, got, ok, tc.want, tc.ok)
		}
	}
}

func TestString(t *testing.T) {
	for _, tc := range []struct {
		f    Fen
		want string
	}{
		{0, "0.00"},
		{5, "0.05"},
		{50, "0.50"},
		{168032, "1680.32"},
		{-5, "-0.05"},
		{MaxFen, "9999999999999999.99"},
		{math.MinInt64, "-92233720368547758.08"},
	} {
		if got := tc.f.String(); got != tc.want {
			t.Errorf("Fen(%d).String() = %q, want %q", tc.f, got, tc.want)
		}
	}
}
