package auction

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"strings"
)

// Who sees what of a sale's events. Every event the log records leaves the server through
// one function, Visible, which reads the rule of the event's kind from one table (rules,
// below): for each audience and phase, the whole event, the event without its identities
// (and, for some kinds, named fields), only that a bid was received, or nothing. A kind
// without a rule is shown to the bureau only, and a test fails for it.

// Kinds the registry chains into a sale's audit log beside the events of this package.
const (
	// KindNoticePublished: the announcement or a supplementary notice (补充公告) was published.
	KindNoticePublished = "notice-published"
	// KindContractTerms: the contract's payment schedule was recorded.
	KindContractTerms = "contract-terms"
	// KindPaymentRecorded: a payment of the price was recorded against the contract.
	KindPaymentRecorded = "payment-recorded"
)

// RecordKinds are the kinds the registry records beside the events of this package.
var RecordKinds = []string{KindNoticePublished, KindContractTerms, KindPaymentRecorded}

// Kinds returns every kind a sale's audit log can hold, sorted: the events of this package
// (DecodeEvent) and the registry's RecordKinds.
func Kinds() []string {
	out := slices.Clone(RecordKinds)
	for k := range eventDecoders {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Audience is the part a reader plays.
type Audience int

// The audiences. A bidder is the bidder an event concerns when the event names it (its own
// bid, deposit or application; the contract of the sale it won); to any other event it is
// another bidder.
const (
	// AudiencePublic: anonymous callers, and tokens with no part in sales.
	AudiencePublic Audience = iota
	// AudienceBidder: a bidder's token.
	AudienceBidder
	// AudiencePlanner: a planner's token.
	AudiencePlanner
	// AudienceBureau: the bureau, which sees everything.
	AudienceBureau
)

// Viewer is one reader of a sale's events.
type Viewer struct {
	// Audience is the part the reader plays.
	Audience Audience
	// Bidder is a bidder reader's bidder key (Participant.Bidder); empty otherwise.
	Bidder string
	// Actor is the reader's name as the log records actors ("bidder#12"), which names the
	// filer of an objection.
	Actor string
}

// Phase is how far a sale is, as far as secrecy goes.
type Phase struct {
	// Opened: bidding closed (sold or failed) and sealed bids were opened. A sale terminated
	// before its close never opens its sealed bids.
	Opened bool
	// Winner is the winning bidder's key once the sale is sold.
	Winner string
}

// PhaseOf returns the sale's phase.
func PhaseOf(s Sale) Phase {
	o, ok := s.Result()
	p := Phase{Opened: ok}
	if ok && o.Sold {
		p.Winner = o.Best.Bidder
	}
	return p
}

// Level is how much of an event a reader sees.
type Level int

// The levels, from least to most.
const (
	// Nothing: the reader does not see the event at all.
	Nothing Level = iota
	// Received: only that it happened (a bid was received): its kind and time, empty data,
	// the actor's role.
	Received
	// Redacted: the event without the identities of bidders (every "bidder" and "by"
	// member, at any depth) and without the rule's Hide fields; the actor's role only.
	Redacted
	// Whole: the event as recorded, with the actor's full name.
	Whole
)

func (l Level) String() string {
	switch l {
	case Received:
		return "received"
	case Redacted:
		return "redacted"
	case Whole:
		return "whole"
	}
	return "nothing"
}

// Levels is what one audience sees before the opening and after.
type Levels struct {
	Sealed, Opened Level
}

func both(l Level) Levels { return Levels{l, l} }

// Rule is the visibility of one kind.
type Rule struct {
	// Subject is the path of the member naming the bidder the event concerns ("bid.bidder"),
	// "winner" for the sale's winner, "" when the event concerns no single bidder. A path
	// ending in "by" names an actor (compared with Viewer.Actor), else a bidder key.
	Subject string
	// Hide are further members removed at the Redacted level.
	Hide []string
	// Public, Other (a bidder the event does not concern), Planner, Concerned (the bidder
	// the event concerns) and Bureau are what each audience sees.
	Public, Other, Planner, Concerned, Bureau Levels
}

// identities are removed from every event below Whole: bidder keys and objection filers.
var identities = []string{"bidder", "by"}

// public builds a rule where the public, other bidders and planners see others, the bidder
// concerned and the bureau see it whole.
func public(subject string, others Levels, hide ...string) Rule {
	return Rule{Subject: subject, Hide: hide, Public: others, Other: others, Planner: others, Concerned: both(Whole), Bureau: both(Whole)}
}

// rules is the table. Keep docs/transfer.md ("Who sees what") in step with it.
var rules = map[string]Rule{
	"reserve-committed":     public("", both(Whole)),
	"sale-announced":        public("", both(Whole)),
	"applications-opened":   public("", both(Whole)),
	"bidder-applied":        public("bidder", both(Redacted)),
	"deposit-recorded":      public("bidder", both(Redacted)),
	"bidder-qualified":      public("bidder", both(Redacted)),
	"bidder-disqualified":   public("bidder", both(Redacted), "reason"),
	"listing-opened":        public("", both(Whole)),
	"auction-started":       public("", both(Whole)),
	"tender-started":        public("", both(Whole)),
	"bid-accepted":          public("bid.bidder", both(Redacted)),
	"countdown-restarted":   public("", both(Whole)),
	"tender-bid-received":   public("bid.bidder", Levels{Sealed: Received, Opened: Redacted}),
	"listing-closed":        public("high.bidder", both(Redacted)),
	"timed-bidding-started": public("high.bidder", both(Redacted)),
	"tenders-opened":        public("", both(Redacted)),
	"reserve-revealed":      public("", both(Whole)),
	"sale-sold":             public("winner.bidder", both(Redacted)),
	"sale-failed":           public("best.bidder", both(Redacted)),
	"deposits-released":     public("", both(Redacted)),
	"sale-suspended":        public("", both(Whole)),
	"sale-resumed":          public("", both(Whole)),
	"sale-terminated":       public("", both(Whole)),
	"confirmation-issued":   public("winner.bidder", both(Redacted)),
	"publicity-started":     public("", both(Whole)),
	"objection-filed":       public("objection.by", both(Redacted)),
	"objection-resolved":    public("", both(Whole)),
	"contract-signed":       public("winner.bidder", both(Redacted)),
	"winner-defaulted":      public("bidder", both(Redacted)),
	KindNoticePublished:     public("", both(Whole)),
	KindContractTerms:       public("winner", both(Nothing)),
	KindPaymentRecorded:     public("winner", both(Nothing)),
}

// RuleOf returns the rule of a kind; false when the kind has none.
func RuleOf(kind string) (Rule, bool) {
	r, ok := rules[kind]
	return r, ok
}

// Level returns what v sees of an event of the rule's kind with data in phase p.
func (r Rule) Level(data json.RawMessage, v Viewer, p Phase) Level {
	var l Levels
	switch v.Audience {
	case AudienceBureau:
		l = r.Bureau
	case AudiencePlanner:
		l = r.Planner
	case AudienceBidder:
		l = r.Other
		if r.concerns(data, v, p) {
			l = r.Concerned
		}
	default:
		l = r.Public
	}
	if p.Opened {
		return l.Opened
	}
	return l.Sealed
}

// concerns reports whether the event names bidder v as its subject.
func (r Rule) concerns(data json.RawMessage, v Viewer, p Phase) bool {
	switch {
	case r.Subject == "" || v.Audience != AudienceBidder:
		return false
	case r.Subject == "winner":
		return v.Bidder != "" && v.Bidder == p.Winner
	}
	path := strings.Split(r.Subject, ".")
	var x any
	if err := json.Unmarshal(data, &x); err != nil {
		return false
	}
	for _, k := range path {
		m, ok := x.(map[string]any)
		if !ok {
			return false
		}
		x = m[k]
	}
	s, ok := x.(string)
	if !ok || s == "" {
		return false
	}
	if path[len(path)-1] == "by" {
		return v.Actor != "" && s == v.Actor
	}
	return v.Bidder != "" && s == v.Bidder
}

// View is what one reader sees of one audit entry.
type View struct {
	// Level is how much the reader sees; Nothing means the entry is withheld.
	Level Level
	// Actor is who caused it, as the reader may see it: the role ("bidder") below Whole.
	Actor string
	// Data is the event as the reader may see it; nil at Nothing, {} at Received.
	Data json.RawMessage
}

// Visible decides what viewer v sees, in phase p, of an audit entry of this kind recorded by
// actor with data. It is the one place where this is decided: the event stream, the audit
// views and anything else that publishes audit entries call it. The second result is false
// when v sees nothing of the entry. A kind without a rule, or data that is not a JSON
// object, is shown whole to the bureau and to nobody else.
func Visible(kind, actor string, data json.RawMessage, v Viewer, p Phase) (View, bool) {
	r, ok := rules[kind]
	if !ok {
		r = Rule{Bureau: both(Whole)}
	}
	l := r.Level(data, v, p)
	switch l {
	case Whole:
		return View{Level: Whole, Actor: actor, Data: data}, true
	case Received:
		return View{Level: Received, Actor: RoleOf(actor), Data: json.RawMessage(`{}`)}, true
	case Redacted:
		d, ok := without(data, append(slices.Clone(identities), r.Hide...))
		if !ok {
			return View{}, false
		}
		return View{Level: Redacted, Actor: RoleOf(actor), Data: d}, true
	}
	return View{}, false
}

// RoleOf returns the role part of an actor name: "bidder" of "bidder#12".
func RoleOf(actor string) string {
	role, _, _ := strings.Cut(actor, "#")
	return role
}

// without removes every member named in names from data, at any depth; false when data is
// not a JSON object.
func without(data json.RawMessage, names []string) (json.RawMessage, bool) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, false
	}
	var walk func(any)
	walk = func(x any) {
		switch t := x.(type) {
		case map[string]any:
			for _, n := range names {
				delete(t, n)
			}
			for _, e := range t {
				walk(e)
			}
		case []any:
			for _, e := range t {
				walk(e)
			}
		}
	}
	walk(v)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, false
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), true
}

// Next returns the phase after an entry of this kind: the close (sale-sold, sale-failed)
// opens the bids, and a sale names its winner. A reader that follows a sale's log entry by
// entry (an event stream) keeps its phase current without reading the sale again.
func (p Phase) Next(kind string, data json.RawMessage) Phase {
	switch kind {
	case "sale-sold":
		var e SaleSold
		if json.Unmarshal(data, &e) == nil {
			p.Winner = e.Winner.Bidder
		}
		p.Opened = true
	case "sale-failed":
		p.Opened = true
	}
	return p
}
