package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"
	_ "time/tzdata" // CRON_TZ=Asia/Shanghai on machines without a zoneinfo database

	"github.com/robfig/cron/v3"

	"sifa/ingest"
	"sifa/notices"
	"sifa/warehouse"
	"sifa/warehouse/load"
	"sifa/warehouse/panels"
)

// inboxJob takes the ready files of the inbox through the ingest path:
// loaded files go to done/, bad files to failed/ with the reason, and files
// that failed for a passing reason (the warehouse down, the disk full) stay
// in the inbox and are tried again with backoff, then at the next scan.
type inboxJob struct {
	inbox    *ingest.Inbox
	pipeline *load.Pipeline
	w        *warehouse.Warehouse
	log      *slog.Logger
	retries  int           // attempts after the first for passing failures (default 3)
	backoff  time.Duration // first wait; doubles each time (default 5 s)
}

func (j *inboxJob) run(ctx context.Context) {
	files, err := j.inbox.Ready()
	if err != nil {
		j.log.Error("inbox scan failed", "dir", j.inbox.Dir, "err", err)
		return
	}
	if len(files) == 0 {
		return // nothing arrived: no warehouse write at all
	}
	id := make([]byte, 6)
	rand.Read(id)
	run := warehouse.JobRun{RunID: hex.EncodeToString(id), Job: "inbox", Started: time.Now(), Files: len(files)}
	pending := files
	var lastErr string
	wait := j.backoff
	if wait <= 0 {
		wait = 5 * time.Second
	}
	for attempt := 0; attempt <= j.retries && len(pending) > 0 && ctx.Err() == nil; attempt++ {
		if attempt > 0 {
			j.log.Warn("inbox load will be retried", "attempt", attempt, "wait", wait, "files", len(pending), "err", lastErr)
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
			wait *= 2
		}
		reports, err := j.pipeline.Run(ctx, pending)
		if err != nil { // the batch could not start (warehouse unreachable): all of it may pass
			lastErr = err.Error()
			continue
		}
		var again []string
		for _, r := range reports {
			switch {
			case r.Err == nil:
				run.Accepted += r.Accepted()
				run.Rejected += r.Rejected()
				if err := j.inbox.Done(r.File); err != nil {
					j.log.Error("inbox move failed", "file", r.File, "err", err)
				}
			case r.Transient:
				lastErr = r.Err.Error()
				again = append(again, r.File)
			default:
				run.FailedFiles++
				if err := j.inbox.Failed(r.File, r.Err.Error()); err != nil {
					j.log.Error("inbox move failed", "file", r.File, "err", err)
				}
				j.log.Warn("file set aside", "file", filepath.Base(r.File), "reason", r.Err.Error())
			}
		}
		pending = again
	}
	run.Ended = time.Now()
	switch {
	case len(pending) > 0:
		run.Result = "失败"
		run.Error = fmt.Sprintf("%d 个文件暂时没能载入，留在收件目录，下次扫描再试：%s", len(pending), lastErr)
	case run.FailedFiles > 0:
		run.Result = "部分失败"
		run.Error = fmt.Sprintf("%d 个文件无法载入，已移到 failed/ 并写明原因", run.FailedFiles)
	default:
		run.Result = "成功"
	}
	if err := j.w.RecordJob(context.WithoutCancel(ctx), run); err != nil {
		j.log.Error("job history not written", "err", err)
	}
	j.log.Info("inbox run", "files", run.Files, "rows", run.Accepted, "rejected", run.Rejected, "failed_files", run.FailedFiles,
		"pending", len(pending), "result", run.Result, "took", run.Ended.Sub(run.Started).String())
}

// startScheduler starts the cron jobs the configuration asks for; stop it
// with Stop, which waits for a running job to finish.
// brief writes a county's monthly brief as a .docx for the brief's e-mail.
func startScheduler(ctx context.Context, cfg *Config, w *warehouse.Warehouse, p *load.Pipeline, e *panels.Engine, log *slog.Logger,
	brief func(ctx context.Context, org, month string) (string, []byte, error)) (*cron.Cron, error) {
	tz := cfg.Timezone
	if tz == "" {
		tz = "Asia/Shanghai"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("时区「%s」不对：%w", tz, err)
	}
	c := cron.New(cron.WithLocation(loc), cron.WithChain(cron.Recover(cron.DiscardLogger), cron.SkipIfStillRunning(cron.DiscardLogger)))
	if cfg.Inbox != "" {
		job := &inboxJob{inbox: &ingest.Inbox{Dir: cfg.Inbox, Settle: time.Duration(cfg.InboxSettleSeconds * float64(time.Second))},
			pipeline: p, w: w, log: log, retries: 3, backoff: time.Duration(cfg.RetryBackoffSeconds * float64(time.Second))}
		spec := cfg.InboxSchedule
		if spec == "" {
			spec = "@every 5m"
		}
		if _, err := c.AddFunc(spec, func() { job.run(ctx) }); err != nil {
			return nil, fmt.Errorf("收件目录的扫描时间「%s」写得不对：%w", spec, err)
		}
		log.Info("inbox scan scheduled", "dir", cfg.Inbox, "schedule", spec, "timezone", tz)
	}
	spec := cfg.OptimizeSchedule
	if spec == "" {
		spec = "0 3 * * *"
	}
	keep := time.Duration(max(cfg.Security.AuditKeepDays, 180)) * 24 * time.Hour
	if _, err := c.AddFunc(spec, func() { optimize(ctx, w, log, keep) }); err != nil {
		return nil, fmt.Errorf("夜间整理的时间「%s」写得不对：%w", spec, err)
	}
	ss := cfg.SubmissionSchedule
	if ss == "" {
		ss = "0 8 * * *"
	}
	if _, err := c.AddFunc(ss, func() { submissionCheck(ctx, e, w, log) }); err != nil {
		return nil, fmt.Errorf("报送检查的时间「%s」写得不对：%w", ss, err)
	}
	if ns := cfg.Notices.Schedule; ns != "off" {
		if ns == "" {
			ns = "@every 15m"
		}
		nc, err := cfg.Notices.service(cfg.Addr)
		if err != nil {
			return nil, err
		}
		svc := &notices.Service{Engine: e, Store: w, Config: nc, Log: log}
		if brief != nil {
			svc.Attach = func(ctx context.Context, n warehouse.Notice) (string, []byte, error) {
				parts := strings.Split(n.Key, "|") // brief|org|month
				return brief(ctx, n.Org, parts[len(parts)-1])
			}
		}
		if _, err := c.AddFunc(ns, func() {
			if out, err := svc.Run(ctx); err != nil || len(out.Problems) > 0 {
				log.Warn("notices", "new", out.New, "sent", out.Sent, "failed", out.Failed, "err", err)
			}
		}); err != nil {
			return nil, fmt.Errorf("[notices] schedule「%s」写得不对：%w", ns, err)
		}
	}
	if w.Engine() == "duckdb" && cfg.BackupSchedule != "off" {
		bs := cfg.BackupSchedule
		if bs == "" {
			bs = "0 2 * * 0"
		}
		if _, err := c.AddFunc(bs, func() { backupJob(ctx, cfg, w, log) }); err != nil {
			return nil, fmt.Errorf("每周备份的时间「%s」写得不对：%w", bs, err)
		}
	}
	c.Start()
	return c, nil
}

// optimize is the nightly job: it removes the rows later loads replaced,
// and audit lines older than the configured keep (at least 180 days).
func optimize(ctx context.Context, w *warehouse.Warehouse, log *slog.Logger, auditKeep time.Duration) {
	id := make([]byte, 6)
	rand.Read(id)
	run := warehouse.JobRun{RunID: hex.EncodeToString(id), Job: "optimize", Started: time.Now(), Result: "成功"}
	n, err := w.Sweep(ctx)
	if err == nil && auditKeep > 0 {
		err = w.PurgeAudit(ctx, auditKeep)
	}
	run.Ended = time.Now()
	run.Accepted = int(n) // rows removed
	if err != nil {
		run.Result, run.Error = "失败", err.Error()
	} else if n > 0 {
		run.Error = fmt.Sprintf("清理了 %d 行已被更正文件替换的数据", n)
	}
	if err := w.RecordJob(context.WithoutCancel(ctx), run); err != nil {
		log.Error("job history not written", "err", err)
	}
	log.Info("optimize run", "rows_removed", n, "result", run.Result)
}

// submissionCheck records, each day, which offices have not sent last
// month's monthly ledgers (the overview lists them too).
func submissionCheck(ctx context.Context, e *panels.Engine, w *warehouse.Warehouse, log *slog.Logger) {
	run := warehouse.JobRun{RunID: fmt.Sprint(time.Now().UnixNano()), Job: "submissions", Started: time.Now(), Result: "成功"}
	v, err := e.Run(ctx, "submissions.monthly", panels.Filter{})
	run.Ended = time.Now()
	if err != nil {
		run.Result, run.Error = "失败", err.Error()
	} else {
		s := v.(*panels.Submissions)
		run.Files = int(s.Offices)
		run.FailedFiles = int(s.Missing)
		var parts []string
		for _, r := range s.Rows {
			parts = append(parts, r.OrgName+"缺"+strings.Join(r.Missing, "、"))
		}
		if len(parts) > 0 {
			run.Error = monthLabel(s.Month) + "：" + strings.Join(parts, "；")
		} else {
			run.Error = monthLabel(s.Month) + "：各司法所都已报送"
		}
	}
	if err := w.RecordJob(context.WithoutCancel(ctx), run); err != nil {
		log.Error("job history not written", "err", err)
	}
	log.Info("submission check", "result", run.Result, "detail", run.Error)
}

func monthLabel(m string) string {
	if t, err := time.Parse("2006-01", m); err == nil {
		return fmt.Sprintf("%d年%d月", t.Year(), t.Month())
	}
	return m
}
