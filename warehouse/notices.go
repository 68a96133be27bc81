package warehouse

import (
	"context"
	"strconv"
	"strings"
	"time"

	"sifa/ingest/ledger"
	"sifa/transform"
)

// The notices' tables (schema v7): each notice once, each delivery attempt
// as a row (the newest row of a notice, recipient and channel is its
// state), and each person's choices as versioned rows.
var (
	Notices = &ledger.Table{Name: "notices", Columns: []ledger.Col{ledger.S("notice_key"), ledger.S("rule"), ledger.S("org"), ledger.S("title"),
		ledger.S("body"), ledger.S("link"), {Name: "created_at", Type: ledger.Time}, ledger.I("seq")}, OrderBy: []string{"notice_key"}}
	Deliveries = &ledger.Table{Name: "deliveries", Columns: []ledger.Col{ledger.S("notice_key"), ledger.S("recipient"), ledger.S("channel"), ledger.S("state"),
		ledger.I("attempts"), ledger.S("error"), ledger.I("seq")}, OrderBy: []string{"notice_key", "recipient", "channel", "seq"}}
	NoticePrefs = &ledger.Table{Name: "notice_prefs", Columns: []ledger.Col{ledger.S("user_name"), ledger.S("rules"), ledger.S("email"),
		ledger.I("version")}, OrderBy: []string{"user_name", "version"}}
)

// Notice is one thing someone should act on, made once (its Key says what
// it is about: a rule, an org, a month).
type Notice struct {
	Key, Rule, Org    string
	Title, Body, Link string // Link: a path on the site (/?org=…)
	Created           time.Time
}

// Delivery states.
const (
	DeliveryPending = "pending" // tried, will be tried again
	DeliverySent    = "sent"
	DeliveryFailed  = "failed" // given up after the last attempt
	DeliveryRead    = "read"   // an in-app notice the person has read
)

// Delivery is the state of one notice for one recipient on one channel.
type Delivery struct {
	Key, Recipient, Channel string
	State                   string
	Attempts                int
	Error                   string
	At                      time.Time
}

// NoticePref is what a person chose to receive: the rules (nil: all
// their role gets) and an e-mail address ("" : no e-mail).
type NoticePref struct {
	User  string
	Rules []string
	Email string
	Set   bool // false: never chosen (the defaults)
}

// AddNotice keeps a notice unless one with its key is kept already, and
// says whether it was new.
func (w *Warehouse) AddNotice(ctx context.Context, n Notice) (bool, error) {
	res, err := w.eng.query(ctx, "SELECT count(*) FROM notices WHERE notice_key = "+w.Lit(n.Key))
	if err != nil {
		return false, err
	}
	if res.Rows[0][0].(int64) > 0 {
		return false, nil
	}
	if n.Created.IsZero() {
		n.Created = time.Now()
	}
	rec := transform.BuildRecord(Notices, [][]any{{n.Key, n.Rule, n.Org, n.Title, n.Body, n.Link, n.Created.UTC(), tick()}})
	defer rec.Release()
	return true, w.eng.appendRecord(ctx, Notices, rec)
}

// NoticesSince lists the notices made since a time, oldest first.
func (w *Warehouse) NoticesSince(ctx context.Context, since time.Time) ([]Notice, error) {
	res, err := w.eng.query(ctx, "SELECT notice_key, rule, org, title, body, link, seq FROM notices WHERE seq >= "+strconv.FormatInt(since.UnixNano(), 10)+" ORDER BY seq")
	if err != nil {
		return nil, err
	}
	var out []Notice
	for _, r := range res.Rows {
		out = append(out, Notice{Key: r[0].(string), Rule: r[1].(string), Org: r[2].(string), Title: r[3].(string), Body: r[4].(string),
			Link: r[5].(string), Created: time.Unix(0, r[6].(int64))})
	}
	return out, nil
}

// RecordDelivery writes a delivery's new state.
func (w *Warehouse) RecordDelivery(ctx context.Context, d Delivery) error {
	rec := transform.BuildRecord(Deliveries, [][]any{{d.Key, d.Recipient, d.Channel, d.State, int64(d.Attempts), d.Error, tick()}})
	defer rec.Release()
	return w.eng.appendRecord(ctx, Deliveries, rec)
}

// Deliveries reads the current state of every delivery of a recipient (""
// = all), newest first. The table is small: a row per attempt.
func (w *Warehouse) Deliveries(ctx context.Context, recipient string) ([]Delivery, error) {
	where := ""
	if recipient != "" {
		where = " WHERE recipient = " + w.Lit(recipient)
	}
	res, err := w.eng.query(ctx, "SELECT notice_key, recipient, channel, argMax(state, seq), argMax(attempts, seq), argMax(error, seq), max(seq) FROM deliveries"+
		where+" GROUP BY notice_key, recipient, channel ORDER BY max(seq) DESC")
	if err != nil {
		return nil, err
	}
	var out []Delivery
	for _, r := range res.Rows {
		out = append(out, Delivery{Key: r[0].(string), Recipient: r[1].(string), Channel: r[2].(string), State: r[3].(string),
			Attempts: int(r[4].(int64)), Error: r[5].(string), At: time.Unix(0, r[6].(int64))})
	}
	return out, nil
}

// SetNoticePref keeps a person's choices (a new version).
func (w *Warehouse) SetNoticePref(ctx context.Context, p NoticePref) error {
	rec := transform.BuildRecord(NoticePrefs, [][]any{{p.User, strings.Join(p.Rules, ","), p.Email, tick()}})
	defer rec.Release()
	return w.eng.appendRecord(ctx, NoticePrefs, rec)
}

// NoticePrefs reads every person's current choices, by user name.
func (w *Warehouse) NoticePrefs(ctx context.Context) (map[string]NoticePref, error) {
	res, err := w.eng.query(ctx, "SELECT user_name, argMax(rules, version), argMax(email, version) FROM notice_prefs GROUP BY user_name")
	if err != nil {
		return nil, err
	}
	out := map[string]NoticePref{}
	for _, r := range res.Rows {
		p := NoticePref{User: r[0].(string), Email: r[2].(string), Set: true, Rules: []string{}}
		if s := r[1].(string); s != "" {
			p.Rules = strings.Split(s, ",")
		}
		out[p.User] = p
	}
	return out, nil
}
