package registry_test

import (
	"context"
	"errors"
	"testing"

	"minerights/registry"
	"minerights/registry/registrytest"
)

func TestRegisterBidderRefusals(t *testing.T) {
	t.Parallel()
	db := registrytest.Migrated(t)
	ctx := context.Background()
	good := registry.BidderRegistration{Company: "泌阳县甲矿业有限公司", CreditCode: "91411726MA44444442", Contact: "张三",
		Phone: "+86 396-1234567", Email: "jia@example.cn", Password: "甲公司的密码123"}
	for _, tc := range []struct {
		name, field string
		edit        func(*registry.BidderRegistration)
	}{
		{"no company", "company", func(r *registry.BidderRegistration) { r.Company = "  " }},
		{"wrong check character", "credit_code", func(r *registry.BidderRegistration) { r.CreditCode = "91411726MA44444443" }},
		{"seventeen characters", "credit_code", func(r *registry.BidderRegistration) { r.CreditCode = "91411726MA4444444" }},
		{"no contact", "contact", func(r *registry.BidderRegistration) { r.Contact = "" }},
		{"phone with letters", "phone", func(r *registry.BidderRegistration) { r.Phone = "call me" }},
		{"not an e-mail", "email", func(r *registry.BidderRegistration) { r.Email = "jia at example" }},
		{"short password", "password", func(r *registry.BidderRegistration) { r.Password = "1234567" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := good
			tc.edit(&in)
			_, err := db.Store.RegisterBidder(ctx, in)
			var ve *registry.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field {
				t.Fatalf("got %v, want a ValidationError on %s", err, tc.field)
			}
		})
	}
	if as, _, _ := db.Store.ListAccounts(ctx, registry.AccountFilter{}); len(as) != 0 {
		t.Fatalf("refused registrations stored %d accounts", len(as))
	}
	a, err := db.Store.RegisterBidder(ctx, good)
	if err != nil || !a.Pending() || a.Bidder == nil || *a.Bidder.CreditCode != good.CreditCode {
		t.Fatalf("register: %+v %v", a, err)
	}
	// The same code or e-mail again is a conflict, and nothing is stored.
	again := good
	again.Email = "other@example.cn"
	var ce *registry.ConflictError
	if _, err := db.Store.RegisterBidder(ctx, again); !errors.As(err, &ce) || ce.Field != "credit_code" {
		t.Fatalf("a second registration of one credit code: %v, want a conflict on credit_code", err)
	}
	again = good
	again.CreditCode = "91350100M000100Y43"
	if _, err := db.Store.RegisterBidder(ctx, again); !errors.As(err, &ce) || ce.Field != "email" {
		t.Fatalf("a second registration of one e-mail: %v, want a conflict on email", err)
	}
	var bidders int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM bidder`).Scan(&bidders); err != nil || bidders != 1 {
		t.Fatalf("%d bidders after the conflicts: %v", bidders, err)
	}
	// The bureau's own bidder registration checks the code the same way.
	bad := "91411726MA44444443"
	if _, err := db.Store.CreateBidder(ctx, registry.BidderInput{Name: "乙", CreditCode: &bad}); !errors.As(err, new(*registry.ValidationError)) {
		t.Fatalf("CreateBidder with a wrong check character: %v", err)
	}
	pending, total, err := db.Store.ListAccounts(ctx, registry.AccountFilter{Pending: true})
	if err != nil || total != 1 || pending[0].ID != a.ID {
		t.Fatalf("pending accounts: %+v %d %v", pending, total, err)
	}
}

func TestSessionLifetime(t *testing.T) {
	t.Parallel()
	db := registrytest.Migrated(t)
	ctx := context.Background()
	if _, err := db.Store.CreateUser(ctx, registry.UserInput{Role: registry.RolePlanner, Login: "plan@example.cn", Name: "规划员", Password: "规划员的密码123"}, "test"); err != nil {
		t.Fatal(err)
	}
	s, err := db.Store.SignIn(ctx, "PLAN@example.cn ", "规划员的密码123", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.Store.SessionPrincipal(ctx, s.Token)
	if err != nil || p.Role != registry.RolePlanner || p.CSRF != s.CSRF || p.AccountID != s.AccountID || p.BidderID != nil {
		t.Fatalf("principal %+v %v", p, err)
	}
	var stored int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM web_session WHERE digest = convert_to($1, 'UTF8')`, s.Token).Scan(&stored); err != nil || stored != 0 {
		t.Fatalf("the session token itself is stored (%d): %v", stored, err)
	}
	// Expired: refused.
	if _, err := db.Pool.Exec(ctx, `UPDATE web_session SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Store.SessionPrincipal(ctx, s.Token); !errors.Is(err, registry.ErrUnauthenticated) {
		t.Fatalf("an expired session: %v", err)
	}
	// Ended: refused.
	s2, err := db.Store.SignIn(ctx, "plan@example.cn", "规划员的密码123", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Store.EndSession(ctx, s2.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Store.SessionPrincipal(ctx, s2.Token); !errors.Is(err, registry.ErrUnauthenticated) {
		t.Fatalf("an ended session: %v", err)
	}
	for _, tok := range []string{"", "mrt_notasession", "mrs_unknown"} {
		if _, err := db.Store.SessionPrincipal(ctx, tok); !errors.Is(err, registry.ErrUnauthenticated) {
			t.Fatalf("session %q: %v", tok, err)
		}
	}
	if _, err := db.Store.SignIn(ctx, "plan@example.cn", "wrong", "127.0.0.1"); !errors.Is(err, registry.ErrBadCredentials) {
		t.Fatalf("a wrong password: %v", err)
	}
	if _, err := db.Store.ApproveBidder(ctx, s.AccountID, "test"); !errors.Is(err, registry.ErrConflict) {
		t.Fatalf("approving a planner: %v", err)
	}
}
