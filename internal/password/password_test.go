package password

import (
	"errors"
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	h, err := Hash("正确的密码 horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q is not a PHC argon2id string with the chosen parameters", h)
	}
	if err := Verify(h, "正确的密码 horse"); err != nil {
		t.Errorf("right password: %v", err)
	}
	if err := Verify(h, "正确的密码 horsE"); !errors.Is(err, ErrMismatch) {
		t.Errorf("wrong password: %v", err)
	}
	h2, _ := Hash("正确的密码 horse")
	if h2 == h {
		t.Error("two hashes of one password are equal: the salt is not fresh")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=99999999,t=1,p=1$AA$AA", strings.Replace(h, "v=19", "v=16", 1)} {
		if err := Verify(bad, "x"); err == nil || errors.Is(err, ErrMismatch) {
			t.Errorf("Verify(%q) = %v, want a malformed-hash error", bad, err)
		}
	}
}

func TestCheck(t *testing.T) {
	for pw, ok := range map[string]bool{"1234567": false, "12345678": true, "八个汉字的密码啊": true, strings.Repeat("x", 129): false} {
		if got := Check(pw) == ""; got != ok {
			t.Errorf("Check(%q) = %q", pw, Check(pw))
		}
	}
}
