package data

import (
	"fmt"
	"io/fs"
	"strings"
	"testing/fstest"
)

// gapless numbers the migrations 001, 002, ... in the order of their
// numbers when there is a gap (tern refuses one). Migration numbers are
// handed out to lines of work ahead of time, so a line of work can hold a
// migration numbered beyond ones that do not exist yet; once every number
// is taken this is the identity.
func gapless(fsys fs.FS) fs.FS {
	names, err := fs.Glob(fsys, "*.sql") // sorted
	if err != nil {
		panic(err)
	}
	out := fstest.MapFS{}
	gap := false
	for i, n := range names {
		num, rest, ok := strings.Cut(n, "_")
		want := fmt.Sprintf("%03d", i+1)
		if !ok {
			continue
		}
		if num != want {
			gap = true
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			panic(err)
		}
		out[want+"_"+rest] = &fstest.MapFile{Data: b, Mode: 0o444}
	}
	if !gap {
		return fsys
	}
	return out
}
