# zl: zero-loss restart of services. `make test` and `make demo` work from a bare machine.

.PHONY: all build test demo bench soak setup kernel vm-shell check-series clean

all: build

build:
	mkdir -p bin
	go build -o bin/zlctl ./ctl

# Everything: Go checks and unit tests, the kernel series (applied, checked, built) and the VM
# suite. See ci/test.
test:
	ci/test

# Boots the test kernel and shows zlctl managing a process.
demo:
	ci/demo

# Boots the test kernel and runs every benchmark against its baseline; rewrites the README's results. See ci/bench.
bench:
	ci/bench

# Boots the test kernel and restarts the web server demo 10,000 times under load. See ci/soak.
soak:
	ci/soak

setup:
	ci/setup

kernel: setup
	ci/kernel-tree apply
	ci/kernel-build

# A root shell in the test VM (exit to power it off).
vm-shell: kernel build
	ci/vm-run --timeout 86400 -- bash -l

# Builds the kernel at every patch of the series (slow) on top of the checks make test runs.
check-series: kernel
	ci/kernel-check --build-each

clean:
	rm -rf bin build/kbuild build/kbuild-debug build/kbuild-each build/vm build/test build/bin
