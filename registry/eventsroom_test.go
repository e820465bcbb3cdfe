package registry

import (
	"bytes"
	"fmt"
	"testing"

	"minerights/auction"
)

// TestEncodeViewsOncePerClass: a room encodes an entry once per class of
// views (and once per view without a class), and hands every view of a
// class the same bytes.
func TestEncodeViewsOncePerClass(t *testing.T) {
	calls := map[string]int{}
	view := func(key, class string) viewCount {
		vc := viewCount{n: 1, encode: func(e AuditEntry, _ auction.Phase) []byte {
			calls[key]++
			return fmt.Appendf(nil, "%d as %s", e.Seq, class)
		}}
		if class != "" {
			vc.class = func(AuditEntry, auction.Phase) string { return class }
		}
		return vc
	}
	views := map[string]viewCount{"public": view("public", "redacted")}
	for i := range 63 {
		views[fmt.Sprintf("bidder:%d", i)] = view(fmt.Sprintf("bidder:%d", i), "redacted")
	}
	views["bidder:99"] = view("bidder:99", "whole")
	views["bureau"] = view("bureau", "whole")
	views["legacy"] = view("legacy", "")
	re := &ringEntry{entry: AuditEntry{Seq: 7}, frames: map[string][]byte{}}
	if n := encodeViews(re, views, auction.Phase{}); n != 3 {
		t.Fatalf("%d encodings for 66 views in 2 classes and 1 without: want 3 (calls %v)", n, calls)
	}
	total := 0
	for _, c := range calls {
		total += c
	}
	if total != 3 {
		t.Fatalf("encode called %d times, want 3", total)
	}
	if len(re.frames) != len(views) {
		t.Fatalf("%d views got bytes, want %d", len(re.frames), len(views))
	}
	for k, b := range re.frames {
		want := "7 as redacted"
		switch k {
		case "bidder:99", "bureau":
			want = "7 as whole"
		case "legacy":
			want = "7 as "
		}
		if !bytes.Equal(b, []byte(want)) {
			t.Errorf("view %s got %q, want %q", k, b, want)
		}
	}
	if &re.frames["public"][0] != &re.frames["bidder:5"][0] {
		t.Errorf("the views of one class hold copies, not the same bytes")
	}
}
