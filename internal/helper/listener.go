package helper

import (
	"errors"
	"fmt"
	"net"
)

// DefaultHopLimit is serve's default IP TTL / IPv6 hop limit, as in
// aws_signing_helper. 1 keeps answers from leaving the host's own network
// segment, as on EC2.
const DefaultHopLimit = 64

// hopLimitListener sets the IP TTL (IPv4) or hop limit (IPv6) of every
// connection it accepts.
type hopLimitListener struct {
	net.Listener
	hops int
	log  *Logger
}

// NewHopLimitListener wraps l so that packets sent on accepted TCP
// connections carry the IP TTL or IPv6 hop limit hops (1..255): with 1 the
// answers cannot be routed beyond the first hop, so a workload cannot be
// handed credentials through a router. A connection whose limit cannot be
// set is closed (and logged), never served; accepting goes on.
func NewHopLimitListener(l net.Listener, hops int, log *Logger) (net.Listener, error) {
	if hops < 1 || hops > 255 {
		return nil, fmt.Errorf("invalid hop limit %d: it must be between 1 and 255", hops)
	}
	return &hopLimitListener{Listener: l, hops: hops, log: log}, nil
}

// Accept returns the next connection whose hop limit has been set.
func (l *hopLimitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if err := SetHopLimit(c, l.hops); err != nil {
			l.log.Printf("closing the connection from %s: %v", c.RemoteAddr(), err)
			c.Close()
			continue
		}
		return c, nil
	}
}

// SetHopLimit sets the IP TTL (for an IPv4 peer) or the IPv6 hop limit of
// a TCP connection.
func SetHopLimit(c net.Conn, hops int) error {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return fmt.Errorf("unable to set the hop limit on a %T", c)
	}
	ra, _ := tc.RemoteAddr().(*net.TCPAddr)
	if ra == nil {
		return errors.New("unable to set the hop limit: no remote address")
	}
	v6 := ra.IP.To4() == nil
	raw, err := tc.SyscallConn()
	if err != nil {
		return fmt.Errorf("unable to set the hop limit: %w", err)
	}
	var serr error
	if err := raw.Control(func(fd uintptr) { serr = setHopLimit(fd, v6, hops) }); err != nil {
		return fmt.Errorf("unable to set the hop limit: %w", err)
	}
	if serr != nil {
		return fmt.Errorf("unable to set the hop limit: %w", serr)
	}
	return nil
}
