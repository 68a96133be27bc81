package warehouse_test

import (
	"context"
	"testing"

	"sifa/warehouse"
)

// TestAuditKeepsWhatIsNotText: an event whose text a client sent as bytes
// that are not UTF-8 (a name typed at the sign-in, a forwarded address) is
// recorded, those bytes as U+FFFD, on every engine.
func TestAuditKeepsWhatIsNotText(t *testing.T) {
	for engine, dsn := range engines(t) {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			w := open(t, dsn)
			for _, c := range []struct{ user, remote, want string }{
				{"adm\xffin", "10.0.0.1", "adm\uFFFDin"},
				{"\xc3\x28王", "10.0.0.\xfe", "\uFFFD(王"},
				{"王刚", "10.0.0.2", "王刚"},
			} {
				if err := w.RecordAudit(ctx, warehouse.AuditEvent{Action: "login_failed", User: c.user, Remote: c.remote, Result: "失败"}); err != nil {
					t.Fatalf("%q: %v", c.user, err)
				}
				got, err := w.Audit(ctx, warehouse.AuditQuery{User: c.want, Action: "login_failed"})
				if err != nil || len(got) != 1 {
					t.Fatalf("%q: %d events, %v", c.want, len(got), err)
				}
				if got[0].Remote != c.remote && got[0].Remote != "10.0.0.\uFFFD" {
					t.Errorf("%q: remote %q", c.want, got[0].Remote)
				}
			}
		})
	}
}
