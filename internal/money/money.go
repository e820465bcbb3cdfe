// Package money holds amounts of renminbi as exact integers and converts them to and from
// the three ways the gazette and the transfer documents write them: decimal 万元 figures
// ("43586.65"), decimal 元 figures ("1680.32"), and Chinese capital numerals (大写,
// "肆亿叁仟伍佰捌拾陆万陆仟伍佰元整").
//
// There are two integer units and no floats anywhere:
//
//   - [Fen] (分, 1 元 = 100 分) is the unit of every general amount: bids, deposits,
//     increments, the price on a confirmation letter. It is a distinct type so that a count
//     of 分 cannot be passed where a count of 元 is meant, a hundredfold error the compiler
//     would otherwise accept.
//   - Plain int64 元 is used only where the source is known to be whole 元: the gazette's
//     starting prices, which [ParseWan] reads and [FormatWan] writes, and which the seed data
//     stores as starting_price_yuan. [FromYuan] and [Fen.Yuan] convert between the two.
//
// Every parser and [Capital] accept amounts from 0 up to [MaxFen] (9,999,999,999,999,999.99
// 元, just under 1 亿亿), the largest amount Chinese capital numerals write without 兆;
// beyond it they return [ErrRange]. Errors wrap one of the sentinels [ErrSyntax],
// [ErrPrecision], [ErrRange] and [ErrNegative], so callers test them with errors.Is.
package money

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Fen is an amount of renminbi in 分 (hundredths of a 元). Negative values are
// representable, for differences, but nothing in this package produces them from text.
type Fen int64

// Limits of the amounts this package parses and writes in capitals.
const (
	// MaxYuan is the largest whole-元 amount supported: 9999万9999亿9999万9999 元.
	MaxYuan int64 = 1e16 - 1
	// MaxFen is the largest amount supported, MaxYuan 元 9 角 9 分.
	MaxFen Fen = Fen(MaxYuan)*100 + 99
	// MaxAmountYuan is the largest amount of money, in 元, that the service accepts
	// in any field (starting price, increment, deposit, reserve, bid, payment, contract
	// instalment) and that the database's CHECK constraints let a money column hold:
	// 1,000 万亿 (10¹⁵) 元, many orders of magnitude above any mining right sold, ten
	// times below MaxYuan so that a price plus an increment or a sum of a few
	// instalments stays writable in capitals, and far below the int64 limit of 分
	// (about 9.2 × 10¹⁶ 元) so that FromYuan never overflows.
	MaxAmountYuan int64 = 1e15
)

// Sentinel errors wrapped by every error this package returns.
var (
	// ErrSyntax reports text that is not a plain decimal number of ASCII digits with at
	// most one point and digits on both sides of it: no sign, exponent, blank, grouping
	// comma or full-width digit is accepted, because none appears in a valid figure.
	ErrSyntax = errors.New("money: invalid syntax")
	// ErrPrecision reports a figure with more decimals than the result unit can hold
	// exactly, such as 元 to three decimals; rounding it would change the amount.
	ErrPrecision = errors.New("money: more decimals than the unit allows")
	// ErrRange reports an amount above MaxFen (or MaxYuan for whole-元 results).
	ErrRange = errors.New("money: amount out of range")
	// ErrNegative reports a negative amount where only amounts owed or offered, which
	// are never negative, make sense (capital numerals).
	ErrNegative = errors.New("money: negative amount")
)

// FromYuan returns y 元 in 分. It panics if the result does not fit in an int64
// (|y| above about 9.2×10¹⁶), since no correct Fen exists then; amounts from the parsers
// of this package are at most MaxYuan and never reach that.
func FromYuan(y int64) Fen {
	if y > math.MaxInt64/100 || y < math.MinInt64/100 {
		panic(fmt.Sprintf("money: FromYuan(%d) overflows int64 分", y))
	}
	return Fen(y * 100)
}

// Yuan returns f in whole 元 and whether f is a whole number of 元. If it is not, the
// 元 are truncated toward zero and ok is false, so a caller cannot lose 分 silently.
func (f Fen) Yuan() (yuan int64, ok bool) {
	return int64(f) / 100, f%100 == 0
}

// String writes f in 元 with exactly two decimals, the form ParseYuan reads back:
// 168032 → "1680.32", 5 → "0.05", -5 → "-0.05". There is no grouping and no currency
// sign, so the text is also valid in JSON, CSV and SQL numeric literals.
func (f Fen) String() string {
	u, neg := abs(int64(f))
	s := strconv.FormatUint(u/100, 10) + "." + pad(u%100, 2)
	if neg {
		return "-" + s
	}
	return s
}

// abs returns |v| as a uint64, correct for math.MinInt64 too.
func abs(v int64) (u uint64, neg bool) {
	if v < 0 {
		return uint64(-(v + 1)) + 1, true
	}
	return uint64(v), false
}

// pad writes v in decimal, left-padded with zeros to width digits.
func pad(v uint64, width int) string {
	s := strconv.FormatUint(v, 10)
	for len(s) < width {
		s = "0" + s
	}
	return s
}
