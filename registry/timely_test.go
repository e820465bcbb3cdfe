package registry

import (
	"testing"
	"time"
)

// TestJudgedAt: a bid is judged at its arrival, never later than the
// database clock under the lock and never before the sale's last action;
// its arrival by the database clock is the clock under the lock minus how
// long the process held it before sending the lock statement.
func TestJudgedAt(t *testing.T) {
	base := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return base.Add(time.Duration(ms) * time.Millisecond) }
	cases := []struct {
		name                string
		received, now, last time.Time
		want                time.Time
	}{
		{"no arrival time: now", time.Time{}, at(900), at(100), at(900)},
		{"arrived before the lock: its arrival", at(500), at(2900), at(100), at(500)},
		{"arrived after an action taken meanwhile: that action's time", at(500), at(2900), at(700), at(700)},
		{"arrival after now (clocks of two sessions): now", at(1000), at(900), at(100), at(900)},
	}
	local := time.Now()
	r := BidRequest{Arrived: local}
	if got := r.receivedAt(at(2900), local.Add(2400*time.Millisecond)); !got.Equal(at(500)) {
		t.Fatalf("received at %v, want 500ms (2.9 s under the lock, held 2.4 s)", got.Sub(base))
	}
	if got := (BidRequest{}).receivedAt(at(2900), local); !got.IsZero() {
		t.Fatalf("no arrival: received at %v", got)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := judgedAt(tc.received, tc.now, tc.last)
			if !got.Equal(tc.want) {
				t.Fatalf("judged at %v, want %v", got.Sub(base), tc.want.Sub(base))
			}
		})
	}
}
