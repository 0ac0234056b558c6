//go:build windows

package helper

import "golang.org/x/sys/windows"

func setHopLimit(fd uintptr, v6 bool, hops int) error {
	if v6 {
		return windows.SetsockoptInt(windows.Handle(fd), windows.IPPROTO_IPV6, windows.IPV6_UNICAST_HOPS, hops)
	}
	return windows.SetsockoptInt(windows.Handle(fd), windows.IPPROTO_IP, windows.IP_TTL, hops)
}
