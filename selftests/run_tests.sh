#!/bin/bash
# Runs every AF_POST selftest inside the VM (tools/vm-run), prints their
# TAP output and a final "N passed, N failed[, N skipped]" line.  Any
# failure or skip makes it exit non-zero: in the VM everything must run.
set -u
cd "$(dirname "$0")"
modprobe -q veth; modprobe -q sch_netem
pass=0 fail=0 skip=0
tests="./carrier_test ./sched_test ./multipath_test ./netlink_test ./postctl_test.sh ./stress_test"
# fault injection exists only on the debug kernel (make check-debug)
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug 2>/dev/null
[ -d /sys/kernel/debug/fail_function ] && tests="$tests ./fault_test.sh"
# a program's time limit: the debug kernel (KASAN, lockdep) under TCG is
# five to ten times slower
tmo=900
[ -e /sys/kernel/debug/kmemleak ] && tmo=3600
tests="$tests ./module_test.sh"
echo "TAP version 13"
for t in $tests; do
	out=$(mktemp)
	t0=$SECONDS
	timeout $tmo stdbuf -oL -eL "$t" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	echo "# $t took $((SECONDS - t0)) s"
	tot=$(grep -E '^# Totals: pass:[0-9]+ fail:[0-9]+' "$out" | tail -1)
	if [ -z "$tot" ]; then
		echo "not ok - $t crashed or printed no totals (exit $rc)"
		fail=$((fail + 1))
	else
		p=$(sed -E 's/^# Totals: pass:([0-9]+).*/\1/' <<<"$tot")
		f=$(sed -E 's/.* fail:([0-9]+).*/\1/' <<<"$tot")
		s=$(sed -E 's/.* skip:([0-9]+).*/\1/' <<<"$tot")
		e=$(sed -E 's/.* error:([0-9]+).*/\1/' <<<"$tot")
		pass=$((pass + p)); fail=$((fail + f + ${e:-0})); skip=$((skip + ${s:-0}))
		[ "$rc" != 0 ] && [ "$f" = 0 ] && { echo "not ok - $t exited $rc"; fail=$((fail + 1)); }
	fi
	rm -f "$out"
done
line="$pass passed, $fail failed"
[ "$skip" != 0 ] && line="$line, $skip skipped"
echo "$line"
[ "$fail" = 0 ] && [ "$skip" = 0 ]
