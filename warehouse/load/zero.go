package load

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"sifa/ingest"
	"sifa/ingest/ledger"
	"sifa/transform"
	"sifa/warehouse"
)

// ZeroDeclaration is what an office declares: none of a monthly ledger's
// business in a month (零上报).
type ZeroDeclaration struct {
	Ledger, Org, Month, By string // the ledger's id (ZeroLedgers), the office's code, 2006-01, who
}

// ZeroLedgers are the ledgers an office may declare nothing of: the monthly ones.
func ZeroLedgers() []struct{ ID, Name string } {
	var out []struct{ ID, Name string }
	for _, l := range ledger.Monthly() {
		out = append(out, struct{ ID, Name string }{l.ID, l.Name})
	}
	return out
}

// DeclareZero writes a 零上报 as a file (ingest.ZeroReport) into dir and
// loads it for an uploader limited to an org, like any file: archived,
// committed (the month's scope then has a load, with no rows) and
// journalled, so a rebuild replays it.
func (p *Pipeline) DeclareZero(ctx context.Context, within, dir string, d ZeroDeclaration) (FileReport, error) {
	l := ledger.ByID(d.Ledger)
	if l == nil || !l.Monthly {
		return FileReport{}, &ingest.FileError{File: "零上报", Reason: "台账类型「" + d.Ledger + "」不对：只有按月报送的台账可以零上报"}
	}
	z := ingest.ZeroReport{Ledger: l, Org: d.Org, Month: d.Month, By: d.By, At: time.Now()}
	path := filepath.Join(dir, z.FileName())
	if err := os.WriteFile(path, z.Bytes(), 0o640); err != nil {
		return FileReport{}, err
	}
	defer os.Remove(path)
	reps, err := p.RunWithin(ctx, within, []string{path})
	if err != nil || len(reps) == 0 {
		return FileReport{}, err
	}
	return reps[0], nil
}

// zero commits a 零上报 declaration: the office, the ledger and the month
// it names, if the office is within the sender's limit and the month has
// no rows yet (a declaration never hides data that was sent).
func (p *Pipeline) zero(ctx context.Context, rep FileReport, arc ingest.Archived, reg *transform.Registry) FileReport {
	name := filepath.Base(rep.File)
	refuse := func(reason string) FileReport {
		return p.notLoaded(rep, arc, &ingest.FileError{File: name, Reason: reason + "，这个零上报没有载入"})
	}
	data, err := os.ReadFile(rep.File)
	if err != nil {
		rep.Err, rep.Transient = err, true
		return rep
	}
	z, err := ingest.ParseZeroReport(data)
	if err != nil {
		return refuse(err.Error())
	}
	o := reg.Org(z.Org)
	switch {
	case o == nil || o.Level != transform.LevelTown:
		return refuse("单位「" + z.Org + "」不是机构名录里的乡镇司法所")
	case !reg.Within(z.Org, p.Within):
		return refuse("您的账号只能为本单位（" + p.Within + "）零上报")
	case z.Month > time.Now().Format("2006-01"):
		return refuse("月份 " + z.Month + " 还没到")
	}
	present, err := p.W.Present(ctx, ledger.FactFor(z.Ledger.ID), []string{z.Org + "|" + z.Month})
	if err != nil {
		rep.Err, rep.Transient = err, true
		return rep
	}
	for _, c := range present.Loads() {
		if c.Rows > 0 {
			return refuse(fmt.Sprintf("%s %s 已经有 %d 行%s（文件 %s）：有数据的月份不能零上报；要更正数据，请重新发送台账", o.Name, z.Month, c.Rows, z.Ledger.Name, c.File))
		}
	}
	rep.LoadID, rep.Reader = newLoadID(), "零上报声明"
	tr := TableReport{Sheet: warehouse.ZeroReportSheet, Ledger: z.Ledger.ID, LedgerName: z.Ledger.Name, Orgs: []string{z.Org}, Periods: []string{z.Month}}
	rep.Tables = []TableReport{tr}
	l := warehouse.Load{LoadID: rep.LoadID, File: arc.Name, Sheet: tr.Sheet, SHA256: arc.SHA256, Ledger: z.Ledger.ID, Orgs: tr.Orgs, Periods: tr.Periods, At: p.now()}
	if err := p.W.Commit(ctx, rep.LoadID, []string{z.Ledger.ID + "|" + z.Org + "|" + z.Month}, []warehouse.Load{l}, present); err != nil {
		rep.Err, rep.Transient = fmt.Errorf("零上报「%s」提交失败，没有载入：%w", name, err), true
		return rep
	}
	p.journal(&rep, arc)
	return rep
}

// readHead reads the first n bytes of a file.
func readHead(path string, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, n)
	k, err := io.ReadFull(f, b)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return b[:k], err
}
