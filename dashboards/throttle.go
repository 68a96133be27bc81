package dashboards

import (
	"sync"
	"time"
)

// signInGuard counts failed sign-ins in memory and reserves each attempt
// before its password is checked, so that guesses sent at once cannot
// outrun the count (199 at once used to get 192 checked against a limit
// of 5), and a failure the audit log could not record still counts.
//
// Three counts, each over the failure window:
//   - an account from one client address: MaxFailures locks the account
//     for that address only, so nobody elsewhere can keep it locked;
//   - a client address over all accounts: addrFactor × MaxFailures stops
//     one machine from spraying guesses (each costs a bcrypt check);
//   - an account from everywhere: acctFactor × MaxFailures, a backstop
//     against guesses spread over many machines.
type signInGuard struct {
	mu       sync.Mutex
	fails    map[string][]time.Time
	inflight map[string]int
}

const (
	addrFactor = 4
	acctFactor = 10
	// guardKeys bounds the keys kept: past it, keys whose failures are all
	// outside the window are dropped.
	guardKeys = 10000
)

// attempt is a reserved sign-in; done settles it.
type attempt struct {
	g    *signInGuard
	keys []string
}

func guardKeysOf(user, addr string) []string {
	return []string{"p\x00" + user + "\x00" + addr, "a\x00" + addr, "u\x00" + user}
}

// reserve takes an attempt for user from addr unless one of the counts is
// full. persisted is the failures of the account from the address that the
// audit log holds since `since` (the memory count is the floor when the
// log could not be written). locked says the account is locked for this
// address; throttled says the address has failed too often.
func (g *signInGuard) reserve(user, addr string, persisted, limit int, since, now time.Time, window time.Duration) (a *attempt, locked, throttled bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fails == nil {
		g.fails, g.inflight = map[string][]time.Time{}, map[string]int{}
	}
	keys := guardKeysOf(user, addr)
	windowStart := now.Add(-window)
	// for the account, a new password, an unlock or a sign-in starts the
	// count again; the address's count is the window's
	acctStart := windowStart
	if since.After(acctStart) {
		acctStart = since
	}
	count := func(k string, from time.Time) int {
		n := 0
		for _, t := range g.fails[k] {
			if t.After(from) {
				n++
			}
		}
		return n + g.inflight[k]
	}
	if count(keys[1], windowStart) >= addrFactor*limit {
		return nil, false, true
	}
	pair := max(count(keys[0], acctStart), persisted+g.inflight[keys[0]])
	if pair >= limit || count(keys[2], acctStart) >= acctFactor*limit {
		return nil, true, false
	}
	for _, k := range keys {
		g.inflight[k]++
	}
	return &attempt{g: g, keys: keys}, false, false
}

// done settles an attempt: a failure is counted at now.
func (a *attempt) done(failed bool, now time.Time, window time.Duration) {
	g := a.g
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, k := range a.keys {
		if g.inflight[k]--; g.inflight[k] <= 0 {
			delete(g.inflight, k)
		}
		if failed {
			g.fails[k] = append(g.fails[k], now)
		}
	}
	if len(g.fails) > guardKeys {
		for k, ts := range g.fails {
			if len(ts) == 0 || ts[len(ts)-1].Before(now.Add(-window)) {
				delete(g.fails, k)
			}
		}
	}
	// keep each list to what a count can need
	for _, k := range a.keys {
		if ts := g.fails[k]; len(ts) > 64 {
			kept := ts[:0]
			for _, t := range ts {
				if t.After(now.Add(-window)) {
					kept = append(kept, t)
				}
			}
			g.fails[k] = kept
		}
	}
}

// accountGate bounds the requests one account has in progress at once, so
// that one account's expensive requests (a province of exports) cannot
// take every core from the others: a request past the bound waits for a
// place, and is refused after gateWait.
type accountGate struct {
	mu    sync.Mutex
	slots map[string]chan struct{}
}

const gateWait = 10 * time.Second

// enter takes a place for user (limit at once); it reports false when
// none came free within wait or the request ended first. leave gives it back.
func (g *accountGate) enter(done <-chan struct{}, user string, limit int, wait time.Duration) bool {
	g.mu.Lock()
	if g.slots == nil {
		g.slots = map[string]chan struct{}{}
	}
	c := g.slots[user]
	if c == nil {
		c = make(chan struct{}, limit)
		g.slots[user] = c
	}
	g.mu.Unlock()
	select {
	case c <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case c <- struct{}{}:
		return true
	case <-t.C:
	case <-done:
	}
	return false
}

func (g *accountGate) leave(user string) {
	g.mu.Lock()
	c := g.slots[user]
	g.mu.Unlock()
	<-c
}

// uploadQuota counts what each account uploaded over the last day, so that
// one account cannot fill the server's disk with files (refused ones go to
// a bounded quarantine; this bounds the rest).
type uploadQuota struct {
	mu   sync.Mutex
	sent map[string][]sentBytes
}

type sentBytes struct {
	at    time.Time
	bytes int64
}

// take records n bytes for user unless that would pass limit within the
// last 24 hours; it says whether it did, and how much is left.
func (q *uploadQuota) take(user string, n, limit int64, now time.Time) (ok bool, left int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.sent == nil {
		q.sent = map[string][]sentBytes{}
	}
	var kept []sentBytes
	var total int64
	for _, s := range q.sent[user] {
		if now.Sub(s.at) < 24*time.Hour {
			kept = append(kept, s)
			total += s.bytes
		}
	}
	if total+n > limit {
		q.sent[user] = kept
		return false, max(limit-total, 0)
	}
	q.sent[user] = append(kept, sentBytes{now, n})
	return true, limit - total - n
}
