package redis_test

import (
	"context"
	"errors"
	"log"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/go-betterauth/betterauth/secondary"
	secondaryredis "github.com/go-betterauth/betterauth/secondary/redis"
)

// A storage on the Redis that a Better Auth server with
// redisStorage({ client }) uses: the same keys, under "better-auth:".
func Example() {
	client := goredis.NewUniversalClient(&goredis.UniversalOptions{
		Addrs:                 []string{"localhost:6379"}, // several for a Cluster; MasterName for Sentinel
		ContextTimeoutEnabled: true,                       // let request deadlines bound each command
	})
	defer client.Close()
	st, err := secondaryredis.New(client, secondaryredis.Options{})
	if err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// Rate limiting as Better Auth does it: a fixed window opened by the first request.
	n, err := st.Increment(ctx, "203.0.113.7|/sign-in/email", 10*time.Second)
	switch {
	case errors.Is(err, secondary.ErrUnavailable):
		log.Print("Redis is unavailable: answer 503") // not "signed out", not "allowed"
	case err != nil:
		log.Print(err)
	case n > 3:
		log.Print("too many requests")
	}
}
