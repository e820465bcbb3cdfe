package auction

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// Identities and a sealed amount no reader below Whole may find in a view.
const (
	secretBidder = "4242424242"
	otherBidder  = "5353535353"
	secretActor  = "bidder#6161616161"
	sealedAmount = 7_777_777
)

// visibilitySamples returns one recorded entry of every kind, naming secretBidder wherever an
// event names a bidder and filed by secretActor. A kind missing here fails the test: add a
// sample and a rule with the kind.
func visibilitySamples(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	bid := Bid{Seq: 3, Bidder: secretBidder, Paddle: 2, Amount: sealedAmount, At: t0, Phase: StateTenderOpen}
	other := Bid{Seq: 4, Bidder: otherBidder, Paddle: 5, Amount: sealedAmount + 1, At: t0, Phase: StateTenderOpen}
	events := []Event{
		ReserveCommitted{At: t0, Commitment: "ab"},
		SaleAnnounced{At: t0, Method: MethodTender, Terms: testTerms, Windows: testWindows(MethodTender), Rules: "test"},
		ApplicationsOpened{At: t0, Ends: t0},
		BidderApplied{At: t0, Bidder: secretBidder, Paddle: 2},
		DepositRecorded{At: t0, Bidder: secretBidder, Paddle: 2, Amount: deposit, Total: deposit, Paid: true},
		BidderQualified{At: t0, Bidder: secretBidder, Paddle: 2},
		BidderDisqualified{At: t0, Bidder: secretBidder, Paddle: 2, Reason: "营业执照已吊销-secret-reason"},
		ListingOpened{At: t0, Ends: t0},
		AuctionStarted{At: t0, Bidders: 3, Deadline: t0},
		TenderStarted{At: t0, Deadline: t0},
		BidAccepted{Bid: bid, PreviousHigh: 1},
		CountdownRestarted{At: t0, Deadline: t0, Previous: t0},
		TenderBidReceived{Bid: bid, Replaces: 1},
		ListingClosed{At: t0, Quoters: 2, High: bid},
		TimedBiddingStarted{At: t0, Deadline: t0, High: bid},
		TendersOpened{At: t0, Bids: []Bid{bid, other}},
		ReserveRevealed{At: t0, Commitment: "ab", Amount: 1, Salt: "00"},
		SaleSold{At: t0, Winner: bid},
		SaleFailed{At: t0, Reason: FailBelowReserve, Best: bid},
		DepositsReleased{At: t0, Refunds: []Refund{{Bidder: secretBidder, Paddle: 2, Amount: deposit}, {Bidder: otherBidder, Paddle: 5, Amount: deposit}}},
		SaleSuspended{At: t0, From: StateTenderOpen, Reason: "r"},
		SaleResumed{At: t0, To: StateTenderOpen, Shift: time.Hour, Windows: testWindows(MethodTender), Reason: "r"},
		SaleTerminated{At: t0, From: StateTenderOpen, Reason: "r"},
		ConfirmationIssued{At: t0, Winner: bid, Due: t0},
		PublicityStarted{At: t0, Ends: t0, Due: t0},
		ObjectionFiled{At: t0, Objection: Objection{Seq: 1, At: t0, By: secretActor, Text: "异议"}},
		ObjectionResolved{At: t0, Seq: 1, Outcome: "驳回"},
		ContractSigned{At: t0, Winner: bid, DepositCredited: deposit},
		WinnerDefaulted{At: t0, Bidder: secretBidder, Paddle: 2, Forfeited: deposit, Reason: "r"},
	}
	out := map[string]json.RawMessage{
		KindNoticePublished: json.RawMessage(`{"no":2,"kind":"supplementary","at":"2026-03-02T01:00:00Z","body":{"text":"补充公告"}}`),
		KindContractTerms:   json.RawMessage(`{"schedule":"lump_sum","instalments":[{"due":"2026-09-30","amount":7777777}],"deposit_credited":200000,"reference":"合同-secret"}`),
		KindPaymentRecorded: json.RawMessage(`{"amount":7777777,"reference":"银行-secret","at":"2026-03-02T01:00:00Z"}`),
	}
	for _, e := range events {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		out[e.Kind()] = b
	}
	return out
}

type testViewer struct {
	name     string
	v        Viewer
	concerns bool // the viewer is the bidder the sample concerns (if it concerns one)
}

var testViewers = []testViewer{
	{"public", Viewer{Audience: AudiencePublic}, false},
	{"bidder concerned", Viewer{Audience: AudienceBidder, Bidder: secretBidder, Actor: secretActor}, true},
	{"other bidder", Viewer{Audience: AudienceBidder, Bidder: "99", Actor: "bidder#99"}, false},
	{"planner", Viewer{Audience: AudiencePlanner, Actor: "planner#3"}, false},
	{"bureau", Viewer{Audience: AudienceBureau, Actor: "bureau#1"}, false},
}

var testPhases = []struct {
	name string
	p    Phase
}{
	{"sealed", Phase{}},
	{"opened", Phase{Opened: true, Winner: secretBidder}},
}

// TestVisibleEveryKind walks every kind the log can hold × every audience × both phases and
// checks the view against the rule and against what must never leak below Whole.
func TestVisibleEveryKind(t *testing.T) {
	samples := visibilitySamples(t)
	kinds := Kinds()
	for _, k := range kinds {
		if _, ok := RuleOf(k); !ok {
			t.Errorf("kind %s has no visibility rule", k)
		}
		if _, ok := samples[k]; !ok {
			t.Errorf("kind %s has no sample in visibilitySamples", k)
		}
	}
	for k := range rules {
		if !strings.Contains(strings.Join(kinds, ","), k) {
			t.Errorf("rule for %s, which is not a kind", k)
		}
	}
	for _, k := range kinds {
		r, _ := RuleOf(k)
		for _, tv := range testViewers {
			for _, ph := range testPhases {
				t.Run(fmt.Sprintf("%s/%s/%s", k, tv.name, ph.name), func(t *testing.T) {
					view, ok := Visible(k, secretActor, samples[k], tv.v, ph.p)
					want := r.Level(samples[k], tv.v, ph.p)
					if view.Level != want || ok != (want != Nothing) {
						t.Fatalf("level %s (%v), rule says %s", view.Level, ok, want)
					}
					if tv.v.Audience == AudienceBureau && view.Level != Whole {
						t.Fatalf("the bureau sees %s", view.Level)
					}
					concerned := tv.concerns && r.Subject != "" && (r.Subject != "winner" || ph.p.Winner == secretBidder)
					if concerned && view.Level != Whole {
						t.Fatalf("the bidder concerned sees %s of its own event", view.Level)
					}
					s := string(view.Data) + " " + view.Actor
					if view.Level != Whole {
						for _, secret := range []string{secretBidder, otherBidder, "6161616161", `"bidder"`, `"by"`, "secret-reason"} {
							if strings.Contains(s, secret) {
								t.Errorf("%s view leaks %s: %s", view.Level, secret, s)
							}
						}
					}
					if view.Level == Whole && !concerned && tv.v.Audience != AudienceBureau && strings.Contains(s, secretBidder) {
						t.Errorf("whole view names a bidder to a reader it does not concern: %s", s)
					}
					sealed := k == "tender-bid-received" && !ph.p.Opened
					if sealed && !concerned && tv.v.Audience != AudienceBureau {
						if view.Level != Received || string(view.Data) != "{}" || view.Actor != "bidder" {
							t.Errorf("a sealed bid shows %s %s %q beyond its receipt", view.Level, view.Data, view.Actor)
						}
					}
					if view.Level == Received && strings.Contains(s, fmt.Sprint(sealedAmount)) {
						t.Errorf("a receipt shows the amount: %s", s)
					}
				})
			}
		}
	}
	// After the opening the sealed amounts are public, by paddle.
	v, _ := Visible("tender-bid-received", secretActor, samples["tender-bid-received"], Viewer{}, Phase{Opened: true})
	if !strings.Contains(string(v.Data), fmt.Sprint(sealedAmount)) || !strings.Contains(string(v.Data), `"paddle":2`) {
		t.Errorf("an opened tender bid: %s", v.Data)
	}
}

func TestVisibleUnknownKindBureauOnly(t *testing.T) {
	for _, tv := range testViewers {
		_, ok := Visible("no-such-kind", "bureau#1", json.RawMessage(`{"x":1}`), tv.v, Phase{Opened: true})
		if ok != (tv.v.Audience == AudienceBureau) {
			t.Errorf("%s sees an unknown kind: %v", tv.name, ok)
		}
	}
	if _, ok := Visible("bid-accepted", "bidder#1", json.RawMessage(`[1]`), Viewer{}, Phase{}); ok {
		t.Error("data that is not an object was shown")
	}
}

func TestPhaseNext(t *testing.T) {
	s := visibilitySamples(t)
	p := Phase{}.Next("tender-bid-received", s["tender-bid-received"])
	if p.Opened {
		t.Fatal("a bid opened the sale")
	}
	if p = p.Next("sale-sold", s["sale-sold"]); !p.Opened || p.Winner != secretBidder {
		t.Fatalf("after sale-sold: %+v", p)
	}
	if p = (Phase{}).Next("sale-failed", s["sale-failed"]); !p.Opened || p.Winner != "" {
		t.Fatalf("after sale-failed: %+v", p)
	}
}

// visibilityMarkdown renders the rule table as docs/transfer.md shows it.
func visibilityMarkdown() string {
	cell := func(l Levels) string {
		if l.Sealed == l.Opened {
			return l.Sealed.String()
		}
		return l.Sealed.String() + " → " + l.Opened.String()
	}
	var b strings.Builder
	b.WriteString("| kind | concerns | public | other bidder | planner | bidder concerned | bureau | also removed |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, k := range Kinds() {
		r := rules[k]
		subject := r.Subject
		if subject == "" {
			subject = "—"
		}
		hide := strings.Join(r.Hide, ", ")
		if hide == "" {
			hide = "—"
		}
		concerned := cell(r.Concerned)
		if r.Subject == "" {
			concerned = "—"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s | %s |\n", k, subject, cell(r.Public), cell(r.Other), cell(r.Planner), concerned, cell(r.Bureau), hide)
	}
	return b.String()
}

// TestVisibilityDocumented keeps the table of docs/transfer.md ("Who sees
// what") the table of the code.
func TestVisibilityDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/transfer.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := visibilityMarkdown(); !strings.Contains(string(doc), want) {
		t.Errorf("docs/transfer.md does not hold the visibility table as the code has it; put this there:\n%s", want)
	}
}
