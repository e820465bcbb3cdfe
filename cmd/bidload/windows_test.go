package main

import (
	"testing"
	"time"
)

// TestSetupWindowsFollowThePace: a set-up that made its sales and bidders
// slowly (Citus, a loaded machine) gets windows long enough for the steps
// that follow at the same pace; a fast one keeps the short windows.
func TestSetupWindowsFollowThePace(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	fast := setupWindows(now, 0, 1000, 2000, 5*time.Second, 4*time.Second)
	slow := setupWindows(now, 0, 1000, 2000, 120*time.Second, 200*time.Second)
	if d := fast.ApplyStart.Sub(now); d != 3*time.Second+15*time.Second+10*time.Second {
		t.Errorf("fast: announcements get %s", d)
	}
	// The slow set-up's announcements (about 120 s more) fit before
	// applications open, its 6,000 application steps (about 3/2 × 200 s /
	// 2 at twice the concurrency) before the listing, its quotes before it
	// closes.
	if d := slow.ApplyStart.Sub(now); d < 240*time.Second {
		t.Errorf("slow: announcements get %s", d)
	}
	if d := slow.BiddingStart.Sub(slow.ApplyStart); d < 3*200*time.Second {
		t.Errorf("slow: applications get %s", d)
	}
	if d := slow.BiddingEnd.Sub(slow.BiddingStart); d < 200*time.Second {
		t.Errorf("slow: listing quotes get %s", d)
	}
	// Citus at load 20: sales made slowly (1,000 in 194 s), bidders
	// quickly (2,000 in 18 s); the application steps then ran at 20 a
	// second, 300 s for 6,000: the window must hold that, and the quotes'
	// window a third of it.
	citus := setupWindows(now, 0, 1000, 2000, 194*time.Second, 18*time.Second)
	if d := citus.BiddingStart.Sub(citus.ApplyStart); d < 300*time.Second {
		t.Errorf("citus: applications get %s", d)
	}
	if d := citus.BiddingEnd.Sub(citus.BiddingStart); d < 100*time.Second {
		t.Errorf("citus: listing quotes get %s", d)
	}
	if !slow.ApplyEnd.Equal(slow.BiddingStart) || !slow.DepositDeadline.Equal(slow.BiddingStart) {
		t.Errorf("applications and deposits must close when the listing opens: %+v", slow)
	}
}
