package registry

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"minerights/auction"
)

// AuditProblem is one thing verification found wrong.
type AuditProblem struct {
	SaleID     int64  `json:"sale_id,omitempty"`
	Seq        int64  `json:"seq,omitempty"`
	Checkpoint int64  `json:"checkpoint,omitempty"`
	Problem    string `json:"problem"`
}

// SaleAudit is the verification of one sale's chain and outcome.
type SaleAudit struct {
	SaleID  int64  `json:"sale_id"`
	Entries int64  `json:"entries"`
	Head    string `json:"head"`
	// Outcome is what the log says happened at the close ("sold", "failed:
	// reason" or "open"); Derived is what the bids re-derive.
	Outcome string `json:"outcome"`
	Derived string `json:"derived"`
	// WinnerPaddle and Price are re-derived from the bids; zero when unsold.
	WinnerPaddle int   `json:"winner_paddle,omitempty"`
	Price        int64 `json:"price,omitempty"`
	OK           bool  `json:"ok"`
}

// AuditReport is the result of VerifyAudit and CheckAudit.
type AuditReport struct {
	OK          bool           `json:"ok"`
	Sales       []SaleAudit    `json:"sales"`
	Checkpoints int            `json:"checkpoints"`
	Problems    []AuditProblem `json:"problems"`
	// Read counts the audit entries and checkpoint heads this verification
	// read: everything for VerifyAudit; for CheckAudit what is new since the
	// last call plus one bounded slice of the older history.
	Read int64 `json:"entries_read"`
}

// chainState is what verifying a sale's chain up to entry seq found: enough
// to go on from there with the entries after it.
type chainState struct {
	seq       int64
	head      []byte
	salted    bool
	bids      []auction.Bid
	announced *auction.SaleAnnounced
	revealed  *auction.ReserveRevealed
	closed    auction.Event
	// entryProbs are the problems of the entries so far; bidRows counts the
	// bid table rows compared with the log's bids, bidProbs their problems.
	entryProbs []AuditProblem
	bidRows    int
	bidProbs   []AuditProblem
	// audit is the sale's last result, for a chain that has not moved.
	audit SaleAudit
	probs []AuditProblem
}

func (st *chainState) clone() *chainState {
	c := *st
	c.head = slices.Clone(st.head)
	c.bids = slices.Clone(st.bids)
	c.entryProbs = slices.Clone(st.entryProbs)
	c.bidProbs = slices.Clone(st.bidProbs)
	return &c
}

// apply checks one entry against the chain so far and takes in what it says.
func (st *chainState) apply(id int64, e AuditEntry) {
	bad := func(f string, args ...any) {
		st.entryProbs = append(st.entryProbs, AuditProblem{SaleID: id, Seq: e.Seq, Problem: fmt.Sprintf(f, args...)})
	}
	if e.Seq != st.seq+1 {
		bad("entry %d follows entry %d: entries are missing", e.Seq, st.seq)
	}
	if !bytes.Equal(e.PrevHash, st.head) {
		bad("prev_hash does not match the hash of entry %d", e.Seq-1)
	}
	h, err := EntryHash(e.PrevHash, e)
	if err != nil || !bytes.Equal(h, e.Hash) {
		bad("hash mismatch: the entry was altered after it was written")
	}
	// Every entry since migration 010 has a salt: one without it after a
	// salted one was written by hand.
	if e.Salt == nil && st.salted {
		bad("entry without a salt after a salted one: it was not written by the registry")
	}
	st.salted = st.salted || e.Salt != nil
	st.seq, st.head = e.Seq, e.Hash
	if slices.Contains(registryKinds, e.Kind) {
		return
	}
	ev, err := auction.DecodeEvent(e.Kind, e.Data)
	if err != nil {
		bad("undecodable %s event: %v", e.Kind, err)
		return
	}
	switch v := ev.(type) {
	case auction.SaleAnnounced:
		st.announced = &v
	case auction.BidAccepted:
		st.bids = append(st.bids, v.Bid)
	case auction.TenderBidReceived:
		st.bids = append(st.bids, v.Bid)
	case auction.ReserveRevealed:
		st.revealed = &v
	case auction.SaleSold, auction.SaleFailed:
		st.closed = ev
	}
}

type bidRow struct {
	Seq      int64
	BidderID int64
	Paddle   int
	Amount   int64
}

// verifySale verifies sale id's chain after st (nil: from its first entry),
// reading the log, the sale row and the bids in one snapshot, so that a bid
// committed meanwhile is either in all three or in none. It returns the
// sale's result, the state to go on from next time, and the number of
// entries it read.
func (s *Store) verifySale(ctx context.Context, id int64, st *chainState) (*chainState, int64, error) {
	if st == nil {
		st = &chainState{}
	} else {
		st = st.clone()
	}
	var read int64
	var rowSeq int64
	var rowHead, machine []byte
	var table []bidRow
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+entryColumns+` FROM audit_event WHERE sale_id = $1 AND seq > $2 ORDER BY seq`, id, st.seq)
		if err != nil {
			return err
		}
		entries, err := pgx.CollectRows(rows, scanEntry)
		if err != nil {
			return err
		}
		for _, e := range entries {
			st.apply(id, e)
		}
		read = int64(len(entries))
		if err := tx.QueryRow(ctx, `SELECT audit_seq, audit_head, machine::text FROM sale WHERE id = $1`, id).Scan(&rowSeq, &rowHead, &machine); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT seq, bidder_id, paddle, amount_yuan FROM bid WHERE sale_id = $1 AND seq > $2 ORDER BY seq`, id, st.bidRows)
		if err != nil {
			return err
		}
		table, err = pgx.CollectRows(rows, pgx.RowToStructByPos[bidRow])
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("registry: verify sale %d: %w", id, mapErr(err))
	}
	var m auction.Sale
	if err := json.Unmarshal(machine, &m); err != nil {
		return nil, 0, fmt.Errorf("registry: verify sale %d: %w", id, err)
	}

	// The bids in the log are the bids in the bid table.
	var probs []AuditProblem
	bad := func(f string, args ...any) {
		probs = append(probs, AuditProblem{SaleID: id, Problem: fmt.Sprintf(f, args...)})
	}
	if n := st.bidRows + len(table); n != len(st.bids) {
		bad("the log holds %d bids, the bid table %d", len(st.bids), n)
	}
	for _, t := range table {
		i := st.bidRows
		if i >= len(st.bids) {
			break
		}
		b := st.bids[i]
		if uint64(t.Seq) != b.Seq || BidderKey(t.BidderID) != b.Bidder || t.Paddle != b.Paddle || t.Amount != b.Amount {
			st.bidProbs = append(st.bidProbs, AuditProblem{SaleID: id, Problem: fmt.Sprintf("bid %d differs between the log and the bid table", b.Seq)})
		}
		st.bidRows++
	}
	if rowSeq != st.seq || !bytes.Equal(rowHead, st.head) {
		bad("the sale records chain head %d but the log ends at %d", rowSeq, st.seq)
	}

	sa := SaleAudit{SaleID: id, Entries: st.seq, Head: hex.EncodeToString(st.head), Outcome: "open", Derived: "open"}
	probs = append(append(slices.Clone(st.entryProbs), st.bidProbs...), probs...)
	if st.closed != nil {
		probs = append(probs, st.outcome(id, &sa, m.Rules)...)
	}
	sa.OK = len(probs) == 0
	st.audit, st.probs = sa, probs
	return st, read, nil
}

// outcome re-derives the close from the bids alone and compares it with the
// close the log records.
func (st *chainState) outcome(id int64, sa *SaleAudit, rules auction.Rules) []AuditProblem {
	var probs []AuditProblem
	bad := func(f string, args ...any) {
		probs = append(probs, AuditProblem{SaleID: id, Problem: fmt.Sprintf(f, args...)})
	}
	announced, revealed, bids := st.announced, st.revealed, st.bids
	if announced == nil {
		bad("the sale closed but its announcement is not in the log")
		return probs
	}
	floor := announced.Terms.StartingPrice
	if announced.ReserveCommitment != "" {
		switch salt, err := hexSalt(revealed); {
		case revealed == nil:
			bad("the reserve was committed but never revealed")
		case err != nil || !auction.VerifyReserve(announced.ReserveCommitment, revealed.Amount, salt):
			bad("the revealed reserve does not open the commitment published with the announcement")
		default:
			floor = revealed.Amount
		}
	}
	out := auction.Winner(bids, announced.Method, floor, rules)
	switch v := st.closed.(type) {
	case auction.SaleSold:
		sa.Outcome = "sold"
		if !out.Sold || out.Best.Seq != v.Winner.Seq || out.Best.Amount != v.Winner.Amount || out.Best.Bidder != v.Winner.Bidder {
			bad("the log says bid %d won at %d 元; the bids re-derive %s", v.Winner.Seq, v.Winner.Amount, describe(out))
		}
	case auction.SaleFailed:
		sa.Outcome = "failed: " + string(v.Reason)
		// A 拍卖 that did not start for want of bidders has no bids to show it.
		auctionNotStarted := announced.Method == auction.MethodAuction && v.Reason == auction.FailTooFewBidders && len(bids) == 0
		if !auctionNotStarted && (out.Sold || out.Reason != v.Reason) {
			bad("the log says the sale failed (%s); the bids re-derive %s", v.Reason, describe(out))
		}
	}
	sa.Derived = describe(out)
	if out.Sold {
		sa.WinnerPaddle, sa.Price = out.Best.Paddle, out.Best.Amount
	}
	return probs
}

func hexSalt(r *auction.ReserveRevealed) ([]byte, error) {
	if r == nil {
		return nil, errors.New("not revealed")
	}
	return hex.DecodeString(r.Salt)
}

func describe(o auction.Outcome) string {
	if o.Sold {
		return "sold"
	}
	return "failed: " + string(o.Reason)
}

// VerifyAudit re-checks every sale's hash chain (or one sale's, when saleID
// is non-zero), the checkpoints over the chain heads, and re-derives each
// closed sale's outcome from its bids alone (auction.Winner), comparing it
// with the close recorded in the log, the reserve with its commitment, and
// the bids in the log with the bid table. It reads the whole history:
// `minerights audit verify` uses it; the public endpoint uses CheckAudit.
func (s *Store) VerifyAudit(ctx context.Context, saleID int64) (AuditReport, error) {
	rep := AuditReport{Sales: []SaleAudit{}, Problems: []AuditProblem{}}
	heads, err := s.chainHeads(ctx, saleID)
	if err != nil {
		return rep, err
	}
	for _, h := range heads {
		st, n, err := s.verifySale(ctx, h.id, nil)
		if err != nil {
			return rep, err
		}
		rep.Read += n
		rep.Sales = append(rep.Sales, st.audit)
		rep.Problems = append(rep.Problems, st.probs...)
	}
	if saleID == 0 {
		cp, err := s.verifyCheckpoints(ctx, 0, 0)
		if err != nil {
			return rep, err
		}
		rep.Checkpoints, rep.Read = cp.n, rep.Read+cp.heads
		for _, id := range cp.ids {
			rep.Problems = append(rep.Problems, cp.probs[id]...)
		}
	}
	rep.OK = len(rep.Problems) == 0
	return rep, nil
}
