package geo

import (
	"bytes"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/simplifiedchinese"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustParseTXT(t *testing.T, b []byte) *TXT {
	t.Helper()
	txt, err := ParseTXT(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("ParseTXT: %v", err)
	}
	return txt
}

func encode(t *testing.T, txt *TXT) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := txt.Encode(&buf); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return buf.Bytes()
}

// asError returns the first *Error in err, failing the test if there is none.
func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *geo.Error", err, err)
	}
	return e
}

func TestParseTXTFixture(t *testing.T) {
	utf := readFixture(t, "liuzhuang.txt")
	gbk := readFixture(t, "liuzhuang-gbk.txt")
	want := mustParseTXT(t, utf)
	tests := []struct {
		name string
		in   []byte
	}{
		{"UTF-8 CRLF", utf},
		{"UTF-8 with BOM", append([]byte("\xEF\xBB\xBF"), utf...)},
		{"UTF-8 LF", bytes.ReplaceAll(utf, []byte("\r\n"), []byte("\n"))},
		{"GBK LF", gbk},
		{"GBK CRLF", bytes.ReplaceAll(gbk, []byte("\n"), []byte("\r\n"))},
		{"blank lines and spaces", bytes.ReplaceAll(bytes.ReplaceAll(utf, []byte("\r\nJ"), []byte("\r\n \r\n\tJ")), []byte(",1,"), []byte(" , 1 ,"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := mustParseTXT(t, tc.in)
			if !got.Equal(want) {
				t.Errorf("parsed differently from the UTF-8 fixture:\n%s", encode(t, got))
			}
		})
	}

	if len(want.Attributes) != 10 || want.Attributes[1] != (Attribute{"数据产生单位", "驻马店市自然资源和规划局"}) {
		t.Errorf("attributes = %v", want.Attributes)
	}
	if len(want.Blocks) != 2 {
		t.Fatalf("got %d blocks, want 2", len(want.Blocks))
	}
	b := want.Blocks[0]
	h := BlockHeader{Points: 14, AreaHa: "135.8808", Code: "1", Name: "刘庄饰面花岗岩矿(示例坐标)", Shape: "面", Sheet: "I49G070041", Use: "采矿用地", Extra: []string{""}}
	if b.Header.Points != h.Points || b.Header.AreaHa != h.AreaHa || b.Header.Name != h.Name || b.Header.Sheet != h.Sheet || b.Header.Use != h.Use || len(b.Header.Extra) != 1 {
		t.Errorf("header = %+v, want %+v", b.Header, h)
	}
	if len(b.Rings) != 2 || len(b.Rings[0].Corners) != 9 || len(b.Rings[1].Corners) != 5 || b.Rings[1].No != 2 {
		t.Fatalf("rings = %+v", b.Rings)
	}
	if c := b.Rings[0].Corners[0]; c.Label != "J1" || c.X != 3624512.35 || c.Y != 38433210.40 {
		t.Errorf("first corner = %+v", c)
	}
	zone, err := want.Zone()
	if err != nil || zone != 38 {
		t.Fatalf("Zone = %d, %v", zone, err)
	}
	// The stated 面积 must be the planar area of the corners, as bureaus compute it.
	for i, b := range want.Blocks {
		if got := strconv.FormatFloat(PolygonArea(b.Projected())/1e4, 'f', 4, 64); got != b.Header.AreaHa {
			t.Errorf("block %d: area %s ha, header says %s", i+1, got, b.Header.AreaHa)
		}
	}
	mp, zone, err := want.LonLat()
	if err != nil || zone != 38 {
		t.Fatalf("LonLat: %v", err)
	}
	c := mp.Bound().Center()
	if math.Abs(c[0]-113.3) > 0.1 || math.Abs(c[1]-32.75) > 0.1 {
		t.Errorf("fixture centre %v is not near Biyang (113.3 E, 32.7 N)", c)
	}
	if err := ValidateLonLat(mp, 38); err != nil {
		t.Errorf("converted fixture does not validate: %v", err)
	}
}

func TestTXTRoundTrip(t *testing.T) {
	orig := mustParseTXT(t, readFixture(t, "liuzhuang.txt"))
	out := encode(t, orig)
	again := mustParseTXT(t, out)
	if !again.Equal(orig) {
		t.Fatalf("parse(encode(t)) != t:\n%s", out)
	}
	if !bytes.Equal(encode(t, again), out) {
		t.Errorf("encoding is not canonical")
	}
	golden := filepath.Join("testdata", "liuzhuang.golden.txt")
	if *update {
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if want := readFixture(t, "liuzhuang.golden.txt"); !bytes.Equal(out, want) {
		t.Errorf("Encode output differs from %s (run go test -update):\n%s", golden, out)
	}
}

func TestEncodeDecimals(t *testing.T) {
	txt := NewTXT(38, "测试", "2020-06-19", Block{
		Header: BlockHeader{Points: 4},
		Rings: []Ring{{No: 1, Corners: []Corner{
			{Label: "J1", X: 3624512, Y: 38433210.4},
			{Label: "J2", X: 3624688.125, Y: 38433802.77},
			{Label: "J3", X: 3624595.6, Y: 38434395.18},
			{Label: "J1", X: 3624512, Y: 38433210.4},
		}}},
	})
	tests := []struct {
		name  string
		prec  string
		wants []string
	}{
		{"default centimetres", "0.01", []string{"J1,1,3624512.00,38433210.40", "J2,1,3624688.125,38433802.77"}},
		{"millimetres", "0.001", []string{"J1,1,3624512.000,38433210.400", "J2,1,3624688.125,38433802.770"}},
		{"metres keeps what is there", "1", []string{"J1,1,3624512,38433210.4"}},
		{"unreadable falls back to 2", "abc", []string{"J1,1,3624512.00,38433210.40"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			txt.Attributes[8].Value = tc.prec
			out := string(encode(t, txt))
			for _, w := range tc.wants {
				if !strings.Contains(out, w+"\r\n") {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if !mustParseTXT(t, []byte(out)).Equal(txt) {
				t.Errorf("round trip changed the data")
			}
		})
	}
}

func TestEncodeRefuses(t *testing.T) {
	good := func() *TXT {
		return mustParseTXT(t, readFixture(t, "liuzhuang.txt"))
	}
	tests := []struct {
		name   string
		modify func(*TXT)
	}{
		{"comma in name", func(x *TXT) { x.Blocks[0].Header.Name = "刘庄,北" }},
		{"newline in attribute", func(x *TXT) { x.Attributes[0].Value = "a\nb" }},
		{"= in key", func(x *TXT) { x.Attributes[0].Key = "a=b" }},
		{"duplicate key", func(x *TXT) { x.Attributes[1].Key = x.Attributes[0].Key }},
		{"point count wrong", func(x *TXT) { x.Blocks[0].Header.Points++ }},
		{"ring numbers", func(x *TXT) { x.Blocks[0].Rings[1].No = 3 }},
		{"NaN corner", func(x *TXT) { x.Blocks[0].Rings[0].Corners[2].X = math.NaN() }},
		{"empty label", func(x *TXT) { x.Blocks[0].Rings[0].Corners[2].Label = "" }},
		{"no blocks", func(x *TXT) { x.Blocks = nil }},
		{"bad area", func(x *TXT) { x.Blocks[0].Header.AreaHa = "约13" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := good()
			tc.modify(x)
			err := x.Encode(&bytes.Buffer{})
			if err == nil {
				t.Fatal("Encode accepted it")
			}
			asError(t, err)
		})
	}
}

const txtHead = "[属性描述]\n坐标系=2000国家大地坐标系\n几度分带=3\n带号=38\n[地块坐标]\n"

// square is a valid 4-corner block in zone 38 (lines 6 to 11 after txtHead).
const square = "5,1.0000,1,示例,面,,采矿用地,@\n" +
	"J1,1,3624000.00,38433000.00\n" +
	"J2,1,3624000.00,38433100.00\n" +
	"J3,1,3624100.00,38433100.00\n" +
	"J4,1,3624100.00,38433000.00\n" +
	"J1,1,3624000.00,38433000.00\n"

func TestParseTXTErrors(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		line  int
		field string
		want  string // substring of the message
	}{
		{"empty file", "", 1, "", "no [属性描述]"},
		{"missing 属性描述", "[地块坐标]\n" + square, 1, "", "[属性描述] section is missing"},
		{"wrong first section", "[属性]\n带号=38\n", 1, "", "expected the [属性描述] section header first"},
		{"missing 地块坐标", "[属性描述]\n带号=38\n", 3, "", "without a [地块坐标] section"},
		{"unknown section", "[属性描述]\n带号=38\n[坐标]\n", 3, "", "unexpected section"},
		{"attribute without =", "[属性描述]\n带号 38\n[地块坐标]\n" + square, 2, "", "expected key=value"},
		{"duplicate attribute", "[属性描述]\n带号=38\n带号=39\n[地块坐标]\n" + square, 3, "带号", "given twice (first on line 2)"},
		{"no blocks", txtHead, 6, "", "has no blocks"},
		{"corner before header", txtHead + "J1,1,3624000.00,38433000.00\n", 6, "", "before any block header"},
		{"non-numeric point count", txtHead + strings.Replace(square, "5,", "五,", 1), 6, "点数", "not a whole number"},
		{"point count too high", txtHead + strings.Replace(square, "5,", "6,", 1), 6, "点数", "点数=6 but the block has 5"},
		{"point count too low at next block", txtHead + strings.Replace(square, "5,", "4,", 1) + square, 6, "点数", "点数=4 but the block has 5"},
		{"header without corners", txtHead + "5,1,1,a,面,,,@\n" + square, 6, "点数", "not followed by any corner"},
		{"header not ending in ,@", txtHead + strings.Replace(square, ",@", "@", 1), 6, "", `must end with ",@"`},
		{"non-numeric area", txtHead + strings.Replace(square, "1.0000", "一公顷", 1), 6, "面积", "is not a decimal number"},
		{"too few fields", txtHead + strings.Replace(square, "J2,1,3624000.00,", "J2,3624000.00,", 1), 8, "", "4 fields"},
		{"bad X", txtHead + strings.Replace(square, "J2,1,3624000.00", "J2,1,3624000,00", 1), 8, "", "4 fields"},
		{"letter in X", txtHead + strings.Replace(square, "J2,1,3624000.00", "J2,1,362400O.00", 1), 8, "X", "is not a decimal number"},
		{"NaN Y", txtHead + strings.Replace(square, "J2,1,3624000.00,38433100.00", "J2,1,3624000.00,NaN", 1), 8, "Y", "is not a decimal number"},
		{"exponent Y", txtHead + strings.Replace(square, "38433100.00", "3.84331e7", 1), 8, "Y", "is not a decimal number"},
		{"huge X", txtHead + strings.Replace(square, "J2,1,3624000.00", "J2,1,"+strings.Repeat("9", 400), 1), 8, "X", "out of range"},
		{"empty label", txtHead + strings.Replace(square, "J2,", ",", 1), 8, "点号", "label"},
		{"ring zero", txtHead + strings.Replace(square, "J2,1,", "J2,0,", 1), 8, "圈号", "whole number from 1"},
		{"first ring is a hole", txtHead + strings.ReplaceAll(square, "J1,1,", "J1,2,"), 7, "圈号", "must be 圈号 1"},
		{"ring numbers jump", txtHead + strings.Replace(square, "J3,1,", "J3,3,", 1), 9, "圈号", "圈号 3 follows 圈号 1"},
		{"ring number returns", txtHead + strings.Replace(square, "J3,1,", "J3,2,", 1), 10, "圈号", "圈号 1 follows 圈号 2"},
		{"corrupt byte in UTF-8", "[属性描述]\n带号=38\xff\n", 2, "", "not valid UTF-8"},
		{"neither UTF-8 nor GBK", "\xa1\xa1\n\xff\xff\xff\n", 2, "", "neither UTF-8 nor GBK"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTXT(strings.NewReader(tc.in))
			if err == nil {
				t.Fatal("ParseTXT accepted it")
			}
			e := asError(t, err)
			if e.Line != tc.line || e.Field != tc.field || !strings.Contains(e.Error(), tc.want) {
				t.Errorf("got line %d field %q: %q; want line %d field %q containing %q", e.Line, e.Field, e.Error(), tc.line, tc.field, tc.want)
			}
		})
	}
}

func TestZone(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		zone  int
		field string
		want  string
	}{
		{"ok", txtHead + square, 38, "", ""},
		{"no 带号", "[属性描述]\n坐标系=2000国家大地坐标系\n[地块坐标]\n" + square, 0, "带号", "no 带号"},
		{"带号 not a number", strings.Replace(txtHead, "带号=38", "带号=三十八", 1) + square, 0, "带号", "line 4: 带号=三十八 is not a 3° zone"},
		{"6 degree zones", strings.Replace(txtHead, "几度分带=3", "几度分带=6", 1) + square, 0, "几度分带", "only 3° zones"},
		{"Xi'an 1980", strings.Replace(txtHead, "2000国家大地坐标系", "1980西安坐标系", 1) + square, 0, "坐标系", "not supported"},
		{"Y prefix differs", txtHead + strings.Replace(square, "J3,1,3624100.00,38433100.00", "J3,1,3624100.00,39433100.00", 1), 0, "Y",
			"line 9 (block 1, ring 1, point J3): Y=39433100.00 has zone prefix 39 but 带号 is 38"},
		{"Y without prefix", txtHead + strings.Replace(square, "J3,1,3624100.00,38433100.00", "J3,1,3624100.00,433100.00", 1), 0, "Y",
			"line 9 (block 1, ring 1, point J3): Y=433100.00 should have 8 digits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			zone, err := mustParseTXT(t, []byte(tc.in)).Zone()
			if tc.want == "" {
				if err != nil || zone != tc.zone {
					t.Fatalf("Zone = %d, %v; want %d", zone, err, tc.zone)
				}
				return
			}
			if err == nil {
				t.Fatalf("Zone = %d, want an error", zone)
			}
			e := asError(t, err)
			if e.Field != tc.field || !strings.Contains(e.Error(), tc.want) {
				t.Errorf("got field %q: %q; want field %q containing %q", e.Field, e.Error(), tc.field, tc.want)
			}
		})
	}
}

func TestBlockFromPolygon(t *testing.T) {
	orig := mustParseTXT(t, readFixture(t, "liuzhuang.txt"))
	mp, zone, err := orig.LonLat()
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range mp {
		t.Run(orig.Blocks[i].Header.Name, func(t *testing.T) {
			h := orig.Blocks[i].Header
			h.AreaHa = ""
			b := BlockFromPolygon(zone, p, h)
			if b.Header.AreaHa != orig.Blocks[i].Header.AreaHa {
				t.Errorf("AreaHa = %s, want %s", b.Header.AreaHa, orig.Blocks[i].Header.AreaHa)
			}
			if b.Header.Points != orig.Blocks[i].Header.Points {
				t.Errorf("Points = %d, want %d", b.Header.Points, orig.Blocks[i].Header.Points)
			}
			// Inverse then Forward then rounding to the centimetre must give
			// back the surveyed numbers exactly.
			n := 0
			for ri, r := range b.Rings {
				for ci, c := range r.Corners {
					o := orig.Blocks[i].Rings[ri].Corners[ci]
					if c.X != o.X || c.Y != o.Y {
						t.Errorf("ring %d corner %d = %v,%v; want %v,%v", ri+1, ci+1, c.X, c.Y, o.X, o.Y)
					}
					if ci < len(r.Corners)-1 {
						n++
						if want := "J" + strconv.Itoa(n); c.Label != want {
							t.Errorf("label %s, want %s", c.Label, want)
						}
					} else if c.Label != r.Corners[0].Label {
						t.Errorf("closing label %s, want %s", c.Label, r.Corners[0].Label)
					}
				}
			}
			if err := ValidateProjected(zone, b); err != nil {
				t.Error(err)
			}
		})
	}
	t.Run("open ring is closed", func(t *testing.T) {
		b := BlockFromPolygon(38, orb.Polygon{{{113.3, 32.7}, {113.31, 32.7}, {113.31, 32.71}}}, BlockHeader{Name: "x"})
		if n := len(b.Rings[0].Corners); n != 4 || b.Header.Points != 4 {
			t.Errorf("got %d corners, header %d", n, b.Header.Points)
		}
	})
}

func TestParseTXTGBKFile(t *testing.T) {
	// Chinese Windows tools write GBK; make sure a name with characters
	// outside GB2312 (饰 is in it, 堃 is not) survives too.
	s := strings.Replace(txtHead+square, "示例", "堃饰", 1)
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	txt := mustParseTXT(t, []byte(gbk))
	if got := txt.Blocks[0].Header.Name; got != "堃饰" {
		t.Errorf("name = %q", got)
	}
}

func TestParseTXTTooLarge(t *testing.T) {
	_, err := ParseTXT(bytes.NewReader(bytes.Repeat([]byte("x"), maxTXTSize+1)))
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("err = %v", err)
	}
}
