package money

import (
	"fmt"
	"strings"
)

var (
	capitalDigits = [10]string{"零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"}
	capitalSmall  = [4]string{"", "拾", "佰", "仟"}
)

// Capital writes f in Chinese capital numerals (大写) as the rules for filling in
// bills and settlement vouchers require (中国人民银行《支付结算办法》附件
// 《正确填写票据和结算凭证的基本规定》), for example on a confirmation letter:
// 435866500.00 元 → "肆亿叁仟伍佰捌拾陆万陆仟伍佰元整".
//
// Where those rules allow a choice, Capital makes one and always the same one, so that
// two texts of one amount compare equal:
//
//   - Digits are always written before 拾, including a leading one: 10 元 is 壹拾元整,
//     never 拾元整, so that nothing can be written in front of it.
//   - Groups are 万, 亿 and 万亿 (1 万亿 = 10¹²): 1 000 100 000 000 元 is 壹万零壹亿元整.
//   - A run of zeros between two non-zero digits is written as one 零 (壹仟零伍元,
//     壹万零伍拾元, 叁亿零伍元, 壹亿零柒仟元), except a run at the end of a non-zero
//     万 or 亿 group just before its next group's 仟 digit, which the rules let one omit
//     and which ordinary Chinese reading omits: 107 000 元 is 壹拾万柒仟元, not
//     壹拾万零柒仟元. An all-zero group is never named and counts as part of the run.
//   - When the 元 digit is 0 and 角 is not, 零 is written after 元 (壹仟陆佰捌拾元
//     零叁角贰分, the first of the two allowed forms); when 角 is 0 and 分 is not, 零 after
//     元 is mandatory (叁佰贰拾伍元零肆分).
//   - 整 follows 元 when there is no 角 or 分, and follows 角 when there is no 分
//     (壹元伍角整): the rules make it optional after 角, and writing it closes the amount
//     against an added 分 the same way 元整 does. Nothing follows 分.
//   - Amounts below one 元 start at their first non-zero unit: 伍分, 伍角整, 伍角叁分;
//     zero is 零元整.
//
// The result has no 人民币 prefix; the form supplies it. Negative amounts are an
// ErrNegative and amounts above MaxFen an ErrRange.
func Capital(f Fen) (string, error) {
	if f < 0 {
		return "", fmt.Errorf("money: capital of %s 元: %w", f, ErrNegative)
	}
	if f > MaxFen {
		return "", fmt.Errorf("money: capital of %s 元: %w", f, ErrRange)
	}
	yuan, jiao, fen := int64(f)/100, int64(f)/10%10, int64(f)%10

	var b strings.Builder
	if yuan > 0 {
		writeCapitalYuan(&b, yuan)
		b.WriteString("元")
	}
	switch {
	case jiao == 0 && fen == 0:
		if yuan == 0 {
			b.WriteString("零元")
		}
		b.WriteString("整")
	case jiao == 0:
		if yuan > 0 {
			b.WriteString("零")
		}
		b.WriteString(capitalDigits[fen] + "分")
	default:
		if yuan > 0 && yuan%10 == 0 {
			b.WriteString("零")
		}
		b.WriteString(capitalDigits[jiao] + "角")
		if fen == 0 {
			b.WriteString("整")
		} else {
			b.WriteString(capitalDigits[fen] + "分")
		}
	}
	return b.String(), nil
}

// CapitalYuan is Capital for a whole number of 元, such as a gazette starting price:
// CapitalYuan(435866500) is "肆亿叁仟伍佰捌拾陆万陆仟伍佰元整". It is total: an amount
// with no capital form (negative, or above MaxYuan) gives the empty string, never a
// panic, because it writes amounts read back from storage into responses that are
// built after the write committed, where a panic would answer 500 for a change that
// was made. The API and the database bound every amount well below MaxYuan (see
// MaxAmountYuan), so the empty string marks a value that got past both.
func CapitalYuan(yuan int64) string {
	if yuan < 0 || yuan > MaxYuan {
		return ""
	}
	s, err := Capital(Fen(yuan * 100))
	if err != nil {
		return "" // unreachable: the range was checked above
	}
	return s
}

// writeCapitalYuan writes the 元 part, 1 ≤ n ≤ MaxYuan, without the word 元. Position p
// counts digits from the 元 digit (p = 0); p/4 is the group: 0 units, 1 万, 2 亿,
// 3 万亿.
func writeCapitalYuan(b *strings.Builder, n int64) {
	var digits [16]int
	top := 0
	for p, m := 0, n; m > 0; p, m = p+1, m/10 {
		digits[p] = int(m % 10)
		top = p
	}
	prev := top + 1 // position of the last non-zero digit written
	for p := top; p >= 0; p-- {
		if d := digits[p]; d != 0 {
			// Zeros at prev-1 … p+1. They lie at the tail of prev's group, and are not
			// read, when the run stops at that group's last digit (p+1 is a multiple of
			// 4) without having left the group.
			if prev > p+1 && !((p+1)%4 == 0 && prev/4 == (p+1)/4) {
				b.WriteString("零")
			}
			b.WriteString(capitalDigits[d] + capitalSmall[p%4])
			prev = p
		}
		switch {
		case p == 8:
			// Always named once reached: everything above it counts in 亿, which also
			// makes an empty 亿 group under a 万亿 one read 壹万亿.
			b.WriteString("亿")
		case (p == 4 || p == 12) && n/pow10[p]%10000 != 0:
			b.WriteString("万")
		}
	}
}

var pow10 = [16]int64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}
