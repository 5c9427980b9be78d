package demoload

import "time"

// SupervisorStats is what zl-supervise writes to its -stats file when it
// exits, in JSON.
type SupervisorStats struct {
	// Starts is the number of times the command was started, Restarts the
	// number of those after an exit.
	Starts   int `json:"starts"`
	Restarts int `json:"restarts"`

	// Exits counts the command's exits by how it ended, such as "exit
	// status 2" or "signal: segmentation fault".
	Exits map[string]int `json:"exits"`

	// Ready holds, for each restart that got as far as the command's
	// "ready" line, the time from the death of the previous process to
	// that line, in order.
	Ready []time.Duration `json:"ready_ns"`

	// Latency summarizes Ready.
	Latency Latency `json:"latency"`
}
