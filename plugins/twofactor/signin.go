package twofactor

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/internal/randid"
)

func isNotFound(err error) bool { return errors.Is(err, betterauth.ErrNotFound) }

// challenged reports whether the sign-in must pass the second factor: the
// user has it on and the method is one of SignInMethods.
func (p *Plugin) challenged(in *betterauth.SignIn) bool {
	return Enabled(in.User) && slices.Contains(p.opts.SignInMethods, in.Method)
}

// trusted reports whether the sign-in comes from a device the user
// trusted: a trust_device cookie bound to the user whose row is live and
// names the user. present reports a signed cookie that may need expiring.
func (p *Plugin) trusted(ctx context.Context, in *betterauth.SignIn) (trustID string, present bool, err error) {
	id, present := p.readTrustCookie(in.Request, in.User.ID)
	if id == "" {
		return "", present, nil
	}
	v, err := p.auth.FindVerification(ctx, id)
	if err != nil {
		return "", present, err
	}
	if v == nil || v.Value != in.User.ID {
		return "", present, nil
	}
	return id, present, nil
}

// BeforeSignIn stops the sign-in of a user with two-factor on, unless the
// device is trusted: no session, a challenge (rows "2fa-<id>" = user id
// and "2fa-attempts-2fa-<id>" = "0", ChallengeMaxAge) in the signed
// two_factor cookie, and Better Auth's answer {"twoFactorRedirect": true,
// "twoFactorMethods": [...]}. A trust_device cookie that did not pass is
// expired.
func (p *Plugin) BeforeSignIn(ctx context.Context, in *betterauth.SignIn) (*betterauth.Challenge, error) {
	if !p.challenged(in) {
		return nil, nil
	}
	trustID, present, err := p.trusted(ctx, in)
	if err != nil {
		return nil, err
	}
	if trustID != "" {
		return nil, nil // AfterSignIn renews the trust
	}
	var cookies []*http.Cookie
	if present {
		cookies = append(cookies, p.expiredCookie(TrustDeviceCookie))
	}
	suffix, err := randid.String(20, randomAlphabet)
	if err != nil {
		return nil, err
	}
	id := "2fa-" + suffix
	if _, err := p.auth.CreateVerification(ctx, id, in.User.ID, p.opts.ChallengeMaxAge); err != nil {
		return nil, err
	}
	if _, err := p.auth.CreateVerification(ctx, "2fa-attempts-"+id, "0", p.opts.ChallengeMaxAge); err != nil {
		return nil, err
	}
	cookies = append(cookies, p.auth.NewSignedCookie(p.auth.CookieName(ChallengeCookie), id, int(p.opts.ChallengeMaxAge/time.Second)))
	methods := []string{}
	if !p.opts.DisableTOTP {
		tf, err := p.findRow(ctx, p.store, in.User.ID)
		if err != nil {
			return nil, err
		}
		if tf != nil && tf.verified {
			methods = append(methods, "totp")
		}
	}
	if p.opts.SendOTP != nil {
		methods = append(methods, "otp")
	}
	return &betterauth.Challenge{
		Reply:   redirectReply{TwoFactorRedirect: true, TwoFactorMethods: methods},
		Cookies: cookies,
	}, nil
}

// AfterSignIn renews the trust of a device that skipped the second
// factor: its trust id is replaced by a new one (row and cookie), as
// Better Auth rotates it at each trusted sign-in.
func (p *Plugin) AfterSignIn(ctx context.Context, in *betterauth.SignIn, _ *betterauth.Session) ([]*http.Cookie, error) {
	if !p.challenged(in) {
		return nil, nil
	}
	old, _ := p.readTrustCookie(in.Request, in.User.ID)
	if old == "" {
		return nil, nil // not reached: BeforeSignIn challenged it
	}
	if _, err := p.auth.ConsumeVerification(ctx, old); err != nil {
		return nil, err
	}
	c, err := p.trustDevice(ctx, in.User.ID)
	if err != nil {
		return nil, err
	}
	return []*http.Cookie{c}, nil
}

// redirectReply is a challenged sign-in's answer.
type redirectReply struct {
	TwoFactorRedirect bool     `json:"twoFactorRedirect"`
	TwoFactorMethods  []string `json:"twoFactorMethods"`
}
