// Package cmdtest provides a fake client and a Factory with buffers for
// testing zlctl's commands.
package cmdtest

import (
	"bytes"
	"errors"
	"time"

	"github.com/zl-dev/zl/ctl/internal/cmdutil"
	"github.com/zl-dev/zl/ctl/internal/output"
	"github.com/zl-dev/zl/libzl"
)

// A Call is one method call on a FakeClient.
type Call struct {
	Method       string
	Selector     libzl.Selector
	Registration libzl.Registration
	Policy       libzl.PolicyConfig
}

// A FakeClient records the calls made on it and answers with its fields.
type FakeClient struct {
	Calls  []Call
	Closed bool

	// Svc answers Register, Service and SetPolicy.
	Svc *libzl.Service
	// List answers Services.
	List []*libzl.Service
	// Err, if set, is what every method returns; ErrFor, if it has an
	// entry for a method, what that method returns.
	Err    error
	ErrFor map[string]error
}

var _ cmdutil.Client = (*FakeClient)(nil)

func (c *FakeClient) err(method string) error {
	if err, ok := c.ErrFor[method]; ok {
		return err
	}
	return c.Err
}

func (c *FakeClient) answer(call Call) (*libzl.Service, error) {
	c.Calls = append(c.Calls, call)
	if err := c.err(call.Method); err != nil {
		return nil, err
	}
	if c.Svc == nil {
		return nil, errors.New("cmdtest: no Svc to answer with")
	}
	return c.Svc, nil
}

// Register implements cmdutil.Client.
func (c *FakeClient) Register(r libzl.Registration) (*libzl.Service, error) {
	return c.answer(Call{Method: "Register", Registration: r})
}

// Unregister implements cmdutil.Client.
func (c *FakeClient) Unregister(sel libzl.Selector) error {
	c.Calls = append(c.Calls, Call{Method: "Unregister", Selector: sel})
	return c.err("Unregister")
}

// Service implements cmdutil.Client.
func (c *FakeClient) Service(sel libzl.Selector) (*libzl.Service, error) {
	return c.answer(Call{Method: "Service", Selector: sel})
}

// Services implements cmdutil.Client.
func (c *FakeClient) Services() ([]*libzl.Service, error) {
	c.Calls = append(c.Calls, Call{Method: "Services"})
	if err := c.err("Services"); err != nil {
		return nil, err
	}
	return c.List, nil
}

// SetPolicy implements cmdutil.Client.
func (c *FakeClient) SetPolicy(sel libzl.Selector, p libzl.PolicyConfig) (*libzl.Service, error) {
	return c.answer(Call{Method: "SetPolicy", Selector: sel, Policy: p})
}

// Close implements cmdutil.Client.
func (c *FakeClient) Close() error {
	c.Closed = true
	return nil
}

// An ExecCall is one call of a FakeExec.
type ExecCall struct {
	Argv0 string
	Argv  []string
	Env   []string
}

// A FakeExec stands in for syscall.Exec: it records the calls and returns
// Err, where the real one would not return at all unless it failed.
type FakeExec struct {
	Calls []ExecCall
	Err   error
}

// Exec records a call and returns e.Err.
func (e *FakeExec) Exec(argv0 string, argv, envv []string) error {
	e.Calls = append(e.Calls, ExecCall{Argv0: argv0, Argv: argv, Env: envv})
	return e.Err
}

// errNoExec is what a test Factory's Exec returns unless the test gave a
// FakeExec: a test must never replace itself with another program.
var errNoExec = errors.New("cmdtest: Exec called without a FakeExec")

// Uptime is the time since boot the test Factory reports.
const Uptime = 2 * time.Hour

// Factory returns a Factory whose streams are the returned buffers, whose
// client is fc (or dialErr, if not nil) and whose uptime is Uptime. Its
// Exec fails; set it to a FakeExec's to test commands that execute others.
func Factory(fc *FakeClient, dialErr error, terminal bool) (f *cmdutil.Factory, stdout, stderr *bytes.Buffer) {
	stdout, stderr = &bytes.Buffer{}, &bytes.Buffer{}
	f = &cmdutil.Factory{
		IO: &cmdutil.IOStreams{
			In:            &bytes.Buffer{},
			Out:           stdout,
			ErrOut:        stderr,
			OutIsTerminal: terminal,
		},
		Client: func() (cmdutil.Client, error) {
			if dialErr != nil {
				return nil, dialErr
			}
			return fc, nil
		},
		Uptime: func() (time.Duration, error) { return Uptime, nil },
		Exec:   func(string, []string, []string) error { return errNoExec },
		Output: output.Table,
	}
	return f, stdout, stderr
}
