package registry

import (
	"fmt"
	"regexp"
)

// integerID is a feature id of a collection keyed by a bigint.
var integerID = regexp.MustCompile(`^[1-9][0-9]{0,17}$`)

// CheckFeatureID refuses, as not found, an id that cannot be one of the
// collection's features (text where the key is a number): the database
// would otherwise be asked to cast it and answer with an error of its own.
func (c Collection) CheckFeatureID(id string) error {
	if c.src.idType == TypeInteger && !integerID.MatchString(id) {
		return fmt.Errorf("registry: feature %q of %s: %w", id, c.ID, ErrNotFound)
	}
	return nil
}
