package migrations_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/go-betterauth/betterauth/migrations"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/pgstore"
)

// Run the migrations at startup, then build the store on the same pool.
func ExampleUp() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	sch := schema.Schema{} // Better Auth's own layout
	if err := migrations.Up(ctx, pool, sch); err != nil {
		log.Fatal(err)
	}
	store, err := pgstore.New(pool, sch)
	if err != nil {
		log.Fatal(err)
	}
	_ = store
}

// Apply is Up that says what it did: what `betterauth migrate` prints.
func ExampleApply() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	report, err := migrations.Apply(ctx, pool, schema.Schema{})
	if err != nil {
		log.Fatal(err) // errors.Is(err, migrations.ErrMismatch): report.Problems says what is wrong
	}
	fmt.Println(report) // created table "user" ... or nothing to do
	for _, p := range report.Problems {
		fmt.Println(p) // notes on harmless differences
	}
}

// Print the SQL for Better Auth's default layout with uuid ids.
func ExampleGenerate() {
	sql, err := migrations.Generate(schema.Schema{IDMode: schema.IDModeUUID})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(sql) > 0)
	// Output: true
}
