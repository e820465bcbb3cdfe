package registry_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"minerights/auction"
	"minerights/internal/apitest"
	"minerights/registry"
	"minerights/registry/registrytest"
)

// BenchmarkAuditVerification measures one verification of the whole audit
// log as the public endpoint answers it (CheckAudit, warm: what a repeated
// anonymous call costs) against the full re-read of `minerights audit
// verify` (VerifyAudit), on a growing history: sales announced and
// terminated one after another over the seeded parcels, a global checkpoint
// after each, as the scheduler writes them while sales come and go.
//
//	go test -run '^$' -bench BenchmarkAuditVerification -benchtime 20x ./registry
func BenchmarkAuditVerification(b *testing.B) {
	ctx := context.Background()
	db := registrytest.Seeded(b)
	store := db.Store
	rules := apitest.DrillRules(b, func(*auction.Rules) {})
	parcels, _, err := store.ListParcels(ctx, registry.ParcelFilter{})
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range parcels {
		if p.StartingPriceYuan == nil {
			price := int64(10_000_000)
			if _, err := store.UpdateParcel(ctx, p.ID, registry.ParcelPatch{StartingPriceYuan: &price}); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := store.RunCompliance(ctx, p.ID); err != nil {
			b.Fatal(err)
		}
	}
	sales := 0
	grow := func(to int) {
		for ; sales < to; sales++ {
			p := parcels[sales%len(parcels)]
			sl, err := store.CreateSale(ctx, registry.SaleInput{ParcelID: p.ID, Method: auction.MethodListing, Increment: 1000, Deposit: 1000}, rules, "bureau#1")
			if err != nil {
				b.Fatal(err)
			}
			var now time.Time
			if err := db.Pool.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&now); err != nil {
				b.Fatal(err)
			}
			start := now.Add(time.Hour)
			w := auction.Windows{ApplyStart: now.Add(30 * time.Minute), ApplyEnd: start, DepositDeadline: start, BiddingStart: start, BiddingEnd: start.Add(rules.ListingPeriod.Duration)}
			if _, err := store.Announce(ctx, sl.ID, auction.Calendar{}, w, "bureau#1"); err != nil {
				b.Fatal(err)
			}
			if _, err := store.AddNotice(ctx, sl.ID, "补充公告", "bureau#1"); err != nil {
				b.Fatal(err)
			}
			if _, err := store.Terminate(ctx, sl.ID, "规划调整", "bureau#1"); err != nil {
				b.Fatal(err)
			}
			if _, err := store.WriteCheckpoint(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, n := range []int{100, 400} {
		grow(n)
		b.Run(fmt.Sprintf("sales=%d/full", n), func(b *testing.B) {
			var read int64
			for b.Loop() {
				rep, err := store.VerifyAudit(ctx, 0)
				if err != nil || !rep.OK {
					b.Fatal(rep, err)
				}
				read = rep.Read
			}
			b.ReportMetric(float64(read), "read/op")
		})
		b.Run(fmt.Sprintf("sales=%d/incremental", n), func(b *testing.B) {
			if _, err := store.CheckAudit(ctx, 0); err != nil {
				b.Fatal(err)
			}
			var read int64
			for b.Loop() {
				rep, err := store.CheckAudit(ctx, 0)
				if err != nil || !rep.OK {
					b.Fatal(rep, err)
				}
				read = rep.Read
			}
			b.ReportMetric(float64(read), "read/op")
		})
	}
}
