// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST under stress, between two network namespaces: many threads
 * creating, connecting, sending, shutting down and closing carriers at
 * once; concurrent senders on one carrier; closes racing a flooding
 * peer; and two fuzzers with fixed seeds (POST_FUZZ_SEED overrides):
 * random system call sequences with random control messages and
 * options, and a raw TCP peer writing random frames.
 *
 * Each test is bounded in time.  They pass when every call fails with
 * an errno rather than the kernel misbehaving; tools/vm-run then checks
 * the kernel log (and kmemleak on the debug kernel).
 */
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "post_lib.h"
#include "kselftest_harness.h"

/* the debug kernel (KASAN, lockdep) under TCG is many times slower */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

#define STRESS_SECS	4.0

static char pattern[1 << 20];

static unsigned int seed_base(void)
{
	const char *s = getenv("POST_FUZZ_SEED");

	return s ? strtoul(s, NULL, 0) : 20261122;
}

/* xorshift: reproducible per thread */
static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static int send_nice(int fd, const void *b, size_t n, int flags, uint32_t nice,
		     uint64_t id)
{
	char cb[CMSG_SPACE(4) + CMSG_SPACE(8)] __attribute__((aligned(8))) = {};
	struct iovec v = { (void *)b, n };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = cb,
			    .msg_controllen = sizeof(cb) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = SOL_POST;
	c->cmsg_type = POST_NICENESS;
	c->cmsg_len = CMSG_LEN(4);
	memcpy(CMSG_DATA(c), &nice, 4);
	c = CMSG_NXTHDR(&m, c);
	c->cmsg_level = SOL_POST;
	c->cmsg_type = POST_MSG_ID;
	c->cmsg_len = CMSG_LEN(8);
	memcpy(CMSG_DATA(c), &id, 8);
	return sendmsg(fd, &m, flags);
}

/*
 * Under fault_test.sh (POST_FAULTS set), allocations of the calling
 * thread, and of the threads it creates afterwards, fail at random: the
 * fault injection's task filter.  A test turns faults on once what it
 * must have (a listener) is set up.
 */
static void faults(int on)
{
	int fd;

	if (!getenv("POST_FAULTS"))
		return;
	fd = open("/proc/self/make-it-fail", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, on ? "1" : "0", 1) != 1)
			perror("make-it-fail");
		close(fd);
	}
}

/* pthread_create(), retried: under faults the clone may fail. */
static int spawn(pthread_t *th, void *(*fn)(void *), void *arg)
{
	int err = 0;

	for (int i = 0; i < 100; i++) {
		err = pthread_create(th, NULL, fn, arg);
		if (!err)
			break;
		usleep(1000);
	}
	return err;
}

FIXTURE(ns) {
	struct nspair p;
};

FIXTURE_SETUP(ns)
{
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = i * 7 + 3;
	ASSERT_EQ(0, nspair_setup(&self->p));
}

FIXTURE_TEARDOWN(ns)
{
	faults(0);
	nspair_teardown(&self->p);
}

/* ---- many threads, every operation at once ---- */

struct churn {
	struct nspair *p;
	struct sockaddr_in addr;
	int lsock;
	volatile int stop;
	uint32_t seed;
	long ops;
	double last;	/* when the last client operation finished */
};

static void *churn_server(void *arg)
{
	struct churn *c = arg;
	uint32_t s = c->seed;
	char b[4096];

	while (!c->stop) {
		struct pollfd pfd = { c->lsock, POLLIN };
		int fd;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		fd = accept4(c->lsock, NULL, NULL, SOCK_NONBLOCK);
		if (fd < 0)
			continue;
		switch (rnd(&s) % 4) {
		case 0:
			break;
		case 1:
			while (recv(fd, b, sizeof(b), 0) > 0)
				;
			break;
		case 2:
			send(fd, pattern, rnd(&s) % 5000, MSG_NOSIGNAL);
			shutdown(fd, rnd(&s) % 3);
			break;
		default:
			usleep(rnd(&s) % 5000);
			recv(fd, b, sizeof(b), MSG_PEEK);
			break;
		}
		close(fd);
		__atomic_add_fetch(&c->ops, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *churn_client(void *arg)
{
	struct churn *c = arg;
	uint32_t s = c->seed;
	struct linger lg = { 1, 0 };
	char b[4096];

	while (!c->stop) {
		int type = rnd(&s) % 5 ? SOCK_SEQPACKET : SOCK_STREAM;
		int fd = socket(AF_POST, type, 0);

		if (fd < 0)
			continue;
		if (rnd(&s) % 3 == 0)
			fcntl(fd, F_SETFL, O_NONBLOCK);
		if (connect(fd, (void *)&c->addr, sizeof(c->addr)) &&
		    errno != EINPROGRESS) {
			close(fd);
			continue;
		}
		for (int i = rnd(&s) % 20; i > 0; i--)
			if (send_nice(fd, pattern, rnd(&s) % 70000, MSG_DONTWAIT |
				      MSG_NOSIGNAL, rnd(&s) % 8, 0x1000 + i) < 0 &&
			    errno != EAGAIN)
				break;
		switch (rnd(&s) % 5) {
		case 0:
			shutdown(fd, SHUT_WR);
			recv(fd, b, sizeof(b), MSG_DONTWAIT);
			break;
		case 1:
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			break;
		case 2:
			shutdown(fd, SHUT_RDWR);
			break;
		default:
			break;
		}
		close(fd);
		__atomic_add_fetch(&c->ops, 1, __ATOMIC_RELAXED);
		c->last = now_s();
	}
	return NULL;
}

TEST_F(ns, many_threads_lifecycle)
{
	struct churn c = { .p = &self->p };
	struct churn srv[3], cli[5];
	pthread_t th[8];
	int n = 0, a, b, l2;
	double swapped;

	c.lsock = listener_in_a(&self->p, AF_POST, SOCK_SEQPACKET, &c.addr);
	ASSERT_LE(0, c.lsock);
	fcntl(c.lsock, F_SETFL, O_NONBLOCK);
	faults(1);	/* for the threads, which inherit it */
	for (int i = 0; i < 3; i++) {
		srv[i] = c;
		srv[i].seed = seed_base() + i + 1;
		ASSERT_EQ(0, spawn(&th[n++], churn_server, &srv[i]));
	}
	for (int i = 0; i < 5; i++) {
		cli[i] = c;
		cli[i].seed = seed_base() + 100 + i;
		ASSERT_EQ(0, spawn(&th[n++], churn_client, &cli[i]));
	}
	faults(0);
	usleep(STRESS_SECS * 1e6 / 2);
	/*
	 * The listener goes away under the clients' feet: dup2() puts a
	 * new one in its place atomically, so the servers keep their
	 * descriptor; it is non-blocking from the start, or a server
	 * losing an accept race would sleep in accept() past the test.
	 */
	l2 = listener_in_a(&self->p, AF_POST, SOCK_SEQPACKET | SOCK_NONBLOCK,
			   &c.addr);
	ASSERT_LE(0, l2);
	ASSERT_EQ(c.lsock, dup2(l2, c.lsock));
	close(l2);
	for (int i = 0; i < 5; i++)
		cli[i].addr = c.addr;
	swapped = now_s();
	usleep(STRESS_SECS * 1e6 / 2);
	/*
	 * Clients first: a client's last blocking connect() needs servers
	 * that still accept, or it waits out TCP's SYN retries (two minutes).
	 */
	for (int i = 0; i < 5; i++)
		cli[i].stop = 1;
	for (int i = 3; i < n; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 3; i++)
		srv[i].stop = 1;
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	/*
	 * Every client kept going after the listener was replaced.  How
	 * many operations fit in the time depends on the kernel (the debug
	 * kernel does a few per second), so only progress is asserted.
	 */
	for (int i = 0; i < 5; i++) {
		EXPECT_LT(2, cli[i].ops);
		EXPECT_TRUE(cli[i].last > swapped);
	}
	close(c.lsock);
	/* the family still works */
	ASSERT_EQ(0, carrier_pair(&self->p, SOCK_SEQPACKET, &a, &b));
	ASSERT_EQ(5, send(a, "hello", 5, 0));
	EXPECT_EQ(5, recv(b, pattern, 100, 0));
	close(a);
	close(b);
}

/* ---- one carrier, several senders ---- */

struct sender {
	int fd, tid;
	int sent;
};

#define PER_THREAD	1500

static void *one_sender(void *arg)
{
	struct sender *s = arg;
	uint32_t r = seed_base() + s->tid;

	for (int i = 0; i < PER_THREAD; i++) {
		uint64_t id = ((uint64_t)(s->tid + 1) << 32) | i;
		size_t len = 8 + rnd(&r) % 20000;
		char *b = malloc(len);

		memcpy(b, &id, 8);
		memcpy(b + 8, pattern, len - 8);
		if (send_nice(s->fd, b, len, 0, rnd(&r) % 4, id) != (ssize_t)len) {
			free(b);
			break;
		}
		free(b);
		s->sent++;
	}
	return NULL;
}

TEST_F(ns, concurrent_senders)
{
	static unsigned char seen[4][PER_THREAD];
	struct sender s[4];
	pthread_t th[4];
	static char b[32768];
	int c, srv, got = 0;

	ASSERT_EQ(0, carrier_pair(&self->p, SOCK_SEQPACKET, &c, &srv));
	for (int i = 0; i < 4; i++) {
		s[i] = (struct sender){ .fd = c, .tid = i };
		pthread_create(&th[i], NULL, one_sender, &s[i]);
	}
	while (got < 4 * PER_THREAD) {
		ssize_t n = recv(srv, b, sizeof(b), 0);
		uint64_t id;
		int t, i;

		ASSERT_LE(8, n);
		memcpy(&id, b, 8);
		t = (id >> 32) - 1;
		i = id & 0xffffffff;
		ASSERT_TRUE(t >= 0 && t < 4 && i < PER_THREAD);
		EXPECT_EQ(0, seen[t][i]);
		seen[t][i] = 1;
		EXPECT_EQ(0, memcmp(b + 8, pattern, n - 8));
		got++;
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(PER_THREAD, s[i].sent);
	}
	close(c);
	close(srv);
}

/* ---- closing while the peer floods ---- */

static void *flood(void *arg)
{
	int fd = *(int *)arg;

	while (send(fd, pattern, 60000, MSG_NOSIGNAL) > 0)
		;
	return NULL;
}

TEST_F(ns, close_while_peer_floods)
{
	for (int i = 0; i < 10; i++) {
		int type = i & 1 ? SOCK_STREAM : SOCK_SEQPACKET;
		pthread_t th;
		int c, s;

		ASSERT_EQ(0, carrier_pair(&self->p, type, &c, &s));
		pthread_create(&th, NULL, flood, &s);
		usleep(50000 + i * 10000);
		recv(c, pattern + 4096, 4096, MSG_DONTWAIT);
		close(c);
		/* the flooder sees the reset and stops */
		pthread_join(th, NULL);
		close(s);
	}
}

/* ---- fuzzing the system calls ---- */

#define FUZZ_FDS	8

static void fuzz_cmsgs(uint32_t *s, char *cb, size_t *len)
{
	size_t used = 0;
	int n = rnd(s) % 4;

	memset(cb, 0, 512);
	for (int i = 0; i < n; i++) {
		struct cmsghdr *c = (struct cmsghdr *)(cb + used);
		size_t dlen = rnd(s) % 3 ? (size_t[]){ 0, 4, 8, 16, 64, 520 }[rnd(s) % 6] :
					   rnd(s) % 100;

		if (used + CMSG_SPACE(dlen) > 512)
			break;
		c->cmsg_level = rnd(s) % 4 ? SOL_POST : (int[]){ SOL_SOCKET, SOL_IP, 0 }[rnd(s) % 3];
		c->cmsg_type = rnd(s) % 10;
		c->cmsg_len = CMSG_LEN(dlen);
		if (rnd(s) % 10 == 0)
			c->cmsg_len = rnd(s) % 64;	/* lies */
		for (size_t k = 0; k < dlen; k++)
			CMSG_DATA(c)[k] = rnd(s) % 3 ? 0 : rnd(s);
		if (dlen == 8 && rnd(s) % 2)
			*(uint64_t *)CMSG_DATA(c) = rnd(s) % 50;	/* ids in use */
		used += CMSG_SPACE(dlen);
	}
	*len = used;
}

static void fuzz_once(struct nspair *p, const struct sockaddr_in *la, uint32_t *s,
		      int *fds)
{
	static const int levels[] = { SOL_SOCKET, SOL_TCP, SOL_POST, SOL_IP, SOL_MPTCP, 0 };
	char buf[70000], cb[512] __attribute__((aligned(8)));
	int k = rnd(s) % FUZZ_FDS, fd = fds[k];
	struct sockaddr_in6 a6;
	struct sockaddr_in a;
	struct iovec v;
	struct msghdr m;
	size_t clen;
	socklen_t sl;
	int val[8];

	switch (rnd(s) % 14) {
	case 0:
		if (fd >= 0)
			close(fd);
		fds[k] = socket(AF_POST, rnd(s) % 3 ? SOCK_SEQPACKET : SOCK_STREAM,
				rnd(s) % 4 ? 0 : IPPROTO_MPTCP);
		if (fds[k] >= 0) {
			struct timeval tv = { 0, 20000 };

			setsockopt(fds[k], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			setsockopt(fds[k], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
			if (rnd(s) % 2)
				fcntl(fds[k], F_SETFL, O_NONBLOCK);
		}
		break;
	case 1:
		a = rnd(s) % 2 ? *la : sin4("127.0.0.1", rnd(s) % 3 ? 1 : 0);
		a.sin_family = rnd(s) % 8 ? AF_INET : rnd(s) % 50;
		sl = rnd(s) % 6 ? sizeof(a) : rnd(s) % 32;
		connect(fd, (void *)&a, sl);
		break;
	case 2:
		a6 = sin6(rnd(s) % 2 ? "::1" : ADDR6_B, 0);
		sl = rnd(s) % 6 ? sizeof(a6) : rnd(s) % 32;
		bind(fd, (void *)&a6, sl);
		break;
	case 3:
		a = sin4(rnd(s) % 2 ? ADDR_B : "0.0.0.0", 0);
		bind(fd, (void *)&a, sizeof(a));
		break;
	case 4:
		listen(fd, rnd(s) % 8);
		break;
	case 5: {
		int nfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK);

		if (nfd >= 0) {
			int j = rnd(s) % FUZZ_FDS;

			if (fds[j] >= 0)
				close(fds[j]);
			fds[j] = nfd;
		}
		break;
	}
	case 6:
		if (rnd(s) % 4 == 0) {
			/* further peer addresses: joins on connect */
			a = rnd(s) % 2 ? *la : sin4("127.0.0.1", 0);
			if (rnd(s) % 2)
				a.sin_port = 0;
			setsockopt(fd, SOL_POST, POST_REMOTE_ADD, &a,
				   rnd(s) % 6 ? sizeof(a) : rnd(s) % 32);
			break;
		}
		for (int i = 0; i < 8; i++)
			val[i] = rnd(s) % 4 ? rnd(s) % 3 : rnd(s);
		setsockopt(fd, levels[rnd(s) % 5], rnd(s) % 40, val, rnd(s) % 40);
		break;
	case 7:
		sl = rnd(s) % 40;
		getsockopt(fd, levels[rnd(s) % 6], rnd(s) % 40, val, &sl);
		break;
	case 8:
	case 9:
		v.iov_base = buf;
		v.iov_len = rnd(s) % 3 ? rnd(s) % 2000 : rnd(s) % sizeof(buf);
		memset(&m, 0, sizeof(m));
		m.msg_iov = &v;
		m.msg_iovlen = 1;
		fuzz_cmsgs(s, cb, &clen);
		if (clen) {
			m.msg_control = cb;
			m.msg_controllen = clen;
		}
		sendmsg(fd, &m, MSG_NOSIGNAL | (rnd(s) % 2 ? MSG_DONTWAIT : 0) |
			(rnd(s) % 20 ? 0 : MSG_OOB));
		break;
	case 10:
		v.iov_base = buf;
		v.iov_len = rnd(s) % sizeof(buf);
		memset(&m, 0, sizeof(m));
		m.msg_iov = &v;
		m.msg_iovlen = 1;
		m.msg_control = cb;
		m.msg_controllen = rnd(s) % sizeof(cb);
		recvmsg(fd, &m, MSG_DONTWAIT | (int[]){ 0, MSG_PEEK, MSG_ERRQUEUE,
						MSG_TRUNC, MSG_WAITALL }[rnd(s) % 5]);
		break;
	case 11: {
		struct pollfd pfd = { fd, POLLIN | POLLOUT | POLLRDHUP };

		poll(&pfd, 1, 0);
		break;
	}
	case 12:
		shutdown(fd, rnd(s) % 4);
		break;
	default:
		sl = sizeof(a6);
		getsockname(fd, (void *)&a6, &sl);
		sl = sizeof(a6);
		getpeername(fd, (void *)&a6, &sl);
		break;
	}
}

TEST_F(ns, fuzz_syscalls)
{
	int fds[FUZZ_FDS], l;
	struct sockaddr_in la;
	uint32_t s = seed_base();
	double t0 = now_s();
	long iters = 0;

	l = listener_in_a(&self->p, AF_POST, SOCK_SEQPACKET, &la);
	ASSERT_LE(0, l);
	fcntl(l, F_SETFL, O_NONBLOCK);
	for (int i = 0; i < FUZZ_FDS; i++)
		fds[i] = -1;
	faults(1);
	while (now_s() - t0 < STRESS_SECS * 2) {
		fuzz_once(&self->p, &la, &s, fds);
		if (++iters % 64 == 0) {
			int fd = accept4(l, NULL, NULL, SOCK_NONBLOCK);

			if (fd >= 0) {
				recv(fd, pattern, 1000, MSG_DONTWAIT);
				if (rnd(&s) % 2)
					send(fd, pattern, rnd(&s) % 3000, MSG_NOSIGNAL);
				close(fd);
			}
		}
	}
	for (int i = 0; i < FUZZ_FDS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	close(l);
	TH_LOG("%ld operations, seed %u", iters, seed_base());
	EXPECT_LT(500, iters);
}

/* ---- fuzzing the wire ---- */

static size_t random_frame(uint32_t *s, uint8_t *b, uint64_t *seq)
{
	uint8_t type = rnd(s) % 8 ? (uint8_t[]){ 2, 2, 2, 3, 4 }[rnd(s) % 5] : rnd(s) % 8;
	size_t n;

	if (type == 2) {
		uint32_t len = rnd(s) % 3 ? rnd(s) % 100 : rnd(s) % 70000;
		uint32_t off = rnd(s) % 4 ? 0 : rnd(s) % 50;
		uint8_t flags = rnd(s) % 4 ? 3 : rnd(s) % 4;
		uint64_t ante[3] = { *seq - 1, *seq - 2, rnd(s) % 8 };
		uint32_t plen = len - off < 5000 ? len - off : 5000;

		if (!off && flags & 1)
			n = frame_data_ante(b, flags, (*seq)++, len, off, pattern,
					    flags & 2 ? plen : plen / 2, ante,
					    rnd(s) % 4 ? 0 : 1 + rnd(s) % 3);
		else
			n = frame_data(b, flags, rnd(s) % 2 ? *seq - 1 : rnd(s) % 10,
				       len, off, pattern, plen);
	} else if (type == 3) {
		n = frame_abort(b, rnd(s) % 2 ? *seq - 1 : rnd(s));
	} else if (type == 4) {
		uint64_t seqs[4] = { rnd(s) % 5, rnd(s) % 5, 1, 0 };

		n = frame_ack(b, rnd(s) % 3, seqs, rnd(s) % 5);
	} else {
		n = frame_hdr(b, type, rnd(s) % 4, rnd(s) % 64);
		memset(b + n, 0, 64);
		n += rnd(s) % 64;
	}
	if (rnd(s) % 10 == 0)
		b[rnd(s) % n] ^= 1 << (rnd(s) % 8);	/* corrupt a bit */
	return n;
}

TEST_F(ns, fuzz_wire_frames)
{
	static uint8_t f[1 << 20];
	struct sockaddr_in a;
	uint32_t s = seed_base() ^ 0x5a5a;
	int l = listener_in_a(&self->p, AF_POST, SOCK_SEQPACKET, &a);
	int delivered = 0, eproto = 0;

	ASSERT_LE(0, l);
	for (int conn = 0; conn < 150; conn++) {
		struct timeval tv = { 0, 200000 };
		uint64_t seq = 1;
		size_t n = 0;
		int r, c;

		r = socket(AF_INET, SOCK_STREAM, 0);
		ASSERT_EQ(0, connect(r, (void *)&a, sizeof(a)));
		if (rnd(&s) % 20)
			n = frame_hello(f, 0x504f5354, 1 + rnd(&s) % 2 * (rnd(&s) % 3), 1,
					rnd(&s) % 10 ? 1 << 20 : rnd(&s) % 100);
		for (int i = rnd(&s) % 12; i > 0 && n < sizeof(f) - 80000; i--)
			n += random_frame(&s, f + n, &seq);
		send(r, f, n, MSG_NOSIGNAL);
		if (rnd(&s) % 2)
			shutdown(r, SHUT_WR);
		/* accept() returns it once it sent a HELLO or broke the rules */
		c = accept(l, NULL, NULL);
		ASSERT_LE(0, c);
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		for (;;) {
			ssize_t got = recv(c, pattern, 100000, 0);

			if (got >= 0 && got != 0) {
				delivered++;
				continue;
			}
			if (got < 0 && errno == EPROTO)
				eproto++;
			break;
		}
		if (rnd(&s) % 3 == 0) {
			struct linger lg = { 1, 0 };

			setsockopt(r, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		}
		close(r);
		close(c);
	}
	close(l);
	TH_LOG("%d messages delivered, %d carriers reset with EPROTO", delivered, eproto);
	EXPECT_LT(0, eproto);
	EXPECT_LT(0, delivered);
}

TEST_HARNESS_MAIN
