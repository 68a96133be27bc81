package panels

import (
	"context"
	"fmt"
	"testing"
)

// TestDetailsAndPosts: work.details and staffing.posts on a county built
// to be counted by hand.
func TestDetailsAndPosts(t *testing.T) {
	for engine, dsn := range bothEngines(t) {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			w, _ := loadFiles(t, dsn, []ledgerFile{
				{"机构名录.csv", "区划代码,单位名称,层级,上级区划代码\n990121,青山县,县,\n990121100,石门镇,乡镇(街道),990121\n990121101,营盘镇,乡镇(街道),990121\n" +
					"990121100201,东坪村,村(社区),990121100\n990121100202,西沟村,村(社区),990121100\n990121101201,南岔村,村(社区),990121101\n"},
				{"调解.csv", "受理日期,乡镇,纠纷类型,调解结果,涉及金额(元)\n2016-03-01,石门镇,邻里,调解成功,1000\n2016-04-01,石门镇,邻里,调解成功,2500\n2016-05-01,营盘镇,邻里,调解成功,\n"},
				{"援助.csv", "申请日期,乡镇,案件类别,受援人类别,审查决定,挽回经济损失(元)\n2016-03-01,石门镇,民事,农民工,给予援助,10000\n2016-04-01,石门镇,民事,农民工,给予援助,5000\n" +
					"2016-05-01,营盘镇,民事,老年人,给予援助,3000\n2016-06-01,营盘镇,民事,妇女,不予援助,\n"},
				{"矫正.csv", "统计时点,身份证号,乡镇,矫正类别,状态,集中教育(次),个别教育(次),公益活动(小时)\n" +
					fmt.Sprintf("2016-12-31,%s,石门镇,缓刑,在矫,2,5,10\n2016-12-31,%s,石门镇,缓刑,在矫,3,4,12\n2016-12-31,%s,石门镇,假释,在矫,1,2,8\n", idNumber(301), idNumber(302), idNumber(303)) +
					fmt.Sprintf("2016-12-31,%s,营盘镇,缓刑,在矫,0,1,4\n2016-12-31,%s,营盘镇,缓刑,期满解矫,9,9,90\n", idNumber(304), idNumber(305))},
				{"帮教.csv", "统计时点,身份证号,乡镇,释放日期,衔接方式,安置情况,一对一帮教\n" +
					fmt.Sprintf("2016-12-31,%s,石门镇,2016-02-01,必接必送,就业,是\n2016-12-31,%s,石门镇,2016-03-01,必接必送,务农,是\n", idNumber(401), idNumber(402)) +
					fmt.Sprintf("2016-12-31,%s,营盘镇,2016-04-01,必接必送,务农,是\n2016-12-31,%s,营盘镇,2016-05-01,自行报到,未安置,是\n2016-12-31,%s,营盘镇,2016-06-01,未衔接,未安置,否\n", idNumber(403), idNumber(404), idNumber(405))},
				{"普法.csv", "日期,乡镇,村(社区),活动形式\n2016-03-01,石门镇,东坪村,讲座\n2016-04-01,石门镇,东坪村,讲座\n2016-05-01,营盘镇,南岔村,讲座\n"},
				// 身兼数职: 甲 and 丁 in post with town work; 丙's is not counted (借调)
				{"花名册.csv", "统计时点,姓名,身份证号,单位,职务,职级待遇,在岗状态,兼任镇村工作\n" +
					fmt.Sprintf("2016-12-31,甲,%s,石门镇,所长,副科级,在岗,综治、信访\n2016-12-31,乙,%s,石门镇,工作人员,无,在岗,\n2016-12-31,丙,%s,石门镇,工作人员,无,借调,包村\n", idNumber(501), idNumber(502), idNumber(503)) +
					fmt.Sprintf("2016-12-31,丁,%s,营盘镇,所长,无,在岗, 扶贫 \n2016-12-31,戊,%s,营盘镇,工作人员,无,兼职他岗,\n", idNumber(504), idNumber(505))},
			}, nil)
			e := &Engine{Store: w}
			f := Filter{Org: "990121", Year: 2016}
			v, err := e.Run(ctx, "work.details", f)
			if err != nil {
				t.Fatal(err)
			}
			d := v.(*WorkDetails)
			got := fmt.Sprintf("amount %d/%g aid %v subjects %d edu %d/%d/%d released %d handed %d (%.2f) mentored %d (%.2f) villages %d/%d",
				d.DisputesWithAmount, d.DisputesAmount, d.AidGroups[:2], d.CorrectionsSubjects, d.GroupEducation, d.IndividualEducation, d.CommunityServiceHour,
				d.Released, d.HandedOver, d.HandedOverRate, d.Mentored, d.MentoredRate, d.VillagesCovered, d.Villages)
			want := "amount 2/3500 aid [{农民工 2 15000} {老年人 1 3000}] subjects 4 edu 6/12/34 released 5 handed 3 (0.60) mentored 4 (0.80) villages 2/3"
			if got != want {
				t.Errorf("work.details:\n got %s\nwant %s", got, want)
			}
			v, err = e.Run(ctx, "staffing.posts", f)
			if err != nil {
				t.Fatal(err)
			}
			ps := v.(*Posts)
			got = fmt.Sprintf("heads %d/%d ranked %d away %d town work %d", ps.OfficesWithHead, ps.Offices, ps.HeadsRanked, ps.NotDoingJustice, ps.WithOtherDuties)
			for _, r := range ps.Rows {
				got += fmt.Sprintf("; %s %d in post, %d seconded, %d other, %d town work, head %d, %d subjects, %v per staff", r.OrgName, r.InPost, r.Seconded, r.OtherPost, r.OtherDuties, r.HeadRanked, r.Subjects, *r.SubjectsPerStaff)
			}
			want = "heads 2/2 ranked 1 away 2 town work 2; 石门镇 2 in post, 1 seconded, 0 other, 1 town work, head 1, 3 subjects, 1.5 per staff; 营盘镇 1 in post, 0 seconded, 1 other, 1 town work, head 0, 1 subjects, 1 per staff"
			if got != want {
				t.Errorf("staffing.posts:\n got %s\nwant %s", got, want)
			}
			// a researcher: the single seconded and the single subject withheld, with the ratio that would give it away
			v, err = e.Run(WithAccess(ctx, &Access{User: "r", Role: RoleResearcher}), "staffing.posts", f)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range v.(*Posts).Rows {
				if !r.HeadRanked.Withheld() && r.HeadRanked > 0 || r.OrgName == "营盘镇" && (!r.Subjects.Withheld() || r.SubjectsPerStaff != nil) {
					t.Errorf("%s for a researcher: %+v", r.OrgName, r)
				}
			}
		})
	}
}
