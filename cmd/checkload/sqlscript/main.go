// Command sqlscript prints the pgbench script of `make bench-compliance`:
// the statements of one compliance check (registry.CheckSQL) on a random
// gazette parcel, the raw-SQL limit the API is measured against.
package main

import (
	"fmt"
	"strings"

	"minerights/registry"
)

func main() {
	fmt.Println(`\set no random(1, 11)`)
	for _, q := range registry.CheckSQL() {
		q = strings.ReplaceAll(q, "$1::bytea", "(SELECT ST_AsBinary(geom) FROM parcel WHERE gazette_no = :no)")
		q = strings.ReplaceAll(q, "$1", "(SELECT ST_AsBinary(geom) FROM parcel WHERE gazette_no = :no)")
		q = strings.ReplaceAll(q, "$2", "NULL::bigint")
		fmt.Println(strings.Join(strings.Fields(q), " ") + ";")
	}
}
