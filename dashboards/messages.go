package dashboards

// 消息 (/messages): the notices delivered to the signed-in person, and
// what they choose to receive (the rules, and an e-mail address).

import (
	"context"
	"fmt"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"time"

	"sifa/notices"
	"sifa/warehouse"
	"sifa/warehouse/panels"
)

// NoticeBox keeps the notices, their deliveries and each person's choices.
type NoticeBox interface {
	NoticesSince(ctx context.Context, since time.Time) ([]warehouse.Notice, error)
	Deliveries(ctx context.Context, recipient string) ([]warehouse.Delivery, error)
	RecordDelivery(ctx context.Context, d warehouse.Delivery) error
	NoticePrefs(ctx context.Context) (map[string]warehouse.NoticePref, error)
	SetNoticePref(ctx context.Context, p warehouse.NoticePref) error
}

// messagesView is the 消息 page.
type messagesView struct {
	Message string
	OK      bool
	Rows    []messageRow
	Unread  int
	Rules   []ruleChoice
	Email   string
	Mail    bool // e-mail is configured on this server
}

type messageRow struct {
	Title, Body, Link, At string
	Unread                bool
}

type ruleChoice struct {
	ID, Name string
	On       bool
}

// messagesKeep is how far back the 消息 list goes.
const messagesKeep = 180 * 24 * time.Hour

func (s *Site) messagesPage(w http.ResponseWriter, r *http.Request) {
	s.renderMessages(w, r, http.StatusOK, "", false)
}

func (s *Site) renderMessages(w http.ResponseWriter, r *http.Request, code int, msg string, ok bool) {
	ctx := r.Context()
	a := panels.AccessFrom(ctx)
	p := &page{Title: "消息", Path: "/messages", NoFilter: true, Messages: &messagesView{Message: msg, OK: ok, Mail: s.MailConfigured}}
	s.navFor(p, a)
	if s.Notices == nil {
		p.Empty = "这个仓库不保存消息。"
		s.render(w, r, http.StatusNotFound, p)
		return
	}
	rows, unread, err := s.inbox(ctx, a)
	if err != nil {
		s.renderError(w, r, p, err)
		return
	}
	p.Messages.Rows, p.Messages.Unread = rows, unread
	prefs, err := s.Notices.NoticePrefs(ctx)
	if err != nil {
		s.renderError(w, r, p, err)
		return
	}
	pref, set := prefs[a.User]
	for _, id := range notices.RulesFor(a.Role) {
		p.Messages.Rules = append(p.Messages.Rules, ruleChoice{ID: id, Name: notices.RuleName[id], On: !set || slices.Contains(pref.Rules, id)})
	}
	p.Messages.Email = pref.Email
	s.render(w, r, code, p)
}

// inbox lists the person's in-app notices, newest first.
func (s *Site) inbox(ctx context.Context, a *panels.Access) ([]messageRow, int, error) {
	ds, err := s.Notices.Deliveries(ctx, a.User)
	if err != nil {
		return nil, 0, err
	}
	ns, err := s.Notices.NoticesSince(ctx, time.Now().Add(-messagesKeep))
	if err != nil {
		return nil, 0, err
	}
	byKey := map[string]warehouse.Notice{}
	for _, n := range ns {
		byKey[n.Key] = n
	}
	var rows []messageRow
	unread := 0
	for _, d := range ds {
		n, ok := byKey[d.Key]
		if d.Channel != notices.ChannelInbox || !ok {
			continue
		}
		row := messageRow{Title: n.Title, Body: n.Body, Link: notices.LinkFor(n, a.Role), At: n.Created.In(beijing).Format("2006-01-02 15:04"), Unread: d.State != warehouse.DeliveryRead}
		if row.Unread {
			unread++
		}
		rows = append(rows, row)
	}
	return rows, unread, nil
}

// saveMessages marks every notice read, or saves the person's choices.
func (s *Site) saveMessages(w http.ResponseWriter, r *http.Request) {
	if s.Notices == nil {
		http.NotFound(w, r)
		return
	}
	ctx := r.Context()
	a := panels.AccessFrom(ctx)
	switch r.PostFormValue("action") {
	case "read":
		ds, err := s.Notices.Deliveries(ctx, a.User)
		n := 0
		for _, d := range ds {
			if err != nil {
				break
			}
			if d.Channel == notices.ChannelInbox && d.State != warehouse.DeliveryRead {
				d.State = warehouse.DeliveryRead
				err = s.Notices.RecordDelivery(ctx, d)
				n++
			}
		}
		if err != nil {
			s.renderMessages(w, r, http.StatusInternalServerError, "没有标记："+err.Error(), false)
			return
		}
		s.renderMessages(w, r, http.StatusOK, fmt.Sprintf("已把 %d 条消息标为已读", n), true)
	case "prefs":
		allowed := notices.RulesFor(a.Role)
		rules := []string{}
		var names []string
		for _, id := range r.PostForm["rule"] {
			if !slices.Contains(allowed, id) {
				s.renderMessages(w, r, http.StatusBadRequest, "没有保存：提醒类型不对，请刷新页面后重试", false)
				return
			}
			if !slices.Contains(rules, id) {
				rules = append(rules, id)
				names = append(names, notices.RuleName[id])
			}
		}
		email := strings.TrimSpace(r.PostFormValue("email"))
		if email != "" {
			addr, err := mail.ParseAddress(email)
			if err != nil || addr.Address != email || len(email) > 200 {
				s.renderMessages(w, r, http.StatusBadRequest, "没有保存：邮箱地址「"+email+"」不对，应像 zhangsan@example.gov.cn", false)
				return
			}
		}
		if err := s.Notices.SetNoticePref(ctx, warehouse.NoticePref{User: a.User, Rules: rules, Email: email}); err != nil {
			s.renderMessages(w, r, http.StatusInternalServerError, "没有保存："+err.Error(), false)
			return
		}
		detail := "接收：" + orDefault(strings.Join(names, "、"), "不接收提醒") + "；邮箱：" + orDefault(email, "无")
		s.audit(r, a, "config_change", "提醒设置", detail, "成功")
		s.renderMessages(w, r, http.StatusOK, "已保存。"+detail, true)
	default:
		s.renderMessages(w, r, http.StatusBadRequest, "请求不对，请刷新页面后重试", false)
	}
}
