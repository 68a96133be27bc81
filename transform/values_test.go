package transform

import (
	"strings"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	d := func(y, m, dd int) time.Time { return time.Date(y, time.Month(m), dd, 0, 0, 0, 0, time.UTC) }
	cases := []struct {
		in        string
		want      time.Time
		monthOnly bool
		bad       bool
	}{
		{"41703", d(2014, 3, 5), false, false}, // Excel serial
		{"41703.5", d(2014, 3, 5), false, false},
		{"2014-03-05", d(2014, 3, 5), false, false},
		{"2014/3/5", d(2014, 3, 5), false, false},
		{"2014.3.5", d(2014, 3, 5), false, false},
		{"2014年3月5日", d(2014, 3, 5), false, false},
		{"20140305", d(2014, 3, 5), false, false},
		{"２０１４－０３－０５", d(2014, 3, 5), false, false}, // full-width
		{"２０１４年３月５日", d(2014, 3, 5), false, false},
		{"2014年3月", d(2014, 3, 1), true, false},
		{"2014-03", d(2014, 3, 1), true, false},
		{"2014-03-05 10:30", d(2014, 3, 5), false, false},
		{" 2014 年 3 月 5 日 ", d(2014, 3, 5), false, false},
		{"", time.Time{}, false, false},
		{"--", time.Time{}, false, false},
		{"/", time.Time{}, false, false},
		{"2014-02-30", time.Time{}, false, true},
		{"2014-13-01", time.Time{}, false, true},
		{"20141301", time.Time{}, false, true},
		{"去年三月", time.Time{}, false, true},
		{"0001.1.1", time.Time{}, false, true},
	}
	for _, c := range cases {
		got, mo, err := ParseDate(c.in)
		if (err != nil) != c.bad || !got.Equal(c.want) || mo != c.monthOnly {
			t.Errorf("ParseDate(%q) = %v %v %v, want %v %v bad=%v", c.in, got, mo, err, c.want, c.monthOnly, c.bad)
		}
	}
}

func TestParseMoneyAndCount(t *testing.T) {
	money := []struct {
		in   string
		wan  bool
		want int64
		bad  bool
	}{
		{"1500", false, 150000, false},
		{"1,500.50", false, 150050, false},
		{"１，５００", false, 150000, false},
		{"1.5", true, 1500000, false}, // 1.5 万元 = 15,000 元
		{"0.12", true, 120000, false},
		{"--", false, 0, false},
		{"/", false, 0, false},
		{"", true, 0, false},
		{"-5", false, -500, false}, // a column that may not be negative says so in the row (row.money)
		{"(1,234.00)", false, -123400, false},
		{"￥800", false, 80000, false},
		{"1.25万元", false, 1250000, false},
		{"1.25万", false, 1250000, false},
		{"3万", true, 3000000, false}, // 万 written in a 万元 column is not counted twice
		{"1234.00元", false, 123400, false},
		{"无", false, 0, false},
		{"—", false, 0, false},
		{"五百", false, 0, true},
		{"1e20", false, 0, true},
	}
	for _, c := range money {
		got, err := ParseMoney(c.in, c.wan)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("ParseMoney(%q, %v) = %d %v, want %d bad=%v", c.in, c.wan, got, err, c.want, c.bad)
		}
	}
	counts := []struct {
		in   string
		want int64
		bad  bool
	}{{"12", 12, false}, {"1,200", 1200, false}, {"３", 3, false}, {"12人", 12, false}, {"", 0, false}, {"1.5", 0, true}, {"-1", 0, true}, {"很多", 0, true}}
	for _, c := range counts {
		got, err := ParseCount(c.in)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("ParseCount(%q) = %d %v", c.in, got, err)
		}
	}
}

func TestParseYesNoAndCoded(t *testing.T) {
	for in, want := range map[string]int64{"是": 1, "否": 0, "有": 1, "无": 0, "√": 1, "×": 0, "Y": 1, "": 0, "1": 1, "0": 0} {
		if got, err := ParseYesNo(in); err != nil || got != want {
			t.Errorf("ParseYesNo(%q) = %d %v", in, got, err)
		}
	}
	if _, err := ParseYesNo("不清楚"); err == nil {
		t.Error("不清楚 accepted as yes/no")
	}
	allowed := []string{"调解成功", "调解不成功", "终止调解", "正在调解"}
	for in, want := range map[string]string{"调解成功": "调解成功", "成功": "调解成功", " 调解 成功 ": "调解成功", "失败": "调解不成功"} {
		if got, ok := ParseCoded(in, allowed); !ok || got != want {
			t.Errorf("ParseCoded(%q) = %q %v", in, got, ok)
		}
	}
	if _, ok := ParseCoded("和解", allowed); ok {
		t.Error("和解 accepted")
	}
	if got, ok := ParseCoded("乡镇(街道)", []string{"县", "乡镇(街道)", "村(社区)"}); !ok || got != "乡镇(街道)" {
		t.Errorf("full-width brackets: %q", got)
	}
	if got, ok := ParseCoded("乡镇（街道）", []string{"县", "乡镇(街道)", "村(社区)"}); !ok || got != "乡镇(街道)" {
		t.Errorf("full-width brackets: %q", got)
	}
}

// idWith returns a valid synthetic ID number for a birth date and sequence.
func idWith(area, birth, seq string) string {
	body := area + birth + seq
	sum := 0
	for k := 0; k < 17; k++ {
		sum += int(body[k]-'0') * idWeights[k]
	}
	return body + string(idCheck[sum%11])
}

func TestParseID(t *testing.T) {
	male := idWith("990121", "19650412", "013")
	female := idWith("990121", "19800101", "024")
	var withX string
	for s := 100; s < 999; s++ {
		if id := idWith("990121", "19700202", strings.Repeat("0", 0)+itoa3(s)); id[17] == 'X' {
			withX = id
			break
		}
	}
	wrongCheck := male[:17] + string("0123456789"[(int(male[17]-'0')+1)%10])
	if male[17] == 'X' {
		wrongCheck = male[:17] + "0"
	}
	cases := []struct {
		in     string
		birth  string
		gender string
		reason string
	}{
		{male, "1965-04-12", "男", ""},
		{female, "1980-01-01", "女", ""},
		{strings.ToLower(withX), "1970-02-02", "", ""},
		{"'" + male, "1965-04-12", "男", ""},
		{"990121650412013", "1965-04-12", "男", ""}, // 15 digits, the old form
		{"6.10322E+17", "", "", "存成了数字"},
		{"610322196504120000.0", "", "", "存成了数字"},
		{wrongCheck, "", "", "校验"},
		{"99012119651", "", "", "18位"},
		{idWith("990121", "19651332", "013"), "", "", "出生日期"},
	}
	for _, c := range cases {
		p, err := ParseID(c.in)
		if c.reason != "" {
			if err == nil || !strings.Contains(err.Error(), c.reason) {
				t.Errorf("ParseID(%q) err = %v, want %q", c.in, err, c.reason)
			}
			continue
		}
		if err != nil || p.Birth.Format("2006-01-02") != c.birth || (c.gender != "" && p.Gender != c.gender) {
			t.Errorf("ParseID(%q) = %+v %v", c.in, p, err)
		}
	}
	if m := MaskID(male); strings.Contains(m, male[6:14]) || len([]rune(m)) != 18 {
		t.Errorf("MaskID leaks the birth date: %s", m)
	}
}

func itoa3(n int) string {
	return string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)})
}

func TestAgeAndPersonKey(t *testing.T) {
	on := time.Date(2014, 12, 31, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		birth string
		want  int64
	}{{"1968-12-31", 46}, {"1969-01-01", 45}, {"1968-01-01", 46}, {"1979-12-31", 35}} {
		b, _, _ := ParseDate(c.birth)
		if got := Age(b, on); got != c.want {
			t.Errorf("Age(%s) = %d, want %d", c.birth, got, c.want)
		}
	}
	a, b := PersonKey([]byte("k1"), "x"), PersonKey([]byte("k2"), "x")
	if a == b || a != PersonKey([]byte("k1"), "x") || len(a) != 32 {
		t.Errorf("person keys: %s %s", a, b)
	}
}

// TestValuesAsClerksType: the ways offices type dates and counts as text load as a person reads them.
func TestValuesAsClerksType(t *testing.T) {
	dates := []struct {
		in        string
		date1904  bool
		want      string
		monthOnly bool
	}{
		{"2015.3.5", false, "2015-03-05", false},
		{"2015/03/05", false, "2015-03-05", false},
		{"2015.03.05", false, "2015-03-05", false},
		{"2015年3月5日", false, "2015-03-05", false},
		{"2015年3月5号", false, "2015-03-05", false},
		{"15-3-5", false, "2015-03-05", false},
		{"15.12.31", false, "2015-12-31", false},
		{"二〇一五年三月五日", false, "2015-03-05", false},
		{"二零一六年十二月三十一日", false, "2016-12-31", false},
		{"二〇一五年十月二十日", false, "2015-10-20", false},
		{"2015-03-05   ", false, "2015-03-05", false},
		{"２０１５年３月５日", false, "2015-03-05", false},
		{"2015年3月", false, "2015-03-01", true},
		{"2015.3", false, "2015-03-01", true},
		{"42068", false, "2015-03-05", false},
		{"40606", true, "2015-03-05", false}, // the same day in the 1904 date system
	}
	for _, c := range dates {
		got, monthOnly, err := ParseDateIn(c.in, c.date1904)
		if err != nil || got.Format("2006-01-02") != c.want || monthOnly != c.monthOnly {
			t.Errorf("ParseDateIn(%q, %v) = %s %v %v, want %s month-only %v", c.in, c.date1904, got.Format("2006-01-02"), monthOnly, err, c.want, c.monthOnly)
		}
	}
	for _, bad := range []string{"二〇一五年十三月五日", "15-13-45", "三月五日", "二〇一五年三月三十二日"} {
		if _, _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) took it", bad)
		}
	}
	counts := []struct {
		in     string
		want   int64
		approx bool
	}{
		{"1,234", 1234, false},
		{"１２３４", 1234, false},
		{"35人次", 35, false},
		{"20份", 20, false},
		{"5余人", 5, true},
		{"10多人", 10, true},
		{"约10人", 10, true},
		{"约１０人", 10, true},
		{"300余份", 300, true},
		{"无", 0, false},
	}
	for _, c := range counts {
		got, approx, err := parseCountNote(c.in)
		if err != nil || got != c.want || approx != c.approx {
			t.Errorf("parseCountNote(%q) = %d %v %v, want %d approximate %v", c.in, got, approx, err, c.want, c.approx)
		}
	}
}

func TestCleanEmptyMarks(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"--", ""}, {" - ", ""}, {"—", ""}, {"——", ""}, {"/", ""}, {`\`, ""}, {"无数据", ""}, {"空", ""},
		{"null", ""}, {"NULL", ""}, {"N/A", ""}, {"n/a", ""}, {"　／　", ""}, {"－", ""},
		{"无", "无"}, {"空白", "空白"}, {"书面", "书面"}, {"-1", "-1"}, {"", ""}, {" 石门镇 ", "石门镇"}, {"２０１４", "2014"},
	} {
		if got := clean(tc.in); got != tc.want {
			t.Errorf("clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
