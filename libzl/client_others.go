//go:build !linux

package libzl

// A client is the stand-in for the Linux implementation: zlr exists only
// in Linux, so every operation returns ErrNotSupported.
type client struct{}

func newClient() (*client, error)                                  { return nil, ErrNotSupported }
func (*client) Close() error                                       { return ErrNotSupported }
func (*client) register(Registration) (*Service, error)            { return nil, ErrNotSupported }
func (*client) unregister(Selector) error                          { return ErrNotSupported }
func (*client) service(Selector) (*Service, error)                 { return nil, ErrNotSupported }
func (*client) services() ([]*Service, error)                      { return nil, ErrNotSupported }
func (*client) setPolicy(Selector, PolicyConfig) (*Service, error) { return nil, ErrNotSupported }
func (*client) restart(Selector, string) (*Service, error)         { return nil, ErrNotSupported }
func (*client) ready() (*Service, error)                           { return nil, ErrNotSupported }
func (*client) commit(int) error                                   { return ErrNotSupported }
func (*client) stats() (*Stats, error)                             { return nil, ErrNotSupported }

// errText describes err.
func errText(err error) string { return err.Error() }

// Is reports false: on this system no Error comes from a kernel.
func (*Error) Is(error) bool { return false }
