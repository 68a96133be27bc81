package dashboards_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"sifa/dashboards"
	"sifa/notices"
	"sifa/warehouse"
	"sifa/warehouse/panels"
)

// TestMessagesPage: a person reads the notices delivered to them (a 数据员
// is sent to the upload page), marks them read, and chooses what to receive.
func TestMessagesPage(t *testing.T) {
	w := demoWarehouse(t, "duckdb")
	srv := serveSite(t, &dashboards.Site{Engine: &panels.Engine{Store: w}, MailConfigured: true})
	ctx := context.Background()
	leader := signIn(t, srv.URL, storeOf(t, srv.URL), panels.RoleLeader, "990121")
	clerk := signIn(t, srv.URL, storeOf(t, srv.URL), panels.RoleClerk, "990121101")
	n := warehouse.Notice{Key: "missed|990121101|2099-12|" + leader.name, Rule: notices.RuleMissed, Org: "990121101",
		Title: "营盘镇司法所逾期未报2099年12月台账", Body: "报送截止日已过。", Link: "/?org=990121101&year=2099"}
	if _, err := w.AddNotice(ctx, n); err != nil {
		t.Fatal(err)
	}
	for _, u := range []*user{leader, clerk} {
		if err := w.RecordDelivery(ctx, warehouse.Delivery{Key: n.Key, Recipient: u.name, Channel: notices.ChannelInbox, State: warehouse.DeliverySent, Attempts: 1}); err != nil {
			t.Fatal(err)
		}
	}
	_, page := leader.get(t, "/messages")
	if !strings.Contains(page, n.Title) || !strings.Contains(page, `href="/?org=990121101&amp;year=2099"`) || !strings.Contains(page, "未读 1 条") {
		t.Errorf("the leader's 消息 page lacks the notice, its link or the unread count")
	}
	_, page = clerk.get(t, "/messages")
	if !strings.Contains(page, n.Title) || !strings.Contains(page, `<a href="/upload">去处理</a>`) {
		t.Errorf("the clerk's notice should send them to the upload page")
	}
	if strings.Contains(page, `value="jump"`) || !strings.Contains(page, `value="missed"`) {
		t.Errorf("a clerk is offered the rules of another role")
	}
	if code := leader.post(t, "/messages", url.Values{"action": {"read"}}); code != 200 {
		t.Fatalf("mark read: %d", code)
	}
	if _, page = leader.get(t, "/messages"); !strings.Contains(page, "未读 0 条") {
		t.Error("marked read, still unread")
	}
	if _, page = clerk.get(t, "/messages"); !strings.Contains(page, "未读 1 条") {
		t.Error("one person's reading marked another's")
	}
	for _, c := range []struct {
		name string
		u    *user
		form url.Values
		code int
	}{
		{"a bad address", leader, url.Values{"action": {"prefs"}, "rule": {"missed"}, "email": {"not an address"}}, 400},
		{"a rule of another role", clerk, url.Values{"action": {"prefs"}, "rule": {"jump"}}, 400},
		{"valid", leader, url.Values{"action": {"prefs"}, "rule": {"target", "jump"}, "email": {"leader@county.example"}}, 200},
	} {
		if code := c.u.post(t, "/messages", c.form); code != c.code {
			t.Errorf("%s: %d, want %d", c.name, code, c.code)
		}
	}
	prefs, err := w.NoticePrefs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := prefs[leader.name]
	if strings.Join(p.Rules, ",") != "target,jump" || p.Email != "leader@county.example" {
		t.Errorf("saved choices: %+v", p)
	}
	if _, ok := prefs[clerk.name]; ok {
		t.Error("a refused choice was saved")
	}
	if _, page = leader.get(t, "/messages"); strings.Contains(page, `value="missed" checked`) || !strings.Contains(page, `value="jump" checked`) {
		t.Error("the page does not show the saved choices")
	}
}
