package auction

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
)

// MinSaltLen is the least salt length, in bytes, for a reserve commitment. A reserve is a
// whole number of 元 in a narrow range; without a long random salt anyone could recover it
// from the published commitment by trying every amount.
const MinSaltLen = 16

// CommitReserve returns the commitment to a reserve price: the lowercase hex SHA-256 of the
// text "minerights-reserve-v1:<reserve in 元, decimal>:<salt, lowercase hex>". Text rather
// than binary so that anyone can check it with sha256sum.
func CommitReserve(reserve int64, salt []byte) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "minerights-reserve-v1:%d:%x", reserve, salt))
	return hex.EncodeToString(sum[:])
}

// VerifyReserve reports whether reserve and salt open the commitment.
func VerifyReserve(commitment string, reserve int64, salt []byte) bool {
	want := CommitReserve(reserve, salt)
	got := strings.ToLower(strings.TrimSpace(commitment))
	return subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}
