package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"minerights/registry"
)

type tokenListCmd struct {
	JSON bool `name:"json" help:"Print JSON instead of a table."`
}

// shanghai is the bureau's time zone: times on the command line are shown
// in it whatever the machine's zone.
var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}()

func (c *tokenListCmd) Run(ctx context.Context, g *globals) error {
	pool, err := g.openPool(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	toks, err := registry.New(pool).Tokens(ctx)
	if err != nil {
		return err
	}
	if c.JSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		if toks == nil {
			toks = []registry.TokenInfo{}
		}
		return enc.Encode(toks)
	}
	at := func(t *time.Time, none string) string {
		if t == nil {
			return none
		}
		return t.In(shanghai).Format("2006-01-02 15:04")
	}
	// The name comes last: tabwriter aligns by runes, and a Chinese name
	// is twice as wide on a terminal.
	w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "id\trole\tcreated\texpires\trevoked\tlast used\tname")
	for _, t := range toks {
		name := t.Name
		if t.BidderID != nil {
			name = fmt.Sprintf("%s (bidder %d)", name, *t.BidderID)
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Role, at(&t.CreatedAt, ""),
			at(t.ExpiresAt, "never"), at(t.RevokedAt, "-"), at(t.LastUsedAt, "never"), name)
	}
	return w.Flush()
}
