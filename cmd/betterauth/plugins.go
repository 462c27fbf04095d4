package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/plugins/bearer"
	"github.com/go-betterauth/betterauth/plugins/jwt"
	"github.com/go-betterauth/betterauth/plugins/twofactor"
	"github.com/go-betterauth/betterauth/schema"
)

// firstParty are the plugins the CLI knows by id, with the options that do
// not change their tables.
var firstParty = map[string]func() betterauth.Plugin{
	jwt.ID:       func() betterauth.Plugin { return jwt.New(jwt.Options{}) },
	bearer.ID:    func() betterauth.Plugin { return bearer.New(bearer.Options{}) },
	twofactor.ID: func() betterauth.Plugin { return twofactor.New(twofactor.Options{}) },
}

func knownPlugins() string { return strings.Join(slices.Sorted(maps.Keys(firstParty)), ", ") }

// pluginSchemas resolves plugin ids to their schema extensions, in order;
// an id listed twice counts once.
func pluginSchemas(names []string) ([]schema.Extension, error) {
	var plugins []betterauth.Plugin
	seen := map[string]bool{}
	for _, n := range names {
		mk, ok := firstParty[n]
		if !ok {
			return nil, fmt.Errorf("unknown plugin %q (known: %s)", n, knownPlugins())
		}
		if !seen[n] {
			seen[n] = true
			plugins = append(plugins, mk())
		}
	}
	return betterauth.PluginSchemas(plugins...), nil
}
