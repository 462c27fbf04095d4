package jwtverify

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The key set is fetched on first use, not by New, and then reused.
func TestJWKSFetchedOnceAndCached(t *testing.T) {
	key := newKey(t, "EdDSA", "k1")
	srv := newJWKSServer(t, jwksJSON(t, key))
	clk := newClock(t0)
	v := newRemote(t, srv, clk)
	require.Equal(t, 0, srv.count())
	tok := sign(t, key, claimsAt(t0))
	for range 5 {
		accepted(t, v, tok)
	}
	require.Equal(t, 1, srv.count())
}

// After CacheTTL the next verification fetches the set again: a key removed
// from the set is refused from then on.
func TestJWKSCacheTTL(t *testing.T) {
	k1, k2 := newKey(t, "EdDSA", "k1"), newKey(t, "EdDSA", "k2")
	srv := newJWKSServer(t, jwksJSON(t, k1, k2))
	clk := newClock(t0)
	v := newRemote(t, srv, clk, func(c *Config) { c.CacheTTL = time.Minute })
	tok1 := sign(t, k1, claimsAt(t0))
	accepted(t, v, tok1)
	srv.set(http.StatusOK, jwksJSON(t, k2)) // k1 revoked

	clk.Advance(time.Minute - time.Second)
	accepted(t, v, tok1) // still cached
	require.Equal(t, 1, srv.count())

	clk.Advance(time.Second)
	refused(t, v, tok1, ErrUnknownKey)
	require.Equal(t, 2, srv.count())
	accepted(t, v, sign(t, k2, claimsAt(t0)))
	require.Equal(t, 2, srv.count())
}

// When a refetch after CacheTTL fails, the keys already fetched stay in use,
// and the fetch is tried again only after MinRefreshInterval.
func TestJWKSStaleIfError(t *testing.T) {
	key := newKey(t, "EdDSA", "k1")
	srv := newJWKSServer(t, jwksJSON(t, key))
	clk := newClock(t0)
	v := newRemote(t, srv, clk, func(c *Config) { c.CacheTTL = time.Minute; c.MinRefreshInterval = 10 * time.Second })
	tok := sign(t, key, claimsAt(t0))
	accepted(t, v, tok)

	srv.set(http.StatusInternalServerError, []byte(`{"error":"down"}`))
	clk.Advance(time.Minute)
	accepted(t, v, tok)
	require.Equal(t, 2, srv.count())
	accepted(t, v, tok)
	clk.Advance(9 * time.Second)
	accepted(t, v, tok)
	require.Equal(t, 2, srv.count(), "no new attempt within MinRefreshInterval")
	clk.Advance(time.Second)
	accepted(t, v, tok)
	require.Equal(t, 3, srv.count())

	srv.set(http.StatusOK, jwksJSON(t, key))
	clk.Advance(10 * time.Second)
	accepted(t, v, tok)
	require.Equal(t, 4, srv.count())
	accepted(t, v, tok)
	require.Equal(t, 4, srv.count(), "fresh again")
}

// An unknown kid fetches the set again (once), then is ErrUnknownKey.
func TestUnknownKidRefetchesOnce(t *testing.T) {
	known, unknown := newKey(t, "EdDSA", "known"), newKey(t, "EdDSA", "unknown")
	srv := newJWKSServer(t, jwksJSON(t, known))
	clk := newClock(t0)
	v := newRemote(t, srv, clk)
	accepted(t, v, sign(t, known, claimsAt(t0)))
	require.Equal(t, 1, srv.count())

	clk.Advance(DefaultMinRefreshInterval)
	refused(t, v, sign(t, unknown, claimsAt(t0)), ErrUnknownKey)
	require.Equal(t, 2, srv.count(), "one refetch for the unknown kid")

	// A token with an unknown kid as the very first use: the first fetch is
	// the only one.
	srv2 := newJWKSServer(t, jwksJSON(t, known))
	v2 := newRemote(t, srv2, clk)
	refused(t, v2, sign(t, unknown, claimsAt(t0)), ErrUnknownKey)
	require.Equal(t, 1, srv2.count())

	// A static set never fetches.
	refused(t, newStatic(t, jwksJSON(t, known), clk), sign(t, unknown, claimsAt(t0)), ErrUnknownKey)
}

// Tokens with unknown kids cannot make the verifier fetch more than once per
// MinRefreshInterval.
func TestRefetchRateLimit(t *testing.T) {
	known := newKey(t, "EdDSA", "known")
	srv := newJWKSServer(t, jwksJSON(t, known))
	clk := newClock(t0)
	v := newRemote(t, srv, clk, func(c *Config) { c.MinRefreshInterval = time.Minute })
	accepted(t, v, sign(t, known, claimsAt(t0)))

	clk.Advance(time.Minute)
	for i := range 20 {
		refused(t, v, sign(t, newKey(t, "EdDSA", "random-"+string(rune('a'+i))), claimsAt(t0)), ErrUnknownKey)
	}
	require.Equal(t, 2, srv.count())
	clk.Advance(time.Minute - time.Second)
	refused(t, v, sign(t, newKey(t, "EdDSA", "late"), claimsAt(t0)), ErrUnknownKey)
	require.Equal(t, 2, srv.count())
	clk.Advance(time.Second)
	refused(t, v, sign(t, newKey(t, "EdDSA", "later"), claimsAt(t0)), ErrUnknownKey)
	require.Equal(t, 3, srv.count())
	accepted(t, v, sign(t, known, claimsAt(t0)))
	require.Equal(t, 3, srv.count())
}

// Key rotation: the auth server publishes a new key; the first token signed
// with it makes the verifier fetch the set, and it is accepted. The old key
// stays usable while it is published.
func TestKeyRotation(t *testing.T) {
	old, next := newKey(t, "EdDSA", "old"), newKey(t, "ES256", "new")
	srv := newJWKSServer(t, jwksJSON(t, old))
	clk := newClock(t0)
	v := newRemote(t, srv, clk)
	accepted(t, v, sign(t, old, claimsAt(t0)))

	srv.set(http.StatusOK, jwksJSON(t, next, old))
	clk.Advance(DefaultMinRefreshInterval)
	accepted(t, v, sign(t, next, claimsAt(clk.Now())))
	require.Equal(t, 2, srv.count())
	accepted(t, v, sign(t, old, claimsAt(t0)))
	accepted(t, v, sign(t, next, claimsAt(clk.Now())))
	require.Equal(t, 2, srv.count())

	// Within MinRefreshInterval of the last fetch, a newer key is not looked
	// for yet.
	newest := newKey(t, "EdDSA", "newest")
	srv.set(http.StatusOK, jwksJSON(t, newest, next, old))
	refused(t, v, sign(t, newest, claimsAt(clk.Now())), ErrUnknownKey)
	clk.Advance(DefaultMinRefreshInterval)
	accepted(t, v, sign(t, newest, claimsAt(clk.Now())))
	require.Equal(t, 3, srv.count())
}

// N verifications of tokens with a kid the verifier does not know yet, at
// once, make exactly one request: the fetch is shared.
func TestConcurrentUnknownKidOneFetch(t *testing.T) {
	const n = 16
	old, next := newKey(t, "EdDSA", "old"), newKey(t, "EdDSA", "new")
	srv := newJWKSServer(t, jwksJSON(t, old))
	clk := newClock(t0)
	v := newRemote(t, srv, clk)
	accepted(t, v, sign(t, old, claimsAt(t0)))
	require.Equal(t, 1, srv.count())

	srv.set(http.StatusOK, jwksJSON(t, next, old))
	clk.Advance(DefaultMinRefreshInterval)
	// Hold the JWKS answer until all n verifications are about to fetch: if
	// they did not share one request, n requests would reach the server.
	waiting := make(chan struct{}, n)
	v.onFetchWait = func() { waiting <- struct{}{} }
	release := make(chan struct{})
	srv.mu.Lock()
	srv.block = release
	srv.mu.Unlock()
	go func() {
		for range n {
			<-waiting
		}
		close(release)
	}()

	tok := sign(t, next, claimsAt(clk.Now()))
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := v.Verify(context.Background(), tok)
			if err == nil && c.Subject != "user-ada" {
				err = errors.New("wrong subject")
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, 2, srv.count(), "one fetch for all")
}

// The same for the very first use of a verifier: n first verifications at
// once share one fetch.
func TestConcurrentFirstUseOneFetch(t *testing.T) {
	const n = 16
	key := newKey(t, "RS256", "rs")
	srv := newJWKSServer(t, jwksJSON(t, key))
	clk := newClock(t0)
	v := newRemote(t, srv, clk)
	waiting := make(chan struct{}, n)
	v.onFetchWait = func() { waiting <- struct{}{} }
	release := make(chan struct{})
	srv.mu.Lock()
	srv.block = release
	srv.mu.Unlock()
	go func() {
		for range n {
			<-waiting
		}
		close(release)
	}()
	tok := sign(t, key, claimsAt(t0))
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := v.Verify(context.Background(), tok)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, 1, srv.count())
}

// A key set that cannot be fetched is ErrJWKSUnavailable (not an invalid
// token), and a failed fetch is not retried before MinRefreshInterval.
func TestJWKSUnavailable(t *testing.T) {
	key := newKey(t, "EdDSA", "k1")
	tok := sign(t, key, claimsAt(t0))
	for name, setup := range map[string]func(*jwksServer){
		"500":        func(s *jwksServer) { s.set(http.StatusInternalServerError, []byte("oops")) },
		"404":        func(s *jwksServer) { s.set(http.StatusNotFound, []byte(`{"keys":[]}`)) },
		"bad JSON":   func(s *jwksServer) { s.set(http.StatusOK, []byte(`{"keys":[`)) },
		"not a JWKS": func(s *jwksServer) { s.set(http.StatusOK, []byte(`{"message":"hello"}`)) },
		"HTML":       func(s *jwksServer) { s.set(http.StatusOK, []byte(`<html>login</html>`)) },
		"too large": func(s *jwksServer) {
			s.set(http.StatusOK, []byte(`{"pad":"`+strings.Repeat("x", maxJWKSBytes)+`",`+string(jwksJSON(t, key))[1:]))
		},
		"server down":   func(s *jwksServer) { s.Close() },
		"keys not list": func(s *jwksServer) { s.set(http.StatusOK, []byte(`{"keys":{}}`)) },
	} {
		t.Run(name, func(t *testing.T) {
			srv := newJWKSServer(t, jwksJSON(t, key))
			setup(srv)
			clk := newClock(t0)
			v := newRemote(t, srv, clk)
			refused(t, v, tok, ErrJWKSUnavailable)
			_, err := v.Verify(context.Background(), tok)
			require.False(t, errors.Is(err, ErrInvalidToken))
			if name == "too large" {
				require.ErrorContains(t, err, "larger than")
			}
			if name == "server down" {
				return
			}
			require.Equal(t, 1, srv.count(), "not retried within MinRefreshInterval")
			srv.set(http.StatusOK, jwksJSON(t, key))
			refused(t, v, tok, ErrJWKSUnavailable)
			clk.Advance(DefaultMinRefreshInterval)
			accepted(t, v, tok)
			require.Equal(t, 2, srv.count())
		})
	}
}

// A verification that decided to fetch while another fetch was ending uses
// that fetch's result instead of asking again.
func TestFetchJustDoneIsNotRepeated(t *testing.T) {
	key := newKey(t, "EdDSA", "k1")
	srv := newJWKSServer(t, jwksJSON(t, key))
	v := newRemote(t, srv, newClock(t0))
	tok := sign(t, key, claimsAt(t0))

	paused, resume := make(chan struct{}), make(chan struct{})
	var calls sync.Mutex
	n := 0
	v.onFetchWait = func() {
		calls.Lock()
		n++
		first := n == 1
		calls.Unlock()
		if first {
			close(paused)
			<-resume
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := v.Verify(context.Background(), tok) // decides to fetch, then waits
		done <- err
	}()
	<-paused
	accepted(t, v, tok) // fetches meanwhile
	require.Equal(t, 1, srv.count())
	close(resume)
	require.NoError(t, <-done)
	require.Equal(t, 1, srv.count(), "the paused verification did not fetch again")
}

// An empty but well-formed key set is not an outage: tokens are refused as
// signed by an unknown key.
func TestEmptyJWKS(t *testing.T) {
	srv := newJWKSServer(t, []byte(`{"keys":[]}`))
	v := newRemote(t, srv, newClock(t0))
	refused(t, v, sign(t, newKey(t, "EdDSA", "k1"), claimsAt(t0)), ErrUnknownKey)
}

// A caller whose context ends stops waiting for the fetch; the fetch itself
// goes on for the others and fills the cache.
func TestFetchWaitCancelled(t *testing.T) {
	key := newKey(t, "EdDSA", "k1")
	srv := newJWKSServer(t, jwksJSON(t, key))
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	srv.mu.Lock()
	srv.arrived, srv.block = arrived, release
	srv.mu.Unlock()
	clk := newClock(t0)
	v := newRemote(t, srv, clk)
	tok := sign(t, key, claimsAt(t0))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := v.Verify(ctx, tok)
		done <- err
	}()
	<-arrived
	cancel()
	err := <-done
	require.ErrorIs(t, err, ErrJWKSUnavailable)
	require.ErrorIs(t, err, context.Canceled)

	other := make(chan error, 1)
	go func() {
		_, err := v.Verify(context.Background(), tok)
		other <- err
	}()
	close(release)
	require.NoError(t, <-other)
	require.Equal(t, 1, srv.count())
	accepted(t, v, tok)
	require.Equal(t, 1, srv.count())
}
