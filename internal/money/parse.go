package money

import (
	"fmt"
	"strings"
)

// ParseWan reads a gazette figure in 万元 (10 000 元), such as "43586.65", and returns
// the amount in whole 元: "43586.65" → 435866500.
//
// The figure is ASCII digits with an optional point and at least one digit on each side
// of it; leading zeros are accepted. Up to four decimals give whole 元 and are always
// exact. A 万元 figure written to 分 has six decimals; since the result is in whole 元,
// the fifth and sixth decimals are accepted only when they are zero ("43586.650000"),
// and a figure with a non-zero 分 part, or more than six decimals, is an ErrPrecision
// rather than being rounded. Signs, exponents, blanks, grouping commas and empty input
// are ErrSyntax; amounts above MaxYuan are ErrRange.
func ParseWan(s string) (yuan int64, err error) {
	intPart, frac, err := splitDecimal(s)
	if err != nil {
		return 0, fmt.Errorf("money: parse 万元 %q: %w", s, err)
	}
	if len(frac) > 6 || strings.Trim(frac[min(len(frac), 4):], "0") != "" {
		return 0, fmt.Errorf("money: parse 万元 %q: %w: not a whole number of 元", s, ErrPrecision)
	}
	v, ok := scaled(intPart, frac, 4, uint64(MaxYuan))
	if !ok {
		return 0, fmt.Errorf("money: parse 万元 %q: %w", s, ErrRange)
	}
	return int64(v), nil
}

// FormatWan writes yuan 元 as a 万元 figure the way the gazette does: 435866500 →
// "43586.65". There are always at least two decimals; an amount that is not a multiple
// of 100 元 is written exactly, with as many decimals as it needs, up to four, and no
// trailing zeros beyond the second: 10000 → "1.00", 15000 → "1.50", 12345 → "1.2345",
// 123450 → "12.345", 1 → "0.0001". Negative amounts get a leading "-", which ParseWan
// rejects. For 0 ≤ yuan ≤ MaxYuan, ParseWan(FormatWan(yuan)) == yuan.
func FormatWan(yuan int64) string {
	u, neg := abs(yuan)
	frac := strings.TrimRight(pad(u%10000, 4), "0")
	if len(frac) < 2 {
		frac += "00"[len(frac):]
	}
	s := fmt.Sprintf("%d.%s", u/10000, frac)
	if neg {
		return "-" + s
	}
	return s
}

// ParseYuan reads a figure in 元 with at most two decimals, such as "1680.32", "12.5" or
// "12", and returns it in 分. The syntax is that of ParseWan. A third decimal is an
// ErrPrecision even when it is zero, because no money figure is written that way and it
// more likely marks a misplaced point; amounts above MaxFen are ErrRange.
func ParseYuan(s string) (Fen, error) {
	intPart, frac, err := splitDecimal(s)
	if err != nil {
		return 0, fmt.Errorf("money: parse 元 %q: %w", s, err)
	}
	if len(frac) > 2 {
		return 0, fmt.Errorf("money: parse 元 %q: %w: 分 is the smallest unit", s, ErrPrecision)
	}
	v, ok := scaled(intPart, frac, 2, uint64(MaxFen))
	if !ok {
		return 0, fmt.Errorf("money: parse 元 %q: %w", s, ErrRange)
	}
	return Fen(v), nil
}

// splitDecimal checks that s is digits[.digits] in ASCII and returns both parts.
func splitDecimal(s string) (intPart, frac string, err error) {
	intPart, frac, hasPoint := strings.Cut(s, ".")
	if !allDigits(intPart) || (hasPoint && !allDigits(frac)) {
		return "", "", ErrSyntax
	}
	return intPart, frac, nil
}

// allDigits reports whether s is non-empty and only ASCII digits; unicode.IsDigit would
// let full-width and other scripts' digits through.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// scaled returns intPart.frac × 10^scale, reading only the first scale decimals (the
// caller has checked the rest), and whether the result is at most limit.
func scaled(intPart, frac string, scale int, limit uint64) (uint64, bool) {
	var v uint64
	for i := 0; i < len(intPart)+scale; i++ {
		d := byte('0')
		switch {
		case i < len(intPart):
			d = intPart[i]
		case i-len(intPart) < len(frac):
			d = frac[i-len(intPart)]
		}
		// limit < 2⁶³, so v ≤ limit keeps v*10+9 far from uint64 overflow.
		v = v*10 + uint64(d-'0')
		if v > limit {
			return 0, false
		}
	}
	return v, true
}
