//go:build unix

package helper

import (
	"fmt"
	"net"
	"testing"

	"golang.org/x/sys/unix"
)

// TestHopLimitListener accepts real loopback connections and reads the
// socket option back from the accepted socket.
func TestHopLimitListener(t *testing.T) {
	for _, tt := range []struct {
		name, network, addr string
		level, opt          int
	}{
		{"IPv4 TTL", "tcp4", "127.0.0.1:0", unix.IPPROTO_IP, unix.IP_TTL},
		{"IPv6 hop limit", "tcp6", "[::1]:0", unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS},
	} {
		for _, hops := range []int{1, 64, 255} {
			t.Run(fmt.Sprintf("%s %d", tt.name, hops), func(t *testing.T) {
				inner, err := net.Listen(tt.network, tt.addr)
				if err != nil {
					t.Skipf("no %s loopback: %v", tt.network, err)
				}
				ln, err := NewHopLimitListener(inner, hops, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer ln.Close()
				dialed := make(chan net.Conn, 1)
				go func() {
					c, err := net.Dial(tt.network, inner.Addr().String())
					if err != nil {
						t.Error(err)
					}
					dialed <- c
				}()
				c, err := ln.Accept()
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if dc := <-dialed; dc != nil {
					defer dc.Close()
				}
				raw, err := c.(*net.TCPConn).SyscallConn()
				if err != nil {
					t.Fatal(err)
				}
				var got int
				var gerr error
				_ = raw.Control(func(fd uintptr) { got, gerr = unix.GetsockoptInt(int(fd), tt.level, tt.opt) })
				if gerr != nil {
					t.Fatal(gerr)
				}
				if got != hops {
					t.Fatalf("hop limit %d, want %d", got, hops)
				}
			})
		}
	}
}

func TestHopLimitListenerRange(t *testing.T) {
	for _, hops := range []int{0, -1, 256} {
		if _, err := NewHopLimitListener(nil, hops, nil); err == nil {
			t.Errorf("hop limit %d accepted", hops)
		}
	}
}
