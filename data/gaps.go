package data

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"testing/fstest"
)

// gapless serves the migrations of sub with every missing number below the
// highest filled by an empty NNN_reserved.sql: tern refuses a gap, and a
// number may be reserved for a migration that is not in this tree yet.
func gapless(sub fs.FS) fs.FS {
	es, err := fs.ReadDir(sub, ".")
	if err != nil {
		panic(err) // the directory is embedded at compile time
	}
	out := fstest.MapFS{}
	have := map[int]bool{}
	top := 0
	for _, e := range es {
		n, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if err != nil {
			continue
		}
		b, err := fs.ReadFile(sub, e.Name())
		if err != nil {
			panic(err)
		}
		out[e.Name()] = &fstest.MapFile{Data: b, Mode: 0o444}
		have[n], top = true, max(top, n)
	}
	for n := 1; n < top; n++ {
		if !have[n] {
			out[fmt.Sprintf("%03d_reserved.sql", n)] = &fstest.MapFile{Data: []byte("-- a number reserved for a migration not in this tree\nSELECT 1;\n"), Mode: 0o444}
		}
	}
	return out
}
