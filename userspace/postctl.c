// SPDX-License-Identifier: GPL-2.0
/*
 * postctl: configure and inspect AF_POST associations, their paths, the
 * system policy and the carriers of a network namespace over the generic
 * netlink family "post", and follow its events.  See postctl(8).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/mptcp.h>
#include <linux/netlink.h>
#include <linux/post.h>

#define POSTCTL_VERSION	"1.0"

#define EXIT_KERNEL	1	/* the kernel refused or failed */
#define EXIT_USAGE	2	/* bad command line */

/* post.yaml: linger-ms is at most a day (post.h has no name for it) */
#define MAX_LINGER_MS	86400000U

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define REQ_SIZE	8192
#define RX_SIZE		65536
#define JSON_DEPTH	16

#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define __noreturn	__attribute__((noreturn))

static bool json;
static bool pretty;

/* ---- output: text or JSON, in the manner of iproute2's print_*() */

static struct {
	int depth;
	bool first[JSON_DEPTH];
	bool list;		/* the top-level array is open */
} jw;

static void jw_newline(void)
{
	int i;

	if (!pretty)
		return;
	putchar('\n');
	for (i = 0; i < jw.depth; i++)
		fputs("    ", stdout);
}

/* Length of the valid UTF-8 sequence at s, 0 if there is none. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

static void jw_string(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	putchar('"');
	while (*s) {
		if (*s == '"' || *s == '\\') {
			printf("\\%c", *s++);
		} else if (*s < 0x20 || *s == 0x7f) {
			printf("\\u%04x", *s++);
		} else if (*s < 0x80) {
			putchar(*s++);
		} else {
			n = utf8_len(s);
			if (n) {
				fwrite(s, 1, n, stdout);
				s += n;
			} else {
				fputs("\\ufffd", stdout);
				s++;
			}
		}
	}
	putchar('"');
}

/* Starts a member (key non-NULL) or an array element (key NULL). */
static void jw_member(const char *key)
{
	if (jw.depth > 0) {
		if (!jw.first[jw.depth])
			putchar(',');
		jw.first[jw.depth] = false;
		jw_newline();
	}
	if (key) {
		jw_string(key);
		fputs(pretty ? ": " : ":", stdout);
	}
}

static void jw_open(const char *key, char c)
{
	jw_member(key);
	putchar(c);
	if (jw.depth + 1 >= JSON_DEPTH)
		abort();
	jw.first[++jw.depth] = true;
}

static void jw_close(char c)
{
	bool empty = jw.first[jw.depth];

	jw.depth--;
	if (!empty)
		jw_newline();
	putchar(c);
}

static void open_obj(const char *key)
{
	if (json)
		jw_open(key, '{');
}

static void close_obj(void)
{
	if (json)
		jw_close('}');
}

static void open_arr(const char *key)
{
	if (json)
		jw_open(key, '[');
}

static void close_arr(void)
{
	if (json)
		jw_close(']');
}

/* JSON member @key (if not NULL), or the text @fmt (if not NULL). */
static void print_uint(const char *key, const char *fmt, unsigned long long v)
{
	if (json) {
		if (key) {
			jw_member(key);
			printf("%llu", v);
		}
	} else if (fmt) {
		printf(fmt, v);
	}
}

static void print_int(const char *key, const char *fmt, long long v)
{
	if (json) {
		if (key) {
			jw_member(key);
			printf("%lld", v);
		}
	} else if (fmt) {
		printf(fmt, v);
	}
}

static void print_str(const char *key, const char *fmt, const char *s)
{
	if (json) {
		if (key) {
			jw_member(key);
			jw_string(s);
		}
	} else if (fmt) {
		printf(fmt, s);
	}
}

static void print_bool(const char *key, bool v)
{
	if (json) {
		jw_member(key);
		fputs(v ? "true" : "false", stdout);
	}
}

static __printf(1, 2) void print_text(const char *fmt, ...)
{
	va_list ap;

	if (json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/* The top-level JSON array of the show commands, opened on demand. */
static void out_begin(void)
{
	if (json && !jw.list) {
		jw_open(NULL, '[');
		jw.list = true;
	}
}

static void out_end(void)
{
	if (json && jw.list) {
		jw_close(']');
		putchar('\n');
		jw.list = false;
	}
}

/* ---- names */

static const char * const assoc_states[] = {
	[POST_ASSOC_NONE] = "none",
	[POST_ASSOC_ACTIVE] = "active",
	[POST_ASSOC_DORMANT] = "dormant",
	[POST_ASSOC_CLOSED] = "closed",
};

static const char * const prefs[] = {
	[POST_PREF_NONE] = "none",
	[POST_PREF_REQUIRE] = "require",
	[POST_PREF_PREFER] = "prefer",
	[POST_PREF_AVOID] = "avoid",
	[POST_PREF_PROHIBIT] = "prohibit",
};

static const char * const reasons[] = {
	[POST_REASON_UNSPEC] = "unspec",
	[POST_REASON_ADMIN] = "admin",
	[POST_REASON_CONNECT] = "connect",
	[POST_REASON_ACCEPT] = "accept",
	[POST_REASON_CLOSE] = "close",
	[POST_REASON_LAST_CARRIER] = "last-carrier",
	[POST_REASON_TRANSPORT] = "transport",
	[POST_REASON_LINGER] = "linger",
	[POST_REASON_NETNS] = "netns",
	[POST_REASON_MEASURED] = "measured",
};

/* Linux TCP_* states, named as ss(8) names them. */
static const char * const tcp_states[] = {
	[0] = "UNKNOWN",
	[1] = "ESTAB",
	[2] = "SYN-SENT",
	[3] = "SYN-RECV",
	[4] = "FIN-WAIT-1",
	[5] = "FIN-WAIT-2",
	[6] = "TIME-WAIT",
	[7] = "CLOSE",
	[8] = "CLOSE-WAIT",
	[9] = "LAST-ACK",
	[10] = "LISTEN",
	[11] = "CLOSING",
	[12] = "NEW-SYN-RECV",
	[13] = "BOUND-INACTIVE",
};

static const char * const carrier_types[] = {
	[SOCK_STREAM] = "stream",
	[SOCK_SEQPACKET] = "message",
};

static const char * const stats_names[] = {
	[POST_STATS_A_MSGS_SENT] = "msgs_sent",
	[POST_STATS_A_MSGS_RECV] = "msgs_recv",
	[POST_STATS_A_BYTES_SENT] = "bytes_sent",
	[POST_STATS_A_BYTES_RECV] = "bytes_recv",
	[POST_STATS_A_CARRIERS_TOTAL] = "carriers_total",
	[POST_STATS_A_RESUMES] = "resumes",
};

/* The name of @v in @names, or @v in decimal (in @buf). */
static const char *name_of(const char * const *names, size_t n,
			   unsigned int v, char *buf, size_t len)
{
	if (v < n && names[v])
		return names[v];
	snprintf(buf, len, "%u", v);
	return buf;
}

#define NAME(names, v, buf) name_of(names, ARRAY_SIZE(names), v, buf, \
				    sizeof(buf))

static const char *proto_name(unsigned int proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_SCTP:
		return "sctp";
	}
	snprintf(buf, len, "%u", proto);
	return buf;
}

/* ---- attribute parsing */

struct attr_spec {
	enum mnl_attr_data_type type;
	size_t len;			/* exact length of MNL_TYPE_BINARY */
};

struct attr_tb {
	const struct attr_spec *spec;
	unsigned int max;
	const struct nlattr **tb;
};

static const struct attr_spec top_spec[POST_A_MAX + 1] = {
	[POST_A_ASSOC_ID] = { .type = MNL_TYPE_U32 },
	[POST_A_ASSOC_STATE] = { .type = MNL_TYPE_U8 },
	[POST_A_LOCAL] = { .type = MNL_TYPE_NESTED },
	[POST_A_REMOTE] = { .type = MNL_TYPE_NESTED },
	[POST_A_N_CARRIERS] = { .type = MNL_TYPE_U32 },
	[POST_A_LINGER_MS] = { .type = MNL_TYPE_U32 },
	[POST_A_STATS] = { .type = MNL_TYPE_NESTED },
	[POST_A_REASON] = { .type = MNL_TYPE_U32 },
	[POST_A_PATH] = { .type = MNL_TYPE_NESTED },
	[POST_A_POLICY] = { .type = MNL_TYPE_NESTED },
	[POST_A_CARRIER] = { .type = MNL_TYPE_NESTED },
};

static const struct attr_spec addr_spec[POST_ADDR_A_MAX + 1] = {
	[POST_ADDR_A_FAMILY] = { .type = MNL_TYPE_U16 },
	[POST_ADDR_A_ADDR4] = { .type = MNL_TYPE_U32 },
	[POST_ADDR_A_ADDR6] = { .type = MNL_TYPE_BINARY,
				  .len = sizeof(struct in6_addr) },
	[POST_ADDR_A_PORT] = { .type = MNL_TYPE_U16 },
	[POST_ADDR_A_IFINDEX] = { .type = MNL_TYPE_U32 },
};

static const struct attr_spec path_spec[POST_PATH_A_MAX + 1] = {
	[POST_PATH_A_ID] = { .type = MNL_TYPE_U32 },
	[POST_PATH_A_LOCAL] = { .type = MNL_TYPE_NESTED },
	[POST_PATH_A_REMOTE] = { .type = MNL_TYPE_NESTED },
	[POST_PATH_A_BACKUP] = { .type = MNL_TYPE_U8 },
	[POST_PATH_A_ADMIN_UP] = { .type = MNL_TYPE_U8 },
	[POST_PATH_A_STATE] = { .type = MNL_TYPE_U8 },
	[POST_PATH_A_RTT_US] = { .type = MNL_TYPE_U32 },
	[POST_PATH_A_RTTVAR_US] = { .type = MNL_TYPE_U32 },
	[POST_PATH_A_DELIVERY_RATE] = { .type = MNL_TYPE_U64 },
	[POST_PATH_A_RETRANS] = { .type = MNL_TYPE_U32 },
	[POST_PATH_A_MTU] = { .type = MNL_TYPE_U32 },
};

static const struct attr_spec policy_spec[POST_POLICY_A_MAX + 1] = {
	[POST_POLICY_A_RELIABILITY] = { .type = MNL_TYPE_U8 },
	[POST_POLICY_A_MSG_BOUNDARIES] = { .type = MNL_TYPE_U8 },
	[POST_POLICY_A_MULTISTREAMING] = { .type = MNL_TYPE_U8 },
	[POST_POLICY_A_MULTIPATH] = { .type = MNL_TYPE_U8 },
	[POST_POLICY_A_SECURITY] = { .type = MNL_TYPE_U8 },
	[POST_POLICY_A_RESUME] = { .type = MNL_TYPE_U8 },
	[POST_POLICY_A_MPTCP] = { .type = MNL_TYPE_U8 },
	[POST_POLICY_A_PREFER_IF] = { .type = MNL_TYPE_U32 },
	[POST_POLICY_A_PROHIBIT_IF] = { .type = MNL_TYPE_U32 },
	[POST_POLICY_A_LINGER_MS] = { .type = MNL_TYPE_U32 },
	[POST_POLICY_A_REUSE] = { .type = MNL_TYPE_U8 },
};

static const struct attr_spec stats_spec[POST_STATS_A_MAX + 1] = {
	[POST_STATS_A_MSGS_SENT] = { .type = MNL_TYPE_U64 },
	[POST_STATS_A_MSGS_RECV] = { .type = MNL_TYPE_U64 },
	[POST_STATS_A_BYTES_SENT] = { .type = MNL_TYPE_U64 },
	[POST_STATS_A_BYTES_RECV] = { .type = MNL_TYPE_U64 },
	[POST_STATS_A_CARRIERS_TOTAL] = { .type = MNL_TYPE_U64 },
	[POST_STATS_A_RESUMES] = { .type = MNL_TYPE_U64 },
};

static const struct attr_spec carrier_spec[POST_CARRIER_A_MAX + 1] = {
	[POST_CARRIER_A_ID] = { .type = MNL_TYPE_U32 },
	[POST_CARRIER_A_TYPE] = { .type = MNL_TYPE_U16 },
	[POST_CARRIER_A_STATE] = { .type = MNL_TYPE_U8 },
	[POST_CARRIER_A_INODE] = { .type = MNL_TYPE_U64 },
	[POST_CARRIER_A_QUEUED] = { .type = MNL_TYPE_U32 },
	[POST_CARRIER_A_RCVQ] = { .type = MNL_TYPE_U32 },
	[POST_CARRIER_A_TRANSIENT] = { .type = MNL_TYPE_NESTED },
};

static const struct attr_spec transient_spec[POST_TRANSIENT_A_MAX + 1] = {
	[POST_TRANSIENT_A_PROTO] = { .type = MNL_TYPE_U8 },
	[POST_TRANSIENT_A_STATE] = { .type = MNL_TYPE_U8 },
	[POST_TRANSIENT_A_LOCAL] = { .type = MNL_TYPE_NESTED },
	[POST_TRANSIENT_A_REMOTE] = { .type = MNL_TYPE_NESTED },
	[POST_TRANSIENT_A_PATH_ID] = { .type = MNL_TYPE_U32 },
	[POST_TRANSIENT_A_RTT_US] = { .type = MNL_TYPE_U32 },
	[POST_TRANSIENT_A_NOTSENT] = { .type = MNL_TYPE_U32 },
	[POST_TRANSIENT_A_MPTCP_SUBFLOWS] = { .type = MNL_TYPE_U8 },
	[POST_TRANSIENT_A_MPTCP_FLAGS] = { .type = MNL_TYPE_U32 },
};

/* Whether @attr is a well-formed attribute of @spec (unknown ones are not). */
static bool attr_valid(const struct nlattr *attr, const struct attr_spec *spec,
		       unsigned int max)
{
	unsigned int type = mnl_attr_get_type(attr);
	static bool warned;
	const struct attr_spec *s;
	int err;

	if (type > max || spec[type].type == MNL_TYPE_UNSPEC)
		return false;
	s = &spec[type];
	if (s->len)
		err = mnl_attr_validate2(attr, s->type, s->len);
	else
		err = mnl_attr_validate(attr, s->type);
	if (err < 0) {
		if (!warned)
			fprintf(stderr, "postctl: warning: %s (the first: %u)\n",
				"ignoring malformed attributes", type);
		warned = true;
		return false;
	}
	return true;
}

/* Keeps the last well-formed instance of every attribute known to @spec. */
static int attr_tb_cb(const struct nlattr *attr, void *data)
{
	struct attr_tb *t = data;

	if (attr_valid(attr, t->spec, t->max))
		t->tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static void parse_nest(const struct nlattr *nest, const struct attr_spec *spec,
		       unsigned int max, const struct nlattr **tb)
{
	struct attr_tb t = { spec, max, tb };

	mnl_attr_parse_nested(nest, attr_tb_cb, &t);
}

static void parse_msg(const struct nlmsghdr *nlh, const struct nlattr **tb)
{
	struct attr_tb t = { top_spec, POST_A_MAX, tb };

	mnl_attr_parse(nlh, GENL_HDRLEN, attr_tb_cb, &t);
}

/* ---- printing the objects */

static const char *ifname_of(int ifindex, char *buf)
{
	if (if_indextoname(ifindex, buf))
		return buf;
	snprintf(buf, IF_NAMESIZE, "if%d", ifindex);
	return buf;
}

/*
 * An address nest: in text " KEY ADDR[:PORT] [dev IFNAME]" (IPv6 in
 * brackets when there is a port, "*" without an address); in JSON an
 * object, the member @key unless it is an element of an array.
 */
static void print_addr(const char *key, const struct nlattr *nest,
		       bool element)
{
	const struct nlattr *tb[POST_ADDR_A_MAX + 1] = {};
	char addr[INET6_ADDRSTRLEN] = "*", ifname[IF_NAMESIZE];
	bool have_addr = false, v6 = false;
	unsigned int family = AF_UNSPEC;
	unsigned int port = 0;
	int ifindex = 0;
	const void *raw;

	parse_nest(nest, addr_spec, POST_ADDR_A_MAX, tb);
	if (tb[POST_ADDR_A_FAMILY])
		family = mnl_attr_get_u16(tb[POST_ADDR_A_FAMILY]);
	if (family == AF_INET && tb[POST_ADDR_A_ADDR4]) {
		raw = mnl_attr_get_payload(tb[POST_ADDR_A_ADDR4]);
		have_addr = inet_ntop(AF_INET, raw, addr, sizeof(addr));
	} else if (family == AF_INET6 && tb[POST_ADDR_A_ADDR6]) {
		raw = mnl_attr_get_payload(tb[POST_ADDR_A_ADDR6]);
		have_addr = inet_ntop(AF_INET6, raw, addr, sizeof(addr));
		v6 = true;
	}
	if (tb[POST_ADDR_A_PORT])
		port = mnl_attr_get_u16(tb[POST_ADDR_A_PORT]);
	if (tb[POST_ADDR_A_IFINDEX])
		ifindex = (int)mnl_attr_get_u32(tb[POST_ADDR_A_IFINDEX]);

	if (!json) {
		if (!have_addr)
			snprintf(addr, sizeof(addr), "*");
		if (port && v6)
			printf(" %s [%s]:%u", key, addr, port);
		else if (port)
			printf(" %s %s:%u", key, addr, port);
		else
			printf(" %s %s", key, addr);
		if (ifindex)
			printf(" dev %s", ifname_of(ifindex, ifname));
		return;
	}

	open_obj(element ? NULL : key);
	if (tb[POST_ADDR_A_FAMILY]) {
		char buf[16];
		const char *f = family == AF_INET ? "inet" :
				family == AF_INET6 ? "inet6" :
				family == AF_UNSPEC ? "unspec" : NULL;

		if (!f) {
			snprintf(buf, sizeof(buf), "af%u", family);
			f = buf;
		}
		print_str("family", NULL, f);
	}
	if (have_addr)
		print_str("addr", NULL, addr);
	if (tb[POST_ADDR_A_PORT])
		print_uint("port", NULL, port);
	if (tb[POST_ADDR_A_IFINDEX]) {
		print_int("ifindex", NULL, ifindex);
		if (ifindex && if_indextoname(ifindex, ifname))
			print_str("dev", NULL, ifname);
	}
	close_obj();
}

static void format_rate(char *buf, size_t len, unsigned long long bytes)
{
	static const char * const units[] = { "K", "M", "G", "T", "P", "E" };
	double v = (double)bytes * 8;
	unsigned int i = 0;

	if (v < 1000) {
		snprintf(buf, len, "%.0fbit/s", v);
		return;
	}
	v /= 1000;
	while (v >= 1000 && i < ARRAY_SIZE(units) - 1) {
		v /= 1000;
		i++;
	}
	snprintf(buf, len, "%.1f%sbit/s", v, units[i]);
}

static void print_reason(const struct nlattr *attr)
{
	char buf[16];

	if (attr)
		print_str("reason", " reason %s",
			  NAME(reasons, mnl_attr_get_u32(attr), buf));
}

/* "@lead ID" in text (the start of a line), "id" in JSON. */
static void print_lead(const char *lead, const struct nlattr *id)
{
	if (!id) {
		print_text("%s ?", lead);
		return;
	}
	print_uint("id", NULL, mnl_attr_get_u32(id));
	print_text("%s %u", lead, mnl_attr_get_u32(id));
}

/* The text starts with "@lead ID"; in JSON the members of one object. */
static void print_path(const char *lead, const struct nlattr *nest,
		       const struct nlattr *assoc_id)
{
	const struct nlattr *tb[POST_PATH_A_MAX + 1] = {};
	char buf[32];

	parse_nest(nest, path_spec, POST_PATH_A_MAX, tb);
	print_lead(lead, tb[POST_PATH_A_ID]);
	if (assoc_id)
		print_uint("assoc_id", " assoc %llu",
			   mnl_attr_get_u32(assoc_id));
	if (tb[POST_PATH_A_LOCAL])
		print_addr("local", tb[POST_PATH_A_LOCAL], false);
	if (tb[POST_PATH_A_REMOTE])
		print_addr("remote", tb[POST_PATH_A_REMOTE], false);
	if (tb[POST_PATH_A_STATE]) {
		bool up = mnl_attr_get_u8(tb[POST_PATH_A_STATE]);

		print_str("state", " state %s", up ? "up" : "down");
	}
	if (tb[POST_PATH_A_RTT_US])
		print_uint("rtt_us", " rtt %lluus",
			   mnl_attr_get_u32(tb[POST_PATH_A_RTT_US]));
	if (tb[POST_PATH_A_RTTVAR_US])
		print_uint("rttvar_us", " rttvar %lluus",
			   mnl_attr_get_u32(tb[POST_PATH_A_RTTVAR_US]));
	if (tb[POST_PATH_A_DELIVERY_RATE]) {
		unsigned long long rate;

		rate = mnl_attr_get_u64(tb[POST_PATH_A_DELIVERY_RATE]);
		format_rate(buf, sizeof(buf), rate);
		print_uint("delivery_rate", NULL, rate);
		print_text(" rate %s", buf);
	}
	if (tb[POST_PATH_A_RETRANS])
		print_uint("retrans", " retrans %llu",
			   mnl_attr_get_u32(tb[POST_PATH_A_RETRANS]));
	if (tb[POST_PATH_A_MTU])
		print_uint("mtu", " mtu %llu",
			   mnl_attr_get_u32(tb[POST_PATH_A_MTU]));
	if (tb[POST_PATH_A_BACKUP]) {
		bool backup = mnl_attr_get_u8(tb[POST_PATH_A_BACKUP]);

		print_bool("backup", backup);
		if (backup)
			print_text(" backup");
	}
	if (tb[POST_PATH_A_ADMIN_UP]) {
		bool up = mnl_attr_get_u8(tb[POST_PATH_A_ADMIN_UP]);

		print_bool("admin_up", up);
		if (!up)
			print_text(" admin-down");
	}
}

static void print_stats(const struct nlattr *nest)
{
	const struct nlattr *attr;
	unsigned int type;
	char key[24];

	open_obj("stats");
	print_text("   ");
	mnl_attr_for_each_nested(attr, nest) {
		type = mnl_attr_get_type(attr);
		if (type == POST_STATS_A_PAD)
			continue;
		if (type <= POST_STATS_A_MAX) {
			if (!attr_valid(attr, stats_spec, POST_STATS_A_MAX))
				continue;
			snprintf(key, sizeof(key), "%s", stats_names[type]);
		} else {
			/* newer counters: u64 too, named by number */
			if (mnl_attr_get_payload_len(attr) != sizeof(__u64))
				continue;
			snprintf(key, sizeof(key), "stat_%u", type);
		}
		print_uint(key, NULL, mnl_attr_get_u64(attr));
		print_text(" %s %llu", key,
			   (unsigned long long)mnl_attr_get_u64(attr));
	}
	print_text("\n");
	close_obj();
}

/* The main line of an association: "@lead ID state ... linger NNms". */
static void print_assoc(const char *lead, const struct nlmsghdr *nlh,
			const struct nlattr **tb)
{
	const struct nlattr *attr;
	char buf[16];
	bool any = false;

	print_lead(lead, tb[POST_A_ASSOC_ID]);
	if (tb[POST_A_ASSOC_STATE])
		print_str("state", " state %s",
			  NAME(assoc_states,
			       mnl_attr_get_u8(tb[POST_A_ASSOC_STATE]), buf));
	if (tb[POST_A_LOCAL])
		print_addr("local", tb[POST_A_LOCAL], false);
	mnl_attr_for_each(attr, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(attr) != POST_A_REMOTE ||
		    !attr_valid(attr, top_spec, POST_A_MAX))
			continue;
		if (!any)
			open_arr("remote");
		any = true;
		print_addr("remote", attr, true);
	}
	if (any)
		close_arr();
	if (tb[POST_A_N_CARRIERS])
		print_uint("carriers", " carriers %llu",
			   mnl_attr_get_u32(tb[POST_A_N_CARRIERS]));
	if (tb[POST_A_LINGER_MS])
		print_uint("linger_ms", " linger %llums",
			   mnl_attr_get_u32(tb[POST_A_LINGER_MS]));
}

/* What follows the main line: the counters and the paths. */
static void print_assoc_details(const struct nlmsghdr *nlh,
				const struct nlattr **tb)
{
	const struct nlattr *attr;
	bool any = false;

	if (tb[POST_A_STATS])
		print_stats(tb[POST_A_STATS]);
	mnl_attr_for_each(attr, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(attr) != POST_A_PATH ||
		    !attr_valid(attr, top_spec, POST_A_MAX))
			continue;
		if (!any)
			open_arr("paths");
		any = true;
		open_obj(NULL);
		print_path("    path", attr, NULL);
		close_obj();
		print_text("\n");
	}
	if (any)
		close_arr();
}

static void print_transient(const struct nlattr *nest)
{
	const struct nlattr *tb[POST_TRANSIENT_A_MAX + 1] = {};
	const struct nlattr *attr;
	char buf[16];

	parse_nest(nest, transient_spec, POST_TRANSIENT_A_MAX, tb);
	open_obj(NULL);
	print_text("    transient");
	attr = tb[POST_TRANSIENT_A_PROTO];
	if (tb[POST_TRANSIENT_A_MPTCP_SUBFLOWS])
		print_str("proto", " %s", "mptcp");
	else if (attr)
		print_str("proto", " %s",
			  proto_name(mnl_attr_get_u8(attr), buf, sizeof(buf)));
	if (tb[POST_TRANSIENT_A_MPTCP_SUBFLOWS])
		print_uint("subflows", " subflows %llu",
			   mnl_attr_get_u8(tb[POST_TRANSIENT_A_MPTCP_SUBFLOWS]));
	if (tb[POST_TRANSIENT_A_MPTCP_FLAGS] &&
	    (mnl_attr_get_u32(tb[POST_TRANSIENT_A_MPTCP_FLAGS]) &
	     MPTCP_INFO_FLAG_FALLBACK))
		print_str("mptcp", " %s", "fallback");
	attr = tb[POST_TRANSIENT_A_STATE];
	if (attr)
		print_str("state", " state %s",
			  NAME(tcp_states, mnl_attr_get_u8(attr), buf));
	if (tb[POST_TRANSIENT_A_LOCAL])
		print_addr("local", tb[POST_TRANSIENT_A_LOCAL], false);
	if (tb[POST_TRANSIENT_A_REMOTE])
		print_addr("remote", tb[POST_TRANSIENT_A_REMOTE], false);
	if (tb[POST_TRANSIENT_A_PATH_ID])
		print_uint("path_id", " path %llu",
			   mnl_attr_get_u32(tb[POST_TRANSIENT_A_PATH_ID]));
	if (tb[POST_TRANSIENT_A_RTT_US])
		print_uint("rtt_us", " rtt %lluus",
			   mnl_attr_get_u32(tb[POST_TRANSIENT_A_RTT_US]));
	if (tb[POST_TRANSIENT_A_NOTSENT])
		print_uint("notsent", " notsent %llu",
			   mnl_attr_get_u32(tb[POST_TRANSIENT_A_NOTSENT]));
	print_text("\n");
	close_obj();
}

/* The main line of a carrier; @ctb is its POST_A_CARRIER nest, parsed. */
static void print_carrier(const char *lead, const struct nlattr **tb,
			  const struct nlattr **ctb)
{
	const struct nlattr *attr;
	char buf[16];

	print_lead(lead, ctb[POST_CARRIER_A_ID]);
	attr = ctb[POST_CARRIER_A_TYPE];
	if (attr)
		print_str("type", " type %s",
			  NAME(carrier_types, mnl_attr_get_u16(attr), buf));
	attr = ctb[POST_CARRIER_A_STATE];
	if (attr)
		print_str("state", " state %s",
			  NAME(tcp_states, mnl_attr_get_u8(attr), buf));
	if (tb[POST_A_ASSOC_ID])
		print_uint("assoc_id", " assoc %llu",
			   mnl_attr_get_u32(tb[POST_A_ASSOC_ID]));
	if (tb[POST_A_LOCAL])
		print_addr("local", tb[POST_A_LOCAL], false);
	if (tb[POST_A_REMOTE])
		print_addr("remote", tb[POST_A_REMOTE], false);
	if (ctb[POST_CARRIER_A_RCVQ])
		print_uint("rcvq", " rcvq %llu",
			   mnl_attr_get_u32(ctb[POST_CARRIER_A_RCVQ]));
	if (ctb[POST_CARRIER_A_QUEUED])
		print_uint("queued", " queued %llu",
			   mnl_attr_get_u32(ctb[POST_CARRIER_A_QUEUED]));
	if (ctb[POST_CARRIER_A_INODE])
		print_uint("inode", " inode %llu",
			   mnl_attr_get_u64(ctb[POST_CARRIER_A_INODE]));
}

static void print_carrier_details(const struct nlattr *carrier)
{
	const struct nlattr *attr;
	bool any = false;

	mnl_attr_for_each_nested(attr, carrier) {
		if (mnl_attr_get_type(attr) != POST_CARRIER_A_TRANSIENT ||
		    !attr_valid(attr, carrier_spec, POST_CARRIER_A_MAX))
			continue;
		if (!any)
			open_arr("transients");
		any = true;
		print_transient(attr);
	}
	if (any)
		close_arr();
}

static void print_ifs(const char *key, const char *word,
		      const struct nlattr *nest, unsigned int type)
{
	const struct nlattr *attr;
	char ifname[IF_NAMESIZE];
	bool any = false;
	int ifindex;

	mnl_attr_for_each_nested(attr, nest) {
		if (mnl_attr_get_type(attr) != type ||
		    !attr_valid(attr, policy_spec, POST_POLICY_A_MAX))
			continue;
		ifindex = (int)mnl_attr_get_u32(attr);
		if (!ifindex)
			continue;
		if (!any)
			open_arr(key);
		any = true;
		open_obj(NULL);
		print_int("ifindex", NULL, ifindex);
		if (json && if_indextoname(ifindex, ifname))
			print_str("dev", NULL, ifname);
		close_obj();
		print_text(" %s %s", word, ifname_of(ifindex, ifname));
	}
	if (any)
		close_arr();
}

static void print_policy(const char *lead, const struct nlattr *nest)
{
	static const struct {
		unsigned int type;
		const char *key;
	} props[] = {
		{ POST_POLICY_A_RELIABILITY, "reliability" },
		{ POST_POLICY_A_MSG_BOUNDARIES, "boundaries" },
		{ POST_POLICY_A_MULTISTREAMING, "multistreaming" },
		{ POST_POLICY_A_MULTIPATH, "multipath" },
		{ POST_POLICY_A_SECURITY, "security" },
		{ POST_POLICY_A_RESUME, "resume" },
		{ POST_POLICY_A_MPTCP, "mptcp" },
	};
	const struct nlattr *tb[POST_POLICY_A_MAX + 1] = {};
	char buf[16], fmt[32];
	unsigned int i;

	print_text("%s", lead);
	if (!nest)
		return;
	parse_nest(nest, policy_spec, POST_POLICY_A_MAX, tb);
	for (i = 0; i < ARRAY_SIZE(props); i++) {
		if (!tb[props[i].type])
			continue;
		snprintf(fmt, sizeof(fmt), " %s %%s", props[i].key);
		print_str(props[i].key, fmt,
			  NAME(prefs, mnl_attr_get_u8(tb[props[i].type]), buf));
	}
	print_ifs("prefer_dev", "prefer-dev", nest, POST_POLICY_A_PREFER_IF);
	print_ifs("prohibit_dev", "prohibit-dev", nest,
		  POST_POLICY_A_PROHIBIT_IF);
	if (tb[POST_POLICY_A_LINGER_MS])
		print_uint("linger_ms", " linger %llums",
			   mnl_attr_get_u32(tb[POST_POLICY_A_LINGER_MS]));
	if (tb[POST_POLICY_A_REUSE]) {
		bool reuse = mnl_attr_get_u8(tb[POST_POLICY_A_REUSE]);

		print_bool("reuse", reuse);
		print_text(" reuse %s", reuse ? "on" : "off");
	}
}

/* ---- netlink */

struct post_nl {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
	__u16 family;
	__u32 monitor_group;	/* 0: the family has no such group */
};

struct post_req;
typedef int (*post_cb_t)(const struct nlmsghdr *nlh, struct post_req *req);

/* One request: how to print its replies, and how it ended. */
struct post_req {
	__u16 type;		/* nlmsg_type of the replies to pass to cb */
	post_cb_t cb;
	bool list;		/* show command: print "[]" if nothing came */
	bool have_filter;	/* path and carrier show: only this id */
	__u32 filter;
	struct post_nl *nl;
	void *priv;		/* the callback's */
	/* outcome */
	int error;		/* positive errno */
	bool local;		/* error is ours, not the kernel's */
	const struct nlmsghdr *sent;
	bool have_miss;
	bool have_miss_nest;
	__u32 miss_type;	/* NLMSGERR_ATTR_MISS_TYPE */
	__u32 miss_nest;	/* NLMSGERR_ATTR_MISS_NEST: offset in sent */
	char msg[256];		/* NLMSGERR_ATTR_MSG */
};

/* Netlink buffers, aligned for the headers. */
static union {
	char data[RX_SIZE];
	struct nlmsghdr hdr;
} rxbuf;

static union {
	char data[REQ_SIZE];
	struct nlmsghdr hdr;
} reqbuf, ctrlbuf;

static void parse_extack(const struct nlmsghdr *nlh, size_t offset,
			 struct post_req *req)
{
	const struct nlattr *attr;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) ||
	    offset > mnl_nlmsg_get_payload_len(nlh))
		return;
	mnl_attr_for_each(attr, nlh, offset) {
		switch (mnl_attr_get_type(attr)) {
		case NLMSGERR_ATTR_MSG:
			if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
				break;
			snprintf(req->msg, sizeof(req->msg), "%s",
				 mnl_attr_get_str(attr));
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				break;
			req->miss_type = mnl_attr_get_u32(attr);
			req->have_miss = true;
			break;
		case NLMSGERR_ATTR_MISS_NEST:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				break;
			req->miss_nest = mnl_attr_get_u32(attr);
			req->have_miss_nest = true;
			break;
		}
	}
}

static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	size_t len = mnl_nlmsg_get_payload_len(nlh);
	struct post_req *req = data;
	size_t offset = sizeof(*err);

	if (len < sizeof(*err)) {
		req->error = EBADMSG;
		req->local = true;
		return MNL_CB_STOP;
	}
	/* the request comes back whole unless it was capped */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		offset = sizeof(err->error) + MNL_ALIGN(err->msg.nlmsg_len);
	if (offset >= sizeof(*err))
		parse_extack(nlh, offset, req);
	if (err->error > 0) {
		req->error = EPROTO;
	} else if (err->error < 0) {
		req->error = -err->error;
	} else if (req->msg[0]) {
		fprintf(stderr, "Warning: %s\n", req->msg);
		req->msg[0] = '\0';
	}
	return MNL_CB_STOP;
}

/* The end of a dump: with an error if the dump failed. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct post_req *req = data;
	int err;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(err))
		return MNL_CB_STOP;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err < 0) {
		parse_extack(nlh, sizeof(err), req);
		req->error = -err;
	}
	return MNL_CB_STOP;
}

static mnl_cb_t ctl_cbs[NLMSG_MIN_TYPE] = {
	[NLMSG_ERROR] = error_cb,
	[NLMSG_DONE] = done_cb,
};

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct post_req *req = data;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
		req->error = EINTR;
		snprintf(req->msg, sizeof(req->msg),
			 "the dump was interrupted by a change, try again");
		return MNL_CB_STOP;
	}
	if (nlh->nlmsg_type != req->type || !req->cb)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN) {
		fprintf(stderr, "postctl: warning: ignoring a truncated message\n");
		return MNL_CB_OK;
	}
	return req->cb(nlh, req);
}

/*
 * Sends @nlh and runs the replies through @req until the final
 * acknowledgment or the end of the dump.  Returns 0, or -1 with the
 * error in @req.
 */
static int nl_exchange(struct post_nl *nl, struct nlmsghdr *nlh,
		       struct post_req *req)
{
	unsigned int seq = ++nl->seq;
	ssize_t n;
	int ret;

	req->nl = nl;
	req->sent = nlh;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		goto local;
	do {
		n = mnl_socket_recvfrom(nl->sock, rxbuf.data, sizeof(rxbuf));
		if (n < 0)
			goto local;
		ret = mnl_cb_run2(rxbuf.data, n, seq, nl->portid, data_cb, req,
				  ctl_cbs, ARRAY_SIZE(ctl_cbs));
		if (ret < 0 && !req->error)
			goto local;
	} while (ret > MNL_CB_STOP);
	return req->error ? -1 : 0;

local:
	req->error = errno;
	/* a dump libmnl saw interrupted (NLM_F_DUMP_INTR) is the kernel's */
	req->local = req->error != EINTR;
	if (req->error == ENOSPC)
		snprintf(req->msg, sizeof(req->msg),
			 "a reply was larger than %d bytes", RX_SIZE);
	else if (req->error == EINTR)
		snprintf(req->msg, sizeof(req->msg),
			 "the dump was interrupted by a change, try again");
	return -1;
}

/* Names of the request attributes, for "missing attribute" errors. */
static const char * const top_names[POST_A_MAX + 1] = {
	[POST_A_ASSOC_ID] = "assoc id",
	[POST_A_LOCAL] = "local",
	[POST_A_REMOTE] = "remote",
	[POST_A_LINGER_MS] = "linger",
	[POST_A_PATH] = "path",
	[POST_A_POLICY] = "policy",
};

static const char * const addr_names[POST_ADDR_A_MAX + 1] = {
	[POST_ADDR_A_FAMILY] = "family",
	[POST_ADDR_A_ADDR4] = "IPv4 address",
	[POST_ADDR_A_ADDR6] = "IPv6 address",
	[POST_ADDR_A_PORT] = "port",
	[POST_ADDR_A_IFINDEX] = "dev",
};

static const char * const path_names[POST_PATH_A_MAX + 1] = {
	[POST_PATH_A_ID] = "path id",
	[POST_PATH_A_LOCAL] = "local",
	[POST_PATH_A_REMOTE] = "remote",
	[POST_PATH_A_BACKUP] = "backup",
	[POST_PATH_A_ADMIN_UP] = "up/down",
};

static const char * const policy_names[POST_POLICY_A_MAX + 1] = {
	[POST_POLICY_A_RELIABILITY] = "reliability",
	[POST_POLICY_A_MSG_BOUNDARIES] = "boundaries",
	[POST_POLICY_A_MULTISTREAMING] = "multistreaming",
	[POST_POLICY_A_MULTIPATH] = "multipath",
	[POST_POLICY_A_SECURITY] = "security",
	[POST_POLICY_A_PREFER_IF] = "prefer-dev",
	[POST_POLICY_A_PROHIBIT_IF] = "prohibit-dev",
	[POST_POLICY_A_LINGER_MS] = "linger",
	[POST_POLICY_A_REUSE] = "reuse",
	[POST_POLICY_A_RESUME] = "resume",
	[POST_POLICY_A_MPTCP] = "mptcp",
};

struct name_table {
	const char *nest;		/* NULL at the top level */
	const char * const *names;
	size_t n;
};

#define TABLE(nest, names) ((struct name_table){ nest, names, \
						 ARRAY_SIZE(names) })

/* The names inside the nest of the request @sent at byte @offset. */
static struct name_table nest_names(const struct nlmsghdr *sent,
				    __u32 offset)
{
	const struct nlattr *attr, *inner;
	const char *base = (const char *)sent;

	mnl_attr_for_each(attr, sent, GENL_HDRLEN) {
		if ((const char *)attr - base == offset) {
			switch (mnl_attr_get_type(attr)) {
			case POST_A_LOCAL:
				return TABLE("local", addr_names);
			case POST_A_REMOTE:
				return TABLE("remote", addr_names);
			case POST_A_PATH:
				return TABLE("path", path_names);
			case POST_A_POLICY:
				return TABLE("policy", policy_names);
			}
			break;
		}
		if (mnl_attr_get_type(attr) != POST_A_PATH)
			continue;
		mnl_attr_for_each_nested(inner, attr) {
			if ((const char *)inner - base != offset)
				continue;
			if (mnl_attr_get_type(inner) == POST_PATH_A_LOCAL)
				return TABLE("path local", addr_names);
			if (mnl_attr_get_type(inner) == POST_PATH_A_REMOTE)
				return TABLE("path remote", addr_names);
		}
	}
	return (struct name_table){ "an unknown nest", NULL, 0 };
}

static int report_error(const struct post_req *req)
{
	struct name_table t = TABLE(NULL, top_names);
	char buf[16];

	if (req->local && req->msg[0]) {
		fprintf(stderr, "postctl: netlink: %s\n", req->msg);
	} else if (req->local) {
		fprintf(stderr, "postctl: netlink: %s\n", strerror(req->error));
	} else if (req->msg[0]) {
		fprintf(stderr, "Error: %s\n", req->msg);
	} else if (req->have_miss) {
		if (req->have_miss_nest && req->sent)
			t = nest_names(req->sent, req->miss_nest);
		fprintf(stderr, "Error: %s (missing attribute '%s'%s%s)\n",
			strerror(req->error),
			name_of(t.names, t.n, req->miss_type, buf, sizeof(buf)),
			t.nest ? " in " : "", t.nest ? t.nest : "");
	} else {
		fprintf(stderr, "Error: %s\n", strerror(req->error));
	}
	return EXIT_KERNEL;
}

static void family_groups(struct post_nl *nl, const struct nlattr *groups)
{
	const struct nlattr *grp, *attr, *name, *id;

	mnl_attr_for_each_nested(grp, groups) {
		if (mnl_attr_validate(grp, MNL_TYPE_NESTED) < 0)
			continue;
		name = NULL;
		id = NULL;
		mnl_attr_for_each_nested(attr, grp) {
			switch (mnl_attr_get_type(attr)) {
			case CTRL_ATTR_MCAST_GRP_NAME:
				if (!mnl_attr_validate(attr,
						       MNL_TYPE_NUL_STRING))
					name = attr;
				break;
			case CTRL_ATTR_MCAST_GRP_ID:
				if (!mnl_attr_validate(attr, MNL_TYPE_U32))
					id = attr;
				break;
			}
		}
		if (name && id &&
		    !strcmp(mnl_attr_get_str(name), POST_MCGRP_MONITOR))
			nl->monitor_group = mnl_attr_get_u32(id);
	}
}

static int family_cb(const struct nlmsghdr *nlh, struct post_req *req)
{
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, GENL_HDRLEN) {
		switch (mnl_attr_get_type(attr)) {
		case CTRL_ATTR_FAMILY_ID:
			if (!mnl_attr_validate(attr, MNL_TYPE_U16))
				req->nl->family = mnl_attr_get_u16(attr);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			if (!mnl_attr_validate(attr, MNL_TYPE_NESTED))
				family_groups(req->nl, attr);
			break;
		}
	}
	return MNL_CB_OK;
}

static int resolve_family(struct post_nl *nl)
{
	struct post_req req = { .type = GENL_ID_CTRL, .cb = family_cb };
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	nlh = mnl_nlmsg_put_header(ctrlbuf.data);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = CTRL_CMD_GETFAMILY;
	genl->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, POST_FAMILY_NAME);

	if (nl_exchange(nl, nlh, &req) < 0 &&
	    (req.local || req.error != ENOENT))
		return report_error(&req);
	if (!nl->family) {
		fprintf(stderr, "postctl: generic netlink family \"%s\" %s\n",
			POST_FAMILY_NAME,
			"not found (is the post module loaded?)");
		return EXIT_KERNEL;
	}
	return 0;
}

/* Opens the socket and resolves the family; returns 0 or an exit code. */
static int post_open(struct post_nl *nl)
{
	int one = 1, ret = EXIT_KERNEL;

	memset(nl, 0, sizeof(*nl));
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock) {
		fprintf(stderr, "postctl: cannot open a generic netlink socket: %s\n",
			strerror(errno));
		return EXIT_KERNEL;
	}
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "postctl: cannot bind the netlink socket: %s\n",
			strerror(errno));
		goto err;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = time(NULL);
	/* extended acks carry the kernel's messages (old kernels: none) */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	ret = resolve_family(nl);
	if (ret)
		goto err;
	return 0;

err:
	mnl_socket_close(nl->sock);
	nl->sock = NULL;
	return ret;
}

static void post_close(struct post_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

/* A request of the family; its nlmsg_type is set once the id is known. */
static struct nlmsghdr *post_msg(__u8 cmd, __u16 flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(reqbuf.data);
	struct genlmsghdr *genl;

	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = POST_FAMILY_VERSION;
	return nlh;
}

/* Opens the socket, sends @nlh, prints the replies; returns an exit code. */
static int post_run(struct nlmsghdr *nlh, struct post_req *req)
{
	struct post_nl nl;
	int ret;

	ret = post_open(&nl);
	if (ret)
		return ret;
	if (req->list)
		out_begin();
	nlh->nlmsg_type = nl.family;
	req->type = nl.family;
	if (nl_exchange(&nl, nlh, req) < 0)
		ret = report_error(req);
	post_close(&nl);
	out_end();
	return ret;
}

/* ---- reply callbacks of the show commands */

static int assoc_cb(const struct nlmsghdr *nlh, struct post_req *req)
{
	const struct nlattr *tb[POST_A_MAX + 1] = {};

	(void)req;
	parse_msg(nlh, tb);
	out_begin();
	open_obj(NULL);
	print_assoc("assoc", nlh, tb);
	print_text("\n");
	print_assoc_details(nlh, tb);
	close_obj();
	return MNL_CB_OK;
}

static int path_cb(const struct nlmsghdr *nlh, struct post_req *req)
{
	const struct nlattr *tb[POST_A_MAX + 1] = {};
	const struct nlattr *tb_path[POST_PATH_A_MAX + 1];
	const struct nlattr *attr;

	parse_msg(nlh, tb);
	mnl_attr_for_each(attr, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(attr) != POST_A_PATH ||
		    !attr_valid(attr, top_spec, POST_A_MAX))
			continue;
		if (req->have_filter) {
			memset(tb_path, 0, sizeof(tb_path));
			parse_nest(attr, path_spec, POST_PATH_A_MAX, tb_path);
			if (!tb_path[POST_PATH_A_ID] ||
			    mnl_attr_get_u32(tb_path[POST_PATH_A_ID]) !=
			    req->filter)
				continue;
		}
		out_begin();
		open_obj(NULL);
		print_path("path", attr, tb[POST_A_ASSOC_ID]);
		print_text("\n");
		close_obj();
	}
	return MNL_CB_OK;
}

static int carrier_cb(const struct nlmsghdr *nlh, struct post_req *req)
{
	const struct nlattr *tb[POST_A_MAX + 1] = {};
	const struct nlattr *ctb[POST_CARRIER_A_MAX + 1] = {};

	parse_msg(nlh, tb);
	if (!tb[POST_A_CARRIER])
		return MNL_CB_OK;
	parse_nest(tb[POST_A_CARRIER], carrier_spec, POST_CARRIER_A_MAX, ctb);
	if (req->have_filter && (!ctb[POST_CARRIER_A_ID] ||
				 mnl_attr_get_u32(ctb[POST_CARRIER_A_ID]) !=
				 req->filter))
		return MNL_CB_OK;
	out_begin();
	open_obj(NULL);
	print_carrier("carrier", tb, ctb);
	print_text("\n");
	print_carrier_details(tb[POST_A_CARRIER]);
	close_obj();
	return MNL_CB_OK;
}

static int policy_cb(const struct nlmsghdr *nlh, struct post_req *req)
{
	const struct nlattr *tb[POST_A_MAX + 1] = {};

	(void)req;
	parse_msg(nlh, tb);
	out_begin();
	open_obj(NULL);
	print_policy("policy", tb[POST_A_POLICY]);
	print_text("\n");
	close_obj();
	return MNL_CB_OK;
}

/* ---- command line */

static const char usage_text[] =
	"Usage: postctl [OPTIONS] OBJECT [COMMAND [ARGUMENTS]]\n"
	"\n"
	"Options:\n"
	"  -j, --json         JSON output\n"
	"  -p, --pretty       indented JSON output (implies -j)\n"
	"  -n, --netns NETNS  act in the network namespace NETNS\n"
	"                     (/var/run/netns/NETNS, or a path with a /)\n"
	"  -h, --help         print this help and exit\n"
	"  -V, --version      print the version and exit\n"
	"\n"
	"Commands:\n"
	"  postctl assoc show [id ID]\n"
	"  postctl assoc add remote ADDR [remote ADDR]... port PORT\n"
	"                    [local ADDR [lport PORT]] [linger MS]\n"
	"  postctl assoc del id ID\n"
	"  postctl path show [assoc ID] [id PATHID]\n"
	"  postctl path add assoc ID remote ADDR [port PORT]\n"
	"                   [local ADDR] [dev IFNAME]\n"
	"                   [backup | nobackup] [up | down]\n"
	"  postctl path del assoc ID id PATHID\n"
	"  postctl path set assoc ID id PATHID\n"
	"                   [backup | nobackup] [up | down]\n"
	"  postctl policy show\n"
	"  postctl policy set [reliability PREF] [boundaries PREF]\n"
	"                     [multistreaming PREF] [multipath PREF]\n"
	"                     [security PREF] [resume PREF] [mptcp PREF]\n"
	"                     [prefer-dev IFNAME]...\n"
	"                     [prohibit-dev IFNAME]... [linger MS]\n"
	"                     [reuse on | off]\n"
	"  postctl carrier show [assoc ID] [id CARRIERID]\n"
	"  postctl monitor [assoc | path | carrier | policy | all]...\n"
	"\n"
	"  ADDR   := an IPv4 or IPv6 address\n"
	"  PREF   := require | prefer | none | avoid | prohibit\n"
	"  IFNAME := an interface name; \"prefer-dev none\" and\n"
	"            \"prohibit-dev none\" clear the list\n"
	"\n"
	"show may be written list or ls, del delete; an object alone\n"
	"is shown.  Numbers are decimal.  See postctl(8).\n";

static void print_help(void)
{
	fputs(usage_text, stdout);
}

static __printf(1, 2) __noreturn void usage_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("postctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

static bool is(const char *arg, const char *word)
{
	return !strcmp(arg, word);
}

/* The argument of keyword *argv[0]; moves past the keyword. */
static const char *next_arg(int *argc, char ***argv)
{
	const char *kw = (*argv)[0];

	if (*argc < 2)
		usage_error("missing argument after '%s'", kw);
	(*argc)--;
	(*argv)++;
	return (*argv)[0];
}

static void once(bool *seen, const char *kw)
{
	if (*seen)
		usage_error("'%s' given twice", kw);
	*seen = true;
}

/* For either-or keywords (backup/nobackup, up/down): @prev the one given. */
static void once_of(const char **prev, const char *kw)
{
	if (*prev && is(*prev, kw))
		usage_error("'%s' given twice", kw);
	if (*prev)
		usage_error("'%s' conflicts with '%s'", kw, *prev);
	*prev = kw;
}

static bool str_to_u32(const char *s, __u32 *v)
{
	unsigned long long x;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end || x > UINT32_MAX)
		return false;
	*v = x;
	return true;
}

static __u32 parse_u32(const char *what, const char *s, __u32 min, __u32 max)
{
	__u32 v;

	if (!str_to_u32(s, &v) || v < min || v > max)
		usage_error("invalid %s '%s'", what, s);
	return v;
}

static __u32 parse_assoc_id(const char *s)
{
	return parse_u32("association id", s, 1, UINT32_MAX);
}

struct cli_addr {
	bool set;
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

static void parse_ip(const char *s, struct cli_addr *a)
{
	if (inet_pton(AF_INET, s, &a->v4) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, s, &a->v6) == 1)
		a->family = AF_INET6;
	else
		usage_error("invalid address '%s'", s);
	a->set = true;
}

static int parse_dev(const char *s)
{
	unsigned int ifindex = if_nametoindex(s);

	if (!ifindex || ifindex > INT32_MAX)
		usage_error("cannot find device '%s'", s);
	return (int)ifindex;
}

static __u8 parse_pref(const char *s)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(prefs); i++)
		if (is(s, prefs[i]))
			return i;
	usage_error("invalid preference '%s' (%s)", s,
		    "require, prefer, none, avoid or prohibit");
}

/* An address nest: family and address if set, port if @port >= 0. */
static void put_addr(struct nlmsghdr *nlh, __u16 type,
		     const struct cli_addr *a, int port, int ifindex)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);

	if (a->set) {
		mnl_attr_put_u16(nlh, POST_ADDR_A_FAMILY, a->family);
		if (a->family == AF_INET)
			mnl_attr_put(nlh, POST_ADDR_A_ADDR4, sizeof(a->v4),
				     &a->v4);
		else
			mnl_attr_put(nlh, POST_ADDR_A_ADDR6, sizeof(a->v6),
				     &a->v6);
	}
	if (port >= 0)
		mnl_attr_put_u16(nlh, POST_ADDR_A_PORT, port);
	if (ifindex)
		mnl_attr_put_u32(nlh, POST_ADDR_A_IFINDEX, ifindex);
	mnl_attr_nest_end(nlh, nest);
}

static bool is_show(const char *cmd)
{
	return is(cmd, "show") || is(cmd, "list") || is(cmd, "ls");
}

static bool is_del(const char *cmd)
{
	return is(cmd, "del") || is(cmd, "delete");
}

/* ---- assoc */

static int assoc_show(int argc, char **argv)
{
	struct post_req req = { .cb = assoc_cb, .list = true };
	struct nlmsghdr *nlh;
	bool have_id = false;
	__u32 id = 0;

	while (argc > 0) {
		if (is(*argv, "id")) {
			once(&have_id, *argv);
			id = parse_assoc_id(next_arg(&argc, &argv));
		} else {
			usage_error("unknown argument '%s'", *argv);
		}
		argc--;
		argv++;
	}
	nlh = post_msg(POST_CMD_ASSOC_GET, have_id ? NLM_F_ACK : NLM_F_DUMP);
	if (have_id)
		mnl_attr_put_u32(nlh, POST_A_ASSOC_ID, id);
	return post_run(nlh, &req);
}

static int assoc_add(int argc, char **argv)
{
	struct post_req req = { .cb = assoc_cb, .list = true };
	bool have_port = false, have_local = false;
	bool have_lport = false, have_linger = false;
	struct cli_addr remote[POST_MAX_CANDIDATES] = {}, local = {};
	__u32 port = 0, lport = 0, linger = 0;
	unsigned int i, n_remote = 0;
	struct nlmsghdr *nlh;

	while (argc > 0) {
		if (is(*argv, "remote")) {
			/* repeated: remote candidates, the first one first */
			if (n_remote == POST_MAX_CANDIDATES)
				usage_error("at most %d 'remote' candidates",
					    POST_MAX_CANDIDATES);
			parse_ip(next_arg(&argc, &argv), &remote[n_remote++]);
		} else if (is(*argv, "port")) {
			once(&have_port, *argv);
			port = parse_u32("port", next_arg(&argc, &argv), 1,
					 65535);
		} else if (is(*argv, "local")) {
			once(&have_local, *argv);
			parse_ip(next_arg(&argc, &argv), &local);
		} else if (is(*argv, "lport")) {
			once(&have_lport, *argv);
			lport = parse_u32("port", next_arg(&argc, &argv), 0,
					  65535);
		} else if (is(*argv, "linger")) {
			once(&have_linger, *argv);
			linger = parse_u32("linger", next_arg(&argc, &argv), 0,
					   MAX_LINGER_MS);
		} else {
			usage_error("unknown argument '%s'", *argv);
		}
		argc--;
		argv++;
	}
	if (!n_remote)
		usage_error("assoc add: missing 'remote ADDR'");
	if (!have_port)
		usage_error("assoc add: missing 'port PORT'");
	if (have_lport && !have_local)
		usage_error("'lport' needs 'local ADDR'");

	nlh = post_msg(POST_CMD_ASSOC_NEW, NLM_F_ACK);
	for (i = 0; i < n_remote; i++)
		put_addr(nlh, POST_A_REMOTE, &remote[i], port, 0);
	if (have_local)
		put_addr(nlh, POST_A_LOCAL, &local,
			 have_lport ? (int)lport : -1, 0);
	if (have_linger)
		mnl_attr_put_u32(nlh, POST_A_LINGER_MS, linger);
	return post_run(nlh, &req);
}

static int assoc_del(int argc, char **argv)
{
	struct post_req req = { .cb = assoc_cb };
	struct nlmsghdr *nlh;
	bool have_id = false;
	__u32 id = 0;

	while (argc > 0) {
		if (is(*argv, "id")) {
			once(&have_id, *argv);
			id = parse_assoc_id(next_arg(&argc, &argv));
		} else {
			usage_error("unknown argument '%s'", *argv);
		}
		argc--;
		argv++;
	}
	if (!have_id)
		usage_error("assoc del: missing 'id ID'");
	nlh = post_msg(POST_CMD_ASSOC_DEL, NLM_F_ACK);
	mnl_attr_put_u32(nlh, POST_A_ASSOC_ID, id);
	return post_run(nlh, &req);
}

/* ---- path */

static int path_show(int argc, char **argv)
{
	struct post_req req = { .cb = path_cb, .list = true };
	bool have_assoc = false;
	const char *val;
	struct nlmsghdr *nlh;
	__u32 assoc = 0;

	while (argc > 0) {
		if (is(*argv, "assoc")) {
			once(&have_assoc, *argv);
			assoc = parse_assoc_id(next_arg(&argc, &argv));
		} else if (is(*argv, "id")) {
			once(&req.have_filter, *argv);
			val = next_arg(&argc, &argv);
			req.filter = parse_u32("path id", val, 1, UINT32_MAX);
		} else {
			usage_error("unknown argument '%s'", *argv);
		}
		argc--;
		argv++;
	}
	nlh = post_msg(POST_CMD_PATH_GET, NLM_F_DUMP);
	if (have_assoc)
		mnl_attr_put_u32(nlh, POST_A_ASSOC_ID, assoc);
	return post_run(nlh, &req);
}

static int port_cb(const struct nlmsghdr *nlh, struct post_req *req)
{
	const struct nlattr *atb[POST_ADDR_A_MAX + 1] = {};
	const struct nlattr *tb[POST_A_MAX + 1] = {};
	__u32 *port = req->priv;

	parse_msg(nlh, tb);
	if (!tb[POST_A_REMOTE])
		return MNL_CB_OK;
	parse_nest(tb[POST_A_REMOTE], addr_spec, POST_ADDR_A_MAX, atb);
	if (atb[POST_ADDR_A_PORT])
		*port = mnl_attr_get_u16(atb[POST_ADDR_A_PORT]);
	return MNL_CB_OK;
}

/* The remote port of association @assoc (0 if it has none). */
static int assoc_port(__u32 assoc, __u32 *port)
{
	struct post_req req = { .cb = port_cb, .priv = port };
	struct nlmsghdr *nlh;

	*port = 0;
	nlh = post_msg(POST_CMD_ASSOC_GET, NLM_F_ACK);
	mnl_attr_put_u32(nlh, POST_A_ASSOC_ID, assoc);
	return post_run(nlh, &req);
}

static int path_add(int argc, char **argv)
{
	bool have_assoc = false, have_remote = false, have_port = false;
	bool have_local = false, have_dev = false;
	const char *backup = NULL, *admin = NULL;
	struct post_req req = { .cb = path_cb };
	struct cli_addr remote = {}, local = {};
	__u32 assoc = 0, port = 0;
	struct nlattr *nest;
	struct nlmsghdr *nlh;
	int ifindex = 0, ret;

	while (argc > 0) {
		if (is(*argv, "assoc")) {
			once(&have_assoc, *argv);
			assoc = parse_assoc_id(next_arg(&argc, &argv));
		} else if (is(*argv, "remote")) {
			once(&have_remote, *argv);
			parse_ip(next_arg(&argc, &argv), &remote);
		} else if (is(*argv, "port")) {
			once(&have_port, *argv);
			port = parse_u32("port", next_arg(&argc, &argv), 1,
					 65535);
		} else if (is(*argv, "local")) {
			once(&have_local, *argv);
			parse_ip(next_arg(&argc, &argv), &local);
		} else if (is(*argv, "dev")) {
			once(&have_dev, *argv);
			ifindex = parse_dev(next_arg(&argc, &argv));
		} else if (is(*argv, "backup") || is(*argv, "nobackup")) {
			once_of(&backup, *argv);
		} else if (is(*argv, "up") || is(*argv, "down")) {
			once_of(&admin, *argv);
		} else {
			usage_error("unknown argument '%s'", *argv);
		}
		argc--;
		argv++;
	}
	if (!have_assoc)
		usage_error("path add: missing 'assoc ID'");
	if (!have_remote)
		usage_error("path add: missing 'remote ADDR'");
	/* the kernel needs a remote port: default to the association's */
	if (!have_port) {
		ret = assoc_port(assoc, &port);
		if (ret)
			return ret;
	}

	nlh = post_msg(POST_CMD_PATH_ADD, NLM_F_ACK);
	mnl_attr_put_u32(nlh, POST_A_ASSOC_ID, assoc);
	nest = mnl_attr_nest_start(nlh, POST_A_PATH);
	put_addr(nlh, POST_PATH_A_REMOTE, &remote, port ? (int)port : -1, 0);
	if (have_local || have_dev)
		put_addr(nlh, POST_PATH_A_LOCAL, &local, -1, ifindex);
	if (backup)
		mnl_attr_put_u8(nlh, POST_PATH_A_BACKUP, is(backup, "backup"));
	if (admin)
		mnl_attr_put_u8(nlh, POST_PATH_A_ADMIN_UP, is(admin, "up"));
	mnl_attr_nest_end(nlh, nest);
	return post_run(nlh, &req);
}

/* path del and path set: "assoc ID id PATHID" and, for set, the changes. */
static int path_change(int argc, char **argv, bool set)
{
	bool have_assoc = false, have_id = false;
	const char *backup = NULL, *admin = NULL;
	struct post_req req = { .cb = path_cb };
	const char *cmd = set ? "set" : "del";
	__u32 assoc = 0, id = 0;
	struct nlattr *nest;
	struct nlmsghdr *nlh;

	while (argc > 0) {
		if (is(*argv, "assoc")) {
			once(&have_assoc, *argv);
			assoc = parse_assoc_id(next_arg(&argc, &argv));
		} else if (is(*argv, "id")) {
			once(&have_id, *argv);
			id = parse_u32("path id", next_arg(&argc, &argv), 1,
				       UINT32_MAX);
		} else if (set && (is(*argv, "backup") ||
				   is(*argv, "nobackup"))) {
			once_of(&backup, *argv);
		} else if (set && (is(*argv, "up") || is(*argv, "down"))) {
			once_of(&admin, *argv);
		} else {
			usage_error("unknown argument '%s'", *argv);
		}
		argc--;
		argv++;
	}
	if (!have_assoc)
		usage_error("path %s: missing 'assoc ID'", cmd);
	if (!have_id)
		usage_error("path %s: missing 'id PATHID'", cmd);
	if (set && !backup && !admin)
		usage_error("path set: nothing to change (backup, nobackup, up or down)");

	nlh = post_msg(set ? POST_CMD_PATH_SET : POST_CMD_PATH_DEL,
		       NLM_F_ACK);
	mnl_attr_put_u32(nlh, POST_A_ASSOC_ID, assoc);
	nest = mnl_attr_nest_start(nlh, POST_A_PATH);
	mnl_attr_put_u32(nlh, POST_PATH_A_ID, id);
	if (backup)
		mnl_attr_put_u8(nlh, POST_PATH_A_BACKUP, is(backup, "backup"));
	if (admin)
		mnl_attr_put_u8(nlh, POST_PATH_A_ADMIN_UP, is(admin, "up"));
	mnl_attr_nest_end(nlh, nest);
	return post_run(nlh, &req);
}

static int path_del(int argc, char **argv)
{
	return path_change(argc, argv, false);
}

static int path_set(int argc, char **argv)
{
	return path_change(argc, argv, true);
}

/* ---- policy */

static int policy_show(int argc, char **argv)
{
	struct post_req req = { .cb = policy_cb, .list = true };
	struct nlmsghdr *nlh;

	if (argc > 0)
		usage_error("unknown argument '%s'", argv[0]);
	nlh = post_msg(POST_CMD_POLICY_GET, NLM_F_ACK);
	return post_run(nlh, &req);
}

/* An interface list of a policy: names, or "none" alone to clear it. */
struct cli_ifs {
	bool set;
	bool clear;
	unsigned int n;
	int ifindex[POST_POLICY_MAX_IFS];
};

static void parse_ifs(const char *kw, const char *s, struct cli_ifs *ifs)
{
	ifs->set = true;
	if (is(s, "none")) {
		if (ifs->n)
			usage_error("'%s none' cannot be combined with devices",
				    kw);
		ifs->clear = true;
		return;
	}
	if (ifs->clear)
		usage_error("'%s none' cannot be combined with devices", kw);
	if (ifs->n == POST_POLICY_MAX_IFS)
		usage_error("too many '%s' (at most %d)", kw,
			    POST_POLICY_MAX_IFS);
	ifs->ifindex[ifs->n++] = parse_dev(s);
}

static void put_ifs(struct nlmsghdr *nlh, __u16 type,
		    const struct cli_ifs *ifs)
{
	unsigned int i;

	if (!ifs->set)
		return;
	if (ifs->clear)
		mnl_attr_put_u32(nlh, type, 0);
	for (i = 0; i < ifs->n; i++)
		mnl_attr_put_u32(nlh, type, ifs->ifindex[i]);
}

static int policy_set(int argc, char **argv)
{
	static const struct {
		const char *kw;
		__u16 type;
	} props[] = {
		{ "reliability", POST_POLICY_A_RELIABILITY },
		{ "boundaries", POST_POLICY_A_MSG_BOUNDARIES },
		{ "multistreaming", POST_POLICY_A_MULTISTREAMING },
		{ "multipath", POST_POLICY_A_MULTIPATH },
		{ "security", POST_POLICY_A_SECURITY },
		{ "resume", POST_POLICY_A_RESUME },
		{ "mptcp", POST_POLICY_A_MPTCP },
	};
	bool have_prop[ARRAY_SIZE(props)] = {}, have_linger = false;
	bool have_reuse = false, reuse = false, any = false;
	struct post_req req = { .cb = policy_cb };
	struct cli_ifs prefer = {}, prohibit = {};
	__u8 pref[ARRAY_SIZE(props)] = {};
	struct nlattr *nest;
	struct nlmsghdr *nlh;
	__u32 linger = 0;
	const char *val;
	unsigned int i;

	while (argc > 0) {
		for (i = 0; i < ARRAY_SIZE(props); i++)
			if (is(*argv, props[i].kw))
				break;
		if (i < ARRAY_SIZE(props)) {
			once(&have_prop[i], *argv);
			pref[i] = parse_pref(next_arg(&argc, &argv));
		} else if (is(*argv, "prefer-dev")) {
			val = next_arg(&argc, &argv);
			parse_ifs("prefer-dev", val, &prefer);
		} else if (is(*argv, "prohibit-dev")) {
			val = next_arg(&argc, &argv);
			parse_ifs("prohibit-dev", val, &prohibit);
		} else if (is(*argv, "linger")) {
			once(&have_linger, *argv);
			linger = parse_u32("linger", next_arg(&argc, &argv), 0,
					   MAX_LINGER_MS);
		} else if (is(*argv, "reuse")) {
			once(&have_reuse, *argv);
			val = next_arg(&argc, &argv);
			if (!is(val, "on") && !is(val, "off"))
				usage_error("invalid value '%s' for 'reuse' (on or off)",
					    val);
			reuse = is(val, "on");
		} else {
			usage_error("unknown argument '%s'", *argv);
		}
		any = true;
		argc--;
		argv++;
	}
	if (!any)
		usage_error("policy set: nothing to change");

	nlh = post_msg(POST_CMD_POLICY_SET, NLM_F_ACK);
	nest = mnl_attr_nest_start(nlh, POST_A_POLICY);
	for (i = 0; i < ARRAY_SIZE(props); i++)
		if (have_prop[i])
			mnl_attr_put_u8(nlh, props[i].type, pref[i]);
	put_ifs(nlh, POST_POLICY_A_PREFER_IF, &prefer);
	put_ifs(nlh, POST_POLICY_A_PROHIBIT_IF, &prohibit);
	if (have_linger)
		mnl_attr_put_u32(nlh, POST_POLICY_A_LINGER_MS, linger);
	if (have_reuse)
		mnl_attr_put_u8(nlh, POST_POLICY_A_REUSE, reuse);
	mnl_attr_nest_end(nlh, nest);
	return post_run(nlh, &req);
}

/* ---- carrier */

static int carrier_show(int argc, char **argv)
{
	struct post_req req = { .cb = carrier_cb, .list = true };
	bool have_assoc = false;
	struct nlmsghdr *nlh;
	__u32 assoc = 0;

	while (argc > 0) {
		if (is(*argv, "assoc")) {
			once(&have_assoc, *argv);
			assoc = parse_assoc_id(next_arg(&argc, &argv));
		} else if (is(*argv, "id")) {
			once(&req.have_filter, *argv);
			req.filter = parse_u32("carrier id",
					       next_arg(&argc, &argv), 1,
					       UINT32_MAX);
		} else {
			usage_error("unknown argument '%s'", *argv);
		}
		argc--;
		argv++;
	}
	nlh = post_msg(POST_CMD_CARRIER_GET, NLM_F_DUMP);
	if (have_assoc)
		mnl_attr_put_u32(nlh, POST_A_ASSOC_ID, assoc);
	return post_run(nlh, &req);
}

/* ---- monitor */

enum { MON_ASSOC = 1, MON_PATH = 2, MON_CARRIER = 4, MON_POLICY = 8 };

static const struct {
	const char *object;
	const char *tag;
	const char *event;
	unsigned int kind;
} events[] = {
	[POST_CMD_ASSOC_CREATED] = { "assoc", "ASSOC", "created", MON_ASSOC },
	[POST_CMD_ASSOC_ACTIVE] = { "assoc", "ASSOC", "active", MON_ASSOC },
	[POST_CMD_ASSOC_DORMANT] = { "assoc", "ASSOC", "dormant", MON_ASSOC },
	[POST_CMD_ASSOC_CLOSED] = { "assoc", "ASSOC", "closed", MON_ASSOC },
	[POST_CMD_PATH_UP] = { "path", "PATH", "up", MON_PATH },
	[POST_CMD_PATH_DOWN] = { "path", "PATH", "down", MON_PATH },
	[POST_CMD_PATH_CHANGED] = { "path", "PATH", "changed", MON_PATH },
	[POST_CMD_CARRIER_CREATED] = { "carrier", "CARRIER", "created",
				       MON_CARRIER },
	[POST_CMD_CARRIER_CLOSED] = { "carrier", "CARRIER", "closed",
				      MON_CARRIER },
	[POST_CMD_POLICY_CHANGED] = { "policy", "POLICY", "changed",
				      MON_POLICY },
};

/* One event: one line of text, or one JSON object (with everything). */
static int event_cb(const struct nlmsghdr *nlh, struct post_req *req)
{
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *ctb[POST_CARRIER_A_MAX + 1] = {};
	const struct nlattr *tb[POST_A_MAX + 1] = {};
	const struct nlattr *attr;
	unsigned int cmd = genl->cmd;
	char lead[32];

	if (cmd >= ARRAY_SIZE(events) || !events[cmd].object) {
		/* events newer than this tool: only when not filtering */
		if (req->filter != ~0U)
			return MNL_CB_OK;
		open_obj(NULL);
		print_str("object", NULL, "unknown");
		print_uint("cmd", "[UNKNOWN] cmd %llu", cmd);
		goto out;
	}
	if (!(events[cmd].kind & req->filter))
		return MNL_CB_OK;

	parse_msg(nlh, tb);
	snprintf(lead, sizeof(lead), "[%s] %s id", events[cmd].tag,
		 events[cmd].event);
	open_obj(NULL);
	print_str("object", NULL, events[cmd].object);
	print_str("event", NULL, events[cmd].event);
	switch (events[cmd].kind) {
	case MON_ASSOC:
		print_assoc(lead, nlh, tb);
		if (json)
			print_assoc_details(nlh, tb);
		break;
	case MON_PATH:
		attr = tb[POST_A_PATH];
		if (attr) {
			print_path(lead, attr, tb[POST_A_ASSOC_ID]);
		} else {
			print_text("[%s] %s", events[cmd].tag,
				   events[cmd].event);
			attr = tb[POST_A_ASSOC_ID];
			if (attr)
				print_uint("assoc_id", " assoc %llu",
					   mnl_attr_get_u32(attr));
		}
		break;
	case MON_CARRIER:
		if (tb[POST_A_CARRIER])
			parse_nest(tb[POST_A_CARRIER], carrier_spec,
				   POST_CARRIER_A_MAX, ctb);
		print_carrier(lead, tb, ctb);
		if (json && tb[POST_A_CARRIER])
			print_carrier_details(tb[POST_A_CARRIER]);
		break;
	case MON_POLICY:
		snprintf(lead, sizeof(lead), "[%s] %s", events[cmd].tag,
			 events[cmd].event);
		if (json && tb[POST_A_POLICY])
			open_obj("policy");
		print_policy(lead, tb[POST_A_POLICY]);
		if (json && tb[POST_A_POLICY])
			close_obj();
		break;
	}
	print_reason(tb[POST_A_REASON]);
out:
	close_obj();
	putchar('\n');
	fflush(stdout);
	return MNL_CB_OK;
}

static int cmd_monitor(int argc, char **argv)
{
	struct post_req req = { .cb = event_cb };
	struct pollfd pfd[2] = {};
	struct post_nl nl;
	sigset_t sigs;
	int ret, sfd;
	ssize_t n;

	while (argc > 0) {
		if (is(*argv, "help")) {
			print_help();
			return 0;
		}
		if (is(*argv, "assoc"))
			req.filter |= MON_ASSOC;
		else if (is(*argv, "path"))
			req.filter |= MON_PATH;
		else if (is(*argv, "carrier"))
			req.filter |= MON_CARRIER;
		else if (is(*argv, "policy"))
			req.filter |= MON_POLICY;
		else if (is(*argv, "all"))
			req.filter = ~0U;
		else
			usage_error("unknown argument '%s'", *argv);
		argc--;
		argv++;
	}
	if (!req.filter)
		req.filter = ~0U;

	ret = post_open(&nl);
	if (ret)
		return ret;
	ret = EXIT_KERNEL;
	if (!nl.monitor_group) {
		fprintf(stderr, "postctl: family \"%s\" has no group \"%s\"\n",
			POST_FAMILY_NAME, POST_MCGRP_MONITOR);
		goto out;
	}
	if (mnl_socket_setsockopt(nl.sock, NETLINK_ADD_MEMBERSHIP,
				  &nl.monitor_group,
				  sizeof(nl.monitor_group)) < 0) {
		fprintf(stderr, "Error: %s\n", strerror(errno));
		goto out;
	}

	/* SIGINT and SIGTERM end the monitor, with status 0 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0) {
		fprintf(stderr, "postctl: signalfd: %s\n", strerror(errno));
		goto out;
	}
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	pfd[0].fd = mnl_socket_get_fd(nl.sock);
	pfd[0].events = POLLIN;
	pfd[1].fd = sfd;
	pfd[1].events = POLLIN;
	req.type = nl.family;
	req.nl = &nl;

	for (;;) {
		if (poll(pfd, ARRAY_SIZE(pfd), -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "postctl: poll: %s\n", strerror(errno));
			goto out_sfd;
		}
		if (pfd[1].revents)
			break;
		if (!pfd[0].revents)
			continue;
		n = mnl_socket_recvfrom(nl.sock, rxbuf.data, sizeof(rxbuf));
		if (n < 0 && (errno == ENOBUFS || errno == ENOSPC)) {
			fflush(stdout);
			fprintf(stderr, "postctl: events were lost (%s)\n",
				errno == ENOBUFS ? "receive buffer overrun" :
				"an event too large");
			continue;
		}
		if (n < 0) {
			fprintf(stderr, "postctl: netlink: %s\n",
				strerror(errno));
			goto out_sfd;
		}
		mnl_cb_run2(rxbuf.data, n, 0, 0, data_cb, &req, ctl_cbs,
			    ARRAY_SIZE(ctl_cbs));
	}
	ret = 0;
out_sfd:
	close(sfd);
out:
	post_close(&nl);
	return ret;
}

/* ---- main */

static const struct {
	const char *object;
	const char *cmd;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "assoc", "show", assoc_show },
	{ "assoc", "add", assoc_add },
	{ "assoc", "del", assoc_del },
	{ "path", "show", path_show },
	{ "path", "add", path_add },
	{ "path", "del", path_del },
	{ "path", "set", path_set },
	{ "policy", "show", policy_show },
	{ "policy", "set", policy_set },
	{ "carrier", "show", carrier_show },
};

static int dispatch(int argc, char **argv)
{
	const char *object = argv[0], *cmd = "show";
	bool known = false;
	unsigned int i;

	if (is(object, "help")) {
		print_help();
		return 0;
	}
	if (is(object, "monitor"))
		return cmd_monitor(argc - 1, argv + 1);
	argc--;
	argv++;
	if (argc > 0) {
		cmd = argv[0];
		argc--;
		argv++;
		if (is_show(cmd))
			cmd = "show";
		else if (is_del(cmd))
			cmd = "del";
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		if (!is(object, commands[i].object))
			continue;
		known = true;
		if (is(cmd, commands[i].cmd))
			return commands[i].fn(argc, argv);
	}
	if (!known)
		usage_error("unknown object '%s'", object);
	if (is(cmd, "help")) {
		print_help();
		return 0;
	}
	usage_error("unknown command '%s' for '%s'", cmd, object);
}

static int netns_switch(const char *name)
{
	char path[PATH_MAX];
	int fd, ret = EXIT_KERNEL;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "postctl: cannot open network namespace \"%s\": %s\n",
			name, strerror(errno));
		return EXIT_KERNEL;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "postctl: cannot enter network namespace \"%s\": %s\n",
			name, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	bool help = false, version = false;
	const char *netns = NULL;
	int ret;

	argc--;
	argv++;
	while (argc > 0 && argv[0][0] == '-') {
		const char *opt = argv[0];

		if (is(opt, "--")) {
			argc--;
			argv++;
			break;
		}
		if (is(opt, "-j") || is(opt, "--json")) {
			json = true;
		} else if (is(opt, "-p") || is(opt, "--pretty")) {
			json = true;
			pretty = true;
		} else if (is(opt, "-n") || is(opt, "--netns")) {
			netns = next_arg(&argc, &argv);
		} else if (is(opt, "-h") || is(opt, "--help")) {
			help = true;
		} else if (is(opt, "-V") || is(opt, "--version")) {
			version = true;
		} else {
			usage_error("unknown option '%s'", opt);
		}
		argc--;
		argv++;
	}
	if (help) {
		print_help();
		return 0;
	}
	if (version) {
		printf("postctl %s (generic netlink family \"%s\" version %d)\n",
		       POSTCTL_VERSION, POST_FAMILY_NAME, POST_FAMILY_VERSION);
		return 0;
	}
	if (argc < 1)
		usage_error("missing object (see 'postctl --help')");
	if (netns) {
		ret = netns_switch(netns);
		if (ret)
			return ret;
	}
	ret = dispatch(argc, argv);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "postctl: write error: %s\n", strerror(errno));
		return EXIT_KERNEL;
	}
	return ret;
}
