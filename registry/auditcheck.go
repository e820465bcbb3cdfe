package registry

import (
	"bytes"
	"context"
	"maps"
	"slices"
)

// DefaultAuditRecheck is how many old audit entries (and checkpoint heads)
// CheckAudit re-reads per call, beside everything new. A chain costs
// chainCost entries beside its own, for its transaction and its queries.
const (
	DefaultAuditRecheck = 2000
	chainCost           = 100
)

// auditCache is what CheckAudit verified so far in this process.
type auditCache struct {
	sem     chan struct{} // one check at a time; the others wait for it
	recheck int
	chains  map[int64]*chainState
	scrub   int64 // the sale after which the next full re-check starts
	cpLast  int64 // the last checkpoint verified
	cpCount int
	cpProbs map[int64][]AuditProblem
	cpScrub int64 // the checkpoint after which the next re-check starts
}

func newAuditCache() *auditCache {
	return &auditCache{sem: make(chan struct{}, 1), recheck: DefaultAuditRecheck, chains: map[int64]*chainState{}, cpProbs: map[int64][]AuditProblem{}}
}

// SetAuditRecheck sets how many old entries and checkpoint heads each
// CheckAudit re-reads (DefaultAuditRecheck unless set).
func (s *Store) SetAuditRecheck(n int) {
	s.audit.sem <- struct{}{}
	s.audit.recheck = max(1, n)
	<-s.audit.sem
}

// CheckAudit answers the same as VerifyAudit at a cost that does not grow
// with the history: it verifies what was appended since its last call from
// where that call stopped (each chain from its last verified entry, the
// checkpoints after the last one), reuses the result of a chain whose head
// has not moved, and re-verifies in full a rotating slice of the older
// history (whole chains of about recheck entries, and checkpoints with about
// recheck heads), so that every old row is read again after a bounded number
// of calls. A row altered in place is found when its chain's turn comes, at
// once when the history is smaller than the slice; a rewritten head, sale
// row or checkpoint at the next call.
func (s *Store) CheckAudit(ctx context.Context, saleID int64) (AuditReport, error) {
	rep := AuditReport{Sales: []SaleAudit{}, Problems: []AuditProblem{}}
	c := s.audit
	select {
	case c.sem <- struct{}{}:
		defer func() { <-c.sem }()
	case <-ctx.Done():
		return rep, ctx.Err()
	}
	heads, err := s.chainHeads(ctx, saleID)
	if err != nil {
		return rep, err
	}
	// Chains whose head moved (or was rewritten) go on from where they
	// stopped.
	for _, h := range heads {
		st := c.chains[h.id]
		if st != nil && st.seq == h.seq && bytes.Equal(st.head, h.head) {
			continue
		}
		if st != nil && st.seq > h.seq {
			st = nil // the sale row went back: read the chain again
		}
		st, n, err := s.verifySale(ctx, h.id, st)
		if err != nil {
			return rep, err
		}
		c.chains[h.id], rep.Read = st, rep.Read+n
	}
	// A slice of the history is read again in full.
	budget := int64(c.recheck)
	if saleID != 0 {
		if st := c.chains[saleID]; st.seq <= budget {
			st, n, err := s.verifySale(ctx, saleID, nil)
			if err != nil {
				return rep, err
			}
			c.chains[saleID], rep.Read = st, rep.Read+n
		}
	} else if len(heads) > 0 {
		start := slices.IndexFunc(heads, func(h saleHead) bool { return h.id > c.scrub })
		if start < 0 {
			start = 0
		}
		var spent int64
		for i := 0; i < len(heads) && (i == 0 || spent+heads[(start+i)%len(heads)].seq+chainCost <= budget); i++ {
			h := heads[(start+i)%len(heads)]
			st, n, err := s.verifySale(ctx, h.id, nil)
			if err != nil {
				return rep, err
			}
			c.chains[h.id], rep.Read, spent, c.scrub = st, rep.Read+n, spent+n+chainCost, h.id
		}
	}
	for _, h := range heads {
		st := c.chains[h.id]
		rep.Sales = append(rep.Sales, st.audit)
		rep.Problems = append(rep.Problems, st.probs...)
	}
	if saleID == 0 {
		if err := s.checkCheckpoints(ctx, len(heads), &rep); err != nil {
			return rep, err
		}
	}
	rep.OK = len(rep.Problems) == 0
	return rep, nil
}

// checkCheckpoints verifies the checkpoints written since the last call and
// re-verifies a rotating run of older ones.
func (s *Store) checkCheckpoints(ctx context.Context, sales int, rep *AuditReport) error {
	c := s.audit
	cp, err := s.verifyCheckpoints(ctx, c.cpLast, 0)
	if err != nil {
		return err
	}
	c.keep(cp.probs)
	c.cpCount += cp.n
	if cp.n > 0 {
		c.cpLast = cp.last
	}
	rep.Read += cp.heads
	if c.cpCount > 0 {
		run := max(1, c.recheck/max(1, sales))
		old, err := s.verifyCheckpoints(ctx, c.cpScrub, run)
		if err != nil {
			return err
		}
		c.keep(old.probs)
		rep.Read += old.heads
		c.cpScrub = old.last
		if old.n < run || old.last >= c.cpLast {
			c.cpScrub = 0
		}
	}
	rep.Checkpoints = c.cpCount
	ids := slices.Sorted(maps.Keys(c.cpProbs))
	for _, id := range ids {
		rep.Problems = append(rep.Problems, c.cpProbs[id]...)
	}
	return nil
}

// keep records the problems of verified checkpoints, forgetting those of
// checkpoints that verified, so that the map holds problems only.
func (c *auditCache) keep(probs map[int64][]AuditProblem) {
	for id, ps := range probs {
		if len(ps) == 0 {
			delete(c.cpProbs, id)
		} else {
			c.cpProbs[id] = ps
		}
	}
}
