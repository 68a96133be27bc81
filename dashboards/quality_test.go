package dashboards_test

import (
	"regexp"
	"strings"
	"testing"

	"sifa/warehouse/panels"
)

// TestQualityPage: on the clean demo nothing is flagged; a 数据员 sees their
// own office's row, not another office's; the appendix's 数据说明 states the
// coverage and the checks.
func TestQualityPage(t *testing.T) {
	srv := demoSite(t)
	admin := adminOf(t, srv.URL)
	for _, q := range []string{"org=990121&year=2014", "org=990122&year=2016", "year=2015"} {
		code, page := admin.get(t, "/quality?"+q)
		if code != 200 || !strings.Contains(page, "各项检查都没有发现存疑的数字") || !strings.Contains(page, "同一案件报了两次") {
			t.Errorf("/quality?%s: %d, want a clean demo with its checks listed", q, code)
		}
	}
	clerk := signIn(t, srv.URL, storeOf(t, srv.URL), panels.RoleClerk, "990121100")
	code, page := clerk.get(t, "/quality?year=2016")
	rows := regexp.MustCompile(`(?s)<h2>各司法所.*?</tbody>`).FindString(page)
	if code != 200 || !strings.Contains(rows, "石门镇") || strings.Contains(rows, "营盘镇") {
		t.Errorf("the clerk's /quality: %d, rows %q", code, rows)
	}
	if code, _ := clerk.get(t, "/quality?org=990121101&year=2016"); code != 403 {
		t.Errorf("a clerk on another office's quality: %d, want 403", code)
	}
	gov := signIn(t, srv.URL, storeOf(t, srv.URL), panels.RoleGovernment, "990121")
	if code, _ := gov.get(t, "/quality?year=2016"); code != 403 {
		t.Errorf("政府用户 on /quality: %d, want 403 (leaders and researchers)", code)
	}
	_, report := admin.get(t, "/report?org=990121&year=2014")
	for _, want := range []string{"六、数据说明", "13个司法所应报人民调解、法律咨询月度台账156个月次", "对数字做了5项核对", "没有发现存疑的数字"} {
		if !strings.Contains(report, want) {
			t.Errorf("the appendix lacks %q", want)
		}
	}
}
