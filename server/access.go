package server

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// accessRule is one allow or deny directive.
type accessRule struct {
	deny   bool
	all    bool
	unix   bool
	prefix netip.Prefix
}

// parseAccessRule reads "allow|deny address|CIDR|unix:|all"; warn gets nginx's warning for
// a CIDR with host bits set.
func parseAccessRule(deny bool, arg string, warn func(string)) (accessRule, error) {
	r := accessRule{deny: deny}
	switch {
	case arg == "all":
		r.all = true
		return r, nil
	case arg == "unix:":
		r.unix = true
		return r, nil
	}
	if strings.Contains(arg, "/") {
		p, err := netip.ParsePrefix(arg)
		if err != nil {
			return r, fmt.Errorf("invalid parameter \"%s\"", arg)
		}
		if p.Masked() != p {
			warn(fmt.Sprintf("low address bits of %s are meaningless", arg))
		}
		r.prefix = p.Masked()
		return r, nil
	}
	a, err := netip.ParseAddr(arg)
	if err != nil {
		return r, fmt.Errorf("invalid parameter \"%s\"", arg)
	}
	r.prefix = netip.PrefixFrom(a, a.BitLen())
	return r, nil
}

// clientAddr is the request's client address (IPv4-mapped IPv6 unmapped, as nginx matches
// IPv4 rules against them).
func clientAddr(r *http.Request) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// accessAllowed applies the rules in order, the first match deciding; none matching allows.
func accessAllowed(rules []accessRule, r *http.Request) bool {
	a, ok := clientAddr(r)
	for _, ru := range rules {
		switch {
		case ru.all:
			return !ru.deny
		case ru.unix:
			if !ok {
				return !ru.deny
			}
		case ok && ru.prefix.Contains(a):
			return !ru.deny
		}
	}
	return true
}
