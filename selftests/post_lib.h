/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the AF_POST selftests: a pair of network namespaces
 * joined by veth, sockets created in either, and wire frame builders.
 */
#ifndef POST_LIB_H
#define POST_LIB_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <endian.h>

#include <linux/post.h>

#define ADDR_A	"192.0.2.1"	/* server namespace */
#define ADDR_B	"192.0.2.2"	/* client namespace */
#define ADDR6_A	"2001:db8::1"
#define ADDR6_B	"2001:db8::2"

struct nspair {
	char a[32], b[32];
	int fa, fb;		/* /run/netns fds */
};

static inline int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* What ip netns del does, without a process for it. */
static inline void netns_del(const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	umount2(path, MNT_DETACH);
	unlink(path);
}

static inline void nspair_teardown(struct nspair *p)
{
	if (p->fa >= 0)
		close(p->fa);
	if (p->fb >= 0)
		close(p->fb);
	netns_del(p->a);
	netns_del(p->b);
}

/*
 * Namespaces A and B joined by veth (va in A, vb in B), lo up in both.
 * Three ip processes in batch mode rather than one per step: on the
 * debug kernel under TCG, starting a process takes over a second.
 */
static inline int nspair_setup(struct nspair *p)
{
	char path[64];
	int pid = getpid();

	snprintf(p->a, sizeof(p->a), "posta%d", pid);
	snprintf(p->b, sizeof(p->b), "postb%d", pid);
	p->fa = p->fb = -1;
	if (sh("printf 'netns add %s\\nnetns add %s\\n"
	       "link add va netns %s type veth peer name vb netns %s\\n' | "
	       "ip -batch - && "
	       "printf 'link set lo up\\naddr add " ADDR_A "/24 dev va\\n"
	       "addr add " ADDR6_A "/64 dev va nodad\\nlink set va up\\n' | "
	       "ip -n %s -batch - && "
	       "printf 'link set lo up\\naddr add " ADDR_B "/24 dev vb\\n"
	       "addr add " ADDR6_B "/64 dev vb nodad\\nlink set vb up\\n' | "
	       "ip -n %s -batch -",
	       p->a, p->b, p->a, p->b, p->a, p->b))
		goto fail;
	snprintf(path, sizeof(path), "/run/netns/%s", p->a);
	p->fa = open(path, O_RDONLY);
	snprintf(path, sizeof(path), "/run/netns/%s", p->b);
	p->fb = open(path, O_RDONLY);
	if (p->fa < 0 || p->fb < 0)
		goto fail;
	/* the test itself lives in the client namespace */
	if (setns(p->fb, CLONE_NEWNET))
		goto fail;
	return 0;

fail:
	/* the teardown does not run after a failed setup */
	nspair_teardown(p);
	return -1;
}

/* socket() in namespace @ns; the caller stays where it was */
static inline int socket_in(struct nspair *p, int ns, int family, int type,
			    int proto)
{
	int s, err;

	if (setns(ns, CLONE_NEWNET))
		return -1;
	s = socket(family, type, proto);
	err = errno;
	setns(p->fb, CLONE_NEWNET);
	errno = err;
	return s;
}

static inline struct sockaddr_in sin4(const char *addr, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	inet_pton(AF_INET, addr, &a.sin_addr);
	return a;
}

static inline struct sockaddr_in6 sin6(const char *addr, int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

	inet_pton(AF_INET6, addr, &a.sin6_addr);
	return a;
}

/* An AF_POST (or TCP) listener in namespace A on ADDR_A, any port. */
static inline int listener_in_a(struct nspair *p, int family, int type,
				struct sockaddr_in *bound)
{
	struct sockaddr_in a = sin4(ADDR_A, 0);
	socklen_t len = sizeof(a);
	int one = 1, l;

	l = socket_in(p, p->fa, family, type, 0);
	if (l < 0)
		return -1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (void *)&a, sizeof(a)) || listen(l, 16) ||
	    getsockname(l, (void *)bound, &len))
		return -1;
	return l;
}

/* A connected pair of message carriers: *c in B, *s (accepted) in A. */
static inline int carrier_pair(struct nspair *p, int type, int *c, int *s)
{
	struct sockaddr_in a;
	int l = listener_in_a(p, AF_POST, type, &a);

	if (l < 0)
		return -1;
	*c = socket(AF_POST, type, 0);
	if (*c < 0 || connect(*c, (void *)&a, sizeof(a)))
		return -1;
	*s = accept(l, NULL, NULL);
	close(l);
	return *s < 0 ? -1 : 0;
}

/*
 * How much slower than the stock kernel this one is: the debug kernel
 * (KASAN, lockdep, kmemleak) runs the same scenario five to ten times
 * slower under TCG, so waits for something to happen are longer there,
 * and shaped links slower.  Waits that check something does not happen
 * keep their length.  run_tests.sh mounts debugfs.
 */
static inline int slow(void)
{
	static int factor;

	if (!factor)
		factor = access("/sys/kernel/debug/kmemleak", F_OK) ? 1 : 6;
	return factor;
}

static inline double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/*
 * Write @val to the sysctl @key ("net/ipv4/tcp_min_tso_segs") of the
 * calling thread's namespace: 0 or -1.
 */
static inline int sysctl_write(const char *key, const char *val)
{
	char path[128];
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = write(fd, val, strlen(val));
	close(fd);
	return r == (ssize_t)strlen(val) ? 0 : -1;
}

/* Write @val to net.post.@name of the calling thread's namespace: 0 or -1. */
static inline int post_sysctl_write(const char *name, const char *val)
{
	char key[64];

	snprintf(key, sizeof(key), "net/post/%s", name);
	return sysctl_write(key, val);
}

/* A Tcp counter of /proc/net/snmp (OutSegs...) in the calling thread's namespace, or -1 */
static inline long long tcp_snmp(const char *field)
{
	char hdr[1024], val[1024], *h, *v, *hs, *vs;
	FILE *f = fopen("/proc/self/net/snmp", "r");
	long long n = -1;

	if (!f)
		return -1;
	while (fgets(hdr, sizeof(hdr), f) && fgets(val, sizeof(val), f)) {
		if (strncmp(hdr, "Tcp:", 4))
			continue;
		h = strtok_r(hdr, " \n", &hs);
		v = strtok_r(val, " \n", &vs);
		while (h && v && strcmp(h, field)) {
			h = strtok_r(NULL, " \n", &hs);
			v = strtok_r(NULL, " \n", &vs);
		}
		if (h && v)
			n = atoll(v);
	}
	fclose(f);
	return n;
}

/* TCP segments sent (MSS-sized, however TSO packed them), or -1 */
static inline long long tcp_out_segs(void)
{
	return tcp_snmp("OutSegs");
}

static inline void fill(char *buf, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)(seed * 131 + i * 7 + (i >> 8));
}

/* Receive one whole message (until MSG_EOR) into buf; returns its length. */
static inline ssize_t recv_msg(int s, char *buf, size_t cap, int flags)
{
	size_t got = 0;

	for (;;) {
		struct iovec v = { buf + got, cap - got };
		struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };
		ssize_t r = recvmsg(s, &m, flags);

		if (r < 0)
			return -1;
		got += r;
		if (m.msg_flags & MSG_EOR)
			return got;
		if (r == 0)
			return -2;	/* EOF inside a message */
	}
}

/* ---- wire format v1 (Documentation/networking/post.rst) ---- */

static inline size_t frame_hdr(uint8_t *b, uint8_t type, uint8_t flags,
			       uint32_t len)
{
	b[0] = type;
	b[1] = flags;
	b[2] = b[3] = 0;
	*(uint32_t *)(b + 4) = htonl(len);
	return 8;
}

static inline size_t frame_hello(uint8_t *b, uint32_t magic, uint8_t ver,
				 uint8_t minver, uint32_t max_msg)
{
	size_t n = frame_hdr(b, 1, 0, 32);

	memset(b + n, 0, 32);
	*(uint32_t *)(b + n) = htonl(magic);
	b[n + 4] = ver;
	b[n + 5] = minver;
	*(uint32_t *)(b + n + 8) = htonl(max_msg);
	return n + 32;
}

/* DATA: the FIRST flag (1) adds the 16-byte extension, message id = seq */
static inline size_t frame_data_ante(uint8_t *b, uint8_t flags, uint64_t seq,
				     uint32_t msg_len, uint32_t off,
				     const void *payload, uint32_t plen,
				     const uint64_t *ante, uint16_t n_ante)
{
	uint32_t body = 16 + ((flags & 1) ? 16 + 8 * n_ante : 0) + plen;
	size_t n = frame_hdr(b, 2, flags, body);

	*(uint64_t *)(b + n) = htobe64(seq);
	*(uint32_t *)(b + n + 8) = htonl(msg_len);
	*(uint32_t *)(b + n + 12) = htonl(off);
	n += 16;
	if (flags & 1) {
		memset(b + n, 0, 16);
		*(uint64_t *)(b + n) = htobe64(seq);
		*(uint16_t *)(b + n + 8) = htons(n_ante);
		n += 16;
		for (uint16_t i = 0; i < n_ante; i++, n += 8)
			*(uint64_t *)(b + n) = htobe64(ante[i]);
	}
	memcpy(b + n, payload, plen);
	return n + plen;
}

static inline size_t frame_data(uint8_t *b, uint8_t flags, uint64_t seq,
				uint32_t msg_len, uint32_t off,
				const void *payload, uint32_t plen)
{
	return frame_data_ante(b, flags, seq, msg_len, off, payload, plen,
				NULL, 0);
}

static inline size_t frame_ack(uint8_t *b, uint64_t low, const uint64_t *seqs,
			       uint32_t n_seqs)
{
	size_t n = frame_hdr(b, 4, 0, 16 + 8 * n_seqs);

	*(uint64_t *)(b + n) = htobe64(low);
	*(uint32_t *)(b + n + 8) = htonl(n_seqs);
	*(uint32_t *)(b + n + 12) = 0;
	n += 16;
	for (uint32_t i = 0; i < n_seqs; i++, n += 8)
		*(uint64_t *)(b + n) = htobe64(seqs[i]);
	return n;
}

static inline size_t frame_abort(uint8_t *b, uint64_t seq)
{
	size_t n = frame_hdr(b, 3, 0, 12);

	*(uint64_t *)(b + n) = htobe64(seq);
	*(uint32_t *)(b + n + 8) = htonl(1);
	return n + 12;
}

#endif
