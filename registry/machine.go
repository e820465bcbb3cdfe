package registry

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"minerights/auction"
)

// A sale's state is stored in two parts (see migration 007):
//
//   - sale.machine, the state machine as of its last transition that was not
//     a plain bid, tagged with a random sale.machine_tag that changes on
//     every write, and holding sale.machine_bid_count bids;
//   - the bids accepted since, in the bid table (seq > machine_bid_count).
//
// A plain bid (listing, timed bidding, live auction; not a tender, not one
// that also moved the sale to another state) changes only the high bid, the
// bid count, the countdown, the last action and the bidder's counters, all
// of which its bid row holds, so it appends the row and leaves the machine
// alone. Loading a sale lays the bids since the machine over it (overlay);
// every other transition writes the whole state back, which empties the
// overlay. sale.next_deadline is not moved by plain bids: they only push
// the countdown later, so the stored one is a lower bound at which the
// scheduler looks again, finds the later deadline, and stores it.

// lastBid is the latest accepted bid of a sale.
type lastBid struct {
	Seq      int64      `json:"seq"`
	BidderID int64      `json:"bidder_id"`
	Paddle   int        `json:"paddle"`
	Amount   int64      `json:"amount"`
	At       time.Time  `json:"at"`
	Phase    string     `json:"phase"`
	Deadline *time.Time `json:"deadline"`
}

// overlay is what the bids accepted since the stored machine change in it.
type overlay struct {
	// Last is the latest bid; it is the high bid when its seq is past the
	// machine's bid count.
	Last *lastBid `json:"last"`
	// Counts are the bids each bidder placed since the machine, by bidder
	// key; nil when not read (a plain bid reads only its own bidder's).
	Counts map[string]int `json:"counts"`
}

// countsSQL reads the bids per bidder since the machine of sale $1, as a
// JSON object by bidder key (NULL for none).
const countsSQL = `(SELECT json_object_agg(c.bidder_id, c.n) FROM (
	SELECT b.bidder_id, count(*) AS n FROM bid b
	WHERE b.sale_id = s.id AND b.seq > s.machine_bid_count GROUP BY b.bidder_id) c)`

// countsQuery reads countsSQL of sale $1 as text.
const countsQuery = `SELECT ` + countsSQL + `::text FROM sale s WHERE s.id = $1`

// decodeCounts reads countsSQL's value; NULL is no bids since the machine.
func decodeCounts(raw *string) (map[string]int, error) {
	if raw == nil {
		return nil, nil
	}
	var counts map[string]int
	if err := json.Unmarshal([]byte(*raw), &counts); err != nil {
		return nil, fmt.Errorf("decode bid counts: %w", err)
	}
	return counts, nil
}

// overlaySQL reads a sale's overlay as one JSON value (NULL when the
// machine holds every bid) for the sale s in the enclosing statement, in
// that statement's snapshot. A plain bid keeps the latest bid in the sale
// row (high_*): it is the high bid.
const overlaySQL = `CASE WHEN s.bid_count > s.machine_bid_count THEN json_build_object(
	'last', json_build_object('seq', s.bid_count, 'bidder_id', s.high_bidder_id, 'paddle', s.high_paddle,
		'amount', s.high_yuan, 'at', s.high_at, 'phase', s.high_phase, 'deadline', s.high_deadline),
	'counts', ` + countsSQL + `)::text END`

// highColumns are the sale row's copy of the latest bid, in lastBid's order.
const highColumns = `bid_count, high_bidder_id, high_paddle, high_yuan, high_at, high_phase, high_deadline`

// scanHigh reads highColumns; nil when the row holds no plain bid.
func scanHigh(seq int64, bidder *int64, paddle *int, amount *int64, at *time.Time, phase *string, deadline *time.Time) *lastBid {
	if bidder == nil || paddle == nil || amount == nil || at == nil || phase == nil {
		return nil
	}
	return &lastBid{Seq: seq, BidderID: *bidder, Paddle: *paddle, Amount: *amount, At: *at, Phase: *phase, Deadline: deadline}
}

// decodeOverlay reads overlaySQL's value; empty is no overlay.
func decodeOverlay(raw *string) (overlay, error) {
	var o overlay
	if raw == nil {
		return o, nil
	}
	err := json.Unmarshal([]byte(*raw), &o)
	return o, err
}

// withOverlay returns base with the bids since it laid over. base is not
// changed (it may be shared through the cache).
func withOverlay(base auction.Sale, o overlay) auction.Sale {
	m := base
	m.Participants = slices.Clone(base.Participants)
	if l := o.Last; l != nil && l.Seq > int64(base.BidCount) {
		m.High = auction.Bid{Seq: uint64(l.Seq), Bidder: BidderKey(l.BidderID), Paddle: l.Paddle,
			Amount: l.Amount, At: l.At, Phase: auction.State(l.Phase)}
		m.BidCount = int(l.Seq)
		if l.Deadline != nil {
			m.Deadline = *l.Deadline
		}
		if l.At.After(m.LastAction) {
			m.LastAction = l.At
		}
	}
	for i := range m.Participants {
		if n := o.Counts[m.Participants[i].Bidder]; n > 0 {
			m.Participants[i].Bids += n
			m.Participants[i].Quoted = true
		}
	}
	return m
}

// plainBid reports whether a bid's outcome is one the bid row holds
// entirely: no change of state, only the bid and its countdown.
func plainBid(before, next auction.Sale, evs []auction.Event) bool {
	if before.Method == auction.MethodTender || next.State != before.State || next.TimedStarted != before.TimedStarted {
		return false
	}
	for _, ev := range evs {
		switch ev.(type) {
		case auction.BidAccepted, auction.CountdownRestarted:
		default:
			return false
		}
	}
	return true
}

// newMachineTag returns a fresh tag for a written machine; never 0, which
// stands for "none cached".
func newMachineTag() int64 {
	for {
		if t := rand.Int64(); t != 0 {
			return t
		}
	}
}

// machineCache keeps decoded machines by sale and tag, so that the bids of
// a sale decode its machine once per write rather than once per bid. An
// entry is never changed: a new write has a new tag.
type machineCache struct {
	mu    sync.Mutex
	m     map[int64]cachedMachine
	bytes int
}

type cachedMachine struct {
	tag   int64
	sale  auction.Sale
	bytes int
}

// machineCacheBytes bounds the cache by the size of the machines' JSON;
// past it the cache starts over. A round of a thousand sales with two
// bidders each is about 3 MB; a machine with 64 bidders about 13 KB.
const machineCacheBytes = 32 << 20

// get returns the machine cached for the sale and its tag; tag 0 for none.
func (c *machineCache) get(id int64) (tag int64, m auction.Sale) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[id]
	return e.tag, e.sale
}

// put caches m, decoded from size bytes of JSON, as the sale's machine
// under tag.
func (c *machineCache) put(id, tag int64, m auction.Sale, size int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || c.bytes+size > machineCacheBytes {
		c.m, c.bytes = map[int64]cachedMachine{}, 0
	}
	c.bytes += size - c.m[id].bytes
	c.m[id] = cachedMachine{tag: tag, sale: m, bytes: size}
}
