# SPDX-License-Identifier: GPL-2.0
# AF_POST: build the module, userspace and tests; run them in a VM.

KVER ?= $(shell ls /lib/modules 2>/dev/null | grep '^6\.12.*-amd64$$' | sort -V | tail -1)
KDIR ?= /lib/modules/$(KVER)/build
# the debug lane's time limit, seconds (make check-debug)
DEBUG_TIMEOUT ?= 10800
SRC_TARBALL := /usr/src/linux-source-6.12.tar.xz
KSFT_DIR := $(CURDIR)/build/ksft
CHECKPATCH_DIR := $(CURDIR)/build/checkpatch
UAPI_DIR := $(CURDIR)/include/uapi
SUBDIRS := $(wildcard userspace/Makefile selftests/Makefile bench/Makefile)
SUBMAKE = $(MAKE) -s --no-print-directory UAPI_DIR=$(UAPI_DIR) KSFT_DIR=$(KSFT_DIR)
KSRC := $(filter-out %.mod.c,$(wildcard net/post/*.c)) $(wildcard net/post/*.h) include/uapi/linux/post.h

.PHONY: all modules subdirs deps ksft-headers checkpatch check check-spec check-debug \
	run bench clean distclean help

all: modules subdirs

modules:
	@test -d "$(KDIR)" || { echo "no kernel headers in '$(KDIR)' (make deps, or KDIR=)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(if $(C),C=$(C)) $(if $(W),W=$(W)) modules

subdirs: ksft-headers
	@set -e; for d in $(dir $(SUBDIRS)); do $(SUBMAKE) -C $$d; done

deps:
	@tools/install-deps

# kselftest's harness and checkpatch come from Debian's linux-source-6.12
ksft-headers: $(KSFT_DIR)/.stamp

$(KSFT_DIR)/.stamp:
	@test -r $(SRC_TARBALL) || { echo "$(SRC_TARBALL) missing (make deps)" >&2; exit 1; }
	@mkdir -p $(KSFT_DIR) $(CHECKPATCH_DIR) build/tmp-src
	tar -xJf $(SRC_TARBALL) -C build/tmp-src --strip-components=1 --wildcards \
		'*/tools/testing/selftests/kselftest_harness.h' \
		'*/tools/testing/selftests/kselftest.h' \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	cp build/tmp-src/tools/testing/selftests/kselftest*.h $(KSFT_DIR)/
	cp build/tmp-src/scripts/checkpatch.pl build/tmp-src/scripts/spelling.txt \
		build/tmp-src/scripts/const_structs.checkpatch $(CHECKPATCH_DIR)/
	rm -rf build/tmp-src
	@touch $@

checkpatch: ksft-headers
	$(CHECKPATCH_DIR)/checkpatch.pl --strict --no-tree --terse --show-types \
		--ignore FILE_PATH_CHANGES -f $(KSRC)

# the netlink spec against the uapi header and itself (ynl-gen-c included)
check-spec:
	tools/check-netlink-spec

check: deps
	@$(MAKE) --no-print-directory all
	tools/check-netlink-spec
	tools/vm-run --timeout 2400 -- selftests/run_tests.sh

check-debug: deps
	@$(MAKE) --no-print-directory all
	tools/build-debug-kernel >/dev/null
	rm -rf build/debug && mkdir -p build/debug && cp -r Kbuild net include build/debug/
	$(MAKE) -C $$(tools/build-debug-kernel --cached)/src M=$(CURDIR)/build/debug modules
	@start=$$(date +%s); \
	tools/vm-run --debug --timeout $(DEBUG_TIMEOUT) -- selftests/run_tests.sh && \
	echo $$(($$(date +%s) - start)) > $$(tools/build-debug-kernel --cached)/lane-seconds

run: deps
	@$(MAKE) --no-print-directory all
	tools/vm-run --timeout 600 -- userspace/examples/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all
	tools/vm-run --timeout 3000 -- bench/run.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	@for d in $(dir $(SUBDIRS)); do $(SUBMAKE) -C $$d clean; done
	rm -rf build/vm build/debug

distclean: clean
	rm -rf build

help:
	@echo "make [all]     build post.ko, userspace, selftests, bench (KDIR=, C=1, W=1)"
	@echo "make run       build and run the demo in the VM"
	@echo "make check     build and run every test in the VM"
	@echo "make bench     run the benchmarks in the VM"
	@echo "make checkpatch  checkpatch.pl --strict over the module"
	@echo "make check-spec  the netlink spec against include/uapi/linux/post.h"
