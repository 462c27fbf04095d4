package betterauth

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP is the one answer to "who sent this request", used for
// session.ipAddress, rate-limit keys and audit records. It is the socket's
// peer, unless the peer is one of Config.TrustedProxies: then it is what
// Better Auth resolves with advanced.ipAddress.trustedProxies, the first
// address of X-Forwarded-For, walked from the right, that is not a trusted
// proxy (when that walk finds none, or meets a hop that is not an address,
// the peer itself). Either way in Better Auth's normal form: IPv4-mapped
// IPv6 as IPv4, other IPv6 reduced to its /64 and written out in full
// ("2001:0db8:0000:0000:0000:0000:0000:0000"). "" when the peer is not an
// IP address (a unix socket).
//
// Better Auth instead believes a single-address X-Forwarded-For from
// anyone, so any client could choose its own address.
func (a *Auth) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return ""
	}
	peer = peer.Unmap().WithZone("")
	if a.trustedProxy(peer) {
		if c, ok := a.forwardedClient(r.Header.Values("X-Forwarded-For")); ok {
			return normalIP(c)
		}
	}
	return normalIP(peer)
}

// forwardedClient walks X-Forwarded-For from the right past the trusted
// proxies, as Better Auth's getIPFromHeader does; ok is false when every
// hop is trusted or a hop is not an address.
func (a *Auth) forwardedClient(headers []string) (netip.Addr, bool) {
	hops := strings.Split(strings.Join(headers, ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop == "" {
			continue
		}
		addr, err := netip.ParseAddr(hop)
		if err != nil || addr.Zone() != "" {
			return netip.Addr{}, false
		}
		if addr = addr.Unmap(); !a.trustedProxy(addr) {
			return addr, true
		}
	}
	return netip.Addr{}, false
}

func (a *Auth) trustedProxy(addr netip.Addr) bool {
	for _, p := range a.cfg.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// normalIP writes addr as Better Auth's normalizeIP does with its default
// ipv6Subnet of 64.
func normalIP(addr netip.Addr) string {
	if addr.Is6() {
		p, _ := addr.Prefix(64) // cannot fail: 64 bits of an IPv6 address
		return p.Addr().StringExpanded()
	}
	return addr.String()
}

// normalPrefixes checks Config.TrustedProxies and writes IPv4-mapped
// prefixes as IPv4, since addresses are compared unmapped.
func normalPrefixes(ps []netip.Prefix) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(ps))
	for _, p := range ps {
		if !p.IsValid() {
			return nil, fmt.Errorf("betterauth: TrustedProxies: %v is not a network", p)
		}
		if a := p.Addr(); a.Is4In6() {
			if p.Bits() < 96 {
				return nil, fmt.Errorf("betterauth: TrustedProxies: %v is not a network", p)
			}
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
