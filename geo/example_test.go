package geo_test

import (
	"fmt"
	"strings"

	"github.com/paulmach/orb"

	"minerights/geo"
)

func ExampleForward() {
	p := geo.Forward(38, orb.Point{113.3, 32.7})
	fmt.Printf("Y=%.2f X=%.2f\n", p[0], p[1])
	// Output: Y=38434361.58 X=3619694.13
}

func ExampleInverse() {
	ll := geo.Inverse(38, orb.Point{38412345.67, 3624512.35})
	fmt.Printf("lon=%.8f lat=%.8f\n", ll[0], ll[1])
	// Output: lon=113.06478197 lat=32.74191100
}

func ExampleZoneOfEasting() {
	zone, ok := geo.ZoneOfEasting(38512345.67)
	fmt.Println(zone, ok, geo.ZoneForLon(113.3))
	// Output: 38 true 38
}

func ExampleAreaM2() {
	// 0.02° by 0.015° near Zhumadian, measured as the bureau measures it.
	mp := orb.MultiPolygon{{{{113.3, 32.7}, {113.32, 32.7}, {113.32, 32.715}, {113.3, 32.715}, {113.3, 32.7}}}}
	fmt.Printf("%.4f km²\n", geo.AreaM2(38, mp)/1e6)
	// Output: 3.1197 km²
}

func ExampleParseTXT() {
	const file = "[属性描述]\r\n" +
		"坐标系=2000国家大地坐标系\r\n" +
		"几度分带=3\r\n" +
		"带号=38\r\n" +
		"[地块坐标]\r\n" +
		"5,1.0000,1,示例地块,面,,采矿用地,@\r\n" +
		"J1,1,3624000.00,38433000.00\r\n" +
		"J2,1,3624000.00,38433100.00\r\n" +
		"J3,1,3624100.00,38433100.00\r\n" +
		"J4,1,3624100.00,38433000.00\r\n" +
		"J1,1,3624000.00,38433000.00\r\n"
	txt, err := geo.ParseTXT(strings.NewReader(file))
	if err != nil {
		fmt.Println(err)
		return
	}
	mp, zone, err := txt.LonLat()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("zone %d, %s, %.2f ha, first corner %.6f,%.6f\n",
		zone, txt.Blocks[0].Header.Name, geo.AreaM2(zone, mp)/1e4, mp[0][0][0][0], mp[0][0][0][1])
	// Output: zone 38, 示例地块, 1.00 ha, first corner 113.285171,32.738742
}

func ExampleParseTXT_error() {
	const file = "[属性描述]\n带号=38\n[地块坐标]\n" +
		"5,,1,示例地块,面,,采矿用地,@\n" +
		"J1,1,3624000.00,38433000.00\n" +
		"J2,1,3624000.00,39433100.00\n" +
		"J3,1,3624100.00,38433100.00\n" +
		"J4,1,3624100.00,38433000.00\n" +
		"J1,1,3624000.00,38433000.00\n"
	txt, err := geo.ParseTXT(strings.NewReader(file))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = txt.Zone()
	fmt.Println(err)
	// Output: line 6 (block 1, ring 1, point J2): Y=39433100.00 has zone prefix 39 but 带号 is 38
}

func ExampleTXT_Encode() {
	p := orb.Polygon{{{113.30, 32.70}, {113.31, 32.70}, {113.31, 32.71}, {113.30, 32.71}}}
	b := geo.BlockFromPolygon(38, p, geo.BlockHeader{Code: "1", Name: "示例地块", Shape: "面", Use: "采矿用地"})
	txt := geo.NewTXT(38, "驻马店市自然资源和规划局", "2020-06-19", b)
	var out strings.Builder
	if err := txt.Encode(&out); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(strings.ReplaceAll(out.String(), "\r\n", "\n"))
	// Output:
	// [属性描述]
	// 格式版本号=1.01版本
	// 数据产生单位=驻马店市自然资源和规划局
	// 数据产生日期=2020-06-19
	// 坐标系=2000国家大地坐标系
	// 几度分带=3
	// 投影类型=高斯克吕格
	// 计量单位=米
	// 带号=38
	// 精度=0.01
	// 转换参数=0,0,0,0,0,0,0
	// [地块坐标]
	// 5,103.9927,1,示例地块,面,,采矿用地,@
	// J1,1,3619694.13,38434361.58
	// J2,1,3619687.98,38435299.29
	// J3,1,3620797.01,38435306.50
	// J4,1,3620803.15,38434368.90
	// J1,1,3619694.13,38434361.58
}

func ExampleParseGeoJSON() {
	mp, err := geo.ParseGeoJSON([]byte(`{"type":"Feature","properties":{},"geometry":
		{"type":"Polygon","coordinates":[[[113.3,32.7],[113.31,32.7],[113.31,32.71],[113.3,32.71],[113.3,32.7]]]}}`))
	fmt.Println(len(mp), geo.ZoneOf(mp), err)

	_, err = geo.ParseGeoJSON([]byte(`{"type":"Polygon","coordinates":[[[32.7,113.3],[32.7,113.31],[32.71,113.31],[32.7,113.3]]]}`))
	fmt.Println(err)
	// Output:
	// 1 38 <nil>
	// polygon 1, ring 1, point 1: lon=32.7, lat=113.3 looks like latitude and longitude are swapped: give longitude first (and 3 more points of this ring)
}

func ExampleValidateLonLat() {
	bowTie := orb.MultiPolygon{{{{113.3, 32.7}, {113.31, 32.71}, {113.31, 32.7}, {113.3, 32.71}, {113.3, 32.7}}}}
	fmt.Println(geo.ValidateLonLat(bowTie, 38))
	// Output: polygon 1, ring 1, point 1: ring is self-intersecting: segment 1-2 crosses segment 3-4
}
