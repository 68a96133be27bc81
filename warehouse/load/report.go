package load

import (
	"errors"
	"fmt"
	"path/filepath"

	"sifa/transform"
)

// RejectRow is one line of a rejects listing (the CSV of sifa ingest
// --rejects, the upload page's workbook): the file, sheet, row, column
// letter and header, the value as written and the reason. A file that could
// not be read at all is one row with only its name and reason.
type RejectRow struct {
	File, Sheet   string
	Row           int // 0 for a file that failed whole
	Letter        string
	Column, Value string
	Reason        string
}

// RejectRows lists the rejected rows of reports, in file and row order.
func RejectRows(reports []FileReport) []RejectRow {
	var out []RejectRow
	for _, r := range reports {
		if r.Err != nil {
			out = append(out, RejectRow{File: filepath.Base(r.File), Reason: r.Err.Error()})
		}
		for _, t := range r.Tables {
			for _, rj := range t.Rejects {
				out = append(out, RejectRow{File: rj.File, Sheet: rj.Sheet, Row: rj.Row, Letter: rj.Letter, Column: rj.Column, Value: rj.Value, Reason: rj.Reason})
			}
			if t.Omitted > 0 {
				out = append(out, RejectRow{File: filepath.Base(r.File), Sheet: t.Sheet,
					Reason: fmt.Sprintf("……另有 %d 行退回，没有列出：这个文件退回的行太多，请先按上面列出的原因改好再发送", t.Omitted)})
			}
		}
	}
	return out
}

// PushReport is the JSON answer of POST /api/v1/ingest (a push from another
// system, or sifa ingest handing its files to a running sifa serve), one
// entry a file. It carries everything a FileReport says, so that the side
// that sent the files prints and lists the rejects as a local load does.
type PushReport struct {
	Source string       `json:"source"`
	Files  []PushedFile `json:"files"`
}

// PushedFile says what became of one pushed file.
type PushedFile struct {
	File     string        `json:"file"`
	SHA256   string        `json:"sha256,omitempty"`
	Skipped  bool          `json:"skipped"`
	Error    string        `json:"error,omitempty"`
	Retry    bool          `json:"retry,omitempty"` // the error may pass: send the file again later
	Warning  string        `json:"warning,omitempty"`
	Tables   []PushedTable `json:"tables"`
	Accepted int           `json:"rows_accepted"`
	Rejected int           `json:"rows_rejected"`
	// Reader is what the file was read as; PassedOver its sheets not read, and why.
	Reader     string        `json:"read_as,omitempty"`
	Date1904   bool          `json:"date_1904,omitempty"`
	PassedOver []PassedSheet `json:"sheets_passed_over,omitempty"`
}

// PushedTable is one ledger table of a pushed file.
type PushedTable struct {
	Ledger     string          `json:"ledger"`
	LedgerName string          `json:"ledger_name"`
	Sheet      string          `json:"sheet,omitempty"`
	Orgs       []string        `json:"orgs"`
	Periods    []string        `json:"periods"`
	Accepted   int             `json:"rows_accepted"`
	Rejected   int             `json:"rows_rejected"`
	Rejects    []PushReject    `json:"rejects"`
	Omitted    int             `json:"rejects_not_listed,omitempty"`
	Replaces   []Replacement   `json:"replaces,omitempty"`
	Section    int             `json:"section,omitempty"`
	FirstRow   int             `json:"first_row,omitempty"`
	LastRow    int             `json:"last_row,omitempty"`
	Notes      transform.Notes `json:"notes"`
}

// PushReject is one rejected cell.
type PushReject struct {
	Row    int    `json:"row"`
	Letter string `json:"column_letter"`
	Column string `json:"column"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

// NewPushReport writes reports as the push answer.
func NewPushReport(source string, reports []FileReport) PushReport {
	out := PushReport{Source: source, Files: []PushedFile{}}
	for _, rep := range reports {
		pf := PushedFile{File: filepath.Base(rep.File), SHA256: rep.SHA256, Skipped: rep.Skipped, Tables: []PushedTable{}, Retry: rep.Transient, Warning: rep.Warning,
			Reader: rep.Reader, Date1904: rep.Date1904, PassedOver: rep.PassedOver}
		if rep.Err != nil {
			pf.Error = rep.Err.Error()
		}
		for _, t := range rep.Tables {
			pt := PushedTable{Ledger: t.Ledger, LedgerName: t.LedgerName, Sheet: t.Sheet, Orgs: t.Orgs, Periods: t.Periods,
				Accepted: t.Accepted, Rejected: t.Rejected, Rejects: []PushReject{}, Omitted: t.Omitted, Replaces: t.Replaces,
				Section: t.Section, FirstRow: t.FirstRow, LastRow: t.LastRow, Notes: t.Notes}
			for _, rj := range t.Rejects {
				pt.Rejects = append(pt.Rejects, PushReject{Row: rj.Row, Letter: rj.Letter, Column: rj.Column, Value: rj.Value, Reason: rj.Reason})
			}
			pf.Tables = append(pf.Tables, pt)
			pf.Accepted += t.Accepted
			pf.Rejected += t.Rejected
		}
		out.Files = append(out.Files, pf)
	}
	return out
}

// FileReports reads a push answer back as the reports it was written from.
func (p PushReport) FileReports() []FileReport {
	out := make([]FileReport, 0, len(p.Files))
	for _, f := range p.Files {
		r := FileReport{File: f.File, SHA256: f.SHA256, Skipped: f.Skipped, Transient: f.Retry, Warning: f.Warning,
			Reader: f.Reader, Date1904: f.Date1904, PassedOver: f.PassedOver}
		if f.Error != "" {
			r.Err = errors.New(f.Error)
		}
		for _, t := range f.Tables {
			tr := TableReport{Sheet: t.Sheet, Ledger: t.Ledger, LedgerName: t.LedgerName, Orgs: t.Orgs, Periods: t.Periods,
				Accepted: t.Accepted, Rejected: t.Rejected, Omitted: t.Omitted, Replaces: t.Replaces,
				Section: t.Section, FirstRow: t.FirstRow, LastRow: t.LastRow, Notes: t.Notes}
			for _, rj := range t.Rejects {
				tr.Rejects = append(tr.Rejects, transform.Reject{File: f.File, Sheet: t.Sheet, Row: rj.Row, Letter: rj.Letter,
					Column: rj.Column, Value: rj.Value, Reason: rj.Reason, Ledger: t.Ledger})
			}
			r.Tables = append(r.Tables, tr)
		}
		out = append(out, r)
	}
	return out
}

// ReadAs says how a file was read, a line each: what it was read as, the
// sheets passed over and why. The printers put each table's own line
// (TableReport.Where, TableReport.Notes) beside its counts.
func (r FileReport) ReadAs() []string {
	var out []string
	if r.Reader != "" {
		line := "读作：" + r.Reader
		if r.Date1904 {
			line += "；这个工作簿用的是“1904 日期系统”，日期已按它换算"
		}
		out = append(out, line)
	}
	for _, p := range r.PassedOver {
		out = append(out, "工作表「"+p.Sheet+"」："+p.Reason)
	}
	return out
}

// Notes adds up the notes of a file's tables.
func (r FileReport) Notes() transform.Notes {
	var n transform.Notes
	for _, t := range r.Tables {
		n.Add(t.Notes)
	}
	return n
}
