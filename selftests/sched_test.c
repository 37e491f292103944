// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST message properties and the send scheduler, between two network
 * namespaces: control messages and their errors, niceness, lifetimes,
 * antecedents, preemption, back-pressure and per-message events.
 *
 * Ordering is observed by building a backlog: the receiver does not read
 * until the sender's queue is full, then reads everything and checks the
 * order of the message ids it got.
 */
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/wait.h>

#include "post_lib.h"
#include "kselftest_harness.h"

/* the debug kernel (KASAN, lockdep) under TCG is many times slower */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

#define BULK	(256 << 10)

static char big[32 << 20];
static char rbuf[(32 << 20) + 16];

struct props {
	int nice;		/* -1: none */
	int lifetime;		/* -1: none */
	uint64_t id;		/* 0: none */
	const uint64_t *ante;
	int n_ante;
	int idem, imm;		/* -1: none, else the int to pass */
};

#define P(...) (&(struct props){ .nice = -1, .lifetime = -1, .idem = -1, \
				 .imm = -1, __VA_ARGS__ })

static ssize_t psend(int fd, const void *buf, size_t len, int flags,
		     const struct props *p)
{
	char cb[1024] __attribute__((aligned(8))) = {};
	struct iovec v = { (void *)buf, len };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = cb,
			    .msg_controllen = sizeof(cb) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	size_t used = 0;

#define ADD(type, ptr, sz) do {						\
		c->cmsg_level = SOL_POST;				\
		c->cmsg_type = (type);					\
		c->cmsg_len = CMSG_LEN(sz);				\
		memcpy(CMSG_DATA(c), (ptr), (sz));			\
		used += CMSG_SPACE(sz);					\
		c = (struct cmsghdr *)((char *)c + CMSG_SPACE(sz));	\
	} while (0)

	if (p && p->nice >= 0)
		ADD(POST_NICENESS, &(uint32_t){ p->nice }, 4);
	if (p && p->lifetime >= 0)
		ADD(POST_LIFETIME, &(uint32_t){ p->lifetime }, 4);
	if (p && p->id)
		ADD(POST_MSG_ID, &p->id, 8);
	if (p && p->n_ante)
		ADD(POST_ANTECEDENTS, p->ante, 8 * p->n_ante);
	if (p && p->idem >= 0)
		ADD(POST_IDEMPOTENT, &p->idem, 4);
	if (p && p->imm >= 0)
		ADD(POST_IMMEDIATE, &p->imm, 4);
#undef ADD
	m.msg_controllen = used;
	if (!used)
		m.msg_control = NULL;
	return sendmsg(fd, &m, flags);
}

/* Send with one raw control message of @len bytes of @data. */
static ssize_t send_raw_cmsg(int fd, int level, int type, const void *data,
			     size_t len)
{
	char cb[CMSG_SPACE(1024)] __attribute__((aligned(8))) = {};
	struct iovec v = { "x", 1 };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = cb,
			    .msg_controllen = CMSG_SPACE(len) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(c), data, len);
	return sendmsg(fd, &m, MSG_DONTWAIT);
}

/* Receive a whole message; its id from the POST_MSG_ID cmsg. */
static ssize_t precv(int fd, char *buf, size_t cap, uint64_t *id, int flags)
{
	char cb[CMSG_SPACE(8)] __attribute__((aligned(8)));
	struct iovec v = { buf, cap };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = cb,
			    .msg_controllen = sizeof(cb) };
	struct cmsghdr *c;
	ssize_t n = recvmsg(fd, &m, flags);

	*id = 0;
	if (n < 0)
		return n;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_POST && c->cmsg_type == POST_MSG_ID)
			memcpy(id, CMSG_DATA(c), 8);
	if (!(m.msg_flags & MSG_EOR))
		return -2;
	return n;
}

/*
 * Queue niceness-7 bulk messages (ids 1000...) while the receiver does
 * not read, until the pipeline and the carrier's queue are full.  On a
 * slow kernel the pipeline takes longer to settle: until it has, TCP
 * may still take what is queued next, ahead of the bulk.
 */
static int backlog(int c)
{
	int n = 0, tries = 0;

	while (tries < 3) {
		if (psend(c, big, BULK, MSG_DONTWAIT,
			  P(.nice = 7, .id = 1000 + n)) == BULK) {
			n++;
			tries = 0;
			continue;
		}
		if (errno != EAGAIN)
			return -1;
		tries++;
		usleep(100000 * slow());
	}
	return n;
}

/* Read @n messages, storing their ids in order. */
static int drain(int s, uint64_t *ids, int n)
{
	struct timeval tv = { 10, 0 };

	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (int i = 0; i < n; i++)
		if (precv(s, rbuf, sizeof(rbuf), &ids[i], 0) < 0)
			return i;
	return n;
}

static int index_of(const uint64_t *ids, int n, uint64_t id)
{
	for (int i = 0; i < n; i++)
		if (ids[i] == id)
			return i;
	return -1;
}

struct ev_count {
	int sent, acked, expired, other;
};

/* Read events for up to @ms milliseconds, counting those of @id. */
static void events(int fd, uint64_t id, struct ev_count *ec, int ms,
		   int stop_after_acked)
{
	struct post_msg_event ev[64];
	double end = now_s() + ms / 1e3;

	while (now_s() < end) {
		ssize_t n = recv(fd, ev, sizeof(ev), MSG_ERRQUEUE | MSG_DONTWAIT);

		if (n < 0) {
			if (stop_after_acked && ec->acked)
				return;
			usleep(10000);
			continue;
		}
		for (size_t i = 0; i < n / sizeof(ev[0]); i++) {
			if (ev[i].msg_id != id)
				continue;
			if (ev[i].type == POST_EV_SENT)
				ec->sent++;
			else if (ev[i].type == POST_EV_ACKED)
				ec->acked++;
			else if (ev[i].type == POST_EV_EXPIRED)
				ec->expired++;
			else
				ec->other++;
		}
	}
}

static int set_events(int fd)
{
	uint32_t mask = POST_EV_MASK_ALL;

	return setsockopt(fd, SOL_POST, POST_EVENTS, &mask, sizeof(mask));
}

FIXTURE(ns) {
	struct nspair p;
	int c, s;
};

FIXTURE_SETUP(ns)
{
	ASSERT_EQ(0, nspair_setup(&self->p));
	ASSERT_EQ(0, carrier_pair(&self->p, SOCK_SEQPACKET, &self->c, &self->s));
}

FIXTURE_TEARDOWN(ns)
{
	close(self->c);
	close(self->s);
	nspair_teardown(&self->p);
}

TEST_F(ns, bad_control_messages)
{
	uint64_t ids[70], id;
	uint32_t v32 = 1;
	int i;

	/* wrong sizes */
	EXPECT_EQ(-1, send_raw_cmsg(self->c, SOL_POST, POST_NICENESS, &v32, 2));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, send_raw_cmsg(self->c, SOL_POST, POST_NICENESS, ids, 8));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, send_raw_cmsg(self->c, SOL_POST, POST_LIFETIME, ids, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, send_raw_cmsg(self->c, SOL_POST, POST_MSG_ID, &v32, 4));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, send_raw_cmsg(self->c, SOL_POST, POST_ANTECEDENTS, ids, 12));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, send_raw_cmsg(self->c, SOL_POST, POST_ANTECEDENTS, ids, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, send_raw_cmsg(self->c, SOL_POST, POST_IMMEDIATE, ids, 8));
	EXPECT_EQ(EINVAL, errno);
	v32 = 2;
	EXPECT_EQ(-1, send_raw_cmsg(self->c, SOL_POST, POST_IDEMPOTENT, &v32, 4));
	EXPECT_EQ(EINVAL, errno);
	/* unknown type, other levels */
	EXPECT_EQ(-1, send_raw_cmsg(self->c, SOL_POST, 99, &v32, 4));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, send_raw_cmsg(self->c, SOL_POST, POST_EVENTS, &v32, 4));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, send_raw_cmsg(self->c, SOL_IP, POST_NICENESS, &v32, 4));
	EXPECT_EQ(EINVAL, errno);
	/* reserved ids */
	id = 0;
	EXPECT_EQ(-1, send_raw_cmsg(self->c, SOL_POST, POST_MSG_ID, &id, 8));
	EXPECT_EQ(EINVAL, errno);
	id = POST_MSG_ID_KERNEL | 5;
	EXPECT_EQ(-1, send_raw_cmsg(self->c, SOL_POST, POST_MSG_ID, &id, 8));
	EXPECT_EQ(EINVAL, errno);

	/* a type twice */
	if (1) {
		char cb[2 * CMSG_SPACE(4)] __attribute__((aligned(8))) = {};
		struct iovec v = { "x", 1 };
		struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1,
				    .msg_control = cb, .msg_controllen = sizeof(cb) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);

		for (i = 0; i < 2; i++, c = CMSG_NXTHDR(&m, c)) {
			c->cmsg_level = SOL_POST;
			c->cmsg_type = POST_NICENESS;
			c->cmsg_len = CMSG_LEN(4);
		}
		EXPECT_EQ(-1, sendmsg(self->c, &m, 0));
		EXPECT_EQ(EINVAL, errno);
	}
	/* antecedents: never sent, too many, repeated, itself */
	ids[0] = 12345;
	EXPECT_EQ(-1, psend(self->c, "x", 1, 0, P(.ante = ids, .n_ante = 1)));
	EXPECT_EQ(EINVAL, errno);
	ids[0] = POST_MSG_ID_KERNEL | 999999;
	EXPECT_EQ(-1, psend(self->c, "x", 1, 0, P(.ante = ids, .n_ante = 1)));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(1, psend(self->c, "a", 1, 0, P(.id = 1)));
	for (i = 0; i < 65; i++)
		ids[i] = 1;
	EXPECT_EQ(-1, psend(self->c, "x", 1, 0, P(.ante = ids, .n_ante = 65)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, psend(self->c, "x", 1, 0, P(.ante = ids, .n_ante = 2)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, psend(self->c, "x", 1, 0, P(.id = 1, .ante = ids, .n_ante = 1)) < 0 &&
		  (errno == EINVAL || errno == EEXIST) ? -1 : 0);
	/* nothing of the rejected ones was queued: "a" is next, then "b" */
	ASSERT_EQ(1, psend(self->c, "b", 1, 0, P(.id = 2, .ante = ids, .n_ante = 1)));
	ASSERT_EQ(1, precv(self->s, rbuf, 100, &id, 0));
	EXPECT_EQ(1U, id);
	EXPECT_EQ('a', rbuf[0]);
	ASSERT_EQ(1, precv(self->s, rbuf, 100, &id, 0));
	EXPECT_EQ(2U, id);
	EXPECT_EQ('b', rbuf[0]);
	EXPECT_EQ(-1, recv(self->s, rbuf, 100, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_F(ns, duplicate_id_in_flight)
{
	uint64_t ids[64], id;
	int n = backlog(self->c);

	ASSERT_LT(0, n);
	/* the receiver reads nothing: id 7 stays unacknowledged */
	ASSERT_EQ(1, psend(self->c, "x", 1, MSG_DONTWAIT, P(.nice = 0, .id = 7)));
	EXPECT_EQ(-1, psend(self->c, "y", 1, MSG_DONTWAIT, P(.nice = 0, .id = 7)));
	EXPECT_EQ(EEXIST, errno);
	ASSERT_EQ(n + 1, drain(self->s, ids, n + 1));
	EXPECT_LE(0, index_of(ids, n + 1, 7));
	/* once acknowledged, an id may be used again */
	usleep(200000);
	ASSERT_EQ(1, psend(self->c, "z", 1, 0, P(.id = 7)));
	ASSERT_EQ(1, precv(self->s, rbuf, 100, &id, 0));
	EXPECT_EQ(7U, id);
	EXPECT_EQ('z', rbuf[0]);
}

TEST_F(ns, stream_carrier_rejects_properties)
{
	uint32_t v = 1;
	socklen_t len = sizeof(v);
	int c, s;

	ASSERT_EQ(0, carrier_pair(&self->p, SOCK_STREAM, &c, &s));
	EXPECT_EQ(-1, send_raw_cmsg(c, SOL_POST, POST_NICENESS, &v, 4));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(c, SOL_POST, POST_NICENESS, &v, sizeof(v)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, getsockopt(c, SOL_POST, POST_NICENESS, &v, &len));
	EXPECT_EQ(EINVAL, errno);
	close(c);
	close(s);
}

TEST_F(ns, default_properties)
{
	uint32_t v = 5, got = 0;
	socklen_t len = sizeof(got);
	int one = 1;

	ASSERT_EQ(0, setsockopt(self->c, SOL_POST, POST_NICENESS, &v, sizeof(v)));
	ASSERT_EQ(0, getsockopt(self->c, SOL_POST, POST_NICENESS, &got, &len));
	EXPECT_EQ(5U, got);
	v = 250;
	ASSERT_EQ(0, setsockopt(self->c, SOL_POST, POST_LIFETIME, &v, sizeof(v)));
	ASSERT_EQ(0, getsockopt(self->c, SOL_POST, POST_LIFETIME, &got, &len));
	EXPECT_EQ(250U, got);
	ASSERT_EQ(0, setsockopt(self->c, SOL_POST, POST_IMMEDIATE, &one, sizeof(one)));
	ASSERT_EQ(0, getsockopt(self->c, SOL_POST, POST_IMMEDIATE, &got, &len));
	EXPECT_EQ(1U, got);
	ASSERT_EQ(0, setsockopt(self->c, SOL_POST, POST_IDEMPOTENT, &one, sizeof(one)));
	ASSERT_EQ(0, getsockopt(self->c, SOL_POST, POST_IDEMPOTENT, &got, &len));
	EXPECT_EQ(1U, got);
	EXPECT_EQ(-1, setsockopt(self->c, SOL_POST, POST_MSG_ID, &v, sizeof(v)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(self->c, SOL_POST, POST_ANTECEDENTS, &v, sizeof(v)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(self->c, SOL_POST, POST_NICENESS, &v, 2));
	EXPECT_EQ(EINVAL, errno);
	v = 1U << 20;
	EXPECT_EQ(-1, setsockopt(self->c, SOL_POST, POST_EVENTS, &v, sizeof(v)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(self->c, SOL_POST, 99, &v, sizeof(v)));
	EXPECT_EQ(ENOPROTOOPT, errno);
	/* messages still flow with those defaults */
	ASSERT_EQ(3, send(self->c, "abc", 3, 0));
	ASSERT_EQ(3, recv(self->s, rbuf, 100, 0));
}

TEST_F(ns, received_ids)
{
	uint64_t id, prev = 0;

	ASSERT_EQ(1, psend(self->c, "a", 1, 0, P(.id = 0x1234567890ULL)));
	ASSERT_EQ(1, precv(self->s, rbuf, 100, &id, 0));
	EXPECT_EQ(0x1234567890ULL, id);
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(1, send(self->c, "k", 1, 0));
		ASSERT_EQ(1, precv(self->s, rbuf, 100, &id, 0));
		EXPECT_TRUE((id & POST_MSG_ID_KERNEL) != 0);
		EXPECT_LT(prev, id);
		prev = id;
	}
	/* pieces of one message all carry its id */
	ASSERT_EQ(1000, psend(self->c, big, 1000, 0, P(.id = 77)));
	if (1) {
		char cb[CMSG_SPACE(8)] __attribute__((aligned(8)));
		struct iovec v = { rbuf, 400 };
		struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };
		uint64_t got;

		for (int i = 0; i < 3; i++) {
			m.msg_control = cb;
			m.msg_controllen = sizeof(cb);
			ASSERT_LT(0, recvmsg(self->s, &m, 0));
			ASSERT_NE(NULL, CMSG_FIRSTHDR(&m));
			memcpy(&got, CMSG_DATA(CMSG_FIRSTHDR(&m)), 8);
			EXPECT_EQ(77U, got);
		}
		EXPECT_TRUE(m.msg_flags & MSG_EOR);
	}
}

TEST_F(ns, niceness_order)
{
	int sndbuf = 1 << 20, n, u;
	uint64_t ids[256];

	/*
	 * Room for several bulk messages in the carrier: when niceness 7
	 * is refused, whole unsent ones are queued, not only the rest of
	 * one whose last chunk the transport is taking.
	 */
	ASSERT_EQ(0, setsockopt(self->c, SOL_SOCKET, SO_SNDBUF, &sndbuf,
				sizeof(sndbuf)));
	n = backlog(self->c);
	ASSERT_LT(1, n);
	/* the queue is full for niceness 7, not for niceness 0 */
	EXPECT_EQ(-1, psend(self->c, big, BULK, MSG_DONTWAIT, P(.nice = 7, .id = 5000)));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(64, psend(self->c, big, 64, MSG_DONTWAIT, P(.nice = 0, .id = 1)));
	ASSERT_EQ(n + 1, drain(self->s, ids, n + 1));
	u = index_of(ids, n + 1, 1);
	/* it overtook the bulk messages still in the carrier's queue */
	EXPECT_LE(0, u);
	EXPECT_LT(u, n);
	EXPECT_EQ(1000U + n - 1, ids[n]);
	/* bulk ones stayed in order */
	for (int i = 1, last = -1; i <= n; i++) {
		if (ids[i] == 1)
			continue;
		EXPECT_LT(last, (int)ids[i]);
		last = ids[i];
	}
}

TEST_F(ns, deadline_order_within_class)
{
	uint64_t ids[256];
	int n = backlog(self->c), a, b, d;

	ASSERT_LT(1, n);
	/* same niceness: the earlier deadline first, then send order */
	ASSERT_EQ(10, psend(self->c, big, 10, MSG_DONTWAIT, P(.nice = 3, .id = 1)));
	ASSERT_EQ(10, psend(self->c, big, 10, MSG_DONTWAIT,
			    P(.nice = 3, .id = 2, .lifetime = 20000)));
	ASSERT_EQ(10, psend(self->c, big, 10, MSG_DONTWAIT,
			    P(.nice = 3, .id = 3, .lifetime = 10000)));
	ASSERT_EQ(n + 3, drain(self->s, ids, n + 3));
	a = index_of(ids, n + 3, 1);
	b = index_of(ids, n + 3, 2);
	d = index_of(ids, n + 3, 3);
	EXPECT_LT(d, b);
	EXPECT_LT(b, a);
}

TEST_F(ns, lifetime_expires_unsent)
{
	struct ev_count ec = {};
	uint64_t ids[256];
	int n;

	ASSERT_EQ(0, set_events(self->c));
	n = backlog(self->c);
	ASSERT_LT(1, n);
	ASSERT_EQ(100, psend(self->c, big, 100, MSG_DONTWAIT,
			     P(.nice = 3, .id = 1, .lifetime = 50)));
	events(self->c, 1, &ec, 400, 0);
	EXPECT_EQ(1, ec.expired);
	EXPECT_EQ(0, ec.sent);
	/* everything else arrives, in order; the expired one never */
	ASSERT_EQ(n, drain(self->s, ids, n));
	for (int i = 0; i < n; i++)
		EXPECT_EQ(1000U + i, ids[i]);
	EXPECT_EQ(-1, recv(self->s, rbuf, 100, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	events(self->c, 1, &ec, 200, 0);
	EXPECT_EQ(1, ec.expired);
	EXPECT_EQ(0, ec.acked);
}

TEST_F(ns, expired_antecedent_expires_dependents)
{
	struct ev_count ea = {}, eb = {}, ec = {}, ed = {};
	uint64_t ids[256], a = 1, b = 2;
	int n;

	ASSERT_EQ(0, set_events(self->c));
	n = backlog(self->c);
	ASSERT_LT(1, n);
	ASSERT_EQ(10, psend(self->c, big, 10, MSG_DONTWAIT,
			    P(.nice = 3, .id = 1, .lifetime = 50)));
	ASSERT_EQ(10, psend(self->c, big, 10, MSG_DONTWAIT,
			    P(.nice = 0, .id = 2, .ante = &a, .n_ante = 1)));
	ASSERT_EQ(10, psend(self->c, big, 10, MSG_DONTWAIT,
			    P(.nice = 0, .id = 3, .ante = &b, .n_ante = 1)));
	usleep(300000);
	/* depending on an expired message expires at once */
	ASSERT_EQ(10, psend(self->c, big, 10, MSG_DONTWAIT,
			    P(.nice = 0, .id = 4, .ante = &a, .n_ante = 1)));
	ASSERT_EQ(n, drain(self->s, ids, n));
	for (int i = 0; i < n; i++)
		EXPECT_EQ(1000U + i, ids[i]);
	EXPECT_EQ(-1, recv(self->s, rbuf, 100, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	if (1) {
		struct post_msg_event ev[64];
		ssize_t r;

		while ((r = recv(self->c, ev, sizeof(ev), MSG_ERRQUEUE | MSG_DONTWAIT)) > 0)
			for (size_t i = 0; i < r / sizeof(ev[0]); i++) {
				struct ev_count *e = ev[i].msg_id == 1 ? &ea :
						     ev[i].msg_id == 2 ? &eb :
						     ev[i].msg_id == 3 ? &ec :
						     ev[i].msg_id == 4 ? &ed : NULL;

				if (!e || ev[i].type != POST_EV_EXPIRED)
					continue;
				e->expired++;
			}
	}
	EXPECT_EQ(1, ea.expired);
	EXPECT_EQ(1, eb.expired);
	EXPECT_EQ(1, ec.expired);
	EXPECT_EQ(1, ed.expired);
}

/*
 * Messages sent without ids can be named later: the first message that
 * names an id finds them whether done (acknowledged, expired, or fallen
 * out of the history), in flight or still queued.
 */
TEST_F(ns, kernel_ids_named_later)
{
	uint64_t first = 0, last = 0, x = 0, id, two[2], one, ids[260];
	struct post_msg_event ev[64];
	struct ev_count e = {};
	int n, tries = 0, ix = -1, iw = -1, iz = -1;
	ssize_t r;

	for (int i = 0; i < POST_ID_HISTORY + 44; i++) {
		ASSERT_EQ(10, psend(self->c, big, 10, 0, NULL));
		ASSERT_EQ(10, precv(self->s, rbuf, sizeof(rbuf), &id, 0));
		ASSERT_NE(0ULL, id & POST_MSG_ID_KERNEL);
		ASSERT_NE(last, id);
		if (!first)
			first = id;
		last = id;
	}
	/* fill the pipeline and the queue, still without ids */
	for (n = 0; tries < 3;) {
		if (psend(self->c, big, BULK, MSG_DONTWAIT, P(.nice = 7)) == BULK) {
			n++;
			tries = 0;
			continue;
		}
		ASSERT_EQ(EAGAIN, errno);
		tries++;
		usleep(100000);
	}
	ASSERT_LT(1, n);
	ASSERT_GT(250, n);
	ASSERT_EQ(0, set_events(self->c));
	/*
	 * Nothing reaches A for a while: the urgent message cannot slip
	 * into the transport before its lifetime ends, however slowly the
	 * kernel drained the pipeline so far.
	 */
	ASSERT_EQ(0, sh("ip netns exec %s tc qdisc add dev vb root netem loss 100%%",
			self->p.b));
	ASSERT_EQ(10, psend(self->c, big, 10, MSG_DONTWAIT,
			    P(.nice = 3, .lifetime = 50)));
	for (int k = 0; k < 50 && !x; k++) {
		usleep(100000);
		while ((r = recv(self->c, ev, sizeof(ev),
				 MSG_ERRQUEUE | MSG_DONTWAIT)) > 0)
			for (size_t i = 0; i < r / sizeof(ev[0]); i++)
				if (ev[i].type == POST_EV_EXPIRED)
					x = ev[i].msg_id;
	}
	ASSERT_EQ(0, sh("ip netns exec %s tc qdisc del dev vb root", self->p.b));
	ASSERT_NE(0ULL, x & POST_MSG_ID_KERNEL);

	/* the first message naming an id: an expired antecedent */
	ASSERT_EQ(10, psend(self->c, big, 10, MSG_DONTWAIT,
			    P(.id = 5000, .ante = &x, .n_ante = 1)));
	/* acknowledged ones, in the history and fallen out of it */
	two[0] = first;
	two[1] = last;
	ASSERT_EQ(10, psend(self->c, big, 10, MSG_DONTWAIT,
			    P(.id = 5001, .ante = two, .n_ante = 2)));
	/* a queued one: kernel ids count up, the last bulk one is x - 1 */
	one = x - 1;
	ASSERT_EQ(10, psend(self->c, big, 10, MSG_DONTWAIT,
			    P(.id = 5002, .ante = &one, .n_ante = 1)));
	/* never assigned */
	one = x + 1000;
	EXPECT_EQ(-1, psend(self->c, big, 10, MSG_DONTWAIT,
			    P(.id = 5003, .ante = &one, .n_ante = 1)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, psend(self->c, big, 10, MSG_DONTWAIT, P(.id = 5002)));
	EXPECT_EQ(EEXIST, errno);

	ASSERT_EQ(n + 2, drain(self->s, ids, n + 2));
	EXPECT_EQ(-1, recv(self->s, rbuf, 100, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	ix = index_of(ids, n + 2, x - 1);
	iw = index_of(ids, n + 2, 5002);
	iz = index_of(ids, n + 2, 5001);
	EXPECT_LE(0, ix);
	EXPECT_LT(ix, iw);
	EXPECT_LE(0, iz);
	EXPECT_EQ(-1, index_of(ids, n + 2, 5000));
	EXPECT_EQ(-1, index_of(ids, n + 2, x));
	events(self->c, 5000, &e, 500, 0);
	EXPECT_EQ(1, e.expired);
	EXPECT_EQ(0, e.sent);
}

/*
 * The history remembers the messages sent with an application's id, not
 * those with the kernel's (a kernel id it does not hold is done anyway):
 * any number of the latter leave an application id resolvable, while
 * POST_ID_HISTORY later application ids make it forgotten (EINVAL).
 */
TEST_F(ns, history_keeps_application_ids)
{
	uint64_t one = 1, id;

	ASSERT_EQ(10, psend(self->c, big, 10, 0, P(.id = 1)));
	ASSERT_EQ(10, precv(self->s, rbuf, sizeof(rbuf), &id, 0));
	ASSERT_EQ(1U, id);
	for (int i = 0; i < 2 * POST_ID_HISTORY; i++) {
		ASSERT_EQ(10, psend(self->c, big, 10, 0, NULL));
		ASSERT_EQ(10, precv(self->s, rbuf, sizeof(rbuf), &id, 0));
		ASSERT_NE(0ULL, id & POST_MSG_ID_KERNEL);
	}
	/* acknowledged long ago, and still known */
	ASSERT_EQ(10, psend(self->c, big, 10, 0,
			    P(.id = 2, .ante = &one, .n_ante = 1)));
	ASSERT_EQ(10, precv(self->s, rbuf, sizeof(rbuf), &id, 0));
	ASSERT_EQ(2U, id);

	/*
	 * POST_ID_HISTORY newer application ids after id 1 (id 2 is one),
	 * with some to spare for the last ones not yet acknowledged
	 */
	for (int i = 0; i < POST_ID_HISTORY + 16; i++) {
		ASSERT_EQ(10, psend(self->c, big, 10, 0, P(.id = 100 + i)));
		ASSERT_EQ(10, precv(self->s, rbuf, sizeof(rbuf), &id, 0));
		ASSERT_EQ(100U + i, id);
	}
	usleep(200000);
	EXPECT_EQ(-1, psend(self->c, big, 10, 0,
			    P(.id = 3, .ante = &one, .n_ante = 1)));
	EXPECT_EQ(EINVAL, errno);
	/* the latest ones are remembered */
	one = 100 + POST_ID_HISTORY + 15;
	EXPECT_EQ(10, psend(self->c, big, 10, 0,
			    P(.id = 3, .ante = &one, .n_ante = 1)));
	EXPECT_EQ(10, precv(self->s, rbuf, sizeof(rbuf), &id, 0));
	EXPECT_EQ(3U, id);
}

TEST_F(ns, antecedent_chain_beats_niceness)
{
	uint64_t ids[256], a = 1;
	int n = backlog(self->c), ia, ib, ic;

	ASSERT_LT(1, n);
	ASSERT_EQ(100000, psend(self->c, big, 100000, MSG_DONTWAIT,
				P(.nice = 5, .id = 1)));
	ASSERT_EQ(10, psend(self->c, big, 10, MSG_DONTWAIT,
			    P(.nice = 0, .id = 2, .ante = &a, .n_ante = 1)));
	ASSERT_EQ(10, psend(self->c, big, 10, MSG_DONTWAIT, P(.nice = 1, .id = 3)));
	ASSERT_EQ(n + 3, drain(self->s, ids, n + 3));
	ia = index_of(ids, n + 3, 1);
	ib = index_of(ids, n + 3, 2);
	ic = index_of(ids, n + 3, 3);
	EXPECT_LT(ic, ia);
	EXPECT_LT(ia, ib);
}

TEST_F(ns, antecedent_diamond)
{
	uint64_t ids[256], a = 1, bc[2] = { 2, 3 };
	int n = backlog(self->c), i[5];

	ASSERT_LT(1, n);
	ASSERT_EQ(50000, psend(self->c, big, 50000, MSG_DONTWAIT, P(.nice = 6, .id = 1)));
	ASSERT_EQ(10, psend(self->c, big, 10, MSG_DONTWAIT,
			    P(.nice = 3, .id = 2, .ante = &a, .n_ante = 1)));
	ASSERT_EQ(10, psend(self->c, big, 10, MSG_DONTWAIT,
			    P(.nice = 2, .id = 3, .ante = &a, .n_ante = 1)));
	ASSERT_EQ(10, psend(self->c, big, 10, MSG_DONTWAIT,
			    P(.nice = 0, .id = 4, .ante = bc, .n_ante = 2)));
	ASSERT_EQ(n + 4, drain(self->s, ids, n + 4));
	for (int k = 1; k <= 4; k++)
		i[k] = index_of(ids, n + 4, k);
	EXPECT_LT(i[1], i[2]);
	EXPECT_LT(i[1], i[3]);
	EXPECT_LT(i[3], i[2]);	/* both ready: niceness decides */
	EXPECT_LT(i[2], i[4]);
	EXPECT_LT(i[3], i[4]);
}

#define LARGE	(16 << 20)

TEST_F(ns, preemption_of_large_message)
{
	uint64_t id;
	ssize_t n;

	/*
	 * 16 MiB take about 0.7 s at 200 Mbit/s.  The debug kernel builds
	 * and sends frames so slowly (about 2 MB/s of 4 KiB chunks, where
	 * the path's rate gives chunks of that size) that the link must be
	 * slower still there, or the whole message is in TCP's and netem's
	 * queues before the urgent one comes: 11 Mbit/s.
	 */
	ASSERT_EQ(0, sh("tc -n %s qdisc add dev vb root netem rate %dmbit",
			self->p.b, slow() > 1 ? 11 : 200));
	/*
	 * Queue the big one first, without a thread whose start a slow
	 * (debug) kernel may delay: an empty queue admits any message, so
	 * it does not block.  Then the urgent one.
	 */
	ASSERT_EQ(LARGE, psend(self->c, big, LARGE, MSG_DONTWAIT,
			       P(.nice = 7, .id = 100)));
	ASSERT_EQ(64, psend(self->c, big, 64, 0, P(.nice = 0, .id = 1)));
	n = precv(self->s, rbuf, sizeof(rbuf), &id, 0);
	EXPECT_EQ(64, n);
	EXPECT_EQ(1U, id);
	n = precv(self->s, rbuf, sizeof(rbuf), &id, 0);
	EXPECT_EQ(LARGE, n);
	EXPECT_EQ(100U, id);
}

TEST_F(ns, events_exactly_once)
{
	struct post_msg_event ev[64];
	int sent[101] = {}, acked[101] = {}, others = 0, done = 0;
	double end;

	/* not enabled: nothing is reported */
	ASSERT_EQ(1, psend(self->c, "x", 1, 0, P(.id = 500)));
	ASSERT_EQ(1, recv(self->s, rbuf, 100, 0));
	usleep(100000);
	EXPECT_EQ(-1, recv(self->c, ev, sizeof(ev), MSG_ERRQUEUE | MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);

	ASSERT_EQ(0, set_events(self->c));
	for (int i = 1; i <= 100; i++)
		ASSERT_EQ(100, psend(self->c, big, 100, 0, P(.id = i)));
	for (int i = 1; i <= 100; i++)
		ASSERT_EQ(100, recv(self->s, rbuf, 1000, 0));
	end = now_s() + 5;
	while (done < 100 && now_s() < end) {
		struct pollfd pfd = { self->c, 0 };
		ssize_t r;

		poll(&pfd, 1, 100);
		r = recv(self->c, ev, 3 * sizeof(ev[0]), MSG_ERRQUEUE | MSG_DONTWAIT);
		if (r < 0)
			continue;
		EXPECT_EQ(0, r % (ssize_t)sizeof(ev[0]));
		EXPECT_GE(3 * sizeof(ev[0]), (size_t)r);
		for (size_t i = 0; i < r / sizeof(ev[0]); i++) {
			uint64_t id = ev[i].msg_id;

			if (id < 1 || id > 100 || ev[i].reserved) {
				others++;
			} else if (ev[i].type == POST_EV_SENT) {
				sent[id]++;
			} else if (ev[i].type == POST_EV_ACKED) {
				acked[id]++;
				done++;
			} else {
				others++;
			}
		}
	}
	EXPECT_EQ(100, done);
	EXPECT_EQ(0, others);
	for (int i = 1; i <= 100; i++) {
		EXPECT_EQ(1, sent[i]) TH_LOG("id %d", i);
		EXPECT_EQ(1, acked[i]) TH_LOG("id %d", i);
	}
	usleep(200000);
	EXPECT_EQ(-1, recv(self->c, ev, sizeof(ev), MSG_ERRQUEUE | MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_F(ns, events_signal_epollerr)
{
	struct pollfd pfd = { .fd = 0, .events = 0 };
	struct post_msg_event ev;
	char cb[CMSG_SPACE(sizeof(ev))] __attribute__((aligned(8)));
	struct iovec v = { &ev, sizeof(ev) };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = cb,
			    .msg_controllen = sizeof(cb) };
	uint32_t mask = 1U << POST_EV_SENT;
	struct cmsghdr *c;

	ASSERT_EQ(0, setsockopt(self->c, SOL_POST, POST_EVENTS, &mask, sizeof(mask)));
	ASSERT_EQ(1, psend(self->c, "x", 1, 0, P(.id = 9)));
	pfd.fd = self->c;
	ASSERT_EQ(1, poll(&pfd, 1, 2000));
	EXPECT_TRUE(pfd.revents & POLLERR);
	ASSERT_EQ((ssize_t)sizeof(ev), recvmsg(self->c, &m, MSG_ERRQUEUE));
	EXPECT_EQ(9U, ev.msg_id);
	EXPECT_EQ((uint32_t)POST_EV_SENT, ev.type);
	EXPECT_TRUE(m.msg_flags & MSG_ERRQUEUE);
	c = CMSG_FIRSTHDR(&m);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(SOL_POST, c->cmsg_level);
	EXPECT_EQ(POST_EVENTS, c->cmsg_type);
	EXPECT_EQ(CMSG_LEN(sizeof(ev)), c->cmsg_len);
	pfd.revents = 0;
	EXPECT_EQ(0, poll(&pfd, 1, 100));
}

TEST_F(ns, urgent_admitted_when_bulk_is_full)
{
	struct pollfd pfd = { .events = POLLOUT };
	uint32_t seven = 7, zero = 0;
	int sent = 0, tries = 0, round;

	ASSERT_LT(1, backlog(self->c));
	/*
	 * The peer's window may still open a little (a zero window is
	 * probed at growing intervals): fill what it took again, so that
	 * what follows sees the bulk class full.
	 */
	while (psend(self->c, big, 1000, MSG_DONTWAIT, P(.nice = 7)) == 1000)
		ASSERT_GT(10000, ++tries);
	EXPECT_EQ(EAGAIN, errno);
	/* default niceness 0: writable */
	pfd.fd = self->c;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLOUT);
	EXPECT_EQ(1000, psend(self->c, big, 1000, MSG_DONTWAIT, P(.nice = 0)));
	/*
	 * Urgent traffic too is bounded: with niceness 7 as the default,
	 * poll() says full once niceness 0 is refused too (unless room
	 * came in between: then fill again).
	 */
	for (round = 0; round < 20; round++) {
		while (psend(self->c, big, 16384, MSG_DONTWAIT,
			     P(.nice = 0)) == 16384)
			ASSERT_GT(100000, ++sent);
		ASSERT_EQ(EAGAIN, errno);
		ASSERT_EQ(0, setsockopt(self->c, SOL_POST, POST_NICENESS,
					&seven, sizeof(seven)));
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) == 0)
			break;
		ASSERT_EQ(0, setsockopt(self->c, SOL_POST, POST_NICENESS,
					&zero, sizeof(zero)));
	}
	EXPECT_GT(20, round);
	if (tries || round)
		TH_LOG("room came after the backlog: %d + %d times", tries, round);
}

/*
 * Queue @n small messages of random niceness, lifetime and antecedents
 * on a new carrier whose peer does not read; return how long closing
 * both ends took, in seconds, or -1.
 */
static double close_queued(struct nspair *p, int n)
{
	int force = 64 << 20, c, s;
	double t0;

	if (carrier_pair(p, SOCK_SEQPACKET, &c, &s) || backlog(c) < 2 ||
	    setsockopt(c, SOL_SOCKET, SO_SNDBUFFORCE, &force, sizeof(force)))
		return -1;
	srand(42);
	for (int i = 0; i < n; i++) {
		uint64_t a = 1000;

		if (psend(c, big, 64, MSG_DONTWAIT,
			  P(.nice = rand() % 1000, .id = 100000 + i,
			    .lifetime = (i % 3) ? 600000 : -1,
			    .ante = &a, .n_ante = (i % 7 == 0))) != 64)
			return -1;
	}
	t0 = now_s();
	close(s);	/* the peer goes first: the flush is reset */
	close(c);
	return now_s() - t0;
}

TEST_F(ns, close_with_many_queued)
{
	double small = close_queued(&self->p, 65535 / 8);
	double large = close_queued(&self->p, 65535);

	ASSERT_LE(0, small);
	ASSERT_LE(0, large);
	TH_LOG("close: %.3f s with 8191 queued, %.3f s with 65535", small, large);
	/*
	 * Eight times the messages: linear teardown takes about eight
	 * times as long, quadratic sixty-four.  The margin is for timer
	 * ticks, whatever the kernel's speed (the debug kernel's is a
	 * tenth).
	 */
	EXPECT_GT(small * 24 + 0.1, large);
}

/* ---- autocorking ------------------------------------------------------- */

/* net.post.autocork_us of the test's namespace (the client's) */
static int set_autocork(const char *val)
{
	return post_sysctl_write("autocork_us", val);
}

/* Wait up to @ms for a message on @s; its first byte, or -1. */
static int recv_within(int s, int ms)
{
	struct pollfd pfd = { .fd = s, .events = POLLIN };
	uint64_t id;

	if (poll(&pfd, 1, ms) != 1 ||
	    precv(s, rbuf, sizeof(rbuf), &id, MSG_DONTWAIT) < 0)
		return -1;
	return (unsigned char)rbuf[0];
}

/*
 * A run of small messages, sent without receiving in between, leaves in
 * a few TCP segments rather than one each; with autocorking off, in one
 * each.  Every message arrives, in order, either way.
 */
TEST_F(ns, autocork_coalesces_a_run)
{
	char msg[100] = {};
	long long segs[2];

	for (int off = 0; off < 2; off++) {
		long long before;

		ASSERT_EQ(0, set_autocork(off ? "0" : "1000000"));
		before = tcp_out_segs();
		ASSERT_LE(0, before);
		for (int i = 0; i < 30; i++) {
			msg[0] = i;
			ASSERT_EQ(100, psend(self->c, msg, 100, 0, NULL));
		}
		/* receiving pushes what was held */
		ASSERT_EQ(-1, recv(self->c, rbuf, 1, MSG_DONTWAIT));
		ASSERT_EQ(EAGAIN, errno);
		for (int i = 0; i < 30; i++)
			ASSERT_EQ(i, recv_within(self->s, 5000));
		segs[off] = tcp_out_segs() - before;
	}
	TH_LOG("30 messages: %lld segments autocorked, %lld not", segs[0], segs[1]);
	EXPECT_GE(15, segs[0]);
	EXPECT_LE(20, segs[1]);
	ASSERT_EQ(0, set_autocork("200"));
}

/*
 * TCP packets carrying data that arrived at the packet socket @s since
 * it was opened, and their payload bytes in *@bytes; -1 on error.
 */
static int tcp_data_packets(int s, long long *bytes)
{
	unsigned char buf[128];
	int n = 0;

	*bytes = 0;
	for (;;) {
		struct iphdr *ip = (struct iphdr *)buf;
		struct sockaddr_ll sll;
		socklen_t alen = sizeof(sll);
		struct tcphdr *th;
		ssize_t len;
		long payload;

		len = recvfrom(s, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC,
			       (struct sockaddr *)&sll, &alen);
		if (len < 0)
			return errno == EAGAIN ? n : -1;
		if (sll.sll_pkttype == PACKET_OUTGOING ||
		    len < (ssize_t)sizeof(*ip) || ip->protocol != IPPROTO_TCP ||
		    len < ip->ihl * 4 + (ssize_t)sizeof(*th))
			continue;
		th = (struct tcphdr *)(buf + ip->ihl * 4);
		payload = len - ip->ihl * 4 - th->doff * 4;
		if (payload > 0) {
			n++;
			*bytes += payload;
		}
	}
}

/*
 * Frames go to TCP in batches, one call each: messages held by
 * autocorking leave in one TSO packet, not a packet per MSS (TCP sends
 * the full segments it holds at the end of every call, MSG_MORE or not).
 * A packet socket in the server's namespace counts the packets that
 * carry data, not the ACKs.  The run (10 frames of 400 bytes, 3 MSS)
 * stays below the cork's byte limit and below the smallest batch, 4 KiB
 * (a batch is about a millisecond at the path's pacing rate, which a
 * slow kernel's long RTT brings down to that), and starts once the
 * warm-up's acknowledgments settled, so that one push sends it in one
 * call; TCP's TSO autosizing is told not to cut the packet (a slow
 * kernel's pacing rate would).  One call per frame made 3 or 4.
 */
TEST_F(ns, held_run_one_packet)
{
	static char msg[400 - 40];	/* a first frame's header is 40 bytes */
	long long bytes;
	int cap, pkts;

	/* a warm-up, so that the run meets a settled connection */
	for (int i = 0; i < 64; i++)
		ASSERT_EQ((ssize_t)sizeof(msg),
			  psend(self->c, msg, sizeof(msg), 0, NULL));
	for (int i = 0; i < 64; i++)
		ASSERT_EQ(0, recv_within(self->s, 5000));
	usleep(100000 * slow());

	ASSERT_EQ(0, sysctl_write("net/ipv4/tcp_min_tso_segs", "64"));
	ASSERT_EQ(0, set_autocork("1000000"));
	cap = socket_in(&self->p, self->p.fa, AF_PACKET, SOCK_DGRAM,
			htons(ETH_P_IP));
	ASSERT_LE(0, cap);
	for (int i = 0; i < 10; i++)
		ASSERT_EQ((ssize_t)sizeof(msg),
			  psend(self->c, msg, sizeof(msg), 0, NULL));
	/* receiving pushes what was held */
	ASSERT_EQ(-1, recv(self->c, rbuf, 1, MSG_DONTWAIT));
	for (int i = 0; i < 10; i++)
		ASSERT_EQ(0, recv_within(self->s, 5000));
	pkts = tcp_data_packets(cap, &bytes);
	close(cap);
	ASSERT_EQ(0, set_autocork("200"));

	TH_LOG("10 messages of %zu bytes: %lld bytes of TCP payload in %d packets",
	       sizeof(msg), bytes, pkts);
	EXPECT_EQ(10 * 400, bytes);
	EXPECT_EQ(1, pkts);
}

/*
 * What autocorking holds goes when the sender receives, sends an
 * immediate message or closes, long before net.post.autocork_us; on its
 * own, at that time and not before.  Each held message follows one that
 * left (the first of a run leaves at once) after the acknowledgments of
 * what went before settled: the carrier's work on them would push it too.
 */
TEST_F(ns, autocork_pushes)
{
	int one = 1, s2, c2;
	double t0, t;

	ASSERT_EQ(0, set_autocork("1000000"));
	ASSERT_EQ(1, psend(self->c, "a", 1, 0, NULL));
	ASSERT_EQ('a', recv_within(self->s, 5000));
	usleep(200000);

	/* receiving */
	ASSERT_EQ(1, psend(self->c, "b", 1, 0, NULL));
	EXPECT_EQ(-1, recv_within(self->s, 100));
	t0 = now_s();
	ASSERT_EQ(-1, recv(self->c, rbuf, 1, MSG_DONTWAIT));
	ASSERT_EQ('b', recv_within(self->s, 5000));
	EXPECT_GT(0.5, now_s() - t0);
	usleep(200000);

	/* an immediate message takes what waits with it */
	ASSERT_EQ(1, psend(self->c, "c", 1, 0, NULL));
	ASSERT_EQ(1, psend(self->c, "d", 1, 0, NULL));
	EXPECT_EQ('c', recv_within(self->s, 5000));
	usleep(200000);
	ASSERT_EQ(1, psend(self->c, "e", 1, 0, NULL));
	t0 = now_s();
	ASSERT_EQ(1, psend(self->c, "f", 1, 0, P(.imm = 1)));
	ASSERT_EQ('d', recv_within(self->s, 5000));
	ASSERT_EQ('e', recv_within(self->s, 5000));
	ASSERT_EQ('f', recv_within(self->s, 5000));
	EXPECT_GT(0.5, now_s() - t0);
	usleep(200000);

	/* the timer: nothing else happens on the sender */
	ASSERT_EQ(0, set_autocork("300000"));
	ASSERT_EQ(1, psend(self->c, "g", 1, 0, NULL));
	t0 = now_s();
	ASSERT_EQ('g', recv_within(self->s, 5000));
	t = now_s() - t0;
	TH_LOG("held for %.3f s with net.post.autocork_us 300000", t);
	EXPECT_LT(0.25, t);
	EXPECT_GT(2.0, t);

	/* close; POST_IMMEDIATE as the default, 0 per message */
	ASSERT_EQ(0, set_autocork("1000000"));
	ASSERT_EQ(0, carrier_pair(&self->p, SOCK_SEQPACKET, &c2, &s2));
	ASSERT_EQ(0, setsockopt(c2, SOL_POST, POST_IMMEDIATE, &one, sizeof(one)));
	ASSERT_EQ(1, psend(c2, "h", 1, 0, NULL));
	ASSERT_EQ(1, psend(c2, "i", 1, 0, NULL));
	ASSERT_EQ('h', recv_within(s2, 5000));
	ASSERT_EQ('i', recv_within(s2, 5000));
	usleep(200000);
	ASSERT_EQ(1, psend(c2, "j", 1, 0, P(.imm = 0)));
	ASSERT_EQ(1, psend(c2, "k", 1, 0, P(.imm = 0)));
	EXPECT_EQ(-1, recv_within(s2, 100));
	t0 = now_s();
	close(c2);
	ASSERT_EQ('j', recv_within(s2, 5000));
	ASSERT_EQ('k', recv_within(s2, 5000));
	EXPECT_GT(0.5, now_s() - t0);
	close(s2);
	ASSERT_EQ(0, set_autocork("200"));
}

/*
 * A sender that waits for EPOLLOUT before each send with a small
 * SO_SNDBUF is let in at once: what is held stays below half the buffer.
 */
TEST_F(ns, autocork_lets_pollers_in)
{
	int sndbuf = 4096;	/* 8192 once doubled */
	char msg[1000] = {};
	double t0;

	ASSERT_EQ(0, set_autocork("1000000"));
	ASSERT_EQ(0, setsockopt(self->c, SOL_SOCKET, SO_SNDBUF, &sndbuf,
				sizeof(sndbuf)));
	/* streaming, with the acknowledgments of what went before settled */
	msg[0] = 100;
	ASSERT_EQ(1000, psend(self->c, msg, 1000, 0, NULL));
	ASSERT_EQ(100, recv_within(self->s, 5000));
	usleep(200000);
	t0 = now_s();
	for (int i = 0; i < 20; i++) {
		struct pollfd pfd = { .fd = self->c, .events = POLLOUT };

		ASSERT_EQ(1, poll(&pfd, 1, 5000));
		msg[0] = i;
		ASSERT_EQ(1000, psend(self->c, msg, 1000, MSG_DONTWAIT, NULL));
	}
	EXPECT_GT(0.9, now_s() - t0);
	ASSERT_EQ(-1, recv(self->c, rbuf, 1, MSG_DONTWAIT));
	for (int i = 0; i < 20; i++)
		ASSERT_EQ(i, recv_within(self->s, 5000));
	ASSERT_EQ(0, set_autocork("200"));
}

TEST_F(ns, autocork_sysctl_range)
{
	int fd = open("/proc/sys/net/post/autocork_us", O_RDONLY);
	char buf[32] = {};

	ASSERT_LE(0, fd);
	ASSERT_LT(0, read(fd, buf, sizeof(buf) - 1));
	close(fd);
	EXPECT_EQ(200, atoi(buf));
	EXPECT_EQ(-1, set_autocork("1000001"));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, set_autocork("-1"));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, set_autocork("0"));
	EXPECT_EQ(0, set_autocork("1000000"));
	EXPECT_EQ(0, set_autocork("200"));
}

TEST_HARNESS_MAIN
