// Package data holds the embedded assets of minerights: the SQL migrations,
// the seed facts of the 11 parcels of the 2020 Zhumadian plan, the county
// boundaries, the generated parcel geometry and check layers, the transfer
// rules and the working-day calendars.
package data

import (
	"embed"
	"io/fs"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the SQL migrations, named NNN_name.sql, in the form the
// tern migrator reads.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the directory is embedded at compile time
	}
	return sub
}

//go:embed seed/parcels.json
var facts []byte

//go:embed layers/zhumadian-counties.geojson
var counties []byte

//go:embed generated/parcels.geojson
var parcels []byte

// Facts returns the gazette facts of the 11 parcels (parcels.json), copied
// exactly from the 2020 No. 6 gazette of the Zhumadian city government.
func Facts() []byte { return facts }

// Counties returns the county boundaries of Zhumadian as GeoJSON, the
// feature id being the administrative code.
func Counties() []byte { return counties }

// Parcels returns the generated stand-in geometry of the 11 parcels as
// GeoJSON, property "no" being the gazette number.
func Parcels() []byte { return parcels }
