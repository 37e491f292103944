// SPDX-License-Identifier: GPL-2.0
/*
 * post-bench: AF_POST against plain TCP, measured in the same run over a
 * veth pair between two network namespaces (192.0.2.1 <-> 192.0.2.2).
 *
 * TCP carries the same messages with a 4-byte length prefix; the receiver
 * reads whole messages.  Usage: post-bench [scenario...]; no argument runs
 * them all.  Each scenario prints its figures and the AF_POST/TCP ratio
 * against its target.
 */
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>

#include "post_lib.h"

#define REPS	3
#define SECS	2.0

static struct nspair ns;

struct flow {
	int family;		/* AF_POST or AF_INET */
	size_t size;
	int lsock;
	double secs;
	long long bytes;
};

static int read_full(int s, char *b, size_t n)
{
	size_t g = 0;

	while (g < n) {
		ssize_t r = recv(s, b + g, n - g, 0);

		if (r <= 0)
			return -1;
		g += r;
	}
	return 0;
}

static int write_full(int s, const char *b, size_t n)
{
	size_t g = 0;

	while (g < n) {
		ssize_t r = send(s, b + g, n - g, 0);

		if (r <= 0)
			return -1;
		g += r;
	}
	return 0;
}

/* Receive one message; returns its length or -1 at EOF. */
static ssize_t get_msg(const struct flow *f, int s, char *b, size_t cap)
{
	uint32_t len;

	if (f->family == AF_POST) {
		ssize_t n = recv_msg(s, b, cap, 0);

		return n < 0 ? -1 : n;
	}
	if (read_full(s, (char *)&len, 4) || len > cap || read_full(s, b, len))
		return -1;
	return len;
}

static int put_msg(const struct flow *f, int s, char *b, size_t n)
{
	if (f->family == AF_POST)
		return send(s, b + 4, n, 0) == (ssize_t)n ? 0 : -1;
	*(uint32_t *)b = n;
	return write_full(s, b, n + 4);
}

static int pair(struct flow *f, int *c, int *srv)
{
	int type = f->family == AF_POST ? SOCK_SEQPACKET : SOCK_STREAM;
	struct sockaddr_in a;
	int one = 1;

	f->lsock = listener_in_a(&ns, f->family, type, &a);
	*c = socket(f->family, type, 0);
	if (f->lsock < 0 || *c < 0 || connect(*c, (void *)&a, sizeof(a)))
		return -1;
	*srv = accept(f->lsock, NULL, NULL);
	if (f->family != AF_POST) {
		setsockopt(*c, SOL_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(*srv, SOL_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	close(f->lsock);
	return *srv < 0 ? -1 : 0;
}

struct sink_arg {
	const struct flow *f;
	int s;
	long long bytes;
};

static void *sink(void *arg)
{
	struct sink_arg *a = arg;
	static char b[(1 << 20) + 8];
	ssize_t n;

	for (;;) {
		if (a->f->family == AF_POST) {
			n = recv(a->s, b, sizeof(b), 0);
			if (n <= 0)
				break;
		} else {
			n = get_msg(a->f, a->s, b, sizeof(b));
			if (n < 0)
				break;
		}
		a->bytes += n;
	}
	return NULL;
}

/* Goodput of one connection, MB/s. */
static double goodput(int family, size_t size)
{
	struct flow f = { .family = family, .size = size };
	static char b[(1 << 20) + 8];
	struct sink_arg sa = { .f = &f };
	pthread_t th;
	double t0, t;
	long long sent = 0;
	int c;

	if (pair(&f, &c, &sa.s))
		return -1;
	pthread_create(&th, NULL, sink, &sa);
	t0 = now_s();
	while (now_s() - t0 < SECS) {
		if (put_msg(&f, c, b, size))
			break;
		sent += size;
	}
	shutdown(c, SHUT_WR);
	pthread_join(th, NULL);
	t = now_s() - t0;
	close(c);
	close(sa.s);
	return sa.bytes != sent ? -1 : sa.bytes / t / 1e6;
}

static void *echo(void *arg)
{
	struct sink_arg *a = arg;
	char b[256 + 4];
	ssize_t n;

	while ((n = get_msg(a->f, a->s, b + 4, 256)) >= 0)
		if (put_msg(a->f, a->s, b, n))
			break;
	return NULL;
}

static int cmp_d(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

/* Request/response latency, microseconds: p50 and p99. */
static int latency(int family, size_t size, int n, double *p50, double *p99)
{
	struct flow f = { .family = family, .size = size };
	struct sink_arg sa = { .f = &f };
	const char *only = getenv("POST_BENCH_ONLY");	/* for profiling */
	double *lat;
	char b[256 + 4];
	pthread_t th;
	int c;

	if (only && strcmp(only, family == AF_POST ? "post" : "tcp")) {
		*p50 = *p99 = 1;
		return 0;
	}
	lat = calloc(n, sizeof(*lat));
	if (!lat || pair(&f, &c, &sa.s))
		return -1;
	pthread_create(&th, NULL, echo, &sa);
	for (int i = -200; i < n; i++) {
		double t0 = now_s();

		if (put_msg(&f, c, b, size) || get_msg(&f, c, b + 4, 256) != (ssize_t)size)
			return -1;
		if (i >= 0)
			lat[i] = (now_s() - t0) * 1e6;
	}
	shutdown(c, SHUT_WR);
	pthread_join(th, NULL);
	close(c);
	close(sa.s);
	qsort(lat, n, sizeof(*lat), cmp_d);
	*p50 = lat[n / 2];
	*p99 = lat[n * 99 / 100];
	free(lat);
	return 0;
}

static double median3(double (*fn)(int, size_t), int family, size_t size)
{
	const char *only = getenv("POST_BENCH_ONLY");	/* for profiling */
	double v[REPS];

	if (only && strcmp(only, family == AF_POST ? "post" : "tcp"))
		return 1;

	for (int i = 0; i < REPS; i++)
		v[i] = fn(family, size);
	qsort(v, REPS, sizeof(double), cmp_d);
	return v[REPS / 2];
}

static void verdict(const char *what, double tcp, double post, double ratio,
		    double target, int higher_better, const char *unit)
{
	int ok = higher_better ? ratio >= target : ratio <= target;

	printf("%-14s tcp %9.1f %-5s post %9.1f %-5s ratio %5.2f  (target %s %.2f) %s\n",
	       what, tcp, unit, post, unit, ratio, higher_better ? ">=" : "<=",
	       target, ok ? "OK" : "MISSED");
}

static int scen_tput(void)
{
	static const size_t sizes[] = { 1024, 65536 };

	for (size_t i = 0; i < 2; i++) {
		double tcp = median3(goodput, AF_INET, sizes[i]);
		double post = median3(goodput, AF_POST, sizes[i]);
		char what[32];

		if (tcp <= 0 || post <= 0) {
			printf("tput %zu: a transfer failed\n", sizes[i]);
			return -1;
		}
		snprintf(what, sizeof(what), "tput %zuKiB", sizes[i] / 1024);
		verdict(what, tcp, post, post / tcp, 0.9, 1, "MB/s");
	}
	return 0;
}

static int scen_rr(void)
{
	double t50, t99, p50, p99;

	if (latency(AF_INET, 64, 2000, &t50, &t99) ||
	    latency(AF_POST, 64, 2000, &p50, &p99)) {
		printf("rr: an exchange failed\n");
		return -1;
	}
	verdict("rr 64B p50", t50, p50, p50 / t50, 1.15, 0, "us");
	verdict("rr 64B p99", t99, p99, p99 / t99, 1.15, 0, "us");
	return 0;
}

/* ---- head-of-line blocking: urgent messages behind bulk ---- */

#define HOL_SECS	6.0
#define HOL_WARMUP	1.0
#define HOL_BULK	65536

struct hol {
	struct flow f;
	int c, s;
	volatile int stop;
	volatile int urgent_waiting;	/* TCP: the bulk writer lets it in */
	pthread_mutex_t wlock;	/* TCP: whole messages, one writer at a time */
	double t0;
	double lat[1024];
	int n_lat;
};

static int hol_send(struct hol *h, char *b, size_t n, unsigned int nice)
{
	char cb[CMSG_SPACE(sizeof(uint32_t))] = {};
	struct iovec v = { b + 4, n };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };
	struct cmsghdr *c;
	int err;

	if (h->f.family != AF_POST) {
		if (!nice)
			h->urgent_waiting = 1;
		else
			while (h->urgent_waiting)
				sched_yield();
		pthread_mutex_lock(&h->wlock);
		err = put_msg(&h->f, h->c, b, n);
		if (!nice)
			h->urgent_waiting = 0;
		pthread_mutex_unlock(&h->wlock);
		return err;
	}
	if (nice) {
		m.msg_control = cb;
		m.msg_controllen = sizeof(cb);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_POST;
		c->cmsg_type = POST_NICENESS;
		c->cmsg_len = CMSG_LEN(sizeof(uint32_t));
		memcpy(CMSG_DATA(c), &nice, sizeof(nice));
	}
	return sendmsg(h->c, &m, 0) == (ssize_t)n ? 0 : -1;
}

static void *hol_bulk(void *arg)
{
	struct hol *h = arg;
	static char b[HOL_BULK + 4];

	memset(b, 'B', sizeof(b));
	while (!h->stop)
		if (hol_send(h, b, HOL_BULK, 7))
			break;
	return NULL;
}

static void *hol_sink(void *arg)
{
	struct hol *h = arg;
	static char b[HOL_BULK + 8];
	ssize_t n;

	while ((n = get_msg(&h->f, h->s, b, sizeof(b))) >= 0) {
		double sent, now = now_s();

		if (n != 64 || b[0] != 'U')
			continue;
		memcpy(&sent, b + 8, sizeof(sent));
		if (sent - h->t0 >= HOL_WARMUP &&
		    h->n_lat < (int)(sizeof(h->lat) / sizeof(h->lat[0])))
			h->lat[h->n_lat++] = (now - sent) * 1e3;
	}
	return NULL;
}

/*
 * p50/p99 latency (ms) of 64-byte urgent messages sent every 10 ms; @cc
 * is the congestion control of the client's connection, NULL for the
 * system's default.
 */
static int hol_run(int family, const char *cc, double *p50, double *p99)
{
	struct hol *h = calloc(1, sizeof(*h));
	pthread_t tb, ts;
	char u[64 + 4];

	if (!h)
		return -1;
	h->f.family = family;
	pthread_mutex_init(&h->wlock, NULL);
	if (pair(&h->f, &h->c, &h->s))
		return -1;
	if (cc && setsockopt(h->c, SOL_TCP, TCP_CONGESTION, cc, strlen(cc)))
		return -1;
	h->t0 = now_s();
	pthread_create(&ts, NULL, hol_sink, h);
	pthread_create(&tb, NULL, hol_bulk, h);
	while (now_s() - h->t0 < HOL_SECS) {
		double t = now_s();

		memset(u, 0, sizeof(u));
		u[4] = 'U';
		memcpy(u + 4 + 8, &t, sizeof(t));
		if (hol_send(h, u, 64, 0))
			break;
		usleep(10000);
	}
	/* let everything queued arrive: late messages count too */
	h->stop = 1;
	pthread_join(tb, NULL);
	shutdown(h->c, SHUT_WR);
	pthread_join(ts, NULL);
	close(h->c);
	close(h->s);
	if (h->n_lat < 10) {
		fprintf(stderr, "hol: %d samples\n", h->n_lat);
		free(h);
		return -1;
	}
	qsort(h->lat, h->n_lat, sizeof(double), cmp_d);
	*p50 = h->lat[h->n_lat / 2];
	*p99 = h->lat[h->n_lat * 99 / 100];
	free(h);
	return 0;
}

static int scen_hol(void)
{
	double rtt50, rtt99, t50, t99, b50, b99, p50, p99;
	int err;

	if (sh("tc -n %s qdisc add dev va root netem rate 20mbit delay 10ms && "
	       "tc -n %s qdisc add dev vb root netem rate 20mbit delay 10ms",
	       ns.a, ns.b))
		return -1;
	err = latency(AF_INET, 64, 50, &rtt50, &rtt99);
	if (!err && hol_run(AF_INET, NULL, &t50, &t99))
		err = 2;
	if (!err && hol_run(AF_INET, "bbr", &b50, &b99))
		err = 3;
	if (!err && hol_run(AF_POST, "bbr", &p50, &p99))
		err = 4;
	sh("tc -n %s qdisc del dev va root; tc -n %s qdisc del dev vb root",
	   ns.a, ns.b);
	if (err) {
		printf("hol: run %d failed\n", err);
		return -1;
	}
	rtt50 /= 1e3;
	printf("hol path: 20 Mbit/s, 10 ms each way; base RTT %.1f ms\n", rtt50);
	printf("hol 64B urgent p50: tcp %.1f ms, tcp/bbr %.1f ms, post/bbr %.1f ms\n",
	       t50, b50, p50);
	printf("hol 64B urgent p99: tcp/bbr %.1f ms (post/tcp-bbr ratio %.2f)\n",
	       b99, p99 / b99);
	verdict("hol p99 vs tcp", t99, p99, p99 / t99, 0.1, 0, "ms");
	verdict("hol p99 vs rtt", rtt50, p99, p99 / rtt50, 3.0, 0, "ms");
	return 0;
}

static const struct scenario {
	const char *name;
	const char *what;
	int (*run)(void);
} scenarios[] = {
	{ "tput", "goodput of 1 KiB and 64 KiB messages, one connection", scen_tput },
	{ "rr", "request/response latency of 64-byte messages", scen_rr },
	{ "hol", "urgent 64 B messages every 10 ms behind niceness-7 bulk", scen_hol },
};

int main(int argc, char **argv)
{
	int err = 0;

	signal(SIGPIPE, SIG_IGN);
	if (nspair_setup(&ns)) {
		fprintf(stderr, "post-bench: cannot set up the namespaces (root, veth?)\n");
		return 1;
	}
	printf("AF_POST benchmark: veth between two namespaces; ratio is AF_POST/TCP\n");
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		int want = argc < 2;

		for (int j = 1; j < argc; j++)
			want |= !strcmp(argv[j], scenarios[i].name);
		if (!want)
			continue;
		printf("# %s: %s\n", scenarios[i].name, scenarios[i].what);
		fflush(stdout);
		err |= scenarios[i].run();
		fflush(stdout);
	}
	nspair_teardown(&ns);
	return err ? 1 : 0;
}
