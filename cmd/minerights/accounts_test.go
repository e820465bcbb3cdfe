package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"minerights/internal/pgtest"
	"minerights/registry"
)

// TestUserCreateAndBidderApprove: a clerk's account made on the command
// line signs in; a company that registered is approved by its credit code
// and then acts for its bidder; a disabled account no longer signs in.
func TestUserCreateAndBidderApprove(t *testing.T) {
	url := pgtest.NewDatabase(t, "empty", nil)
	env := map[string]string{"DATABASE_URL": url}
	if _, err := runCLI(t, env, "migrate"); err != nil {
		t.Fatal(err)
	}
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("登记科的密码123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, env, "user", "create", "--role", "bureau", "--login", "Clerk@Example.cn", "--name", "王五", "--password-file", pwFile)
	if err != nil || !strings.Contains(out, "clerk@example.cn") {
		t.Fatalf("user create: %q %v", out, err)
	}
	if _, err := runCLI(t, env, "user", "create", "--role", "bidder", "--login", "x@example.cn", "--name", "x", "--password-file", pwFile); err == nil {
		t.Fatal("the bureau made a bidder account on the command line")
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := registry.New(pool)
	sess, err := store.SignIn(ctx, "clerk@example.cn", "登记科的密码123", "127.0.0.1")
	if err != nil {
		t.Fatalf("the clerk signs in: %v", err)
	}
	if p, err := store.SessionPrincipal(ctx, sess.Token); err != nil || p.Role != registry.RoleBureau || p.Name != "王五" {
		t.Fatalf("the clerk's session: %+v %v", p, err)
	}

	a, err := store.RegisterBidder(ctx, registry.BidderRegistration{Company: "泌阳县甲矿业有限公司", CreditCode: "91411726ma44444442",
		Contact: "张三", Phone: "13800000000", Email: "jia@example.cn", Password: "甲公司的密码123"})
	if err != nil {
		t.Fatal(err)
	}
	bs, err := store.SignIn(ctx, "jia@example.cn", "甲公司的密码123", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := store.SessionPrincipal(ctx, bs.Token); !p.Pending || p.BidderID != nil {
		t.Fatalf("a pending company acts for its bidder: %+v", p)
	}
	out, err = runCLI(t, env, "bidder", "approve", "91411726MA44444442")
	if err != nil || !strings.Contains(out, "approved") {
		t.Fatalf("bidder approve: %q %v", out, err)
	}
	if p, _ := store.SessionPrincipal(ctx, bs.Token); p.Pending || p.BidderID == nil || *p.BidderID != a.Bidder.ID || p.Name != "泌阳县甲矿业有限公司" {
		t.Fatalf("the approved company's session: %+v", p)
	}
	if _, err := runCLI(t, env, "bidder", "approve", "clerk@example.cn"); err == nil {
		t.Fatal("a clerk's account was approved as a bidder")
	}
	if _, err := runCLI(t, env, "bidder", "approve", "nobody@example.cn"); err == nil || !strings.Contains(err.Error(), "no account") {
		t.Fatalf("approving an unknown account: %v", err)
	}
	if _, err := runCLI(t, env, "user", "disable", "jia@example.cn"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.SessionPrincipal(ctx, bs.Token); !errors.Is(err, registry.ErrUnauthenticated) {
		t.Fatalf("a disabled account's session: %v", err)
	}
	if _, err := store.SignIn(ctx, "jia@example.cn", "甲公司的密码123", "127.0.0.1"); !errors.Is(err, registry.ErrAccountDisabled) {
		t.Fatalf("a disabled account signs in: %v", err)
	}
}
