package libzl

import (
	"os"
	"strconv"
)

// IncarnationEnv is the environment variable through which the kernel
// tells a restarted service its incarnation: it sets ZL_INCARNATION=<n> in
// the environment of the n-th restart in place. The original process of a
// service has no such variable.
const IncarnationEnv = "ZL_INCARNATION"

// Incarnation returns the incarnation of the calling process as the kernel
// set it in IncarnationEnv: 1 after the first restart in place, 2 after the
// second and so on. It returns 0 when the variable is absent, as in a
// service's original process or a process that is not a service, and when
// it does not hold a decimal number that fits 32 bits.
//
// Incarnation needs no kernel support and no Client; it only reads the
// environment. Child processes inherit the variable, so a service that
// starts other services should remove it from their environment.
func Incarnation() uint32 {
	v, ok := os.LookupEnv(IncarnationEnv)
	if !ok {
		return 0
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return 0
	}
	return uint32(n)
}

// Restarted reports whether the calling process is a restart in place of a
// service that faulted, rather than its original process: whether
// Incarnation is greater than 0. A restarted service might, for example,
// skip one-time initialisation or log that it recovered.
func Restarted() bool { return Incarnation() > 0 }
