package registry

import (
	"bytes"
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

type saleHead struct {
	id   int64
	seq  int64
	head []byte
}

// chainHeads returns the chain head each sale row records (one sale's when
// saleID is non-zero).
func (s *Store) chainHeads(ctx context.Context, saleID int64) ([]saleHead, error) {
	q := `SELECT id, audit_seq, audit_head FROM sale WHERE audit_seq > 0 ORDER BY id`
	args := []any{}
	if saleID != 0 {
		q = `SELECT id, audit_seq, audit_head FROM sale WHERE id = $1`
		args = append(args, saleID)
	}
	rows, err := s.db(ctx).Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("registry: verify audit: %w", err)
	}
	heads, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (saleHead, error) {
		var h saleHead
		err := r.Scan(&h.id, &h.seq, &h.head)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("registry: verify audit: %w", err)
	}
	if saleID != 0 && len(heads) == 0 {
		return nil, fmt.Errorf("registry: verify audit of sale %d: %w", saleID, ErrNotFound)
	}
	return heads, nil
}

// checkpointCheck is the verification of a run of checkpoints.
type checkpointCheck struct {
	n     int                      // checkpoints verified
	last  int64                    // the last one's id
	ids   []int64                  // their ids, in order
	probs map[int64][]AuditProblem // by checkpoint id
	heads int64                    // chain heads read
}

// verifyCheckpoints verifies the checkpoints after id `after` (0: from the
// first), at most limit of them (0: all): each is chained to the one before
// it, its hash covers its heads, and each head is still the hash of the entry
// it names (one query for all the run's heads).
func (s *Store) verifyCheckpoints(ctx context.Context, after int64, limit int) (checkpointCheck, error) {
	out := checkpointCheck{probs: map[int64][]AuditProblem{}}
	if limit <= 0 {
		limit = 1 << 30
	}
	// The run starts with the checkpoint before it, whose hash the first
	// one's prev_hash must be.
	rows, err := s.db(ctx).Query(ctx, `SELECT id, at, heads::text, prev_hash, hash FROM audit_checkpoint
		WHERE id >= coalesce((SELECT max(id) FROM audit_checkpoint WHERE id <= $1 AND $1 > 0), 0) ORDER BY id LIMIT $2`, after, limit+1)
	if err != nil {
		return out, fmt.Errorf("registry: verify checkpoints: %w", err)
	}
	cps, err := pgx.CollectRows(rows, scanCheckpoint)
	if err != nil {
		return out, fmt.Errorf("registry: verify checkpoints: %w", err)
	}
	var prev []byte
	if after > 0 && len(cps) > 0 && cps[0].ID <= after {
		prev, cps = cps[0].Hash, cps[1:]
	}
	if len(cps) > limit {
		cps = cps[:limit]
	}
	var sales, seqs []int64
	for _, c := range cps {
		for _, hd := range c.Heads {
			sales, seqs = append(sales, hd.SaleID), append(seqs, hd.Seq)
		}
	}
	now := map[[2]int64]string{}
	if len(sales) > 0 {
		rows, err := s.db(ctx).Query(ctx, `SELECT u.sale_id, u.seq, coalesce(encode(a.hash, 'hex'), '')
			FROM unnest($1::bigint[], $2::bigint[]) AS u(sale_id, seq) LEFT JOIN audit_event a ON a.sale_id = u.sale_id AND a.seq = u.seq`, sales, seqs)
		if err != nil {
			return out, fmt.Errorf("registry: verify checkpoints: %w", err)
		}
		var id, seq int64
		var h string
		if _, err := pgx.ForEachRow(rows, []any{&id, &seq, &h}, func() error {
			now[[2]int64{id, seq}] = h
			return nil
		}); err != nil {
			return out, fmt.Errorf("registry: verify checkpoints: %w", err)
		}
	}
	for _, c := range cps {
		var probs []AuditProblem
		if !bytes.Equal(c.PrevHash, prev) {
			probs = append(probs, AuditProblem{Checkpoint: c.ID, Problem: "prev_hash does not match the previous checkpoint"})
		}
		h, err := checkpointHash(c.PrevHash, c.At, c.Heads)
		if err != nil || !bytes.Equal(h, c.Hash) {
			probs = append(probs, AuditProblem{Checkpoint: c.ID, Problem: "checkpoint hash mismatch: the checkpoint was altered"})
		}
		prev = c.Hash
		for _, hd := range c.Heads {
			if now[[2]int64{hd.SaleID, hd.Seq}] != hd.Hash {
				probs = append(probs, AuditProblem{Checkpoint: c.ID, SaleID: hd.SaleID, Seq: hd.Seq,
					Problem: "the entry no longer has the hash the checkpoint recorded: the chain was rewritten"})
			}
		}
		out.probs[c.ID] = probs
		out.ids = append(out.ids, c.ID)
		out.n++
		out.last = c.ID
	}
	out.heads = int64(len(sales))
	return out, nil
}
