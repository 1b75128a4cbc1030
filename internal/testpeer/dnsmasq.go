package testpeer

import (
	"strconv"
	"testing"
)

// StartDnsmasq runs a throw-away dnsmasq on a free loopback port (UDP and TCP) that answers
// only from the records given as its options ("--address=/a.test/127.0.0.1",
// "--txt-record=...", ...): no upstream servers, no /etc/hosts, no /etc/dnsmasq.conf. It
// returns the port.
func StartDnsmasq(t testing.TB, records ...string) int {
	t.Helper()
	bin := Require(t, "dnsmasq")
	port := FreePort(t)
	args := append([]string{"--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
		"--no-hosts", "--no-poll", "--pid-file=", "--local-ttl=300",
		"--port=" + strconv.Itoa(port), "--listen-address=127.0.0.1", "--bind-interfaces",
		"--log-facility=-"}, records...)
	p := startProc(t, bin, args...)
	if err := waitListening(p, "127.0.0.1:"+strconv.Itoa(port)); err != nil {
		t.Fatalf("testpeer: dnsmasq: %v\n%s", err, p.Output.String())
	}
	return port
}
