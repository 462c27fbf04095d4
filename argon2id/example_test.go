package argon2id_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/argon2id"
)

// A Hasher writes argon2id hashes, verifies them and Better Auth's scrypt
// ones, and calls the scrypt ones outdated.
func Example() {
	ctx := context.Background()
	hasher, err := argon2id.New(argon2id.Params{}, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	hash, err := hasher.Hash(ctx, "correct horse battery staple")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$"))
	ok, err := hasher.Verify(ctx, hash, "correct horse battery staple")
	fmt.Println(ok, err, hasher.NeedsRehash(hash))

	// A hash written by Better Auth (or by betterauth.ScryptHasher).
	old, err := betterauth.NewScryptHasher(0).Hash(ctx, "correct horse battery staple")
	if err != nil {
		fmt.Println(err)
		return
	}
	ok, err = hasher.Verify(ctx, old, "correct horse battery staple")
	fmt.Println(ok, err, hasher.NeedsRehash(old))
	// Output:
	// true
	// true <nil> false
	// true <nil> true
}

// New refuses parameters whose hashes Verify would refuse.
func ExampleNew() {
	h, err := argon2id.New(argon2id.Params{Memory: 64 * 1024, Threads: 4}, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%+v %d\n", h.Params(), h.MaxConcurrent())
	_, err = argon2id.New(argon2id.Params{Time: 17}, 0)
	fmt.Println(err)
	// Output:
	// {Memory:65536 Time:2 Threads:4 SaltLen:16 KeyLen:32} 2
	// argon2id: New: t=17 is outside 1..16
}
