package betterauth

// RateLimitKeys reports how many keys the request limiter holds (tests only).
func (a *Auth) RateLimitKeys() int {
	m, ok := a.limiter.(memoryRateStorage)
	if !ok {
		return 0
	}
	return m.l.len()
}
