package notices_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sifa/ingest"
	"sifa/notices"
	"sifa/transform"
	"sifa/warehouse"
	"sifa/warehouse/load"
	"sifa/warehouse/panels"
	"sifa/warehouse/whtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	whtest.StopShared()
	os.Exit(code)
}

// smtpSink is a local SMTP server that keeps what it is sent.
type smtpSink struct {
	addr  string
	mu    sync.Mutex
	mails []*mail.Message
	rcpts [][]string
}

func startSink(t *testing.T) *smtpSink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &smtpSink{addr: ln.Addr().String()}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(conn)
		}
	}()
	return s
}

func (s *smtpSink) serve(conn net.Conn) {
	defer conn.Close()
	r := textproto.NewReader(bufio.NewReader(conn))
	say := func(line string) { io.WriteString(conn, line+"\r\n") }
	say("220 sink ESMTP")
	var rcpts []string
	for {
		line, err := r.ReadLine()
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO", "HELO":
			say("250-sink")
			say("250 8BITMIME")
		case "MAIL":
			rcpts = nil
			say("250 ok")
		case "RCPT":
			rcpts = append(rcpts, strings.TrimSuffix(strings.TrimPrefix(line[len("RCPT TO:"):], "<"), ">"))
			say("250 ok")
		case "DATA":
			say("354 go on")
			data, err := r.ReadDotBytes()
			if err != nil {
				return
			}
			m, err := mail.ReadMessage(strings.NewReader(string(data)))
			if err == nil {
				s.mu.Lock()
				s.mails = append(s.mails, m)
				s.rcpts = append(s.rcpts, rcpts)
				s.mu.Unlock()
			}
			say("250 kept")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

func (s *smtpSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.mails)
}

// county builds a warehouse with 青山县's 石门镇 and 营盘镇: 石门镇 has sent
// its December ledgers, 营盘镇 has not.
func county(t *testing.T, dsn string) *warehouse.Warehouse {
	ctx := context.Background()
	w, err := warehouse.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	dir := t.TempDir()
	files := map[string]string{
		"机构名录.csv":   "区划代码,单位名称,层级,上级区划代码\n990121,青山县,县,\n990121100,石门镇,乡镇(街道),990121\n990121101,营盘镇,乡镇(街道),990121\n",
		"人民调解台账.csv": "受理日期,乡镇,纠纷类型,调解结果\n2016-12-05,石门镇,邻里,调解成功\n2016-12-09,石门镇,婚姻家庭,调解成功\n",
		"法律咨询台账.csv": "日期,乡镇,咨询方式,人次\n2016-12-06,石门镇,来访,3\n",
	}
	var paths []string
	for name, body := range files {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		paths = append(paths, p)
	}
	p := &load.Pipeline{W: w, Archive: ingest.Archive{Dir: filepath.Join(dir, "archive")}, Config: transform.Config{Secret: []byte("k")}}
	reps, err := p.Run(ctx, paths)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if r.Err != nil || r.Rejected() > 0 {
			t.Fatalf("%s: %v", r.File, r.Err)
		}
	}
	for _, a := range []warehouse.Account{
		{Name: "admin", Role: string(panels.RoleAdmin)},
		{Name: "leader", Role: string(panels.RoleLeader), Org: "990121"},
		{Name: "quiet", Role: string(panels.RoleLeader), Org: "990121"},     // turned 逾期未报 off
		{Name: "yingpan", Role: string(panels.RoleClerk), Org: "990121101"}, // the late office's clerk
		{Name: "shimen", Role: string(panels.RoleClerk), Org: "990121100"},  // another office's clerk
		{Name: "gov", Role: string(panels.RoleGovernment), Org: "990121"},
	} {
		if err := w.SaveAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []warehouse.NoticePref{
		{User: "leader", Rules: []string{notices.RuleMissed, notices.RuleJump}, Email: "leader@county.example"},
		{User: "gov", Rules: []string{notices.RuleTarget, notices.RuleBrief}}, // an address comes later
		{User: "quiet", Rules: []string{notices.RuleTarget}, Email: "quiet@county.example"},
	} {
		if err := w.SetNoticePref(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// TestNoticeDelivered: 营盘镇 misses its due day. One mail (to the leader
// who gave an address), one call to the webhook, the 消息 list of the
// people it concerns; a receiver that is down is retried and then
// reported; a second run and a restart send nothing twice.
func TestNoticeDelivered(t *testing.T) {
	for engine, dsn := range map[string]string{"duckdb": "duckdb:" + filepath.Join(t.TempDir(), "w.duckdb"), "clickhouse": whtest.ClickHouse(t)} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			w := county(t, dsn)
			sink := startSink(t)
			var hookCalls []notices.Payload
			var hookMu sync.Mutex
			hook := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				var p notices.Payload
				json.NewDecoder(r.Body).Decode(&p)
				hookMu.Lock()
				hookCalls = append(hookCalls, p)
				hookMu.Unlock()
			}))
			defer hook.Close()
			var downCalls atomic.Int32
			down := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				downCalls.Add(1)
				http.Error(rw, "maintenance", http.StatusServiceUnavailable)
			}))
			defer down.Close()
			cfg := notices.Config{SiteURL: "http://sifa.test/", SMTP: notices.SMTP{Addr: sink.addr, From: "sifa@county.example"},
				Webhooks: []notices.Webhook{{Name: "值班群", URL: hook.URL, Rules: []string{notices.RuleMissed}}, {Name: "旧系统", URL: down.URL, Rules: []string{notices.RuleMissed}}},
				Attempts: 3, RetryAfter: -1}
			engineAt := &panels.Engine{Store: w, Now: func() time.Time { return time.Date(2017, 1, 6, 9, 0, 0, 0, time.UTC) }}
			attach := func(ctx context.Context, n warehouse.Notice) (string, []byte, error) {
				return n.Title + ".docx", []byte("PK\x03\x04 the brief of " + n.Org), nil
			}
			service := func() *notices.Service {
				return &notices.Service{Engine: engineAt, Store: w, Config: cfg, Attach: attach}
			}

			s := service()
			out, err := s.Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if out.New != 2 || out.Failed != 1 {
				t.Fatalf("first run: %+v, want 2 new notices (营盘镇 late, the month's brief) and 1 failed call", out)
			}
			if sink.count() != 1 || len(sink.rcpts[0]) != 1 || sink.rcpts[0][0] != "leader@county.example" {
				t.Fatalf("%d mails (%v), want exactly 1, to the leader", sink.count(), sink.rcpts)
			}
			mailTo := map[string]*mail.Message{"leader@county.example": sink.mails[0]}
			// the government user gives an address: the month's brief follows by e-mail, its .docx attached
			if err := w.SetNoticePref(ctx, warehouse.NoticePref{User: "gov", Rules: []string{notices.RuleTarget, notices.RuleBrief}, Email: "gov@county.example"}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Run(ctx); err != nil {
				t.Fatal(err)
			}
			if sink.count() != 2 || sink.rcpts[1][0] != "gov@county.example" {
				t.Fatalf("after the government user's address: %d mails (%v)", sink.count(), sink.rcpts)
			}
			brief := sink.mails[1]
			bs, _ := new(mime.WordDecoder).DecodeHeader(brief.Header.Get("Subject"))
			_, params, _ := mime.ParseMediaType(brief.Header.Get("Content-Type"))
			parts := multipart.NewReader(brief.Body, params["boundary"])
			var texts []string
			var files []string
			for {
				p, err := parts.NextPart()
				if err != nil {
					break
				}
				raw, _ := io.ReadAll(p)
				dec, _ := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(raw), "\r\n", ""))
				if p.FileName() != "" {
					files = append(files, p.FileName()+"="+string(dec))
				} else {
					texts = append(texts, string(dec))
				}
			}
			if bs != "【简报】青山县2016年12月司法行政简报" || len(texts) != 1 || !strings.Contains(texts[0], "本月受理矛盾纠纷 2件（上年同月 0 件）") ||
				!strings.Contains(texts[0], "2个司法所中有1个没有报齐本月台账：营盘镇") || !strings.Contains(texts[0], "http://sifa.test/brief?month=2016-12&org=990121") ||
				len(files) != 1 || files[0] != "青山县2016年12月司法行政简报.docx=PK\x03\x04 the brief of 990121" {
				t.Errorf("brief %q: %q, attachments %q", bs, texts, files)
			}
			m := mailTo["leader@county.example"]
			subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
			raw, _ := io.ReadAll(m.Body)
			body, _ := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(raw), "\r\n", ""))
			if m == nil || !strings.Contains(subject, "营盘镇") || !strings.Contains(subject, "2016年12月") ||
				!strings.Contains(string(body), "人民调解台账、法律咨询台账") || !strings.Contains(string(body), "http://sifa.test/?org=990121101&year=2016") {
				t.Errorf("mail to the leader: %q\n%s", subject, body)
			}
			if len(hookCalls) != 1 || hookCalls[0].Org != "990121101" || hookCalls[0].Link != "http://sifa.test/?org=990121101&year=2016" || hookCalls[0].Rule != notices.RuleMissed {
				t.Errorf("webhook calls: %+v", hookCalls)
			}
			// again (the run above was the second), and after a restart: nothing twice; the receiver that is down is tried until the third attempt
			out, err = service().Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if out.New != 0 || out.GaveUp != 1 || sink.count() != 2 || len(hookCalls) != 1 || downCalls.Load() != 3 {
				t.Errorf("third run: %+v; %d mails, %d webhook calls, %d calls to the receiver that is down (want 3)", out, sink.count(), len(hookCalls), downCalls.Load())
			}
			out, _ = service().Run(ctx)
			if downCalls.Load() != 3 || sink.count() != 2 || len(hookCalls) != 1 {
				t.Errorf("after giving up: %d calls to the receiver that is down, %d mails, %d webhook calls", downCalls.Load(), sink.count(), len(hookCalls))
			}
			// the 作业 page's record says what failed; three failed runs in a row are themselves a notice to the admin
			jr, err := engineAt.Run(ctx, "jobs.recent", panels.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, r := range jr.(*panels.JobsRecent).Rows {
				if r.Job == "notices" && r.Result == "失败" {
					failed = append(failed, r.Error)
				}
			}
			if len(failed) != 3 || !strings.Contains(failed[0], "旧系统") || !strings.Contains(failed[0], "已停止重试") || !strings.Contains(failed[0], "503") {
				t.Errorf("failed runs on the 作业 page: %q", failed)
			}
			// who got what in their 消息 list
			for user, want := range map[string][]string{"admin": {"missed", "job", "brief"}, "leader": {"missed"}, "yingpan": {"missed"}, "quiet": nil, "shimen": nil, "gov": {"brief"}} {
				ds, err := w.Deliveries(ctx, user)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, d := range ds {
					if d.Channel == notices.ChannelInbox {
						got = append(got, strings.SplitN(d.Key, "|", 2)[0])
					}
				}
				if strings.Join(sorted(got), ",") != strings.Join(sorted(want), ",") {
					t.Errorf("%s's 消息: %v, want %v", user, got, want)
				}
			}
		})
	}
}

func sorted(xs []string) []string {
	out := append([]string{}, xs...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestJump(t *testing.T) {
	usual := []int64{9, 10, 8, 11, 9, 10, 12, 9, 10, 8, 11, 10} // median 10
	for _, c := range []struct {
		name   string
		month  int64
		before []int64
		want   bool
	}{
		{"three times the usual", 30, usual, true},
		{"exactly twice and 10 above", 20, usual, true},
		{"twice but few cases", 6, []int64{3, 3, 3, 3, 3, 3, 3}, false},
		{"a bit high", 15, usual, false},
		{"too little history", 50, []int64{0, 0, 0, 0, 0, 0, 0, 0, 5, 5, 5, 5}, false},
		{"empty months left out of the median", 40, []int64{0, 0, 0, 0, 10, 10, 10, 10, 10, 10, 10, 10}, true},
	} {
		_, _, got := notices.Jump(c.month, c.before, notices.Thresholds{})
		if got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
