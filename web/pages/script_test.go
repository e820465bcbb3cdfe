package pages_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pageReport is what every browser script under web/e2e reports beside its
// own findings: console errors, requests to other hosts, the pages it
// visited, its steps, and what axe-core found serious or critical.
type pageReport struct {
	Errors, Offsite, Pages, Steps []string
	Axe                           []struct {
		Page, ID, Impact string
		Nodes            []string
	}
}

// needBrowser returns node's path, skipping the test (failing it under CI)
// when node, Debian's chromium or the npm modules of web/ are missing.
func needBrowser(t *testing.T) string {
	t.Helper()
	node := needTool(t, "node", "apt-get install nodejs npm")
	needTool(t, "chromium", "apt-get install chromium")
	for _, m := range []string{"playwright-core", "axe-core"} {
		if _, err := os.Stat("../node_modules/" + m); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("web/node_modules/%s is missing: make test runs npm ci in web/", m)
			}
			t.Skipf("web/node_modules/%s is missing: run npm ci in web/", m)
		}
	}
	return node
}

// screenshotDir is where a script keeps its screenshots:
// MINERIGHTS_SCREENSHOTS when set, else a directory of the test's own.
func screenshotDir(t *testing.T) string {
	t.Helper()
	shots := os.Getenv("MINERIGHTS_SCREENSHOTS")
	if shots == "" {
		return t.TempDir()
	}
	if abs, err := filepath.Abs(shots); err == nil {
		return abs
	}
	return shots
}

// mustHaveScreenshots fails t for each of names that has no screenshot in
// shots (a PNG of a few KiB at least: a blank page is smaller).
func mustHaveScreenshots(t *testing.T, shots string, names ...string) {
	t.Helper()
	for _, p := range names {
		if fi, err := os.Stat(filepath.Join(shots, p+".png")); err != nil || fi.Size() < 5000 {
			t.Errorf("screenshot %s: %v", p, err)
		}
	}
}

// runScript runs web/e2e/<script> with node and env for at most limit,
// decodes the JSON it prints into res (whose pageReport is rep), logs its
// steps, and fails the test when the script failed, a page logged an error
// or asked another host for anything, or axe-core found a serious or
// critical violation.
func runScript(t *testing.T, parent context.Context, limit time.Duration, node, script string, env []string, res any, rep *pageReport) {
	t.Helper()
	ctx, cancel := context.WithTimeout(parent, limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "../e2e/"+script)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	runErr := cmd.Run()
	if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), res); err != nil {
		t.Fatalf("%s printed %q (%v): %v\n%s", script, out.String(), runErr, err, errb.String())
	}
	t.Logf("steps: %s", strings.Join(rep.Steps, "; "))
	if runErr != nil {
		t.Fatalf("%s: %v\n%s\nsaw %+v", script, runErr, errb.String(), res)
	}
	if len(rep.Errors) > 0 || len(rep.Offsite) > 0 {
		t.Errorf("page errors %v, requests to other hosts %v", rep.Errors, rep.Offsite)
	}
	for _, v := range rep.Axe {
		t.Errorf("axe-core: %s on %s: %s %v", v.Impact, v.Page, v.ID, v.Nodes)
	}
}
