package money_test

import (
	"fmt"

	"minerights/internal/money"
)

func ExampleParseWan() {
	yuan, err := money.ParseWan("43586.65")
	if err != nil {
		panic(err)
	}
	fmt.Println(yuan, money.FormatWan(yuan), money.CapitalYuan(yuan))
	// Output: 435866500 43586.65 肆亿叁仟伍佰捌拾陆万陆仟伍佰元整
}

func ExampleFormatWan() {
	for _, yuan := range []int64{435866500, 10000, 12345, 1} {
		fmt.Println(money.FormatWan(yuan))
	}
	// Output:
	// 43586.65
	// 1.00
	// 1.2345
	// 0.0001
}

func ExampleCapital() {
	for _, s := range []string{"1680.32", "107000.53", "1.5", "0.05", "0", "10", "300000005", "100010000"} {
		f, err := money.ParseYuan(s)
		if err != nil {
			panic(err)
		}
		c, err := money.Capital(f)
		if err != nil {
			panic(err)
		}
		fmt.Println(s, c)
	}
	// Output:
	// 1680.32 壹仟陆佰捌拾元零叁角贰分
	// 107000.53 壹拾万柒仟元零伍角叁分
	// 1.5 壹元伍角整
	// 0.05 伍分
	// 0 零元整
	// 10 壹拾元整
	// 300000005 叁亿零伍元整
	// 100010000 壹亿零壹万元整
}

func ExampleFen_Yuan() {
	f, _ := money.ParseYuan("1680.32")
	yuan, whole := f.Yuan()
	fmt.Println(f, yuan, whole, money.FromYuan(yuan))
	// Output: 1680.32 1680 false 1680.00
}
