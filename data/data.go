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

//go:embed generated/redlines.geojson generated/farmland.geojson generated/mountains.geojson generated/mining_zones.geojson generated/mining_rights.geojson
var checkLayers embed.FS

// Layers returns the generated check layers (red lines, farmland, protected
// mountains, planned mining zones, existing mining rights) as GeoJSON, keyed
// by layer name.
func Layers() map[string][]byte {
	out := map[string][]byte{}
	for _, name := range []string{"redlines", "farmland", "mountains", "mining_zones", "mining_rights"} {
		b, err := checkLayers.ReadFile("generated/" + name + ".geojson")
		if err != nil {
			panic(err) // embedded at compile time
		}
		out[name] = b
	}
	return out
}

//go:embed rules/*.yaml
var rulesFiles embed.FS

//go:embed calendar/*.yaml
var calendarFiles embed.FS

// Rules returns the embedded transfer rules file of that name ("default" or
// "drill"), and false when there is none.
func Rules(name string) ([]byte, bool) {
	b, err := rulesFiles.ReadFile("rules/" + name + ".yaml")
	return b, err == nil
}

// Calendars returns every embedded working-day calendar (one YAML file per
// year), in file-name order.
func Calendars() [][]byte {
	entries, err := calendarFiles.ReadDir("calendar")
	if err != nil {
		panic(err) // the directory is embedded at compile time
	}
	var out [][]byte
	for _, e := range entries {
		b, err := calendarFiles.ReadFile("calendar/" + e.Name())
		if err != nil {
			panic(err)
		}
		out = append(out, b)
	}
	return out
}
