package dashboards_test

import (
	"cmp"
	"context"
	"errors"
	"html"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sifa/warehouse/panels"
)

// TestOutlookOnDemo holds outlook.targets, on both engines, to figures
// counted by hand from the demo's 2015 平台建设台账 of 青山县 and 绿水县 (the
// 规范化验收日期 column, written in five date styles) and the registry's
// villages: as of 2015-12-31 the outlook is about 2016 (target 100 %), the
// pace is the last year's acceptances.
func TestOutlookOnDemo(t *testing.T) {
	type want struct {
		org, level                        string
		units, before, now, projected, tc int64
		status                            string
	}
	cases := []struct {
		county string
		rows   []want
	}{
		{"990121", []want{
			// the county: 62 rooms accepted by 2014, 96 by 2015: 34 a year, 130 of 134 by 2016, 4 short of 134 (within a tenth)
			{"990121", panels.RoomLevel, 134, 62, 96, 130, 134, panels.OutlookAtRisk},
			// 柳林镇: 11 villages (one without a room), 5 accepted by 2014 (前进、小河、张湾、新庄、柿园), 8 by 2015 (+北坡、南岔、金鸡)
			{"990121103", panels.RoomLevel, 11, 5, 8, 11, 11, panels.OutlookOnTrack},
			// 石门镇: 10 villages, 5 then 7: 2 a year reaches 9 of 10, one short
			{"990121100", panels.RoomLevel, 10, 5, 7, 9, 10, panels.OutlookAtRisk},
			// 金川镇's station: 规范化验收日期 empty in 2014 and 2015: nothing moves
			{"990121107", panels.StationLevel, 1, 0, 0, 0, 1, panels.OutlookWillMiss},
			{"990121100", panels.StationLevel, 1, 0, 1, 1, 1, panels.OutlookMet},
		}},
		{"990122", []want{
			// 61 then 73 of 112: 12 a year reaches 85, 27 short of 112 (more than a tenth)
			{"990122", panels.RoomLevel, 112, 61, 73, 85, 112, panels.OutlookWillMiss},
		}},
	}
	for _, engine := range []string{"duckdb", "clickhouse"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			e := &panels.Engine{Store: demoWarehouse(t, engine)}
			for _, c := range cases {
				ans, err := e.Run(ctx, "outlook.targets", panels.Filter{Org: c.county, Year: 2015})
				if err != nil {
					t.Fatal(err)
				}
				o := ans.(*panels.Outlook)
				if o.AsOf != "2015-12-31" {
					t.Errorf("%s: as of %q, want 2015-12-31 (no 2016 file may count)", c.county, o.AsOf)
				}
				for _, w := range c.rows {
					var got *panels.OutlookRow
					for i, r := range o.Rows {
						if r.OrgCode == w.org && r.Level == w.level && r.Measure == "规范化" {
							got = &o.Rows[i]
						}
					}
					if got == nil {
						t.Errorf("%s %s: no 规范化 row", w.org, w.level)
						continue
					}
					if got.TargetYear != 2016 || got.Units != w.units || got.Before != w.before || got.Now != w.now || got.Projected != w.projected ||
						got.TargetCount != w.tc || got.Status != w.status {
						t.Errorf("%s %s: %d units, %d→%d, projected %d of target %d, %s (year %d); want %d units, %d→%d, projected %d of %d, %s",
							w.org, w.level, got.Units, got.Before, got.Now, got.Projected, got.TargetCount, got.Status, got.TargetYear,
							w.units, w.before, w.now, w.projected, w.tc, w.status)
					}
				}
			}
			// the county's sentence, as the example reads
			ans, _ := e.Run(ctx, "outlook.targets", panels.Filter{Org: "990121", Year: 2015})
			for _, r := range ans.(*panels.Outlook).Rows {
				if r.OrgCode == "990121" && r.Level == panels.RoomLevel && r.Measure == "规范化" {
					if want := "按目前进度（近1年每年规范化约 34 个），2016年村(社区)工作室规范化率约为 97%，低于目标 100%，还差 4 个；要按期完成，每年需规范化约 38 个"; r.Sentence != want {
						t.Errorf("sentence %q\nwant     %q", r.Sentence, want)
					}
				}
			}
			// the back-test: at the end of 2014 the outlook said 124 of 134 rooms
			// (62 + 62 a year) for 2015; 96 were: 20.9 points too high
			var bt *panels.OutlookBacktest
			for i, b := range ans.(*panels.Outlook).Backtest {
				if b.Level == panels.RoomLevel && b.Measure == "规范化" {
					bt = &ans.(*panels.Outlook).Backtest[i]
				}
			}
			if bt == nil || bt.MadeAsOf != "2014-12-31" || bt.TargetYear != 2015 || bt.ErrorPoints != 20.9 || !bt.Reached {
				t.Errorf("back-test %+v, want made 2014-12-31 for 2015, +20.9 points, reached", bt)
			}
			// as of 2015 the outlook must not read the 2016 file: the same answer
			// with the year open to 2015 through a month range
			again, err := e.Run(ctx, "outlook.targets", panels.Filter{Org: "990121", From: "2015-01", To: "2015-12"})
			if err != nil {
				t.Fatal(err)
			}
			if a, b := again.(*panels.Outlook), ans.(*panels.Outlook); a.AsOf != b.AsOf || len(a.Rows) != len(b.Rows) || a.Rows[0] != b.Rows[0] {
				t.Errorf("the outlook as of 2015 differs between year=2015 and 2015-01..2015-12")
			}
		})
	}
}

// TestOutlookCosts checks the costs of closing the gap against the
// configured unit costs: 柳林镇's 上坝村 room lacks 有办公场所 and 有标牌 in the
// 2016 ledger; with 有办公场所 configured at 80,000 元 and 有标牌 left to the
// example 1,000 元, it costs 81,000 元 once, and the answer says which
// figure was configured.
func TestOutlookCosts(t *testing.T) {
	ctx := context.Background()
	std := panels.DefaultStandards
	std.SiteItemCosts = map[string]float64{"有办公场所": 80000}
	e := &panels.Engine{Store: demoWarehouse(t, "duckdb"), Standards: std}
	ans, err := e.Run(ctx, "outlook.costs", panels.Filter{Org: "990121", Year: 2016})
	if err != nil {
		t.Fatal(err)
	}
	c := ans.(*panels.OutlookCosts)
	for _, it := range c.Costs {
		if (it.Item == "有办公场所") != it.Configured {
			t.Errorf("%s: configured = %v", it.Item, it.Configured)
		}
		if it.Item == "有工作人员" && (!it.Yearly || it.Cost != 18000) {
			t.Errorf("有工作人员 costs %v (yearly %v), want the 18,000 元 公用经费 standard a year", it.Cost, it.Yearly)
		}
	}
	var found bool
	var oneOff, yearly float64
	for _, s := range c.Sites {
		oneOff += s.OneOff
		yearly += s.Yearly
		if s.TownName == "柳林镇" && s.VillageName == "上坝村" {
			found = true
			if s.OneOff != 81000 || s.Yearly != 0 || len(s.Missing) != 2 {
				t.Errorf("上坝村: lacks %v, %v once, %v a year; want 有办公场所、有标牌, 81000, 0", s.Missing, s.OneOff, s.Yearly)
			}
		}
		if s.Established && len(s.Missing) == 0 && s.OneOff != 0 {
			t.Errorf("%s %s lacks nothing and costs %v", s.TownName, s.SiteName, s.OneOff)
		}
	}
	if !found {
		t.Errorf("上坝村 of 柳林镇 (not accepted in 2016) is not among the sites to close")
	}
	total := c.ByOrg[0]
	if total.OrgCode != "990121" || total.OneOff != oneOff || total.Yearly != yearly || total.Sites != int64(len(c.Sites)) {
		t.Errorf("total %+v; the sites add up to %v once, %v a year, %d sites", total, oneOff, yearly, len(c.Sites))
	}
	var byOrg float64
	for _, o := range c.ByOrg[1:] {
		byOrg += o.OneOff
	}
	if byOrg != oneOff || len(c.ByOrg) != 14 {
		t.Errorf("the 13 townships add up to %v once (%d rows), the county %v", byOrg, len(c.ByOrg)-1, oneOff)
	}
	// the funding gap is the 经费 page's, line by line
	fs, err := e.Run(ctx, "funding.shortfall", panels.Filter{Org: "990121", Year: 2016})
	if err != nil {
		t.Fatal(err)
	}
	var gap float64
	for _, r := range fs.(*panels.FundingShortfall).Rows {
		gap += r.GapToStandard
	}
	if total.FundingGap < gap || total.FundingGap == 0 {
		t.Errorf("funding gap %v; the 经费 page's categories sum to %v (lines add up to at least that)", total.FundingGap, gap)
	}
}

// TestOutlookRoles: 政府用户 read the outlook; a 数据员 reads their own
// office's and no other.
func TestOutlookRoles(t *testing.T) {
	e := &panels.Engine{Store: demoWarehouse(t, "duckdb")}
	gov := panels.WithAccess(context.Background(), &panels.Access{User: "gov", Role: panels.RoleGovernment, Org: "990121"})
	for _, id := range []string{"outlook.targets", "outlook.costs"} {
		if _, err := e.Run(gov, id, panels.Filter{Year: 2015}); err != nil {
			t.Errorf("政府用户 %s: %v", id, err)
		}
	}
	clerk := panels.WithAccess(context.Background(), &panels.Access{User: "clerk", Role: panels.RoleClerk, Org: "990121100"})
	ans, err := e.Run(clerk, "outlook.targets", panels.Filter{Year: 2015})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ans.(*panels.Outlook).Rows {
		if r.OrgCode != "990121100" {
			t.Errorf("a 数据员 of 石门镇 sees %s %s", r.OrgCode, r.OrgName)
		}
	}
	for _, org := range []string{"990121101", "990121"} {
		_, err := e.Run(clerk, "outlook.costs", panels.Filter{Org: org, Year: 2015})
		var ae *panels.AccessError
		if !errors.As(err, &ae) {
			t.Errorf("a 数据员 of 石门镇 asking for %s: %v, want refused", org, err)
		}
	}
}

// TestOverviewAttentionRanked: 需要关注 on the overview lists one line per
// kind of problem, the most severe kind first, and overspending as one line
// with the largest category first (青山县 2016 once showed six overspend
// lines out of eight, unranked).
func TestOverviewAttentionRanked(t *testing.T) {
	srv := demoSite(t)
	order := []string{"平台建设：", "报送：", "队伍：", "经费："}
	items := regexp.MustCompile(`<li class="(warn|info)">(?:<a [^>]*>)?([^<]*)`)
	for _, q := range []string{"org=990121&year=2016", "org=990121&year=2014", "org=990122&year=2015", "year=2016"} {
		code, body := get(t, srv.URL+"/?"+q)
		if code != 200 {
			t.Fatalf("/?%s: %d", q, code)
		}
		last, kinds := -1, map[string]int{}
		for _, m := range items.FindAllStringSubmatch(body, -1) {
			if m[1] != "warn" {
				continue
			}
			text := html.UnescapeString(m[2])
			k := slices.IndexFunc(order, func(p string) bool { return strings.HasPrefix(text, p) })
			if k < 0 {
				t.Errorf("/?%s: a note of no kind: %q", q, text)
				continue
			}
			if k < last {
				t.Errorf("/?%s: %q comes after a less severe note", q, text)
			}
			last = k
			kinds[order[k]]++
			if order[k] == "经费：" {
				// the categories in falling order of overspending
				var amounts []float64
				for _, a := range regexp.MustCompile(`超出 ([0-9.]+)(万元|元)`).FindAllStringSubmatch(text, -1) {
					v, _ := strconv.ParseFloat(a[1], 64)
					if a[2] == "万元" {
						v *= 10000
					}
					amounts = append(amounts, v)
				}
				if !slices.IsSortedFunc(amounts, func(a, b float64) int { return cmp.Compare(b, a) }) {
					t.Errorf("/?%s: overspending not largest first: %q", q, text)
				}
			}
		}
		for _, k := range []string{"报送：", "队伍：", "经费："} {
			if kinds[k] > 1 {
				t.Errorf("/?%s: %d lines of %s, want them as one", q, kinds[k], k)
			}
		}
		if q == "org=990121&year=2016" && kinds["经费："] != 1 {
			t.Errorf("/?%s: no overspending line; the demo's 青山县 2016 overspends", q)
		}
	}
}
