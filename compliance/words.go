package compliance

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// m2 formats an area in square metres: whole metres with thousands
// separators, two decimals below 10 m².
func m2(v float64) string {
	if math.Abs(v) < 10 {
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return thousands(int64(math.Round(v)))
}

func metres(v float64) string {
	if math.Abs(v) < 10 && v != math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return thousands(int64(math.Round(v)))
}

func pct(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) + "%" }

func elevRange(top, bottom float64) string {
	return fmt.Sprintf("%+g…%+g m", top, bottom)
}

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
