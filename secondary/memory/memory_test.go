package memory_test

import (
	"sync"
	"testing"
	"time"

	"github.com/go-betterauth/betterauth/secondary"
	"github.com/go-betterauth/betterauth/secondary/memory"
	"github.com/go-betterauth/betterauth/secondary/secondarytest"
)

// clock is a time that only moves when told to, safe for concurrent use.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestConformance(t *testing.T) {
	c := &clock{now: time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)}
	secondarytest.Run(t, func(t *testing.T) secondary.Storage {
		return memory.New(memory.Options{Now: c.Now})
	}, secondarytest.WithClock(c.Advance))
}

// Without options the suite waits for real one-second ttls, as it would for
// a backend it cannot look into.
func TestConformanceRealClock(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for real ttls")
	}
	st := memory.New(memory.Options{}) // one storage for every case
	secondarytest.Run(t, func(t *testing.T) secondary.Storage { return st })
}
