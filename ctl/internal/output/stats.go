package output

import (
	"fmt"
	"io"

	"github.com/zl-dev/zl/libzl"
)

// StatsJSON is the pinned JSON form of the state of zlr as a whole.
type StatsJSON struct {
	Services        int    `json:"services"`         // registered now, in every namespace
	ReplayHeld      uint64 `json:"replay_held"`      // bytes all replay logs hold now
	ReplayLimit     uint64 `json:"replay_limit"`     // the kernel.zlr.replay_limit sysctl
	ReplayStreams   uint64 `json:"replay_streams"`   // streams logged now
	Replays         uint64 `json:"replays"`          // streams replayed since boot
	ReplayBytes     uint64 `json:"replay_bytes"`     // bytes replayed since boot
	ReplayOverflows uint64 `json:"replay_overflows"` // guarantees lost since boot
}

// NewStatsJSON returns the JSON form of st.
func NewStatsJSON(st *libzl.Stats) StatsJSON {
	return StatsJSON{
		Services:        st.Services,
		ReplayHeld:      st.ReplayHeld,
		ReplayLimit:     st.ReplayLimit,
		ReplayStreams:   st.ReplayStreams,
		Replays:         st.Replays,
		ReplayBytes:     st.ReplayBytes,
		ReplayOverflows: st.ReplayOverflows,
	}
}

// WriteStats writes st as "key: value" lines.
func WriteStats(w io.Writer, st *libzl.Stats) error {
	return writeKeyValues(w, [][2]string{
		{"services", fmt.Sprint(st.Services)},
		{"replay held", Bytes(st.ReplayHeld)},
		{"replay limit", Bytes(st.ReplayLimit)},
		{"replay streams", fmt.Sprint(st.ReplayStreams)},
		{"replays", fmt.Sprint(st.Replays)},
		{"replayed bytes", Bytes(st.ReplayBytes)},
		{"replay overflows", fmt.Sprint(st.ReplayOverflows)},
	})
}
