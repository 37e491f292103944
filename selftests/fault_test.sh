#!/bin/bash
# Fault injection during the stress tests (the debug kernel's failslab,
# fail_page_alloc and fail_function on the module's allocation sites):
# every failure must surface as an errno; tools/vm-run then fails the run
# on any splat in the kernel log or any kmemleak report.  Prints TAP.
set -u
cd "$(dirname "$0")"
D=/sys/kernel/debug
mountpoint -q $D || mount -t debugfs none $D
n=0 pass=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then pass=$((pass + 1)); echo "ok $n $2"; else fail=$((fail + 1)); echo "not ok $n $2"; fi; }
echo "TAP version 13"
if [ ! -d $D/failslab ] || [ ! -d $D/fail_function ]; then
	echo "1..0 # SKIP fault injection needs the debug kernel (make check-debug)"
	echo "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:1 error:0"
	exit 4
fi
echo "1..4"

budget=100000
arm() {	# dir probability
	echo "$2" > "$1/probability"
	echo 1 > "$1/interval"
	echo $budget > "$1/times"
	echo 0 > "$1/space"
	echo 0 > "$1/verbose"	# a stack dump per fault would read as a splat
	echo Y > "$1/task-filter"
}
arm $D/failslab 3
echo N > $D/failslab/ignore-gfp-wait
arm $D/fail_page_alloc 1
echo N > $D/fail_page_alloc/ignore-gfp-wait
# user pages (stacks, anonymous memory) are __GFP_HIGHMEM: failing them
# kills the test with SIGBUS instead of testing the module
echo Y > $D/fail_page_alloc/ignore-gfp-highmem
echo 0 > $D/fail_page_alloc/min-order
arm $D/fail_function 10
: > $D/fail_function/inject
r=0
for f in post_sched_enqueue post_xprt_create post_payload_alloc post_ids_init \
	 post_carrier_register post_tx_express; do
	# retval is unsigned hex: -ENOMEM as its two's complement
	echo $f >> $D/fail_function/inject &&
		printf '%#x\n' -12 > $D/fail_function/$f/retval ||
		{ r=1; echo "# $f cannot be injected"; }
done
ok $r "fail_function knows the module's injection sites"

POST_FAULTS=1 ./stress_test -r ns.fuzz_syscalls -r ns.many_threads_lifecycle > /tmp/fault.out 2>&1
r=$?
grep -E '^(ok|not ok|#)' /tmp/fault.out | sed 's/^/# /'
ok $r "stress and fuzzing with allocations failing"

hits=$((3 * budget - $(cat $D/failslab/times) - $(cat $D/fail_page_alloc/times) - $(cat $D/fail_function/times)))
echo "# $hits failures injected"
[ $hits -gt 0 ]; ok $? "faults were injected"

echo 0 > $D/failslab/probability
echo 0 > $D/fail_page_alloc/probability
echo 0 > $D/fail_function/probability
: > $D/fail_function/inject
./stress_test -r ns.concurrent_senders > /tmp/fault.out 2>&1
ok $? "carriers work normally afterwards"
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ $fail = 0 ]
