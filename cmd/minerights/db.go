package main

import (
	"context"
	"fmt"
	"time"

	"minerights/data"
	"minerights/registry"
)

type migrateCmd struct{}

func (c *migrateCmd) Run(ctx context.Context, g *globals) error {
	if g.DatabaseURL == "" {
		_, err := g.openPool(ctx)
		return err
	}
	if err := registry.Migrate(ctx, g.DatabaseURL, data.Migrations()); err != nil {
		return err
	}
	g.log.Info("migrated")
	return nil
}

type seedCmd struct{}

func (c *seedCmd) Run(ctx context.Context, g *globals) error {
	pool, err := g.openPool(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	rep, err := registry.New(pool).Seed(ctx, seedData())
	if err != nil {
		return err
	}
	g.log.Info("seeded", "counties", rep.Counties, "parcels_inserted", rep.ParcelsInserted, "parcels_present", rep.ParcelsPresent, "layers_imported", rep.LayersImported)
	return nil
}

// seedData is the embedded seed: counties, gazette facts, generated parcels.
func seedData() registry.SeedData {
	return registry.SeedData{Counties: data.Counties(), Facts: data.Facts(), Parcels: data.Parcels(), Layers: data.Layers()}
}

type tokenCmd struct {
	Create tokenCreateCmd `cmd:"" help:"Create a bearer token and print it once (the token on stdout, its id on stderr)."`
	List   tokenListCmd   `cmd:"" help:"List the tokens: id, role, name, created, expires, revoked, last used (never the secrets)."`
	Revoke tokenRevokeCmd `cmd:"" help:"Revoke a token by its id: refused from now on by every serve process."`
}

type tokenRevokeCmd struct {
	ID int64 `arg:"" help:"The token's id (the id of its row in api_token, shown in the logs of its requests as role#id)."`
}

func (c *tokenRevokeCmd) Run(ctx context.Context, g *globals) error {
	pool, err := g.openPool(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := registry.New(pool).RevokeToken(ctx, c.ID); err != nil {
		return err
	}
	g.log.Info("token revoked", "token_id", c.ID)
	return nil
}

type tokenCreateCmd struct {
	Role string        `name:"role" required:"" enum:"bureau,bidder,planner" help:"bureau, bidder or planner."`
	Name string        `name:"name" required:"" help:"Who the token is for."`
	TTL  time.Duration `name:"ttl" help:"Lifetime; 0 never expires."`
	// Bidder tokens act for a registered bidder: an existing one, or one
	// registered here under --name.
	BidderID   int64  `name:"bidder-id" help:"With --role bidder: link the token to this registered bidder instead of registering a new one."`
	CreditCode string `name:"credit-code" help:"With --role bidder: the new bidder's unified social credit code (统一社会信用代码)."`
}

func (c *tokenCreateCmd) Run(ctx context.Context, g *globals) error {
	pool, err := g.openPool(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	store := registry.New(pool)
	var tok string
	if c.Role == registry.RoleBidder {
		tok, err = c.bidderToken(ctx, g, store)
	} else {
		tok, err = store.CreateToken(ctx, c.Role, c.Name, c.TTL)
	}
	if err != nil {
		return err
	}
	id, err := store.TokenID(ctx, tok)
	if err != nil {
		return err
	}
	// The token alone goes to stdout, so that TOKEN=$(minerights token
	// create ...) works; the id, which revoking needs, goes to the terminal.
	fmt.Fprintln(g.stdout, tok)
	fmt.Fprintf(g.stderr, "token %d (%s, %s) created; it is shown only now. Revoke it with: minerights token revoke %d\n", id, c.Role, c.Name, id)
	return nil
}

// bidderToken registers the bidder unless --bidder-id names one, and
// issues a token linked to it.
func (c *tokenCreateCmd) bidderToken(ctx context.Context, g *globals, store *registry.Store) (string, error) {
	id := c.BidderID
	if id == 0 {
		in := registry.BidderInput{Name: c.Name}
		if c.CreditCode != "" {
			in.CreditCode = &c.CreditCode
		}
		b, err := store.CreateBidder(ctx, in)
		if err != nil {
			return "", err
		}
		id = b.ID
		g.log.Info("bidder registered", "bidder_id", id, "name", b.Name)
	} else if _, err := store.GetBidder(ctx, id); err != nil {
		return "", err
	}
	return store.CreateBidderToken(ctx, id, c.Name, c.TTL)
}
