package transform

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"sifa/ingest"
)

// clean folds full-width characters and treats the clerks' "empty" marks as empty.
func clean(v string) string {
	v = ingest.Fold(v)
	if emptyMark(v) {
		return ""
	}
	return v
}

// emptyMark says whether a cell holds what clerks write for "nothing". A
// switch, not a map: most cells are as short as the marks (书面, 否, 镇03),
// and hashing each took 520 ms of a 200,000-row load's nine runs.
func emptyMark(v string) bool {
	switch v {
	case "--", "-", "—", "——", "/", "\\", "无数据", "空", "null", "NULL", "N/A", "n/a":
		return true
	}
	return false
}

var (
	reYMD      = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$`)
	reYMDShort = regexp.MustCompile(`^(\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?$`)
	reYM       = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:份)?$`)
	reCompact  = regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})$`)
	reSerial   = regexp.MustCompile(`^\d{4,5}(?:\.\d+)?$`)
)

var errDate = errors.New("不是有效的日期")

// ParseDate reads every date form clerks write: Excel serials, 2014-03-05,
// 2014/3/5, 2014.3.5, 2014年3月5日, 15-3-5, 二〇一五年三月五日, 20140305
// and 2014年3月 (month precision, taken as the 1st). monthOnly reports the
// last form. Serials count from 1900; see ParseDateIn for the 1904 system.
func ParseDate(v string) (t time.Time, monthOnly bool, err error) {
	return ParseDateIn(v, false)
}

// ParseDateIn is ParseDate in a workbook's date system: date1904 for a
// workbook whose serials count from 1904-01-01 (Excel for Mac's).
func ParseDateIn(v string, date1904 bool) (t time.Time, monthOnly bool, err error) {
	v = clean(v)
	if v == "" {
		return time.Time{}, false, nil
	}
	var y, m, d int
	switch {
	case len(v) == 10 && v[4] == '-' && v[7] == '-' && isDigits(v[:4]) && isDigits(v[5:7]) && isDigits(v[8:]):
		y, m, d = atoi(v[:4]), atoi(v[5:7]), atoi(v[8:])
	case reYMD.MatchString(v):
		p := reYMD.FindStringSubmatch(v)
		y, m, d = atoi(p[1]), atoi(p[2]), atoi(p[3])
	case reCompact.MatchString(v):
		p := reCompact.FindStringSubmatch(v)
		y, m, d = atoi(p[1]), atoi(p[2]), atoi(p[3])
	case reYM.MatchString(v):
		p := reYM.FindStringSubmatch(v)
		y, m, d, monthOnly = atoi(p[1]), atoi(p[2]), 1, true
	case reSerial.MatchString(v):
		f, _ := strconv.ParseFloat(v, 64)
		if f < 1 || f > 2958465 {
			return time.Time{}, false, errDate
		}
		t = ingest.ExcelEpoch(date1904).AddDate(0, 0, int(f))
		if t.Year() < 1900 || t.Year() > 2100 {
			return time.Time{}, false, errDate
		}
		return t, false, nil
	case reYMDShort.MatchString(v):
		// 15-3-5: a two-digit year is this century's
		p := reYMDShort.FindStringSubmatch(v)
		y, m, d = 2000+atoi(p[1]), atoi(p[2]), atoi(p[3])
	default:
		if cn, ok := chineseDate(v); ok && cn != v {
			return ParseDateIn(cn, date1904)
		}
		return time.Time{}, false, errDate
	}
	if y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false, errDate
	}
	t = time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, false, errDate // 2月30日
	}
	return t, monthOnly, nil
}

// chineseDate turns a date written in Chinese numerals (二〇一五年三月五日,
// 二零一五年十二月三十一日) into 2015年3月5日.
func chineseDate(v string) (string, bool) {
	if !strings.ContainsAny(v, "〇零一二三四五六七八九十") || !strings.Contains(v, "年") {
		return "", false
	}
	digit := map[rune]int{'〇': 0, '零': 0, 'O': 0, 'o': 0, '一': 1, '二': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
	var out strings.Builder
	rs := []rune(v)
	for i := 0; i < len(rs); {
		r := rs[i]
		_, isDigit := digit[r]
		if !isDigit && r != '十' {
			out.WriteRune(r)
			i++
			continue
		}
		j := i
		for j < len(rs) {
			if _, ok := digit[rs[j]]; !ok && rs[j] != '十' {
				break
			}
			j++
		}
		run := rs[i:j]
		if strings.ContainsRune(string(run), '十') {
			// 十 = 10, 十二 = 12, 二十 = 20, 三十一 = 31
			n := 0
			tens, ones := 1, 0
			k := strings.IndexRune(string(run), '十')
			before, after := []rune(string(run)[:k]), []rune(string(run)[k+len("十"):])
			if len(before) > 1 || len(after) > 1 {
				return "", false
			}
			if len(before) == 1 {
				tens = digit[before[0]]
			}
			if len(after) == 1 {
				ones = digit[after[0]]
			}
			n = tens*10 + ones
			out.WriteString(strconv.Itoa(n))
		} else {
			for _, d := range run {
				out.WriteString(strconv.Itoa(digit[d]))
			}
		}
		i = j
	}
	return out.String(), true
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

var errNumber = errors.New("不是数字")

var numberNoise = strings.NewReplacer(",", "", "，", "", " ", "", "元", "", "￥", "", "¥", "", "人民币", "",
	"人次", "", "人", "", "件", "", "次", "", "份", "", "户", "", "个", "", "场", "", "名", "", "位", "", "起", "", "期", "")

// number is what a cell's text says as a number: the value, whether it
// was approximate (约10人, 5余人, 10多人) and whether it was written in 万
// (1.25万元) and so was multiplied by 10,000.
type number struct {
	f           float64
	approximate bool
	wan         bool
}

// readNumber reads 1,234.5, １２３４, 约10人, 5余人, 1.25万元, ￥800 and
// (300) for -300; 无 is zero.
func readNumber(v string) (number, error) {
	v = clean(v)
	if v == "" || v == "无" {
		return number{}, nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil { // the common case
		return number{f: float64(n)}, nil
	}
	var out number
	v = numberNoise.Replace(v)
	neg := false
	if strings.HasPrefix(v, "(") && strings.HasSuffix(v, ")") {
		v, neg = v[1:len(v)-1], true
	}
	for _, p := range []string{"约", "大约", "近", "将近"} {
		if strings.HasPrefix(v, p) {
			v, out.approximate = strings.TrimPrefix(v, p), true
		}
	}
	for _, s := range []string{"余", "多", "左右", "以上"} {
		if strings.HasSuffix(v, s) {
			v, out.approximate = strings.TrimSuffix(v, s), true
		}
	}
	if strings.HasSuffix(v, "万") {
		v, out.wan = strings.TrimSuffix(v, "万"), true
	}
	for _, s := range []string{"余", "多"} { // 1万余元
		if strings.HasSuffix(v, s) {
			v, out.approximate = strings.TrimSuffix(v, s), true
		}
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return number{}, errNumber
	}
	if neg {
		f = -f
	}
	if out.wan {
		f *= 10000
	}
	out.f = f
	return out, nil
}

// parseNumber reads a number, whatever its notes.
func parseNumber(v string) (float64, error) {
	n, err := readNumber(v)
	return n.f, err
}

// ParseCount reads a non-negative whole number.
func ParseCount(v string) (int64, error) {
	n, _, err := parseCountNote(v)
	return n, err
}

// parseCountNote reads a count and says whether it was approximate.
func parseCountNote(v string) (int64, bool, error) {
	n, err := readNumber(v)
	if err != nil {
		return 0, false, err
	}
	f := n.f
	if f < 0 {
		return 0, false, errors.New("不能是负数")
	}
	if f != math.Trunc(f) {
		return 0, false, errors.New("应是整数")
	}
	if f > 1e12 {
		return 0, false, errors.New("数字大得不合常理")
	}
	return int64(f), n.approximate, nil
}

// ParseMoney reads an amount and returns it in 分; wan says the column is
// in 万元. A negative amount (-300, or (300) as accountants write it) is
// loaded as written.
func ParseMoney(v string, wan bool) (int64, error) {
	n, _, err := parseMoneyNote(v, wan)
	return n, err
}

// parseMoneyNote reads an amount in 分 and says whether it was written in
// 万 inside a 元 column (1.25万元).
func parseMoneyNote(v string, wan bool) (int64, bool, error) {
	n, err := readNumber(v)
	if err != nil {
		return 0, false, err
	}
	f := n.f
	if wan && !n.wan {
		f *= 10000
	}
	if math.Abs(f) > 1e13 {
		return 0, false, errors.New("金额大得不合常理")
	}
	return int64(math.Round(f * 100)), n.wan && !wan, nil
}

var errYesNo = errors.New("应填“是”或“否”")

// ParseYesNo accepts 是/否 and the other ways clerks say it.
func ParseYesNo(v string) (int64, error) {
	switch clean(v) {
	case "是", "有", "√", "✓", "Y", "y", "yes", "Yes", "1", "会", "已", "TRUE", "true":
		return 1, nil
	case "否", "无", "没有", "×", "✗", "N", "n", "no", "No", "0", "不会", "未", "FALSE", "false", "":
		return 0, nil
	}
	return 0, errYesNo
}

// codedSynonyms maps what clerks write to a coded value's canonical form.
var codedSynonyms = map[string]string{
	"成功": "调解成功", "不成功": "调解不成功", "失败": "调解不成功", "调解失败": "调解不成功", "终止": "终止调解", "调解中": "正在调解",
	"本科": "大学本科", "大本": "大学本科", "专科": "大学专科", "大专": "大学专科", "研究生及以上": "研究生", "硕士": "研究生", "博士": "研究生",
	"初中": "初中及以下", "小学": "初中及以下", "高中及以下": "高中", "职高": "高中",
	"乡镇(街道)": "乡镇(街道)", "乡镇": "乡镇(街道)", "街道": "乡镇(街道)", "村": "村(社区)", "社区": "村(社区)", "村(居)": "村(社区)",
	"服务站": "乡镇司法行政服务站", "工作室": "村(社区)司法行政工作室", "村(居)司法行政工作室": "村(社区)司法行政工作室",
	"男性": "男", "女性": "女",
}

// ParseCoded matches a coded value against its allowed list, after folding
// full-width brackets and a few common synonyms.
func ParseCoded(v string, allowed []string) (string, bool) {
	v = clean(v)
	if v == "" {
		return "", true
	}
	v = strings.ReplaceAll(strings.ReplaceAll(v, " ", ""), "　", "")
	for _, a := range allowed {
		if v == a {
			return a, true
		}
	}
	if s, ok := codedSynonyms[v]; ok {
		for _, a := range allowed {
			if s == a {
				return a, true
			}
		}
	}
	return v, false
}

// codeForms maps every written form of a coded column that needs no more
// than a lookup (the values themselves and their synonyms) to the value.
func codeForms(allowed []string) map[string]string {
	m := make(map[string]string, len(allowed)*2)
	for _, a := range allowed {
		m[a] = a
	}
	for syn, v := range codedSynonyms {
		if _, ok := m[v]; ok {
			if _, taken := m[syn]; !taken {
				m[syn] = v
			}
		}
	}
	return m
}

var (
	reIDNumber = regexp.MustCompile(`^\d{17}[\dX]$`)
	reIDOld    = regexp.MustCompile(`^\d{15}$`)
	reSci      = regexp.MustCompile(`^\d+(?:\.\d+)?[eE]\+?\d+$`)
	idWeights  = []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	idCheck    = "10X98765432"
)

// Person is what an ID number yields; the number itself is not kept.
type Person struct {
	Birth  time.Time
	Gender string
	ID     string // normalised, only to compute person_key; never stored
}

// ParseID checks a resident ID number (GB 11643) and reads birth date and gender from it.
func ParseID(v string) (Person, error) {
	v = strings.ToUpper(strings.ReplaceAll(clean(v), " ", ""))
	v = strings.TrimPrefix(v, "'")
	if reSci.MatchString(v) || strings.Contains(v, ".") {
		return Person{}, errors.New("身份证号被 Excel 存成了数字（如 6.10322E+17），最后几位已经丢失；请把这一列设为“文本”后重新填写")
	}
	switch {
	case reIDNumber.MatchString(v):
		sum := 0
		for k := 0; k < 17; k++ {
			sum += int(v[k]-'0') * idWeights[k]
		}
		if idCheck[sum%11] != v[17] {
			return Person{}, errors.New("身份证号最后一位校验不对，可能抄错了")
		}
		b, _, err := ParseDate(v[6:14])
		if err != nil || b.IsZero() {
			return Person{}, errors.New("身份证号里的出生日期不对")
		}
		g := "女"
		if (v[16]-'0')%2 == 1 {
			g = "男"
		}
		return Person{Birth: b, Gender: g, ID: v}, nil
	case reIDOld.MatchString(v):
		b, _, err := ParseDate("19" + v[6:12])
		if err != nil || b.IsZero() {
			return Person{}, errors.New("身份证号里的出生日期不对")
		}
		g := "女"
		if (v[14]-'0')%2 == 1 {
			g = "男"
		}
		return Person{Birth: b, Gender: g, ID: v}, nil
	}
	return Person{}, fmt.Errorf("身份证号应是18位（最后一位可以是X），这里有%d位", len([]rune(v)))
}

// MaskID hides the middle of an ID number for messages and the rejects table.
func MaskID(v string) string {
	r := []rune(clean(v))
	if len(r) <= 6 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-5) + string(r[len(r)-2:])
}

// PersonKey is a keyed hash that counts one person once without storing who it is.
func PersonKey(secret []byte, parts ...string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strings.Join(parts, "\x1f")))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// Age is the whole years between birth and on.
func Age(birth, on time.Time) int64 {
	a := on.Year() - birth.Year()
	if on.Month() < birth.Month() || (on.Month() == birth.Month() && on.Day() < birth.Day()) {
		a--
	}
	return int64(a)
}
