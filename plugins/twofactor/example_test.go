package twofactor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/plugins/twofactor"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/memstore"
)

// The plugin in an app: build the store (and, on PostgreSQL, run the
// migrations) with the plugins' schemas, so that the twoFactor table and
// user.twoFactorEnabled exist; list the plugin in Config.Plugins; give
// SendOTP to offer one-time codes by mail or SMS. Then a user enrols
// (enable, then a first code from the authenticator app), and the next
// password sign-in answers a challenge instead of a session, which
// verify-totp completes.
func ExampleNew() {
	plugins := []betterauth.Plugin{twofactor.New(twofactor.Options{
		Issuer: "Example App", // the name authenticator apps show
		SendOTP: func(ctx context.Context, u *betterauth.User, code string) error {
			// Send code to u.Email (or by SMS) here.
			return nil
		},
	})}
	store, err := memstore.New(schema.Schema{}, betterauth.PluginSchemas(plugins...)...)
	if err != nil {
		log.Fatal(err)
	}
	auth, err := betterauth.New(betterauth.Config{
		Store: store, BaseURL: "http://localhost:8080", Secret: "a-long-random-secret-from-your-vault",
		Plugins: plugins,
	})
	if err != nil {
		log.Fatal(err)
	}
	client := &exampleClient{h: auth.Handler(), cookies: map[string]string{}}

	client.post("/sign-up/email", `{"name":"Ada","email":"ada@example.com","password":"correct-horse-battery"}`)
	var enrol struct {
		TOTPURI     string   `json:"totpURI"`
		BackupCodes []string `json:"backupCodes"`
	}
	client.decode(client.post("/two-factor/enable", `{"password":"correct-horse-battery"}`), &enrol)
	fmt.Println(strings.SplitN(enrol.TOTPURI, "?", 2)[0], len(enrol.BackupCodes), "backup codes")

	// The user scans the URI (as a QR code) and types the app's first code.
	code := func() string {
		key, err := otp.NewKeyFromURL(enrol.TOTPURI)
		if err != nil {
			log.Fatal(err)
		}
		c, err := totp.GenerateCode(key.Secret(), time.Now())
		if err != nil {
			log.Fatal(err)
		}
		return c
	}
	rec := client.post("/two-factor/verify-totp", `{"code":"`+code()+`"}`)
	fmt.Println("verify-totp:", rec.Code)

	client.post("/sign-out", `{}`)
	rec = client.post("/sign-in/email", `{"email":"ada@example.com","password":"correct-horse-battery"}`)
	fmt.Println("sign-in:", strings.TrimSpace(rec.Body.String()))
	rec = client.post("/two-factor/verify-totp", `{"code":"`+code()+`","trustDevice":true}`)
	var done struct {
		User struct {
			Email            string `json:"email"`
			TwoFactorEnabled bool   `json:"twoFactorEnabled"`
		} `json:"user"`
	}
	client.decode(rec, &done)
	fmt.Println("verify-totp:", rec.Code, done.User.Email, done.User.TwoFactorEnabled)
	// Output:
	// otpauth://totp/Example%20App:ada%40example.com 10 backup codes
	// verify-totp: 200
	// sign-in: {"twoFactorRedirect":true,"twoFactorMethods":["totp","otp"]}
	// verify-totp: 200 ada@example.com true
}

// exampleClient keeps cookies across requests to h, as a browser would.
type exampleClient struct {
	h       http.Handler
	cookies map[string]string
}

func (b *exampleClient) post(path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "http://localhost:8080/api/auth"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "http://localhost:8080")
	for name, value := range b.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	rec := httptest.NewRecorder()
	b.h.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return rec
}

func (b *exampleClient) decode(rec *httptest.ResponseRecorder, v any) {
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		log.Fatal(err)
	}
}
