// Package argon2id is a hardened betterauth.PasswordHasher: new passwords
// are hashed with argon2id (OWASP's minimum parameters by default, in the
// PHC string format), while Better Auth's scrypt hashes still verify and are
// reported as outdated (betterauth.Rehasher), so that the library replaces
// each of them with an argon2id hash at the user's next sign-in.
//
// It gives up interoperability: a Better Auth (TypeScript) server sharing
// the database cannot verify argon2id hashes. Use it only when this library
// is the only one checking passwords:
//
//	store, err := memstore.New(schema.Schema{}) // pgstore.New(pool, schema.Schema{}) in production
//	if err != nil {
//		log.Fatal(err)
//	}
//	hasher, err := argon2id.New(argon2id.Params{}, 0) // OWASP's parameters; 0: at most max(2, GOMAXPROCS) at once
//	if err != nil {
//		log.Fatal(err)
//	}
//	auth, err := betterauth.New(betterauth.Config{Store: store, BaseURL: "https://app.example.com", PasswordHasher: hasher})
//	if err != nil {
//		log.Fatal(err)
//	}
//	http.Handle("/api/auth/", auth.Handler())
//
// See Hasher for the format, the limits on stored hashes, and the pool of
// slots that bounds the memory in use.
package argon2id
