// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST multipath: a message carrier with a second remote address
 * (POST_REMOTE_ADD) or a path added by the administrator (postctl) opens
 * a transient on each path, joined to one carrier at the peer; messages
 * are scheduled over the paths (or pinned to some with a POST_PATHS
 * control message), report the path they arrived on (POST_PATH_ID), and
 * survive the loss of a path.
 *
 * Topology, per test: namespace A (the client) and B (the server) joined
 * by two veth pairs:
 *
 *   path A:  va0 192.0.2.1/24    (A) <-> vb0 192.0.2.2/24    (B)
 *   path B:  va1 198.51.100.1/24 (A) <-> vb1 198.51.100.2/24 (B)
 *
 * The server listens on 0.0.0.0:port in B; the client connects to
 * 192.0.2.2:port with 198.51.100.2 as a further remote address.  The test
 * process lives in A; the listener was made in B before it moved there.
 */
#include <libgen.h>
#include <limits.h>
#include <linux/mptcp.h>
#include <netinet/tcp.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "post_lib.h"
#include "kselftest_harness.h"

/*
 * Every test bounds its own waits well below this; the harness timeout
 * only catches a call that hangs in the kernel.
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300	/* the debug kernel is 5-10x slower */

#define MP_CLI_A	"192.0.2.1"	/* path A, namespace A */
#define MP_SRV_A	"192.0.2.2"	/* path A, namespace B */
#define MP_CLI_B	"198.51.100.1"	/* path B, namespace A */
#define MP_SRV_B	"198.51.100.2"	/* path B, namespace B */

#define MAX_PATHS	16
#define HELLO_EXT_CARRIER	1
#define HELLO_EXT_JOIN		3
#define NONCE_JOIN		(1ULL << 63)	/* a join's nonce, not a resume's */

FIXTURE(mp) {
	char a[32], b[32];	/* netns names: client, server */
	int fa, fb;		/* their /run/netns fds */
	int l;			/* the server's listener, in B */
	int port;
	struct sockaddr_in srv;	/* 192.0.2.2:port */
	double t0;		/* when the setup began */
};

static int set_timeouts(int fd, int rcv_ms, int snd_ms)
{
	rcv_ms *= slow();
	snd_ms *= slow();
	struct timeval r = { rcv_ms / 1000, (rcv_ms % 1000) * 1000 };
	struct timeval s = { snd_ms / 1000, (snd_ms % 1000) * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &r, sizeof(r)))
		return -1;
	return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &s, sizeof(s));
}

/*
 * Run @argv (no shell) with @input on its standard input, for at most
 * @timeout_ms; its output becomes diagnostics.  Its exit status, or -1.
 * Few processes: under TCG each exec costs up to seconds.
 */
static int run(struct __test_metadata *_metadata, const char *input,
	       int timeout_ms, const char *const argv[])
{
	int in[2], out[2], status = -1, n;
	double end = now_s() + timeout_ms * slow() / 1e3;
	char buf[4096];
	size_t got = 0;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC))
		return -1;
	if (pipe2(out, O_CLOEXEC)) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (pid > 0 && input && write(in[1], input, strlen(input)) < 0)
		TH_LOG("%s: writing its input: %s", argv[0], strerror(errno));
	close(in[1]);
	while (pid > 0 && now_s() < end) {
		struct pollfd pfd = { out[0], POLLIN };

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(out[0], buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
		got += n;
		if (got == sizeof(buf) - 1)
			got = 0;	/* keep the tail of a chatty command */
	}
	close(out[0]);
	buf[got] = 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		TH_LOG("  %s: %s", argv[0], line);
	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (now_s() > end) {
			TH_LOG("%s: killed after %d ms", argv[0], timeout_ms);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(10000);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Give @ifname of the current namespace @addr/24 (if not NULL), and set it up or down. */
static int if_conf(const char *ifname, const char *addr, int up)
{
	struct ifreq ifr = {};
	struct sockaddr_in *sa = (void *)&ifr.ifr_addr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = -1;

	if (fd < 0)
		return -1;
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	if (addr) {
		*sa = sin4(addr, 0);
		if (ioctl(fd, SIOCSIFADDR, &ifr))
			goto out;
		*sa = sin4("255.255.255.0", 0);
		if (ioctl(fd, SIOCSIFNETMASK, &ifr))
			goto out;
	}
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		goto out;
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
out:
	close(fd);
	return ret;
}

/* The namespaces, the listener in B and the test in A; a step that failed, or 0. */
static const char *mp_build(struct __test_metadata *_metadata,
			    FIXTURE_DATA(mp) *self)
{
	struct sockaddr_in any = sin4("0.0.0.0", 0);
	socklen_t len = sizeof(any);
	char cmds[512], path[64];
	int one = 1;

	/* one process; the rest in this one */
	snprintf(cmds, sizeof(cmds),
		 "netns add %s\nnetns add %s\n"
		 "link add va0 netns %s type veth peer name vb0 netns %s\n"
		 "link add va1 netns %s type veth peer name vb1 netns %s\n",
		 self->a, self->b, self->a, self->b, self->a, self->b);
	if (run(_metadata, cmds, 20000, (const char *[]){ "ip", "-batch", "-", NULL }))
		return "ip -batch";
	snprintf(path, sizeof(path), "/run/netns/%s", self->a);
	self->fa = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/run/netns/%s", self->b);
	self->fb = open(path, O_RDONLY | O_CLOEXEC);
	if (self->fa < 0 || self->fb < 0)
		return "open /run/netns";
	if (setns(self->fb, CLONE_NEWNET))
		return "setns B";
	if (if_conf("lo", NULL, 1) || if_conf("vb0", MP_SRV_A, 1) ||
	    if_conf("vb1", MP_SRV_B, 1))
		return "interfaces of B";
	self->l = socket(AF_POST, SOCK_SEQPACKET, 0);
	if (self->l < 0)
		return "socket(AF_POST)";
	/* the test itself is the client */
	if (setns(self->fa, CLONE_NEWNET))
		return "setns A";
	if (if_conf("lo", NULL, 1) || if_conf("va0", MP_CLI_A, 1) ||
	    if_conf("va1", MP_CLI_B, 1))
		return "interfaces of A";
	if (setsockopt(self->l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(self->l, (void *)&any, sizeof(any)) || listen(self->l, 16) ||
	    getsockname(self->l, (void *)&any, &len) || !any.sin_port)
		return "listener";
	/* accept() never waits forever */
	if (set_timeouts(self->l, 5000, 5000))
		return "SO_RCVTIMEO";
	self->port = ntohs(any.sin_port);
	self->srv = sin4(MP_SRV_A, self->port);
	return NULL;
}

FIXTURE_SETUP(mp)
{
	const char *failed;
	int pid = getpid();

	self->t0 = now_s();
	self->fa = self->fb = self->l = -1;
	snprintf(self->a, sizeof(self->a), "mpa%d", pid);
	snprintf(self->b, sizeof(self->b), "mpb%d", pid);
	failed = mp_build(_metadata, self);
	if (failed) {
		int err = errno;

		/* the teardown does not run after a failed setup */
		netns_del(self->a);
		netns_del(self->b);
		ASSERT_EQ(NULL, failed) TH_LOG("setup: %s: %s", failed, strerror(err));
	}
}

/*
 * In the parent: runs even when the test process died of a signal.  The
 * test's sockets are closed by then (its process exited).
 */
FIXTURE_TEARDOWN_PARENT(mp)
{
	if (now_s() - self->t0 > 30)
		TH_LOG("the test took %.1f s", now_s() - self->t0);
	netns_del(self->a);
	netns_del(self->b);
}

/* ---- helpers ---- */

/* The socket's pending error (SO_ERROR), or errno if that fails. */
static int sock_err(int fd)
{
	socklen_t len = sizeof(int);
	int err;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return errno;
	return err;
}

static int post_info(int fd, struct post_info *pi)
{
	socklen_t len = sizeof(*pi);

	memset(pi, 0, sizeof(*pi));
	return getsockopt(fd, SOL_POST, POST_INFO, pi, &len);
}

/* The carrier's paths (POST_PATHS): their number, or -1. */
static int get_paths(int fd, struct post_path_desc *d, int max)
{
	socklen_t len = max * sizeof(*d);

	memset(d, 0, len);
	if (getsockopt(fd, SOL_POST, POST_PATHS, d, &len))
		return -1;
	if (len % sizeof(*d)) {
		errno = EMSGSIZE;
		return -1;
	}
	return len / sizeof(*d);
}

static int n_up(const struct post_path_desc *d, int n)
{
	int up = 0;

	for (int i = 0; i < n; i++)
		up += d[i].state == 1;
	return up;
}

/*
 * Poll POST_PATHS every 20 ms until @want paths are up or @ms passed;
 * returns the number of paths up at the end (or -1), the list in @d.
 */
static int wait_paths_up(int fd, int want, int ms, struct post_path_desc *d,
			 int *n)
{
	double end = now_s() + ms * slow() / 1e3;
	int up;

	for (;;) {
		*n = get_paths(fd, d, MAX_PATHS);
		if (*n < 0)
			return -1;
		up = n_up(d, *n);
		if (up >= want || now_s() > end)
			return up;
		usleep(20000);
	}
}

static int ss_is(const struct __kernel_sockaddr_storage *ss, const char *addr)
{
	const struct sockaddr_in *s = (const void *)ss;
	struct in_addr a;

	inet_pton(AF_INET, addr, &a);
	return s->sin_family == AF_INET && s->sin_addr.s_addr == a.s_addr;
}

/* The id of the path whose local (@local) or remote address is @addr; 0 if none. */
static uint32_t path_id_by(const struct post_path_desc *d, int n, int local,
			   const char *addr)
{
	for (int i = 0; i < n; i++)
		if (ss_is(local ? &d[i].local : &d[i].remote, addr))
			return d[i].id;
	return 0;
}

static const struct post_path_desc *path_by_id(const struct post_path_desc *d,
					       int n, uint32_t id)
{
	for (int i = 0; i < n; i++)
		if (d[i].id == id)
			return &d[i];
	return NULL;
}

static void log_paths(struct __test_metadata *_metadata, const char *who, int fd)
{
	struct post_path_desc d[MAX_PATHS];
	char l[INET6_ADDRSTRLEN], r[INET6_ADDRSTRLEN];
	int n = get_paths(fd, d, MAX_PATHS);

	if (n < 0) {
		TH_LOG("%s: POST_PATHS: %s", who, strerror(errno));
		return;
	}
	TH_LOG("%s: %d paths", who, n);
	for (int i = 0; i < n; i++) {
		const struct sockaddr_in *ls = (const void *)&d[i].local;
		const struct sockaddr_in *rs = (const void *)&d[i].remote;

		strcpy(l, "-");
		strcpy(r, "-");
		if (ls->sin_family == AF_INET)
			inet_ntop(AF_INET, &ls->sin_addr, l, sizeof(l));
		if (rs->sin_family == AF_INET)
			inet_ntop(AF_INET, &rs->sin_addr, r, sizeof(r));
		TH_LOG("  path %u local %s remote %s:%d state %u backup %u admin_up %u rtt %uus",
		       d[i].id, l, r, ntohs(rs->sin_port), d[i].state,
		       d[i].backup, d[i].admin_up, d[i].rtt_us);
	}
}

/*
 * sendmsg() with an optional POST_NICENESS (@nice >= 0) and POST_PATHS
 * (@n_paths > 0) control message.
 */
static ssize_t msend(int fd, const void *buf, size_t len, int flags, int nice,
		     const uint32_t *paths, int n_paths)
{
	char cb[CMSG_SPACE(4) + CMSG_SPACE(4 * 16)] __attribute__((aligned(8))) = {};
	struct iovec v = { (void *)buf, len };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = cb,
			    .msg_controllen = sizeof(cb) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	size_t used = 0;

	if (nice >= 0) {
		uint32_t n32 = nice;

		c->cmsg_level = SOL_POST;
		c->cmsg_type = POST_NICENESS;
		c->cmsg_len = CMSG_LEN(4);
		memcpy(CMSG_DATA(c), &n32, 4);
		used += CMSG_SPACE(4);
		c = (struct cmsghdr *)(cb + used);
	}
	if (n_paths > 0) {
		c->cmsg_level = SOL_POST;
		c->cmsg_type = POST_PATHS;
		c->cmsg_len = CMSG_LEN(4 * n_paths);
		memcpy(CMSG_DATA(c), paths, 4 * n_paths);
		used += CMSG_SPACE(4 * n_paths);
	}
	m.msg_controllen = used;
	if (!used)
		m.msg_control = NULL;
	return sendmsg(fd, &m, flags);
}

/* One raw SOL_POST control message of a send_raw() call. */
struct rawc {
	int type;
	const void *data;
	size_t len;
};

static ssize_t send_raw(int fd, const struct rawc *rc, int n)
{
	char cb[4 * CMSG_SPACE(64)] __attribute__((aligned(8))) = {};
	struct iovec v = { "bad", 3 };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = cb };
	size_t used = 0;

	for (int i = 0; i < n; i++) {
		struct cmsghdr *c = (struct cmsghdr *)(cb + used);

		c->cmsg_level = SOL_POST;
		c->cmsg_type = rc[i].type;
		c->cmsg_len = CMSG_LEN(rc[i].len);
		memcpy(CMSG_DATA(c), rc[i].data, rc[i].len);
		used += CMSG_SPACE(rc[i].len);
	}
	m.msg_controllen = used;
	return sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* What one recvmsg() said besides its data. */
struct rinfo {
	int eor, ctrunc;
	int n_path;		/* POST_PATH_ID control messages */
	int bad_path_len;	/* ... of a length other than 4 */
	uint32_t path;
};

static ssize_t mrecv(int fd, void *buf, size_t cap, int flags, struct rinfo *ri)
{
	char cb[256] __attribute__((aligned(8)));
	struct iovec v = { buf, cap };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = cb,
			    .msg_controllen = sizeof(cb) };
	struct cmsghdr *c;
	ssize_t n;

	memset(ri, 0, sizeof(*ri));
	n = recvmsg(fd, &m, flags);
	if (n < 0)
		return n;
	ri->eor = !!(m.msg_flags & MSG_EOR);
	ri->ctrunc = !!(m.msg_flags & MSG_CTRUNC);
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_POST || c->cmsg_type != POST_PATH_ID)
			continue;
		ri->n_path++;
		if (c->cmsg_len != CMSG_LEN(4))
			ri->bad_path_len++;
		else
			memcpy(&ri->path, CMSG_DATA(c), 4);
	}
	return n;
}

/*
 * A connected pair: *c in A (to 192.0.2.2:port, with 198.51.100.2 as a
 * further remote address if @remote_add), *s accepted in B.  @user_timeout
 * (ms, 0 for none) is set on the client before connect().
 */
static void mp_pair(struct __test_metadata *_metadata, FIXTURE_DATA(mp) *self,
		    int remote_add, int user_timeout, int *c, int *s)
{
	struct sockaddr_in b = sin4(MP_SRV_B, 0);

	*c = socket(AF_POST, SOCK_SEQPACKET, 0);
	ASSERT_LE(0, *c);
	ASSERT_EQ(0, set_timeouts(*c, 5000, 5000));
	if (user_timeout)
		ASSERT_EQ(0, setsockopt(*c, SOL_TCP, TCP_USER_TIMEOUT,
					&user_timeout, sizeof(user_timeout)));
	if (remote_add)
		ASSERT_EQ(0, setsockopt(*c, SOL_POST, POST_REMOTE_ADD, &b, sizeof(b)))
			TH_LOG("POST_REMOTE_ADD: %s", strerror(errno));
	ASSERT_EQ(0, connect(*c, (void *)&self->srv, sizeof(self->srv)))
		TH_LOG("connect: %s", strerror(errno));
	*s = accept(self->l, NULL, NULL);
	ASSERT_LE(0, *s) TH_LOG("accept: %s", strerror(errno));
	ASSERT_EQ(0, set_timeouts(*s, 5000, 5000));
}

/* Both carriers of a pair with POST_REMOTE_ADD have their two paths up. */
static void both_paths_up(struct __test_metadata *_metadata, int c, int s)
{
	struct post_path_desc d[MAX_PATHS];
	int n;

	EXPECT_EQ(2, wait_paths_up(c, 2, 3000, d, &n))
		log_paths(_metadata, "client", c);
	ASSERT_EQ(2, n) log_paths(_metadata, "client", c);
	EXPECT_EQ(2, wait_paths_up(s, 2, 3000, d, &n))
		log_paths(_metadata, "server", s);
	ASSERT_EQ(2, n) log_paths(_metadata, "server", s);
	ASSERT_EQ(2, n_up(d, n));
}

/* The path ids of a carrier for the address @addr at the local/remote end. */
static uint32_t path_of(struct __test_metadata *_metadata, int fd, int local,
			const char *addr)
{
	struct post_path_desc d[MAX_PATHS];
	int n = get_paths(fd, d, MAX_PATHS);
	uint32_t id;

	if (n < 0)
		TH_LOG("POST_PATHS: %s", strerror(errno));
	id = n < 0 ? 0 : path_id_by(d, n, local, addr);
	if (!id)
		log_paths(_metadata, "no such path", fd);
	return id;
}

/*
 * A pair with both paths up, and the ids of paths A and B at the client
 * (*ca, *cb) and the server (*sa, *sb).
 */
static void mp_pair_ids(struct __test_metadata *_metadata,
			FIXTURE_DATA(mp) *self, int *c, int *s, uint32_t *ca,
			uint32_t *cb, uint32_t *sa, uint32_t *sb)
{
	mp_pair(_metadata, self, 1, 0, c, s);
	both_paths_up(_metadata, *c, *s);
	*ca = path_of(_metadata, *c, 0, MP_SRV_A);
	*cb = path_of(_metadata, *c, 0, MP_SRV_B);
	*sa = path_of(_metadata, *s, 1, MP_SRV_A);
	*sb = path_of(_metadata, *s, 1, MP_SRV_B);
	ASSERT_NE(0U, *ca);
	ASSERT_NE(0U, *cb);
	ASSERT_NE(0U, *sa);
	ASSERT_NE(0U, *sb);
}

/* ../userspace/postctl next to this program's directory */
static const char *postctl(void)
{
	static char p[PATH_MAX + 32];
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return "../userspace/postctl";
	exe[n] = 0;
	snprintf(p, sizeof(p), "%s/../userspace/postctl", dirname(exe));
	return p;
}

/* ---- a stream of numbered messages: a sender and a receiver thread ---- */

#define MSG_MAGIC	0x4d505431	/* "MPT1" */
#define MAX_SEQ		20000
#define F_PINNED	1

struct mhdr {
	uint32_t magic, seq, flags, len;
};

struct stream {
	/* sender: the client carrier */
	int cfd;
	int total;		/* messages to send; 0: until @stop */
	size_t size;
	int nice;		/* -1: no POST_NICENESS */
	int gap_us;		/* between messages */
	double send_deadline;
	int stop;
	uint32_t pin;		/* path id for POST_PATHS, 0: none */
	int sent;		/* messages sent (the next seq) */
	int send_err;		/* errno of a failed sendmsg() */
	int send_late;		/* gave up at send_deadline */
	int snd_tid, rcv_tid;
	int send_done;
	/* receiver: the server carrier */
	int sfd;
	double recv_deadline;
	int expected;		/* set once the sender is done, -1 before */
	int distinct, dups, bad, no_path, recv_err, eof;
	uint8_t count[MAX_SEQ];
	uint8_t pinned[MAX_SEQ];
	uint32_t path[MAX_SEQ];	/* POST_PATH_ID of the first copy */
};

/* one per process (each test runs in its own): threads never see a dead stack */
static struct stream g_st;
static char g_sbuf[(64 << 10) + 64], g_rbuf[(64 << 10) + 4096];

static void fill_msg(char *buf, size_t size, uint32_t seq, uint32_t flags)
{
	struct mhdr h = { MSG_MAGIC, seq, flags, size };

	fill(buf + sizeof(h), size - sizeof(h), seq);
	memcpy(buf, &h, sizeof(h));
}

/*
 * The workers leave signals to the main thread: a SIGCHLD of a command
 * it runs (one that a blocking system() made the kernel queue rather
 * than drop) would otherwise interrupt a worker's call that has a
 * timeout with EINTR.
 */
static void block_signals(void)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
}

static void *sender(void *arg)
{
	struct stream *st = arg;

	block_signals();
	__atomic_store_n(&st->snd_tid, gettid(), __ATOMIC_RELEASE);

	while (!__atomic_load_n(&st->stop, __ATOMIC_ACQUIRE) &&
	       (st->total ? st->sent < st->total : st->sent < MAX_SEQ)) {
		uint32_t pin = __atomic_load_n(&st->pin, __ATOMIC_ACQUIRE);
		int seq = st->sent;
		ssize_t r;

		if (now_s() > st->send_deadline) {
			st->send_late = 1;
			break;
		}

		fill_msg(g_sbuf, st->size, seq, pin ? F_PINNED : 0);
		r = msend(st->cfd, g_sbuf, st->size, MSG_NOSIGNAL, st->nice,
			  &pin, pin ? 1 : 0);
		/* no room for SO_SNDTIMEO: try again (nothing was queued) */
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r != (ssize_t)st->size) {
			st->send_err = r < 0 ? errno : EMSGSIZE;
			break;
		}
		__atomic_store_n(&st->sent, seq + 1, __ATOMIC_RELEASE);
		if (st->gap_us)
			usleep(st->gap_us);
	}
	__atomic_store_n(&st->expected, st->sent, __ATOMIC_RELEASE);
	__atomic_store_n(&st->send_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *receiver(void *arg)
{
	struct stream *st = arg;
	double grace = 0, progress = now_s();
	struct timeval tv = { 0, 100000 };

	block_signals();
	__atomic_store_n(&st->rcv_tid, gettid(), __ATOMIC_RELEASE);
	setsockopt(st->sfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (now_s() < st->recv_deadline) {
		int expected = __atomic_load_n(&st->expected, __ATOMIC_ACQUIRE);
		struct mhdr h = {};
		struct rinfo ri;
		ssize_t n;

		/* all there: wait a little more for duplicates */
		if (expected >= 0 && st->distinct >= expected) {
			if (!grace)
				grace = now_s() + 0.3;
			else if (now_s() > grace)
				break;
		}
		/* the sender is done and nothing came for 10 s */
		if (expected >= 0 && now_s() > progress + 10)
			break;
		n = mrecv(st->sfd, g_rbuf, sizeof(g_rbuf), 0, &ri);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			st->recv_err = errno;
			break;
		}
		if (n == 0 && ri.eor == 0) {
			st->eof = 1;
			break;
		}
		if (n >= (ssize_t)sizeof(h))
			memcpy(&h, g_rbuf, sizeof(h));
		if (n < (ssize_t)sizeof(h) || !ri.eor || h.magic != MSG_MAGIC ||
		    h.len != n || h.seq >= MAX_SEQ) {
			st->bad++;
			continue;
		}
		if (n > (ssize_t)sizeof(h)) {
			static char want[(64 << 10) + 64];

			fill(want, n - sizeof(h), h.seq);
			if (memcmp(want, g_rbuf + sizeof(h), n - sizeof(h))) {
				st->bad++;
				continue;
			}
		}
		if (ri.n_path != 1 || ri.bad_path_len)
			st->no_path++;
		if (st->count[h.seq]++) {
			st->dups++;
			continue;
		}
		st->pinned[h.seq] = !!(h.flags & F_PINNED);
		st->path[h.seq] = ri.path;
		progress = now_s();
		__atomic_store_n(&st->distinct, st->distinct + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void stream_init(struct stream *st, int c, int s, int total,
			size_t size, int nice, int gap_us, double send_s,
			double recv_s)
{
	memset(st, 0, sizeof(*st));
	st->cfd = c;
	st->sfd = s;
	st->total = total;
	st->size = size;
	st->nice = nice;
	st->gap_us = gap_us;
	st->send_deadline = now_s() + send_s * slow();
	st->recv_deadline = now_s() + recv_s * slow();
	st->expected = -1;
}

/* Every message the sender sent arrived exactly once, intact. */
static void stream_check(struct __test_metadata *_metadata, struct stream *st)
{
	int missing = 0, first_missing = -1;

	EXPECT_EQ(0, st->send_err) TH_LOG("sendmsg: %s after %d messages",
					  strerror(st->send_err), st->sent);
	EXPECT_EQ(0, st->send_late) TH_LOG("only %d messages sent in time",
					   st->sent);
	EXPECT_EQ(0, st->recv_err) TH_LOG("recvmsg: %s", strerror(st->recv_err));
	EXPECT_EQ(0, st->eof);
	for (int i = 0; i < st->sent; i++) {
		if (!st->count[i]) {
			if (first_missing < 0)
				first_missing = i;
			missing++;
		}
	}
	EXPECT_EQ(0, missing) TH_LOG("%d of %d messages missing, the first seq %d",
				     missing, st->sent, first_missing);
	EXPECT_EQ(0, st->dups);
	EXPECT_EQ(0, st->bad);
	EXPECT_EQ(0, st->no_path);
	EXPECT_EQ(st->sent, st->distinct);
}

/* Log where thread @tid is stuck: its system call and kernel stack. */
static void log_stuck(struct __test_metadata *_metadata, const char *who,
		      int tid)
{
	static const char *const files[] = { "syscall", "wchan", "stack" };
	char path[64], buf[2048];

	TH_LOG("the %s thread is stuck (state R with system time rising: busy in the kernel)",
	       who);
	for (int k = 0; k < 2; k++) {
		unsigned long ut = 0, st = 0;
		char state = '?', *p;
		int fd, n;

		snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
		fd = open(path, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		buf[n > 0 ? n : 0] = 0;
		/* after "(comm)": state, then utime and stime are fields 14, 15 */
		p = strrchr(buf, ')');
		if (p)
			sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			       &state, &ut, &st);
		TH_LOG("  state %c, user %lu, system %lu ticks", state, ut, st);
		usleep(500000);
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		int fd, n;

		snprintf(path, sizeof(path), "/proc/self/task/%d/%s", tid, files[i]);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
			TH_LOG("  %s: %s", files[i], line);
	}
}

/* Join @th by @deadline (now_s() time); -1 if it is stuck. */
static int join_by(struct __test_metadata *_metadata, pthread_t th,
		   const int *tid, const char *who, double deadline)
{
	struct timespec ts;
	double left = deadline - now_s();

	clock_gettime(CLOCK_REALTIME, &ts);
	if (left > 0) {
		ts.tv_sec += (time_t)left;
		ts.tv_nsec += (long)((left - (time_t)left) * 1e9);
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
	}
	if (!pthread_timedjoin_np(th, NULL, &ts))
		return 0;
	log_stuck(_metadata, who, __atomic_load_n(tid, __ATOMIC_ACQUIRE));
	return -1;
}

/*
 * @stop: end an open-ended stream now; otherwise let the sender finish.
 * Both threads bound their own calls; one still running 5 s after the
 * receiver's deadline is stuck in the kernel, and the test fails (its
 * process exits, the threads with it, unless they cannot be killed).
 */
static void stream_join(struct __test_metadata *_metadata, struct stream *st,
			pthread_t snd, pthread_t rcv, int stop)
{
	double deadline = st->recv_deadline + 5;
	int stuck;

	if (stop)
		__atomic_store_n(&st->stop, 1, __ATOMIC_RELEASE);
	stuck = join_by(_metadata, snd, &st->snd_tid, "sender", deadline);
	stuck |= join_by(_metadata, rcv, &st->rcv_tid, "receiver", deadline);
	ASSERT_EQ(0, stuck) TH_LOG("%d messages sent, %d received",
				   __atomic_load_n(&st->sent, __ATOMIC_ACQUIRE),
				   __atomic_load_n(&st->distinct, __ATOMIC_ACQUIRE));
}

/* ---- 1: POST_REMOTE_ADD input checking ---- */

/* Send all of @st and receive it, then check it arrived whole, once. */
static void stream_run(struct __test_metadata *_metadata, struct stream *st)
{
	pthread_t snd, rcv;

	ASSERT_EQ(0, pthread_create(&rcv, NULL, receiver, st));
	ASSERT_EQ(0, pthread_create(&snd, NULL, sender, st));
	stream_join(_metadata, st, snd, rcv, 0);
	stream_check(_metadata, st);
}

TEST_F(mp, remote_add_bad_input)
{
	struct sockaddr_in b = sin4(MP_SRV_B, 0), un = b;
	struct sockaddr_in6 b6 = sin6("2001:db8::2", 0);
	char addr[32], buf[64];
	socklen_t len = sizeof(buf);
	int c, l, st, s;

	c = socket(AF_POST, SOCK_SEQPACKET, 0);
	ASSERT_LE(0, c);
	un.sin_family = AF_UNIX;
	EXPECT_EQ(-1, setsockopt(c, SOL_POST, POST_REMOTE_ADD, &un, sizeof(un)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	EXPECT_EQ(-1, setsockopt(c, SOL_POST, POST_REMOTE_ADD, &b, sizeof(b) - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(c, SOL_POST, POST_REMOTE_ADD, &b, 2));
	EXPECT_EQ(EINVAL, errno);
	/* an IPv6 address shorter than struct sockaddr_in6 */
	EXPECT_EQ(-1, setsockopt(c, SOL_POST, POST_REMOTE_ADD, &b6, sizeof(b)));
	EXPECT_EQ(EINVAL, errno);
	/* write only */
	EXPECT_EQ(-1, getsockopt(c, SOL_POST, POST_REMOTE_ADD, buf, &len));
	EXPECT_EQ(ENOPROTOOPT, errno);

	EXPECT_EQ(0, setsockopt(c, SOL_POST, POST_REMOTE_ADD, &b, sizeof(b)))
		TH_LOG("POST_REMOTE_ADD: %s", strerror(errno));
	EXPECT_EQ(-1, setsockopt(c, SOL_POST, POST_REMOTE_ADD, &b, sizeof(b)));
	EXPECT_EQ(EEXIST, errno);
	/* 198.51.100.2 to .9: eight candidates, then no room */
	for (int i = 3; i <= 9; i++) {
		struct sockaddr_in x;

		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		x = sin4(addr, 0);
		EXPECT_EQ(0, setsockopt(c, SOL_POST, POST_REMOTE_ADD, &x, sizeof(x)))
			TH_LOG("candidate %d: %s", i - 1, strerror(errno));
	}
	b = sin4("198.51.100.10", 0);
	EXPECT_EQ(-1, setsockopt(c, SOL_POST, POST_REMOTE_ADD, &b, sizeof(b)));
	EXPECT_EQ(ENOSPC, errno);
	close(c);

	/* a listener */
	b = sin4(MP_SRV_B, 0);
	l = socket(AF_POST, SOCK_SEQPACKET, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, listen(l, 4));
	EXPECT_EQ(-1, setsockopt(l, SOL_POST, POST_REMOTE_ADD, &b, sizeof(b)));
	EXPECT_EQ(EINVAL, errno);
	close(l);

	/* a stream carrier */
	st = socket(AF_POST, SOCK_STREAM, 0);
	ASSERT_LE(0, st);
	EXPECT_EQ(-1, setsockopt(st, SOL_POST, POST_REMOTE_ADD, &b, sizeof(b)));
	EXPECT_EQ(EINVAL, errno);
	close(st);

	/* connected */
	mp_pair(_metadata, self, 0, 0, &c, &s);
	EXPECT_EQ(-1, setsockopt(c, SOL_POST, POST_REMOTE_ADD, &b, sizeof(b)));
	EXPECT_EQ(EISCONN, errno);
	/* and the carrier works on its one path */
	ASSERT_EQ(2, send(c, "ok", 2, 0))
		TH_LOG("%s", strerror(errno));
	ASSERT_EQ(2, recv(s, buf, sizeof(buf), 0))
		TH_LOG("%s", strerror(errno));
	close(c);
	close(s);
}

/* ---- 2: both paths come up, on one carrier at each end ---- */

TEST_F(mp, two_paths_up)
{
	struct post_path_desc d[MAX_PATHS];
	struct post_info ci, si;
	int c, s, n;

	mp_pair(_metadata, self, 1, 0, &c, &s);

	EXPECT_EQ(2, wait_paths_up(c, 2, 3000, d, &n))
		log_paths(_metadata, "client", c);
	EXPECT_EQ(2, n) log_paths(_metadata, "client", c);
	EXPECT_NE(0U, path_id_by(d, n, 0, MP_SRV_A));
	EXPECT_NE(0U, path_id_by(d, n, 0, MP_SRV_B));
	EXPECT_NE(path_id_by(d, n, 0, MP_SRV_A), path_id_by(d, n, 0, MP_SRV_B));

	EXPECT_EQ(2, wait_paths_up(s, 2, 3000, d, &n))
		log_paths(_metadata, "server", s);
	EXPECT_EQ(2, n) log_paths(_metadata, "server", s);
	EXPECT_NE(0U, path_id_by(d, n, 1, MP_SRV_A));
	EXPECT_NE(0U, path_id_by(d, n, 1, MP_SRV_B));
	EXPECT_NE(0U, path_id_by(d, n, 0, MP_CLI_A));
	EXPECT_NE(0U, path_id_by(d, n, 0, MP_CLI_B));

	/* the joining transient made no carrier of its own */
	ASSERT_EQ(0, fcntl(self->l, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, accept(self->l, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);

	ASSERT_EQ(0, post_info(c, &ci));
	ASSERT_EQ(0, post_info(s, &si));
	EXPECT_EQ(2U, ci.n_paths);
	EXPECT_EQ(2U, si.n_paths);
	EXPECT_EQ(POST_ASSOC_ACTIVE, ci.assoc_state);
	EXPECT_EQ(POST_ASSOC_ACTIVE, si.assoc_state);
	close(c);
	close(s);
}

/*
 * @word sent now arrives, and is all that does: what was refused before
 * queued nothing, and nothing was injected.
 */
static void expect_only(struct __test_metadata *_metadata, int c, int s,
			const char *word)
{
	size_t n = strlen(word);
	char buf[64];

	ASSERT_EQ((ssize_t)n, send(c, word, n, 0))
		TH_LOG("%s", strerror(errno));
	ASSERT_EQ((ssize_t)n, recv(s, buf, sizeof(buf), 0))
		TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, memcmp(buf, word, n));
	usleep(300000);
	EXPECT_EQ(-1, recv(s, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
}

/* ---- 3: every message received says which of our paths it came on ---- */

static void check_path_ids(struct __test_metadata *_metadata, int tx, int rx,
			   const char *who)
{
	struct post_path_desc d[MAX_PATHS];
	char buf[10000];
	struct rinfo ri;
	int n;

	n = get_paths(rx, d, MAX_PATHS);
	ASSERT_LE(1, n);
	for (int i = 0; i < 20; i++) {
		fill(buf, 100 + i, i);
		ASSERT_EQ(100 + i, send(tx, buf, 100 + i, 0))
			TH_LOG("%s", strerror(errno));
	}
	for (int i = 0; i < 20; i++) {
		ASSERT_EQ(100 + i, mrecv(rx, buf, sizeof(buf), 0, &ri))
			TH_LOG("%s: recvmsg: %s", who, strerror(errno));
		EXPECT_TRUE(ri.eor);
		EXPECT_FALSE(ri.ctrunc);
		EXPECT_EQ(1, ri.n_path) TH_LOG("%s: message %d", who, i);
		EXPECT_EQ(0, ri.bad_path_len);
		EXPECT_NE(NULL, path_by_id(d, n, ri.path))
			TH_LOG("%s: message %d came on path %u, not ours", who, i, ri.path);
	}
	/* every piece of a message carries it, the same */
	fill(buf, sizeof(buf), 99);
	ASSERT_EQ((ssize_t)sizeof(buf), send(tx, buf, sizeof(buf), 0))
		TH_LOG("%s", strerror(errno));
	for (int i = 0, first = -1; i < 3; i++) {
		ASSERT_LT(0, mrecv(rx, buf, 4096, 0, &ri));
		EXPECT_EQ(i == 2, ri.eor);
		EXPECT_EQ(1, ri.n_path) TH_LOG("%s: piece %d", who, i);
		EXPECT_NE(NULL, path_by_id(d, n, ri.path));
		if (first < 0)
			first = ri.path;
		EXPECT_EQ((uint32_t)first, ri.path);
	}
}

TEST_F(mp, path_id_cmsg)
{
	int c, s;

	mp_pair(_metadata, self, 1, 0, &c, &s);
	both_paths_up(_metadata, c, s);
	check_path_ids(_metadata, c, s, "server");
	check_path_ids(_metadata, s, c, "client");
	close(c);
	close(s);
}

/* ---- 4: POST_PATHS on sendmsg() pins a message to paths ---- */

TEST_F(mp, msg_paths_constraint)
{
	uint32_t ca, cb, sa, sb, ids[9], bogus = 999;
	char buf[2048];
	struct rinfo ri;
	int c, s;

	mp_pair_ids(_metadata, self, &c, &s, &ca, &cb, &sa, &sb);

	for (int round = 0; round < 2; round++) {
		uint32_t pin = round ? ca : cb, want = round ? sa : sb;

		for (int i = 0; i < 20; i++) {
			fill(buf, 1000, i);
			ASSERT_EQ(1000, msend(c, buf, 1000, 0, -1, &pin, 1))
				TH_LOG("sendmsg with POST_PATHS [%u]: %s", pin,
				       strerror(errno));
		}
		for (int i = 0; i < 20; i++) {
			ASSERT_EQ(1000, mrecv(s, buf, sizeof(buf), 0, &ri))
				TH_LOG("recvmsg: %s", strerror(errno));
			EXPECT_EQ(1, ri.n_path);
			EXPECT_EQ(want, ri.path)
				TH_LOG("round %d message %d: path %u, not %u",
				       round, i, ri.path, want);
		}
	}

	/* bad ones: EINVAL, nothing sent */
	EXPECT_EQ(-1, send_raw(c, &(struct rawc){ POST_PATHS, &bogus, 4 }, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, send_raw(c, &(struct rawc){ POST_PATHS, &ca, 0 }, 1));
	EXPECT_EQ(EINVAL, errno);
	for (int i = 0; i < 9; i++)
		ids[i] = i & 1 ? cb : ca;
	EXPECT_EQ(-1, send_raw(c, &(struct rawc){ POST_PATHS, ids, 36 }, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, send_raw(c, &(struct rawc){ POST_PATHS, ids, 6 }, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, send_raw(c, (struct rawc[]){ { POST_PATHS, &ca, 4 },
						  { POST_PATHS, &cb, 4 } }, 2));
	EXPECT_EQ(EINVAL, errno);
	/* POST_PATH_ID is what the receiver gets, not a property to send */
	EXPECT_EQ(-1, send_raw(c, &(struct rawc){ POST_PATH_ID, &ca, 4 }, 1));
	EXPECT_EQ(EINVAL, errno);

	expect_only(_metadata, c, s, "last");
	close(c);
	close(s);
}

/* ---- 5: bulk data uses both paths ---- */

/* netem @path_a on both ends of path A, @path_b on those of path B */
static void netem(struct __test_metadata *_metadata, FIXTURE_DATA(mp) *self,
		  const char *path_a, const char *path_b)
{
	char cmds[256];

	snprintf(cmds, sizeof(cmds), "qdisc add dev va0 root netem %s\n"
		 "qdisc add dev va1 root netem %s\n", path_a, path_b);
	ASSERT_EQ(0, run(_metadata, cmds, 10000, (const char *[]){
			"tc", "-n", self->a, "-batch", "-", NULL }));
	snprintf(cmds, sizeof(cmds), "qdisc add dev vb0 root netem %s\n"
		 "qdisc add dev vb1 root netem %s\n", path_a, path_b);
	ASSERT_EQ(0, run(_metadata, cmds, 10000, (const char *[]){
			"tc", "-n", self->b, "-batch", "-", NULL }));
}

TEST_F(mp, bulk_uses_both)
{
	struct post_path_desc d[MAX_PATHS];
	int c, s, n, sndbuf = 4 << 20, per[MAX_PATHS] = {}, other = 0;
	struct stream *st = &g_st;

	/*
	 * 50 Mbit/s each: 300 x 64 KiB (157 Mbit) take 3 s on one path.
	 * The debug kernel cannot send that fast: the links must be the
	 * bottleneck, or the first path always has room.
	 */
	char rate[64];

	snprintf(rate, sizeof(rate), "rate %dmbit delay 2ms", 50 / slow());
	netem(_metadata, self, rate, rate);
	mp_pair(_metadata, self, 1, 0, &c, &s);
	if (setsockopt(c, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)))
		ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_SNDBUF, &sndbuf,
					sizeof(sndbuf)));
	both_paths_up(_metadata, c, s);

	stream_init(st, c, s, 300, 64 << 10, 7, 0, 20, 30);
	stream_run(_metadata, st);
	EXPECT_EQ(300, st->sent);

	n = get_paths(s, d, MAX_PATHS);
	ASSERT_EQ(2, n);
	for (int i = 0; i < st->sent; i++) {
		int k;

		if (!st->count[i])
			continue;
		for (k = 0; k < n && d[k].id != st->path[i]; k++)
			;
		if (k < n)
			per[k]++;
		else
			other++;
	}
	TH_LOG("path %u: %d messages, path %u: %d, unknown path: %d",
	       d[0].id, per[0], d[1].id, per[1], other);
	EXPECT_EQ(0, other);
	EXPECT_LE(30, per[0]);
	EXPECT_LE(30, per[1]);
	close(c);
	close(s);
}

/* ---- 6: urgent messages take the path with the shorter RTT ---- */

TEST_F(mp, urgent_on_fast_path)
{
	char buf[2048];
	struct rinfo ri;
	uint32_t fast;
	int c, s, on_fast = 0, got = 0;

	netem(_metadata, self, "delay 5ms", "delay 40ms");
	mp_pair(_metadata, self, 1, 0, &c, &s);
	both_paths_up(_metadata, c, s);
	fast = path_of(_metadata, s, 1, MP_SRV_A);
	ASSERT_NE(0U, fast);

	/* some traffic both ways, so that both ends measure their paths */
	for (int i = 0; i < 50; i++) {
		fill(buf, 1024, i);
		ASSERT_EQ(1024, msend(c, buf, 1024, 0, 7, NULL, 0))
			TH_LOG("%s", strerror(errno));
	}
	for (int i = 0; i < 50; i++)
		ASSERT_EQ(1024, mrecv(s, buf, sizeof(buf), 0, &ri))
			TH_LOG("%s", strerror(errno));
	for (int i = 0; i < 50; i++)
		ASSERT_EQ(1024, msend(s, buf, 1024, 0, 7, NULL, 0))
			TH_LOG("%s", strerror(errno));
	for (int i = 0; i < 50; i++)
		ASSERT_EQ(1024, mrecv(c, buf, sizeof(buf), 0, &ri))
			TH_LOG("%s", strerror(errno));
	usleep(300000);
	log_paths(_metadata, "client", c);

	ASSERT_EQ(0, set_timeouts(s, 1000, 5000));
	for (int i = 0; i < 20; i++) {
		fill(buf, 64, 1000 + i);
		ASSERT_EQ(64, msend(c, buf, 64, 0, 0, NULL, 0))
			TH_LOG("%s", strerror(errno));
		if (mrecv(s, buf, sizeof(buf), 0, &ri) != 64) {
			TH_LOG("message %d: recvmsg: %s", i, strerror(errno));
			continue;
		}
		got++;
		on_fast += ri.n_path == 1 && ri.path == fast;
		usleep(50000);
	}
	TH_LOG("%d of %d urgent messages on the fast path", on_fast, got);
	EXPECT_EQ(20, got);
	EXPECT_LE(18, on_fast);
	close(c);
	close(s);
}

/* ---- 7: a JOIN that does not know the carrier's key is refused ---- */

/*
 * Connect a TCP socket to @dst, send a HELLO with a CARRIER and a JOIN
 * extension naming @carrier with a random MAC, and a DATA frame after it.
 * Returns 0 when the server reset or closed the connection within 2 s.
 */
static int forged_join(struct __test_metadata *_metadata,
		       const struct sockaddr_in *dst, uint32_t carrier)
{
	uint8_t f[256], rb[512];
	uint32_t v32;
	uint64_t v64;
	size_t n, body = 32 + 2 + 4 + 2 + 24;
	int r, ret = -1;
	double end;

	r = socket(AF_INET, SOCK_STREAM, 0);
	if (r < 0)
		return -1;
	set_timeouts(r, 2000, 2000);
	if (connect(r, (const void *)dst, sizeof(*dst))) {
		TH_LOG("TCP connect: %s", strerror(errno));
		goto out;
	}
	n = frame_hdr(f, 1, 0, body);
	memset(f + n, 0, body);
	v32 = htonl(0x504f5354);
	memcpy(f + n, &v32, 4);
	f[n + 4] = 1;
	f[n + 5] = 1;
	v32 = htonl(1 << 20);
	memcpy(f + n + 8, &v32, 4);
	for (int i = 0; i < 16; i++)
		f[n + 16 + i] = rand();
	/* CARRIER: any id */
	f[n + 32] = HELLO_EXT_CARRIER;
	f[n + 33] = 4;
	v32 = htonl(rand() | 1);
	memcpy(f + n + 34, &v32, 4);
	/*
	 * JOIN: carrier, reserved, nonce (a join's has its top bit set, so
	 * that only the MAC is wrong), a random MAC
	 */
	f[n + 38] = HELLO_EXT_JOIN;
	f[n + 39] = 24;
	v32 = htonl(carrier);
	memcpy(f + n + 40, &v32, 4);
	v64 = htobe64(NONCE_JOIN | ((uint64_t)rand() << 32) | rand());
	memcpy(f + n + 48, &v64, 8);
	v64 = htobe64(((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 16) ^ rand());
	memcpy(f + n + 56, &v64, 8);
	n += body;
	n += frame_data(f + n, 3, 1000, 4, 0, "evil", 4);
	if (send(r, f, n, MSG_NOSIGNAL) != (ssize_t)n) {
		TH_LOG("TCP send: %s", strerror(errno));
		goto out;
	}
	end = now_s() + 2;
	while (now_s() < end) {
		ssize_t got = recv(r, rb, sizeof(rb), 0);

		if (got == 0 || (got < 0 && errno == ECONNRESET)) {
			ret = 0;
			break;
		}
		if (got < 0) {
			TH_LOG("forged join to carrier %#x: %s", carrier,
			       errno == EAGAIN ? "still open after 2 s" :
			       strerror(errno));
			break;
		}
		TH_LOG("forged join to carrier %#x: the server sent %zd bytes",
		       carrier, got);
	}
out:
	close(r);
	return ret;
}

TEST_F(mp, forged_join)
{
	struct sockaddr_in dst = sin4(MP_SRV_B, self->port);
	struct post_path_desc d[MAX_PATHS];
	struct post_info si;
	char buf[64];
	int c, s, n;

	srand(getpid());
	mp_pair(_metadata, self, 1, 0, &c, &s);
	both_paths_up(_metadata, c, s);
	ASSERT_EQ(0, post_info(s, &si));
	ASSERT_NE(0U, si.carrier_id);

	EXPECT_EQ(0, forged_join(_metadata, &dst, si.carrier_id));
	EXPECT_EQ(0, forged_join(_metadata, &dst, 0x7fffffff));

	ASSERT_EQ(0, fcntl(self->l, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, accept(self->l, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
	usleep(200000);
	n = get_paths(s, d, MAX_PATHS);
	EXPECT_EQ(2, n) log_paths(_metadata, "server", s);
	EXPECT_EQ(2, n_up(d, n));
	/* nothing was injected, and the carrier works */
	EXPECT_EQ(-1, recv(s, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	expect_only(_metadata, c, s, "after");
	close(c);
	close(s);
}

/* ---- 8, 9: a path added by the administrator while messages flow ---- */

/* postctl path add on the client's association; the new path's id (client side). */
static uint32_t add_path(struct __test_metadata *_metadata,
			 FIXTURE_DATA(mp) *self, int c, const char *extra)
{
	struct post_info ci;
	char assoc[16], port[16];
	const char *pc = postctl();

	if (access(pc, X_OK)) {
		TH_LOG("%s: %s (build userspace first)", pc, strerror(errno));
		return 0;
	}
	if (post_info(c, &ci) || !ci.assoc_id) {
		TH_LOG("POST_INFO: no association (%s)", strerror(errno));
		return 0;
	}
	snprintf(assoc, sizeof(assoc), "%u", ci.assoc_id);
	snprintf(port, sizeof(port), "%d", self->port);
	/* this process is in namespace A: as with ip netns exec A */
	if (run(_metadata, NULL, 10000, (const char *[]){
			pc, "path", "add", "assoc", assoc, "remote", MP_SRV_B,
			"port", port, extra, NULL })) {
		TH_LOG("postctl path add assoc %s remote " MP_SRV_B " port %s %s failed",
		       assoc, port, extra ? extra : "");
		return 0;
	}
	return path_of(_metadata, c, 0, MP_SRV_B);
}

TEST_F(mp, path_added_live)
{
	struct post_path_desc d[MAX_PATHS];
	struct stream *st = &g_st;
	uint32_t newid, sb = 0;
	int c, s, n, pinned = 0, wrong = 0;
	pthread_t snd, rcv;
	double end;

	mp_pair(_metadata, self, 0, 0, &c, &s);
	EXPECT_EQ(1, wait_paths_up(c, 1, 3000, d, &n));
	EXPECT_EQ(1, n) log_paths(_metadata, "client", c);

	stream_init(st, c, s, 0, 1024, 7, 2000, 20, 30);
	ASSERT_EQ(0, pthread_create(&rcv, NULL, receiver, st));
	ASSERT_EQ(0, pthread_create(&snd, NULL, sender, st));
	usleep(200000);

	newid = add_path(_metadata, self, c, NULL);
	EXPECT_NE(0U, newid);
	if (newid) {
		EXPECT_EQ(2, wait_paths_up(c, 2, 3000, d, &n))
			log_paths(_metadata, "client", c);
		EXPECT_EQ(2, wait_paths_up(s, 2, 3000, d, &n))
			log_paths(_metadata, "server", s);
		sb = path_of(_metadata, s, 1, MP_SRV_B);
		EXPECT_NE(0U, sb);
		/* from now on the stream goes on the new path */
		__atomic_store_n(&st->pin, newid, __ATOMIC_RELEASE);
	}
	/* 300 ms more of the stream, then all of it must arrive */
	end = now_s() + 0.3;
	while (now_s() < end && !__atomic_load_n(&st->send_done, __ATOMIC_ACQUIRE))
		usleep(10000);
	stream_join(_metadata, st, snd, rcv, 1);
	stream_check(_metadata, st);
	for (int i = 0; i < st->sent; i++) {
		if (!st->count[i] || !st->pinned[i])
			continue;
		pinned++;
		wrong += st->path[i] != sb;
	}
	TH_LOG("%d messages, %d pinned to the new path, %d of those elsewhere",
	       st->sent, pinned, wrong);
	EXPECT_LT(0, pinned);
	EXPECT_EQ(0, wrong);
	close(c);
	close(s);
}

TEST_F(mp, backup_unused)
{
	struct post_path_desc d[MAX_PATHS];
	const struct post_path_desc *bp;
	struct stream *st = &g_st;
	uint32_t newid, sa;
	int c, s, n, elsewhere = 0;

	mp_pair(_metadata, self, 0, 0, &c, &s);
	EXPECT_EQ(1, wait_paths_up(c, 1, 3000, d, &n));
	sa = path_of(_metadata, s, 1, MP_SRV_A);
	ASSERT_NE(0U, sa);

	newid = add_path(_metadata, self, c, "backup");
	ASSERT_NE(0U, newid);
	/* the backup path is ready for a failover, not idle */
	EXPECT_EQ(2, wait_paths_up(c, 2, 3000, d, &n))
		log_paths(_metadata, "client", c);
	bp = path_by_id(d, n, newid);
	ASSERT_NE(NULL, bp);
	EXPECT_EQ(1, bp->backup);

	/* a burst with no path given: everything on path A */
	stream_init(st, c, s, 100, 16 << 10, -1, 0, 15, 25);
	stream_run(_metadata, st);
	EXPECT_EQ(100, st->sent);
	for (int i = 0; i < st->sent; i++)
		elsewhere += st->count[i] && st->path[i] != sa;
	EXPECT_EQ(0, elsewhere) TH_LOG("%d of %d messages not on path A (%u)",
				       elsewhere, st->sent, sa);
	close(c);
	close(s);
}

/* ---- 10: a path fails under a stream, nothing is lost ---- */

/*
 * Start @st's threads and, once 1000 messages are sent, set path A's
 * link down (ip link set va0 down, without a process's start-up
 * delay); *@sent: how many were sent by then.
 */
static void stream_drop_a(struct __test_metadata *_metadata,
			  struct stream *st, pthread_t *snd, pthread_t *rcv,
			  int *sent)
{
	double end = now_s() + 15;

	ASSERT_EQ(0, pthread_create(rcv, NULL, receiver, st));
	ASSERT_EQ(0, pthread_create(snd, NULL, sender, st));
	while (__atomic_load_n(&st->sent, __ATOMIC_ACQUIRE) < 1000 &&
	       !__atomic_load_n(&st->send_done, __ATOMIC_ACQUIRE) && now_s() < end)
		usleep(5000);
	EXPECT_EQ(0, if_conf("va0", NULL, 0)) TH_LOG("va0 down: %s", strerror(errno));
	*sent = __atomic_load_n(&st->sent, __ATOMIC_ACQUIRE);
	TH_LOG("path A down after %d messages sent", *sent);
}

TEST_F(mp, link_down_no_loss)
{
	struct stream *st = &g_st;
	int c, s, drop_seq, before_a = 0, late = 0, sent;
	uint32_t sa, sb;
	pthread_t snd, rcv;

	mp_pair(_metadata, self, 1, 1000, &c, &s);
	both_paths_up(_metadata, c, s);
	sa = path_of(_metadata, s, 1, MP_SRV_A);
	sb = path_of(_metadata, s, 1, MP_SRV_B);
	ASSERT_NE(0U, sa);
	ASSERT_NE(0U, sb);

	stream_init(st, c, s, 2000, 4096, 7, 1000, 20, 30);
	stream_drop_a(_metadata, st, &snd, &rcv, &sent);
	/*
	 * A message whose sendmsg() began after that read of the counter
	 * cannot have used path A: any later seq started after the link
	 * was down.
	 */
	drop_seq = sent + 1;
	stream_join(_metadata, st, snd, rcv, 0);
	stream_check(_metadata, st);
	EXPECT_EQ(2000, st->sent);
	for (int i = 0; i < st->sent; i++) {
		if (!st->count[i])
			continue;
		if (i < sent && st->path[i] == sa)
			before_a++;
		if (i >= drop_seq && st->path[i] != sb)
			late++;
	}
	TH_LOG("%d messages went on path A before the drop", before_a);
	EXPECT_EQ(0, late) TH_LOG("%d messages sent after the drop not on path B",
				  late);
	log_paths(_metadata, "client", c);
	close(c);
	close(s);
}


/*
 * The accepting side sends before the client's join reaches it, over a
 * slow path A; once the join is in, path A dies with those messages
 * still in flight: they are sent again on path B, and the client gets
 * every one exactly once.
 */
TEST_F(mp, server_prejoin_no_loss)
{
	static char buf[4096], rbuf[8192];
	int c, s, i, sent = 0, got = 0, dups = 0, bad = 0, on_b = 0, n;
	struct post_path_desc d[MAX_PATHS];
	uint8_t seen[64] = {};
	struct rinfo ri;
	char cmd[128];
	double end, t;
	uint32_t cb;

	/*
	 * Path A's server side drains 1 Mbit/s (less on the debug kernel):
	 * what it sends waits there, 2 s for all of it; path B's client
	 * side delays 300 ms: the join takes 600 ms or more.
	 */
	snprintf(cmd, sizeof(cmd), "qdisc add dev vb0 root netem rate %dkbit limit 10000\n",
		 1024 / slow());
	ASSERT_EQ(0, run(_metadata, cmd, 10000, (const char *[]){
			"tc", "-n", self->b, "-batch", "-", NULL }));
	ASSERT_EQ(0, run(_metadata, "qdisc add dev va1 root netem delay 300ms\n",
			 10000, (const char *[]){ "tc", "-n", self->a, "-batch",
						  "-", NULL }));
	mp_pair(_metadata, self, 1, 0, &c, &s);
	t = now_s();
	for (i = 0; i < 64; i++) {
		memset(buf, i, sizeof(buf));
		if (msend(s, buf, sizeof(buf), MSG_DONTWAIT, 7, NULL, 0) !=
		    (ssize_t)sizeof(buf))
			break;
		sent++;
	}
	ASSERT_LE(16, sent) TH_LOG("only %d sent: %s", sent, strerror(errno));
	/* the server has the join: what it holds on path A was sent before */
	EXPECT_EQ(2, wait_paths_up(s, 2, 10000, d, &n)) log_paths(_metadata, "server", s);
	t = now_s() - t;
	cb = path_of(_metadata, c, 0, MP_SRV_B);
	if (t > 1.5 * slow())
		SKIP(goto out, "the join took %.1f s: path A drained meanwhile", t);
	/* what path A holds is lost with it */
	ASSERT_EQ(0, if_conf("va0", NULL, 0));

	end = now_s() + 30 * slow();
	while (got < sent && now_s() < end) {
		ssize_t n = mrecv(c, rbuf, sizeof(rbuf), 0, &ri);

		if (n < 0 && errno == EAGAIN)
			continue;
		ASSERT_EQ((ssize_t)sizeof(buf), n) TH_LOG("recv: %s", strerror(errno));
		i = (uint8_t)rbuf[0];
		if (i >= sent || rbuf[sizeof(buf) - 1] != rbuf[0])
			bad++;
		else if (seen[i]++)
			dups++;
		else
			got++;
		on_b += ri.path == cb;
	}
	TH_LOG("%d of %d messages, %d of them on path B", got, sent, on_b);
	log_paths(_metadata, "server", s);
	EXPECT_EQ(sent, got);
	EXPECT_EQ(0, dups);
	EXPECT_EQ(0, bad);
	EXPECT_LE(1, on_b);
out:
	close(c);
	close(s);
}

/* ---- 11: a policy that keeps carriers on one path ---- */

/*
 * The client's own policy prohibits multipath: it opens no transient on
 * the candidate.  Then the server's system policy does (postctl in
 * namespace B): the client's join is reset, and nothing but the first
 * path carries the carrier on either side.
 */
TEST_F(mp, multipath_prohibited)
{
	struct post_policy_opt po = {};
	struct sockaddr_in b = sin4(MP_SRV_B, 0);
	struct post_path_desc d[MAX_PATHS];
	const char *pc = postctl();
	char msg[64] = "one path", got[64];
	struct rinfo ri = {};
	int c, s, n, i;

	for (i = 0; i < 2; i++) {
		if (i == 1) {
			/* the server's namespace prohibits it for everyone */
			ASSERT_EQ(0, access(pc, X_OK));
			ASSERT_EQ(0, setns(self->fb, CLONE_NEWNET));
			ASSERT_EQ(0, run(_metadata, NULL, 10000, (const char *[]){
				pc, "policy", "set", "multipath", "prohibit", NULL }));
			ASSERT_EQ(0, setns(self->fa, CLONE_NEWNET));
		}
		c = socket(AF_POST, SOCK_SEQPACKET, 0);
		ASSERT_LE(0, c);
		ASSERT_EQ(0, set_timeouts(c, 5000, 5000));
		if (i == 0) {
			po.pref[POST_PROP_MULTIPATH] = POST_PREF_PROHIBIT;
			ASSERT_EQ(0, setsockopt(c, SOL_POST, POST_POLICY, &po,
						sizeof(po)));
		}
		ASSERT_EQ(0, setsockopt(c, SOL_POST, POST_REMOTE_ADD, &b,
					sizeof(b)));
		ASSERT_EQ(0, connect(c, (void *)&self->srv, sizeof(self->srv)));
		s = accept(self->l, NULL, NULL);
		ASSERT_LE(0, s);
		ASSERT_EQ(0, set_timeouts(s, 5000, 5000));

		/* the candidate is a path, but it never comes up */
		EXPECT_EQ(1, wait_paths_up(c, 2, 1500, d, &n))
			log_paths(_metadata, "client", c);
		EXPECT_EQ(2, n);
		n = get_paths(s, d, MAX_PATHS);
		EXPECT_EQ(1, n) log_paths(_metadata, "server", s);
		/* the carrier works on its one path */
		ASSERT_EQ((ssize_t)sizeof(msg),
			  msend(c, msg, sizeof(msg), 0, -1, NULL, 0));
		ASSERT_EQ((ssize_t)sizeof(msg), mrecv(s, got, sizeof(got), 0, &ri));
		EXPECT_EQ(0, memcmp(msg, got, sizeof(msg)));
		EXPECT_EQ(path_id_by(d, n, 1, MP_SRV_A), ri.path);
		/* no carrier of its own for a refused join either */
		ASSERT_EQ(0, fcntl(self->l, F_SETFL, O_NONBLOCK));
		EXPECT_EQ(-1, accept(self->l, NULL, NULL));
		EXPECT_EQ(EAGAIN, errno);
		ASSERT_EQ(0, fcntl(self->l, F_SETFL, 0));
		close(c);
		close(s);
	}
}

/* ---- 12: a path that failed is used again once it is back ---- */

TEST_F(mp, path_returns)
{
	struct post_path_desc d[MAX_PATHS];
	const struct post_path_desc *pd;
	static char buf[16384], got[16384];
	uint32_t pa, sa;
	struct rinfo ri;
	int c, s, i, n;
	double t0;

	mp_pair(_metadata, self, 1, 0, &c, &s);
	both_paths_up(_metadata, c, s);
	pa = path_of(_metadata, c, 0, MP_SRV_A);
	ASSERT_NE(0U, pa);
	/* a message on the dead path waits for 3 RTOs (documented) */
	ASSERT_EQ(0, set_timeouts(s, 20000, 5000));

	EXPECT_EQ(0, if_conf("va0", NULL, 0)) TH_LOG("va0 down: %s", strerror(errno));
	/* bulk on both until the client gives path A up */
	for (i = 0; i < 1000; i++) {
		ASSERT_EQ((ssize_t)sizeof(buf), msend(c, buf, sizeof(buf), 0, 7, NULL, 0))
			TH_LOG("send %d: %s", i, strerror(errno));
		ASSERT_EQ((ssize_t)sizeof(buf), mrecv(s, got, sizeof(got), 0, &ri))
			TH_LOG("recv %d: %s", i, strerror(errno));
		n = get_paths(c, d, MAX_PATHS);
		pd = path_by_id(d, n, pa);
		if (pd && !pd->state)
			break;
	}
	ASSERT_LT(i, 1000) log_paths(_metadata, "client", c);

	/*
	 * A message pinned to the dead path waits for it; it holds nothing
	 * else back.  (It did: the message before it went to TCP with
	 * MSG_MORE, for the pinned one that could not follow, and waited
	 * for TCP's probe timer, at least 200 ms.)
	 */
	ASSERT_EQ(100, msend(c, buf, 100, MSG_DONTWAIT, 7, &pa, 1))
		TH_LOG("send pinned to the dead path: %s", strerror(errno));
	t0 = now_s();
	ASSERT_EQ(100, msend(c, buf, 100, 0, 7, NULL, 0));
	ASSERT_EQ(100, mrecv(s, got, sizeof(got), 0, &ri));
	t0 = now_s() - t0;
	EXPECT_LT(t0, 0.15) TH_LOG("the next message took %.0f ms", t0 * 1e3);

	EXPECT_EQ(0, if_conf("va0", NULL, 1)) TH_LOG("va0 up: %s", strerror(errno));

	/* tried again a second after it failed, then every 2, 4... s */
	EXPECT_EQ(2, wait_paths_up(c, 2, 8000, d, &n))
		log_paths(_metadata, "client", c);
	sa = path_of(_metadata, s, 1, MP_SRV_A);
	ASSERT_NE(0U, sa);
	/* and carries what is pinned to it, the one that waited first */
	ASSERT_EQ(100, mrecv(s, got, sizeof(got), 0, &ri));
	EXPECT_EQ(sa, ri.path);
	for (i = 0; i < 5; i++) {
		ASSERT_EQ((ssize_t)sizeof(buf), msend(c, buf, sizeof(buf), 0, 7, &pa, 1))
			TH_LOG("pinned send %d: %s", i, strerror(errno));
		ASSERT_EQ((ssize_t)sizeof(buf), mrecv(s, got, sizeof(got), 0, &ri))
			TH_LOG("pinned recv %d: %s", i, strerror(errno));
		EXPECT_EQ(sa, ri.path);
	}
	close(c);
	close(s);
}

/* ---- 13: a listener advertises its other address ---- */

static int get_adv(int fd)
{
	socklen_t len = sizeof(int);
	int v = -1;

	if (getsockopt(fd, SOL_POST, POST_ADVERTISE, &v, &len) || len != sizeof(int))
		return -1;
	return v;
}

/*
 * The server's listener, on the wildcard address, advertises path B's
 * address in its HELLO: the client, given only path A's, opens a
 * transient on B and uses it.  A client whose policy avoids several
 * paths ignores the advertisement; a listener bound to one address
 * advertises nothing.
 */
TEST_F(mp, advertised_addresses)
{
	struct sockaddr_in one_addr = sin4(MP_SRV_A, 0);
	struct post_policy_opt po = {};
	struct post_path_desc d[MAX_PATHS];
	int c, s, n, on = 1, two = 2, st, l2;
	uint32_t cb, sb, pin;
	char buf[1000];
	socklen_t len;
	struct rinfo ri;

	/* bad input */
	st = socket(AF_POST, SOCK_STREAM, 0);
	ASSERT_LE(0, st);
	EXPECT_EQ(-1, setsockopt(st, SOL_POST, POST_ADVERTISE, &on, sizeof(on)));
	EXPECT_EQ(EINVAL, errno);
	close(st);
	EXPECT_EQ(0, get_adv(self->l));
	EXPECT_EQ(-1, setsockopt(self->l, SOL_POST, POST_ADVERTISE, &two, sizeof(two)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(self->l, SOL_POST, POST_ADVERTISE, &on, 2));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, get_adv(self->l));
	ASSERT_EQ(0, setsockopt(self->l, SOL_POST, POST_ADVERTISE, &on, sizeof(on)));
	EXPECT_EQ(1, get_adv(self->l));

	/* no POST_REMOTE_ADD: B comes from the server's HELLO */
	mp_pair(_metadata, self, 0, 0, &c, &s);
	both_paths_up(_metadata, c, s);
	EXPECT_EQ(1, get_adv(s));	/* inherited */
	cb = path_of(_metadata, c, 0, MP_SRV_B);
	sb = path_of(_metadata, s, 1, MP_SRV_B);
	ASSERT_NE(0U, cb);
	ASSERT_NE(0U, sb);
	pin = cb;
	for (int i = 0; i < 10; i++) {
		memset(buf, 'a' + i, sizeof(buf));
		ASSERT_EQ((ssize_t)sizeof(buf), msend(c, buf, sizeof(buf), 0, -1, &pin, 1))
			TH_LOG("sendmsg on path B: %s", strerror(errno));
	}
	for (int i = 0; i < 10; i++) {
		ASSERT_EQ((ssize_t)sizeof(buf), mrecv(s, buf, sizeof(buf), 0, &ri));
		EXPECT_EQ(sb, ri.path);
		EXPECT_EQ('a' + i, buf[0]);
	}
	close(c);
	close(s);

	/* a client that avoids several paths takes none of them */
	c = socket(AF_POST, SOCK_SEQPACKET, 0);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, set_timeouts(c, 5000, 5000));
	po.pref[POST_PROP_MULTIPATH] = POST_PREF_AVOID;
	ASSERT_EQ(0, setsockopt(c, SOL_POST, POST_POLICY, &po, sizeof(po)));
	ASSERT_EQ(0, connect(c, (void *)&self->srv, sizeof(self->srv)));
	s = accept(self->l, NULL, NULL);
	ASSERT_LE(0, s);
	expect_only(_metadata, c, s, "one path");
	/* B may be a path of the association already, but it stays down */
	EXPECT_EQ(1, wait_paths_up(c, 2, 1500, d, &n))
		log_paths(_metadata, "client", c);
	close(c);
	close(s);

	/* a listener on one address: joins could not reach the others */
	ASSERT_EQ(0, setns(self->fb, CLONE_NEWNET));
	l2 = socket(AF_POST, SOCK_SEQPACKET, 0);
	ASSERT_EQ(0, setns(self->fa, CLONE_NEWNET));
	ASSERT_LE(0, l2);
	ASSERT_EQ(0, setsockopt(l2, SOL_POST, POST_ADVERTISE, &on, sizeof(on)));
	len = sizeof(one_addr);
	ASSERT_EQ(0, bind(l2, (void *)&one_addr, sizeof(one_addr)));
	ASSERT_EQ(0, listen(l2, 4));
	ASSERT_EQ(0, getsockname(l2, (void *)&one_addr, &len));
	ASSERT_EQ(0, set_timeouts(l2, 5000, 5000));
	c = socket(AF_POST, SOCK_SEQPACKET, 0);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, set_timeouts(c, 5000, 5000));
	ASSERT_EQ(0, connect(c, (void *)&one_addr, sizeof(one_addr)));
	s = accept(l2, NULL, NULL);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, set_timeouts(s, 5000, 5000));
	expect_only(_metadata, c, s, "bound");
	EXPECT_EQ(1, wait_paths_up(c, 2, 1500, d, &n))
		log_paths(_metadata, "client", c);
	EXPECT_EQ(1, n) log_paths(_metadata, "client", c);
	close(c);
	close(s);
	close(l2);
}

/* ---- 14: no path left, then one returns ---- */

/* Both namespaces' carriers resume rather than fail. */
static void resume_policy(struct __test_metadata *_metadata,
			  FIXTURE_DATA(mp) *self)
{
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, setns(i ? self->fa : self->fb, CLONE_NEWNET));
		ASSERT_EQ(0, run(_metadata, NULL, 10000, (const char *[]){
			postctl(), "policy", "set", "resume", "prefer", NULL }));
	}
}

/*
 * With both links down, @c sends ten messages and goes dormant once
 * the user timeout (1 s) ended its transients.
 */
static void owe_and_sleep(struct __test_metadata *_metadata, int c, double t0)
{
	struct post_info pi;
	char buf[64];
	double end;
	int i;

	for (i = 0; i < 10; i++) {
		snprintf(buf, sizeof(buf), "owed %d", i);
		ASSERT_EQ((ssize_t)sizeof(buf), msend(c, buf, sizeof(buf), 0, -1, NULL, 0))
			TH_LOG("send %d: %s", i, strerror(errno));
	}
	end = now_s() + 20 * slow();
	do {
		usleep(100000);
		ASSERT_EQ(0, post_info(c, &pi));
	} while (!pi.dormant && now_s() < end);
	ASSERT_EQ(1U, pi.dormant) log_paths(_metadata, "client", c);
	TH_LOG("%.1f s: dormant", now_s() - t0);
}

/*
 * Once a link is back, the server gets the ten messages @c owes, each
 * once, without another send: the client redials by itself (1 s after
 * going dormant, then 2, 4, 8 and 16 s later) and must not fail
 * meanwhile.  The path of the last one in @ri.
 */
static void owed_arrive(struct __test_metadata *_metadata, int c, int s,
			double t0, struct rinfo *ri)
{
	double end = now_s() + 40 * slow();
	int i = 0, n = 0, seen[10] = {};
	struct post_info pi;
	char buf[64];

	while (i < 10) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		int k;

		if (poll(&p, 1, 200) <= 0) {
			ASSERT_EQ(0, post_info(c, &pi));
			if (pi.state == TCP_ESTABLISHED && now_s() < end)
				continue;
			TH_LOG("%.1f s: %d received; client: dormant %u, resumes %u, state %u, error %s",
			       now_s() - t0, i, pi.dormant, pi.resumes,
			       pi.state, strerror(sock_err(c)));
			log_paths(_metadata, "client", c);
			log_paths(_metadata, "server", s);
			ASSERT_TRUE(0);
		}
		ASSERT_EQ((ssize_t)sizeof(buf), mrecv(s, buf, sizeof(buf), 0, ri))
			TH_LOG("recv %d: %s", i, strerror(errno));
		ASSERT_EQ(1, sscanf(buf, "owed %d", &k)) TH_LOG("got \"%.20s\"", buf);
		EXPECT_TRUE(k >= 0 && k < 10) TH_LOG("message %d", k);
		if (k >= 0 && k < 10)
			seen[k]++;
		i++;
	}
	TH_LOG("%.1f s: all received", now_s() - t0);
	for (i = 0; i < 10; i++)
		n += seen[i] != 1;
	EXPECT_EQ(0, n) TH_LOG("%d messages not seen exactly once", n);
	/* what it resent may arrive before it read the server's HELLO */
	end = now_s() + 5 * slow();
	do {
		ASSERT_EQ(0, post_info(c, &pi));
	} while (pi.dormant && now_s() < end && !usleep(20000));
	EXPECT_EQ(0U, pi.dormant);
	EXPECT_LE(1U, pi.resumes);
}

/*
 * Both links go down: the client's carrier, which may resume, goes
 * dormant with messages it owes.  Path B comes back, and without
 * another send from the application the carrier resumes on it (path A
 * still has no route) and delivers every message once.
 */
TEST_F(mp, all_paths_down_resume)
{
	struct post_path_desc d[MAX_PATHS];
	struct rinfo ri;
	double t0;
	int c, s, n;

	resume_policy(_metadata, self);
	mp_pair(_metadata, self, 1, 1000, &c, &s);
	both_paths_up(_metadata, c, s);
	t0 = now_s();

	EXPECT_EQ(0, if_conf("va0", NULL, 0)) TH_LOG("va0 down: %s", strerror(errno));
	EXPECT_EQ(0, if_conf("va1", NULL, 0)) TH_LOG("va1 down: %s", strerror(errno));
	owe_and_sleep(_metadata, c, t0);
	EXPECT_EQ(0, wait_paths_up(c, 2, 100, d, &n));

	/* path B is back; path A is not, and has no route */
	EXPECT_EQ(0, if_conf("va1", NULL, 1)) TH_LOG("va1 up: %s", strerror(errno));
	owed_arrive(_metadata, c, s, t0, &ri);
	EXPECT_EQ(path_of(_metadata, s, 1, MP_SRV_B), ri.path);
	expect_only(_metadata, c, s, "after");
	EXPECT_EQ(0, if_conf("va0", NULL, 1));
	close(c);
	close(s);
}

/*
 * Path A, the one the client connected on, dies first: path B, joined,
 * becomes the carrier's own transient.  Then B dies too, and comes
 * back: the carrier resumes on B, the path it had last, though A is
 * still the address it connected to.
 */
TEST_F(mp, promoted_path_resumes)
{
	struct post_path_desc d[MAX_PATHS];
	int c, s, i, n, sent = 0, got = 0;
	struct post_info pi;
	struct rinfo ri;
	char buf[64];
	double end, t0;

	resume_policy(_metadata, self);
	mp_pair(_metadata, self, 1, 1000, &c, &s);
	both_paths_up(_metadata, c, s);
	t0 = now_s();

	/*
	 * Messages on path A find it gone: B carries on, A is down.  Bulk
	 * ones (niceness 7), which go on every path with room, A first: an
	 * urgent message goes on the path of the lowest RTT only, and if
	 * that is B, nothing ever finds A gone.
	 */
	EXPECT_EQ(0, if_conf("va0", NULL, 0)) TH_LOG("va0 down: %s", strerror(errno));
	end = now_s() + 20 * slow();
	do {
		snprintf(buf, sizeof(buf), "early %d", sent);
		ASSERT_EQ((ssize_t)sizeof(buf), msend(c, buf, sizeof(buf), 0, 7, NULL, 0))
			TH_LOG("send %d: %s", sent, strerror(errno));
		sent++;
		usleep(100000);
		n = get_paths(c, d, MAX_PATHS);
	} while ((n < 0 || n_up(d, n) != 1) && now_s() < end);
	ASSERT_EQ(1, n_up(d, n)) log_paths(_metadata, "client", c);
	for (i = 0; i < n; i++)
		if (d[i].state == 1)
			EXPECT_EQ(path_id_by(d, n, 0, MP_SRV_B), d[i].id);
	for (got = 0; got < sent; got++)
		ASSERT_EQ((ssize_t)sizeof(buf), mrecv(s, buf, sizeof(buf), 0, &ri))
			TH_LOG("early %d of %d: %s", got, sent, strerror(errno));
	ASSERT_EQ(0, post_info(c, &pi));
	ASSERT_EQ(0U, pi.dormant);
	TH_LOG("%.1f s: path A down after %d messages", now_s() - t0, sent);

	EXPECT_EQ(0, if_conf("va1", NULL, 0)) TH_LOG("va1 down: %s", strerror(errno));
	owe_and_sleep(_metadata, c, t0);
	EXPECT_EQ(0, if_conf("va1", NULL, 1)) TH_LOG("va1 up: %s", strerror(errno));
	owed_arrive(_metadata, c, s, t0, &ri);
	EXPECT_EQ(path_of(_metadata, s, 1, MP_SRV_B), ri.path);
	EXPECT_EQ(0, if_conf("va0", NULL, 1));
	close(c);
	close(s);
}

/* ---- 15: the administrator sets a live path down, then up ---- */

/* postctl path set assoc <c's association> id @id @state */
static int path_admin(struct __test_metadata *_metadata, int c, uint32_t id,
		      const char *state)
{
	char assoc[16], sid[16];
	struct post_info ci;

	if (post_info(c, &ci) || !ci.assoc_id)
		return -1;
	snprintf(assoc, sizeof(assoc), "%u", ci.assoc_id);
	snprintf(sid, sizeof(sid), "%u", id);
	return run(_metadata, NULL, 10000, (const char *[]){
		postctl(), "path", "set", "assoc", assoc, "id", sid, state, NULL });
}

/* Wait until exactly @want paths of @fd's association are up. */
static int wait_n_up(int fd, int want, int ms)
{
	struct post_path_desc d[MAX_PATHS];
	double end = now_s() + ms * slow() / 1e3;
	int n, up;

	do {
		n = get_paths(fd, d, MAX_PATHS);
		up = n < 0 ? -1 : n_up(d, n);
		if (up == want)
			break;
		usleep(20000);
	} while (now_s() < end);
	return up;
}

/* postctl -j monitor in this namespace, its output gathered */
struct mon {
	pid_t pid;
	int fd;
	size_t len;
	char buf[1 << 16];
};

/* Is there an event line with @a and @b in it, within @ms? */
static int mon_seen(struct mon *m, const char *a, const char *b, int ms)
{
	double end = now_s() + ms * slow() / 1e3;
	ssize_t n;

	for (;;) {
		while (m->len < sizeof(m->buf) - 1 &&
		       (n = read(m->fd, m->buf + m->len,
				 sizeof(m->buf) - 1 - m->len)) > 0)
			m->len += n;
		m->buf[m->len] = 0;
		for (char *l = m->buf, *e; *l; l = e + 1) {
			e = strchrnul(l, '\n');
			if (!*e)
				break;	/* not a whole line yet */
			*e = 0;
			n = strstr(l, a) && (!b || strstr(l, b));
			*e = '\n';
			if (n)
				return 1;
		}
		if (now_s() >= end)
			return 0;
		usleep(20000);
	}
}

static int mon_start(struct __test_metadata *_metadata, struct mon *m)
{
	int p[2];

	m->len = 0;
	if (pipe2(p, O_CLOEXEC))
		return -1;
	m->pid = fork();
	if (m->pid == 0) {
		dup2(p[1], 1);
		execl(postctl(), postctl(), "-j", "monitor", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	m->fd = p[0];
	fcntl(m->fd, F_SETFL, O_NONBLOCK);
	if (m->pid < 0)
		return -1;
	/* subscribed once it reports a change made after it started */
	for (int i = 0; i < 50; i++) {
		if (run(_metadata, NULL, 10000, (const char *[]){
				postctl(), "policy", "set", "reuse", "on", NULL }))
			return -1;
		if (mon_seen(m, "\"policy\"", NULL, 200))
			return 0;
	}
	return -1;
}

static void mon_stop(struct mon *m)
{
	kill(m->pid, SIGTERM);
	waitpid(m->pid, NULL, 0);
	close(m->fd);
}

static struct mon g_mon;

/*
 * A path set down (admin-up off) loses its transient on both sides at
 * once, and messages keep going on the other; set up again, it is
 * joined again and carries what is pinned to it; the monitor tells
 * both.  The carrier's first path set down hands over to the joined one.
 */
TEST_F(mp, admin_down_live)
{
	uint32_t ca, cb, sa, sb, pin;
	char buf[1000];
	struct rinfo ri;
	int c, s, i;

	mp_pair_ids(_metadata, self, &c, &s, &ca, &cb, &sa, &sb);

	ASSERT_EQ(0, mon_start(_metadata, &g_mon));
	ASSERT_EQ(0, path_admin(_metadata, c, cb, "down"));
	EXPECT_EQ(1, wait_n_up(c, 1, 3000)) log_paths(_metadata, "client", c);
	EXPECT_EQ(1, wait_n_up(s, 1, 3000)) log_paths(_metadata, "server", s);
	for (i = 0; i < 20; i++) {
		memset(buf, 'a' + i, sizeof(buf));
		ASSERT_EQ((ssize_t)sizeof(buf), msend(c, buf, sizeof(buf), 0, 7, NULL, 0));
	}
	for (i = 0; i < 20; i++) {
		ASSERT_EQ((ssize_t)sizeof(buf), mrecv(s, buf, sizeof(buf), 0, &ri))
			TH_LOG("recv %d: %s", i, strerror(errno));
		EXPECT_EQ('a' + i, buf[0]);
		EXPECT_EQ(sa, ri.path);
	}

	/* announced on the monitor */
	EXPECT_TRUE(mon_seen(&g_mon, "\"object\":\"path\",\"event\":\"changed\"",
			     MP_SRV_B, 3000)) TH_LOG("monitor: %s", g_mon.buf);
	EXPECT_TRUE(mon_seen(&g_mon, "\"object\":\"path\",\"event\":\"down\"",
			     MP_SRV_B, 3000)) TH_LOG("monitor: %s", g_mon.buf);

	ASSERT_EQ(0, path_admin(_metadata, c, cb, "up"));
	EXPECT_EQ(2, wait_n_up(c, 2, 5000)) log_paths(_metadata, "client", c);
	EXPECT_TRUE(mon_seen(&g_mon, "\"object\":\"path\",\"event\":\"up\"",
			     MP_SRV_B, 3000)) TH_LOG("monitor: %s", g_mon.buf);
	mon_stop(&g_mon);
	EXPECT_EQ(2, wait_n_up(s, 2, 5000)) log_paths(_metadata, "server", s);
	pin = cb;
	for (i = 0; i < 5; i++) {
		ASSERT_EQ((ssize_t)sizeof(buf), msend(c, buf, sizeof(buf), 0, -1, &pin, 1))
			TH_LOG("pinned send %d: %s", i, strerror(errno));
		ASSERT_EQ((ssize_t)sizeof(buf), mrecv(s, buf, sizeof(buf), 0, &ri));
		EXPECT_EQ(sb, ri.path);
	}

	/* the first path: B takes over */
	ASSERT_EQ(0, path_admin(_metadata, c, ca, "down"));
	EXPECT_EQ(1, wait_n_up(c, 1, 3000)) log_paths(_metadata, "client", c);
	EXPECT_EQ(1, wait_n_up(s, 1, 3000)) log_paths(_metadata, "server", s);
	for (i = 0; i < 10; i++) {
		ASSERT_EQ((ssize_t)sizeof(buf), msend(c, buf, sizeof(buf), 0, 7, NULL, 0));
		ASSERT_EQ((ssize_t)sizeof(buf), mrecv(s, buf, sizeof(buf), 0, &ri))
			TH_LOG("recv %d: %s", i, strerror(errno));
		EXPECT_EQ(sb, ri.path);
	}
	expect_only(_metadata, c, s, "end");
	close(c);
	close(s);
}

/* ---- MPTCP as a transport (transparent multipath) ---- */

/* MPTCP limits in both namespaces; B announces its address on path B. */
static void mptcp_conf(struct __test_metadata *_metadata,
		       FIXTURE_DATA(mp) *self)
{
	ASSERT_EQ(0, run(_metadata,
			 "mptcp limits set subflows 2 add_addr_accepted 2\n",
			 10000, (const char *[]){ "ip", "-n", self->a, "-batch",
						  "-", NULL }));
	ASSERT_EQ(0, run(_metadata,
			 "mptcp limits set subflows 2 add_addr_accepted 2\n"
			 "mptcp endpoint add " MP_SRV_B " dev vb1 signal\n",
			 10000, (const char *[]){ "ip", "-n", self->b, "-batch",
						  "-", NULL }));
}

/* A listener in B: socket(@family, @type, @proto) on 0.0.0.0, its port. */
static int listener_in_b(struct __test_metadata *_metadata,
			 FIXTURE_DATA(mp) *self, int family, int type,
			 int proto, int *port)
{
	struct sockaddr_in any = sin4("0.0.0.0", 0);
	socklen_t len = sizeof(any);
	int l, one = 1;

	if (setns(self->fb, CLONE_NEWNET))
		return -1;
	l = socket(family, type, proto);
	if (setns(self->fa, CLONE_NEWNET)) {
		close(l);
		return -1;
	}
	if (l < 0)
		return -1;
	if (setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (void *)&any, sizeof(any)) || listen(l, 16) ||
	    getsockname(l, (void *)&any, &len) || set_timeouts(l, 5000, 5000)) {
		close(l);
		return -1;
	}
	*port = ntohs(any.sin_port);
	return l;
}

/* MPTCP_INFO's additional subflows of @fd, or -errno. */
static int mptcp_subflows(int fd, uint32_t *flags)
{
	struct mptcp_info mi = {};
	socklen_t len = sizeof(mi);

	if (getsockopt(fd, SOL_MPTCP, MPTCP_INFO, &mi, &len))
		return -errno;
	if (flags)
		*flags = mi.mptcpi_flags;
	return mi.mptcpi_subflows;
}

static int wait_subflows(int fd, int want, int ms)
{
	double end = now_s() + ms * slow() / 1e3;
	int n;

	while ((n = mptcp_subflows(fd, NULL)) != want && now_s() < end)
		usleep(20000);
	return n;
}

/* An MPTCP pair: *c in A connected to 192.0.2.2, *s accepted in B. */
static void mptcp_pair(struct __test_metadata *_metadata,
		       FIXTURE_DATA(mp) *self, int type, int *l, int *c,
		       int *s)
{
	struct sockaddr_in srv;
	int port;

	*l = listener_in_b(_metadata, self, AF_POST, type, IPPROTO_MPTCP,
			   &port);
	ASSERT_LE(0, *l) TH_LOG("MPTCP listener: %s", strerror(errno));
	srv = sin4(MP_SRV_A, port);
	*c = socket(AF_POST, type, IPPROTO_MPTCP);
	ASSERT_LE(0, *c);
	ASSERT_EQ(0, set_timeouts(*c, 5000, 5000));
	ASSERT_EQ(0, connect(*c, (void *)&srv, sizeof(srv)))
		TH_LOG("connect: %s", strerror(errno));
	*s = accept(*l, NULL, NULL);
	ASSERT_LE(0, *s) TH_LOG("accept: %s", strerror(errno));
	ASSERT_EQ(0, set_timeouts(*s, 5000, 5000));
}

/* The output of postctl @args (in this namespace) into @buf. */
static int postctl_out(const char *args, char *buf, size_t size)
{
	char cmd[PATH_MAX + 128];
	size_t got = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", postctl(), args);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (got < size - 1 && !feof(f)) {
		size_t n = fread(buf + got, 1, size - 1 - got, f);

		if (!n)
			break;
		got += n;
	}
	buf[got] = 0;
	return pclose(f);
}

/*
 * socket(AF_POST, SOCK_SEQPACKET, IPPROTO_MPTCP): one MPTCP transient,
 * whose second subflow the kernel's path manager opens to the address
 * the server announces; AF_POST opens no path of its own.  Messages of
 * every size keep their boundaries, and MPTCP_INFO, the carrier dump
 * and SO_PROTOCOL tell what the carrier uses.
 */
TEST_F(mp, mptcp_transport)
{
	struct post_path_desc d[MAX_PATHS];
	struct stream *st = &g_st;
	int l, c, s, proto = 0, rcvbuf = 96 << 10;
	socklen_t len = sizeof(proto);
	static char out[8192];

	mptcp_conf(_metadata, self);
	c = socket(AF_POST, SOCK_SEQPACKET, IPPROTO_MPTCP);
	ASSERT_LE(0, c);
	EXPECT_EQ(-ENOTCONN, mptcp_subflows(c, NULL));
	ASSERT_EQ(0, getsockopt(c, SOL_SOCKET, SO_PROTOCOL, &proto, &len));
	EXPECT_EQ(IPPROTO_MPTCP, proto);
	close(c);

	mptcp_pair(_metadata, self, SOCK_SEQPACKET, &l, &c, &s);
	EXPECT_EQ(1, wait_subflows(c, 1, 5000));
	EXPECT_EQ(1, wait_subflows(s, 1, 5000));
	/* no join of its own: MPTCP's subflows are the paths */
	EXPECT_EQ(1, get_paths(c, d, MAX_PATHS)) log_paths(_metadata, "client", c);

	/*
	 * Large messages, over several chunks and receive buffers; a small
	 * receive buffer stops the parser in the middle of what MPTCP gave.
	 */
	ASSERT_EQ(0, setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)));
	stream_init(st, c, s, 200, 64 << 10, 7, 0, 20, 30);
	stream_run(_metadata, st);
	EXPECT_EQ(200, st->sent);

	/* small ones, many to one receive buffer */
	stream_init(st, c, s, 3000, 100, 3, 0, 20, 30);
	stream_run(_metadata, st);
	EXPECT_EQ(3000, st->sent);

	EXPECT_EQ(1, mptcp_subflows(c, NULL));
	EXPECT_EQ(0, postctl_out("carrier show", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "transient mptcp subflows 2 "))
		TH_LOG("postctl: %s", out);
	close(c);
	close(s);
	close(l);
}

/*
 * The link under MPTCP's first subflow goes down mid-transfer: MPTCP
 * sends on the other subflow what the first one had not delivered, and
 * the receiver gets every message exactly once.
 */
TEST_F(mp, mptcp_link_down_no_loss)
{
	struct stream *st = &g_st;
	int l, c, s, sent;
	pthread_t snd, rcv;

	mptcp_conf(_metadata, self);
	mptcp_pair(_metadata, self, SOCK_SEQPACKET, &l, &c, &s);
	ASSERT_EQ(1, wait_subflows(c, 1, 5000));

	stream_init(st, c, s, 2000, 4096, 7, 1000, 30, 40);
	stream_drop_a(_metadata, st, &snd, &rcv, &sent);
	stream_join(_metadata, st, snd, rcv, 0);
	stream_check(_metadata, st);
	EXPECT_EQ(2000, st->sent);
	close(c);
	close(s);
	close(l);
}

/* Reads @len bytes of the pattern from @fd after 200 ms; counts the bad ones. */
struct drain {
	int fd;
	size_t len, bad;
};

static void *drainer(void *arg)
{
	struct drain *d = arg;
	static char buf[65536];
	size_t got = 0;
	double end = now_s() + 10 * slow();

	usleep(200000);
	while (got < d->len && now_s() < end) {
		struct pollfd p = { d->fd, POLLIN, 0 };
		size_t want = d->len - got < sizeof(buf) ? d->len - got : sizeof(buf);
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(d->fd, buf, want, 0);
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			d->bad += buf[i] != (char)((got + i) * 7);
		got += n;
	}
	d->len = got;
	return NULL;
}

/*
 * A stream carrier over MPTCP talks to a plain MPTCP socket (the
 * kernel's, nobody's here), both ways; a writer that fills it is woken
 * by poll() when MPTCP has room again.
 */
TEST_F(mp, mptcp_stream_carrier)
{
	size_t total = 8 << 20, sent = 0, got = 0, bad = 0;
	int l, c, s, port, n_wait = 0;
	struct sockaddr_in srv;
	static char wbuf[65536], rbuf[65536];
	double end;

	mptcp_conf(_metadata, self);
	l = listener_in_b(_metadata, self, AF_INET, SOCK_STREAM, IPPROTO_MPTCP,
			  &port);
	ASSERT_LE(0, l) TH_LOG("MPTCP listener: %s", strerror(errno));
	srv = sin4(MP_SRV_A, port);
	c = socket(AF_POST, SOCK_STREAM, IPPROTO_MPTCP);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, connect(c, (void *)&srv, sizeof(srv)))
		TH_LOG("connect: %s", strerror(errno));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s) TH_LOG("accept: %s", strerror(errno));
	EXPECT_EQ(1, wait_subflows(c, 1, 5000));
	ASSERT_EQ(0, fcntl(c, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(0, fcntl(s, F_SETFL, O_NONBLOCK));

	/*
	 * Fill it, until the peer's window is full too and nothing but the
	 * reader makes room: the writer must wait, and is woken.
	 */
	for (int idle = 0; idle < 3; idle++) {
		for (;;) {
			ssize_t n;

			for (size_t i = 0; i < sizeof(wbuf); i++)
				wbuf[i] = (char)((sent + i) * 7);
			n = send(c, wbuf, sizeof(wbuf), MSG_NOSIGNAL);
			if (n < 0)
				break;
			sent += n;
			idle = -1;
			ASSERT_GT(total, sent);
		}
		ASSERT_EQ(EAGAIN, errno);
		usleep(100000 * slow());
	}
	n_wait++;
	/* poll() sleeps until MPTCP has room again, then wakes at once */
	{
		struct pollfd p = { c, POLLOUT, 0 };
		struct drain d = { s, sent, 0 };
		pthread_t th;
		double t;

		ASSERT_EQ(0, pthread_create(&th, NULL, drainer, &d));
		t = now_s();
		EXPECT_EQ(1, poll(&p, 1, 8000 * slow()));
		t = now_s() - t;
		pthread_join(th, NULL);
		EXPECT_TRUE(p.revents & POLLOUT);
		EXPECT_GT(3.0 * slow(), t) TH_LOG("poll() woke after %.2f s", t);
		EXPECT_EQ(sent, d.len);
		EXPECT_EQ(0U, d.bad);
		got = d.len;
	}

	end = now_s() + 30 * slow();
	while (got < total && now_s() < end) {
		struct pollfd p[2] = { { c, sent < total ? POLLOUT : 0, 0 },
				       { s, POLLIN, 0 } };
		ssize_t n;

		if (poll(p, 2, 1000) < 0)
			break;
		if (p[0].revents & POLLOUT) {
			size_t want = total - sent < sizeof(wbuf) ?
				      total - sent : sizeof(wbuf);

			for (size_t i = 0; i < want; i++)
				wbuf[i] = (char)((sent + i) * 7);
			n = send(c, wbuf, want, MSG_NOSIGNAL);
			if (n > 0)
				sent += n;
			else if (errno == EAGAIN)
				n_wait++;
			else
				break;
		}
		if (p[1].revents & POLLIN) {
			n = recv(s, rbuf, sizeof(rbuf), 0);
			if (n <= 0)
				break;
			for (ssize_t i = 0; i < n; i++)
				bad += rbuf[i] != (char)((got + i) * 7);
			got += n;
		}
	}
	EXPECT_EQ(total, sent);
	EXPECT_EQ(total, got);
	EXPECT_EQ(0U, bad);
	TH_LOG("%d sends found no room", n_wait);
	EXPECT_LE(1, n_wait);

	/* the other way, and the end of the stream */
	ASSERT_EQ(5, send(s, "pong!", 5, 0));
	ASSERT_EQ(0, shutdown(s, SHUT_WR));
	ASSERT_EQ(0, fcntl(c, F_SETFL, 0));
	ASSERT_EQ(0, set_timeouts(c, 5000, 5000));
	got = 0;
	for (ssize_t n; got < 5 && (n = recv(c, rbuf + got, 5 - got, 0)) > 0;)
		got += n;
	EXPECT_EQ(5U, got);
	EXPECT_EQ(0, memcmp(rbuf, "pong!", 5));
	EXPECT_EQ(0, recv(c, rbuf, 1, 0));
	close(c);
	close(s);
	close(l);
}

/* Turn MPTCP off in this namespace (A). */
static int mptcp_enable(int on)
{
	return sysctl_write("net/mptcp/enabled", on ? "1" : "0");
}

/* A message carrier with @proto connects to @srv; errno or 0. */
static int try_connect(const struct sockaddr_in *srv, int proto, int *c)
{
	int err;

	*c = socket(AF_POST, SOCK_SEQPACKET, proto);
	if (*c < 0)
		return errno;
	if (!connect(*c, (void *)srv, sizeof(*srv)))
		return 0;
	err = errno;
	close(*c);
	*c = -1;
	return err;
}

/* One message each way between @c and a carrier listener @l accepts. */
static void exchange(struct __test_metadata *_metadata, int l, int c)
{
	struct rinfo ri;
	char buf[64];
	int s;

	ASSERT_EQ(0, set_timeouts(c, 5000, 5000));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s) TH_LOG("accept: %s", strerror(errno));
	ASSERT_EQ(0, set_timeouts(s, 5000, 5000));
	ASSERT_EQ(5, msend(c, "hello", 5, 0, -1, NULL, 0));
	ASSERT_EQ(5, mrecv(s, buf, sizeof(buf), 0, &ri))
		TH_LOG("recv: %s", strerror(errno));
	EXPECT_EQ(1, ri.eor);
	ASSERT_EQ(3, msend(s, "bye", 3, 0, -1, NULL, 0));
	ASSERT_EQ(3, mrecv(c, buf, sizeof(buf), 0, &ri));
	close(s);
}

/*
 * The policy chooses MPTCP for carriers that leave the protocol to it;
 * an MPTCP carrier talks to a TCP one (MPTCP falls back); what cannot
 * be had fails with the errno socket() or connect() would give.
 */
TEST_F(mp, mptcp_policy)
{
	struct sockaddr_in msrv, cand = sin4(MP_SRV_B, 0);
	struct post_path_desc d[MAX_PATHS];
	struct post_policy_opt po = {};
	static char out[8192];
	int c, ml, port, n;

	ml = listener_in_b(_metadata, self, AF_POST, SOCK_SEQPACKET,
			   IPPROTO_MPTCP, &port);
	ASSERT_LE(0, ml) TH_LOG("MPTCP listener: %s", strerror(errno));
	msrv = sin4(MP_SRV_A, port);

	/* bad input */
	EXPECT_EQ(-1, socket(AF_POST, SOCK_SEQPACKET, IPPROTO_UDP));
	EXPECT_EQ(EPROTONOSUPPORT, errno);
	EXPECT_EQ(-1, socket(AF_POST, SOCK_STREAM, IPPROTO_SCTP));
	EXPECT_EQ(EPROTONOSUPPORT, errno);
	po.pref[POST_PROP_MPTCP] = POST_PREF_MAX + 1;
	c = socket(AF_POST, SOCK_SEQPACKET, 0);
	ASSERT_LE(0, c);
	EXPECT_EQ(-1, setsockopt(c, SOL_POST, POST_POLICY, &po, sizeof(po)));
	EXPECT_EQ(EINVAL, errno);
	close(c);
	ASSERT_NE(0, run(_metadata, NULL, 10000, (const char *[]){
			postctl(), "policy", "set", "mptcp", "sometimes", NULL }));

	/* a TCP carrier has no MPTCP_INFO, whatever the peer */
	ASSERT_EQ(0, try_connect(&msrv, 0, &c));
	EXPECT_EQ(-EOPNOTSUPP, mptcp_subflows(c, NULL));
	exchange(_metadata, ml, c);
	close(c);

	/*
	 * The carrier's own policy requires MPTCP; a candidate address is a
	 * path of its association, but MPTCP's path manager alone opens
	 * subflows: AF_POST joins nothing.
	 */
	po.pref[POST_PROP_MPTCP] = POST_PREF_REQUIRE;
	c = socket(AF_POST, SOCK_SEQPACKET, 0);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, setsockopt(c, SOL_POST, POST_POLICY, &po, sizeof(po)));
	ASSERT_EQ(0, setsockopt(c, SOL_POST, POST_REMOTE_ADD, &cand, sizeof(cand)));
	ASSERT_EQ(0, connect(c, (void *)&msrv, sizeof(msrv)));
	exchange(_metadata, ml, c);
	EXPECT_EQ(0, mptcp_subflows(c, NULL));
	usleep(300000 * slow());
	n = get_paths(c, d, MAX_PATHS);
	EXPECT_EQ(2, n) log_paths(_metadata, "client", c);
	EXPECT_EQ(1, n_up(d, n)) log_paths(_metadata, "client", c);
	close(c);

	/* an MPTCP carrier to a TCP one: MPTCP falls back to TCP */
	ASSERT_EQ(0, try_connect(&self->srv, IPPROTO_MPTCP, &c));
	exchange(_metadata, self->l, c);
	EXPECT_EQ(-EOPNOTSUPP, mptcp_subflows(c, NULL));
	EXPECT_EQ(0, postctl_out("carrier show", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "transient mptcp subflows 1 fallback "))
		TH_LOG("postctl: %s", out);
	close(c);

	/* the system policy requires MPTCP: protocol 0 takes it */
	ASSERT_EQ(0, run(_metadata, NULL, 10000, (const char *[]){
			postctl(), "policy", "set", "mptcp", "require", NULL }));
	ASSERT_EQ(0, try_connect(&msrv, 0, &c));
	exchange(_metadata, ml, c);
	EXPECT_EQ(0, mptcp_subflows(c, NULL));
	close(c);
	/* ... but IPPROTO_TCP asks for TCP */
	ASSERT_EQ(0, try_connect(&msrv, IPPROTO_TCP, &c));
	exchange(_metadata, ml, c);
	EXPECT_EQ(-EOPNOTSUPP, mptcp_subflows(c, NULL));
	close(c);

	/* MPTCP off in the namespace: required fails, preferred is TCP */
	ASSERT_EQ(0, mptcp_enable(0));
	EXPECT_EQ(ENOPROTOOPT, try_connect(&msrv, 0, &c));
	EXPECT_EQ(ENOPROTOOPT, try_connect(&msrv, IPPROTO_MPTCP, &c));
	ASSERT_EQ(0, run(_metadata, NULL, 10000, (const char *[]){
			postctl(), "policy", "set", "mptcp", "prefer", NULL }));
	ASSERT_EQ(0, try_connect(&msrv, 0, &c));
	exchange(_metadata, ml, c);
	EXPECT_EQ(-EOPNOTSUPP, mptcp_subflows(c, NULL));
	close(c);
	ASSERT_EQ(0, mptcp_enable(1));
	ASSERT_EQ(0, try_connect(&msrv, 0, &c));
	exchange(_metadata, ml, c);
	EXPECT_EQ(0, mptcp_subflows(c, NULL));
	close(c);

	/* the system prohibits it: asking for it is EACCES */
	ASSERT_EQ(0, run(_metadata, NULL, 10000, (const char *[]){
			postctl(), "policy", "set", "mptcp", "prohibit", NULL }));
	EXPECT_EQ(EACCES, try_connect(&msrv, IPPROTO_MPTCP, &c));
	ASSERT_EQ(0, try_connect(&msrv, 0, &c));
	exchange(_metadata, ml, c);
	EXPECT_EQ(-EOPNOTSUPP, mptcp_subflows(c, NULL));
	close(c);
	close(ml);
}

/*
 * A peer that is not AF_POST, over MPTCP: its garbage resets the
 * carrier with EPROTO, as over TCP, on either side (accept() returns
 * the broken carrier, as it would a reset TCP connection); a good
 * carrier follows on the same listener.
 */
TEST_F(mp, mptcp_garbage_peer)
{
	struct sockaddr_in srv;
	int l, ml, c, s, r, port, mport;
	char junk[256], buf[64];
	ssize_t n;

	memset(junk, 0xa5, sizeof(junk));
	l = listener_in_b(_metadata, self, AF_INET, SOCK_STREAM, IPPROTO_MPTCP,
			  &port);
	ASSERT_LE(0, l);
	srv = sin4(MP_SRV_A, port);
	c = socket(AF_POST, SOCK_SEQPACKET, IPPROTO_MPTCP);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, set_timeouts(c, 5000, 5000));
	ASSERT_EQ(0, connect(c, (void *)&srv, sizeof(srv)));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	ASSERT_EQ((ssize_t)sizeof(junk), send(s, junk, sizeof(junk), 0));
	EXPECT_EQ(-1, recv(c, buf, sizeof(buf), 0));
	EXPECT_EQ(EPROTO, errno) TH_LOG("recv: %s", strerror(errno));
	close(c);
	close(s);
	close(l);

	ml = listener_in_b(_metadata, self, AF_POST, SOCK_SEQPACKET,
			   IPPROTO_MPTCP, &mport);
	ASSERT_LE(0, ml);
	srv = sin4(MP_SRV_A, mport);
	r = socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, connect(r, (void *)&srv, sizeof(srv)));
	ASSERT_EQ((ssize_t)sizeof(junk), send(r, junk, sizeof(junk), 0));
	s = accept(ml, NULL, NULL);
	ASSERT_LE(0, s) TH_LOG("accept: %s", strerror(errno));
	ASSERT_EQ(0, set_timeouts(s, 5000, 5000));
	EXPECT_EQ(-1, recv(s, buf, sizeof(buf), 0));
	EXPECT_EQ(EPROTO, errno) TH_LOG("recv: %s", strerror(errno));
	close(s);
	/* and reset at the peer, after our HELLO */
	ASSERT_EQ(0, set_timeouts(r, 5000, 5000));
	while ((n = recv(r, buf, sizeof(buf), 0)) > 0)
		;
	EXPECT_EQ(-1, n);
	EXPECT_EQ(ECONNRESET, errno) TH_LOG("recv: %s", strerror(errno));
	close(r);
	ASSERT_EQ(0, try_connect(&srv, IPPROTO_MPTCP, &c));
	exchange(_metadata, ml, c);
	close(c);
	close(ml);
}

TEST_HARNESS_MAIN
