package registry_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"minerights/auction"
	"minerights/registry"
)

// TestNotificationsOwnedByRun: the store starts no goroutine of its own. A
// change made without Run is announced before the call returns; with Run
// (what serve starts and waits for) it is announced by that loop, and
// nothing of the store runs once Run has returned.
func TestNotificationsOwnedByRun(t *testing.T) {
	ctx := context.Background()
	// A store of its own: the test database's already runs (see registrytest).
	_, pool := newStore(t, true)
	store := registry.New(pool)
	rules := fastRules(t)
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+registry.ChannelSale); err != nil {
		t.Fatal(err)
	}
	announce := func(no int) registry.Sale {
		t.Helper()
		sl, err := store.CreateSale(ctx, registry.SaleInput{ParcelID: offerable(t, store, no), Method: auction.MethodListing, Increment: 1000, Deposit: 1000}, rules, "bureau")
		if err != nil {
			t.Fatal(err)
		}
		if sl, err = store.Announce(ctx, sl.ID, auction.Calendar{}, listingWindows(dbNow(t, pool), rules), "bureau"); err != nil {
			t.Fatal(err)
		}
		return sl
	}
	heard := func(sl registry.Sale) {
		t.Helper()
		want := fmt.Sprintf("%d:%d", sl.ID, sl.AuditSeq)
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		for {
			n, err := conn.Conn().WaitForNotification(wctx)
			if err != nil {
				t.Fatalf("no notification %q: %v", want, err)
			}
			if n.Payload == want {
				return
			}
		}
	}
	count := func() int {
		buf := make([]byte, 1<<20)
		return strings.Count(string(buf[:runtime.Stack(buf, true)]), "registry.(*notifier)")
	}
	others := count() // the Run loops of other stores (the test database's)
	notifierGoroutines := func() int { return count() - others }

	// Without Run.
	first := announce(1)
	if n := notifierGoroutines(); n != 0 {
		t.Errorf("%d goroutines of the notifier without Run", n)
	}
	heard(first)

	// With Run.
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- store.Run(rctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for notifierGoroutines() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := store.Run(ctx); err == nil || errors.Is(err, context.Canceled) {
		t.Errorf("a second Run of the same store: %v, want a refusal", err)
	}
	second := announce(2)
	heard(second)
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if n := notifierGoroutines(); n != 0 {
		t.Errorf("%d goroutines of the notifier after Run returned", n)
	}
}
