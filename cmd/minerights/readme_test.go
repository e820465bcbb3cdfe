package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readmeBlock is a fenced shell block of the README.
type readmeBlock struct {
	line   int
	info   string
	script string
}

// readmeBlocks returns the README's ```sh blocks; a block whose info
// string is "sh no-test" is one the test cannot run (it says why).
func readmeBlocks(t *testing.T, path string) (run, skipped []readmeBlock) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var cur *readmeBlock
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(line, "```sh"):
			cur = &readmeBlock{line: n, info: strings.TrimSpace(strings.TrimPrefix(line, "```"))}
		case cur != nil && strings.HasPrefix(line, "```"):
			if cur.info == "sh" {
				run = append(run, *cur)
			} else if cur.info == "sh no-test" {
				skipped = append(skipped, *cur)
			} else {
				t.Fatalf("README line %d: unknown block %q: use sh, or sh no-test for a block the test cannot run", cur.line, cur.info)
			}
			cur = nil
		case cur != nil:
			cur.script += line + "\n"
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return run, skipped
}

// TestREADMECommands runs every shell block of the README, in order, in
// one bash as a newcomer would type them: in a copy of the project's
// layout (bin/minerights built from this tree, examples/, data/), with the
// test cluster standing in for the one `make run` keeps in .data/ (no
// DATABASE_URL), migrated and seeded by the command line, and a server on
// a free port in place of 127.0.0.1:8080. Any failing command fails the
// test, naming its block.
func TestREADMECommands(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq", "ogrinfo", "ogr2ogr"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is missing; CI must have it", tool)
			}
			t.Skipf("%s is missing", tool)
		}
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	blocks, skipped := readmeBlocks(t, filepath.Join(root, "README.md"))
	if len(blocks) < 5 {
		t.Fatalf("only %d shell blocks in the README", len(blocks))
	}
	if len(skipped) > 3 {
		t.Errorf("%d blocks are marked no-test; keep them few", len(skipped))
	}

	dir := t.TempDir()
	bin := filepath.Join(dir, "bin", "minerights")
	build := exec.Command("go", "build", "-o", bin, "./cmd/minerights")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, d := range []string{"examples", "data"} {
		if err := os.Symlink(filepath.Join(root, d), filepath.Join(dir, d)); err != nil {
			t.Fatal(err)
		}
	}
	asLocalCluster(t, dir)
	ctx := context.Background()

	// What `make run` does, from the directory the README's commands run in.
	t.Chdir(dir)
	for _, args := range [][]string{{"migrate"}, {"seed"}} {
		if _, err := runCLI(t, nil, args...); err != nil {
			t.Fatalf("%v on the local cluster: %v", args, err)
		}
	}
	sctx, cancel := context.WithCancel(ctx)
	var logs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(sctx, []string{"serve", "--addr", "127.0.0.1:0"}, func(string) string { return "" }, &logs, &logs)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("server did not stop")
		}
	})
	var addr string
	for deadline := time.Now().Add(20 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := servingAddr.FindStringSubmatch(logs.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("server did not start: %s", logs.String())
	}

	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	for i, b := range blocks {
		fmt.Fprintf(&script, "echo '=== README block %d (line %d)' >&2\n", i+1, b.line)
		script.WriteString(strings.ReplaceAll(b.script, "127.0.0.1:8080", addr))
	}
	cmd := exec.Command("bash", "-c", script.String())
	cmd.Dir = dir
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DATABASE_URL=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "GDAL_HTTP_TIMEOUT=30")
	out, err := cmd.CombinedOutput()
	if err != nil {
		last := ""
		for _, m := range regexp.MustCompile(`=== README block \d+ \(line \d+\)`).FindAllString(string(out), -1) {
			last = m
		}
		t.Fatalf("%s failed: %v\n%s", strings.TrimPrefix(last, "=== "), err, out)
	}
	// What the blocks should have shown.
	for _, want := range []string{
		`"name":"河南省泌阳县黑石板沟饰面花岗岩矿","area":"5.3782","price":"43586.65"`,
		`"price":null`,
		`"name":"泌阳县示例建筑石料用花岗岩矿"`,
		`"name":"泌阳县示例砖瓦用页岩矿"`,
		"token 1 (bureau, 登记科) created",
		"host=" + url.QueryEscape(filepath.Join(dir, ".data")),
		"layer railways (kind railway) version 1 is current: 2 features",
		"is identical to version 1",
		"Feature Count: 13", // the 11 and the two examples
		"Feature Count: 12",
		"2026",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the README's commands did not show %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "ERROR") {
		t.Errorf("a command reported an ERROR:\n%s", out)
	}
	if n := strings.Count(string(out), `"price":null`); n != 8 {
		t.Errorf("%d parcels without a price, the README says 8", n)
	}
}

// TestSeedSourceExists: the seed names its source document by a path in
// the repository.
func TestSeedSourceExists(t *testing.T) {
	b, err := os.ReadFile("../../data/seed/parcels.json")
	if err != nil {
		t.Fatal(err)
	}
	var seed struct{ Source string }
	if err := json.Unmarshal(b, &seed); err != nil {
		t.Fatal(err)
	}
	path := strings.Fields(seed.Source)[0]
	doc, err := os.ReadFile(filepath.Join("../..", path))
	if err != nil {
		t.Fatalf("the seed's source %q: %v", path, err)
	}
	for _, want := range []string{"驻政办〔2020〕36号", "黑石板沟", "43586.65万元"} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("%s lacks %q", path, want)
		}
	}
}
