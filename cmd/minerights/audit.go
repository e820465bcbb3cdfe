package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"minerights/registry"
)

type auditCmd struct {
	Verify auditVerifyCmd `cmd:"" help:"Re-check every sale's hash chain and the checkpoints, and re-derive each sale's winner from its bids."`
}

type auditVerifyCmd struct {
	Sale int64 `name:"sale" help:"Verify one sale only."`
	JSON bool  `name:"json" help:"Print the full report as JSON."`
}

// errAuditFailed makes the command exit non-zero when the log does not
// verify, so that a cron job or CI step notices.
var errAuditFailed = errors.New("audit verification failed")

func (c *auditVerifyCmd) Run(ctx context.Context, g *globals) error {
	pool, err := g.openPool(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	rep, err := registry.New(pool).VerifyAudit(ctx, c.Sale)
	if err != nil {
		return err
	}
	if c.JSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		for _, s := range rep.Sales {
			mark := "ok"
			if !s.OK {
				mark = "FAILED"
			}
			line := fmt.Sprintf("sale %d: %d entries, head %.16s…, log %s, bids re-derive %s", s.SaleID, s.Entries, s.Head, s.Outcome, s.Derived)
			if s.WinnerPaddle != 0 {
				line += fmt.Sprintf(" (paddle %d at %d 元)", s.WinnerPaddle, s.Price)
			}
			fmt.Fprintf(g.stdout, "%-6s %s\n", mark, line)
		}
		for _, p := range rep.Problems {
			fmt.Fprintf(g.stdout, "PROBLEM sale %d entry %d checkpoint %d: %s\n", p.SaleID, p.Seq, p.Checkpoint, p.Problem)
		}
		fmt.Fprintf(g.stdout, "%d sales, %d checkpoints, %d problems\n", len(rep.Sales), rep.Checkpoints, len(rep.Problems))
	}
	if !rep.OK {
		return errAuditFailed
	}
	return nil
}
