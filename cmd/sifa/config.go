package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"sifa/dashboards"
	"sifa/ingest"
	"sifa/notices"
	"sifa/warehouse/panels"
)

// Config is sifa's one configuration file (TOML). Every key can also be set
// by an environment variable SIFA_<KEY> (upper case, dots as underscores),
// which wins over the file; a command-line flag wins over both.
type Config struct {
	Warehouse  string `toml:"warehouse"`   // duckdb:PATH or clickhouse://HOST:PORT/DB
	DataDir    string `toml:"data_dir"`    // raw-file archive and other state
	Addr       string `toml:"addr"`        // where serve listens
	Secret     string `toml:"secret"`      // key of person_key; default: a random key kept in data_dir/secret.key
	SecretFile string `toml:"secret_file"` // or a file holding it
	Timezone   string `toml:"timezone"`    // of the schedules (default Asia/Shanghai)
	LogFormat  string `toml:"log_format"`  // "text" (default) or "json", on stderr
	LogLevel   string `toml:"log_level"`   // debug, info (default), warn, error
	ReportFont string `toml:"report_font"` // CJK font file for the report's chart images (default: found on the machine)

	Inbox               string  `toml:"inbox"`                 // folder scanned on a schedule; empty: no scan
	InboxSchedule       string  `toml:"inbox_schedule"`        // cron spec (default "@every 5m")
	InboxSettleSeconds  float64 `toml:"inbox_settle_seconds"`  // a file must stop growing this long (default 2)
	RetryBackoffSeconds float64 `toml:"retry_backoff_seconds"` // first wait before retrying a passing failure (default 5)
	OptimizeSchedule    string  `toml:"optimize_schedule"`     // nightly clean-up, cron spec (default "0 3 * * *")
	BackupSchedule      string  `toml:"backup_schedule"`       // weekly backup, cron spec (default "0 2 * * 0"); "off" to disable
	BackupDir           string  `toml:"backup_dir"`            // default data_dir/backups; the newest 4 are kept
	SubmissionDay       int     `toml:"submission_day"`        // last month's ledgers are due by this day (default 5)
	SubmissionSchedule  string  `toml:"submission_schedule"`   // the daily submission check, cron spec (default "0 8 * * *")

	// PushTokens: source name → token for POST /api/v1/ingest (delete a line to revoke)
	PushTokens map[string]string `toml:"push_tokens"`
	Limits     struct {
		MaxInflatedMB int `toml:"max_inflated_mb"`
		MaxCellChars  int `toml:"max_cell_chars"`
		MaxColumns    int `toml:"max_columns"`
		// files that never loaded are kept this long and this much (default 30 days, 1024 MB)
		QuarantineDays int `toml:"quarantine_days"`
		QuarantineMB   int `toml:"quarantine_mb"`
		// what one account may upload in 24 hours (default 500 MB)
		UploadMBPerDay int `toml:"upload_mb_per_day"`
		// how long one file may take to load before it is stopped and refused (default 20)
		FileMinutes int `toml:"file_minutes"`
	} `toml:"limits"`
	Security struct {
		TLSCert            string `toml:"tls_cert"`             // certificate (PEM) for HTTPS
		TLSKey             string `toml:"tls_key"`              // its private key (PEM)
		BehindProxy        bool   `toml:"behind_proxy"`         // an HTTPS reverse proxy in front (also --behind-proxy)
		SessionIdleMinutes int    `toml:"session_idle_minutes"` // default 30
		SessionMaxHours    int    `toml:"session_max_hours"`    // default 12
		MaxFailedLogins    int    `toml:"max_failed_logins"`    // default 5 …
		LockoutMinutes     int    `toml:"lockout_minutes"`      // … within 15 minutes
		PasswordMinLength  int    `toml:"password_min_length"`  // default 10
		PasswordMinClasses int    `toml:"password_min_classes"` // of lower, upper, digits, symbols; default 3
		MinGroup           int    `toml:"min_group"`            // smallest group of people shown to researchers and government users; default 3
		AuditKeepDays      int    `toml:"audit_keep_days"`      // default and minimum 180
		MaxUploadFiles     int    `toml:"max_upload_files"`     // default 20
	} `toml:"security"`
	Standards struct {
		PublicPerStaff        float64 `toml:"public_per_staff"`
		MediationPerCounty    float64 `toml:"mediation_per_county"`
		CorrectionsPerSubject float64 `toml:"corrections_per_subject"`
		CorrectionsHigh       float64 `toml:"corrections_high"`
		// 元 per 六有 item a station or work room lacks (目标进度's costs)
		SiteItemCosts map[string]float64 `toml:"site_item_costs"`
	} `toml:"standards"`
	Notices NoticesConfig `toml:"notices"`
}

// NoticesConfig is the [notices] section: what makes a notice and where
// notices go (each person chooses theirs on the 消息 page).
type NoticesConfig struct {
	Schedule          string  `toml:"schedule"`            // cron spec (default "@every 15m"); "off" to disable
	SiteURL           string  `toml:"site_url"`            // how people reach sifa, for the links (default http://addr)
	Attempts          int     `toml:"attempts"`            // tries per delivery in all (default 5)
	RetryAfterMinutes float64 `toml:"retry_after_minutes"` // first wait before a retry, then doubling (default 10)
	KeepDays          int     `toml:"keep_days"`           // notices older than this are no longer delivered (default 35)
	JumpFactor        float64 `toml:"jump_factor"`         // a month at this many times the median of the 12 before … (default 2)
	JumpMin           int64   `toml:"jump_min"`            // … and this many cases above it (default 10)
	JobFailures       int     `toml:"job_failures"`        // failed runs in a row (default 3)
	SMTP              struct {
		Addr         string `toml:"addr"` // host:port of the county's mail server; empty: no e-mail
		From         string `toml:"from"`
		User         string `toml:"user"`
		Password     string `toml:"password"`
		PasswordFile string `toml:"password_file"`
	} `toml:"smtp"`
	Webhooks []struct {
		Name   string   `toml:"name"`
		URL    string   `toml:"url"`
		Format string   `toml:"format"` // json (default), wecom, dingtalk
		Rules  []string `toml:"rules"`  // missed, target, jump, job; empty: all
		Org    string   `toml:"org"`    // only notices within this org; empty: all
	} `toml:"webhooks"`
}

// service builds the notices service from the section, checking it.
func (n NoticesConfig) service(addr string) (notices.Config, error) {
	c := notices.Config{SiteURL: n.SiteURL, Attempts: n.Attempts, RetryAfter: time.Duration(n.RetryAfterMinutes * float64(time.Minute)), KeepDays: n.KeepDays,
		Thresholds: notices.Thresholds{JumpFactor: n.JumpFactor, JumpMin: n.JumpMin, JobFailures: n.JobFailures}}
	if c.SiteURL == "" {
		c.SiteURL = "http://" + addr
	}
	if u, err := url.Parse(c.SiteURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("[notices] site_url「%s」不对：应像 http://10.1.2.3:8080", c.SiteURL)
	}
	if n.SMTP.Addr != "" {
		if _, _, err := net.SplitHostPort(n.SMTP.Addr); err != nil {
			return c, fmt.Errorf("[notices.smtp] addr「%s」不对：应是 主机:端口，如 mail.example.gov.cn:25", n.SMTP.Addr)
		}
		if a, err := mail.ParseAddress(n.SMTP.From); err != nil || a.Address != n.SMTP.From {
			return c, fmt.Errorf("[notices.smtp] from「%s」不是邮箱地址", n.SMTP.From)
		}
		pw := n.SMTP.Password
		if n.SMTP.PasswordFile != "" {
			b, err := os.ReadFile(n.SMTP.PasswordFile)
			if err != nil {
				return c, fmt.Errorf("[notices.smtp] password_file 读不出来：%w", err)
			}
			pw = strings.TrimSpace(string(b))
		}
		c.SMTP = notices.SMTP{Addr: n.SMTP.Addr, From: n.SMTP.From, User: n.SMTP.User, Password: pw}
	}
	names := map[string]bool{}
	for i, h := range n.Webhooks {
		where := fmt.Sprintf("[[notices.webhooks]] 第 %d 个", i+1)
		if h.Name == "" || names[h.Name] {
			return c, fmt.Errorf("%s：name 要写，且不能与别的重名", where)
		}
		names[h.Name] = true
		if u, err := url.Parse(h.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("%s（%s）：url「%s」不对，应以 http:// 或 https:// 开头", where, h.Name, h.URL)
		}
		if !slices.Contains([]string{"", "json", "wecom", "dingtalk"}, h.Format) {
			return c, fmt.Errorf("%s（%s）：format「%s」不对，可以是 json、wecom、dingtalk", where, h.Name, h.Format)
		}
		for _, r := range h.Rules {
			if !slices.Contains(notices.Rules, r) {
				return c, fmt.Errorf("%s（%s）：rules 里的「%s」不对，可以是 %s", where, h.Name, r, strings.Join(notices.Rules, "、"))
			}
		}
		c.Webhooks = append(c.Webhooks, notices.Webhook{Name: h.Name, URL: h.URL, Format: h.Format, Rules: h.Rules, Org: h.Org})
	}
	return c, nil
}

func loadConfig(path string) (*Config, error) {
	c := &Config{}
	if path == "" {
		path = os.Getenv("SIFA_CONFIG")
	}
	if path != "" {
		md, err := toml.DecodeFile(path, c)
		if err != nil {
			return nil, fmt.Errorf("配置文件 %s 有误：%w", path, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			return nil, fmt.Errorf("配置文件 %s 里有不认识的设置：%v", path, und)
		}
	}
	env := func(key string, dst *string) {
		if v, ok := os.LookupEnv("SIFA_" + key); ok {
			*dst = v
		}
	}
	envInt := func(key string, dst *int) {
		if v, ok := os.LookupEnv("SIFA_" + key); ok {
			if n, err := strconv.Atoi(v); err == nil {
				*dst = n
			}
		}
	}
	envFloat := func(key string, dst *float64) {
		if v, ok := os.LookupEnv("SIFA_" + key); ok {
			if n, err := strconv.ParseFloat(v, 64); err == nil {
				*dst = n
			}
		}
	}
	env("WAREHOUSE", &c.Warehouse)
	env("DATA_DIR", &c.DataDir)
	env("ADDR", &c.Addr)
	env("SECRET", &c.Secret)
	env("SECRET_FILE", &c.SecretFile)
	env("TIMEZONE", &c.Timezone)
	env("LOG_FORMAT", &c.LogFormat)
	env("LOG_LEVEL", &c.LogLevel)
	env("REPORT_FONT", &c.ReportFont)
	env("INBOX", &c.Inbox)
	env("INBOX_SCHEDULE", &c.InboxSchedule)
	env("OPTIMIZE_SCHEDULE", &c.OptimizeSchedule)
	env("BACKUP_SCHEDULE", &c.BackupSchedule)
	env("BACKUP_DIR", &c.BackupDir)
	envInt("SUBMISSION_DAY", &c.SubmissionDay)
	env("SUBMISSION_SCHEDULE", &c.SubmissionSchedule)
	envFloat("INBOX_SETTLE_SECONDS", &c.InboxSettleSeconds)
	envFloat("RETRY_BACKOFF_SECONDS", &c.RetryBackoffSeconds)
	envInt("LIMITS_MAX_INFLATED_MB", &c.Limits.MaxInflatedMB)
	envInt("LIMITS_MAX_CELL_CHARS", &c.Limits.MaxCellChars)
	envInt("LIMITS_MAX_COLUMNS", &c.Limits.MaxColumns)
	envInt("LIMITS_QUARANTINE_DAYS", &c.Limits.QuarantineDays)
	envInt("LIMITS_QUARANTINE_MB", &c.Limits.QuarantineMB)
	envInt("LIMITS_UPLOAD_MB_PER_DAY", &c.Limits.UploadMBPerDay)
	envInt("LIMITS_FILE_MINUTES", &c.Limits.FileMinutes)
	env("SECURITY_TLS_CERT", &c.Security.TLSCert)
	env("SECURITY_TLS_KEY", &c.Security.TLSKey)
	if v, ok := os.LookupEnv("SIFA_SECURITY_BEHIND_PROXY"); ok {
		c.Security.BehindProxy, _ = strconv.ParseBool(v)
	}
	envInt("SECURITY_SESSION_IDLE_MINUTES", &c.Security.SessionIdleMinutes)
	envInt("SECURITY_SESSION_MAX_HOURS", &c.Security.SessionMaxHours)
	envInt("SECURITY_MAX_FAILED_LOGINS", &c.Security.MaxFailedLogins)
	envInt("SECURITY_LOCKOUT_MINUTES", &c.Security.LockoutMinutes)
	envInt("SECURITY_PASSWORD_MIN_LENGTH", &c.Security.PasswordMinLength)
	envInt("SECURITY_PASSWORD_MIN_CLASSES", &c.Security.PasswordMinClasses)
	envInt("SECURITY_MIN_GROUP", &c.Security.MinGroup)
	envInt("SECURITY_AUDIT_KEEP_DAYS", &c.Security.AuditKeepDays)
	envInt("SECURITY_MAX_UPLOAD_FILES", &c.Security.MaxUploadFiles)
	envFloat("STANDARDS_PUBLIC_PER_STAFF", &c.Standards.PublicPerStaff)
	envFloat("STANDARDS_MEDIATION_PER_COUNTY", &c.Standards.MediationPerCounty)
	envFloat("STANDARDS_CORRECTIONS_PER_SUBJECT", &c.Standards.CorrectionsPerSubject)
	envFloat("STANDARDS_CORRECTIONS_HIGH", &c.Standards.CorrectionsHigh)
	// SIFA_PUSH_TOKEN_<SOURCE>=token adds (or, empty, revokes) a push source
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if src, ok := strings.CutPrefix(k, "SIFA_PUSH_TOKEN_"); ok && src != "" {
			if c.PushTokens == nil {
				c.PushTokens = map[string]string{}
			}
			if v == "" {
				delete(c.PushTokens, strings.ToLower(src))
			} else {
				c.PushTokens[strings.ToLower(src)] = v
			}
		}
	}
	if c.DataDir == "" {
		c.DataDir = "var"
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.Security.AuditKeepDays == 0 {
		c.Security.AuditKeepDays = 180
	}
	if c.Security.AuditKeepDays < 180 {
		return nil, fmt.Errorf("audit_keep_days 是 %d：审计日志至少要保留 180 天", c.Security.AuditKeepDays)
	}
	var items []string
	for _, it := range panels.SixItems {
		items = append(items, it.From)
	}
	for item, cost := range c.Standards.SiteItemCosts {
		if !slices.Contains(items, item) {
			return nil, fmt.Errorf("[standards.site_item_costs] 里的「%s」不是“六有”项目，可以是：%s", item, strings.Join(items, "、"))
		}
		if cost < 0 {
			return nil, fmt.Errorf("[standards.site_item_costs] 里「%s」的单价 %v 元不对：不能是负数", item, cost)
		}
	}
	if _, err := c.Notices.service(c.Addr); err != nil {
		return nil, err
	}
	if (c.Security.TLSCert == "") != (c.Security.TLSKey == "") {
		return nil, fmt.Errorf("tls_cert 和 tls_key 要一起配置")
	}
	return c, nil
}

// security is the sign-in configuration for the site.
func (c *Config) security() dashboards.Security {
	s := c.Security
	return dashboards.Security{
		IdleTimeout:   time.Duration(s.SessionIdleMinutes) * time.Minute,
		MaxSessionAge: time.Duration(s.SessionMaxHours) * time.Hour,
		MaxFailures:   s.MaxFailedLogins,
		FailureWindow: time.Duration(s.LockoutMinutes) * time.Minute,
		Password:      dashboards.PasswordRules{MinLength: s.PasswordMinLength, MinClasses: s.PasswordMinClasses},
		SecureCookie:  s.TLSCert != "" || s.BehindProxy,
		TrustProxy:    s.BehindProxy,
		MaxFiles:      s.MaxUploadFiles,

		UploadBytesPerDay: int64(c.Limits.UploadMBPerDay) << 20,
	}
}

// quarantine is how long and how much of the files that never loaded the archive keeps.
func (c *Config) quarantine() ingest.Quarantine {
	return ingest.Quarantine{Keep: time.Duration(c.Limits.QuarantineDays) * 24 * time.Hour, Bytes: int64(c.Limits.QuarantineMB) << 20}
}

// fingerprint identifies the configuration's content (secrets and tokens
// only by their hash): a change shows in the audit log.
func (c *Config) fingerprint() string {
	cp := *c
	var b strings.Builder
	toml.NewEncoder(&b).Encode(cp)
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:8])
}

func (c *Config) limits() ingest.Limits {
	return ingest.Limits{MaxInflatedBytes: int64(c.Limits.MaxInflatedMB) << 20, MaxCellChars: c.Limits.MaxCellChars, MaxColumns: c.Limits.MaxColumns}
}

func (c *Config) standards() panels.Standards {
	s := panels.DefaultStandards
	if c.Standards.PublicPerStaff > 0 {
		s.PublicPerStaff = c.Standards.PublicPerStaff
	}
	if c.Standards.MediationPerCounty > 0 {
		s.MediationPerCounty = c.Standards.MediationPerCounty
	}
	if c.Standards.CorrectionsPerSubject > 0 {
		s.CorrectionsPerSubject = c.Standards.CorrectionsPerSubject
	}
	if c.Standards.CorrectionsHigh > 0 {
		s.CorrectionsHigh = c.Standards.CorrectionsHigh
	}
	s.SiteItemCosts = c.Standards.SiteItemCosts
	return s
}

// secret returns the person_key secret: configured, or kept in a file that
// is created with a random key on first use. It never goes into the warehouse.
func (c *Config) secret() ([]byte, error) {
	if c.Secret != "" {
		return []byte(c.Secret), nil
	}
	path := c.SecretFile
	if path == "" {
		path = filepath.Join(c.DataDir, "secret.key")
	}
	if b, err := os.ReadFile(path); err == nil {
		if s := strings.TrimSpace(string(b)); s != "" {
			return []byte(s), nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	key := hex.EncodeToString(b)
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("无法写入密钥文件 %s：%w", path, err)
	}
	return []byte(key), nil
}

// logger makes the structured logger the configuration asks for.
func (c *Config) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	switch strings.ToLower(c.LogLevel) {
	case "", "info":
		level = slog.LevelInfo
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		return nil, fmt.Errorf("日志级别「%s」不对，应是 debug、info、warn 或 error", c.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(c.LogFormat) {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("日志格式「%s」不对，应是 text 或 json", c.LogFormat)
}
