package registry_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"minerights/auction"
	"minerights/registry"
)

// TestPriceChangeRacesSaleCreation: a change of a parcel's starting price
// and the creation of a sale of it, at the same moment, are serialised by
// the parcel's row lock, so the sale never carries a price the registry no
// longer shows: either the change lands first (and the sale, if the
// parcel still passes its check, copies the new price), or the sale does
// and the change is refused naming it.
func TestPriceChangeRacesSaleCreation(t *testing.T) {
	t.Parallel()
	store, _ := newStore(t, true)
	ctx := context.Background()
	rules := fastRules(t)
	for no := 1; no <= 6; no++ {
		pid := offerable(t, store, no)
		p, err := store.GetParcel(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		price := *p.StartingPriceYuan + 1000
		var wg sync.WaitGroup
		var sale registry.Sale
		var saleErr, patchErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			sale, saleErr = store.CreateSale(ctx, registry.SaleInput{ParcelID: pid, Method: auction.MethodListing, Increment: 1000, Deposit: 1000}, rules, "bureau#0")
		}()
		go func() {
			defer wg.Done()
			_, patchErr = store.UpdateParcel(ctx, pid, registry.ParcelPatch{StartingPriceYuan: &price})
		}()
		wg.Wait()
		after, err := store.GetParcel(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		var ise *registry.ParcelInSaleError
		switch {
		case patchErr == nil && saleErr == nil:
			if sale.Machine.Terms.StartingPrice != *after.StartingPriceYuan {
				t.Errorf("parcel %d: sale %d carries %d 元, the registry shows %d 元", pid, sale.ID, sale.Machine.Terms.StartingPrice, *after.StartingPriceYuan)
			}
		case patchErr == nil:
			if !errors.Is(saleErr, registry.ErrNotCompliant) || *after.StartingPriceYuan != price {
				t.Errorf("parcel %d: price changed, sale refused with %v", pid, saleErr)
			}
		case errors.As(patchErr, &ise):
			if saleErr != nil || ise.SaleID != sale.ID || *after.StartingPriceYuan != *p.StartingPriceYuan || sale.Machine.Terms.StartingPrice != *p.StartingPriceYuan {
				t.Errorf("parcel %d: change refused for sale %d, sale %d: %v; price %d", pid, ise.SaleID, sale.ID, saleErr, *after.StartingPriceYuan)
			}
		default:
			t.Errorf("parcel %d: change: %v; sale: %v", pid, patchErr, saleErr)
		}
	}
}
