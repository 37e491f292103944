#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# postctl(8) against the kernel: every command, exit codes, extack text
# reaching the user verbatim, JSON, -n NETNS, an unprivileged user, and
# the monitor watching carriers come and go between two namespaces.
# Prints TAP.
set -u
cd "$(dirname "$0")" || exit 1
P=../userspace/postctl
EX=../userspace/examples
A=pctl-a-$$ B=pctl-b-$$
n=0 pass=0 fail=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then pass=$((pass + 1)); echo "ok $n $2"
	else fail=$((fail + 1)); echo "not ok $n $2"; fi
}
# run CMD...: output in $out, status in $rc
run() { out=$("$@" 2>&1); rc=$?; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"; }
cleanup() {
	[ -n "${srv:-}" ] && kill "$srv" 2>/dev/null
	[ -n "${mon:-}" ] && kill "$mon" 2>/dev/null
	ip netns del $A 2>/dev/null
	ip netns del $B 2>/dev/null
}
trap cleanup EXIT

echo "TAP version 13"
echo "1..26"
ip netns add $A && ip netns add $B &&
ip -n $A link set lo up && ip -n $B link set lo up &&
ip link add va netns $A type veth peer name vb netns $B &&
ip -n $A addr add 192.0.2.1/24 dev va && ip -n $B addr add 192.0.2.2/24 dev vb &&
ip -n $A link set va up && ip -n $B link set vb up
ok $? "namespaces set up"

run $P --help
[ $rc = 0 ] && grep -q "postctl assoc show" <<<"$out"; ok $? "--help prints the commands, exit 0"
run $P frob show
[ $rc = 2 ] && grep -q "unknown object 'frob'" <<<"$out"; ok $? "unknown object: usage error, exit 2"
run $P -n $A assoc add remote 192.0.2.9
[ $rc = 2 ]; ok $? "missing port: usage error, exit 2"

run $P -n $A -j assoc add remote 192.0.2.9 port 5000 linger 600000
[ $rc = 0 ] && json 'd[0]["id"] >= 1 and d[0]["linger_ms"] == 600000 and d[0]["state"] == "dormant"' <<<"$out"
ok $? "assoc add replies with the new association (JSON)"
id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])' <<<"$out" 2>/dev/null)
run $P -n $A assoc show id "$id"
[ $rc = 0 ] && grep -q "^assoc $id state dormant .*remote 192.0.2.9:5000" <<<"$out"
ok $? "assoc show id"
run $P -n $A -j assoc add remote 192.0.2.10 remote 2001:db8::10 remote 203.0.113.10 port 7000
[ $rc = 0 ] && json 'd[0]["remote"][0]["addr"] == "192.0.2.10"' <<<"$out"
ok $? "assoc add with remote candidates"
cid=$(python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])' <<<"$out" 2>/dev/null)
run $P -n $A -j path show assoc "$cid"
[ $rc = 0 ] && json 'sorted(p["remote"]["addr"] for p in d) == ["2001:db8::10", "203.0.113.10"]' <<<"$out"
ok $? "each further candidate is a path"
run $P -n $A assoc add remote 192.0.2.11 remote 192.0.2.11 port 7000
[ $rc = 1 ] && grep -qx "Error: remote candidate listed twice" <<<"$out"; ok $? "a candidate twice is refused"
run $P -n $A assoc del id "$cid"
[ $rc = 0 ]; ok $? "assoc del of the candidates' association"
run $P -n $B -j assoc show
[ $rc = 0 ] && json 'd == []' <<<"$out"; ok $? "another namespace sees nothing"

run $P -n $A path add assoc "$id" remote 198.51.100.9 port 5000 backup
[ $rc = 0 ]; ok $? "path add"
run $P -n $A path add assoc "$id" remote 198.51.100.9 port 5000 backup
[ $rc = 1 ] && grep -qx "Error: path exists already" <<<"$out"
ok $? "duplicate path: the kernel's message verbatim, exit 1"
run $P -n $A path set assoc "$id" id 1 down
[ $rc = 0 ]; ok $? "path set"
run $P -n $A -j path show assoc "$id"
[ $rc = 0 ] && json 'len(d) == 1 and d[0]["backup"] and not d[0]["admin_up"]' <<<"$out"
ok $? "path show reflects backup and admin state"
run $P -n $A path del assoc "$id" id 1
[ $rc = 0 ]; ok $? "path del"
run $P -n $A path del assoc "$id" id 1
[ $rc = 1 ] && grep -qx "Error: no path with this id" <<<"$out"; ok $? "path del of an unknown id"

run $P -n $A policy set linger 0 reuse on reliability require resume prefer mptcp avoid
[ $rc = 0 ]; ok $? "policy set"
run $P -n $A -j policy show
[ $rc = 0 ] && json 'd[0]["linger_ms"] == 0 and d[0]["reliability"] == "require" and d[0]["resume"] == "prefer" and d[0]["mptcp"] == "avoid"' <<<"$out"
ok $? "policy show"

# (setns() itself needs privilege: enter the namespace first)
nobody="ip netns exec $A setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all"
run $nobody $P assoc del id "$id"
[ $rc = 1 ] && grep -q "Error: Operation not permitted" <<<"$out"; ok $? "unprivileged user: EPERM on a change"
run $nobody $P assoc show
[ $rc = 0 ] && grep -q "^assoc $id " <<<"$out"; ok $? "unprivileged user can read"

run $P -n $A assoc del id "$id"
[ $rc = 0 ]; ok $? "assoc del"
run $P -n $A assoc del id "$id"
[ $rc = 1 ] && grep -qx "Error: no association with this id" <<<"$out"; ok $? "assoc del of an unknown id"

# carriers: the monitor in A sees an accepted carrier's life
ip netns exec $A $P -j monitor > /tmp/pctl-mon.$$ 2>&1 &
mon=$!
# subscribed once it reports a change made after it started (a fixed
# sleep lost the first events on a loaded machine)
for i in $(seq 100); do
	$P -n $A policy set linger 0 >/dev/null 2>&1
	grep -q '"policy"' /tmp/pctl-mon.$$ && break
	sleep 0.1
done
ip netns exec $A $EX/post-echo-server 192.0.2.1 7300 >/dev/null 2>&1 &
srv=$!
sleep 0.5
ip netns exec $B $EX/post-client 192.0.2.1 7300 >/dev/null 2>&1
r=$?
run $P -n $A carrier show
grep -q . <<<"$out" && [ $rc = 0 ] && [ $r = 0 ]; ok $? "carrier show lists the listener"
sleep 1
kill $mon; wait $mon 2>/dev/null; mon=
python3 - /tmp/pctl-mon.$$ <<'EOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
names = [(e.get("object"), e.get("event")) for e in ev]
want = [("assoc", "created"), ("path", "up"), ("assoc", "active"),
        ("carrier", "created"), ("carrier", "closed"), ("path", "down"),
        ("assoc", "closed")]
got = [x for x in names if x in want]
if got != want:
    print("# monitor saw", names)
    sys.exit(1)
EOF
ok $? "monitor: created, path up, active, carrier created/closed, path down, closed"
run $P -n $A -j assoc show
[ $rc = 0 ] && json 'd == []' <<<"$out"; ok $? "linger 0: the association is gone with its carrier"
rm -f /tmp/pctl-mon.$$
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ $fail = 0 ]
