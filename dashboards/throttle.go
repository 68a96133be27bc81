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
