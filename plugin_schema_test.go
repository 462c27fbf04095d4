package betterauth_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/internal/pgtest"
	"github.com/go-betterauth/betterauth/migrations"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/memstore"
	"github.com/go-betterauth/betterauth/store/pgstore"
)

// fullPlugin is testPlugin (routes with their own rate-limit rule, Init, a
// before-sign-in challenge, an after-sign-in cookie, a get-session header,
// user and session hooks) plus a schema: a table of its own with a foreign
// key to user, a field on user, and a route that writes and reads its
// table. It is the plugin that uses every capability, in docs/plugins.md.
type fullPlugin struct{ testPlugin }

// Schema declares "testNote" (notes owned by a user, deleted with it) and
// a "plan" field on user that clients cannot set.
func (p *fullPlugin) Schema() schema.Extension {
	return schema.Extension{
		Tables: []schema.TableDef{{Model: "testNote", Fields: []schema.FieldDef{
			{Name: "userId", References: &schema.Reference{Model: schema.ModelUser}, AdditionalField: schema.AdditionalField{Index: true}},
			{Name: "text", AdditionalField: schema.AdditionalField{Type: schema.FieldString}},
			{Name: "createdAt", AdditionalField: schema.AdditionalField{Type: schema.FieldDate}, DefaultNow: true},
		}}},
		Fields: map[string][]schema.FieldDef{
			schema.ModelUser: {{Name: "plan", AdditionalField: schema.AdditionalField{Type: schema.FieldString, DefaultValue: "free", NoInput: true}}},
		},
	}
}

func (p *fullPlugin) Routes() []betterauth.Route {
	return append(p.testPlugin.Routes(), betterauth.Route{
		Method: http.MethodPost, Path: "/test/notes", Access: betterauth.AccessSession,
		Handle: func(w http.ResponseWriter, r *http.Request, in betterauth.RouteInput) error {
			ts, ok := p.auth.Store().(betterauth.TableStore)
			if !ok {
				return errors.New("the store holds no plugin tables")
			}
			text, _ := in.Body["text"].(string)
			if _, err := ts.Insert(r.Context(), "testNote", schema.Record{"userId": in.Session.User.ID, "text": text}); err != nil {
				return err
			}
			notes, err := ts.FindMany(r.Context(), "testNote", schema.Query{Where: []schema.Where{{Field: "userId", Value: in.Session.User.ID}}, OrderBy: "createdAt"})
			if err != nil {
				return err
			}
			var texts []string
			for _, n := range notes {
				texts = append(texts, n["text"].(string))
			}
			w.Header().Set("Content-Type", "text/plain")
			_, err = w.Write([]byte(strings.Join(texts, ",")))
			return err
		},
	})
}

// TestPluginWithEveryCapability runs the full plugin on memstore and on
// PostgreSQL, its table and field made by the migrations and passing check.
func TestPluginWithEveryCapability(t *testing.T) {
	ctx := context.Background()
	stores := map[string]func(t *testing.T, p betterauth.Plugin) (betterauth.Store, func() int){
		"memstore": func(t *testing.T, p betterauth.Plugin) (betterauth.Store, func() int) {
			st, err := memstore.New(schema.Schema{}, betterauth.PluginSchemas(p)...)
			require.NoError(t, err)
			return st, func() int {
				n, err := st.FindMany(ctx, "testNote", schema.Query{})
				require.NoError(t, err)
				return len(n)
			}
		},
		"pgstore": func(t *testing.T, p betterauth.Plugin) (betterauth.Store, func() int) {
			pool := pgtest.NewPool(t)
			rep, err := migrations.Apply(ctx, pool, schema.Schema{}, betterauth.PluginSchemas(p)...)
			require.NoError(t, err)
			assert.Contains(t, rep.String(), "testNote", "the migrations made the plugin's table")
			problems, err := migrations.Check(ctx, pool, schema.Schema{}, betterauth.PluginSchemas(p)...)
			require.NoError(t, err)
			assert.Empty(t, problems)
			st, err := pgstore.New(pool, schema.Schema{}, betterauth.PluginSchemas(p)...)
			require.NoError(t, err)
			return st, func() int {
				var n int
				require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM "testNote"`).Scan(&n))
				return n
			}
		},
	}
	for name, mk := range stores {
		t.Run(name, func(t *testing.T) {
			p := &fullPlugin{testPlugin{id: "full"}}
			st, notes := mk(t, p)
			a, _ := newAuth(t, st, func(c *betterauth.Config) {
				c.Plugins = []betterauth.Plugin{p}
				c.User.DeleteUser.Enabled = true
				c.RateLimit.Enabled = new(true)
			})
			c := newClient(t, a.Handler())
			up := c.do("POST", "/sign-up/email", map[string]any{"name": "Pia", "email": "pia@example.com", "password": "correct-horse-1", "plan": "pro"})
			require.Equal(t, 200, up.status, "%s", up.body)
			assert.Equal(t, "free", up.obj(t)["user"].(map[string]any)["plan"], "the plugin's field, with its default; clients cannot set it")
			assert.Equal(t, "1", c.cookies["test.after"], "the after-sign-in cookie")

			res := c.do("POST", "/test/notes", map[string]any{"text": "one"})
			require.Equal(t, 200, res.status, "%s", res.body)
			res = c.do("POST", "/test/notes", map[string]any{"text": "two"})
			assert.Equal(t, "one,two", string(res.body))

			res = c.do("GET", "/get-session", nil)
			assert.NotEmpty(t, res.header.Get("X-Test-User"), "the get-session header")
			assert.Equal(t, "free", res.obj(t)["user"].(map[string]any)["plan"])
			assert.Equal(t, 200, c.do("GET", "/test/hello", nil).status)
			assert.Equal(t, 200, c.do("GET", "/test/hello", nil).status)
			assert.Equal(t, http.StatusTooManyRequests, c.do("GET", "/test/hello", nil).status, "the route's own rate-limit rule")

			twoFA := newClient(t, a.Handler())
			twoFA.signUp("Two", "2fa@example.com", "correct-horse-1")
			twoFA.cookies = map[string]string{}
			res = twoFA.do("POST", "/sign-in/email", map[string]any{"email": "2fa@example.com", "password": "correct-horse-1"})
			assert.Equal(t, `{"twoFactorRedirect":true}`, string(res.body), "the challenge answers instead of a session")
			assert.NotContains(t, twoFA.cookies, "better-auth.session_token")

			require.Equal(t, 2, notes())
			require.Equal(t, 200, c.do("POST", "/delete-user", map[string]any{"password": "correct-horse-1"}).status)
			assert.Equal(t, 0, notes(), "the user's notes went with the user")
		})
	}
}

// New resolves Config.Schema with the plugins' schemas, and refuses a
// plugin whose tables or fields the store was not built with, and a store
// that cannot hold plugin tables at all.
func TestNewChecksPluginSchemas(t *testing.T) {
	p := &fullPlugin{testPlugin{id: "full"}}
	plural := schema.Schema{UsePlural: true}
	st, err := memstore.New(plural, betterauth.PluginSchemas(p)...)
	require.NoError(t, err)
	a, err := betterauth.New(betterauth.Config{Store: st, Schema: plural, Secret: testSecret, BaseURL: testOrigin, Plugins: []betterauth.Plugin{p}})
	require.NoError(t, err, "a Config.Schema given with the plugins is the store's")
	tbl, err := a.Layout().ExtensionTable("testNote")
	require.NoError(t, err)
	assert.Equal(t, "testNotes", tbl.Name)

	_, err = betterauth.New(betterauth.Config{Store: backends[0].new(t, schema.Schema{}), Secret: testSecret, BaseURL: testOrigin,
		Plugins: []betterauth.Plugin{p}})
	require.ErrorIs(t, err, schema.ErrInvalidSchema)
	assert.Contains(t, err.Error(), `"testNote"`)
	assert.Contains(t, err.Error(), "PluginSchemas")

	st, err = memstore.New(schema.Schema{}, schema.Extension{Tables: p.Schema().Tables})
	require.NoError(t, err)
	_, err = betterauth.New(betterauth.Config{Store: st, Secret: testSecret, BaseURL: testOrigin, Plugins: []betterauth.Plugin{p}})
	require.ErrorIs(t, err, schema.ErrInvalidSchema, "the field on user is missing")
	assert.Contains(t, err.Error(), "user.plan")

	_, err = betterauth.New(betterauth.Config{Store: noTables{backends[0].new(t, schema.Schema{})}, Secret: testSecret, BaseURL: testOrigin,
		Plugins: []betterauth.Plugin{p}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot hold them")
}

// noTables hides every capability but Store.
type noTables struct{ betterauth.Store }
