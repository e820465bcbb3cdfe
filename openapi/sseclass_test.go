package openapi

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"minerights/auction"
	"minerights/registry"
)

// TestStreamViewClass: views that the stream sorts into one class for an
// entry (and so hands the bytes encoded for the first of them) are exactly
// views that auction.Visible shows the entry to alike; and the classes do
// share work: the public and every bidder a bid does not name are one
// class, the bidder it names another.
func TestStreamViewClass(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	entry := func(seq int64, kind, actor, data string) registry.AuditEntry {
		return registry.AuditEntry{SaleID: 1, Seq: seq, Kind: kind, At: at, Actor: actor, Data: json.RawMessage(data)}
	}
	entries := []registry.AuditEntry{
		entry(1, "bid-accepted", "bidder#12", `{"bid":{"bidder":"12","amount":5000000,"seq":3},"previous_high":4900000}`),
		entry(2, "tender-bid-received", "bidder#13", `{"bid":{"bidder":"13","amount":6000000,"seq":4}}`),
		entry(3, "sale-sold", "scheduler", `{"winner":{"bidder":"12","amount":5000000}}`),
		entry(4, "objection-filed", "bidder#12", `{"objection":{"by":"bidder#12","text":"异议"}}`),
		entry(5, "countdown-restarted", "scheduler", `{"at":"2026-03-02T10:00:00Z"}`),
		entry(6, "no-such-kind", "bureau", `{"x":1}`),
		entry(7, "bid-accepted", "bidder#12", `[1,2]`),
	}
	views := []streamView{
		{role: "public"},
		{role: registry.RolePlanner},
		{role: registry.RoleBureau},
		{role: registry.RoleBidder, bidder: 12, actor: "bidder#12"},
		{role: registry.RoleBidder, bidder: 13, actor: "bidder#13"},
		{role: registry.RoleBidder, bidder: 14, actor: "bidder#14"},
	}
	phases := []auction.Phase{{}, {Opened: true, Winner: "12"}}
	for _, p := range phases {
		for _, e := range entries {
			for i, a := range views {
				for _, b := range views[i+1:] {
					if a.class(e, p) == b.class(e, p) && !bytes.Equal(a.frame(e, p), b.frame(e, p)) {
						t.Errorf("%s in %+v: %s and %s are one class (%s) but read it differently:\n%s\n%s",
							e.Kind, p, a.key(), b.key(), a.class(e, p), a.frame(e, p), b.frame(e, p))
					}
				}
			}
		}
	}
	bid := entries[0]
	public, named, other := views[0], views[3], views[4]
	if public.class(bid, auction.Phase{}) != other.class(bid, auction.Phase{}) {
		t.Errorf("a bid reads alike to the public and to a bidder it does not name, but they are classes %q and %q",
			public.class(bid, auction.Phase{}), other.class(bid, auction.Phase{}))
	}
	if named.class(bid, auction.Phase{}) == other.class(bid, auction.Phase{}) {
		t.Errorf("the bidder a bid names is in the class of the others (%q)", named.class(bid, auction.Phase{}))
	}
	if bytes.Equal(named.frame(bid, auction.Phase{}), other.frame(bid, auction.Phase{})) {
		t.Errorf("the named bidder and another read the bid alike: the test shows no secrecy")
	}
}
