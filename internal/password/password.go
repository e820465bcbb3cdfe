// Package password hashes and verifies account passwords with argon2id
// (golang.org/x/crypto/argon2), in the PHC string format
// ($argon2id$v=19$m=...,t=...,p=...$salt$hash) so that the parameters
// travel with each hash and can be raised later without a migration.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Parameters: OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane), chosen
// for a server that shares two cores among many processes.
const (
	memoryKiB = 19 * 1024
	passes    = 2
	lanes     = 1
	saltLen   = 16
	keyLen    = 32
)

// MinLength and MaxLength bound a password, in characters.
const (
	MinLength = 8
	MaxLength = 128
)

// ErrMismatch is returned by Verify for a wrong password.
var ErrMismatch = errors.New("password: mismatch")

// Hash returns the PHC string of pw with a fresh salt.
func Hash(pw string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, passes, memoryKiB, lanes, keyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memoryKiB, passes, lanes,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// Verify returns nil when pw matches the PHC string, ErrMismatch when it
// does not, and another error for a malformed hash.
func Verify(phc, pw string) error {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return errors.New("password: not an argon2id hash")
	}
	var v int
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return errors.New("password: unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<22 || t > 100 {
		return errors.New("password: bad argon2 parameters")
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return errors.New("password: bad salt")
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 128 {
		return errors.New("password: bad key")
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrMismatch
	}
	return nil
}

// Check says, in Chinese, what is wrong with a new password; "" when it is
// acceptable.
func Check(pw string) string {
	n := len([]rune(pw))
	switch {
	case n < MinLength:
		return fmt.Sprintf("密码至少 %d 个字符", MinLength)
	case n > MaxLength:
		return fmt.Sprintf("密码最多 %d 个字符", MaxLength)
	}
	return ""
}
