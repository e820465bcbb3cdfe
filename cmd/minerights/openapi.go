package main

import (
	"context"
	"net/http"
	"os"

	"minerights/openapi"
)

type openapiCmd struct {
	Out string `name:"out" short:"o" default:"-" help:"File to write, or - for standard output."`
}

func (c *openapiCmd) Run(ctx context.Context, g *globals) error {
	b, err := openapi.YAML(openapi.New(http.NewServeMux(), openapi.Deps{}))
	if err != nil {
		return err
	}
	if c.Out == "-" {
		_, err = g.stdout.Write(b)
		return err
	}
	return os.WriteFile(c.Out, b, 0o644)
}
