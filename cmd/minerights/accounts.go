package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"minerights/registry"
)

// userCmd manages the browser accounts of the bureau's clerks and planners.
type userCmd struct {
	Create  userCreateCmd  `cmd:"" help:"Create a clerk's (bureau) or planner's account for the web pages."`
	Disable userDisableCmd `cmd:"" help:"Disable an account: its sessions end in every serve process at once."`
}

type userCreateCmd struct {
	Role         string `name:"role" required:"" enum:"bureau,planner" help:"bureau or planner (bidding companies register themselves on /register)."`
	Login        string `name:"login" required:"" help:"The person's e-mail address, used to sign in."`
	Name         string `name:"name" required:"" help:"The person's name."`
	Phone        string `name:"phone" help:"Phone number."`
	PasswordFile string `name:"password-file" default:"-" help:"File whose first line is the first password; - reads standard input."`
}

func readPassword(path string) (string, error) {
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func (c *userCreateCmd) Run(ctx context.Context, g *globals) error {
	pw, err := readPassword(c.PasswordFile)
	if err != nil {
		return fmt.Errorf("password: %w", err)
	}
	pool, err := g.openPool(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	a, err := registry.New(pool).CreateUser(ctx, registry.UserInput{Role: c.Role, Login: c.Login, Name: c.Name, Phone: c.Phone, Password: pw}, "cli")
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "account %d created: %s (%s), signs in at /login as %s\n", a.ID, a.Name, a.Role, a.Login)
	return nil
}

type userDisableCmd struct {
	Account string `arg:"" help:"Account id, e-mail address or (for a bidder) unified social credit code."`
}

func (c *userDisableCmd) Run(ctx context.Context, g *globals) error {
	return withAccount(ctx, g, c.Account, func(s *registry.Store, a registry.Account) error {
		a, err := s.DisableAccount(ctx, a.ID)
		if err == nil {
			fmt.Fprintf(g.stdout, "account %d (%s) disabled\n", a.ID, a.Login)
		}
		return err
	})
}

// bidderCmd manages bidding companies.
type bidderCmd struct {
	Approve bidderApproveCmd `cmd:"" help:"Approve a bidding company's account after checking its papers: it may then apply for sales."`
}

type bidderApproveCmd struct {
	Account string `arg:"" help:"Account id, e-mail address or unified social credit code (统一社会信用代码)."`
}

func (c *bidderApproveCmd) Run(ctx context.Context, g *globals) error {
	return withAccount(ctx, g, c.Account, func(s *registry.Store, a registry.Account) error {
		a, err := s.ApproveBidder(ctx, a.ID, "cli")
		if err == nil {
			fmt.Fprintf(g.stdout, "bidder account %d approved: %s (bidder %d)\n", a.ID, a.Bidder.Name, a.Bidder.ID)
		}
		return err
	})
}

// withAccount finds the account named by an id, e-mail or credit code.
func withAccount(ctx context.Context, g *globals, key string, fn func(*registry.Store, registry.Account) error) error {
	pool, err := g.openPool(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	s := registry.New(pool)
	var a registry.Account
	if id, perr := strconv.ParseInt(key, 10, 64); perr == nil && len(key) < 18 {
		a, err = s.GetAccount(ctx, id)
	} else {
		a, err = s.FindAccount(ctx, key)
	}
	if errors.Is(err, registry.ErrNotFound) {
		return fmt.Errorf("no account %q", key)
	}
	if err != nil {
		return err
	}
	return fn(s, a)
}
