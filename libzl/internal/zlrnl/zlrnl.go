// Package zlrnl holds the constants of the zlr generic netlink family, named
// exactly as in the kernel's uapi header include/uapi/linux/zlr.h.
//
// The header is generated from Documentation/netlink/specs/zlr.yaml; the
// conformance test in package libzl checks every constant here against the
// header built from linux-patches/, and fails on any constant that is
// missing on either side or has a different value.
package zlrnl

// Family identity and multicast groups.
const (
	ZLR_FAMILY_NAME    = "zlr"
	ZLR_FAMILY_VERSION = 1

	ZLR_MCGRP_MONITOR = "monitor"
)

// Limits the kernel enforces.
const (
	ZLR_NAME_LEN            = 32
	ZLR_MAX_RESTARTS_LIMIT  = 10000
	ZLR_WINDOW_MS_LIMIT     = 86400000
	ZLR_BACKOFF_MS_LIMIT    = 60000
	ZLR_MIN_UPTIME_MS_LIMIT = 3600000
	ZLR_REPLAY_LIMIT_MAX    = 1073741824
)

// enum zlr_policy_flags.
const (
	ZLR_POLICY_FLAGS_REPLAY = 1
	ZLR_POLICY_FLAGS_DEDUP  = 2
)

// enum zlr_restart_cause.
const (
	ZLR_RESTART_CAUSE_FAULT   = 0
	ZLR_RESTART_CAUSE_REQUEST = 1
)

// enum zlr_giveup_reason.
const (
	ZLR_GIVEUP_REASON_DISABLED    = 0
	ZLR_GIVEUP_REASON_TOO_SOON    = 1
	ZLR_GIVEUP_REASON_BUDGET      = 2
	ZLR_GIVEUP_REASON_EXEC_FAILED = 3
	ZLR_GIVEUP_REASON_KILLED      = 4
)

// enum zlr_stream_kind.
const (
	ZLR_STREAM_KIND_TCP  = 0
	ZLR_STREAM_KIND_UNIX = 1
	ZLR_STREAM_KIND_PIPE = 2
)

// enum zlr_overflow_reason.
const (
	ZLR_OVERFLOW_REASON_SERVICE_LIMIT = 0
	ZLR_OVERFLOW_REASON_GLOBAL_LIMIT  = 1
	ZLR_OVERFLOW_REASON_NOMEM         = 2
	ZLR_OVERFLOW_REASON_TRUNCATED     = 3
	ZLR_OVERFLOW_REASON_USER_LIMIT    = 4
)

// Attributes of the policy attribute set.
const (
	ZLR_A_POLICY_FAULT_SIGNALS    = 1
	ZLR_A_POLICY_FAULT_EXIT_CODES = 2
	ZLR_A_POLICY_MAX_RESTARTS     = 3
	ZLR_A_POLICY_WINDOW_MS        = 4
	ZLR_A_POLICY_BACKOFF_MS       = 5
	ZLR_A_POLICY_MIN_UPTIME_MS    = 6
	ZLR_A_POLICY_REPLAY_LIMIT     = 7
	ZLR_A_POLICY_FLAGS            = 8

	ZLR_A_POLICY_MAX = 8
)

// Attributes of the fault attribute set.
const (
	ZLR_A_FAULT_SIGNAL    = 1
	ZLR_A_FAULT_EXIT_CODE = 2
	ZLR_A_FAULT_CODE      = 3
	ZLR_A_FAULT_ADDR      = 4
	ZLR_A_FAULT_IP        = 5
	ZLR_A_FAULT_TIME      = 6

	ZLR_A_FAULT_MAX = 6
)

// Attributes of the service attribute set.
const (
	ZLR_A_SERVICE_ID               = 1
	ZLR_A_SERVICE_PID              = 2
	ZLR_A_SERVICE_NAME             = 3
	ZLR_A_SERVICE_UID              = 4
	ZLR_A_SERVICE_POLICY           = 5
	ZLR_A_SERVICE_INCARNATION      = 6
	ZLR_A_SERVICE_FAULTS           = 7
	ZLR_A_SERVICE_RESTARTS         = 8
	ZLR_A_SERVICE_GIVEUPS          = 9
	ZLR_A_SERVICE_REG_TIME         = 10
	ZLR_A_SERVICE_EXE              = 11
	ZLR_A_SERVICE_LAST_FAULT       = 12
	ZLR_A_SERVICE_RETAINED         = 13
	ZLR_A_SERVICE_RETAINED_FDS     = 14
	ZLR_A_SERVICE_REPLAY_HELD      = 15
	ZLR_A_SERVICE_REPLAY_STREAMS   = 16
	ZLR_A_SERVICE_REPLAYS          = 17
	ZLR_A_SERVICE_REPLAY_BYTES     = 18
	ZLR_A_SERVICE_REPLAY_OVERFLOWS = 19
	ZLR_A_SERVICE_FD               = 20

	ZLR_A_SERVICE_MAX = 20
)

// Attributes of the stats attribute set.
const (
	ZLR_A_STATS_SERVICES         = 1
	ZLR_A_STATS_REPLAY_HELD      = 2
	ZLR_A_STATS_REPLAY_LIMIT     = 3
	ZLR_A_STATS_REPLAY_STREAMS   = 4
	ZLR_A_STATS_REPLAYS          = 5
	ZLR_A_STATS_REPLAY_BYTES     = 6
	ZLR_A_STATS_REPLAY_OVERFLOWS = 7

	ZLR_A_STATS_MAX = 7
)

// Attributes of the event attribute set.
const (
	ZLR_A_EVENT_ID              = 1
	ZLR_A_EVENT_PID             = 2
	ZLR_A_EVENT_NAME            = 3
	ZLR_A_EVENT_INCARNATION     = 4
	ZLR_A_EVENT_TIME            = 5
	ZLR_A_EVENT_FAULT           = 6
	ZLR_A_EVENT_CAUSE           = 7
	ZLR_A_EVENT_LATENCY         = 8
	ZLR_A_EVENT_EXE             = 9
	ZLR_A_EVENT_RETAINED        = 10
	ZLR_A_EVENT_REASON          = 11
	ZLR_A_EVENT_ERROR           = 12
	ZLR_A_EVENT_EXIT_STATUS     = 13
	ZLR_A_EVENT_STREAM_KIND     = 14
	ZLR_A_EVENT_STREAM_INO      = 15
	ZLR_A_EVENT_OVERFLOW_REASON = 16
	ZLR_A_EVENT_REPLAY_LIMIT    = 17

	ZLR_A_EVENT_MAX = 17
)

// Commands.
const (
	ZLR_CMD_REGISTER   = 1
	ZLR_CMD_UNREGISTER = 2
	ZLR_CMD_GET        = 3
	ZLR_CMD_SET_POLICY = 4
	ZLR_CMD_RESTART    = 5
	ZLR_CMD_READY      = 6

	// Notifications on the monitor group.
	ZLR_CMD_REGISTER_NTF   = 7
	ZLR_CMD_UNREGISTER_NTF = 8
	ZLR_CMD_FAULT_NTF      = 9
	ZLR_CMD_RESTART_NTF    = 10
	ZLR_CMD_READY_NTF      = 11
	ZLR_CMD_GIVEUP_NTF     = 12
	ZLR_CMD_EXIT_NTF       = 13

	// Later commands, in the order of the spec: the replay-overflow
	// notification is on the monitor group too.
	ZLR_CMD_COMMIT              = 14
	ZLR_CMD_STATS               = 15
	ZLR_CMD_REPLAY_OVERFLOW_NTF = 16

	ZLR_CMD_MAX = 16
)
