package geo

import (
	"errors"
	"fmt"
	"strings"
)

// Error is the one error type of the package. It says where the problem is
// in the terms the person who typed the coordinates uses (file line, block
// or polygon, ring, corner label) so that a clerk can fix the source
// document without a developer. Zero fields are unknown or not applicable.
type Error struct {
	Line    int    // 1-based line of a TXT file
	Block   int    // 1-based block (地块) of a TXT file
	Polygon int    // 1-based polygon of a MultiPolygon (GeoJSON or lon/lat input)
	Ring    int    // 1-based ring (圈号): 1 is the outer boundary, 2+ are holes
	Point   int    // 1-based corner index within the ring
	Label   string // corner label (点号) such as J7, preferred over Point when set
	Field   string // the offending field or attribute, e.g. "Y", "带号", "点数"
	Reason  string // what is wrong and, where it helps, what to do
}

// Error formats the location first, as "line 12 (block 1, ring 1, point
// J7): reason", because clerks scan for the line to fix.
func (e *Error) Error() string {
	var loc []string
	if e.Block > 0 {
		loc = append(loc, fmt.Sprintf("block %d", e.Block))
	}
	if e.Polygon > 0 {
		loc = append(loc, fmt.Sprintf("polygon %d", e.Polygon))
	}
	if e.Ring > 0 {
		loc = append(loc, fmt.Sprintf("ring %d", e.Ring))
	}
	switch {
	case e.Label != "":
		loc = append(loc, "point "+e.Label)
	case e.Point > 0:
		loc = append(loc, fmt.Sprintf("point %d", e.Point))
	}
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d", e.Line)
		if len(loc) > 0 {
			b.WriteString(" (" + strings.Join(loc, ", ") + ")")
		}
	} else {
		b.WriteString(strings.Join(loc, ", "))
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// maxErrors caps how many problems one validation reports: past ten, a
// clerk is better served by fixing the first ones and trying again, and an
// attacker cannot make us build a huge message.
const maxErrors = 10

// errList gathers up to maxErrors problems for errors.Join. Validators stop
// once it is full rather than count what they did not look at.
type errList struct {
	errs []error
}

func (l *errList) add(e *Error) {
	if !l.full() {
		l.errs = append(l.errs, e)
	}
}

func (l *errList) full() bool { return len(l.errs) >= maxErrors }

func (l *errList) len() int { return len(l.errs) }

// err returns nil, the single *Error, or the joined list. A single error is
// returned unwrapped so callers can type-assert it directly.
func (l *errList) err() error {
	switch {
	case len(l.errs) == 0:
		return nil
	case len(l.errs) == 1:
		return l.errs[0]
	}
	errs := l.errs
	if l.full() {
		errs = append(errs[:len(errs):len(errs)], fmt.Errorf("stopped after %d problems; fix these and check again", maxErrors))
	}
	return errors.Join(errs...)
}
