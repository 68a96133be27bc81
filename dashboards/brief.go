package dashboards

// 月度简报 (/brief, /brief.docx): an org's month in figures with what needs
// attention, the same brief the notices send each month (notices.BriefOf).

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"sifa/dashboards/docx"
	"sifa/notices"
	"sifa/warehouse"
	"sifa/warehouse/panels"
)

func isBriefKey(k string) bool { return k == "month" }

// briefOf reads the brief of the filter's org for a month ("" : the latest
// month whose ledgers are due within the filter).
func briefOf(ctx context.Context, ask notices.Ask, box NoticeBox, reg *panels.Registry, f panels.Filter, month string) (*notices.Brief, error) {
	if month == "" {
		v, err := ask("submissions.monthly", f)
		if err != nil {
			return nil, err
		}
		month = v.(*panels.Submissions).Month
	}
	if month == "" {
		return nil, panels.BadFilter("还没有到报送期的月份")
	}
	var notes []warehouse.Notice
	if box != nil {
		recent, err := box.NoticesSince(ctx, time.Now().Add(-messagesKeep))
		if err != nil {
			return nil, err
		}
		notes = notices.MonthNotes(recent, reg, f.Org, month)
	}
	return notices.BriefOf(ask, reg, f.Org, month, notes)
}

func buildBrief(b *builder) error {
	br, err := briefOf(b.ctx, b.run, b.notes, b.reg, b.f, b.params.Get("month"))
	if err != nil {
		return err
	}
	b.p.Title = br.Title()
	for _, fg := range br.Figures {
		b.p.Cards = append(b.p.Cards, card{Label: fg.Label, Value: fg.Value, Unit: fg.Unit, Sub: fg.Before, Ref: b.ref(fg.Panel, fg.Filter, fg.Field, fg.Raw)})
	}
	for _, r := range br.Missing {
		b.p.Notes = append(b.p.Notes, note{Level: "warn", Href: b.f.Href("/", "org", r.OrgCode),
			Text: fmt.Sprintf("报送：%s没有报送%s的%s", r.OrgName, panels.MonthName(br.Month), strings.Join(r.Missing, "、"))})
	}
	for _, n := range br.Notes {
		b.p.Notes = append(b.p.Notes, note{Level: "warn", Href: n.Link, Text: "纠纷：" + n.Body})
	}
	for _, r := range br.Behind {
		b.p.Notes = append(b.p.Notes, note{Level: "warn", Href: b.f.Href("/outlook", "org", r.OrgCode), Text: "平台建设：" + r.OrgName + "，" + r.Sentence})
	}
	if len(br.Missing) == 0 && br.Offices > 0 {
		b.p.Notes = append(b.p.Notes, note{Level: "info", Text: fmt.Sprintf("%d个司法所都已报送%s的月度台账", br.Offices, panels.MonthName(br.Month))})
	}
	b.p.Tables = append(b.p.Tables, tableView{Title: "简报全文", Rows: [][]cell{{{Text: br.Summary()}}}})
	b.p.Exports = append(b.p.Exports, link{Text: "下载 Word 版简报", Href: "/brief.docx?" + panels.Filter{Org: b.f.Org}.Query("month", br.Month).Encode()})
	return nil
}

// BriefDOCX writes an org's monthly brief as a .docx (the notices attach
// it to the brief's e-mail) and returns it with its file name.
func (s *Site) BriefDOCX(ctx context.Context, org, month string) (string, []byte, error) {
	reg, err := s.Engine.Store.Registry(ctx)
	if err != nil {
		return "", nil, err
	}
	ask := func(id string, f panels.Filter) (any, error) { return s.Engine.Run(ctx, id, f) }
	br, err := briefOf(ctx, ask, s.Notices, reg, panels.Filter{Org: org}, month)
	if err != nil {
		return "", nil, err
	}
	d := docx.New(br.Title())
	d.Heading(br.Title(), 1)
	d.Paragraph(br.Summary())
	d.Heading("一、主要数字", 2)
	var rows [][]string
	for _, f := range br.Figures {
		rows = append(rows, []string{f.Label, f.Value + f.Unit, f.Before})
	}
	d.Table([]string{"项目", "本期", "对比"}, rows)
	d.Heading("二、报送情况", 2)
	if len(br.Missing) == 0 {
		d.Paragraph(fmt.Sprintf("%d个司法所都已报送本月台账。", br.Offices))
	} else {
		var mr [][]string
		for _, r := range br.Missing {
			mr = append(mr, []string{r.OrgName, strings.Join(r.Missing, "、")})
		}
		d.Table([]string{"司法所", "没有报送的台账"}, mr)
	}
	d.Heading("三、需要关注", 2)
	if len(br.Notes) == 0 && len(br.Behind) == 0 {
		d.Paragraph("本月没有纠纷突增，建设目标都可按期完成。")
	}
	for _, n := range br.Notes {
		d.Paragraph(n.Body)
	}
	for _, r := range br.Behind {
		d.Paragraph(r.OrgName + "：" + r.Sentence + "。")
	}
	d.Caption("基层司法行政数据平台生成。数字来自各司法所报送的台账，单位：件。")
	var buf bytes.Buffer
	if err := d.Write(&buf); err != nil {
		return "", nil, err
	}
	return br.Title() + ".docx", buf.Bytes(), nil
}

func (s *Site) briefDOCX(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := panels.Filter{Org: q.Get("org")}
	err := f.Validate()
	var name string
	var data []byte
	if err == nil {
		name, data, err = s.BriefDOCX(r.Context(), f.Org, q.Get("month"))
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.audit(r, panels.AccessFrom(r.Context()), "export", "月度简报", r.URL.RawQuery, "成功")
	w.Header().Set("Content-Type", contentTypes["docx"])
	exportName(w, name)
	w.Write(data)
}
