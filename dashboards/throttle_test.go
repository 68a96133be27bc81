package dashboards

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestAccountGate: one account never has more than its limit in progress;
// a request past it waits for a place, and is refused when none comes;
// another account is not held up by it.
func TestAccountGate(t *testing.T) {
	var g accountGate
	var inside, most atomic.Int32
	var wg sync.WaitGroup
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !g.enter(nil, "busy", 3, time.Second) {
				t.Error("a request waited a second for a place and got none")
				return
			}
			n := inside.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(20 * time.Millisecond)
			inside.Add(-1)
			g.leave("busy")
		}()
	}
	wg.Wait()
	if most.Load() != 3 {
		t.Errorf("at most %d requests at once, want 3", most.Load())
	}
	for range 3 {
		g.enter(nil, "hog", 3, time.Second)
	}
	start := time.Now()
	if g.enter(nil, "hog", 3, 50*time.Millisecond) {
		t.Error("a fourth request got in")
	}
	if time.Since(start) < 50*time.Millisecond {
		t.Error("the fourth request did not wait for a place")
	}
	if !g.enter(nil, "other", 3, 0) {
		t.Error("another account is held up by the hog")
	}
}
