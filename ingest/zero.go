package ingest

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"time"

	"sifa/ingest/ledger"
)

// ZeroReport (零上报) is an office's statement that it had none of a
// monthly ledger's business in a month, so that it is not counted as
// missing. It travels as a small text file like any ledger: archived,
// journalled and replayed by a rebuild.
type ZeroReport struct {
	Ledger *ledger.Ledger
	Org    string // the township office's registry code
	Month  string // 2006-01
	By     string // who declared it
	At     time.Time
}

// zeroSignature is the first line of a declaration file.
const zeroSignature = "sifa 零上报声明"

var monthRe = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)

// Bytes writes the declaration file.
func (z ZeroReport) Bytes() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n台账：%s\n单位：%s\n月份：%s\n声明人：%s\n时间：%s\n说明：本单位%s本月没有这项业务，特此零上报。\n",
		zeroSignature, z.Ledger.Name, z.Org, z.Month, z.By, z.At.UTC().Format(time.RFC3339), z.Month)
	return b.Bytes()
}

// FileName is the declaration's file name.
func (z ZeroReport) FileName() string {
	return "零上报_" + z.Org + "_" + z.Month + "_" + z.Ledger.ID + ".txt"
}

// IsZeroReport says whether a file's first bytes are a declaration's.
func IsZeroReport(head []byte) bool {
	return bytes.HasPrefix(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), []byte(zeroSignature))
}

// ParseZeroReport reads a declaration file, checking what it can alone
// (the ledger is a monthly one, the month is a month); the org is the
// loader's to check against the registry.
func ParseZeroReport(data []byte) (ZeroReport, error) {
	var z ZeroReport
	if !IsZeroReport(data) {
		return z, fmt.Errorf("不是零上报声明")
	}
	fields := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "：")
		if ok {
			fields[k] = strings.TrimSpace(v)
		}
	}
	z.Ledger = ledger.ByName(fields["台账"])
	if z.Ledger == nil || !z.Ledger.Monthly {
		var names []string
		for _, l := range ledger.Monthly() {
			names = append(names, l.Name)
		}
		return z, fmt.Errorf("零上报的台账「%s」不对：只有按月报送的台账可以零上报（%s）", fields["台账"], strings.Join(names, "、"))
	}
	z.Org, z.Month, z.By = fields["单位"], fields["月份"], fields["声明人"]
	if !monthRe.MatchString(z.Month) {
		return z, fmt.Errorf("零上报的月份「%s」不对，应像 2016-12", z.Month)
	}
	if z.Org == "" {
		return z, fmt.Errorf("零上报没有写单位代码")
	}
	z.At, _ = time.Parse(time.RFC3339, fields["时间"])
	return z, nil
}
