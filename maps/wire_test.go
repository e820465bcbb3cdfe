package maps

import (
	"testing"

	"minerights/internal/wiretest"
	"minerights/registry"
)

// TestParcelVerdictSaysWhatTheStoreSays: the map's verdict reads, in JSON,
// exactly as the store's, every field filled.
func TestParcelVerdictSaysWhatTheStoreSays(t *testing.T) {
	v := wiretest.Filled[registry.ParcelVerdict]()
	wiretest.SameJSON(t, v, parcelVerdictOf(v))
}
