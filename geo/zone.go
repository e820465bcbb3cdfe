package geo

import (
	"strconv"
)

// The 3° zones of China: 25 (75°E) to 45 (135°E).
const (
	MinZone = 25
	MaxZone = 45
)

// EPSGOfZone names the CRS of a zone as "EPSG:4526" (zone 38).
func EPSGOfZone(zone int) string { return "EPSG:" + strconv.Itoa(SRIDOfZone(zone)) }
