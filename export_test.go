package betterauth

// RateLimitKeys reports how many keys the request limiter holds (tests only).
func (a *Auth) RateLimitKeys() int {
	if a.limiter == nil {
		return 0
	}
	return a.limiter.len()
}
