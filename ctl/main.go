// Command zlctl registers services with the kernel's zero-loss restart
// (zlr), shows them and changes their restart policy.
package main

import (
	"os"

	"github.com/zl-dev/zl/ctl/internal/cmd/root"
	"github.com/zl-dev/zl/ctl/internal/cmdutil"
)

func main() {
	os.Exit(root.Main(os.Args[1:], cmdutil.New()))
}
