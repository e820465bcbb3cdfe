package money

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// Amounts are written in 分 as 元_分 (107000_53 is 107 000.53 元) so each case reads
// like the figure on a voucher; amounts below one 元 are plain 分.
var capitalCases = []struct {
	fen  Fen
	want string
}{
	// Below one 元, and zero.
	{0, "零元整"},
	{1, "壹分"},
	{5, "伍分"},
	{50, "伍角整"},
	{53, "伍角叁分"},
	// 角 and 分 after whole 元, including the examples of the PBOC rules.
	{1_00, "壹元整"},
	{1_05, "壹元零伍分"},
	{1_50, "壹元伍角整"},
	{1_55, "壹元伍角伍分"},
	{20_20, "贰拾元零贰角整"},
	{325_04, "叁佰贰拾伍元零肆分"},
	{1409_50, "壹仟肆佰零玖元伍角整"},
	{1680_32, "壹仟陆佰捌拾元零叁角贰分"},
	{16409_02, "壹万陆仟肆佰零玖元零贰分"},
	{107000_53, "壹拾万柒仟元零伍角叁分"},
	{1000000_10, "壹佰万元零壹角整"},
	{12345678_90, "壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角整"},
	// Within the units group.
	{10_00, "壹拾元整"},
	{11_00, "壹拾壹元整"},
	{19_99, "壹拾玖元玖角玖分"},
	{100_00, "壹佰元整"},
	{101_00, "壹佰零壹元整"},
	{110_00, "壹佰壹拾元整"},
	{1000_00, "壹仟元整"},
	{1001_00, "壹仟零壹元整"},
	{1005_00, "壹仟零伍元整"},
	{1010_00, "壹仟零壹拾元整"},
	{1100_00, "壹仟壹佰元整"},
	// Across the 万 boundary: zeros at the head of a group are read, at the tail are not.
	{10000_00, "壹万元整"},
	{10001_00, "壹万零壹元整"},
	{10050_00, "壹万零伍拾元整"},
	{10500_00, "壹万零伍佰元整"},
	{100000_00, "壹拾万元整"},
	{100050_00, "壹拾万零伍拾元整"},
	{105000_00, "壹拾万伍仟元整"},
	{1000000_00, "壹佰万元整"},
	{1000500_00, "壹佰万零伍佰元整"},
	{1005000_00, "壹佰万伍仟元整"},
	{10000001_00, "壹仟万零壹元整"},
	// Across 亿: an all-zero 万 group is one 零 and is not named.
	{100000000_00, "壹亿元整"},
	{100000001_00, "壹亿零壹元整"},
	{100007000_00, "壹亿零柒仟元整"},
	{100010000_00, "壹亿零壹万元整"},
	{110005000_00, "壹亿壹仟万伍仟元整"},
	{300000005_00, "叁亿零伍元整"},
	{1000000000_00, "壹拾亿元整"},
	{1000007000_00, "壹拾亿零柒仟元整"},
	{1001000000_00, "壹拾亿零壹佰万元整"},
	{1050000000_00, "壹拾亿伍仟万元整"},
	{20000000000_00, "贰佰亿元整"},
	// 万亿.
	{1000000000000_00, "壹万亿元整"},
	{1000000000005_00, "壹万亿零伍元整"},
	{1000000010000_00, "壹万亿零壹万元整"},
	{1000100000000_00, "壹万零壹亿元整"},
	{1000050000000_00, "壹万亿零伍仟万元整"},
	{10100000000000_00, "壹拾万壹仟亿元整"},
	{101000000000000_00, "壹佰零壹万亿元整"},
	{10000000000010_00, "壹拾万亿零壹拾元整"},
	// The gazette's starting prices (parcels 1–3).
	{435866500_00, "肆亿叁仟伍佰捌拾陆万陆仟伍佰元整"},
	{534441100_00, "伍亿叁仟肆佰肆拾肆万壹仟壹佰元整"},
	{144738300_00, "壹亿肆仟肆佰柒拾叁万捌仟叁佰元整"},
	// The largest amount supported.
	{MaxFen, "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"},
}

func TestCapital(t *testing.T) {
	for _, tc := range capitalCases {
		t.Run(tc.fen.String(), func(t *testing.T) {
			got, err := Capital(tc.fen)
			if err != nil {
				t.Fatalf("Capital(%d): %v", tc.fen, err)
			}
			if got != tc.want {
				t.Errorf("Capital(%d) = %s, want %s", tc.fen, got, tc.want)
			}
			if back := mustParseCapital(t, got); back != tc.fen {
				t.Errorf("parseCapital(%s) = %d, want %d", got, back, tc.fen)
			}
		})
	}
}

func TestCapitalErrors(t *testing.T) {
	for _, tc := range []struct {
		fen  Fen
		want error
	}{
		{-1, ErrNegative},
		{math.MinInt64, ErrNegative},
		{MaxFen + 1, ErrRange},
		{math.MaxInt64, ErrRange},
	} {
		t.Run(fmt.Sprint(int64(tc.fen)), func(t *testing.T) {
			s, err := Capital(tc.fen)
			if !errors.Is(err, tc.want) || s != "" {
				t.Errorf("Capital(%d) = %q, %v; want error %v", tc.fen, s, err, tc.want)
			}
		})
	}
}

func TestCapitalYuan(t *testing.T) {
	if got, want := CapitalYuan(435866500), "肆亿叁仟伍佰捌拾陆万陆仟伍佰元整"; got != want {
		t.Errorf("CapitalYuan(435866500) = %s, want %s", got, want)
	}
	for _, y := range []int64{-1, MaxYuan + 1, math.MaxInt64, math.MinInt64} {
		if got := CapitalYuan(y); got != "" {
			t.Errorf("CapitalYuan(%d) = %q, want \"\" (no capital form)", y, got)
		}
	}
}

// FuzzCapitalYuan checks that CapitalYuan never panics on any int64, the range of the
// bigint columns it is fed from: it writes an amount in 0…MaxYuan as Capital does and
// gives "" for anything else.
func FuzzCapitalYuan(f *testing.F) {
	for _, y := range []int64{0, 1, 435866500, MaxAmountYuan, MaxYuan, MaxYuan + 1, 1e16, math.MaxInt64 / 100, math.MaxInt64/100 + 1, math.MaxInt64, -1, math.MinInt64} {
		f.Add(y)
	}
	f.Fuzz(func(t *testing.T, y int64) {
		got := CapitalYuan(y)
		if y < 0 || y > MaxYuan {
			if got != "" {
				t.Fatalf("CapitalYuan(%d) = %q, want \"\"", y, got)
			}
			return
		}
		want, err := Capital(FromYuan(y))
		if err != nil || got != want {
			t.Fatalf("CapitalYuan(%d) = %q, Capital gives %q, %v", y, got, want, err)
		}
		if FormatWan(y) == "" {
			t.Fatalf("FormatWan(%d) is empty", y)
		}
	})
}

// TestCapitalRoundTrip writes random amounts in capitals and reads them back with an
// independent parser. Digits are zero more often than not so that runs of zeros land
// on every group boundary; the shape checks catch texts that read back right but break
// the writing rules.
func TestCapitalRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200000; i++ {
		var f Fen
		switch i % 3 {
		case 0:
			f = Fen(r.Int64N(int64(MaxFen) + 1))
		case 1:
			f = Fen(r.Int64N(1e6))
		default:
			for n := r.IntN(19); n > 0; n-- {
				d := Fen(0)
				if r.IntN(3) == 0 {
					d = Fen(1 + r.IntN(9))
				}
				f = f*10 + d
			}
		}
		s, err := Capital(f)
		if err != nil {
			t.Fatalf("Capital(%d): %v", f, err)
		}
		checkCapitalShape(t, f, s)
		if back := mustParseCapital(t, s); back != f {
			t.Fatalf("Capital(%d) = %s, which reads back as %d", f, s, back)
		}
	}
}

// FuzzCapital checks that any int64 either is rejected with the right sentinel or
// gives a well-formed text that reads back as the same amount.
func FuzzCapital(f *testing.F) {
	for _, tc := range capitalCases {
		f.Add(int64(tc.fen))
	}
	f.Add(int64(-1))
	f.Add(int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, v int64) {
		s, err := Capital(Fen(v))
		switch {
		case v < 0:
			if !errors.Is(err, ErrNegative) {
				t.Fatalf("Capital(%d) = %q, %v; want ErrNegative", v, s, err)
			}
		case Fen(v) > MaxFen:
			if !errors.Is(err, ErrRange) {
				t.Fatalf("Capital(%d) = %q, %v; want ErrRange", v, s, err)
			}
		default:
			if err != nil {
				t.Fatalf("Capital(%d): %v", v, err)
			}
			checkCapitalShape(t, Fen(v), s)
			if back := mustParseCapital(t, s); back != Fen(v) {
				t.Fatalf("Capital(%d) = %s, which reads back as %d", v, s, back)
			}
		}
	})
}

var tailZero = regexp.MustCompile(`万零.仟|[^万]亿零.仟万`)

// checkCapitalShape checks the writing rules that a read-back cannot see.
func checkCapitalShape(t *testing.T, f Fen, s string) {
	t.Helper()
	for _, r := range s {
		if !strings.ContainsRune("零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整", r) {
			t.Fatalf("Capital(%d) = %s: stray %q", f, s, r)
		}
	}
	for _, b := range []string{"零零", "零万", "零亿", "零元", "零角", "零分", "零整", "万万", "亿亿"} {
		if strings.Contains(s, b) && !(f == 0 && b == "零元") { // 零元整 is the one place for 零元
			t.Fatalf("Capital(%d) = %s contains %s", f, s, b)
		}
	}
	// A 零 after a named 万 or 亿 right before a 仟 would mark zeros at a group's tail,
	// which are not written (壹拾万柒仟, not 壹拾万零柒仟); after an all-zero group the
	// 零 stays (壹亿零柒仟, 壹万亿零伍仟万), and a non-zero 亿 group followed by 零 and a
	// 仟 of 万 is exactly that tail zero (壹亿伍仟万, never 壹亿零伍仟万).
	if m := tailZero.FindString(s); m != "" {
		t.Fatalf("Capital(%d) = %s writes a group-tail zero: %s", f, s, m)
	}
	if strings.HasPrefix(s, "零") && f != 0 {
		t.Fatalf("Capital(%d) = %s starts with 零", f, s)
	}
	if strings.HasPrefix(s, "拾") || strings.HasPrefix(s, "佰") || strings.HasPrefix(s, "仟") ||
		strings.HasPrefix(s, "万") || strings.HasPrefix(s, "亿") {
		t.Fatalf("Capital(%d) = %s starts with a unit", f, s)
	}
	wantEnd := "分"
	if f%10 == 0 {
		wantEnd = "整"
	}
	if !strings.HasSuffix(s, wantEnd) {
		t.Fatalf("Capital(%d) = %s does not end in %s", f, s, wantEnd)
	}
	// 元 is written exactly when there are whole 元 (or the amount is zero).
	if hasYuan := strings.Contains(s, "元"); hasYuan != (f >= 100 || f == 0) {
		t.Fatalf("Capital(%d) = %s: 元 present = %v", f, s, hasYuan)
	}
	// The 零 rules at 元: written when 角 is 0 and 分 is not, or the 元 digit is 0 and 角
	// is not.
	if f >= 100 {
		jiao, fen, yuanDigit := f/10%10, f%10, f/100%10
		wantZero := (jiao == 0 && fen != 0) || (yuanDigit == 0 && jiao != 0)
		if got := strings.Contains(s, "元零"); got != wantZero {
			t.Fatalf("Capital(%d) = %s: 元零 present = %v, want %v", f, s, got, wantZero)
		}
	}
}

func mustParseCapital(t *testing.T, s string) Fen {
	t.Helper()
	f, err := parseCapital(s)
	if err != nil {
		t.Fatalf("parseCapital(%s): %v", s, err)
	}
	return f
}

// parseCapital reads capital numerals the way a person does, by accumulating digits
// under their units, which shares nothing with how Capital writes them: section holds
// the current group below 万, high what has been counted in 万 since the last 亿.
func parseCapital(s string) (Fen, error) {
	s = strings.TrimSuffix(s, "整")
	intText, fracText, hasYuan := strings.Cut(s, "元")
	if !hasYuan {
		intText, fracText = "", s
	}
	var total, high, section, digit int64
	for _, r := range intText {
		switch r {
		case '零':
			digit = 0
		case '拾', '佰', '仟':
			section += digit * map[rune]int64{'拾': 10, '佰': 100, '仟': 1000}[r]
			digit = 0
		case '万':
			high += (section + digit) * 1e4
			section, digit = 0, 0
		case '亿':
			total += (high + section + digit) * 1e8
			high, section, digit = 0, 0, 0
		default:
			d := strings.IndexRune("零壹贰叁肆伍陆柒捌玖", r)
			if d < 0 {
				return 0, fmt.Errorf("unexpected %q", r)
			}
			digit = int64(d / len("零"))
		}
	}
	yuan := total + high + section + digit

	var frac, prev int64
	for _, r := range fracText {
		switch r {
		case '零':
			prev = 0
		case '角':
			frac += prev * 10
		case '分':
			frac += prev
		default:
			d := strings.IndexRune("零壹贰叁肆伍陆柒捌玖", r)
			if d < 0 {
				return 0, fmt.Errorf("unexpected %q after 元", r)
			}
			prev = int64(d / len("零"))
		}
	}
	return Fen(yuan*100 + frac), nil
}
