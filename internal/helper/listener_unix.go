//go:build unix

package helper

import "golang.org/x/sys/unix"

func setHopLimit(fd uintptr, v6 bool, hops int) error {
	if v6 {
		return unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS, hops)
	}
	return unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_TTL, hops)
}
