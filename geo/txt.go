package geo

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// TXT is a 国土 TXT corner-point file as natural-resources bureaus exchange
// mining-right and land boundaries: a [属性描述] section of key=value
// attributes and a [地块坐标] section of blocks (地块), each a header line
// followed by corner lines 点号,圈号,X,Y in CGCS2000 3° Gauss-Krüger metres.
type TXT struct {
	Attributes []Attribute // in file order
	Blocks     []Block

	attrLine map[string]int // source line of each attribute, for errors
}

// Attribute is one key=value line of [属性描述], e.g. 带号=38.
type Attribute struct{ Key, Value string }

// Block is one 地块: a header and its rings. Rings[0] is the outer boundary
// (圈号 1), the others are holes.
type Block struct {
	Header BlockHeader
	Rings  []Ring

	line int // source line of the header, for errors
}

// BlockHeader is the line "点数,面积(公顷),编号,名称,面,图幅号,用途,…,@"
// that opens a block. Text fields are kept as written, so AreaHa keeps the
// bureau's decimals ("13.1530" is not the number 13.153 to a clerk).
type BlockHeader struct {
	Points int      // 点数: corner lines in the block, closing repeats included
	AreaHa string   // 面积 in hectares as written; may be empty
	Code   string   // 编号
	Name   string   // 名称
	Shape  string   // geometry kind, 面 (polygon) in practice
	Sheet  string   // 图幅号: map sheet number
	Use    string   // 用途, e.g. 采矿用地
	Extra  []string // fields after 用途 up to the closing @, kept for round trips
}

// Ring is one boundary of a block; No is its 圈号 (1 outer, 2+ holes).
type Ring struct {
	No      int
	Corners []Corner
}

// Corner is one 拐点. X is the northing and Y the easting with the zone
// number in front: the surveyors' axis convention, the reverse of x/y in
// PostGIS.
type Corner struct {
	Label string  // 点号, e.g. J7
	X     float64 // northing in metres
	Y     float64 // easting in metres, zone-prefixed (38412345.67)

	line int // source line, for errors
}

// maxTXTSize bounds what ParseTXT reads: real files are a few kilobytes, and
// a limit keeps a hostile upload from exhausting memory.
const maxTXTSize = 16 << 20

// Canonical section names of the format.
const (
	sectionAttributes = "[属性描述]"
	sectionBlocks     = "[地块坐标]"
)

// ParseTXT reads a 国土 TXT file. It accepts UTF-8 with or without a BOM,
// GBK/GB18030 (what bureau software on Windows writes; recognised by not
// being valid UTF-8), and UTF-16 with a BOM, with CRLF or LF line ends.
//
// ParseTXT checks the structure and the numbers: sections, header fields,
// that 点数 matches the corner lines, that 圈号 run 1, 2, ... It does not
// judge the geometry or the zone: Zone, LonLat and ValidateProjected do, so
// that a file can be read, shown and corrected even when it is wrong.
// Errors are *Error naming the line.
func ParseTXT(r io.Reader) (*TXT, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxTXTSize+1))
	if err != nil {
		return nil, fmt.Errorf("geo: read TXT: %w", err)
	}
	if len(data) > maxTXTSize {
		return nil, &Error{Reason: fmt.Sprintf("file is larger than %d MiB; a corner-point file is a few kilobytes", maxTXTSize>>20)}
	}
	text, err := decodeText(data)
	if err != nil {
		return nil, err
	}
	p := txtParser{t: &TXT{attrLine: map[string]int{}}}
	for i, line := range strings.Split(text, "\n") {
		if err := p.line(i+1, strings.TrimSpace(line)); err != nil {
			return nil, err
		}
	}
	if err := p.end(strings.Count(text, "\n") + 1); err != nil {
		return nil, err
	}
	return p.t, nil
}

// decodeText returns data as UTF-8 text.
func decodeText(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:]
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		// Notepad's "Unicode": rare, but cheap to accept.
		u, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
		if err != nil {
			return "", &Error{Reason: "file starts like UTF-16 but does not decode; save it as UTF-8 or GBK"}
		}
		return string(u), nil
	}
	if utf8.Valid(data) {
		return string(data), nil
	}
	// A UTF-8 file with one corrupt byte would decode as GBK into plausible
	// nonsense; its section header gives it away, so blame the bad line.
	if bytes.Contains(data, []byte(sectionAttributes)) {
		return "", &Error{Line: lineOfInvalidUTF8(data), Reason: "line is not valid UTF-8 text (the rest of the file is UTF-8); retype it or save the file again as UTF-8"}
	}
	// GB18030 is a superset of GBK and GB2312, so one decoder serves all
	// three of the encodings Chinese Windows software writes. It replaces
	// what it cannot decode with U+FFFD rather than failing.
	u, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil {
		return "", &Error{Reason: "file is neither UTF-8 nor GBK text; save it as UTF-8 or GBK"}
	}
	text := string(u)
	if i := strings.IndexRune(text, utf8.RuneError); i >= 0 {
		return "", &Error{Line: strings.Count(text[:i], "\n") + 1, Reason: "line is neither UTF-8 nor GBK text; save the file as UTF-8 or GBK"}
	}
	return text, nil
}

func lineOfInvalidUTF8(data []byte) int {
	line := 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		data = data[size:]
	}
	return line
}

type txtState int

const (
	beforeAttributes txtState = iota
	inAttributes
	inBlocks
)

type txtParser struct {
	t     *TXT
	state txtState
	block *Block // block being read, nil before the first header
	count int    // corner lines read in block
}

func (p *txtParser) line(n int, s string) error {
	if s == "" {
		return nil
	}
	fail := func(field, format string, args ...any) error {
		e := &Error{Line: n, Field: field, Reason: fmt.Sprintf(format, args...)}
		if p.block != nil {
			e.Block = len(p.t.Blocks)
		}
		return e
	}
	switch p.state {
	case beforeAttributes:
		switch s {
		case sectionAttributes:
			p.state = inAttributes
			return nil
		case sectionBlocks:
			return fail("", "the %s section is missing: the file must start with %s, then the attributes, then %s", sectionAttributes, sectionAttributes, sectionBlocks)
		}
		return fail("", "expected the %s section header first, found %q", sectionAttributes, clip(s))
	case inAttributes:
		if s == sectionBlocks {
			p.state = inBlocks
			return nil
		}
		key, value, ok := strings.Cut(s, "=")
		if !ok {
			if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
				return fail("", "unexpected section %q: after %s comes %s", clip(s), sectionAttributes, sectionBlocks)
			}
			return fail("", "expected key=value in %s (e.g. 带号=38), found %q", sectionAttributes, clip(s))
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if key == "" {
			return fail("", "attribute has no name before '='")
		}
		if prev, dup := p.t.attrLine[key]; dup {
			return fail(key, "attribute %s is given twice (first on line %d)", key, prev)
		}
		p.t.attrLine[key] = n
		p.t.Attributes = append(p.t.Attributes, Attribute{key, value})
		return nil
	}
	if strings.HasSuffix(s, "@") {
		if err := p.closeBlock(); err != nil {
			return err
		}
		h, err := parseHeader(s)
		if err != nil {
			err.Line, err.Block = n, len(p.t.Blocks)+1
			return err
		}
		p.t.Blocks = append(p.t.Blocks, Block{Header: h, line: n})
		p.block, p.count = &p.t.Blocks[len(p.t.Blocks)-1], 0
		return nil
	}
	if p.block == nil {
		return fail("", "corner line before any block header; a block starts with 点数,面积,编号,名称,面,图幅号,用途,@")
	}
	f := splitFields(s)
	if len(f) == 5 && f[4] == "" {
		f = f[:4] // a trailing comma is a common export quirk
	}
	if len(f) != 4 {
		return fail("", "expected a corner line 点号,圈号,X,Y (4 fields), found %d fields: %q", len(f), clip(s))
	}
	c := Corner{Label: f[0], line: n}
	e := &Error{Line: n, Block: len(p.t.Blocks), Label: f[0]}
	if c.Label == "" {
		e.Field, e.Reason = "点号", "corner label (点号) is empty"
		return e
	}
	no, err := strconv.Atoi(f[1])
	if err != nil || no < 1 {
		e.Field, e.Reason = "圈号", fmt.Sprintf("ring number (圈号) %q must be a whole number from 1 (1 is the outer boundary, 2+ holes)", clip(f[1]))
		return e
	}
	if c.X, err = parseDecimal(f[2]); err != nil {
		e.Field, e.Reason = "X", fmt.Sprintf("X (northing) %q %v", clip(f[2]), err)
		return e
	}
	if c.Y, err = parseDecimal(f[3]); err != nil {
		e.Field, e.Reason = "Y", fmt.Sprintf("Y (easting) %q %v", clip(f[3]), err)
		return e
	}
	b := p.block
	switch last := len(b.Rings); {
	case last == 0 && no != 1:
		e.Ring, e.Field, e.Reason = no, "圈号", fmt.Sprintf("the first ring of a block must be 圈号 1 (the outer boundary), found %d", no)
		return e
	case last == 0 || no == b.Rings[last-1].No+1:
		b.Rings = append(b.Rings, Ring{No: no})
	case no != b.Rings[last-1].No:
		e.Ring, e.Field, e.Reason = no, "圈号", fmt.Sprintf("圈号 %d follows 圈号 %d: rings must be numbered 1, 2, 3 ... with all corners of a ring together", no, b.Rings[last-1].No)
		return e
	}
	r := &b.Rings[len(b.Rings)-1]
	r.Corners = append(r.Corners, c)
	p.count++
	return nil
}

// closeBlock checks the block just read against its header.
func (p *txtParser) closeBlock() error {
	b := p.block
	if b == nil {
		return nil
	}
	e := &Error{Line: b.line, Block: len(p.t.Blocks), Field: "点数"}
	switch {
	case p.count == 0:
		e.Reason = "block header is not followed by any corner lines"
		return e
	case p.count != b.Header.Points:
		e.Reason = fmt.Sprintf("block header says 点数=%d but the block has %d corner lines (the closing repeat of the first corner counts)", b.Header.Points, p.count)
		return e
	}
	return nil
}

func (p *txtParser) end(lastLine int) error {
	switch p.state {
	case beforeAttributes:
		return &Error{Line: lastLine, Reason: "the file is empty or has no " + sectionAttributes + " section"}
	case inAttributes:
		return &Error{Line: lastLine, Reason: "the file ends without a " + sectionBlocks + " section"}
	}
	if len(p.t.Blocks) == 0 {
		return &Error{Line: lastLine, Reason: "the " + sectionBlocks + " section has no blocks"}
	}
	return p.closeBlock()
}

// parseHeader reads "点数,面积,编号,名称,面,图幅号,用途,…,@". Missing trailing
// fields are left empty: exports differ in how many they write.
func parseHeader(s string) (BlockHeader, *Error) {
	f := splitFields(s)
	if f[len(f)-1] != "@" {
		return BlockHeader{}, &Error{Reason: fmt.Sprintf("block header must end with \",@\", found %q", clip(s))}
	}
	f = f[:len(f)-1]
	var h BlockHeader
	if len(f) == 0 || f[0] == "" {
		return h, &Error{Field: "点数", Reason: "block header has no point count (点数) before the '@'"}
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 0 {
		return h, &Error{Field: "点数", Reason: fmt.Sprintf("point count (点数) %q in the block header is not a whole number", clip(f[0]))}
	}
	h.Points = n
	get := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	h.AreaHa = get(1)
	if h.AreaHa != "" {
		if _, err := parseDecimal(h.AreaHa); err != nil {
			return h, &Error{Field: "面积", Reason: fmt.Sprintf("area (面积, hectares) %q %v", clip(h.AreaHa), err)}
		}
	}
	h.Code, h.Name, h.Shape, h.Sheet, h.Use = get(2), get(3), get(4), get(5), get(6)
	if len(f) > 7 {
		h.Extra = slices.Clone(f[7:])
	}
	return h, nil
}

func splitFields(s string) []string {
	f := strings.Split(s, ",")
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	return f
}

// parseDecimal accepts plain decimals only. strconv.ParseFloat also takes
// "NaN", "Inf", hex floats and exponents, none of which a surveyor writes;
// accepting them would let garbage through as coordinates.
func parseDecimal(s string) (float64, error) {
	digits, dot := 0, false
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '.' && !dot:
			dot = true
		case (r == '-' || r == '+') && i == 0:
		default:
			return 0, errors.New("is not a decimal number")
		}
	}
	if digits == 0 {
		return 0, errors.New("is not a decimal number")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, errors.New("is out of range")
	}
	return v, nil
}

// clip shortens s for quoting in a message.
func clip(s string) string {
	const max = 60
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "…"
}

// Attr returns the value of attribute key and whether it is present.
func (t *TXT) Attr(key string) (string, bool) {
	for _, a := range t.Attributes {
		if a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

func (t *TXT) attrError(key, format string, args ...any) *Error {
	return &Error{Line: t.attrLine[key], Field: key, Reason: fmt.Sprintf(format, args...)}
}

// Zone returns the 3° zone from the 带号 attribute after checking that the
// file really is CGCS2000 3° Gauss-Krüger in metres (when 坐标系, 几度分带 and
// 计量单位 are given) and that every Y carries that zone's prefix. Beijing
// 1954 and Xi'an 1980 files look identical but are off by tens to hundreds
// of metres, so they are refused rather than silently misplaced.
func (t *TXT) Zone() (int, error) {
	v, ok := t.Attr("带号")
	if !ok {
		return 0, &Error{Field: "带号", Reason: "the " + sectionAttributes + " section has no 带号 (zone number) attribute"}
	}
	zone, err := strconv.Atoi(v)
	if err != nil || zone < 10 || zone > 99 {
		return 0, t.attrError("带号", "带号=%s is not a 3° zone number (China lies in zones 25 to 45)", clip(v))
	}
	if s, ok := t.Attr("几度分带"); ok && s != "3" {
		return 0, t.attrError("几度分带", "几度分带=%s: only 3° zones are supported; convert 6° coordinates to 3° first", clip(s))
	}
	if s, ok := t.Attr("坐标系"); ok && !strings.Contains(strings.ToUpper(s), "2000") {
		return 0, t.attrError("坐标系", "坐标系=%s is not supported: only 2000国家大地坐标系 (CGCS2000); 1954 Beijing and 1980 Xi'an coordinates must be converted by the bureau first", clip(s))
	}
	if s, ok := t.Attr("计量单位"); ok && s != "米" && !strings.EqualFold(s, "m") {
		return 0, t.attrError("计量单位", "计量单位=%s: coordinates must be in metres (米)", clip(s))
	}
	var errs errList
	for bi, b := range t.Blocks {
		for _, r := range b.Rings {
			for ci, c := range r.Corners {
				z, ok := ZoneOfEasting(c.Y)
				if ok && z == zone {
					continue
				}
				e := &Error{Line: c.line, Block: bi + 1, Ring: r.No, Point: ci + 1, Label: c.Label, Field: "Y"}
				if ok {
					e.Reason = fmt.Sprintf("Y=%.2f has zone prefix %d but 带号 is %d", c.Y, z, zone)
				} else {
					e.Reason = fmt.Sprintf("Y=%.2f should have 8 digits before the decimal point: the zone number (带号 %d) followed by the 6-digit easting", c.Y, zone)
				}
				errs.add(e)
			}
		}
	}
	if err := errs.err(); err != nil {
		return 0, err
	}
	return zone, nil
}

// decimals returns how many decimals the 精度 attribute asks for (0.01 -> 2),
// 2 when it is missing or unreadable: centimetres are what bureaus record.
func (t *TXT) decimals() int {
	v, ok := t.Attr("精度")
	if !ok {
		return 2
	}
	f, err := parseDecimal(v)
	if err != nil || f <= 0 || f > 1 {
		return 2
	}
	d := int(math.Round(-math.Log10(f)))
	return min(max(d, 0), 6)
}

// Encode writes t in the canonical form: UTF-8 without BOM, CRLF line ends
// (the bureaus' Windows tools expect them), attributes in order, every
// header with its seven named fields, and coordinates with the 精度
// attribute's decimals (2 by default) — more only where a value has more,
// so that ParseTXT(Encode(t)) equals t exactly. Wrap w in
// simplifiedchinese.GBK.NewEncoder().Writer(w) for software that wants GBK.
//
// Encode refuses what could not be read back the same: text with commas or
// line breaks in a field, a 点数 that does not match the corners, rings not
// numbered 1, 2, ...
func (t *TXT) Encode(w io.Writer) error {
	if err := t.encodable(); err != nil {
		return err
	}
	dec := t.decimals()
	bw := bufio.NewWriter(w)
	const eol = "\r\n"
	bw.WriteString(sectionAttributes + eol)
	for _, a := range t.Attributes {
		bw.WriteString(a.Key + "=" + a.Value + eol)
	}
	bw.WriteString(sectionBlocks + eol)
	for _, b := range t.Blocks {
		h := b.Header
		f := append([]string{strconv.Itoa(h.Points), h.AreaHa, h.Code, h.Name, h.Shape, h.Sheet, h.Use}, h.Extra...)
		bw.WriteString(strings.Join(f, ",") + ",@" + eol)
		for _, r := range b.Rings {
			for _, c := range r.Corners {
				fmt.Fprintf(bw, "%s,%d,%s,%s"+eol, c.Label, r.No, formatCoord(c.X, dec), formatCoord(c.Y, dec))
			}
		}
	}
	return bw.Flush()
}

// formatCoord prints v with at least dec decimals and as many more as it
// takes to read back the same float64.
func formatCoord(v float64, dec int) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	have := 0
	if i := strings.IndexByte(s, '.'); i >= 0 {
		have = len(s) - i - 1
	} else if dec > 0 {
		s += "."
	}
	return s + strings.Repeat("0", max(dec-have, 0))
}

func (t *TXT) encodable() error {
	bad := func(s string, field bool) bool {
		return !utf8.ValidString(s) || s != strings.TrimSpace(s) || strings.ContainsRune(s, '\n') ||
			(field && strings.ContainsRune(s, ','))
	}
	seen := map[string]bool{}
	for _, a := range t.Attributes {
		if a.Key == "" || strings.ContainsRune(a.Key, '=') || bad(a.Key, false) || bad(a.Value, false) {
			return &Error{Field: a.Key, Reason: fmt.Sprintf("attribute %q=%q cannot be written: a name is non-empty without '=', and neither has line breaks or surrounding spaces", clip(a.Key), clip(a.Value))}
		}
		if seen[a.Key] {
			return &Error{Field: a.Key, Reason: fmt.Sprintf("attribute %s is given twice", a.Key)}
		}
		seen[a.Key] = true
	}
	if len(t.Blocks) == 0 {
		return &Error{Reason: "nothing to write: no blocks"}
	}
	for bi, b := range t.Blocks {
		h := b.Header
		for _, s := range append([]string{h.AreaHa, h.Code, h.Name, h.Shape, h.Sheet, h.Use}, h.Extra...) {
			if bad(s, true) {
				return &Error{Block: bi + 1, Reason: fmt.Sprintf("header field %q cannot be written: it contains a comma, a line break or surrounding spaces", clip(s))}
			}
		}
		if h.AreaHa != "" {
			if _, err := parseDecimal(h.AreaHa); err != nil {
				return &Error{Block: bi + 1, Field: "面积", Reason: fmt.Sprintf("area (面积) %q %v", clip(h.AreaHa), err)}
			}
		}
		n := 0
		for ri, r := range b.Rings {
			if r.No != ri+1 || len(r.Corners) == 0 {
				return &Error{Block: bi + 1, Ring: r.No, Reason: fmt.Sprintf("ring %d must have 圈号 %d and at least one corner", ri+1, ri+1)}
			}
			for ci, c := range r.Corners {
				if c.Label == "" || bad(c.Label, true) || !finite(c.X) || !finite(c.Y) {
					return &Error{Block: bi + 1, Ring: r.No, Point: ci + 1, Label: c.Label, Reason: "corner needs a label without commas or spaces around it, and finite X and Y"}
				}
			}
			n += len(r.Corners)
		}
		if n == 0 || n != h.Points {
			return &Error{Block: bi + 1, Field: "点数", Reason: fmt.Sprintf("header says 点数=%d but the block has %d corners", h.Points, n)}
		}
	}
	return nil
}

// Equal reports whether t and u have the same content, ignoring where
// it was read from (line numbers) and nil versus empty slices.
func (t *TXT) Equal(u *TXT) bool {
	if t == nil || u == nil {
		return t == u
	}
	return slices.Equal(t.Attributes, u.Attributes) &&
		slices.EqualFunc(t.Blocks, u.Blocks, func(a, b Block) bool {
			ha, hb := a.Header, b.Header
			return ha.Points == hb.Points && ha.AreaHa == hb.AreaHa && ha.Code == hb.Code &&
				ha.Name == hb.Name && ha.Shape == hb.Shape && ha.Sheet == hb.Sheet &&
				ha.Use == hb.Use && slices.Equal(ha.Extra, hb.Extra) &&
				slices.EqualFunc(a.Rings, b.Rings, func(x, y Ring) bool {
					return x.No == y.No && slices.EqualFunc(x.Corners, y.Corners, func(c, d Corner) bool {
						return c.Label == d.Label && c.X == d.X && c.Y == d.Y
					})
				})
		})
}

// Projected returns the block as a polygon of {easting, northing} = {Y, X}
// points, the x/y order of PostGIS and orb, with the zone prefix kept.
func (b Block) Projected() orb.Polygon {
	p := make(orb.Polygon, len(b.Rings))
	for i, r := range b.Rings {
		ring := make(orb.Ring, len(r.Corners))
		for j, c := range r.Corners {
			ring[j] = orb.Point{c.Y, c.X}
		}
		p[i] = ring
	}
	return p
}

// LonLat validates the block with ValidateProjected and converts it to a
// {lon, lat} polygon with Inverse.
func (b Block) LonLat(zone int) (orb.Polygon, error) {
	if err := ValidateProjected(zone, b); err != nil {
		return nil, err
	}
	return b.lonLat(zone), nil
}

func (b Block) lonLat(zone int) orb.Polygon {
	p := b.Projected()
	for _, r := range p {
		for i, pt := range r {
			r[i] = Inverse(zone, pt)
		}
	}
	return p
}

// LonLat returns every block as one polygon of a {lon, lat} MultiPolygon,
// with the zone, after Zone and ValidateProjected have passed; their errors
// name the block, line and corner.
func (t *TXT) LonLat() (orb.MultiPolygon, int, error) {
	zone, err := t.Zone()
	if err != nil {
		return nil, 0, err
	}
	var errs errList
	for bi, b := range t.Blocks {
		Limits{}.validateBlock(&errs, zone, bi+1, b)
	}
	if err := errs.err(); err != nil {
		return nil, 0, err
	}
	mp := make(orb.MultiPolygon, len(t.Blocks))
	for bi, b := range t.Blocks {
		mp[bi] = b.lonLat(zone)
	}
	return mp, zone, nil
}

// BlockFromPolygon projects a {lon, lat} polygon into zone as a TXT block:
// corners rounded to the centimetre (the precision bureaus record), labelled
// J1, J2, ... continuing through the holes, each ring closed by repeating
// its first corner and label. header.Points is set to the number of corner
// lines, and an empty header.AreaHa is filled with the block's planar area
// in hectares to 4 decimals, as bureaus state it.
func BlockFromPolygon(zone int, p orb.Polygon, header BlockHeader) Block {
	var b Block
	label := 0
	for ri, r := range p {
		ring := Ring{No: ri + 1}
		n := len(r)
		if n > 1 && r[0] == r[n-1] {
			n--
		}
		for i := 0; i < n; i++ {
			e := Forward(zone, r[i])
			label++
			ring.Corners = append(ring.Corners, Corner{Label: "J" + strconv.Itoa(label), X: roundCM(e[1]), Y: roundCM(e[0])})
		}
		if n > 0 {
			ring.Corners = append(ring.Corners, ring.Corners[0])
		}
		b.Rings = append(b.Rings, ring)
	}
	header.Points = 0
	for _, r := range b.Rings {
		header.Points += len(r.Corners)
	}
	if header.AreaHa == "" {
		header.AreaHa = strconv.FormatFloat(PolygonArea(b.Projected())/1e4, 'f', 4, 64)
	}
	b.Header = header
	return b
}

func roundCM(v float64) float64 { return math.Round(v*100) / 100 }

// NewTXT returns a TXT with the attributes bureaus expect for CGCS2000 3°
// Gauss-Krüger coordinates in zone. producer (数据产生单位) and date
// (数据产生日期, YYYY-MM-DD) come from the caller because geo has no clock.
func NewTXT(zone int, producer, date string, blocks ...Block) *TXT {
	return &TXT{
		Attributes: []Attribute{
			{"格式版本号", "1.01版本"},
			{"数据产生单位", producer},
			{"数据产生日期", date},
			{"坐标系", "2000国家大地坐标系"},
			{"几度分带", "3"},
			{"投影类型", "高斯克吕格"},
			{"计量单位", "米"},
			{"带号", strconv.Itoa(zone)},
			{"精度", "0.01"},
			{"转换参数", "0,0,0,0,0,0,0"},
		},
		Blocks: blocks,
	}
}
