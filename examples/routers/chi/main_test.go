package main

import (
	"testing"

	"github.com/go-betterauth/betterauth/examples/routers/internal/flow"
)

func TestRoutes(t *testing.T) { flow.Run(t, routes(flow.NewAuth(t))) }
