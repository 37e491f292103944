#!/bin/bash
cd "$(dirname "$0")" || exit 1
# Module lifetime: rmmod is refused while AF_POST sockets exist, works
# after they are closed, and socket(AF_POST) loads the module again.
# Prints kselftest-style TAP.
n=0 pass=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then pass=$((pass + 1)); echo "ok $n $2"; else fail=$((fail + 1)); echo "not ok $n $2"; fi; }
echo "TAP version 13"
echo "1..7"
# Carriers the earlier tests closed may still be flushing: a closed
# carrier pins the module for at most the orphan timeout (60 s).
refs() { cat /sys/module/post/refcnt 2>/dev/null || echo 0; }
r=1
for i in $(seq 70); do [ "$(refs)" = 0 ] && { r=0; break; }; sleep 1; done
[ $i -gt 1 ] && echo "# waited $i s for closed carriers to finish"
ok $r "closed carriers let go of the module within the orphan timeout"
py='import socket,sys,time; s=socket.socket(25, socket.SOCK_SEQPACKET); sys.stdout.write("up\n"); sys.stdout.flush(); time.sleep(30)'
python3 -c "$py" > /tmp/mt.out &
pid=$!
for i in $(seq 50); do grep -q up /tmp/mt.out 2>/dev/null && break; sleep 0.1; done
rmmod post 2>/dev/null; r=$?
[ $r != 0 ] && lsmod | grep -q '^post '; ok $? "rmmod refused while a carrier exists"
kill $pid; wait $pid 2>/dev/null
r=1
for i in $(seq 20); do rmmod post 2>/dev/null && { r=0; break; }; sleep 0.25; done
ok $r "rmmod succeeds once the carriers are closed"
python3 -c 'import socket; socket.socket(25, socket.SOCK_STREAM).close()'
ok $? "socket(AF_POST) autoloads the module"
lsmod | grep -q '^post '; ok $? "module loaded again"

# 100 load/unload cycles, carriers talking in between (autoloaded); 20
# on the debug kernel, where loading the module under TCG takes seconds
cycles=100
[ -e /sys/kernel/debug/kmemleak ] && cycles=20
r=0
for i in $(seq $cycles); do
	./post_pingpong || { r=1; echo "# cycle $i: carriers failed"; break; }
	u=1
	for j in $(seq 40); do rmmod post 2>/dev/null && { u=0; break; }; sleep 0.05; done
	[ $u = 0 ] || { r=1; echo "# cycle $i: rmmod failed"; break; }
done
# and once more, leaving the module loaded for tools/vm-run to unload
[ $r = 0 ] && ./post_pingpong && lsmod | grep -q '^post ' || r=1
ok $r "$cycles load/unload cycles with carriers in between"

# tools/vm-run unloads the module with these associations alive: one the
# administrator made, one dormant after its carriers (post_pingpong)
../userspace/postctl assoc add remote 192.0.2.1 port 9 >/dev/null &&
../userspace/postctl policy set linger 600000 && ./post_pingpong &&
[ "$(../userspace/postctl -j assoc show | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" -ge 2 ]
ok $? "associations left alive for the unload"
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ $fail = 0 ]
