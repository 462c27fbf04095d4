package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// startExample runs the example as a user would, with the given environment.
func startExample(t *testing.T, env map[string]string) string {
	port := freePort(t)
	t.Setenv("PORT", port)
	t.Setenv("BETTER_AUTH_URL", "http://127.0.0.1:"+port)
	for k, v := range env {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	base := "http://127.0.0.1:" + port
	require.Eventually(t, func() bool {
		res, err := http.Get(base + "/api/auth/ok")
		if err == nil {
			res.Body.Close()
		}
		return err == nil && res.StatusCode == 200
	}, 10*time.Second, 20*time.Millisecond)
	return base
}

func TestExampleFlows(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"memory":        {"DATABASE_URL": "", "BETTER_AUTH_SECRET": ""},
		"postgres":      {"DATABASE_URL": pgtest.NewDatabase(t), "BETTER_AUTH_SECRET": "example-test-secret-0123456789abcdef"},
		"postgres-uuid": {"DATABASE_URL": pgtest.NewDatabase(t), "BETTER_AUTH_ID_MODE": "uuid", "BETTER_AUTH_SECRET": "example-test-secret-0123456789abcdef"},
	} {
		t.Run(name, func(t *testing.T) {
			base := startExample(t, env)
			jar, err := cookiejar.New(nil)
			require.NoError(t, err)
			c := &http.Client{Jar: jar}
			post := func(path, body string) *http.Response {
				req, err := http.NewRequest("POST", base+path, strings.NewReader(body))
				require.NoError(t, err)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Origin", base)
				res, err := c.Do(req)
				require.NoError(t, err)
				t.Cleanup(func() { res.Body.Close() })
				return res
			}
			get := func(path string) (int, string) {
				res, err := c.Get(base + path)
				require.NoError(t, err)
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				return res.StatusCode, string(b)
			}

			status, body := get("/")
			assert.Equal(t, 200, status)
			assert.Contains(t, body, "/api/auth/sign-up/email")
			status, _ = get("/api/me")
			assert.Equal(t, 401, status)

			res := post("/api/auth/sign-up/email", `{"name":"Ex","email":"ex@example.com","password":"correct-horse-1"}`)
			require.Equal(t, 200, res.StatusCode)
			status, body = get("/api/me")
			assert.Equal(t, 200, status)
			assert.Contains(t, body, `"email":"ex@example.com"`)
			status, body = get("/api/auth/get-session")
			assert.Equal(t, 200, status)
			assert.Contains(t, body, `"name":"Ex"`)

			res = post("/api/auth/sign-out", `{}`)
			require.Equal(t, 200, res.StatusCode)
			_, body = get("/api/auth/get-session")
			assert.Equal(t, "null", body)
		})
	}
}
