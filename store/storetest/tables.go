package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/schema"
)

// Extension is the schema extension RunTables expects the stores to be built
// with (and their database to be migrated with): a field on user and four
// tables that use every field type and every ON DELETE action. testTag is
// declared first but references testNote, so it must be created after it.
func Extension() schema.Extension {
	toUser := func(on schema.OnDelete) *schema.Reference {
		return &schema.Reference{Model: schema.ModelUser, OnDelete: on}
	}
	f := func(name string, af schema.AdditionalField) schema.FieldDef {
		return schema.FieldDef{Name: name, AdditionalField: af}
	}
	return schema.Extension{
		Fields: map[string][]schema.FieldDef{
			schema.ModelUser: {f("testLevel", schema.AdditionalField{Type: schema.FieldNumber, DefaultValue: 1})},
		},
		Tables: []schema.TableDef{
			{Model: "testTag", Fields: []schema.FieldDef{
				{Name: "noteSlug", References: &schema.Reference{Model: "testNote", Field: "slug"}, AdditionalField: schema.AdditionalField{Index: true}},
				f("label", schema.AdditionalField{Type: schema.FieldString}),
			}},
			{Model: "testNote", Fields: []schema.FieldDef{
				{Name: "userId", References: toUser(""), AdditionalField: schema.AdditionalField{Index: true}},
				f("slug", schema.AdditionalField{Type: schema.FieldString, Unique: true}),
				f("dueAt", schema.AdditionalField{Type: schema.FieldDate, Optional: true}),
				f("meta", schema.AdditionalField{Type: schema.FieldJSON, Optional: true}),
				f("counter", schema.AdditionalField{Type: schema.FieldNumber, BigInt: true, DefaultValue: 0}),
				f("done", schema.AdditionalField{Type: schema.FieldBoolean, DefaultValue: false}),
				{Name: "createdAt", DefaultNow: true, AdditionalField: schema.AdditionalField{Type: schema.FieldDate}},
			}},
			{Model: "testAudit", Fields: []schema.FieldDef{
				{Name: "userId", References: toUser(schema.OnDeleteSetNull), AdditionalField: schema.AdditionalField{Optional: true}},
				f("action", schema.AdditionalField{Type: schema.FieldString}),
			}},
			{Model: "testLock", Fields: []schema.FieldDef{
				{Name: "userId", References: toUser(schema.OnDeleteRestrict)},
			}},
		},
	}
}

// RunTables runs the conformance cases of betterauth.TableStore against
// stores made by newStore for schema and Extension().
func RunTables(t *testing.T, sch schema.Schema, newStore func(t *testing.T) betterauth.Store) {
	layout, err := sch.Layout(Extension())
	require.NoError(t, err)
	s := &suite{layout: layout, newStore: newStore}
	for _, c := range []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"TableCRUD", s.tableCRUD},
		{"TableErrors", s.tableErrors},
		{"TableCascadeFromUser", s.tableCascade},
		{"TableDeleteFollowsReferences", s.tableDeleteRefs},
		{"TableInTx", s.tableInTx},
	} {
		t.Run(c.name, c.fn)
	}
}

func tables(t *testing.T, st betterauth.Store) betterauth.TableStore {
	t.Helper()
	ts, ok := st.(betterauth.TableStore)
	require.True(t, ok, "the store implements betterauth.TableStore")
	return ts
}

func (s *suite) note(t *testing.T, ts betterauth.TableStore, userID string) schema.Record {
	t.Helper()
	r, err := ts.Insert(context.Background(), "testNote", schema.Record{"userId": userID, "slug": "s-" + rnd(t)})
	require.NoError(t, err)
	return r
}

func (s *suite) tableCRUD(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	ts := tables(t, st)
	u := s.newUser(t, st)
	gu, err := st.GetUserByID(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(42), gu.Additional["testLevel"], "a field an extension adds to user travels in Additional")

	before := time.Now().Add(-time.Minute)
	slug := "s-" + rnd(t)
	due := base.Add(48 * time.Hour)
	r, err := ts.Insert(ctx, "testNote", schema.Record{
		"userId": u.ID, "slug": slug, "dueAt": due.In(time.FixedZone("X", 3600)),
		"meta": map[string]any{"k": []any{1.0, "v"}}, "counter": int64(5000000000),
	})
	require.NoError(t, err)
	s.assertID(t, r["id"].(string))
	assert.Equal(t, false, r["done"], "defaults fill what is left out")
	assert.Equal(t, due, r["dueAt"], "dates come back in UTC")
	created, ok := r["createdAt"].(time.Time)
	require.True(t, ok)
	assert.True(t, created.After(before), "DefaultNow is now")
	assert.Equal(t, int64(5000000000), r["counter"])

	got, err := ts.FindOne(ctx, "testNote", schema.Where{Field: "id", Value: r["id"]})
	require.NoError(t, err)
	assert.Equal(t, r, got)

	r2, err := ts.Insert(ctx, "testNote", schema.Record{"userId": u.ID, "slug": "s-" + rnd(t), "counter": 7, "done": true})
	require.NoError(t, err)
	assert.Nil(t, r2["meta"])
	assert.Nil(t, r2["dueAt"])

	all, err := ts.FindMany(ctx, "testNote", schema.Query{Where: []schema.Where{{Field: "userId", Value: u.ID}}, OrderBy: "counter"})
	require.NoError(t, err)
	require.Len(t, all, 2)
	assert.Equal(t, r2["id"], all[0]["id"], "ordered by counter")
	all, err = ts.FindMany(ctx, "testNote", schema.Query{Where: []schema.Where{{Field: "userId", Value: u.ID}}, OrderBy: "counter", Desc: true, Limit: 1})
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.Equal(t, r["id"], all[0]["id"], "descending, limited")
	none, err := ts.FindMany(ctx, "testNote", schema.Query{Where: []schema.Where{{Field: "slug", Value: "nope-" + rnd(t)}}})
	require.NoError(t, err)
	assert.NotNil(t, none)
	assert.Empty(t, none)
	nulls, err := ts.FindMany(ctx, "testNote", schema.Query{Where: []schema.Where{{Field: "userId", Value: u.ID}, {Field: "meta", Value: nil}}})
	require.NoError(t, err)
	require.Len(t, nulls, 1, "a nil value matches NULL")
	assert.Equal(t, r2["id"], nulls[0]["id"])
	byBool, err := ts.FindMany(ctx, "testNote", schema.Query{Where: []schema.Where{{Field: "userId", Value: u.ID}, {Field: "done", Value: true}}})
	require.NoError(t, err)
	require.Len(t, byBool, 1)

	n, err := ts.Update(ctx, "testNote", schema.Record{"done": true, "meta": nil, "dueAt": base}, schema.Where{Field: "userId", Value: u.ID})
	require.NoError(t, err)
	assert.Equal(t, int64(2), n)
	got, err = ts.FindOne(ctx, "testNote", schema.Where{Field: "id", Value: r["id"]})
	require.NoError(t, err)
	assert.Equal(t, true, got["done"])
	assert.Nil(t, got["meta"])
	assert.Equal(t, base, got["dueAt"])
	assert.Equal(t, slug, got["slug"], "fields not set stay")
	n, err = ts.Update(ctx, "testNote", schema.Record{"done": false}, schema.Where{Field: "slug", Value: "nope-" + rnd(t)})
	require.NoError(t, err)
	assert.Zero(t, n)

	n, err = ts.Delete(ctx, "testNote", schema.Where{Field: "id", Value: r["id"]})
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
	_, err = ts.FindOne(ctx, "testNote", schema.Where{Field: "id", Value: r["id"]})
	assert.ErrorIs(t, err, betterauth.ErrNotFound)
	n, err = ts.Delete(ctx, "testNote", schema.Where{Field: "id", Value: r["id"]})
	require.NoError(t, err)
	assert.Zero(t, n)
}

func (s *suite) tableErrors(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	ts := tables(t, st)
	u := s.newUser(t, st)
	r := s.note(t, ts, u.ID)

	rec, err := ts.FindOne(ctx, "testNote", schema.Where{Field: "slug", Value: "nope-" + rnd(t)})
	assert.ErrorIs(t, err, betterauth.ErrNotFound, "never nil, nil")
	assert.Nil(t, rec)
	_, err = ts.Insert(ctx, "testNote", schema.Record{"userId": u.ID, "slug": r["slug"]})
	assert.ErrorIs(t, err, betterauth.ErrConflict, "unique field")
	_, err = ts.Insert(ctx, "testNote", schema.Record{"id": r["id"], "userId": u.ID, "slug": "s-" + rnd(t)})
	assert.ErrorIs(t, err, betterauth.ErrConflict, "taken id")
	other := s.note(t, ts, u.ID)
	_, err = ts.Update(ctx, "testNote", schema.Record{"slug": r["slug"]}, schema.Where{Field: "id", Value: other["id"]})
	assert.ErrorIs(t, err, betterauth.ErrConflict, "unique field on update")
	_, err = ts.Update(ctx, "testNote", schema.Record{"slug": "same-" + rnd(t)}, schema.Where{Field: "userId", Value: u.ID})
	assert.ErrorIs(t, err, betterauth.ErrConflict, "two rows given one unique value")
	_, err = ts.Insert(ctx, "testNote", schema.Record{"userId": s.missingID(t), "slug": "s-" + rnd(t)})
	assert.ErrorIs(t, err, betterauth.ErrNotFound, "reference to no user")
	_, err = ts.Insert(ctx, "testTag", schema.Record{"noteSlug": "nope-" + rnd(t), "label": "x"})
	assert.ErrorIs(t, err, betterauth.ErrNotFound, "reference to no note")
	_, err = ts.Update(ctx, "testNote", schema.Record{"userId": s.missingID(t)}, schema.Where{Field: "id", Value: r["id"]})
	assert.ErrorIs(t, err, betterauth.ErrNotFound, "reference to no user on update")

	for name, fn := range map[string]func() error{
		"unknown field": func() error {
			_, err := ts.Insert(ctx, "testNote", schema.Record{"userId": u.ID, "slug": "s-" + rnd(t), "nope": 1})
			return err
		},
		"wrong type": func() error {
			_, err := ts.Insert(ctx, "testNote", schema.Record{"userId": u.ID, "slug": 5})
			return err
		},
		"missing required": func() error { _, err := ts.Insert(ctx, "testNote", schema.Record{"userId": u.ID}); return err },
		"null required": func() error {
			_, err := ts.Insert(ctx, "testNote", schema.Record{"userId": u.ID, "slug": nil})
			return err
		},
		"unknown where field": func() error {
			_, err := ts.FindOne(ctx, "testNote", schema.Where{Field: "nope", Value: 1})
			return err
		},
		"wrong where type": func() error {
			_, err := ts.FindMany(ctx, "testNote", schema.Query{Where: []schema.Where{{Field: "done", Value: "yes"}}})
			return err
		},
		"order by json": func() error { _, err := ts.FindMany(ctx, "testNote", schema.Query{OrderBy: "meta"}); return err },
		"update without where": func() error {
			_, err := ts.Update(ctx, "testNote", schema.Record{"done": true})
			return err
		},
		"update nothing": func() error {
			_, err := ts.Update(ctx, "testNote", schema.Record{}, schema.Where{Field: "id", Value: r["id"]})
			return err
		},
		"update id": func() error {
			_, err := ts.Update(ctx, "testNote", schema.Record{"id": "x"}, schema.Where{Field: "id", Value: r["id"]})
			return err
		},
		"delete without where": func() error { _, err := ts.Delete(ctx, "testNote"); return err },
	} {
		assert.ErrorIs(t, fn(), schema.ErrInvalidField, name)
	}
	_, err = ts.FindOne(ctx, "nope", schema.Where{Field: "id", Value: "x"})
	assert.ErrorIs(t, err, schema.ErrInvalidSchema, "unknown model")
	_, err = ts.FindOne(ctx, schema.ModelUser, schema.Where{Field: "id", Value: u.ID})
	assert.ErrorIs(t, err, schema.ErrInvalidSchema, "core tables are not reachable through TableStore")

	all, err := ts.FindMany(ctx, "testNote", schema.Query{Where: []schema.Where{{Field: "userId", Value: u.ID}}})
	require.NoError(t, err)
	assert.Len(t, all, 2, "failed writes changed nothing")
	got, err := ts.FindOne(ctx, "testNote", schema.Where{Field: "id", Value: r["id"]})
	require.NoError(t, err)
	assert.Equal(t, r, got, "failed updates changed nothing")
	got, err = ts.FindOne(ctx, "testNote", schema.Where{Field: "id", Value: other["id"]})
	require.NoError(t, err)
	assert.Equal(t, other, got, "failed updates changed nothing")
}

func (s *suite) tableCascade(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	ts := tables(t, st)
	u, keep := s.newUser(t, st), s.newUser(t, st)
	n := s.note(t, ts, u.ID)
	keepNote := s.note(t, ts, keep.ID)
	tag, err := ts.Insert(ctx, "testTag", schema.Record{"noteSlug": n["slug"], "label": "a"})
	require.NoError(t, err)
	audit, err := ts.Insert(ctx, "testAudit", schema.Record{"userId": u.ID, "action": "x"})
	require.NoError(t, err)
	lock, err := ts.Insert(ctx, "testLock", schema.Record{"userId": u.ID})
	require.NoError(t, err)

	err = st.DeleteUser(ctx, u.ID)
	assert.ErrorIs(t, err, betterauth.ErrConflict, "a restricting reference keeps the user")
	_, err = st.GetUserByID(ctx, u.ID)
	require.NoError(t, err)
	_, err = ts.FindOne(ctx, "testNote", schema.Where{Field: "id", Value: n["id"]})
	require.NoError(t, err, "nothing was deleted")

	_, err = ts.Delete(ctx, "testLock", schema.Where{Field: "id", Value: lock["id"]})
	require.NoError(t, err)
	require.NoError(t, st.DeleteUser(ctx, u.ID))
	_, err = ts.FindOne(ctx, "testNote", schema.Where{Field: "id", Value: n["id"]})
	assert.ErrorIs(t, err, betterauth.ErrNotFound, "rows referencing the user go with it")
	_, err = ts.FindOne(ctx, "testTag", schema.Where{Field: "id", Value: tag["id"]})
	assert.ErrorIs(t, err, betterauth.ErrNotFound, "and rows referencing those")
	got, err := ts.FindOne(ctx, "testAudit", schema.Where{Field: "id", Value: audit["id"]})
	require.NoError(t, err, "set null keeps the row")
	assert.Nil(t, got["userId"])
	_, err = ts.FindOne(ctx, "testNote", schema.Where{Field: "id", Value: keepNote["id"]})
	assert.NoError(t, err, "other users keep theirs")
}

func (s *suite) tableDeleteRefs(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	ts := tables(t, st)
	u := s.newUser(t, st)
	n, keep := s.note(t, ts, u.ID), s.note(t, ts, u.ID)
	tag, err := ts.Insert(ctx, "testTag", schema.Record{"noteSlug": n["slug"], "label": "a"})
	require.NoError(t, err)
	keepTag, err := ts.Insert(ctx, "testTag", schema.Record{"noteSlug": keep["slug"], "label": "b"})
	require.NoError(t, err)
	c, err := ts.Delete(ctx, "testNote", schema.Where{Field: "slug", Value: n["slug"]})
	require.NoError(t, err)
	assert.Equal(t, int64(1), c)
	_, err = ts.FindOne(ctx, "testTag", schema.Where{Field: "id", Value: tag["id"]})
	assert.ErrorIs(t, err, betterauth.ErrNotFound, "deleting a row cascades to rows referencing it")
	_, err = ts.FindOne(ctx, "testTag", schema.Where{Field: "id", Value: keepTag["id"]})
	assert.NoError(t, err)
	lock, err := ts.Insert(ctx, "testLock", schema.Record{"userId": u.ID})
	require.NoError(t, err)
	require.ErrorIs(t, st.DeleteUser(ctx, u.ID), betterauth.ErrConflict)
	_, err = ts.FindOne(ctx, "testTag", schema.Where{Field: "id", Value: keepTag["id"]})
	assert.NoError(t, err, "a refused delete removes nothing")
	_, err = ts.FindOne(ctx, "testLock", schema.Where{Field: "id", Value: lock["id"]})
	assert.NoError(t, err)
}

var errRollback = errors.New("storetest: roll back")

func (s *suite) tableInTx(t *testing.T) {
	ctx := context.Background()
	st := s.newStore(t)
	ts := tables(t, st)
	u := s.newUser(t, st)
	kept := s.note(t, ts, u.ID)
	var made schema.Record
	err := st.InTx(ctx, func(ctx context.Context, tx betterauth.Store) error {
		txs := tables(t, tx)
		var err error
		if made, err = txs.Insert(ctx, "testNote", schema.Record{"userId": u.ID, "slug": "s-" + rnd(t)}); err != nil {
			return err
		}
		if _, err := txs.FindOne(ctx, "testNote", schema.Where{Field: "id", Value: made["id"]}); err != nil {
			return err // the transaction sees its own writes
		}
		if _, err := txs.Update(ctx, "testNote", schema.Record{"done": true}, schema.Where{Field: "id", Value: kept["id"]}); err != nil {
			return err
		}
		if _, err := txs.Delete(ctx, "testNote", schema.Where{Field: "id", Value: kept["id"]}); err != nil {
			return err
		}
		return errRollback
	})
	require.ErrorIs(t, err, errRollback)
	_, err = ts.FindOne(ctx, "testNote", schema.Where{Field: "id", Value: made["id"]})
	assert.ErrorIs(t, err, betterauth.ErrNotFound, "the insert is rolled back")
	got, err := ts.FindOne(ctx, "testNote", schema.Where{Field: "id", Value: kept["id"]})
	require.NoError(t, err, "the delete is rolled back")
	assert.Equal(t, false, got["done"], "the update is rolled back")

	err = st.InTx(ctx, func(ctx context.Context, tx betterauth.Store) error {
		var err error
		made, err = tables(t, tx).Insert(ctx, "testNote", schema.Record{"userId": u.ID, "slug": "s-" + rnd(t)})
		return err
	})
	require.NoError(t, err)
	_, err = ts.FindOne(ctx, "testNote", schema.Where{Field: "id", Value: made["id"]})
	assert.NoError(t, err, "the insert is committed")
}
