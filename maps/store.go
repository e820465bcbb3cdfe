package maps

import (
	"context"

	"minerights/registry"
)

// Features is the store's side of OGC API - Features: the collection list
// and pages of a collection's features as GeoJSON. The conditions of an
// items query are compiled here (compile.go); the store runs them.
type Features interface {
	MapCollections(ctx context.Context) ([]registry.Collection, error)
	Items(ctx context.Context, c registry.Collection, iq registry.ItemsQuery) (registry.ItemsPage, error)
	EachItem(ctx context.Context, c registry.Collection, iq registry.ItemsQuery, fn func(f []byte) error) (numberMatched int, err error)
}

// Tiles is the store's side of the vector tiles: cutting one, and building
// the generalised overviews of large layers.
type Tiles interface {
	Tile(ctx context.Context, c registry.Collection, z, x, y int, o registry.TileOptions) ([]byte, error)
	BuildOverviews(ctx context.Context) ([]string, error)
}

// Changes tells the caches what changed: it calls w until ctx ends.
type Changes interface {
	WatchMaps(ctx context.Context, w registry.MapWatcher) error
}

// Verdicts is the latest compliance verdict of each parcel, for the web map.
type Verdicts interface {
	LatestVerdicts(ctx context.Context, f registry.VerdictFilter) ([]registry.ParcelVerdict, error)
}

// Store is everything the map layers read.
type Store interface {
	Features
	Tiles
	Changes
	Verdicts
}
