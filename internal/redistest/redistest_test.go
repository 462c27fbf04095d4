package redistest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	os.Exit(Main(m))
}

func TestNewClientDistinctEmptyDatabases(t *testing.T) {
	c1, c2 := NewClient(t), NewClient(t)
	ctx := t.Context()
	require.NoError(t, c1.Set(ctx, "k", "one", 0).Err())
	n, err := c2.DBSize(ctx).Result()
	require.NoError(t, err)
	assert.Zero(t, n, "another test's database is empty")
	require.NoError(t, c2.Set(ctx, "k", "two", 0).Err())
	v, err := c1.Get(ctx, "k").Result()
	require.NoError(t, err)
	assert.Equal(t, "one", v)
	assert.NotEqual(t, c1.Options().DB, c2.Options().DB)
	assert.NotZero(t, c1.Options().DB, "database 0 is not handed out")
}

func TestDatabaseFlushedOnCleanup(t *testing.T) {
	var db int
	t.Run("use", func(t *testing.T) {
		c := NewClient(t)
		db = c.Options().DB
		require.NoError(t, c.Set(t.Context(), "left", "behind", 0).Err())
	})
	if db == 0 {
		t.Skip("no database was handed out") // the subtest has reported why
	}
	c := redis.NewClient(endpoint{socket: shared.socket, db: db}.options())
	defer c.Close()
	n, err := c.DBSize(t.Context()).Result()
	require.NoError(t, err)
	assert.Zero(t, n, "database %d was flushed", db)
}

func TestNewURL(t *testing.T) {
	u := NewURL(t)
	opts, err := redis.ParseURL(u)
	require.NoError(t, err)
	assert.Equal(t, "unix", opts.Network)
	assert.NotZero(t, opts.DB)
	c := redis.NewClient(opts)
	defer c.Close()
	require.NoError(t, c.Ping(t.Context()).Err())
}

func TestServerStopStartPause(t *testing.T) {
	s := NewServer(t)
	c := s.NewClient(t)
	ctx := t.Context()
	require.NoError(t, c.Set(ctx, "k", "v", 0).Err())

	s.Stop(t)
	_, err := os.Stat(s.Socket())
	if err == nil { // a killed server leaves its socket file
		short, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = c.Ping(short).Err()
		cancel()
		require.Error(t, err, "a stopped server does not answer")
	}

	s.Start(t)
	require.Eventually(t, func() bool { return c.Ping(ctx).Err() == nil }, time.Minute, 10*time.Millisecond,
		"the same client reaches the restarted server")
	n, err := c.Exists(ctx, "k").Result()
	require.NoError(t, err)
	assert.Zero(t, n, "a restarted server starts empty (nothing saved)")

	s.Pause(t)
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	err = c.Ping(short).Err()
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded, "a paused server does not answer")
	s.Resume(t)
	require.Eventually(t, func() bool { return c.Ping(ctx).Err() == nil }, time.Minute, 10*time.Millisecond)

	opts, err := redis.ParseURL(s.URL())
	require.NoError(t, err)
	assert.Equal(t, s.Socket(), opts.Addr)
}

// A server paused at the end of a test is still removed.
func TestPausedServerRemoved(t *testing.T) {
	var dir string
	t.Run("pause", func(t *testing.T) {
		s := NewServer(t)
		dir = s.dir
		s.Pause(t)
	})
	if dir == "" {
		t.Skip("no server was started")
	}
	_, err := os.Stat(dir)
	assert.True(t, os.IsNotExist(err), "the server directory is removed")
}
