//go:build !linux

package zlcgi

// A prevChild is a CGI program that a crashed incarnation of the server
// started: only Linux restarts servers in place, so there is none.
type prevChild struct {
	pid int
	env []string
}

func previousChildren(string) ([]prevChild, error) { return nil, nil }

func (prevChild) adopt() (*child, error) { return nil, nil }
