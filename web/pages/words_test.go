package pages

import "testing"

func TestChineseProblem(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"rule named", 422, `{"status":422,"detail":"bid 1 元 is below the minimum acceptable 2 元","errors":[{"location":"body.amount","message":"bid-below-minimum"}]}`, "报价过低：低于当前最低应价"},
		{"rule at rule", 409, `{"status":409,"detail":"the bidder has already applied","errors":[{"location":"rule","message":"already-applied"}]}`, "您已报名，无需重复报名"},
		{"pending account", 403, `{"status":403,"errors":[{"location":"account","message":"account-pending"}]}`, "您的账户尚待自然资源和规划局审核通过，审核通过后方可报名"},
		{"no rule", 404, `{"status":404,"detail":"no such record"}`, "未找到该记录"},
		{"Chinese detail kept", 409, `{"status":409,"detail":"该地块已有进行中的出让"}`, "当前状态不允许此操作（该地块已有进行中的出让）"},
		{"mixed detail dropped", 403, `{"status":403,"detail":"awaits approval (尚待审核)"}`, "您无权进行此操作"},
		{"not JSON", 502, `<html>bad gateway</html>`, "操作失败（502）"},
		{"markup in detail dropped", 409, `{"detail":"<b>x</b>"}`, "当前状态不允许此操作"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := chinese(tc.status, []byte(tc.body)); got != tc.want {
				t.Errorf("chinese(%d, %s) = %q, want %q", tc.status, tc.body, got, tc.want)
			}
		})
	}
}

func TestGroupDigits(t *testing.T) {
	for n, want := range map[int64]string{1: "1", 999: "999", 1000: "1,000", 435866500: "435,866,500", 1000000000000000: "1,000,000,000,000,000"} {
		if got := groupDigits(n); got != want {
			t.Errorf("groupDigits(%d) = %q, want %q", n, got, want)
		}
	}
}
