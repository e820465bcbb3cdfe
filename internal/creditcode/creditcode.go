// Package creditcode checks the unified social credit code (统一社会信用代码)
// of GB 32100-2015: 18 characters from a 31-character alphabet (digits and
// capital letters without I, O, S, V, Z), the 6-digit administrative
// division code at positions 3-8, and a check character at position 18
// computed from the first 17 (weights 3^i mod 31).
package creditcode

import (
	"errors"
	"fmt"
	"strings"
)

// alphabet is the code's character set; a character's value is its index.
const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// weights of positions 1-17: 3^(i-1) mod 31.
var weights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// Error says what is wrong with a code, in words a clerk or a company can act on.
type Error struct {
	// Pos is the 1-based position of the faulty character; 0 for the length.
	Pos int
	// Reason is the English reason; Chinese is the same in Chinese.
	Reason, Chinese string
}

func (e *Error) Error() string { return "credit code: " + e.Reason }

// ErrInvalid is matched by every *Error (errors.Is).
var ErrInvalid = errors.New("credit code invalid")

// Is makes errors.Is(err, ErrInvalid) true for any *Error.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// CheckChar returns the check character for the first 17 characters of a
// code, which must be from the alphabet.
func CheckChar(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, &Error{Pos: 0, Reason: "need 17 characters", Chinese: "需要 17 位本体代码"}
	}
	sum := 0
	for i := range 17 {
		v := strings.IndexByte(alphabet, first17[i])
		if v < 0 {
			return 0, badChar(i+1, rune(first17[i]))
		}
		sum += v * weights[i]
	}
	return alphabet[(31-sum%31)%31], nil
}

func badChar(pos int, c rune) *Error {
	return &Error{Pos: pos,
		Reason:  fmt.Sprintf("character %d (%q) is not allowed: digits and capital letters other than I, O, S, V, Z", pos, c),
		Chinese: fmt.Sprintf("第 %d 位字符“%c”不允许：只能是数字和除 I、O、S、V、Z 以外的大写字母", pos, c)}
}

// Check returns nil for a valid code, or an *Error naming the first problem.
func Check(code string) error {
	rs := []rune(code)
	if len(rs) != 18 {
		return &Error{Pos: 0,
			Reason:  fmt.Sprintf("must be 18 characters, not %d", len(rs)),
			Chinese: fmt.Sprintf("应为 18 位，当前为 %d 位", len(rs))}
	}
	for i, r := range rs {
		if r > 0x7f || strings.IndexByte(alphabet, byte(r)) < 0 {
			return badChar(i+1, r)
		}
	}
	for i := 2; i < 8; i++ {
		if code[i] < '0' || code[i] > '9' {
			return &Error{Pos: i + 1,
				Reason:  fmt.Sprintf("character %d must be a digit: positions 3-8 are the administrative division code", i+1),
				Chinese: fmt.Sprintf("第 %d 位应为数字：第 3-8 位是登记管理机关行政区划码", i+1)}
		}
	}
	want, _ := CheckChar(code[:17])
	if code[17] != want {
		return &Error{Pos: 18,
			Reason:  fmt.Sprintf("the check character is %c, not %c: a character is mistyped", want, code[17]),
			Chinese: fmt.Sprintf("校验码不符（按 GB 32100-2015 应为 %c，而不是 %c）：请核对是否有字符输错", want, code[17])}
	}
	return nil
}
