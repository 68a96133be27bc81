// Package load takes files from disk through ingest and transform into the
// warehouse: archive, read, convert, append, commit, journal. Its FileReport
// is what every printer of a load's result reads (the command line, the
// hand-off, the upload page, the push answer, the rejects download).
package load

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"sifa/ingest"
	"sifa/ingest/ledger"
	"sifa/transform"
	"sifa/warehouse"
)

// Pipeline takes files from disk through ingest and transform into the warehouse.
type Pipeline struct {
	W       *warehouse.Warehouse
	Archive ingest.Archive
	Config  transform.Config
	Limits  ingest.Limits
	Ledger  *ledger.Ledger // force a ledger type (--type); nil = detect
	Force   bool           // load files seen before again
	// BatchRows is the rows per Arrow record (default 65,536).
	BatchRows int
	// AfterAppend, when set, runs after each fact batch is appended (n
	// counts them) and once more before the commit with n = -1 (tests use it
	// to kill a load half way).
	AfterAppend func(n int)
	// Within, when set, is the org an uploader may send data for: a file
	// with rows of any other org, or an org registry, loads nothing.
	Within string
	// GuardShrink refuses a file that would replace a scope's rows with
	// fewer than half of them (Replacement.Shrinks) unless the sender
	// confirmed it: the upload page asks, the command line does not.
	GuardShrink bool

	// Now is the clock a load is stamped with when it commits (nil:
	// time.Now). The lateness of a month's file is measured from it, so
	// tests that hold two warehouses to the same answers give both one clock.
	Now func() time.Time

	// FileTimeout bounds one file's load (DefaultFileTimeout when zero): a
	// file that takes longer is stopped, loads nothing and is refused.
	FileTimeout time.Duration

	// Quarantine is how long and how much the archive keeps of files that
	// never loaded (refused, unreadable) before they are removed.
	Quarantine ingest.Quarantine

	replaying bool // a rebuild: the journal already names these loads
}

// DefaultFileTimeout bounds the time one file may take to load.
const DefaultFileTimeout = 20 * time.Minute

var errTooLong = errors.New("file took too long")

// inWords says a duration as 20 分钟 or 30 秒.
func inWords(d time.Duration) string {
	if d >= time.Minute && d%time.Minute == 0 {
		return fmt.Sprintf(" %d 分钟", int(d/time.Minute))
	}
	return fmt.Sprintf(" %g 秒", d.Seconds())
}

func (p *Pipeline) fileTimeout() time.Duration {
	if p.FileTimeout > 0 {
		return p.FileTimeout
	}
	return DefaultFileTimeout
}

// RunUpload ingests a web upload: within the uploader's org (see Within),
// refusing a file that would shrink a scope to under half unless the
// uploader confirmed it (see GuardShrink).
func (p *Pipeline) RunUpload(ctx context.Context, within string, confirmed bool, paths []string) ([]FileReport, error) {
	q := *p
	q.Within, q.GuardShrink = within, !confirmed
	return q.Run(ctx, paths)
}

// converting is the converters' configuration: the pipeline's, with the
// uploader's limit, which settles a township name that several counties share.
func (p *Pipeline) converting() transform.Config {
	c := p.Config
	c.Within = p.Within
	return c
}

// RunWithin ingests files for an uploader limited to an org (a 数据员 of
// one township): see Within.
func (p *Pipeline) RunWithin(ctx context.Context, within string, paths []string) ([]FileReport, error) {
	q := *p
	q.Within = within
	return q.Run(ctx, paths)
}

// TableReport says what became of one ledger table (sheet) of a file.
type TableReport struct {
	Sheet, Ledger, LedgerName string
	// Section is 1 for a sheet's first table, 2 for one stacked below it;
	// FirstRow and LastRow are the sheet rows its data came from.
	Section, FirstRow, LastRow int
	// Notes counts cells loaded with a note (approximate counts, dates with a month only).
	Notes              transform.Notes
	Orgs, Periods      []string
	Accepted, Rejected int
	Rejects            []transform.Reject
	Omitted            int // rejected rows past MaxReportedRejects, counted but not kept
	// Replaces says, per scope (org and period) the table wrote, what the
	// load that was current there held: a corrected file replaces it.
	Replaces []Replacement

	scopeRows map[string]int // this table's rows per scope (ledger|org|period)
}

// Replacement is what a load replaced in one scope.
type Replacement struct {
	Org         string    `json:"org"`
	OrgName     string    `json:"org_name"`
	Period      string    `json:"period"`
	Rows        int       `json:"rows"`     // this load's rows there
	OldRows     int64     `json:"old_rows"` // the rows of the load that was current
	OldFile     string    `json:"old_file"`
	OldLoadedAt time.Time `json:"old_loaded_at"`
}

// Shrinks says whether the new rows are fewer than half of five or more
// old ones: a file that would do that is loaded only when the sender
// confirms (Pipeline.GuardShrink).
func (r Replacement) Shrinks() bool { return r.OldRows >= 5 && int64(r.Rows)*2 < r.OldRows }

// Text says the replacement in a clerk's words.
func (r Replacement) Text() string {
	when := ""
	if !r.OldLoadedAt.IsZero() {
		when = r.OldLoadedAt.In(beijing).Format("2006-01-02") + " "
	}
	return fmt.Sprintf("替换了%s载入的「%s」中%s %s的 %d 行（这次 %d 行）", when, r.OldFile, r.OrgName, r.Period, r.OldRows, r.Rows)
}

var beijing = time.FixedZone("CST", 8*3600)

// MaxReportedRejects bounds the rejected rows kept per table (in the
// report, the downloads and the rejects table): a file of a million bad rows
// keeps the first 100,000 (about 30 MB while it loads) and counts the rest.
const MaxReportedRejects = 100000

// FileReport says what became of one file.
type FileReport struct {
	File    string // as given
	SHA256  string
	LoadID  string
	Skipped bool // the same bytes were loaded before
	Tables  []TableReport
	Err     error // the file could not be read at all (other files still load)
	// Transient says Err may pass (the archive's disk, the warehouse
	// unreachable): the file should be tried again, not set aside.
	Transient bool
	// Warning is something the sender should know about a file that loaded.
	Warning string
	// Reader says what the file was read as (an .xls, an HTML table saved
	// as .xls, a UTF-16 text, …); PassedOver the sheets that were not read, and why.
	Reader     string
	PassedOver []PassedSheet
	// Date1904 says the workbook kept its dates in the 1904 date system (read as such).
	Date1904 bool
}

// PassedSheet is a sheet of a file that was not read, and why.
type PassedSheet struct {
	Sheet  string `json:"sheet"`
	Reason string `json:"reason"`
}

// Where says which rows of which sheet a table came from, for the reports.
func (t TableReport) Where() string {
	var b strings.Builder
	if t.Sheet != "" {
		b.WriteString("工作表「" + t.Sheet + "」")
	}
	if t.Section > 1 {
		fmt.Fprintf(&b, "第%d个表格", t.Section)
	}
	if t.FirstRow > 0 {
		fmt.Fprintf(&b, "第%d–%d行", t.FirstRow, t.LastRow)
	}
	return b.String()
}

// Accepted counts the file's accepted rows.
func (r FileReport) Accepted() (n int) {
	for _, t := range r.Tables {
		n += t.Accepted
	}
	return
}

// Rejected counts the file's rejected rows.
func (r FileReport) Rejected() (n int) {
	for _, t := range r.Tables {
		n += t.Rejected
	}
	return
}

// ledgerExt are the names a folder's ledger files go by: Excel's, WPS's
// (.et), OpenDocument's (.ods), and text (.csv, .txt, .tsv). A file given
// by name is read whatever its name; the reader goes by its content.
var ledgerExt = map[string]bool{".xlsx": true, ".xlsm": true, ".csv": true, ".xls": true, ".et": true, ".ods": true, ".txt": true, ".tsv": true}

// Expand turns files and folders into the list of files to take, folders
// walked in name order; hidden files and Excel's ~$ lock files are passed over.
func Expand(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("找不到「%s」", p)
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			base := d.Name()
			if d.IsDir() {
				if path != p && strings.HasPrefix(base, ".") {
					return filepath.SkipDir
				}
				return nil
			}
			ext := strings.ToLower(filepath.Ext(base))
			if strings.HasPrefix(base, ".") || strings.HasPrefix(base, "~$") || !ledgerExt[ext] {
				return nil
			}
			if ext == ".txt" && !ingest.LooksTabular(path) {
				return nil // a 说明.txt beside the ledgers, not Excel's "Unicode 文本"
			}
			out = append(out, path)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

var errPeeked = errors.New("peeked")

// order sorts a batch so that the org registry comes first, then the other
// ledgers in their declared order, whatever order the files were given in.
func (p *Pipeline) order(ctx context.Context, files []string) []string {
	if len(files) < 2 {
		return files
	}
	rank := map[string]int{}
	for _, f := range files {
		rank[f] = len(ledger.Ledgers)
		fctx, cancel := context.WithTimeout(ctx, p.fileTimeout())
		_ = ingest.Read(f, ingest.Options{Ledger: p.Ledger, Limits: p.Limits, BatchRows: 1, Context: fctx}, func(t *ingest.Table) error {
			rank[f] = t.Ledger.Order
			return errPeeked
		})
		cancel()
	}
	out := append([]string{}, files...)
	sort.SliceStable(out, func(i, j int) bool { return rank[out[i]] < rank[out[j]] })
	return out
}

// Run ingests files and folders and reports on each file. A bad file never
// stops the others.
func (p *Pipeline) Run(ctx context.Context, paths []string) ([]FileReport, error) {
	files, err := Expand(paths)
	if err != nil {
		return nil, err
	}
	if err := p.ensureJournal(ctx); err != nil {
		return nil, err
	}
	reg, err := p.W.Registry(ctx)
	if err != nil {
		return nil, err
	}
	var reports []FileReport
	for _, f := range p.order(ctx, files) {
		if ctx.Err() != nil {
			return reports, ctx.Err()
		}
		rep := p.file(ctx, f, reg)
		reports = append(reports, rep)
		for _, t := range rep.Tables {
			if t.Ledger == "registry" && t.Accepted > 0 {
				if reg, err = p.W.Registry(ctx); err != nil {
					return reports, err
				}
			}
		}
	}
	return reports, nil
}

// newLoadID is 48 random bits as 12 hex characters: unique enough that two
// loads of one scope never share it, and short enough that DuckDB stores it
// inline in every row. The loads table ties it to the file's SHA-256.
func newLoadID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// file archives, reads, transforms, appends and commits one file.
func (p *Pipeline) file(ctx context.Context, path string, reg *transform.Registry) FileReport {
	rep := FileReport{File: path}
	arc, err := p.Archive.Put(path)
	if err != nil {
		rep.Err, rep.Transient = err, true
		return rep
	}
	rep.SHA256 = arc.SHA256
	if !p.Force {
		seen, err := p.W.Seen(ctx, arc.SHA256)
		if err != nil {
			rep.Err, rep.Transient = err, true
			return rep
		}
		if seen {
			rep.Skipped = true
			return rep
		}
	}
	defer p.W.LoadLock()()
	if head, err := readHead(path, 64); err == nil && ingest.IsZeroReport(head) {
		return p.zero(ctx, rep, arc, reg)
	}
	parent := ctx
	ctx, cancel := context.WithTimeoutCause(ctx, p.fileTimeout(), errTooLong)
	defer cancel()
	rep.LoadID = newLoadID()
	scopes := map[string]bool{}
	var loads []warehouse.Load
	var rejectRows [][]any
	// a writer goroutine appends converted batches while the next one is
	// read and converted: on two cores the warehouse write overlaps the transform
	type batch struct {
		t   *ledger.Table
		rec arrow.Record
	}
	writes := make(chan batch, 1)
	var writeErr error
	written := make(chan struct{})
	go func() {
		defer close(written)
		n := 0
		// one stream at a time: a stream holds the engine's write lock until it
		// closes, so the next table's stream opens only after the last one
		// closed (a workbook of 人民调解 and 法律援助 sheets waited for ever)
		var cur *ledger.Table
		var st *warehouse.Stream
		closeCur := func() {
			if st != nil {
				if err := st.Close(); err != nil && writeErr == nil {
					writeErr = err
				}
			}
			st, cur = nil, nil
		}
		for b := range writes {
			if writeErr == nil && ctx.Err() != nil {
				writeErr = ctx.Err()
			}
			if writeErr == nil {
				if b.t != cur {
					closeCur()
				}
				if writeErr == nil && st == nil {
					st, writeErr = p.W.OpenStream(ctx, b.t)
					cur = b.t
				}
				if writeErr == nil {
					writeErr = st.Write(b.rec)
				}
				n++
				if p.AfterAppend != nil && writeErr == nil {
					p.AfterAppend(n)
				}
			}
			b.rec.Release()
		}
		closeCur()
	}()
	opt := ingest.Options{Ledger: p.Ledger, Limits: p.Limits, BatchRows: p.BatchRows, Context: ctx,
		PassOver: func(sheet, reason string) { rep.PassedOver = append(rep.PassedOver, PassedSheet{sheet, reason}) }}
	err = ingest.Read(path, opt, func(t *ingest.Table) error {
		rep.Reader, rep.Date1904 = t.Format, rep.Date1904 || t.Date1904
		conv, err := transform.NewConverter(t, reg, p.converting(), rep.LoadID)
		if err != nil {
			return err
		}
		tr := TableReport{Sheet: t.Sheet, Ledger: t.Ledger.ID, LedgerName: t.Ledger.Name}
		if p.Within != "" && t.Ledger.ID == "registry" {
			return &ingest.FileError{File: filepath.Base(path), Sheet: t.Sheet, Reason: "机构名录只能由管理员上传，这个文件没有载入"}
		}
		if t.Ledger.ID == "registry" {
			var recs []arrow.Record
			for {
				rec, err := t.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					return err
				}
				defer rec.Release()
				recs = append(recs, rec)
			}
			out, rejects, _ := conv.ConvertRegistry(recs)
			writes <- batch{conv.Fact, out}
			tr.Rejects = rejects
		} else {
			rejects, err := p.convertParallel(t, conv, reg, rep.LoadID, func(out arrow.Record) { writes <- batch{conv.Fact, out} })
			if err != nil {
				return err
			}
			tr.Rejects = rejects
		}
		tr.Accepted, tr.Rejected, tr.scopeRows, tr.Notes = conv.Accepted, conv.Rejected, conv.ScopeRows, conv.Notes
		tr.Section, tr.FirstRow, tr.LastRow = t.Section, t.FirstRow, t.LastRow
		tr.Orgs, tr.Periods = transform.SortedKeys(conv.Orgs), transform.SortedKeys(conv.Periods)
		for _, o := range tr.Orgs {
			if !reg.Within(o, p.Within) {
				name := o
				if org := reg.Org(o); org != nil {
					name = org.Name
				}
				return &ingest.FileError{File: filepath.Base(path), Sheet: t.Sheet,
					Reason: "文件里有「" + name + "」的数据，您的账号只能上传本单位（" + p.Within + "）的数据，这个文件没有载入"}
			}
		}
		for s := range conv.Scopes {
			scopes[s] = true
		}
		// the report, the downloads and the rejects table keep the first
		// MaxReportedRejects rejected rows of a table; loads counts them all
		if len(tr.Rejects) > MaxReportedRejects {
			tr.Rejects = slices.Clip(tr.Rejects[:MaxReportedRejects])
		}
		tr.Omitted = tr.Rejected - len(tr.Rejects)
		for _, r := range tr.Rejects {
			rejectRows = append(rejectRows, []any{rep.LoadID, r.File, r.Sheet, int64(r.Row), r.Column, r.Value, r.Reason, r.Ledger})
		}
		loads = append(loads, warehouse.Load{LoadID: rep.LoadID, File: arc.Name, Sheet: t.Sheet, SHA256: arc.SHA256,
			Ledger: t.Ledger.ID, Orgs: tr.Orgs, Periods: tr.Periods, Accepted: tr.Accepted, Rejected: tr.Rejected, At: p.now(), ScopeRows: tr.scopeRows})
		rep.Tables = append(rep.Tables, tr)
		return nil
	})
	close(writes)
	<-written
	if err == nil {
		err = writeErr
	}
	var present []*warehouse.Present
	if err == nil {
		present, err = p.replacements(ctx, &rep, reg)
	}
	if err != nil && ctx.Err() != nil {
		// stopped: by the bound on one file's time, or because sifa is stopping
		if parent.Err() != nil {
			rep.Err, rep.Transient, rep.Tables = fmt.Errorf("文件「%s」的载入被中止（sifa 正在停止），没有载入任何一行；下次运行时会重新载入", filepath.Base(path)), true, nil
			return rep
		}
		err = &ingest.FileError{File: filepath.Base(path), Reason: fmt.Sprintf("这个文件读了%s还没有读完，已经停下，没有载入任何一行：文件可能已损坏，或者太大；请检查后拆成几个小文件再发", inWords(p.fileTimeout()))}
	}
	if err != nil {
		return p.notLoaded(rep, arc, err) // nothing committed: rows appended so far stay invisible
	}
	if len(rejectRows) > 0 {
		rec := transform.BuildRecord(warehouse.Rejects, rejectRows)
		err := p.W.Append(ctx, warehouse.Rejects, rec)
		rec.Release()
		if err != nil {
			rep.Err, rep.Transient = err, true
			return rep
		}
	}
	if p.AfterAppend != nil {
		p.AfterAppend(-1)
	}
	if err := p.W.Commit(ctx, rep.LoadID, transform.SortedKeys(scopes), loads, present...); err != nil {
		rep.Err, rep.Transient = fmt.Errorf("文件「%s」提交失败，没有载入：%w", filepath.Base(path), err), true
		return rep
	}
	p.journal(&rep, arc)
	return rep
}

// journal keeps a committed file in the archive and records it in the
// journal a rebuild replays.
func (p *Pipeline) journal(rep *FileReport, arc ingest.Archived) {
	if _, err := p.Archive.Path(arc.SHA256); err != nil {
		// the same bytes, refused for another sender meanwhile, went to
		// quarantine: the archive takes them again from this sender's copy
		if _, err := p.Archive.Put(rep.File); err != nil {
			rep.Warning = "文件已载入，但原始文件没能存进归档：" + err.Error()
		}
	}
	if !p.replaying {
		// the journal is what a rebuild replays: only loads that committed,
		// in the order they did, with the limit and type they were loaded under
		forced := ""
		if p.Ledger != nil {
			forced = p.Ledger.ID
		}
		err := p.Archive.Record(ingest.Committed{At: time.Now().UTC(), SHA256: arc.SHA256, Name: arc.Name, LoadID: rep.LoadID,
			Within: p.Within, Ledger: forced, Accepted: rep.Accepted(), Rejected: rep.Rejected()})
		if err != nil {
			rep.Warning = "文件已载入，但归档的载入记录没有写上（" + err.Error() + "）：从归档重建仓库时会缺这个文件，请检查磁盘后重新发送一次（加 --force）"
		}
	}
}

// converters is how many goroutines convert one table's batches.
var converters = max(1, min(runtime.GOMAXPROCS(0), 4))

// convertParallel reads a table's batches on one goroutine and converts
// them on several (each with its own converter, merged into conv at the
// end), handing each converted record to emit. warehouse.Rejects come back in row order.
func (p *Pipeline) convertParallel(t *ingest.Table, conv *transform.Converter, reg *transform.Registry, loadID string, emit func(arrow.Record)) ([]transform.Reject, error) {
	recs := make(chan arrow.Record, converters)
	var readErr error
	go func() {
		defer close(recs)
		for {
			rec, err := t.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				readErr = err
				return
			}
			recs <- rec
		}
	}()
	convs := []*transform.Converter{conv}
	for len(convs) < converters {
		c, err := transform.NewConverter(t, reg, p.converting(), loadID)
		if err != nil {
			for rec := range recs {
				rec.Release()
			}
			return nil, err
		}
		convs = append(convs, c)
	}
	rejects := make([][]transform.Reject, len(convs))
	var wg sync.WaitGroup
	for k, c := range convs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rec := range recs {
				out, rj := c.Convert(rec)
				rec.Release()
				emit(out)
				// each converter keeps its first MaxReportedRejects: the
				// first of the whole table are among them, and a file of a
				// million bad rows never holds a million rejects at once
				if room := MaxReportedRejects - len(rejects[k]); room > 0 {
					rejects[k] = append(rejects[k], rj[:min(room, len(rj))]...)
				}
			}
		}()
	}
	wg.Wait()
	if readErr != nil {
		return nil, readErr
	}
	var all []transform.Reject
	for k, c := range convs {
		if k > 0 {
			conv.Merge(c)
		}
		all = append(all, rejects[k]...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Row < all[j].Row })
	return all, nil
}

// ensureJournal writes the journal of an archive kept before there was one,
// from the warehouse's own record of what committed, so that a rebuild of
// such an archive still replays only what loaded.
func (p *Pipeline) ensureJournal(ctx context.Context) error {
	if p.replaying || p.Archive.Dir == "" || p.Archive.HasJournal() {
		return nil
	}
	if files, err := p.Archive.List(); err != nil || len(files) == 0 {
		return nil // a new archive starts its journal with its first load
	}
	loads, err := p.W.CommittedFiles(ctx)
	if err != nil {
		return err
	}
	for _, l := range loads {
		if err := p.Archive.Record(ingest.Committed{At: l.At, SHA256: l.SHA256, Name: l.File, LoadID: l.LoadID,
			Accepted: l.Accepted, Rejected: l.Rejected}); err != nil {
			return fmt.Errorf("无法补写归档的载入记录：%w", err)
		}
	}
	return nil
}

// Replayed is a committed load of the journal and what its replay came to.
type Replayed struct {
	ingest.Committed
	Report FileReport
}

// Differs says how a replay differs from the load it repeats ("" = it
// came to the same rows).
func (r Replayed) Differs() string {
	switch {
	case r.Report.Err != nil:
		return "这次没有载入：" + r.Report.Err.Error()
	case r.Report.Skipped:
		return "被当作重复文件跳过了"
	case r.Report.Accepted() != r.Accepted || r.Report.Rejected() != r.Rejected:
		return fmt.Sprintf("原来载入 %d 行、退回 %d 行，这次载入 %d 行、退回 %d 行", r.Accepted, r.Rejected, r.Report.Accepted(), r.Report.Rejected())
	}
	return ""
}

// Replay loads every committed file of the archive's journal into the
// (empty) warehouse, in the order the loads committed, each file by itself
// under the name it was sent under, with the limit and ledger type it was
// loaded with: refused and failed files are not replayed, and a file sent
// under an odd name is passed explicitly, never looked for in a folder.
// stageDir is a folder for the named links.
func (p *Pipeline) Replay(ctx context.Context, stageDir string) ([]Replayed, error) {
	if !p.Archive.HasJournal() {
		return nil, fmt.Errorf("归档 %s 里没有载入记录（journal.jsonl）：这个归档是旧版本写的，请先用原来的仓库运行一次 sifa ingest 或 sifa serve，它会从仓库补写载入记录", p.Archive.Dir)
	}
	journal, err := p.Archive.Journal()
	if err != nil {
		return nil, err
	}
	q := *p
	q.replaying, q.Force = true, true
	var out []Replayed
	for i, c := range journal {
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		r := Replayed{Committed: c}
		src, err := p.Archive.Path(c.SHA256)
		if err != nil {
			r.Report = FileReport{File: c.Name, SHA256: c.SHA256, Err: fmt.Errorf("原始文件不在归档里：%w", err)}
			out = append(out, r)
			continue
		}
		dir := filepath.Join(stageDir, fmt.Sprintf("%06d", i))
		dst, err := stage(src, dir, c.Name, c.SHA256)
		if err != nil {
			return out, err
		}
		q.Within, q.Ledger = c.Within, nil
		if c.Ledger != "" {
			if q.Ledger = ledger.ByID(c.Ledger); q.Ledger == nil {
				r.Report = FileReport{File: c.Name, SHA256: c.SHA256, Err: fmt.Errorf("不认识的台账类型「%s」", c.Ledger)}
				out = append(out, r)
				continue
			}
		}
		reps, err := q.Run(ctx, []string{dst})
		if err != nil {
			return out, err
		}
		if len(reps) == 1 {
			r.Report = reps[0]
		}
		out = append(out, r)
		os.RemoveAll(dir)
	}
	return out, nil
}

// notLoaded reports a file that did not load: a refused or unreadable one
// (an *ingest.FileError) leaves the archive for the quarantine, since the
// archive keeps only what loaded; any other error may pass, and the file
// stays to be tried again.
func (p *Pipeline) notLoaded(rep FileReport, arc ingest.Archived, err error) FileReport {
	var fe *ingest.FileError
	rep.Err, rep.Transient, rep.Tables = err, !errors.As(err, &fe), nil
	if !rep.Transient && !p.replaying {
		if qerr := p.Archive.Refuse(arc, p.Quarantine); qerr != nil {
			slog.Warn("refused file not moved to quarantine", "file", arc.Name, "err", qerr)
		}
	}
	return rep
}

// stage puts an archived file under the name it was sent under in dir
// (hard-linked where it can be): a rebuild and a reload pass it so, and the
// reports name it as the sender did. A name that cannot be a file's is the
// SHA-256.
func stage(src, dir, sent, sha string) (string, error) {
	name := filepath.Base(sent)
	if name == "." || name == ".." || name == string(filepath.Separator) || strings.ContainsRune(name, 0) {
		name = sha + filepath.Ext(src)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	dst := filepath.Join(dir, name)
	if err := os.Link(src, dst); err != nil {
		if err := ingest.CopyFile(src, dst); err != nil {
			return "", err
		}
	}
	return dst, nil
}

// replacements fills each table's Replaces from the loads current in the
// scopes it wrote, and refuses the file when GuardShrink is set and it
// would shrink a scope to under half. What it read is what the commit
// replaces (the load holds its lock from before to after).
func (p *Pipeline) replacements(ctx context.Context, rep *FileReport, reg *transform.Registry) (read []*warehouse.Present, err error) {
	for k := range rep.Tables {
		tr := &rep.Tables[k]
		t := ledger.FactFor(tr.Ledger)
		if t == nil || tr.Ledger == ledger.OrgRegistry.ID || len(tr.scopeRows) == 0 {
			continue
		}
		var scopes []string
		for s := range tr.scopeRows {
			scopes = append(scopes, strings.TrimPrefix(s, tr.Ledger+"|"))
		}
		sort.Strings(scopes)
		present, err := p.W.Present(ctx, t, scopes)
		if err != nil {
			return nil, err
		}
		read = append(read, present)
		for _, c := range present.Loads() {
			name := c.Org
			if o := reg.Org(c.Org); o != nil {
				name = o.Name
			}
			tr.Replaces = append(tr.Replaces, Replacement{Org: c.Org, OrgName: name, Period: c.Period,
				Rows: tr.scopeRows[tr.Ledger+"|"+c.Org+"|"+c.Period], OldRows: c.Rows, OldFile: c.File, OldLoadedAt: c.LoadedAt})
		}
		if !p.GuardShrink {
			continue
		}
		var shrinks []string
		for _, r := range tr.Replaces {
			if r.Shrinks() {
				shrinks = append(shrinks, fmt.Sprintf("%s %s：原来 %d 行（%s），这次只有 %d 行", r.OrgName, r.Period, r.OldRows, r.OldFile, r.Rows))
			}
		}
		if len(shrinks) > 0 {
			if len(shrinks) > 5 {
				shrinks = append(shrinks[:5], fmt.Sprintf("等 %d 处", len(shrinks)))
			}
			return nil, &ingest.FileError{File: filepath.Base(rep.File), Sheet: tr.Sheet,
				Reason: "这个文件会替换原来的数据，但行数少了一大半（" + strings.Join(shrinks, "；") + "）。如果确实要用它替换，请勾选“确认替换”后重新上传；如果不是，请检查是不是发错了文件。这次没有载入"}
		}
	}
	return read, nil
}

// Reload makes an archived file current again: it loads the bytes with
// that SHA-256 anew under the name given (its scopes point at the new load;
// the journal records it, so a rebuild does the same).
func (p *Pipeline) Reload(ctx context.Context, sha, name string) (FileReport, error) {
	src, err := p.Archive.Path(sha)
	if err != nil {
		return FileReport{}, err
	}
	dir, err := os.MkdirTemp("", "sifa-reload-*")
	if err != nil {
		return FileReport{}, err
	}
	defer os.RemoveAll(dir)
	dst, err := stage(src, dir, name, sha)
	if err != nil {
		return FileReport{}, err
	}
	q := *p
	q.Force, q.GuardShrink = true, false
	reps, err := q.Run(ctx, []string{dst})
	if err != nil || len(reps) != 1 {
		return FileReport{}, err
	}
	return reps[0], nil
}

// now is the pipeline's clock.
func (p *Pipeline) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}
