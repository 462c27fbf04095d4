package main

import (
	"fmt"
	"os"

	"github.com/go-betterauth/betterauth/plugins/social"
	"github.com/go-betterauth/betterauth/plugins/social/github"
	"github.com/go-betterauth/betterauth/plugins/social/google"
	"github.com/go-betterauth/betterauth/plugins/social/oidc"
)

// socialFromEnv builds the social plugin from OIDC_*, GITHUB_* and GOOGLE_* (see the
// package documentation): nil, and no ids, when no provider is configured.
// A provider given only part of its variables is an error, not silently
// left out.
func socialFromEnv() (*social.Plugin, []string, error) {
	var providers []social.Provider
	oidcVars := []string{"OIDC_DISCOVERY_URL", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"}
	if on, err := allOrNone(oidcVars...); err != nil {
		return nil, nil, err
	} else if on {
		// genericOAuth({config: [{providerId, discoveryUrl, clientId, clientSecret}]}),
		// every other option at Better Auth's default.
		p, err := oidc.New(oidc.Config{
			ProviderID: env("OIDC_PROVIDER_ID", "oidc"), DiscoveryURL: os.Getenv("OIDC_DISCOVERY_URL"),
			ClientID: os.Getenv("OIDC_CLIENT_ID"), ClientSecret: os.Getenv("OIDC_CLIENT_SECRET"),
		})
		if err != nil {
			return nil, nil, err
		}
		providers = append(providers, p)
	}
	if on, err := allOrNone("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET"); err != nil {
		return nil, nil, err
	} else if on {
		p, err := github.New(github.Config{ClientID: os.Getenv("GITHUB_CLIENT_ID"), ClientSecret: os.Getenv("GITHUB_CLIENT_SECRET")})
		if err != nil {
			return nil, nil, err
		}
		providers = append(providers, p)
	}
	if on, err := allOrNone("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"); err != nil {
		return nil, nil, err
	} else if on {
		p, err := google.New(google.Config{ClientID: os.Getenv("GOOGLE_CLIENT_ID"), ClientSecret: os.Getenv("GOOGLE_CLIENT_SECRET")})
		if err != nil {
			return nil, nil, err
		}
		providers = append(providers, p)
	}
	if len(providers) == 0 {
		return nil, nil, nil
	}
	p, err := social.New(social.Options{Providers: providers})
	if err != nil {
		return nil, nil, err
	}
	ids := make([]string, len(providers))
	for i, pr := range providers {
		ids[i] = pr.ID()
	}
	return p, ids, nil
}

// allOrNone reports whether every variable is set; some but not all is an
// error naming the missing ones.
func allOrNone(keys ...string) (bool, error) {
	var set, unset []string
	for _, k := range keys {
		if os.Getenv(k) != "" {
			set = append(set, k)
		} else {
			unset = append(unset, k)
		}
	}
	if len(set) > 0 && len(unset) > 0 {
		return false, fmt.Errorf("%v are set but %v are not: set all of them to enable the provider", set, unset)
	}
	return len(unset) == 0, nil
}
