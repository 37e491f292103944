// SPDX-License-Identifier: GPL-2.0
/*
 * post-bench: AF_POST against plain TCP, measured in the same run over a
 * veth pair between two network namespaces (192.0.2.1 <-> 192.0.2.2).
 *
 * TCP carries the same messages with a 4-byte length prefix; the receiver
 * reads whole messages.  Usage: post-bench [scenario...]; no argument runs
 * them all.  Each scenario prints its figures and the AF_POST/TCP ratio
 * against its target.  "tput" and "rr" measure TCP and AF_POST in turns
 * (five transfers, twenty rounds of 500 exchanges), so that the host's
 * slow stretches under TCG fall on both alike.
 *
 * "mp" builds its own two namespaces joined by two shaped veth pairs and
 * compares one carrier over both with TCP on one and MPTCP on both, then
 * takes a path down under a stream (see the comments there).  For
 * looking into it: POST_BENCH_TRACE=1 prints the failover every 100 ms (2
 * adds ss of the transients, slow under TCG); POST_BENCH_MP_FO=nice,sndbuf
 * [,pause_ms] runs only the failover, with those settings.
 *
 * For profiling "tput" and "rr": POST_BENCH_ONLY=post|tcp runs one side
 * only, POST_BENCH_SIZE=1024|65536 one message size only, and
 * POST_BENCH_CPU=1 prints each transfer's CPU time per MB (all CPUs,
 * from /proc/stat; under TCG, with other work on the host, that varies
 * less than the rate does) and messages per TCP segment sent;
 * POST_BENCH_PIN=1 runs the "tput" sender and the "rr" client on CPU 0,
 * the receiver and the echo server on CPU 1 (then `perf record -C 0`
 * profiles one end alone).
 */
#include <netinet/tcp.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <linux/mptcp.h>

#include "post_lib.h"

#define REPS	5
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

/* POST_BENCH_PIN=1: the calling thread on CPU @cpu (modulo the CPUs) */
static void pin_cpu(int cpu)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	if (!getenv("POST_BENCH_PIN") || n < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu % n, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *sink(void *arg)
{
	struct sink_arg *a = arg;
	static char b[(1 << 20) + 8];
	ssize_t n;

	pin_cpu(1);

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

/* CPU time, all CPUs, in /proc/stat ticks: busy and total. */
static void cpu_ticks(unsigned long long *busy, unsigned long long *total)
{
	unsigned long long v[10] = {};
	FILE *f = fopen("/proc/stat", "r");

	*busy = *total = 0;
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
		   &v[8], &v[9]) >= 8) {
		for (int i = 0; i < 8; i++)
			*total += v[i];
		*busy = *total - v[3] - v[4];
	}
	fclose(f);
}

/* POST_BENCH_CPU: what one transfer cost, from the counters around it */
struct xfer_cost {
	unsigned long long busy, total, segs;
};

static bool xfer_cost_start(struct xfer_cost *x)
{
	if (!getenv("POST_BENCH_CPU"))
		return false;
	cpu_ticks(&x->busy, &x->total);
	x->segs = tcp_out_segs();
	return true;
}

static void xfer_cost_report(const struct xfer_cost *x, int family,
			     size_t size, long long bytes, double secs)
{
	unsigned long long busy, total, segs = tcp_out_segs() - x->segs;
	double ms_per_tick = 1e3 / sysconf(_SC_CLK_TCK);

	cpu_ticks(&busy, &total);
	busy -= x->busy;
	total -= x->total;
	fprintf(stderr, "  %s %zu: %.1f MB/s, cpu busy %.0f%% of %.2f s, %.2f ms/MB, %.2f messages per segment\n",
		family == AF_POST ? "post" : "tcp", size, bytes / secs / 1e6,
		100.0 * busy / (total ?: 1), secs,
		busy * ms_per_tick / (bytes / 1e6),
		(double)bytes / size / (segs ?: 1));
}

/* Goodput of one connection, MB/s. */
static double goodput(int family, size_t size)
{
	struct flow f = { .family = family, .size = size };
	static char b[(1 << 20) + 8];
	struct sink_arg sa = { .f = &f };
	struct xfer_cost cost;
	bool report;
	pthread_t th;
	double t0, t;
	long long sent = 0;
	int c;

	if (pair(&f, &c, &sa.s))
		return -1;
	report = xfer_cost_start(&cost);
	pin_cpu(0);
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
	if (report)
		xfer_cost_report(&cost, family, size, sa.bytes, t);
	close(c);
	close(sa.s);
	return sa.bytes != sent ? -1 : sa.bytes / t / 1e6;
}

static void *echo(void *arg)
{
	struct sink_arg *a = arg;
	char b[256 + 4];
	ssize_t n;

	pin_cpu(1);
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

/* @n request/response latencies, microseconds, into @lat (unsorted). */
static int latency_samples(int family, size_t size, int n, double *lat)
{
	struct flow f = { .family = family, .size = size };
	struct sink_arg sa = { .f = &f };
	char b[256 + 4];
	pthread_t th;
	int c;

	if (pair(&f, &c, &sa.s))
		return -1;
	pin_cpu(0);
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
	return 0;
}

/* Request/response latency, microseconds: p50 and p99. */
static int latency(int family, size_t size, int n, double *p50, double *p99)
{
	double *lat = calloc(n, sizeof(*lat));

	if (!lat || latency_samples(family, size, n, lat)) {
		free(lat);
		return -1;
	}
	qsort(lat, n, sizeof(*lat), cmp_d);
	*p50 = lat[n / 2];
	*p99 = lat[n * 99 / 100];
	free(lat);
	return 0;
}

/*
 * Goodput of @size-byte messages, MB/s: the medians of REPS transfers
 * over TCP (@res[0]) and over AF_POST (@res[1]), the two taking turns at
 * going first, as in scen_rr().  Returns -1 if a transfer failed.
 */
static int goodput_medians(size_t size, double res[2])
{
	const char *only = getenv("POST_BENCH_ONLY");	/* for profiling */
	static const int fam[2] = { AF_INET, AF_POST };
	double v[2][REPS];

	for (int r = 0; r < REPS; r++) {
		for (int k = 0; k < 2; k++) {
			int i = (r + k) % 2;

			v[i][r] = 1;
			if (only && strcmp(only, i ? "post" : "tcp"))
				continue;
			v[i][r] = goodput(fam[i], size);
			if (v[i][r] <= 0)
				return -1;
		}
	}
	for (int i = 0; i < 2; i++) {
		qsort(v[i], REPS, sizeof(double), cmp_d);
		res[i] = v[i][REPS / 2];
	}
	return 0;
}

/* @base is what AF_POST is compared with ("tcp", "mptcp"); @ok_s overrides OK/MISSED */
static void verdict_vs(const char *what, const char *base, double ref,
		       double post, double ratio, double target,
		       int higher_better, const char *unit, const char *ok_s)
{
	int ok = higher_better ? ratio >= target : ratio <= target;

	printf("%-14s %s %9.1f %-5s post %9.1f %-5s ratio %5.2f  (target %s %.2f) %s\n",
	       what, base, ref, unit, post, unit, ratio,
	       higher_better ? ">=" : "<=", target,
	       ok_s ? ok_s : ok ? "OK" : "MISSED");
}

static void verdict(const char *what, double tcp, double post, double ratio,
		    double target, int higher_better, const char *unit)
{
	verdict_vs(what, "tcp", tcp, post, ratio, target, higher_better, unit,
		   NULL);
}

static int scen_tput(void)
{
	static const size_t sizes[] = { 1024, 65536 };
	const char *only = getenv("POST_BENCH_SIZE");	/* for profiling */

	for (size_t i = 0; i < 2; i++) {
		if (only && strtoul(only, NULL, 0) != sizes[i])
			continue;
		double res[2];
		char what[32];

		if (goodput_medians(sizes[i], res)) {
			printf("tput %zu: a transfer failed\n", sizes[i]);
			return -1;
		}
		snprintf(what, sizeof(what), "tput %zuKiB", sizes[i] / 1024);
		verdict(what, res[0], res[1], res[1] / res[0], 0.9, 1, "MB/s");
	}
	return 0;
}

/*
 * 64-byte request/response latency: RR_ROUNDS rounds of RR_N exchanges,
 * TCP and AF_POST taking turns at going first, each with new
 * connections; percentiles over all of a side's exchanges.  Taking turns
 * spreads what else the host runs (under TCG it drifts over seconds)
 * over both sides alike: in rounds of a tenth of a second or so, as five
 * rounds of 1000 left runs of the same modules between 1.01 and 1.23.
 */
#define RR_ROUNDS	20
#define RR_N		500

static int scen_rr(void)
{
	const char *only = getenv("POST_BENCH_ONLY");	/* for profiling */
	static double lat[2][RR_ROUNDS * RR_N];
	static const int fam[2] = { AF_INET, AF_POST };
	double p[2][2] = { { 1, 1 }, { 1, 1 } };

	for (int r = 0; r < RR_ROUNDS; r++) {
		for (int k = 0; k < 2; k++) {
			int i = (r + k) % 2;

			if (only && strcmp(only, i ? "post" : "tcp"))
				continue;
			if (latency_samples(fam[i], 64, RR_N,
					    lat[i] + r * RR_N)) {
				printf("rr: an exchange failed\n");
				return -1;
			}
		}
	}
	for (int i = 0; i < 2; i++) {
		if (only && strcmp(only, i ? "post" : "tcp"))
			continue;
		qsort(lat[i], RR_ROUNDS * RR_N, sizeof(double), cmp_d);
		p[i][0] = lat[i][RR_ROUNDS * RR_N / 2];
		p[i][1] = lat[i][RR_ROUNDS * RR_N * 99 / 100];
	}
	verdict("rr 64B p50", p[0][0], p[1][0], p[1][0] / p[0][0], 1.15, 0,
		"us");
	verdict("rr 64B p99", p[0][1], p[1][1], p[1][1] / p[0][1], 1.15, 0,
		"us");
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

/* ---- mp: one carrier over two paths, against TCP on one and MPTCP on both ---- */

/*
 * Two more namespaces, joined by two veth pairs, each pair shaped with
 * netem on both ends:
 *
 *   path A:  srv0 192.0.2.1/24    (server) <-> cli0 192.0.2.2/24    (client)
 *   path B:  srv1 198.51.100.1/24 (server) <-> cli1 198.51.100.2/24 (client)
 *
 * The servers listen on 0.0.0.0 in the server namespace; the clients
 * connect to 192.0.2.1 (path A).  The AF_POST carrier gives 198.51.100.1
 * with POST_REMOTE_ADD; MPTCP learns it from the server's ADD_ADDR
 * (a "signal" endpoint) and opens its second subflow there.
 */
#define MP_SRV_A	"192.0.2.1"
#define MP_CLI_A	"192.0.2.2"
#define MP_SRV_B	"198.51.100.1"
#define MP_CLI_B	"198.51.100.2"
/*
 * 10 Mbit/s a path: the VM under TCG, sharing the machine, can fill two
 * (a run that cannot fill one says so).  netem's limit counts skbs, so
 * the veths send no GSO ones (gso_max_segs 1) and it counts packets:
 * path A's 30 hold its 5 ms delay line (4) and three BDPs (8 each);
 * path B's 80 its 20 ms delay line (17) and two BDPs (33 each), so that
 * TCP can fill either while loss-based congestion control does not
 * bloat RTTs to hundreds of milliseconds.
 */
#define MP_RATE		10e6	/* bit/s of each path */
#define MP_GOODPUT	(MP_RATE / 8e6 * 1448 / 1514)	/* MB/s of TCP payload on one */
#define MP_NETEM_A	"rate 10mbit delay 5ms limit 30"
#define MP_NETEM_B	"rate 10mbit delay 20ms limit 80"
#define MP_DESC		"10 Mbit/s each; A 5 ms, B 20 ms each way"
#define MP_REPS		3
#define MP_WARM		0.5	/* s of slow start not counted */
#define MP_SECS		3.0	/* s measured */
#define MP_MSG		65536
#define MP_SNDBUF	(1 << 20)	/* five times both paths' BDP and queues */
#define MP_MAX_PATHS	8

/* MP_POST_MPTCP: an AF_POST carrier over one MPTCP transient */
enum mp_kind { MP_POST, MP_TCP, MP_MPTCP, MP_POST_MPTCP, MP_KINDS };
static const char *const mp_names[] = { "post", "tcp", "mptcp", "post/mptcp" };

static struct nspair mpn;	/* fa: server, fb: client */

static int mp_setup(void)
{
	char path[64];
	int pid = getpid();

	snprintf(mpn.a, sizeof(mpn.a), "postmpa%d", pid);
	snprintf(mpn.b, sizeof(mpn.b), "postmpb%d", pid);
	mpn.fa = mpn.fb = -1;
	/* few processes: under TCG each exec is slow */
	if (sh("ip -batch - <<EOF\n"
	       "netns add %s\nnetns add %s\n"
	       "link add srv0 netns %s type veth peer name cli0 netns %s\n"
	       "link add srv1 netns %s type veth peer name cli1 netns %s\n"
	       "EOF\n", mpn.a, mpn.b, mpn.a, mpn.b, mpn.a, mpn.b) ||
	    sh("ip -n %s -batch - <<EOF\n"
	       "link set lo up\n"
	       "addr add " MP_SRV_A "/24 dev srv0\naddr add " MP_SRV_B "/24 dev srv1\n"
	       "link set srv0 gso_max_segs 1\nlink set srv1 gso_max_segs 1\n"
	       "link set srv0 up\nlink set srv1 up\n"
	       "EOF\n", mpn.a) ||
	    sh("ip -n %s -batch - <<EOF\n"
	       "link set lo up\n"
	       "addr add " MP_CLI_A "/24 dev cli0\naddr add " MP_CLI_B "/24 dev cli1\n"
	       "link set cli0 gso_max_segs 1\nlink set cli1 gso_max_segs 1\n"
	       "link set cli0 up\nlink set cli1 up\n"
	       "EOF\n", mpn.b) ||
	    sh("tc -n %s -batch - <<EOF\n"
	       "qdisc add dev srv0 root netem " MP_NETEM_A "\n"
	       "qdisc add dev srv1 root netem " MP_NETEM_B "\n"
	       "EOF\n", mpn.a) ||
	    sh("tc -n %s -batch - <<EOF\n"
	       "qdisc add dev cli0 root netem " MP_NETEM_A "\n"
	       "qdisc add dev cli1 root netem " MP_NETEM_B "\n"
	       "EOF\n", mpn.b))
		return -1;
	snprintf(path, sizeof(path), "/run/netns/%s", mpn.a);
	mpn.fa = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/run/netns/%s", mpn.b);
	mpn.fb = open(path, O_RDONLY | O_CLOEXEC);
	if (mpn.fa < 0 || mpn.fb < 0)
		return -1;
	return setns(mpn.fb, CLONE_NEWNET);
}

/*
 * MPTCP's in-kernel path manager: two subflows and two accepted
 * ADD_ADDRs on both sides; the server announces its path-B address.  A
 * client "subflow" endpoint would not do: it opens its subflow to the
 * address the connection started on (192.0.2.1), which from 198.51.100.2
 * is routed over path A again (or nowhere when bound to cli1).
 */
static int mp_mptcp_setup(void)
{
	return sh("ip -n %s -batch - <<EOF\n"
		  "mptcp limits set subflows 2 add_addr_accepted 2\n"
		  "mptcp endpoint add " MP_SRV_B " dev srv1 signal\n"
		  "EOF\n"
		  "ip -n %s mptcp limits set subflows 2 add_addr_accepted 2",
		  mpn.a, mpn.b);
}

static void mp_teardown(void)
{
	setns(ns.fb, CLONE_NEWNET);
	if (mpn.fa >= 0)
		close(mpn.fa);
	if (mpn.fb >= 0)
		close(mpn.fb);
	sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null",
	   mpn.a, mpn.b);
}

/* 'A' or 'B': the path whose subnet @ss is in; 0 for neither */
static char mp_subnet(const void *ss)
{
	const struct sockaddr_in *s = ss;
	uint32_t a = ntohl(s->sin_addr.s_addr);

	if (s->sin_family != AF_INET)
		return 0;
	if ((a >> 8) == (192U << 16 | 0 << 8 | 2))
		return 'A';
	if ((a >> 8) == (198U << 16 | 51 << 8 | 100))
		return 'B';
	return 0;
}

static char mp_path_subnet(const struct post_path_desc *d)
{
	char c = mp_subnet(&d->remote);

	return c ? c : mp_subnet(&d->local);
}

/* The carrier's POST_PATHS: their number, or -1. */
static int mp_paths(int fd, struct post_path_desc *d)
{
	socklen_t len = MP_MAX_PATHS * sizeof(*d);

	memset(d, 0, len);
	if (getsockopt(fd, SOL_POST, POST_PATHS, d, &len))
		return -1;
	return len / sizeof(*d);
}

/* The entry of path @which ('A' or 'B') in @d, or NULL. */
static const struct post_path_desc *mp_path(const struct post_path_desc *d,
					    int n, char which)
{
	for (int i = 0; i < n; i++)
		if (mp_path_subnet(&d[i]) == which)
			return &d[i];
	return NULL;
}

/* Wait up to @secs for @want paths up; the number up at the end. */
static int mp_paths_up(int fd, int want, double secs)
{
	struct post_path_desc d[MP_MAX_PATHS];
	double end = now_s() + secs;
	int n, up;

	for (;;) {
		n = mp_paths(fd, d);
		up = 0;
		for (int i = 0; i < n; i++)
			up += d[i].state == 1;
		if (up >= want || now_s() > end)
			return up;
		usleep(20000);
	}
}

/* MPTCP's subflows (MPTCP_SUBFLOW_ADDRS): their number, and how many are on A and B. */
static int mptcp_subflows(int fd, int *on_a, int *on_b)
{
	struct {
		struct mptcp_subflow_data h;
		struct mptcp_subflow_addrs a[MP_MAX_PATHS];
	} b;
	socklen_t len = sizeof(b);
	unsigned int n;

	memset(&b, 0, sizeof(b));
	b.h.size_subflow_data = sizeof(b.h);
	b.h.size_user = sizeof(b.a[0]);
	*on_a = *on_b = 0;
	if (getsockopt(fd, SOL_MPTCP, MPTCP_SUBFLOW_ADDRS, &b, &len))
		return -1;
	n = b.h.num_subflows < MP_MAX_PATHS ? b.h.num_subflows : MP_MAX_PATHS;
	for (unsigned int i = 0; i < n; i++) {
		char c = mp_subnet(&b.a[i].ss_remote);

		*on_a += c == 'A';
		*on_b += c == 'B';
	}
	return b.h.num_subflows;
}

/* Wait up to @secs for a subflow on each path; the number of subflows. */
static int mptcp_wait_subflows(int fd, double secs, int *on_a, int *on_b)
{
	double end = now_s() + secs;
	int n;

	for (;;) {
		n = mptcp_subflows(fd, on_a, on_b);
		if (n < 0 || (*on_a && *on_b) || now_s() > end)
			return n;
		usleep(20000);
	}
}

/* Bytes the client namespace sent on cli0 and cli1 (the paths' wire load). */
static void mp_tx_bytes(unsigned long long *a, unsigned long long *b)
{
	FILE *f = fopen("/proc/thread-self/net/dev", "r");
	char line[512];

	*a = *b = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[9];
		char *p = strchr(line, ':');

		if (!p || sscanf(p + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu",
				 &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
				 &v[7], &v[8]) != 9)
			continue;
		*p = 0;
		p = line + strspn(line, " ");
		if (!strcmp(p, "cli0"))
			*a = v[8];
		else if (!strcmp(p, "cli1"))
			*b = v[8];
	}
	fclose(f);
}

struct mp_opts {
	int nice;		/* AF_POST: POST_NICENESS, -1 for none */
	int sndbuf;		/* AF_POST: SO_SNDBUFFORCE, 0 for the default */
	int pause_ms;		/* failover: the sender pauses this long before the drop */
};

/*
 * A connected pair of kind @k: *c in the client namespace to path A's
 * address, *s accepted in the server's.  AF_POST gets path B's address
 * as a further remote address.  The listener stays open in *l until the
 * caller is done: the second path's transient (AF_POST) or subflow
 * (MPTCP) joins through it, and is reset without it.
 */
static int mp_connect(enum mp_kind k, const struct mp_opts *o, int *c, int *s,
		      int *l)
{
	int post = k == MP_POST || k == MP_POST_MPTCP;
	int family = post ? AF_POST : AF_INET;
	int type = post ? SOCK_SEQPACKET : SOCK_STREAM;
	int proto = k == MP_MPTCP || k == MP_POST_MPTCP ? IPPROTO_MPTCP : 0;
	struct sockaddr_in a = sin4("0.0.0.0", 0), rb = sin4(MP_SRV_B, 0);
	struct timeval tv = { 10, 0 };
	socklen_t len = sizeof(a);
	int one = 1;

	*c = *s = -1;
	*l = socket_in(&mpn, mpn.fa, family, type, proto);
	if (*l < 0)
		goto fail;
	/* accept() never waits forever */
	setsockopt(*l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(*l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(*l, (void *)&a, sizeof(a)) || listen(*l, 16) ||
	    getsockname(*l, (void *)&a, &len))
		goto fail;
	a.sin_addr = sin4(MP_SRV_A, 0).sin_addr;
	*c = socket(family, type, proto);
	if (*c < 0)
		goto fail;
	if (post) {
		uint32_t nice = o->nice;

		if (o->sndbuf &&
		    setsockopt(*c, SOL_SOCKET, SO_SNDBUFFORCE, &o->sndbuf, sizeof(o->sndbuf)) &&
		    setsockopt(*c, SOL_SOCKET, SO_SNDBUF, &o->sndbuf, sizeof(o->sndbuf)))
			goto fail;
		if (o->nice >= 0 &&
		    setsockopt(*c, SOL_POST, POST_NICENESS, &nice, sizeof(nice)))
			goto fail;
		if (k == MP_POST &&
		    setsockopt(*c, SOL_POST, POST_REMOTE_ADD, &rb, sizeof(rb)))
			goto fail;
	}
	if (connect(*c, (void *)&a, sizeof(a)))
		goto fail;
	*s = accept(*l, NULL, NULL);
	if (*s < 0)
		goto fail;
	setsockopt(*c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(*s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (!post) {
		setsockopt(*c, SOL_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(*s, SOL_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	return 0;
fail:
	fprintf(stderr, "mp %s: connecting: %s\n", mp_names[k], strerror(errno));
	if (*l >= 0)
		close(*l);
	if (*c >= 0)
		close(*c);
	*c = *l = -1;
	return -1;
}

/*
 * The workers leave signals to the main thread: the SIGCHLD of a command
 * it runs would otherwise interrupt their calls with EINTR.
 */
static void block_signals(void)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
}

/* ---- mp bulk: aggregate goodput of one connection ---- */

struct mp_bulk {
	struct flow f;
	int c, s, l;
	int stop;
	long long sent, rcvd;	/* message bytes */
	int send_err;
};

static void *mp_bulk_send(void *arg)
{
	struct mp_bulk *b = arg;
	static char buf[MP_MSG + 4];

	block_signals();
	memset(buf, 'M', sizeof(buf));
	while (!__atomic_load_n(&b->stop, __ATOMIC_ACQUIRE)) {
		if (put_msg(&b->f, b->c, buf, MP_MSG)) {
			b->send_err = errno;
			break;
		}
		__atomic_store_n(&b->sent, b->sent + MP_MSG, __ATOMIC_RELEASE);
	}
	shutdown(b->c, SHUT_WR);
	return NULL;
}

static void *mp_bulk_recv(void *arg)
{
	struct mp_bulk *b = arg;
	static char buf[(1 << 20) + 8];
	ssize_t n;

	block_signals();
	for (;;) {
		if (b->f.family == AF_POST) {
			n = recv(b->s, buf, sizeof(buf), 0);
			if (n <= 0)
				break;
		} else {
			n = get_msg(&b->f, b->s, buf, sizeof(buf));
			if (n < 0)
				break;
		}
		__atomic_store_n(&b->rcvd, b->rcvd + n, __ATOMIC_RELEASE);
	}
	return NULL;
}

struct mp_result {
	double mbs;		/* goodput, MB/s */
	double share_a;		/* of the wire bytes, on path A */
	int paths;		/* AF_POST: paths up; MPTCP: subflows */
	int on_a, on_b;		/* MPTCP: subflows on each path */
	int fallback;		/* MPTCP fell back to TCP */
	int mptcpi_subflows;	/* MPTCP_INFO at the end: subflows besides the first */
	double rtt_a, rtt_b;	/* AF_POST: smoothed RTTs at the end, ms */
};

static void sleep_until(double t)
{
	double d;

	while ((d = t - now_s()) > 0)
		usleep(d > 0.1 ? 100000 : (useconds_t)(d * 1e6));
}

/* Goodput of one connection of kind @k over MP_SECS after MP_WARM. */
static int mp_bulk_run(enum mp_kind k, struct mp_result *r)
{
	struct mp_opts o = { .nice = 7, .sndbuf = MP_SNDBUF };
	struct mp_bulk *b = calloc(1, sizeof(*b));
	unsigned long long a0, b0, a1, b1;
	long long r0, r1;
	double t0, t1, t2;
	pthread_t ts, tr;
	int err = 0;

	memset(r, 0, sizeof(*r));
	if (!b)
		return -1;
	b->f.family = k == MP_POST || k == MP_POST_MPTCP ? AF_POST : AF_INET;
	if (mp_connect(k, &o, &b->c, &b->s, &b->l)) {
		free(b);
		return -1;
	}
	if (k == MP_POST) {
		r->paths = mp_paths_up(b->c, 2, 5.0);
	} else {
		/* through the carrier, SOL_MPTCP is its transient's */
		struct mptcp_info mi = {};
		socklen_t len = sizeof(mi);

		r->paths = mptcp_wait_subflows(b->c, 5.0, &r->on_a, &r->on_b);
		if (!getsockopt(b->c, SOL_MPTCP, MPTCP_INFO, &mi, &len))
			r->fallback = !!(mi.mptcpi_flags & MPTCP_INFO_FLAG_FALLBACK);
		else
			r->fallback = 1;	/* EOPNOTSUPP: a plain TCP socket */
	}
	pthread_create(&tr, NULL, mp_bulk_recv, b);
	pthread_create(&ts, NULL, mp_bulk_send, b);
	t0 = now_s();
	sleep_until(t0 + MP_WARM);
	r0 = __atomic_load_n(&b->rcvd, __ATOMIC_ACQUIRE);
	mp_tx_bytes(&a0, &b0);
	t1 = now_s();
	sleep_until(t1 + MP_SECS);
	r1 = __atomic_load_n(&b->rcvd, __ATOMIC_ACQUIRE);
	mp_tx_bytes(&a1, &b1);
	t2 = now_s();
	r->mbs = (r1 - r0) / (t2 - t1) / 1e6;
	r->share_a = (a1 - a0) + (b1 - b0) ? (double)(a1 - a0) / ((a1 - a0) + (b1 - b0)) : 0;
	if (k == MP_POST) {
		struct post_path_desc d[MP_MAX_PATHS];
		int n = mp_paths(b->c, d);
		const struct post_path_desc *pa = mp_path(d, n, 'A');
		const struct post_path_desc *pb = mp_path(d, n, 'B');

		r->rtt_a = pa ? pa->rtt_us / 1e3 : 0;
		r->rtt_b = pb ? pb->rtt_us / 1e3 : 0;
		/* the fewest seen: one that went down during the run counts */
		n = !!(pa && pa->state == 1) + !!(pb && pb->state == 1);
		if (n < r->paths)
			r->paths = n;
	} else if (k == MP_MPTCP || k == MP_POST_MPTCP) {
		int on_a, on_b, n = mptcp_subflows(b->c, &on_a, &on_b);
		struct mptcp_info mi = {};
		socklen_t len = sizeof(mi);

		if (!getsockopt(b->c, SOL_MPTCP, MPTCP_INFO, &mi, &len))
			r->mptcpi_subflows = mi.mptcpi_subflows;

		/* the fewest seen: one that died during the run counts */
		if (n < r->paths) {
			r->paths = n;
			r->on_a = on_a;
			r->on_b = on_b;
		}
	}
	__atomic_store_n(&b->stop, 1, __ATOMIC_RELEASE);
	pthread_join(ts, NULL);
	pthread_join(tr, NULL);
	if (b->send_err || b->rcvd != b->sent) {
		fprintf(stderr, "mp %s: sent %lld bytes, received %lld: %s\n",
			mp_names[k], b->sent, b->rcvd,
			b->send_err ? strerror(b->send_err) : "lost");
		err = -1;
	}
	close(b->c);
	close(b->s);
	close(b->l);
	free(b);
	return err;
}

/* ---- mp failover: path A goes down under a stream of 4 KiB messages ---- */

#define FO_MSG		4096
#define FO_PERIOD	0.005	/* s between messages: 6.6 Mbit/s, within path B */
#define FO_PRE		2.0	/* s of stream before the link goes down */
#define FO_DETECT_MAX	12.0	/* s to wait for path A to be noticed down */
#define FO_POST		1.5	/* s of stream after that */
#define FO_DRAIN	3.0	/* s to wait for the rest, without progress */
#define FO_MAX		8192
#define FO_MAGIC	0x4d504230	/* "MPB0" */

struct fo_hdr {
	uint32_t magic, seq;
	double sent;
};

struct fo {
	int c, s, l;
	double pause_from, pause_to;	/* the sender sends nothing then */
	int stop;		/* the sender stops */
	int quit;		/* the receiver stops */
	int sent;
	int send_err;
	double send_block;	/* longest send() */
	double send_block_at;	/* when it began */
	int recv_err;
	int n;			/* deliveries recorded */
	int dups, bad;
	uint8_t seen[FO_MAX];
	double t_recv[FO_MAX], t_sent[FO_MAX];
	uint32_t seq[FO_MAX], path[FO_MAX];
};

static void *fo_send(void *arg)
{
	struct fo *f = arg;
	static char buf[FO_MSG];
	double next = now_s();

	block_signals();
	memset(buf, 'F', sizeof(buf));
	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE) && f->sent < FO_MAX) {
		struct fo_hdr h = { FO_MAGIC, f->sent, 0 };
		double t;
		ssize_t r;

		sleep_until(next);
		if (next >= f->pause_from && next < f->pause_to)
			sleep_until(next = f->pause_to);
		next += FO_PERIOD;
		h.sent = now_s();
		memcpy(buf, &h, sizeof(h));
		/* SO_SNDTIMEO is short: look at @stop now and then */
		do
			r = send(f->c, buf, FO_MSG, MSG_NOSIGNAL);
		while (r < 0 && (errno == EAGAIN || errno == EINTR) &&
		       !__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE));
		t = now_s() - h.sent;
		if (t > f->send_block) {
			f->send_block = t;
			f->send_block_at = h.sent;
		}
		if (r < 0 && errno == EAGAIN)
			break;		/* stopped while waiting for room */
		if (r != FO_MSG) {
			f->send_err = r < 0 ? errno : EMSGSIZE;
			break;
		}
		__atomic_store_n(&f->sent, f->sent + 1, __ATOMIC_RELEASE);
		/* a sender that fell behind does not catch up in a burst */
		if (next < now_s())
			next = now_s();
	}
	shutdown(f->c, SHUT_WR);
	return NULL;
}

static void *fo_recv(void *arg)
{
	struct fo *f = arg;
	char buf[FO_MSG + 64], cb[256] __attribute__((aligned(8)));

	block_signals();
	for (;;) {
		struct iovec v = { buf, sizeof(buf) };
		struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1,
				    .msg_control = cb, .msg_controllen = sizeof(cb) };
		uint32_t path = 0;
		struct fo_hdr h;
		struct cmsghdr *c;
		double now;
		ssize_t n = recvmsg(f->s, &m, 0);

		/* SO_RCVTIMEO is short: look at @quit now and then */
		if (n < 0 && (errno == EAGAIN || errno == EINTR) &&
		    !__atomic_load_n(&f->quit, __ATOMIC_ACQUIRE))
			continue;
		if (n < 0 && errno != EAGAIN)
			f->recv_err = errno;
		if (n <= 0)
			break;
		now = now_s();
		for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_POST && c->cmsg_type == POST_PATH_ID &&
			    c->cmsg_len == CMSG_LEN(4))
				memcpy(&path, CMSG_DATA(c), 4);
		memcpy(&h, buf, sizeof(h));
		if (n != FO_MSG || !(m.msg_flags & MSG_EOR) || h.magic != FO_MAGIC ||
		    h.seq >= FO_MAX) {
			f->bad++;
			continue;
		}
		if (f->seen[h.seq]++) {
			f->dups++;
			continue;
		}
		f->t_recv[f->n] = now;
		f->t_sent[f->n] = h.sent;
		f->seq[f->n] = h.seq;
		f->path[f->n] = path;
		__atomic_store_n(&f->n, f->n + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* ifconfig @ifname up or down, in the calling thread's namespace */
static int if_set(const char *ifname, int up)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = -1;

	if (fd < 0)
		return -1;
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	if (!ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		if (up)
			ifr.ifr_flags |= IFF_UP;
		else
			ifr.ifr_flags &= ~IFF_UP;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return ret;
}

struct fo_result {
	double gap;		/* longest interval without a delivery, ms */
	double gap_at;		/* when it began, ms after the link went down */
	int gap_open;		/* it had not ended when the run did */
	double gap_pre;		/* the longest before the link went down, ms */
	double rtt_a, rtt_b;	/* smoothed RTTs just before, ms */
	double rto_a;		/* path A's RTO estimated from them, ms */
	double detect;		/* the link down to path A down, ms; -1: never */
	double max_lat;		/* longest a message took, ms */
	double max_lat_at;	/* when it was sent, ms after the link went down */
	double send_block;	/* longest send(), ms */
	double send_block_at;	/* when it began, ms after the link went down */
	double paths_block;	/* longest POST_PATHS getsockopt() while polling, ms */
	double paths_block_at;
	int sent, delivered, missing, dups, bad;
	int pre_a, pre_b, post_a, post_b;	/* messages by path, sent before/after */
};

/*
 * POST_BENCH_TRACE=1: every 100 ms of the failover, what the sender sent,
 * the receiver got and the client carrier reports (POST_INFO, POST_PATHS);
 * 2 adds ss -tnoi of the transients at a few points (slow under TCG).
 */
static void fo_trace(struct fo *f, double t_down)
{
	struct post_path_desc d[MP_MAX_PATHS];
	struct post_info pi = {};
	socklen_t len = sizeof(pi);
	int n = mp_paths(f->c, d);
	const struct post_path_desc *pa = mp_path(d, n, 'A');
	const struct post_path_desc *pb = mp_path(d, n, 'B');

	getsockopt(f->c, SOL_POST, POST_INFO, &pi, &len);
	printf("mp trace %+6.0f ms: sent %d delivered %d; client msgs_sent %llu acked %llu; A %s rtt %u ms, B %s rtt %u ms\n",
	       (now_s() - t_down) * 1e3, __atomic_load_n(&f->sent, __ATOMIC_ACQUIRE),
	       __atomic_load_n(&f->n, __ATOMIC_ACQUIRE),
	       (unsigned long long)pi.msgs_sent, (unsigned long long)pi.msgs_acked,
	       pa ? pa->state == 1 ? "up" : "down" : "-", pa ? pa->rtt_us / 1000 : 0,
	       pb ? pb->state == 1 ? "up" : "down" : "-", pb ? pb->rtt_us / 1000 : 0);
}

static int fo_run(const struct mp_opts *o, struct fo_result *r)
{
	struct post_path_desc d[MP_MAX_PATHS];
	const struct post_path_desc *pa, *pb;
	struct fo *f = calloc(1, sizeof(*f));
	int trace = getenv("POST_BENCH_TRACE") ? atoi(getenv("POST_BENCH_TRACE")) : 0;
	static const double ss_at[] = { 0.3, 1.0, 2.5, 6.0 };
	double t0, t_down, t_end, t_quit, next_trace;
	uint32_t sid_a = 0, sid_b = 0;
	size_t n_ss = 0;
	pthread_t ts, tr;
	int n, err = 0;

	memset(r, 0, sizeof(*r));
	r->detect = -1;
	if (!f || mp_connect(MP_POST, o, &f->c, &f->s, &f->l)) {
		free(f);
		return -1;
	}
	if (mp_paths_up(f->c, 2, 5.0) < 2 || mp_paths_up(f->s, 2, 5.0) < 2) {
		printf("mp failover: the carrier did not get its two paths up\n");
		err = -1;
		goto out;
	}
	{
		struct timeval tv = { 0, 200000 };

		setsockopt(f->c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(f->s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	/* the receiver's ids of the paths, for POST_PATH_ID */
	n = mp_paths(f->s, d);
	pa = mp_path(d, n, 'A');
	pb = mp_path(d, n, 'B');
	sid_a = pa ? pa->id : 0;
	sid_b = pb ? pb->id : 0;

	t0 = now_s();
	if (o->pause_ms) {
		f->pause_from = t0 + FO_PRE - o->pause_ms / 1e3;
		f->pause_to = t0 + FO_PRE + 0.05;
	}
	pthread_create(&tr, NULL, fo_recv, f);
	pthread_create(&ts, NULL, fo_send, f);
	sleep_until(t0 + FO_PRE);
	n = mp_paths(f->c, d);
	pa = mp_path(d, n, 'A');
	pb = mp_path(d, n, 'B');
	if (pa && pb) {
		r->rtt_a = pa->rtt_us / 1e3;
		r->rtt_b = pb->rtt_us / 1e3;
		/* Linux: srtt + max(4 mdev, TCP_RTO_MIN); rttvar_us is mdev */
		r->rto_a = (pa->rtt_us + (4 * pa->rttvar_us > 200000 ?
					  4 * pa->rttvar_us : 200000)) / 1e3;
	}
	t_down = now_s();
	if (if_set("cli0", 0)) {
		perror("mp failover: cli0 down");
		err = -1;
	}
	/* when does the client's carrier see path A down? */
	next_trace = t_down;
	t_end = t_down + FO_DETECT_MAX;
	while (!err && now_s() < t_end) {
		double t = now_s(), c;

		if (trace && t >= next_trace) {
			fo_trace(f, t_down);
			next_trace = t + 0.1;
		}
		/* slow: under TCG each exec may take seconds */
		if (trace > 1 && n_ss < sizeof(ss_at) / sizeof(ss_at[0]) &&
		    t >= t_down + ss_at[n_ss]) {
			printf("mp trace %+6.0f ms: the transients to path A, then B\n",
			       (t - t_down) * 1e3);
			fflush(stdout);
			sh("ss -tnoi dst " MP_SRV_A "; ss -tnoi dst " MP_SRV_B);
			n_ss++;
		}
		if (r->detect < 0) {
			t = now_s();
			n = mp_paths(f->c, d);
			c = now_s() - t;
			if (c * 1e3 > r->paths_block) {
				r->paths_block = c * 1e3;
				r->paths_block_at = (t - t_down) * 1e3;
			}
			pa = mp_path(d, n, 'A');
			if (!pa || pa->state != 1) {
				r->detect = (now_s() - t_down) * 1e3;
				t_end = now_s() + FO_POST;
			}
		}
		usleep(5000);
	}
	__atomic_store_n(&f->stop, 1, __ATOMIC_RELEASE);
	pthread_join(ts, NULL);
	t_end = now_s();
	/* the rest: the receiver sees EOF once everything was delivered */
	{
		int got = -1, sent = __atomic_load_n(&f->sent, __ATOMIC_ACQUIRE);
		double progress = now_s();

		while (now_s() < progress + FO_DRAIN) {
			int now_got = __atomic_load_n(&f->n, __ATOMIC_ACQUIRE);

			if (now_got >= sent)
				break;
			if (now_got != got) {
				got = now_got;
				progress = now_s();
			}
			if (trace && now_s() >= next_trace) {
				fo_trace(f, t_down);
				next_trace = now_s() + 0.1;
			}
			usleep(20000);
		}
	}
	t_quit = now_s();
	__atomic_store_n(&f->quit, 1, __ATOMIC_RELEASE);
	pthread_join(tr, NULL);
	if (trace)
		fo_trace(f, t_down);

	r->sent = f->sent;
	r->delivered = f->n;
	r->dups = f->dups;
	r->bad = f->bad;
	r->send_block = f->send_block * 1e3;
	r->send_block_at = (f->send_block_at - t_down) * 1e3;
	for (int i = 0; i < f->sent && i < FO_MAX; i++)
		r->missing += !f->seen[i];
	for (int i = 0; i < f->n; i++) {
		int pre = f->t_sent[i] < t_down;
		double lat = f->t_recv[i] - f->t_sent[i];

		if (f->path[i] == sid_a)
			pre ? r->pre_a++ : r->post_a++;
		else if (f->path[i] == sid_b)
			pre ? r->pre_b++ : r->post_b++;
		if (lat * 1e3 > r->max_lat) {
			r->max_lat = lat * 1e3;
			r->max_lat_at = (f->t_sent[i] - t_down) * 1e3;
		}
		/*
		 * Gaps while the sender was sending, after its first second
		 * (and not the pause it was told to make).
		 */
		if (i && f->t_recv[i - 1] >= t0 + 1.0 && f->t_recv[i - 1] < t_end) {
			double from = f->t_recv[i - 1] > f->pause_to ?
				      f->t_recv[i - 1] : f->pause_to;
			double g = (f->t_recv[i] - from) * 1e3;

			if (f->t_recv[i] < t_down) {
				if (g > r->gap_pre)
					r->gap_pre = g;
			} else if (g > r->gap) {
				r->gap = g;
				r->gap_at = (from - t_down) * 1e3;
			}
		}
	}
	/* messages never came: the silence since the last one counts, open-ended */
	if (r->missing) {
		double last = f->n ? f->t_recv[f->n - 1] : t_down;

		if (last < t_down)
			last = t_down;
		if ((t_quit - last) * 1e3 > r->gap) {
			r->gap = (t_quit - last) * 1e3;
			r->gap_at = (last - t_down) * 1e3;
			r->gap_open = 1;
		}
	}
	if (f->send_err || f->recv_err)
		printf("mp failover: send: %s, recv: %s\n",
		       f->send_err ? strerror(f->send_err) : "ok",
		       f->recv_err ? strerror(f->recv_err) : "ok");
out:
	if (r->missing) {
		/* reset, rather than leave an orphan flushing for a minute */
		struct linger lg = { 1, 0 };

		setsockopt(f->c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(f->c);
	close(f->s);
	close(f->l);
	free(f);
	/* back for the next run (its address and route come back with it) */
	if (if_set("cli0", 1))
		perror("mp failover: cli0 up");
	return err;
}

/* One failover run with @o, its figures under @label and the verdict. */
static int fo_report(const char *label, const struct mp_opts *o)
{
	struct fo_result fo;
	double det, limit;
	const char *why;

	if (fo_run(o, &fo)) {
		printf("%s: the run failed\n", label);
		return -1;
	}
	/* the kernel's own detection if it happened, else what the docs say */
	det = fo.detect >= 0 ? fo.detect : 7 * fo.rto_a;
	limit = 3 * fo.rtt_b + det;
	why = fo.missing ? "MISSED (messages never delivered)" :
	      fo.dups || fo.bad ? "MISSED (duplicated or bad messages)" :
	      fo.gap >= limit ? "MISSED" : "OK";
	printf("%s: 4 KiB every %.0f ms (%.1f Mbit/s), niceness %d, SO_SNDBUF %s%s; cli0 (path A's client end) down after %.0f s\n",
	       label, FO_PERIOD * 1e3, FO_MSG * 8 / FO_PERIOD / 1e6,
	       o->nice < 0 ? 0 : o->nice, o->sndbuf ? "1 MiB" : "default",
	       o->pause_ms ? ", paused before the drop" : "", FO_PRE);
	printf("%s: before the drop: srtt A %.1f ms, B %.1f ms; RTO of A ~%.0f ms (srtt + max(4 rttvar, 200 ms)), 3 RTOs backing off = 7 RTO ~%.0f ms\n",
	       label, fo.rtt_a, fo.rtt_b, fo.rto_a, 7 * fo.rto_a);
	if (fo.detect >= 0)
		printf("%s: path A down in the client's POST_PATHS %.0f ms after the link\n",
		       label, fo.detect);
	else
		printf("%s: path A still up in the client's POST_PATHS %.0f s after the link\n",
		       label, FO_DETECT_MAX);
	printf("%s: %d sent, %d delivered, %d missing, %d duplicates, %d bad; by path A/B, of those sent before the drop %d/%d, after %d/%d\n",
	       label, fo.sent, fo.delivered, fo.missing, fo.dups, fo.bad,
	       fo.pre_a, fo.pre_b, fo.post_a, fo.post_b);
	printf("%s: longest gap %s%.0f ms from %+.0f ms (before the drop %.0f ms); slowest message %.0f ms (sent at %+.0f ms); longest send() %.0f ms (at %+.0f ms)\n",
	       label, fo.gap_open ? ">= " : "", fo.gap, fo.gap_at, fo.gap_pre,
	       fo.max_lat, fo.max_lat_at, fo.send_block, fo.send_block_at);
	if (fo.paths_block > 100)
		printf("%s: a POST_PATHS getsockopt() on the client took %.0f ms (at %+.0f ms)\n",
		       label, fo.paths_block, fo.paths_block_at);
	printf("%s: gap - detection %.0f ms, against 3 surviving RTTs %.0f ms\n",
	       label, fo.gap - det, 3 * fo.rtt_b);
	printf("%-14s gap %s%.0f ms, surviving RTT %.1f ms, detection ~%.0f ms (3 RTOs%s)  (target gap < 3 RTT + detection = %.0f ms) %s\n",
	       label, fo.gap_open ? ">= " : "", fo.gap, fo.rtt_b, det,
	       fo.detect >= 0 ? "" : ", estimated: never seen", limit, why);
	return 0;
}

static int scen_mp(void)
{
	struct mp_result res[MP_KINDS][MP_REPS];
	double med[MP_KINDS], t_start = now_s();
	int mptcp_ok, err = 0, have_mptcp, post_ok = 1, post_mptcp_ok = 1;

	if (mp_setup()) {
		printf("mp: cannot set up the two-path namespaces\n");
		mp_teardown();
		return -1;
	}
	have_mptcp = !mp_mptcp_setup();
	if (!have_mptcp)
		printf("mp: ip mptcp failed: no MPTCP comparison\n");
	printf("mp paths: %s (netem on both ends: A %s, B %s)\n", MP_DESC,
	       MP_NETEM_A, MP_NETEM_B);
	fflush(stdout);

	if (getenv("POST_BENCH_MP_FO")) {
		/*
		 * "nice,sndbuf[,pause_ms]": the failover alone, e.g. 7,0;
		 * with a pause, path A has nothing in flight when it goes down.
		 */
		struct mp_opts o = { .nice = -1, .sndbuf = 0 };

		sscanf(getenv("POST_BENCH_MP_FO"), "%d,%d,%d", &o.nice, &o.sndbuf,
		       &o.pause_ms);
		err = fo_report("mp failover", &o);
		goto out;
	}

	/* interleaved, so that a noisy neighbour hurts all three alike */
	for (int i = 0; i < MP_REPS && !err; i++)
		for (int k = 0; k < MP_KINDS && !err; k++) {
			if ((k == MP_MPTCP || k == MP_POST_MPTCP) && !have_mptcp) {
				memset(&res[k][i], 0, sizeof(res[k][i]));
				continue;
			}
			err = mp_bulk_run(k, &res[k][i]);
			if (err)
				printf("mp: a %s transfer failed\n", mp_names[k]);
			if (err && k == MP_MPTCP) {
				printf("mp: no MPTCP comparison\n");
				have_mptcp = 0;
				err = 0;
			}
			if (err && k == MP_POST_MPTCP)
				post_mptcp_ok = 0;
		}
	if (err)
		goto out;

	for (int k = 0; k < MP_KINDS; k++) {
		struct mp_result *m = &res[k][0];
		double v[MP_REPS];

		for (int i = 0; i < MP_REPS; i++)
			v[i] = res[k][i].mbs;
		qsort(v, MP_REPS, sizeof(double), cmp_d);
		med[k] = v[MP_REPS / 2];
		for (int i = 0; i < MP_REPS; i++)
			if (res[k][i].mbs == med[k])
				m = &res[k][i];
		if ((k == MP_MPTCP || k == MP_POST_MPTCP) && !have_mptcp)
			continue;
		printf("mp %-10s %6.2f MB/s (runs", mp_names[k], med[k]);
		for (int i = 0; i < MP_REPS; i++)
			printf(" %.2f", res[k][i].mbs);
		printf("), wire bytes on A/B %2.0f%%/%2.0f%%", m->share_a * 100,
		       (1 - m->share_a) * 100);
		if (k == MP_POST)
			printf(", paths up %d, srtt A %.0f ms B %.0f ms",
			       m->paths, m->rtt_a, m->rtt_b);
		if (k == MP_MPTCP || k == MP_POST_MPTCP)
			printf(", %d subflows (A %d, B %d; mptcpi_subflows %d)%s",
			       m->paths, m->on_a, m->on_b, m->mptcpi_subflows,
			       m->fallback ? ", fell back to TCP" : "");
		printf("\n");
	}
	/* a run that cannot fill one path is not limited by the paths */
	if (med[MP_TCP] < 0.8 * MP_GOODPUT)
		printf("mp: TCP filled only %.0f%% of path A: the VM is short of CPU, the ratios say little\n",
		       med[MP_TCP] / MP_GOODPUT * 100);
	mptcp_ok = have_mptcp;
	for (int i = 0; i < MP_REPS && have_mptcp; i++) {
		struct mp_result *m = &res[MP_MPTCP][i];

		if (m->paths < 2 || !m->on_a || !m->on_b || m->fallback)
			mptcp_ok = 0;
	}
	if (have_mptcp && !mptcp_ok)
		printf("mp: MPTCP did not have a subflow on each path in every run: the MPTCP comparison is meaningless\n");
	else if (have_mptcp)
		printf("mp: MPTCP had 2 subflows, one on each path, in every run\n");
	for (int i = 0; i < MP_REPS; i++)
		if (res[MP_POST][i].paths < 2) {
			printf("mp: run %d: the AF_POST carrier had only %d path(s) up\n",
			       i + 1, res[MP_POST][i].paths);
			post_ok = 0;
		}

	verdict_vs("mp vs tcp A", "tcp  ", med[MP_TCP], med[MP_POST],
		   med[MP_POST] / med[MP_TCP], 1.7, 1, "MB/s",
		   !post_ok ? "MISSED (one path)" : NULL);
	if (have_mptcp)
		verdict_vs("mp vs mptcp", "mptcp", med[MP_MPTCP], med[MP_POST],
			   med[MP_MPTCP] > 0 ? med[MP_POST] / med[MP_MPTCP] : 0,
			   1.0, 1, "MB/s", !mptcp_ok ? "NOT COMPARABLE" :
			   !post_ok ? "MISSED (one path)" : NULL);
	/* transparent multipath: what the carrier costs over MPTCP itself */
	if (have_mptcp)
		verdict_vs("post/mptcp vs mptcp", "mptcp", med[MP_MPTCP],
			   med[MP_POST_MPTCP],
			   med[MP_MPTCP] > 0 ? med[MP_POST_MPTCP] / med[MP_MPTCP] : 0,
			   0.9, 1, "MB/s", !mptcp_ok ? "NOT COMPARABLE" :
			   !post_mptcp_ok ? "FAILED" : NULL);
	fflush(stdout);

	{
		/* the default niceness (0): urgent, on the path expected soonest */
		struct mp_opts o = { .nice = -1, .sndbuf = 0 };

		err = fo_report("mp failover", &o);
		fflush(stdout);
		/* bulk: on whichever path has room */
		o.nice = 7;
		err |= fo_report("mp failover n7", &o);
	}
out:
	mp_teardown();
	printf("mp: %.0f s\n", now_s() - t_start);
	return err;
}

static const struct scenario {
	const char *name;
	const char *what;
	int (*run)(void);
} scenarios[] = {
	{ "tput", "goodput of 1 KiB and 64 KiB messages, one connection", scen_tput },
	{ "rr", "request/response latency of 64-byte messages", scen_rr },
	{ "hol", "urgent 64 B messages every 10 ms behind niceness-7 bulk", scen_hol },
	{ "mp", "one carrier over two paths vs TCP on one and MPTCP on both; failover", scen_mp },
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
