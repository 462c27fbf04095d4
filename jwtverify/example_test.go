package jwtverify_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/go-betterauth/betterauth/jwtverify"
)

// A token that Better Auth 1.7.25 issued from GET /api/auth/token (jwt
// plugin, default EdDSA key, base URL http://localhost:3000), and the key
// set its GET /api/auth/jwks answered (testdata/better-auth-jwt.json).
const (
	betterAuthToken = "eyJhbGciOiJFZERTQSIsImtpZCI6IkphWUpyN0ZPb3NpZmpMSk03eldSMFZZNWFjZnVtZDg4In0." +
		"eyJpYXQiOjE3OTYxMTI2NjYsIm5hbWUiOiJHb2xkZW4gRWREU0EiLCJlbWFpbCI6ImdvbGRlbi1lZGRzYUBleGFtcGxlLmNvbSIsImVtYWlsVmVyaWZpZWQiOmZhbHNlLCJpbWFnZSI6bnVsbCwiY3JlYXRlZEF0IjoiMjAyNi0xMi0wMVQwODoxMTowNi4wODBaIiwidXBkYXRlZEF0IjoiMjAyNi0xMi0wMVQwODoxMTowNi4wODBaIiwiaWQiOiJ3OXVxZWhLeVlNZFdnNk5ZWURXYm5wM2MyVDNmVGZENCIsInN1YiI6Inc5dXFlaEt5WU1kV2c2TllZRFdibnAzYzJUM2ZUZkQ0IiwiZXhwIjoxNzk2MTEzNTY2LCJpc3MiOiJodHRwOi8vbG9jYWxob3N0OjMwMDAiLCJhdWQiOiJodHRwOi8vbG9jYWxob3N0OjMwMDAifQ." +
		"e9J4IhSkO11jZGMgC7iF1T7fWAvo82G8loY-i5JDj7Tur0row2KnHEzEoenyT3AbOK8Lxoazuw1WHdsaduOYCw"
	betterAuthJWKS = `{"keys":[{"alg":"EdDSA","crv":"Ed25519","x":"seHZ6WKCBzpjG-75MkxvatSRBpotGYpCYkgAm2vvUMU","kty":"OKP","kid":"JaYJr7FOosifjLJM7zWR0VY5acfumd88"}]}`
)

// issuedAt is when Better Auth issued betterAuthToken: the examples' clock.
func issuedAt() time.Time { return time.Unix(1796112666, 0) }

// A service that accepts the users of the Better Auth server at
// BETTER_AUTH_URL: every route under /api/ needs a token, /health does not.
func Example() {
	authURL := os.Getenv("BETTER_AUTH_URL") // e.g. http://localhost:3000
	v, err := jwtverify.New(jwtverify.Config{
		JWKSURL: authURL + "/api/auth/jwks",
		Issuer:  authURL,
	})
	if err != nil {
		log.Fatal(err)
	}
	api := http.NewServeMux()
	api.HandleFunc("GET /api/me", func(w http.ResponseWriter, r *http.Request) {
		claims, _ := jwtverify.ClaimsFromContext(r.Context())
		fmt.Fprintf(w, "hello %s\n", claims.Subject)
	})
	mux := http.NewServeMux()
	mux.Handle("/api/", v.Require(api))
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {})
	_ = http.ListenAndServe(":8081", mux)
}

// Verifying a token with a fixed key set (tests, offline tools).
func ExampleNewFromJWKS() {
	v, err := jwtverify.NewFromJWKS([]byte(betterAuthJWKS), jwtverify.Config{
		Issuer: "http://localhost:3000",
		Now:    issuedAt, // a fixed clock, so that this example keeps working
	})
	if err != nil {
		log.Fatal(err)
	}
	claims, err := v.Verify(context.Background(), betterAuthToken)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("sub:", claims.Subject)
	fmt.Println("iss:", claims.Issuer, "aud:", claims.Audience)
	fmt.Println("valid for:", claims.ExpiresAt.Sub(claims.IssuedAt))

	// The same token a day later.
	late, _ := jwtverify.NewFromJWKS([]byte(betterAuthJWKS), jwtverify.Config{
		Issuer: "http://localhost:3000",
		Now:    func() time.Time { return issuedAt().Add(24 * time.Hour) },
	})
	_, err = late.Verify(context.Background(), betterAuthToken)
	fmt.Println(errors.Is(err, jwtverify.ErrExpired), err)
	// Output:
	// sub: w9uqehKyYMdWg6NYYDWbnp3c2T3fTfD4
	// iss: http://localhost:3000 aud: [http://localhost:3000]
	// valid for: 15m0s
	// true jwtverify: token expired
}

// Reading the user object Better Auth puts in its tokens.
func ExampleClaims_Decode() {
	v, _ := jwtverify.NewFromJWKS([]byte(betterAuthJWKS), jwtverify.Config{Issuer: "http://localhost:3000", Now: issuedAt})
	claims, err := v.Verify(context.Background(), betterAuthToken)
	if err != nil {
		log.Fatal(err)
	}
	var user jwtverify.User
	if err := claims.Decode(&user); err != nil {
		log.Fatal(err)
	}
	fmt.Println(user.Name, user.Email, user.EmailVerified, user.CreatedAt.Format(time.DateOnly))

	// Additional user fields (or a payload of your own, jwt.definePayload):
	// a struct of your own, or a map.
	var all map[string]any
	_ = claims.Decode(&all)
	fmt.Println(len(all), "claims; image:", all["image"])
	// Output:
	// Golden EdDSA golden-eddsa@example.com false 2026-12-01
	// 12 claims; image: <nil>
}

// Require answers 401 (JSON body, WWW-Authenticate) unless the request has a
// valid token; the handler reads the claims from the context.
func ExampleVerifier_Require() {
	v, _ := jwtverify.NewFromJWKS([]byte(betterAuthJWKS), jwtverify.Config{Issuer: "http://localhost:3000", Now: issuedAt})
	me := v.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := jwtverify.ClaimsFromContext(r.Context())
		fmt.Fprintf(w, "you are %s", claims.Subject)
	}))

	for _, auth := range []string{"Bearer " + betterAuthToken, "", "Bearer " + betterAuthToken[:40]} {
		r := httptest.NewRequest(http.MethodGet, "/api/me", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		me.ServeHTTP(w, r)
		line := fmt.Sprint(w.Code, " ", strings.TrimSpace(w.Body.String()), " ", w.Header().Get("WWW-Authenticate"))
		fmt.Println(strings.TrimSpace(line))
	}
	// Output:
	// 200 you are w9uqehKyYMdWg6NYYDWbnp3c2T3fTfD4
	// 401 {"message":"Missing bearer token","code":"UNAUTHORIZED"} Bearer
	// 401 {"message":"Invalid token","code":"INVALID_TOKEN"} Bearer error="invalid_token", error_description="Invalid token"
}

// Middleware lets anonymous requests through: one route for guests and
// users alike.
func ExampleVerifier_Middleware() {
	v, _ := jwtverify.NewFromJWKS([]byte(betterAuthJWKS), jwtverify.Config{Issuer: "http://localhost:3000", Now: issuedAt})
	hello := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var user jwtverify.User
		if claims, ok := jwtverify.ClaimsFromContext(r.Context()); ok && claims.Decode(&user) == nil {
			fmt.Fprintf(w, "hello, %s", user.Name)
			return
		}
		fmt.Fprint(w, "hello, guest")
	}))
	for _, auth := range []string{"bearer " + betterAuthToken, ""} {
		r := httptest.NewRequest(http.MethodGet, "/api/hello", nil)
		r.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		hello.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Body.String())
	}
	// Output:
	// 200 hello, Golden EdDSA
	// 200 hello, guest
}

func ExampleTokenFromHeader() {
	for _, h := range []string{"Bearer abc.def.ghi", "bearer abc.def.ghi", "Basic dXNlcjpwYXNz", ""} {
		token, ok := jwtverify.TokenFromHeader(h)
		fmt.Printf("%q %v\n", token, ok)
	}
	// Output:
	// "abc.def.ghi" true
	// "abc.def.ghi" true
	// "" false
	// "" false
}

// The types below stand for google.golang.org/grpc's (a real interceptor
// has the signature of grpc.UnaryServerInterceptor and reads
// metadata.FromIncomingContext); jwtverify needs no gRPC dependency, only its
// plain functions: TokenFromHeader, Verify and ContextWithClaims.
type (
	unaryHandler     func(ctx context.Context, req any) (any, error)
	unaryServerInfo  struct{ FullMethod string }
	incomingMetadata map[string][]string
	metadataKey      struct{}
)

// authInterceptor verifies the "authorization" metadata of every call and
// puts the claims in the context, mapping the errors to gRPC status codes.
func authInterceptor(v *jwtverify.Verifier) func(context.Context, any, *unaryServerInfo, unaryHandler) (any, error) {
	return func(ctx context.Context, req any, info *unaryServerInfo, handler unaryHandler) (any, error) {
		md, _ := ctx.Value(metadataKey{}).(incomingMetadata)
		var token string
		if values := md["authorization"]; len(values) > 0 {
			token, _ = jwtverify.TokenFromHeader(values[0])
		}
		claims, err := v.Verify(ctx, token)
		switch {
		case errors.Is(err, jwtverify.ErrJWKSUnavailable):
			return nil, fmt.Errorf("code = Unavailable: %s", info.FullMethod)
		case err != nil:
			return nil, fmt.Errorf("code = Unauthenticated: %s", info.FullMethod)
		}
		return handler(jwtverify.ContextWithClaims(ctx, claims), req)
	}
}

// A gRPC-style unary interceptor built from the plain functions.
func Example_grpcInterceptor() {
	v, _ := jwtverify.NewFromJWKS([]byte(betterAuthJWKS), jwtverify.Config{Issuer: "http://localhost:3000", Now: issuedAt})
	intercept := authInterceptor(v)
	getProfile := func(ctx context.Context, req any) (any, error) {
		claims, _ := jwtverify.ClaimsFromContext(ctx)
		return "profile of " + claims.Subject, nil
	}
	info := &unaryServerInfo{FullMethod: "/profile.v1.Profiles/Get"}

	for _, md := range []incomingMetadata{{"authorization": {"Bearer " + betterAuthToken}}, {}} {
		ctx := context.WithValue(context.Background(), metadataKey{}, md)
		resp, err := intercept(ctx, nil, info, getProfile)
		fmt.Println(resp, err)
	}
	// Output:
	// profile of w9uqehKyYMdWg6NYYDWbnp3c2T3fTfD4 <nil>
	// <nil> code = Unauthenticated: /profile.v1.Profiles/Get
}
