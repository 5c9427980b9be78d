//go:build linux

package main

import (
	"net"
	"testing"
)

func TestSpan(t *testing.T) {
	conns := make([]*net.TCPConn, 5)
	for _, tc := range []struct {
		from, to string
		want     int
	}{
		{"0", "5", 5},
		{"2", "4", 2},
		{"5", "5", 0},
	} {
		got, err := span(conns, tc.from, tc.to)
		if err != nil || len(got) != tc.want {
			t.Errorf("span(%s, %s) = %d connections, %v; want %d", tc.from, tc.to, len(got), err, tc.want)
		}
	}
	for _, bad := range [][2]string{{"-1", "2"}, {"3", "2"}, {"0", "6"}, {"x", "1"}} {
		if _, err := span(conns, bad[0], bad[1]); err == nil {
			t.Errorf("span(%s, %s): no error", bad[0], bad[1])
		}
	}
}
