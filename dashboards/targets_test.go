package dashboards_test

import (
	"context"
	"encoding/json"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"sifa/dashboards"
	"sifa/ingest"
	"sifa/transform"
	"sifa/warehouse"
	"sifa/warehouse/load"
	"sifa/warehouse/panels"
	"sifa/warehouse/whtest"
)

// TestTargetsEditable: an administrator changes a target on /admin/targets;
// the change is audited in words, the outlook reads the new target at once,
// a bad form changes nothing and says which row is wrong, and only an
// administrator may change them.
func TestTargetsEditable(t *testing.T) {
	ctx := context.Background()
	w, _ := whtest.DuckDB(t, t.TempDir())
	var files []string
	for _, f := range []string{"01_青山县_机构名录.xlsx", "10_青山县_平台建设台账_2014.xlsx", "10_青山县_平台建设台账_2015.xlsx"} {
		files = append(files, filepath.Join(demoFiles(t), f))
	}
	p := &load.Pipeline{W: w, Archive: ingest.Archive{Dir: filepath.Join(t.TempDir(), "a")}, Config: transform.Config{Secret: []byte("k")}}
	if _, err := p.Run(ctx, files); err != nil {
		t.Fatal(err)
	}
	srv := serveSite(t, &dashboards.Site{Engine: &panels.Engine{Store: w, Cache: true}})
	admin := adminOf(t, srv.URL)
	outlook := func() float64 {
		_, body := admin.get(t, "/api/v1/panels/outlook.targets?org=990121&year=2015")
		var o panels.Outlook
		if err := json.Unmarshal([]byte(body), &o); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		for _, r := range o.Rows {
			if r.OrgCode == "990121" && r.Level == panels.RoomLevel && r.Measure == "规范化" {
				return r.TargetRate
			}
		}
		t.Fatalf("no room row: %s", body)
		return 0
	}
	if got := outlook(); got != 1 {
		t.Fatalf("the default 2016 room target is %v, want 1", got)
	}
	code, body := admin.get(t, "/admin/targets")
	if code != 200 || !strings.Contains(body, `value="100"`) {
		t.Fatalf("/admin/targets: %d", code)
	}
	// the form as the page sends it, with the 2016 room target lowered to 90 %
	form := url.Values{}
	ts, _ := w.Targets(ctx)
	for _, tg := range ts {
		std := tg.Standardized * 100
		if tg.Level == panels.RoomLevel && tg.Year == 2016 {
			std = 90
		}
		form.Add("level", tg.Level)
		form.Add("year", strconv.Itoa(tg.Year))
		form.Add("established", strconv.FormatFloat(tg.Established*100, 'f', -1, 64))
		form.Add("standardized", strconv.FormatFloat(std, 'f', -1, 64))
	}
	if code := admin.post(t, "/admin/targets", form); code != 200 {
		t.Fatalf("saving the targets: %d", code)
	}
	if got := outlook(); got != 0.9 {
		t.Errorf("after the change the outlook's target is %v, want 0.9", got)
	}
	evs, err := w.Audit(ctx, warehouse.AuditQuery{Action: "config_change", Limit: 5})
	if err != nil || len(evs) == 0 || !strings.Contains(evs[0].Detail, "村(社区)司法行政工作室 2016年：建立率 0% → 0%，规范化率 100% → 90%") || evs[0].User != admin.name {
		t.Errorf("audit: %+v %v", evs, err)
	}
	// a bad rate: nothing changes, the row is named
	bad := url.Values{"level": {panels.RoomLevel}, "year": {"2016"}, "established": {"0"}, "standardized": {"120"}}
	if code := admin.post(t, "/admin/targets", bad); code != 400 {
		t.Errorf("a target of 120 %%: %d, want 400", code)
	}
	if got := outlook(); got != 0.9 {
		t.Errorf("a refused form changed the target to %v", got)
	}
	// only an administrator
	leader := signIn(t, srv.URL, w, panels.RoleLeader, "")
	if code := leader.post(t, "/admin/targets", form); code != 403 {
		t.Errorf("a 领导 saving targets: %d, want 403", code)
	}
}
