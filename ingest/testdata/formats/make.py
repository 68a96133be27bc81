#!/usr/bin/env python3
"""Writes the real-program fixtures of ingest's file-format tests.

Each workbook is written here as a flat OpenDocument file (.fods, plain
XML one can read), then LibreOffice converts it into the formats offices
send: Excel 97-2003 (.xls, BIFF8), .xlsx, .ods, an HTML page, an Excel
2003 XML Spreadsheet and Excel's "Unicode text". The .et fixture is the
.xls under WPS's name: WPS writes the same BIFF8 container, and WPS
itself does not run here. Run from this folder:

    python3 make.py        # needs soffice (Debian: libreoffice-calc-nogui)

The tests read the committed outputs; the figures they expect are the
ones written below.
"""
import os, shutil, subprocess, sys
from xml.sax.saxutils import escape

HEAD = '''<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
<office:automatic-styles>
<number:date-style style:name="N1"><number:year number:style="long"/><number:text>年</number:text><number:month/><number:text>月</number:text><number:day/><number:text>日</number:text></number:date-style>
<number:date-style style:name="N2"><number:year number:style="long"/><number:text>-</number:text><number:month number:style="long"/><number:text>-</number:text><number:day number:style="long"/></number:date-style>
<style:style style:name="ce1" style:family="table-cell" style:data-style-name="N1"/>
<style:style style:name="ce2" style:family="table-cell" style:data-style-name="N2"/>
<style:style style:name="ta1" style:family="table"><style:table-properties table:display="true"/></style:style>
<style:style style:name="ta2" style:family="table"><style:table-properties table:display="false"/></style:style>
</office:automatic-styles>
<office:body><office:spreadsheet>
'''
TAIL = '</office:spreadsheet></office:body></office:document>\n'


class D(str):
    """A date cell: the value is 2015-01-05, shown as 2015年1月5日."""


class F:
    """A formula cell with its cached value."""
    def __init__(self, formula, value):
        self.formula, self.value = formula, value


class M:
    """A text cell merged across n columns."""
    def __init__(self, text, n):
        self.text, self.n = text, n


def cell(v):
    if v is None or v == '':
        return '<table:table-cell/>'
    if isinstance(v, M):
        return ('<table:table-cell table:number-columns-spanned="%d" office:value-type="string"><text:p>%s</text:p></table:table-cell>' % (v.n, escape(v.text))
                + '<table:covered-table-cell/>' * (v.n - 1))
    if isinstance(v, F):
        return '<table:table-cell table:formula="of:%s" office:value-type="float" office:value="%s"><text:p>%s</text:p></table:table-cell>' % (escape(v.formula), v.value, v.value)
    if isinstance(v, D):
        return '<table:table-cell table:style-name="ce1" office:value-type="date" office:date-value="%s"><text:p>%s</text:p></table:table-cell>' % (v, v)
    if isinstance(v, (int, float)):
        return '<table:table-cell office:value-type="float" office:value="%s"><text:p>%s</text:p></table:table-cell>' % (v, v)
    paras = ''.join('<text:p>%s</text:p>' % escape(p) for p in str(v).split('\n'))
    return '<table:table-cell office:value-type="string">%s</table:table-cell>' % paras


def sheet(name, rows, hidden=False):
    out = ['<table:table table:name="%s" table:style-name="%s">' % (escape(name), 'ta2' if hidden else 'ta1')]
    for r in rows:
        out.append('<table:table-row>' + ''.join(cell(v) for v in r) + '</table:table-row>')
    out.append('</table:table>')
    return '\n'.join(out)


def document(sheets, null_date=None):
    settings = ''
    if null_date:
        settings = '<table:calculation-settings><table:null-date table:date-value="%s"/></table:calculation-settings>\n' % null_date
    return HEAD + settings + '\n'.join(sheets) + TAIL


# One township office's monthly workbook: a cover sheet, a sheet per month
# of 人民调解 (the second in another column order, with a case received in
# January), a 法律援助 sheet, and a hidden sheet that must not load.
# Expected: mediation 2015-01: 4 cases, 2015-02: 1; parties 3+2+10+2+5 = 22
# (three of them approximate: 约10人, 5余人 and 2人 is exact); amounts
# 1,200 + 12,500 + 3,500 + 0 + 1,234 = 18,434 元; legal aid: 2 cases,
# 挽回经济损失 8,000 + 15,000 = 23,000 元.
MONTHLY = document([
    sheet('填表说明', [['填表说明'], ['1. 每月5日前报送上月台账。'], ['2. 日期写成 2015年1月5日。']]),
    sheet('1月', [
        [M('石门镇2015年1月人民调解台账', 9)],
        ['填报单位：石门镇司法所'],
        ['序号', '受理\n日期', '乡镇', '村（居）', '纠纷类别', '涉及人数', '涉及金额（元）', '调处结果', '结案时间'],
        [1, D('2015-01-05'), '石门镇', '石门村', '邻里', F('=1+2', 3), 1200, '调解成功', D('2015-01-08')],
        [2, '2015.1.12', '石门镇', '', '婚姻家庭', '2人', '1.25万元', '调解成功', '2015年1月15日'],
        [3, D('2015-01-20'), '石门镇', '石门村', '合同', '约10人', '￥3,500.00', '调解不成功', ''],
        ['本月合计', '', '', '', '', F('=SUM(F4:F6)', 15), F('=SUM(G4:G6)', 1200), '', ''],
        [M('制表人：李四    审核人：王五    填报日期：2015年2月3日', 9)],
    ]),
    sheet('2月', [
        [M('石门镇2015年2月人民调解台账', 6)],
        ['受理日期', '纠纷类型', '调解结果', '乡镇', '当事人数', '涉及金额(元)'],
        [D('2015-01-31'), '邻里', '调解成功', '石门镇', 2, '无'],
        [D('2015-02-10'), '损害赔偿', '调解成功', '石门镇', '5余人', '1,234'],
        ['合  计', '', '', '', 7, 1234],
    ]),
    sheet('法律援助', [
        [M('石门镇2015年1-2月法律援助台账', 7)],
        ['编号', '申请日期', '乡镇', '案件类别', '审查决定', '结案日期', '挽回经济损失（元）'],
        ['FY-1', D('2015-01-09'), '石门镇', '民事', '给予援助', D('2015-02-01'), 8000],
        ['FY-2', '2015/02/11', '石门镇', '民事', '给予援助', '', '1.5万'],
    ]),
    sheet('旧数据', [
        ['受理日期', '乡镇', '纠纷类型', '调解结果'],
        [D('2014-06-01'), '石门镇', '邻里', '调解成功'],
    ], hidden=True),
])

# A workbook kept in the 1904 date system (Excel for Mac, "使用1904日期系统"):
# its dates must load as written, not four years and a day early.
DATE1904 = document([
    sheet('人民调解', [
        ['受理日期', '乡镇', '纠纷类型', '调解结果', '当事人数'],
        [D('2015-03-05'), '石门镇', '邻里', '调解成功', 2],
        [D('2016-12-31'), '营盘镇', '合同', '调解成功', 4],
    ]),
], null_date='1904-01-01')

# Two tables stacked on one sheet, each with its own title, header (the
# second in another column order) and 合计, and a print layout: the header
# printed again with 本页小计 at the page's foot, and 制表人 footers.
# Expected: 2014-10: 2, 2014-12: 1, 2015-01: 2, 2015-03: 1 cases; parties 12.
STACKED = document([
    sheet('季度台账', [
        [M('2014年第四季度人民调解台账', 5)],
        ['受理日期', '乡镇', '纠纷类型', '调解结果', '当事人数'],
        [D('2014-10-08'), '石门镇', '邻里', '调解成功', 2],
        [D('2014-10-20'), '营盘镇', '合同', '调解成功', 2],
        ['本页小计', '', '', '', 4],
        ['受理日期', '乡镇', '纠纷类型', '调解结果', '当事人数'],
        [D('2014-12-02'), '石门镇', '邻里', '调解不成功', 2],
        ['合  计', '', '', '', 6],
        ['制表人：张三', '', '审核人：李四'],
        [],
        [],
        [M('2015年第一季度人民调解台账', 5)],
        ['乡镇', '受理日期', '当事人数', '纠纷类型', '调解结果'],
        ['石门镇', D('2015-01-06'), 2, '邻里', '调解成功'],
        ['营盘镇', D('2015-01-18'), 2, '婚姻家庭', '调解成功'],
        ['石门镇', D('2015-03-30'), 2, '合同', '调解成功'],
        ['合计', '', 6, '', ''],
    ]),
])

# One sheet for Excel's "Unicode 文本" (UTF-16 with BOM, tab-separated).
# Expected: 3 cases, parties 7.
UNICODE = document([
    sheet('Sheet1', [
        ['受理日期', '乡镇', '纠纷类型', '调解结果', '当事人数'],
        ['2015-04-01', '石门镇', '邻里', '调解成功', 2],
        ['2015-04-09', '营盘镇', '合同', '调解成功', 3],
        ['2015-05-01', '石门镇', '邻里', '正在调解', 2],
    ]),
])


def convert(src, fmt, out):
    tmp = 'out-' + fmt.split(':')[0]
    subprocess.run(['soffice', '--headless', '--convert-to', fmt, '--outdir', tmp, src], check=True, capture_output=True)
    made = os.path.join(tmp, os.listdir(tmp)[0])
    shutil.move(made, out)
    shutil.rmtree(tmp)


def main():
    os.chdir(os.path.dirname(os.path.abspath(__file__)))
    for name, doc in [('monthly', MONTHLY), ('date1904', DATE1904), ('stacked', STACKED), ('unicode', UNICODE)]:
        with open(name + '.fods', 'w', encoding='utf-8') as f:
            f.write(doc)
    for fmt, ext in [('xls:MS Excel 97', 'xls'), ('xlsx:Calc MS Excel 2007 XML', 'xlsx'), ('ods', 'ods')]:
        for name in ('monthly', 'date1904', 'stacked'):
            convert(name + '.fods', fmt, name + '.' + ext)
    shutil.copy('monthly.xls', 'monthly.et')
    # other systems' "Excel": an HTML page and an XML Spreadsheet, saved as .xls
    convert('monthly.fods', 'html:HTML (StarCalc)', 'monthly-html.xls')
    convert('monthly.fods', 'xml:MS Excel 2003 XML', 'monthly-xml.xls')
    convert('unicode.fods', 'txt:Text - txt - csv (StarCalc):9,34,65535', 'unicode.txt')


if __name__ == '__main__':
    sys.exit(main())
