package transform

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sifa/ingest"
)

// BenchmarkReadConvert measures the Go side of a load, without an engine:
// reading a 200,000-row mediation CSV into text records (ingest) and
// converting them into fact records (one converter, one goroutine), the
// rows of warehouse's BenchmarkIngest. Its ns per row is the CPU a load
// spends before the warehouse sees a byte (docs/bench.md).
func BenchmarkReadConvert(b *testing.B) {
	const rows = 200000
	orgs := []Org{{Code: "990121", Name: "青山县", Level: LevelCounty}}
	for i := range 13 {
		town := fmt.Sprintf("990121%d", 100+i)
		orgs = append(orgs, Org{Code: town, Name: fmt.Sprintf("镇%02d", i), Level: LevelTown, Parent: "990121"})
		for k := range 10 {
			orgs = append(orgs, Org{Code: fmt.Sprintf("%s%d", town, 201+k), Name: fmt.Sprintf("村%02d%02d", i, k), Level: LevelVillage, Parent: town})
		}
	}
	reg := NewRegistry(orgs)
	rng := rand.New(rand.NewPCG(1, 2))
	types := []string{"婚姻家庭", "邻里", "房屋宅基地", "合同", "损害赔偿", "山林土地"}
	results := []string{"调解成功", "调解成功", "调解成功", "调解不成功"}
	var csv strings.Builder
	csv.WriteString("编号,受理日期,乡镇,村(社区),调解组织类型,纠纷类型,当事人数,涉及金额(元),调解结果,结案日期,协议形式,防止激化类型,防止激化人数,涉法信访,调解员\n")
	for i := range rows {
		t := rng.IntN(13)
		d := time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(365))
		fmt.Fprintf(&csv, "%d,%s,镇%02d,村%02d%02d,村居调委会,%s,%d,%d,%s,%s,书面,无,0,否,调解员\n", i+1, d.Format("2006-01-02"), t, t, rng.IntN(10),
			types[rng.IntN(len(types))], 2+rng.IntN(3), rng.IntN(100000), results[rng.IntN(4)], d.AddDate(0, 0, 5).Format("2006-01-02"))
	}
	path := filepath.Join(b.TempDir(), "med.csv")
	if err := os.WriteFile(path, []byte(csv.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	cfg := Config{Secret: []byte("k"), Now: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
	b.ResetTimer()
	for range b.N {
		n := 0
		err := ingest.Read(path, ingest.Options{}, func(t *ingest.Table) error {
			conv, err := NewConverter(t, reg, cfg, "load1")
			if err != nil {
				return err
			}
			for {
				rec, err := t.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					return err
				}
				out, rejects := conv.Convert(rec)
				rec.Release()
				if len(rejects) > 0 {
					return rejects[0]
				}
				n += int(out.NumRows())
				out.Release()
			}
			return nil
		})
		if err != nil || n != rows {
			b.Fatalf("converted %d rows: %v", n, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
}
