package memory_test

import (
	"context"
	"fmt"
	"time"

	"github.com/go-betterauth/betterauth/secondary/memory"
)

func Example() {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	st := memory.New(memory.Options{Now: func() time.Time { return now }})
	ctx := context.Background()

	_ = st.Set(ctx, "verification:reset-password:abc", `{"value":"user-1"}`, time.Hour)
	v, found, _ := st.GetAndDelete(ctx, "verification:reset-password:abc")
	fmt.Println(v, found)
	_, found, _ = st.GetAndDelete(ctx, "verification:reset-password:abc")
	fmt.Println("again:", found)

	n, _ := st.Increment(ctx, "203.0.113.7|/sign-in/email", 10*time.Second)
	fmt.Println("count:", n)
	now = now.Add(11 * time.Second) // the window has passed
	n, _ = st.Increment(ctx, "203.0.113.7|/sign-in/email", 10*time.Second)
	fmt.Println("count:", n)
	// Output:
	// {"value":"user-1"} true
	// again: false
	// count: 1
	// count: 1
}
