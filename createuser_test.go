package betterauth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
)

// CreateUser writes the user and its accounts in one transaction through
// the user hooks: the email lower-cased, the accounts bound to the user; a
// refusing hook or a taken email leaves nothing behind.
func TestCreateUser(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		st := b.new(t, schema.Schema{})
		var before, after int
		refuse := errors.New("refused")
		a, clock := newAuth(t, st, func(c *betterauth.Config) {
			c.Hooks.BeforeCreateUser = func(_ context.Context, _ betterauth.Store, u *betterauth.User) error {
				before++
				if u.Name == "refuse-before" {
					return refuse
				}
				return nil
			}
			c.Hooks.AfterCreateUser = func(_ context.Context, _ betterauth.Store, u *betterauth.User) error {
				after++
				if u.Name == "refuse-after" {
					return refuse
				}
				return nil
			}
		})
		u := &betterauth.User{Name: "Ada", Email: "Ada@Example.com", EmailVerified: true}
		acct := &betterauth.Account{ProviderID: "oidc", AccountID: "sub-1", AccessToken: "at"}
		require.NoError(t, a.CreateUser(ctx, u, acct))
		require.Equal(t, 1, before)
		require.Equal(t, 1, after)
		got, err := st.GetUserByEmail(ctx, "ada@example.com")
		require.NoError(t, err)
		require.Equal(t, "ada@example.com", got.Email)
		require.True(t, got.EmailVerified)
		require.Equal(t, clock.Now(), got.CreatedAt)
		ga, err := st.GetAccount(ctx, "oidc", "sub-1")
		require.NoError(t, err)
		require.Equal(t, u.ID, ga.UserID)
		require.Equal(t, "at", ga.AccessToken)

		err = a.CreateUser(ctx, &betterauth.User{Name: "x", Email: "ADA@example.com"})
		require.ErrorIs(t, err, betterauth.ErrConflict)
		require.NotErrorIs(t, err, betterauth.ErrUnavailable)

		for _, name := range []string{"refuse-before", "refuse-after"} {
			err = a.CreateUser(ctx, &betterauth.User{Name: name, Email: name + "@example.com"},
				&betterauth.Account{ProviderID: "oidc", AccountID: name})
			require.ErrorIs(t, err, refuse)
			_, err = st.GetUserByEmail(ctx, name+"@example.com")
			require.ErrorIs(t, err, betterauth.ErrNotFound, "a refused user is rolled back")
			_, err = st.GetAccount(ctx, "oidc", name)
			require.ErrorIs(t, err, betterauth.ErrNotFound)
		}
		require.ErrorIs(t, a.CreateUser(ctx, &betterauth.User{Email: "not an email"}), betterauth.ErrInvalidEmail)
		require.Equal(t, testOrigin+"/api/auth/callback/oidc", a.URL("/callback/oidc"))
	})
}
