// Package pgcluster starts and stops a project-local PostgreSQL cluster with
// initdb and pg_ctl. It serves both the test harness (a throwaway cluster in a
// temporary directory) and `make run` (a cluster under .data/ when no
// DATABASE_URL is given).
//
// PostgreSQL refuses to run as root. When the current user is root the cluster
// is created and run as the `postgres` system user that Debian's packages
// create, and the directory is handed to that user.
package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Cluster is a PostgreSQL data directory together with the socket directory
// and port it listens on. The server listens only on a unix socket, so two
// clusters never compete for a TCP port.
type Cluster struct {
	// Dir holds pgdata/ and the socket.
	Dir string
	// Port is the port number in the socket's file name.
	Port int
	// BinDir holds initdb, pg_ctl and postgres.
	BinDir string
	// Settings are extra server settings (name=value), applied after the
	// defaults; a Citus node sets shared_preload_libraries and a loopback
	// listen address through them (see citus.go).
	Settings []string

	cred *syscall.Credential
	uid  int
	gid  int
}

// New describes a cluster in dir; nothing is created until Start. The
// PostgreSQL binaries are taken from PG_BINDIR or the newest
// /usr/lib/postgresql/*/bin.
func New(dir string, port int) (*Cluster, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: abs, Port: port, BinDir: bin, uid: -1, gid: -1}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("pgcluster: running as root needs the postgres system user (install postgresql-15): %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.uid, c.gid = uid, gid
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	return c, nil
}

func binDir() (string, error) {
	if d := os.Getenv("PG_BINDIR"); d != "" {
		return d, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		if p, err := exec.LookPath("pg_config"); err == nil {
			out, err := exec.Command(p, "--bindir").Output()
			if err == nil {
				return strings.TrimSpace(string(out)), nil
			}
		}
		return "", errors.New("pgcluster: no PostgreSQL server binaries found; install postgresql-15 and postgresql-15-postgis-3 or set PG_BINDIR")
	}
	sort.Slice(matches, func(i, j int) bool {
		return versionOf(matches[i]) > versionOf(matches[j])
	})
	return filepath.Dir(matches[0]), nil
}

func versionOf(path string) int {
	parts := strings.Split(path, string(filepath.Separator))
	for i, p := range parts {
		if p == "postgresql" && i+1 < len(parts) {
			n, _ := strconv.Atoi(parts[i+1])
			return n
		}
	}
	return 0
}

func (c *Cluster) dataDir() string   { return filepath.Join(c.Dir, "pgdata") }
func (c *Cluster) socketDir() string { return c.Dir }
func (c *Cluster) logFile() string   { return filepath.Join(c.Dir, "postgres.log") }

// URL returns a connection URL for database db as the superuser.
func (c *Cluster) URL(db string) string {
	q := url.Values{}
	q.Set("host", c.socketDir())
	q.Set("port", strconv.Itoa(c.Port))
	q.Set("user", "postgres")
	return (&url.URL{Scheme: "postgres", Path: "/" + db, RawQuery: q.Encode()}).String()
}

func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir, name), args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "LANG=C.UTF-8")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
}

func run(cmd *exec.Cmd) error {
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w\n%s", filepath.Base(cmd.Path), err, out.String())
	}
	return nil
}

// Initialized reports whether the data directory already holds a cluster.
func (c *Cluster) Initialized() bool {
	_, err := os.Stat(filepath.Join(c.dataDir(), "PG_VERSION"))
	return err == nil
}

// Start creates the cluster if needed and starts the server, waiting until it
// accepts connections. Durable selects fsync on; a throwaway test cluster runs
// without it.
func (c *Cluster) Start(ctx context.Context, durable bool) error {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return err
	}
	if err := c.chown(c.Dir); err != nil {
		return err
	}
	if !c.Initialized() {
		if err := run(c.command(ctx, "initdb", "-D", c.dataDir(), "-U", "postgres",
			"--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")); err != nil {
			return fmt.Errorf("pgcluster: initdb: %w", err)
		}
	}
	if c.Running(ctx) {
		return nil
	}
	opts := []string{
		"-c listen_addresses=''",
		"-c unix_socket_directories=" + c.socketDir(),
		"-p " + strconv.Itoa(c.Port),
		"-c max_connections=300",
		"-c shared_buffers=256MB",
		"-c wal_level=replica",
		"-c max_wal_senders=10",
	}
	for _, kv := range c.Settings {
		opts = append(opts, "-c "+kv)
	}
	if !durable {
		opts = append(opts, "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off")
	}
	if err := run(c.command(ctx, "pg_ctl", "-D", c.dataDir(), "-l", c.logFile(), "-w", "-t", "60",
		"-o", strings.Join(opts, " "), "start")); err != nil {
		return fmt.Errorf("pgcluster: start: %w", err)
	}
	return nil
}

// Running reports whether the server answers pg_ctl status.
func (c *Cluster) Running(ctx context.Context) bool {
	return c.command(ctx, "pg_ctl", "-D", c.dataDir(), "status").Run() == nil
}

// Stop shuts the server down (fast mode) if it is running.
func (c *Cluster) Stop(ctx context.Context) error {
	if !c.Initialized() || !c.Running(ctx) {
		return nil
	}
	if err := run(c.command(ctx, "pg_ctl", "-D", c.dataDir(), "-m", "fast", "-w", "-t", "60", "stop")); err != nil {
		return fmt.Errorf("pgcluster: stop: %w", err)
	}
	return nil
}

// Remove stops the server and deletes its directory.
func (c *Cluster) Remove(ctx context.Context) error {
	err := c.Stop(ctx)
	return errors.Join(err, os.RemoveAll(c.Dir))
}

// WaitReady polls until the socket file exists or ctx ends.
func (c *Cluster) WaitReady(ctx context.Context) error {
	sock := filepath.Join(c.socketDir(), fmt.Sprintf(".s.PGSQL.%d", c.Port))
	for {
		if _, err := os.Stat(sock); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (c *Cluster) chown(path string) error {
	if c.cred == nil {
		return nil
	}
	return os.Chown(path, c.uid, c.gid)
}

// StartReplica makes a streaming replica of c in dir with pg_basebackup -R
// and starts it; it follows c over the unix socket.
func (c *Cluster) StartReplica(ctx context.Context, dir string, port int) (*Cluster, error) {
	r, err := New(dir, port)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		return nil, err
	}
	if err := r.chown(r.Dir); err != nil {
		return nil, err
	}
	if !r.Initialized() {
		if err := run(r.command(ctx, "pg_basebackup", "-D", r.dataDir(), "-R", "-X", "stream", "-c", "fast",
			"-h", c.socketDir(), "-p", strconv.Itoa(c.Port), "-U", "postgres", "--no-sync")); err != nil {
			return nil, fmt.Errorf("pgcluster: base backup: %w", err)
		}
	}
	if err := r.Start(ctx, false); err != nil {
		return nil, err
	}
	return r, nil
}

// CreateDatabase creates database db on the cluster unless it exists.
func (c *Cluster) CreateDatabase(ctx context.Context, db string) error {
	return createDatabase(ctx, c.URL("postgres"), db)
}
