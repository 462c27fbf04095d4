package migrations_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/migrations"
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
	schema := betterauth.Schema{} // Better Auth's own layout
	if err := migrations.Up(ctx, pool, schema); err != nil {
		log.Fatal(err)
	}
	store, err := pgstore.New(pool, schema)
	if err != nil {
		log.Fatal(err)
	}
	_ = store
}

// Print the SQL for Better Auth's default layout with uuid ids.
func ExampleGenerate() {
	sql, err := migrations.Generate(betterauth.Schema{IDMode: betterauth.IDModeUUID})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(sql) > 0)
	// Output: true
}
