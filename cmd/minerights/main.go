// Command minerights is the mining-rights registry and transfer service: it
// serves the API, migrates and seeds the database, issues API tokens, writes
// the OpenAPI document, generates the stand-in geometry, and runs a
// project-local PostgreSQL cluster for development.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "minerights:", err)
		os.Exit(1)
	}
}

// globals are the settings every command shares.
type globals struct {
	DatabaseURL string `name:"database-url" env:"DATABASE_URL" help:"PostgreSQL URL of the primary (postgres://...)."`
	LogFormat   string `name:"log-format" env:"MINERIGHTS_LOG_FORMAT" enum:"text,json" default:"text" help:"Log format: text or json."`
	LogLevel    string `name:"log-level" env:"MINERIGHTS_LOG_LEVEL" enum:"debug,info,warn,error" default:"info" help:"Least level logged: debug, info (one line per request), warn or error."`

	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

type cli struct {
	globals

	Serve    serveCmd    `cmd:"" help:"Serve the API, the map and the OGC endpoints."`
	Migrate  migrateCmd  `cmd:"" help:"Apply the database migrations."`
	Seed     seedCmd     `cmd:"" help:"Load the counties and the 11 parcels of the 2020 plan (idempotent)."`
	Token    tokenCmd    `cmd:"" help:"Manage API tokens."`
	User     userCmd     `cmd:"" help:"Manage the web accounts of clerks and planners."`
	Bidder   bidderCmd   `cmd:"" help:"Approve bidding companies' accounts."`
	Audit    auditCmd    `cmd:"" help:"Verify the audit log."`
	Openapi  openapiCmd  `cmd:"" help:"Write the OpenAPI document."`
	Generate generateCmd `cmd:"" help:"Regenerate the stand-in parcel geometry and check layers under data/."`
	Import   importCmd   `cmd:"" help:"Import a check layer file (GeoJSON or 国土 TXT) as the layer's new version, all or nothing."`
	Calendar calendarCmd `cmd:"" help:"Load and list the working-day calendar years (holidays and adjusted working days) in the database."`
	Localdb  localdbCmd  `cmd:"" help:"Run a project-local PostgreSQL cluster for development."`
	Citus    citusCmd    `cmd:"" help:"Run a local Citus cluster and place the schema on Citus."`
}

// kongExit is what kong's exit function panics with: kong calls it after
// printing --help, and a function that returned would let the command run.
type kongExit struct{ code int }

// run parses args and runs the chosen command; getenv supplies the
// environment so tests can run commands without touching the process's.
// --help prints the help and returns nil without running anything.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(kongExit)
			if !ok {
				panic(r)
			}
			if err == nil && e.code != 0 {
				err = fmt.Errorf("exit status %d", e.code)
			}
		}
	}()
	var c cli
	parser, err := kong.New(&c,
		kong.Name("minerights"),
		kong.Description("Mining-rights registry and transfer service. Commands that use the database take DATABASE_URL, or find the project-local cluster that `make run` started in .data/."),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { panic(kongExit{code}) }),
		kong.Resolvers(envResolver(getenv)),
		kong.BindTo(ctx, (*context.Context)(nil)),
		kong.Bind(&c.globals),
	)
	if err != nil {
		return err
	}
	kctx, err := parser.Parse(args)
	if err != nil {
		return err
	}
	c.globals.stdout, c.globals.stderr = stdout, stderr
	c.globals.log = newLogger(stderr, c.LogFormat, c.LogLevel)
	if c.DatabaseURL == "" {
		c.DatabaseURL = localClusterURL(localDataDir)
	}
	return kctx.Run()
}

func newLogger(w io.Writer, format, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level)) // kong checked it is one of the names
	opts := &slog.HandlerOptions{Level: l}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// envResolver makes kong read `env` tags through getenv rather than the
// process environment.
func envResolver(getenv func(string) string) kong.Resolver {
	return kong.ResolverFunc(func(_ *kong.Context, _ *kong.Path, flag *kong.Flag) (any, error) {
		for _, name := range flag.Envs {
			if v := getenv(name); v != "" {
				return v, nil
			}
		}
		return nil, nil
	})
}
