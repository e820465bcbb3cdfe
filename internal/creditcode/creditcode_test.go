package creditcode

import (
	"errors"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name, code string
		pos        int // 0 with ok
		ok         bool
	}{
		{"published example", "91350100M000100Y43", 0, true},
		{"zhumadian enterprise", "91411700MA9K00001A", 0, false},
		{"another valid", "91411726MA44444442", 0, true},
		{"check wrong", "91350100M000100Y44", 18, false},
		{"transposed", "91351000M000100Y43", 18, false},
		{"too short", "91350100M000100Y4", 0, false},
		{"too long", "91350100M000100Y433", 0, false},
		{"letter I", "9135010IM000100Y43", 8, false},
		{"lower case", "91350100m000100Y43", 9, false},
		{"letter in region", "913501A0M000100Y43", 7, false},
		{"chinese", "九1350100M000100Y43", 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.code)
			if tc.ok != (err == nil) {
				t.Fatalf("Check(%q) = %v, want ok=%v", tc.code, err, tc.ok)
			}
			if err == nil {
				return
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) || e.Chinese == "" {
				t.Fatalf("Check(%q) = %#v: want a *Error with Chinese words", tc.code, err)
			}
			if tc.pos != 0 && e.Pos != tc.pos {
				t.Errorf("Check(%q) names position %d, want %d (%s)", tc.code, e.Pos, tc.pos, e.Chinese)
			}
		})
	}
}

func TestCheckCharMakesValidCodes(t *testing.T) {
	for _, body := range []string{"91411726MA9FXXXX1", "12100000400000000", "Y1411700000000000", "91411700MA40000000"[:17]} {
		c, err := CheckChar(body)
		if err != nil {
			t.Fatal(err)
		}
		if err := Check(body + string(c)); err != nil {
			t.Errorf("%s%c: %v", body, c, err)
		}
		// Any other last character fails.
		for i := range len(alphabet) {
			if alphabet[i] != c && Check(body+string(alphabet[i])) == nil {
				t.Errorf("%s%c accepted beside the check character %c", body, alphabet[i], c)
			}
		}
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{"91350100M000100Y43", "91350100M000100Y44", "", "ZZZZZZZZZZZZZZZZZZ", "九1350100M000100Y4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := Check(s)
		if err == nil {
			if len(s) != 18 {
				t.Fatalf("accepted %q of length %d", s, len(s))
			}
			c, cerr := CheckChar(s[:17])
			if cerr != nil || c != s[17] {
				t.Fatalf("accepted %q with check %c", s, c)
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) || e.Chinese == "" || e.Pos < 0 || e.Pos > 18 {
			t.Fatalf("Check(%q) = %#v", s, err)
		}
	})
}
