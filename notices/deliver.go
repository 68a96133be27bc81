package notices

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/smtp"
	"net/textproto"
	"slices"
	"strings"
	"time"

	"sifa/warehouse"
	"sifa/warehouse/panels"
)

// The channels.
const (
	ChannelInbox   = "inbox"   // sifa's own 消息 list
	ChannelEmail   = "email"   // through the county's SMTP server
	ChannelWebhook = "webhook" // an HTTP POST of JSON
)

// SMTP is the county's mail server.
type SMTP struct {
	Addr     string // host:port; empty: no e-mail
	From     string // the sender address
	User     string // for AUTH PLAIN (only over TLS, or to localhost)
	Password string
}

// Webhook is a receiver of every notice of its rules within its org: a
// WeCom or DingTalk group robot (Format "wecom" / "dingtalk": a text
// message) or any system that takes sifa's JSON (Format "json", the default).
type Webhook struct {
	Name   string
	URL    string
	Format string
	Rules  []string // empty: every rule
	Org    string   // empty: everywhere
}

// Config is how notices are made and sent.
type Config struct {
	Thresholds
	SiteURL  string // how people reach sifa (http://10.1.2.3:8080), for the links
	SMTP     SMTP
	Webhooks []Webhook
	// a failed delivery is tried Attempts times in all (default 5), waiting
	// RetryAfter (default 10 minutes), then twice as long each time
	Attempts   int
	RetryAfter time.Duration
	// notices older than KeepDays (default 35) are no longer delivered
	KeepDays int
}

// Store is what notices keep in the warehouse.
type Store interface {
	AddNotice(ctx context.Context, n warehouse.Notice) (bool, error)
	NoticesSince(ctx context.Context, since time.Time) ([]warehouse.Notice, error)
	RecordDelivery(ctx context.Context, d warehouse.Delivery) error
	Deliveries(ctx context.Context, recipient string) ([]warehouse.Delivery, error)
	NoticePrefs(ctx context.Context) (map[string]warehouse.NoticePref, error)
	Accounts(ctx context.Context) ([]warehouse.Account, error)
	RecordJob(ctx context.Context, j warehouse.JobRun) error
}

// Service makes and delivers the notices; Run is its scheduled job.
type Service struct {
	Engine *panels.Engine
	Store  Store
	Config Config
	Log    *slog.Logger
	Now    func() time.Time // default time.Now
	HTTP   *http.Client     // default: a client with a 10 s timeout
	// Attach gives the .docx of a monthly brief for its e-mail (nil: the
	// mail carries the link only)
	Attach func(ctx context.Context, n warehouse.Notice) (name string, data []byte, err error)
}

// Outcome is what one run did.
type Outcome struct {
	New      int      // notices made
	Sent     int      // deliveries that went out (in-app ones included)
	Failed   int      // attempts that failed
	GaveUp   int      // deliveries given up after the last attempt
	Problems []string // what failed, in words
}

// target is one delivery a notice gets: a person (in-app, e-mail) or a webhook.
type target struct {
	recipient, channel string
	role               panels.Role
	email              string
	hook               *Webhook
}

// Run makes the notices the data calls for now, delivers what is due and
// records the run on the 作业 page.
func (s *Service) Run(ctx context.Context) (Outcome, error) {
	now := s.now()
	run := warehouse.JobRun{RunID: fmt.Sprint(now.UnixNano()), Job: "notices", Started: now, Result: "成功"}
	out, err := s.run(ctx)
	run.Ended = s.now()
	run.Files, run.Accepted, run.FailedFiles = out.New, out.Sent, out.Failed
	switch {
	case err != nil:
		run.Result, run.Error = "失败", err.Error()
	case len(out.Problems) > 0:
		run.Result, run.Error = "失败", strings.Join(out.Problems, "；")
	default:
		run.Error = fmt.Sprintf("新提醒 %d 条，送出 %d 次", out.New, out.Sent)
	}
	if err := s.Store.RecordJob(context.WithoutCancel(ctx), run); err != nil && s.Log != nil {
		s.Log.Error("job history not written", "err", err)
	}
	return out, err
}

func (s *Service) run(ctx context.Context) (Outcome, error) {
	var out Outcome
	found, err := Evaluate(ctx, s.Engine, s.Config.Thresholds)
	if err != nil {
		return out, err
	}
	add := func(ns []warehouse.Notice) error {
		for _, n := range ns {
			n.Created = s.now()
			isNew, err := s.Store.AddNotice(ctx, n)
			if err != nil {
				return err
			}
			if isNew {
				out.New++
			}
		}
		return nil
	}
	// the month's jumps are kept before its brief, which names them
	if err := add(found); err != nil {
		return out, err
	}
	reg, err := s.Engine.Store.Registry(ctx)
	if err != nil {
		return out, err
	}
	bs, err := briefs(ctx, s.Engine, reg, s.Store)
	if err != nil {
		return out, err
	}
	if err := add(bs); err != nil {
		return out, err
	}
	keep := s.Config.KeepDays
	if keep <= 0 {
		keep = 35
	}
	open, err := s.Store.NoticesSince(ctx, s.now().AddDate(0, 0, -keep))
	if err != nil || len(open) == 0 {
		return out, err
	}
	accounts, err := s.Store.Accounts(ctx)
	if err != nil {
		return out, err
	}
	prefs, err := s.Store.NoticePrefs(ctx)
	if err != nil {
		return out, err
	}
	done, err := s.Store.Deliveries(ctx, "")
	if err != nil {
		return out, err
	}
	state := map[string]warehouse.Delivery{}
	for _, d := range done {
		state[d.Key+"\x00"+d.Recipient+"\x00"+d.Channel] = d
	}
	for _, n := range open {
		for _, t := range s.targets(n, reg, accounts, prefs) {
			d, seen := state[n.Key+"\x00"+t.recipient+"\x00"+t.channel]
			if seen && d.State != warehouse.DeliveryPending {
				continue // sent, read, or given up
			}
			if seen && s.now().Before(d.At.Add(s.wait(d.Attempts))) {
				continue // not yet time to try again
			}
			next := warehouse.Delivery{Key: n.Key, Recipient: t.recipient, Channel: t.channel, Attempts: d.Attempts + 1, State: warehouse.DeliverySent}
			if err := s.send(ctx, n, t); err != nil {
				out.Failed++
				next.Error = err.Error()
				next.State = warehouse.DeliveryPending
				who := t.recipient
				if t.hook != nil {
					who = "接收端「" + t.hook.Name + "」"
				}
				if next.Attempts >= s.attempts() {
					next.State = warehouse.DeliveryFailed
					out.GaveUp++
					out.Problems = append(out.Problems, fmt.Sprintf("“%s”发往%s（%s）失败 %d 次，已停止重试：%s", n.Title, who, channelName[t.channel], next.Attempts, err))
				} else {
					out.Problems = append(out.Problems, fmt.Sprintf("“%s”发往%s（%s）第 %d 次失败，稍后重试：%s", n.Title, who, channelName[t.channel], next.Attempts, err))
				}
			} else {
				out.Sent++
			}
			if err := s.Store.RecordDelivery(ctx, next); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

var channelName = map[string]string{ChannelInbox: "站内消息", ChannelEmail: "邮件", ChannelWebhook: "webhook"}

// targets are the deliveries a notice gets: each person whose role and org
// it concerns and who has not turned its rule off (in-app, and e-mail when
// they gave an address), and each webhook of its rule and org.
func (s *Service) targets(n warehouse.Notice, reg *panels.Registry, accounts []warehouse.Account, prefs map[string]warehouse.NoticePref) []target {
	var out []target
	for _, a := range accounts {
		role := panels.Role(a.Role)
		if a.Disabled || !slices.Contains(ruleRoles[n.Rule], role) {
			continue
		}
		switch {
		case n.Rule == RuleJob && a.Org != "": // the server's jobs: the whole system's admins
			continue
		case role == panels.RoleClerk && a.Org != n.Org: // a 数据员: their own office's
			continue
		case n.Org != "" && !reg.Within(n.Org, a.Org):
			continue
		}
		p, set := prefs[a.Name]
		if set && p.Set && !slices.Contains(p.Rules, n.Rule) {
			continue
		}
		out = append(out, target{recipient: a.Name, channel: ChannelInbox, role: role})
		if p.Email != "" && s.Config.SMTP.Addr != "" {
			out = append(out, target{recipient: a.Name, channel: ChannelEmail, role: role, email: p.Email})
		}
	}
	for i := range s.Config.Webhooks {
		h := &s.Config.Webhooks[i]
		if len(h.Rules) > 0 && !slices.Contains(h.Rules, n.Rule) || n.Org != "" && h.Org != "" && !reg.Within(n.Org, h.Org) {
			continue
		}
		out = append(out, target{recipient: "webhook:" + h.Name, channel: ChannelWebhook, role: panels.RoleLeader, hook: h})
	}
	return out
}

// LinkFor is the page a notice points a person of a role to: a 数据员
// acts on a late ledger on the upload page.
func LinkFor(n warehouse.Notice, role panels.Role) string {
	if role == panels.RoleClerk && n.Rule == RuleMissed {
		return "/upload"
	}
	return n.Link
}

func (s *Service) send(ctx context.Context, n warehouse.Notice, t target) error {
	link := strings.TrimRight(s.Config.SiteURL, "/") + LinkFor(n, t.role)
	switch t.channel {
	case ChannelInbox:
		return nil // the 消息 list reads the delivery row itself
	case ChannelEmail:
		return s.mail(ctx, t.email, n, link)
	case ChannelWebhook:
		return s.post(ctx, t.hook, n, link)
	}
	return fmt.Errorf("不认识的渠道 %s", t.channel)
}

func (s *Service) mail(ctx context.Context, to string, n warehouse.Notice, link string) error {
	c := s.Config.SMTP
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("邮件服务器地址「%s」不对，应是 主机:端口", c.Addr)
	}
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("连不上邮件服务器 %s：%w", c.Addr, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Minute))
	cl, err := smtp.NewClient(conn, host)
	if err != nil {
		return fmt.Errorf("邮件服务器 %s 没有应答：%w", c.Addr, err)
	}
	defer cl.Close()
	if err := cl.Hello("sifa"); err != nil {
		return err
	}
	if ok, _ := cl.Extension("STARTTLS"); ok {
		if err := cl.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return fmt.Errorf("与邮件服务器建立加密连接失败：%w", err)
		}
	}
	if c.User != "" {
		if err := cl.Auth(smtp.PlainAuth("", c.User, c.Password, host)); err != nil {
			return fmt.Errorf("邮件服务器拒绝了账号 %s：%w", c.User, err)
		}
	}
	if err := cl.Mail(c.From); err != nil {
		return fmt.Errorf("邮件服务器不接受发件人 %s：%w", c.From, err)
	}
	if err := cl.Rcpt(to); err != nil {
		return fmt.Errorf("邮件服务器不接受收件人 %s：%w", to, err)
	}
	wc, err := cl.Data()
	if err != nil {
		return err
	}
	var att *attachment
	if s.Attach != nil && n.Rule == RuleBrief {
		name, data, err := s.Attach(ctx, n)
		if err != nil {
			return fmt.Errorf("简报的 Word 文件没有生成：%w", err)
		}
		att = &attachment{name, data}
	}
	if _, err := wc.Write(message(c.From, to, n, link, s.now(), att)); err != nil {
		return err
	}
	if err := wc.Close(); err != nil {
		return fmt.Errorf("邮件服务器没有收下邮件：%w", err)
	}
	return cl.Quit()
}

type attachment struct {
	name string
	data []byte
}

// message writes a UTF-8 mail (with the brief's .docx attached, if any);
// its Message-ID is the notice's and the recipient's, so a mail system can
// drop a repeat.
func message(from, to string, n warehouse.Notice, link string, at time.Time, att *attachment) []byte {
	id := sha256.Sum256([]byte(n.Key + "\x00" + to))
	tag := "【提醒】"
	if n.Rule == RuleBrief {
		tag = "【简报】"
	}
	body := n.Body + "\r\n\r\n查看：" + link + "\r\n\r\n（基层司法行政数据平台自动发送。不想再收到这类提醒，可在平台的“消息”页修改接收设置。）\r\n"
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@sifa>\r\nMIME-Version: 1.0\r\n",
		from, to, mime.BEncoding.Encode("utf-8", tag+n.Title), at.Format(time.RFC1123Z), hex.EncodeToString(id[:12]))
	if att == nil {
		b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
		writeBase64(&b, []byte(body))
		return b.Bytes()
	}
	mw := multipart.NewWriter(&b)
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=%s\r\n\r\n", mw.Boundary())
	text, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain; charset=utf-8"}, "Content-Transfer-Encoding": {"base64"}})
	writeBase64(text, []byte(body))
	file, _ := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {mime.FormatMediaType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", map[string]string{"name": att.name})},
		"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": att.name})},
		"Content-Transfer-Encoding": {"base64"}})
	writeBase64(file, att.data)
	mw.Close()
	return b.Bytes()
}

func writeBase64(w io.Writer, data []byte) {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		io.WriteString(w, enc[:76]+"\r\n")
		enc = enc[76:]
	}
	io.WriteString(w, enc+"\r\n")
}

// Payload is the JSON a "json" webhook receives.
type Payload struct {
	Key      string `json:"key"`
	Rule     string `json:"rule"`
	RuleName string `json:"rule_name"`
	Org      string `json:"org"`
	Title    string `json:"title"`
	Body     string `json:"body"`
	Link     string `json:"link"`
	Created  string `json:"created"`
}

func (s *Service) post(ctx context.Context, h *Webhook, n warehouse.Notice, link string) error {
	var v any
	switch h.Format {
	case "wecom", "dingtalk":
		v = map[string]any{"msgtype": "text", "text": map[string]string{"content": "【提醒】" + n.Title + "\n" + n.Body + "\n查看：" + link}}
	default:
		v = Payload{Key: n.Key, Rule: n.Rule, RuleName: RuleName[n.Rule], Org: n.Org, Title: n.Title, Body: n.Body, Link: link, Created: n.Created.UTC().Format(time.RFC3339)}
	}
	body, _ := json.Marshal(v)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("地址不对：%w", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Idempotency-Key", n.Key)
	cl := s.HTTP
	if cl == nil {
		cl = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := cl.Do(req)
	if err != nil {
		var ue interface{ Timeout() bool }
		if errors.As(err, &ue) && ue.Timeout() {
			return fmt.Errorf("接收端 10 秒内没有应答")
		}
		return fmt.Errorf("连不上接收端：%w", err)
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("接收端回答 %s", resp.Status)
	}
	if h.Format == "wecom" || h.Format == "dingtalk" { // the robots answer 200 with an error code
		var r struct {
			Code int    `json:"errcode"`
			Msg  string `json:"errmsg"`
		}
		if json.Unmarshal(reply, &r) == nil && r.Code != 0 {
			return fmt.Errorf("机器人拒收（%d %s）", r.Code, r.Msg)
		}
	}
	return nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) attempts() int {
	if s.Config.Attempts > 0 {
		return s.Config.Attempts
	}
	return 5
}

// wait is how long after the n-th failed attempt the next one is due.
func (s *Service) wait(n int) time.Duration {
	w := s.Config.RetryAfter
	if w < 0 {
		return 0
	}
	if w == 0 {
		w = 10 * time.Minute
	}
	for i := 1; i < n; i++ {
		w *= 2
	}
	return w
}
