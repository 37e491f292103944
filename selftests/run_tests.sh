#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs the AF_POST selftests inside the VM (tools/vm-run), as root:
#
#	selftests/run_tests.sh [PROGRAM...]
#
# Every kselftest-harness program and shell test (all by default) runs
# under a time limit; their TAP output is printed as it comes, and the
# last line is "N passed, N failed[, N skipped]", counting test cases.
# A program that crashes, times out or prints no "# Totals:" line counts
# as one failure.  Exits non-zero if anything failed or was skipped: in
# the VM every test must be able to run.
set -u

here=$(cd "$(dirname "$0")" && pwd)
cd "$here" || exit 1

# program and its time limit in seconds
all=(
	"api_test 300"
	"msg_test 420"
	"stream_test 300"
	"io_test 420"
	"wire_test 300"
	"lifetime_test 300"
	"module_test.sh 180"
)

pass=0 fail=0 skip=0

bad() {
	echo "not ok - $*"
	fail=$((fail + 1))
}

for m in veth sch_netem; do
	modprobe "$m" || echo "# modprobe $m failed"
done

# leftovers of a test that was killed before its teardown
cleanup_netns() {
	local ns
	for ns in $(ip netns list 2>/dev/null | awk '/^post[ab][0-9]+_/ { print $1 }'); do
		ip netns del "$ns" 2>/dev/null
	done
}

run_one() {
	local t=$1 limit=$2 out rc tot p f xf xp s e
	if [ ! -x "./$t" ]; then
		bad "$t: not built (make -C selftests)"
		return
	fi
	out=$(mktemp)
	echo "# ---- $t (limit ${limit}s)"
	timeout -k 10 "$limit" "./$t" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	tot=$(grep -E '^# Totals: pass:[0-9]+ fail:[0-9]+' "$out" | tail -1)
	rm -f "$out"
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		bad "$t: timed out after ${limit}s"
		return
	fi
	if [ -z "$tot" ]; then
		bad "$t: crashed or printed no totals (exit $rc)"
		return
	fi
	field() { sed -nE "s/.* $1:([0-9]+).*/\1/p" <<<"$tot"; }
	p=$(sed -E 's/^# Totals: pass:([0-9]+).*/\1/' <<<"$tot")
	f=$(field fail); xf=$(field xfail); xp=$(field xpass)
	s=$(field skip); e=$(field error)
	pass=$((pass + p + ${xf:-0}))
	fail=$((fail + f + ${xp:-0} + ${e:-0}))
	skip=$((skip + ${s:-0}))
	if [ "$rc" != 0 ] && [ $((f + ${xp:-0} + ${e:-0})) = 0 ] && [ "${s:-0}" = 0 ]; then
		bad "$t: exited $rc without reporting a failure"
	fi
}

if [ $# -gt 0 ]; then
	sel=()
	for a; do
		a=${a#./}
		lim=300
		for x in "${all[@]}"; do
			[ "${x% *}" = "$a" ] && lim=${x#* }
		done
		sel+=("$a $lim")
	done
else
	sel=("${all[@]}")
fi

for x in "${sel[@]}"; do
	run_one "${x% *}" "${x#* }"
	cleanup_netns
done

# vm-run unloads the module at the end: leave it loaded (autoload)
if ! grep -q '^post ' /proc/modules; then
	./post_hold none >/dev/null 2>&1 || modprobe post
fi
grep -q '^post ' /proc/modules || bad "the post module is not loaded at the end"

line="$pass passed, $fail failed"
[ "$skip" != 0 ] && line="$line, $skip skipped"
echo "$line"
[ "$fail" = 0 ] && [ "$skip" = 0 ]
