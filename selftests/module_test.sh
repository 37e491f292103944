#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Module lifetime: "rmmod post" fails while AF_POST sockets exist (an
# unconnected carrier of either kind, a connected pair), succeeds once
# they are closed, and socket(AF_POST, ...) loads the module again.
# Prints TAP and a kselftest "# Totals:" line; leaves the module loaded.
set -u
cd "$(dirname "$0")" || exit 1

n=0 pass=0 fail=0
ok() {	# ok STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		pass=$((pass + 1)); echo "ok $n $2"
	else
		fail=$((fail + 1)); echo "not ok $n $2"
	fi
}
loaded() { grep -q '^post ' /proc/modules; }
refcnt() { awk '$1 == "post" { print $3 }' /proc/modules; }

# rmmod, retried for a while: closing carriers may pin it briefly
rmmod_eventually() {
	local i
	for i in $(seq 60); do
		rmmod post 2>/dev/null && return 0
		sleep 0.25
	done
	echo "# rmmod post still fails: refcount $(refcnt)"
	return 1
}

tmp=$(mktemp -d)
trap 'exec 9>&- 2>/dev/null; rm -rf "$tmp"' EXIT

# hold MODE: starts post_hold with its stdin on fd 9; sets $holder
hold() {
	rm -f "$tmp/in" "$tmp/out"
	mkfifo "$tmp/in"
	./post_hold "$1" <"$tmp/in" >"$tmp/out" 2>&1 &
	holder=$!
	exec 9>"$tmp/in"
	local i
	for i in $(seq 100); do
		grep -q '^ready' "$tmp/out" 2>/dev/null && return 0
		grep -q '^error' "$tmp/out" 2>/dev/null && break
		kill -0 $holder 2>/dev/null || break
		sleep 0.1
	done
	echo "# post_hold $1: $(cat "$tmp/out" 2>/dev/null)"
	return 1
}
release() {
	exec 9>&-
	wait $holder
}

echo "TAP version 13"
echo "1..12"

if [ ! -x ./post_hold ]; then
	echo "# post_hold not built"
	echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	exit 1
fi

# make sure it is there to start with (autoload)
./post_hold none >/dev/null 2>&1
loaded; ok $? "module loaded at the start"

for mode in seqpacket stream pair; do
	hold $mode; r=$?
	ok $r "post_hold $mode: sockets created"
	if [ $r = 0 ]; then
		rmmod post 2>/dev/null && r=1 || r=0
		[ $r = 0 ] && { loaded || r=1; }
		ok $r "rmmod refused while $mode sockets are open (refcount $(refcnt))"
	else
		ok 1 "rmmod refused while $mode sockets are open (not run)"
	fi
	release
	rmmod_eventually; r=$?
	[ $r = 0 ] && loaded && r=1
	ok $r "rmmod succeeds once the $mode sockets are closed"
done

# socket(AF_POST) autoloads the module again
loaded && rmmod post 2>/dev/null
out=$(./post_hold none 2>&1); r=$?
[ $r = 0 ] && loaded; r=$?
[ $r != 0 ] && echo "# post_hold none: $out"
ok $r "socket(AF_POST) autoloads the module"
loaded; ok $? "module loaded at the end"

echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ $fail = 0 ]
