package betterauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// jwtHeader is what Better Auth's signJWT writes: {"alg":"HS256"}, no typ.
var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256"}`))

var (
	errTokenInvalid = errors.New("invalid token")
	errJWTExpired   = errors.New("token expired")
)

// signJWT makes an HS256 JWT keyed with the secret's UTF-8 bytes, with the
// claims in order followed by iat and exp (seconds), byte for byte as Better
// Auth's signJWT (jose) writes it.
func signJWT(secret string, claims object, now time.Time, ttl time.Duration) (string, error) {
	iat := now.Unix()
	payload, err := append(claims, kv{"iat", iat}, kv{"exp", iat + int64(ttl/time.Second)}).MarshalJSON()
	if err != nil {
		return "", err
	}
	signing := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)), nil
}

// verifyJWT checks an HS256 JWT (the algorithm is fixed: any other header is
// refused) and its exp, and returns its claims. Errors are errTokenInvalid
// or errJWTExpired.
func verifyJWT(secret, token string, now time.Time) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errTokenInvalid
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, errTokenInvalid
	}
	var hdr map[string]any
	if json.Unmarshal(hb, &hdr) != nil || hdr["alg"] != "HS256" {
		return nil, errTokenInvalid
	}
	if crit, ok := hdr["crit"]; ok && crit != nil {
		return nil, errTokenInvalid
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, errTokenInvalid
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return nil, errTokenInvalid
	}
	pb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, errTokenInvalid
	}
	var claims map[string]any
	if json.Unmarshal(pb, &claims) != nil {
		return nil, errTokenInvalid
	}
	if exp, ok := claims["exp"].(float64); ok {
		if float64(now.Unix()) >= exp {
			return nil, errJWTExpired
		}
	} else if _, present := claims["exp"]; present {
		return nil, errTokenInvalid
	}
	return claims, nil
}
