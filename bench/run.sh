#!/bin/sh
# make bench: runs inside the VM (tools/vm-run).
cd "$(dirname "$0")" || exit 1
modprobe -q veth; modprobe -q sch_netem
exec ./post-bench "$@"
