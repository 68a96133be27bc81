package panels

import (
	"sort"
)

// JobRow is one run of a scheduled job (times in UTC, "2006-01-02 15:04:05").
type JobRow struct {
	RunID        string `json:"run_id"`
	Job          string `json:"job"`
	Started      string `json:"started"`
	Ended        string `json:"ended"`
	Files        int64  `json:"files"`
	RowsAccepted int64  `json:"rows_accepted"`
	RowsRejected int64  `json:"rows_rejected"`
	FilesFailed  int64  `json:"files_failed"`
	Result       string `json:"result"`
	Error        string `json:"error"`
}

// JobsRecent is the job history: the last runs, the last success of each
// job, and the jobs whose last run failed. It ignores org and period.
type JobsRecent struct {
	Rows        []JobRow          `json:"rows"`
	LastSuccess map[string]string `json:"last_success"`
	Failing     []string          `json:"failing"`
}

func jobsRecent(r *request) (any, error) {
	rows, err := r.rows("SELECT run_id, job, started, ended, files, rows_accepted, rows_rejected, files_failed, result, error FROM jobs ORDER BY seq DESC LIMIT 200")
	if err != nil {
		return nil, err
	}
	out := &JobsRecent{Rows: []JobRow{}, LastSuccess: map[string]string{}, Failing: []string{}}
	latest := map[string]string{}
	for _, x := range rows {
		j := JobRow{RunID: str(x[0]), Job: str(x[1]), Started: str(x[2]), Ended: str(x[3]), Files: num(x[4]), RowsAccepted: num(x[5]),
			RowsRejected: num(x[6]), FilesFailed: num(x[7]), Result: str(x[8]), Error: str(x[9])}
		if len(out.Rows) < 50 {
			out.Rows = append(out.Rows, j)
		}
		if _, seen := latest[j.Job]; !seen {
			latest[j.Job] = j.Result
		}
		if j.Result != "失败" && out.LastSuccess[j.Job] == "" {
			out.LastSuccess[j.Job] = j.Ended
		}
	}
	for job, result := range latest {
		if result == "失败" {
			out.Failing = append(out.Failing, job)
		}
	}
	sort.Strings(out.Failing)
	return out, nil
}
