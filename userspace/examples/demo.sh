#!/bin/bash
# make run: an AF_POST server and client in two network namespaces.
set -u
cd "$(dirname "$0")" || exit 1
srv=post-srv cli=post-cli
cleanup() { kill "$pid" 2>/dev/null; ip netns del $srv 2>/dev/null; ip netns del $cli 2>/dev/null; }
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

step "Two namespaces joined by a veth pair (192.0.2.1 <-> 192.0.2.2)"
modprobe -q veth
ip netns add $srv && ip netns add $cli &&
ip link add veth0 netns $srv type veth peer name veth1 netns $cli &&
ip -n $srv addr add 192.0.2.1/24 dev veth0 && ip -n $cli addr add 192.0.2.2/24 dev veth1 &&
ip -n $srv link set veth0 up && ip -n $cli link set veth1 up &&
ip -n $srv link set lo up && ip -n $cli link set lo up || exit 1

step "AF_POST message carrier server in $srv"
ip netns exec $srv ./post-echo-server 192.0.2.1 4242 &
pid=$!
sleep 0.5
../postctl -n $srv carrier show

step "Client in $cli sends messages; the server echoes each one whole"
ip netns exec $cli ./post-client 192.0.2.1 4242
rc=$?

step "The association the carriers used in $srv, now dormant (postctl)"
../postctl -n $srv assoc show

step "Summary"
if [ $rc = 0 ]; then echo "PASS: every message came back whole, boundaries kept"; else echo "FAIL"; fi
exit $rc
