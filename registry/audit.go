package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"minerights/auction"
)

// AuditEntry is one entry of a sale's hash chain. Data is the event as
// package auction encodes it (or, for the registry's own kinds, the record it
// describes); it names bidders, so it is the bureau's to read until the sale
// closes.
type AuditEntry struct {
	SaleID     int64           `json:"sale_id"`
	Seq        int64           `json:"seq"`
	Kind       string          `json:"kind"`
	At         time.Time       `json:"at"`
	RecordedAt time.Time       `json:"recorded_at"`
	Actor      string          `json:"actor"`
	Data       json.RawMessage `json:"data"`
	PrevHash   []byte          `json:"prev_hash"`
	Hash       []byte          `json:"hash"`
}

// Audit kinds the registry records beside auction's events.
const (
	KindNoticePublished = "notice-published"
	KindContractTerms   = "contract-terms"
	KindPaymentRecorded = "payment-recorded"
)

// registryKinds are chained and verified like the others but carry no
// auction event.
var registryKinds = []string{KindNoticePublished, KindContractTerms, KindPaymentRecorded}

// EntryHash computes an entry's hash: SHA-256 of the previous entry's hash
// followed by the canonical JSON of {actor, data, kind, recorded_at, sale_id,
// seq}. Canonical JSON has its object keys sorted, no insignificant
// whitespace, numbers as written, times in UTC RFC 3339 with the fraction
// trimmed, and no HTML escaping, so that a database's re-encoding of data
// (jsonb reorders keys) does not change the hash. The event's own time is
// inside data, so At is not hashed twice.
func EntryHash(prev []byte, e AuditEntry) ([]byte, error) {
	var data any
	dec := json.NewDecoder(bytes.NewReader(e.Data))
	dec.UseNumber()
	if err := dec.Decode(&data); err != nil {
		return nil, fmt.Errorf("registry: audit entry %d/%d: data: %w", e.SaleID, e.Seq, err)
	}
	body, err := canonical(map[string]any{
		"actor":       e.Actor,
		"data":        data,
		"kind":        e.Kind,
		"recorded_at": e.RecordedAt.UTC().Format(time.RFC3339Nano),
		"sale_id":     e.SaleID,
		"seq":         e.Seq,
	})
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	h.Write(prev)
	h.Write(body)
	return h.Sum(nil), nil
}

// canonical encodes v with sorted keys (encoding/json sorts map keys), no
// whitespace and no HTML escaping.
func canonical(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// chain appends entries to a sale's chain; the caller holds the sale row
// lock, which is what serialises the chain. add computes each entry's hash
// and queue writes them all in one statement.
type chain struct {
	saleID int64
	seq    int64
	head   []byte
	now    time.Time
	actor  string
	rows   chainRows
}

// chainRows are the entries a chain has added and not yet queued, by column.
type chainRows struct {
	seq        []int64
	kind       []string
	at         []time.Time
	data       []string
	prev, hash [][]byte
}

// add appends one entry and advances the head.
func (c *chain) add(kind string, at time.Time, data []byte) error {
	if c.head == nil {
		c.head = []byte{} // the first entry's prev_hash is empty, not NULL
	}
	c.seq++
	e := AuditEntry{SaleID: c.saleID, Seq: c.seq, Kind: kind, At: at, RecordedAt: c.now, Actor: c.actor, Data: data}
	h, err := EntryHash(c.head, e)
	if err != nil {
		return err
	}
	r := &c.rows
	r.seq, r.kind, r.at, r.data = append(r.seq, c.seq), append(r.kind, kind), append(r.at, at), append(r.data, string(data))
	r.prev, r.hash = append(r.prev, c.head), append(r.hash, h)
	c.head = h
	return nil
}

// queue queues the insert of the entries added since the last queue.
func (c *chain) queue(b *pgx.Batch) {
	r := &c.rows
	if len(r.seq) == 0 {
		return
	}
	b.Queue(`INSERT INTO audit_event (sale_id, seq, kind, at, recorded_at, actor, data, prev_hash, hash)
		SELECT $1, u.seq, u.kind, u.at, $2, $3, u.data::jsonb, u.prev, u.hash
		FROM unnest($4::bigint[], $5::text[], $6::timestamptz[], $7::text[], $8::bytea[], $9::bytea[]) AS u(seq, kind, at, data, prev, hash)`,
		c.saleID, c.now, c.actor, r.seq, r.kind, r.at, r.data, r.prev, r.hash)
	*r = chainRows{}
}

// AuditEntries returns a sale's entries with seq > after, in order, at most
// limit of them (0: all).
func (s *Store) AuditEntries(ctx context.Context, saleID, after int64, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = 1 << 30
	}
	rows, err := s.db(ctx).Query(ctx, `SELECT sale_id, seq, kind, at, recorded_at, actor, data::text, prev_hash, hash
		FROM audit_event WHERE sale_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, saleID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("registry: audit entries of sale %d: %w", saleID, err)
	}
	out, err := pgx.CollectRows(rows, scanEntry)
	if err != nil {
		return nil, fmt.Errorf("registry: audit entries of sale %d: %w", saleID, err)
	}
	return out, nil
}

func scanEntry(row pgx.CollectableRow) (AuditEntry, error) {
	var e AuditEntry
	var data string
	err := row.Scan(&e.SaleID, &e.Seq, &e.Kind, &e.At, &e.RecordedAt, &e.Actor, &data, &e.PrevHash, &e.Hash)
	e.Data = json.RawMessage(data)
	return e, err
}

// Checkpoint is a global checkpoint: the head of every sale's chain at one
// moment, itself chained to the previous checkpoint.
type Checkpoint struct {
	ID       int64       `json:"id"`
	At       time.Time   `json:"at"`
	Heads    []ChainHead `json:"heads"`
	PrevHash []byte      `json:"prev_hash"`
	Hash     []byte      `json:"hash"`
}

// ChainHead is the last entry of one sale's chain.
type ChainHead struct {
	SaleID int64  `json:"sale_id"`
	Seq    int64  `json:"seq"`
	Hash   string `json:"hash"`
}

func checkpointHash(prev []byte, at time.Time, heads []ChainHead) ([]byte, error) {
	body, err := canonical(map[string]any{"at": at.UTC().Format(time.RFC3339Nano), "heads": heads})
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	h.Write(prev)
	h.Write(body)
	return h.Sum(nil), nil
}

// WriteCheckpoint records the current head of every sale's chain, chained to
// the previous checkpoint, unless nothing changed since it. One writer at a
// time: a process that finds another writing skips its turn. It reports
// whether a checkpoint was written.
func (s *Store) WriteCheckpoint(ctx context.Context) (bool, error) {
	wrote := false
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var got bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(hashtext('minerights.audit_checkpoint'))`).Scan(&got); err != nil || !got {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT DISTINCT ON (sale_id) sale_id, seq, encode(hash, 'hex')
			FROM audit_event ORDER BY sale_id, seq DESC`)
		if err != nil {
			return err
		}
		heads, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ChainHead])
		if err != nil {
			return err
		}
		if heads == nil {
			heads = []ChainHead{}
		}
		prev := []byte{}
		var prevHeads []byte
		err = tx.QueryRow(ctx, `SELECT hash, heads::text FROM audit_checkpoint ORDER BY id DESC LIMIT 1`).Scan(&prev, &prevHeads)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if prevHeads != nil {
			var old []ChainHead
			if err := json.Unmarshal(prevHeads, &old); err == nil && slices.Equal(old, heads) {
				return nil
			}
		}
		var at time.Time
		if err := tx.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&at); err != nil {
			return err
		}
		h, err := checkpointHash(prev, at, heads)
		if err != nil {
			return err
		}
		hb, _ := json.Marshal(heads)
		if _, err := tx.Exec(ctx, `INSERT INTO audit_checkpoint (at, heads, prev_hash, hash) VALUES ($1, $2::jsonb, $3, $4)`,
			at, string(hb), prev, h); err != nil {
			return err
		}
		wrote = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("registry: audit checkpoint: %w", err)
	}
	return wrote, nil
}

// Checkpoints returns the latest checkpoints, newest first.
func (s *Store) Checkpoints(ctx context.Context, limit int) ([]Checkpoint, error) {
	rows, err := s.db(ctx).Query(ctx, `SELECT id, at, heads::text, prev_hash, hash FROM audit_checkpoint ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("registry: checkpoints: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanCheckpoint)
	if err != nil {
		return nil, fmt.Errorf("registry: checkpoints: %w", err)
	}
	return out, nil
}

func scanCheckpoint(row pgx.CollectableRow) (Checkpoint, error) {
	var c Checkpoint
	var heads string
	if err := row.Scan(&c.ID, &c.At, &heads, &c.PrevHash, &c.Hash); err != nil {
		return c, err
	}
	return c, json.Unmarshal([]byte(heads), &c.Heads)
}

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

// AuditReport is the result of VerifyAudit.
type AuditReport struct {
	OK          bool           `json:"ok"`
	Sales       []SaleAudit    `json:"sales"`
	Checkpoints int            `json:"checkpoints"`
	Problems    []AuditProblem `json:"problems"`
}

// VerifyAudit re-checks every sale's hash chain (or one sale's, when saleID
// is non-zero), the checkpoints over the chain heads, and re-derives each
// closed sale's outcome from its bids alone (auction.Winner), comparing it
// with the close recorded in the log, the reserve with its commitment, and
// the bids in the log with the bid table.
func (s *Store) VerifyAudit(ctx context.Context, saleID int64) (AuditReport, error) {
	rep := AuditReport{Sales: []SaleAudit{}, Problems: []AuditProblem{}}
	var ids []int64
	q := `SELECT id FROM sale WHERE audit_seq > 0 ORDER BY id`
	args := []any{}
	if saleID != 0 {
		q = `SELECT id FROM sale WHERE id = $1`
		args = append(args, saleID)
	}
	rows, err := s.db(ctx).Query(ctx, q, args...)
	if err == nil {
		ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	}
	if err != nil {
		return rep, fmt.Errorf("registry: verify audit: %w", err)
	}
	if saleID != 0 && len(ids) == 0 {
		return rep, fmt.Errorf("registry: verify audit of sale %d: %w", saleID, ErrNotFound)
	}
	heads := map[int64]AuditEntry{}
	for _, id := range ids {
		sa, last, probs, err := s.verifySale(ctx, id)
		if err != nil {
			return rep, err
		}
		heads[id] = last
		rep.Sales = append(rep.Sales, sa)
		rep.Problems = append(rep.Problems, probs...)
	}
	if saleID == 0 {
		n, probs, err := s.verifyCheckpoints(ctx)
		if err != nil {
			return rep, err
		}
		rep.Checkpoints = n
		rep.Problems = append(rep.Problems, probs...)
	}
	rep.OK = len(rep.Problems) == 0
	return rep, nil
}

func (s *Store) verifySale(ctx context.Context, id int64) (SaleAudit, AuditEntry, []AuditProblem, error) {
	sa := SaleAudit{SaleID: id, Outcome: "open", Derived: "open"}
	var probs []AuditProblem
	bad := func(seq int64, f string, args ...any) {
		probs = append(probs, AuditProblem{SaleID: id, Seq: seq, Problem: fmt.Sprintf(f, args...)})
	}
	entries, err := s.AuditEntries(ctx, id, 0, 0)
	if err != nil {
		return sa, AuditEntry{}, nil, err
	}
	var last AuditEntry
	var prev []byte
	var bids []auction.Bid
	var announced *auction.SaleAnnounced
	var revealed *auction.ReserveRevealed
	var closed auction.Event
	for i, e := range entries {
		if e.Seq != int64(i+1) {
			bad(e.Seq, "entry %d follows entry %d: entries are missing", e.Seq, int64(i))
		}
		if !bytes.Equal(e.PrevHash, prev) {
			bad(e.Seq, "prev_hash does not match the hash of entry %d", e.Seq-1)
		}
		h, err := EntryHash(e.PrevHash, e)
		if err != nil || !bytes.Equal(h, e.Hash) {
			bad(e.Seq, "hash mismatch: the entry was altered after it was written")
		}
		prev = e.Hash
		last = e
		if slices.Contains(registryKinds, e.Kind) {
			continue
		}
		ev, err := auction.DecodeEvent(e.Kind, e.Data)
		if err != nil {
			bad(e.Seq, "undecodable %s event: %v", e.Kind, err)
			continue
		}
		switch v := ev.(type) {
		case auction.SaleAnnounced:
			announced = &v
		case auction.BidAccepted:
			bids = append(bids, v.Bid)
		case auction.TenderBidReceived:
			bids = append(bids, v.Bid)
		case auction.ReserveRevealed:
			revealed = &v
		case auction.SaleSold, auction.SaleFailed:
			closed = ev
		}
	}
	sa.Entries = int64(len(entries))
	sa.Head = hex.EncodeToString(prev)

	var rowSeq int64
	var rowHead []byte
	var machine []byte
	if err := s.db(ctx).QueryRow(ctx, `SELECT audit_seq, audit_head, machine::text FROM sale WHERE id = $1`, id).Scan(&rowSeq, &rowHead, &machine); err != nil {
		return sa, last, nil, fmt.Errorf("registry: verify sale %d: %w", id, mapErr(err))
	}
	if rowSeq != sa.Entries || !bytes.Equal(rowHead, prev) {
		bad(0, "the sale records chain head %d but the log ends at %d", rowSeq, sa.Entries)
	}
	var m auction.Sale
	if err := json.Unmarshal(machine, &m); err != nil {
		return sa, last, nil, fmt.Errorf("registry: verify sale %d: %w", id, err)
	}

	// The bids in the log are the bids in the bid table.
	rows, err := s.db(ctx).Query(ctx, `SELECT seq, bidder_id, paddle, amount_yuan FROM bid WHERE sale_id = $1 ORDER BY seq`, id)
	if err != nil {
		return sa, last, nil, fmt.Errorf("registry: verify sale %d: %w", id, err)
	}
	type bidRow struct {
		Seq      int64
		BidderID int64
		Paddle   int
		Amount   int64
	}
	table, err := pgx.CollectRows(rows, pgx.RowToStructByPos[bidRow])
	if err != nil {
		return sa, last, nil, fmt.Errorf("registry: verify sale %d: %w", id, err)
	}
	if len(table) != len(bids) {
		bad(0, "the log holds %d bids, the bid table %d", len(bids), len(table))
	} else {
		for i, b := range bids {
			t := table[i]
			if uint64(t.Seq) != b.Seq || BidderKey(t.BidderID) != b.Bidder || t.Paddle != b.Paddle || t.Amount != b.Amount {
				bad(0, "bid %d differs between the log and the bid table", b.Seq)
			}
		}
	}

	if closed == nil {
		sa.OK = len(probs) == 0
		return sa, last, probs, nil
	}
	if announced == nil {
		bad(0, "the sale closed but its announcement is not in the log")
		return sa, last, probs, nil
	}
	floor := announced.Terms.StartingPrice
	if announced.ReserveCommitment != "" {
		switch salt, err := hexSalt(revealed); {
		case revealed == nil:
			bad(0, "the reserve was committed but never revealed")
		case err != nil || !auction.VerifyReserve(announced.ReserveCommitment, revealed.Amount, salt):
			bad(0, "the revealed reserve does not open the commitment published with the announcement")
		default:
			floor = revealed.Amount
		}
	}
	out := auction.Winner(bids, announced.Method, floor, m.Rules)
	switch v := closed.(type) {
	case auction.SaleSold:
		sa.Outcome = "sold"
		if !out.Sold || out.Best.Seq != v.Winner.Seq || out.Best.Amount != v.Winner.Amount || out.Best.Bidder != v.Winner.Bidder {
			bad(0, "the log says bid %d won at %d 元; the bids re-derive %s", v.Winner.Seq, v.Winner.Amount, describe(out))
		}
	case auction.SaleFailed:
		sa.Outcome = "failed: " + string(v.Reason)
		// A 拍卖 that did not start for want of bidders has no bids to show it.
		auctionNotStarted := announced.Method == auction.MethodAuction && v.Reason == auction.FailTooFewBidders && len(bids) == 0
		if !auctionNotStarted && (out.Sold || out.Reason != v.Reason) {
			bad(0, "the log says the sale failed (%s); the bids re-derive %s", v.Reason, describe(out))
		}
	}
	sa.Derived = describe(out)
	if out.Sold {
		sa.WinnerPaddle, sa.Price = out.Best.Paddle, out.Best.Amount
	}
	sa.OK = len(probs) == 0
	return sa, last, probs, nil
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

func (s *Store) verifyCheckpoints(ctx context.Context) (int, []AuditProblem, error) {
	rows, err := s.db(ctx).Query(ctx, `SELECT id, at, heads::text, prev_hash, hash FROM audit_checkpoint ORDER BY id`)
	if err != nil {
		return 0, nil, fmt.Errorf("registry: verify checkpoints: %w", err)
	}
	cps, err := pgx.CollectRows(rows, scanCheckpoint)
	if err != nil {
		return 0, nil, fmt.Errorf("registry: verify checkpoints: %w", err)
	}
	var probs []AuditProblem
	var prev []byte
	for _, c := range cps {
		if !bytes.Equal(c.PrevHash, prev) {
			probs = append(probs, AuditProblem{Checkpoint: c.ID, Problem: "prev_hash does not match the previous checkpoint"})
		}
		h, err := checkpointHash(c.PrevHash, c.At, c.Heads)
		if err != nil || !bytes.Equal(h, c.Hash) {
			probs = append(probs, AuditProblem{Checkpoint: c.ID, Problem: "checkpoint hash mismatch: the checkpoint was altered"})
		}
		prev = c.Hash
		for _, hd := range c.Heads {
			var got []byte
			err := s.db(ctx).QueryRow(ctx, `SELECT hash FROM audit_event WHERE sale_id = $1 AND seq = $2`, hd.SaleID, hd.Seq).Scan(&got)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return 0, nil, fmt.Errorf("registry: verify checkpoints: %w", err)
			}
			if hex.EncodeToString(got) != hd.Hash {
				probs = append(probs, AuditProblem{Checkpoint: c.ID, SaleID: hd.SaleID, Seq: hd.Seq,
					Problem: "the entry no longer has the hash the checkpoint recorded: the chain was rewritten"})
			}
		}
	}
	return len(cps), probs, nil
}
