// SPDX-License-Identifier: GPL-2.0
/*
 * The "post" generic netlink family over raw netlink (libmnl): each
 * operation, the errno and extack message of each bad attribute,
 * privileges, namespace isolation, the monitor group, and associations
 * of real carriers between two namespaces (POST_INFO, reuse, dormant).
 */
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <sys/syscall.h>

#include "post_lib.h"
#include "kselftest_harness.h"

#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

struct nl {
	struct mnl_socket *sock;
	uint16_t family;
	uint32_t mcgrp;
	uint32_t seq;
	char buf[1 << 16];
	/* result of the last request */
	int err;
	char extack[256];
	/* attributes of the last reply (top level) */
	int n_replies;
	uint8_t cmd;
	uint32_t assoc_id;
	uint8_t assoc_state;
	uint32_t n_carriers;
	uint32_t linger;
	uint8_t reuse;
	int n_paths;
	uint32_t path_mtu;
};

static int ctrl_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl *nl = data;
	struct nlattr *a, *g, *ga;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
			nl->family = mnl_attr_get_u16(a);
		if (mnl_attr_get_type(a) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		mnl_attr_for_each_nested(g, a) {
			uint32_t id = 0;
			const char *name = "";

			mnl_attr_for_each_nested(ga, g) {
				if (mnl_attr_get_type(ga) == CTRL_ATTR_MCAST_GRP_ID)
					id = mnl_attr_get_u32(ga);
				if (mnl_attr_get_type(ga) == CTRL_ATTR_MCAST_GRP_NAME)
					name = mnl_attr_get_str(ga);
			}
			if (!strcmp(name, POST_MCGRP_MONITOR))
				nl->mcgrp = id;
		}
	}
	return MNL_CB_OK;
}

static int reply_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl *nl = data;
	struct nlattr *a, *p;

	nl->n_replies++;
	nl->cmd = ((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case POST_A_ASSOC_ID:
			nl->assoc_id = mnl_attr_get_u32(a);
			break;
		case POST_A_ASSOC_STATE:
			nl->assoc_state = mnl_attr_get_u8(a);
			break;
		case POST_A_N_CARRIERS:
			nl->n_carriers = mnl_attr_get_u32(a);
			break;
		case POST_A_LINGER_MS:
			nl->linger = mnl_attr_get_u32(a);
			break;
		case POST_A_PATH:
			nl->n_paths++;
			mnl_attr_for_each_nested(p, a)
				if (mnl_attr_get_type(p) == POST_PATH_A_MTU)
					nl->path_mtu = mnl_attr_get_u32(p);
			break;
		case POST_A_POLICY:
			mnl_attr_for_each_nested(p, a) {
				if (mnl_attr_get_type(p) == POST_POLICY_A_LINGER_MS)
					nl->linger = mnl_attr_get_u32(p);
				if (mnl_attr_get_type(p) == POST_POLICY_A_REUSE)
					nl->reuse = mnl_attr_get_u8(p);
			}
			break;
		}
	}
	return MNL_CB_OK;
}

static int err_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct nl *nl = data;
	unsigned int off = sizeof(*e);
	struct nlattr *a;

	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	nl->err = -e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return e->error ? MNL_CB_ERROR : MNL_CB_STOP;
	mnl_attr_for_each(a, nlh, off) {
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG)
			snprintf(nl->extack, sizeof(nl->extack), "%s",
				 mnl_attr_get_str(a));
	}
	return e->error ? MNL_CB_ERROR : MNL_CB_STOP;
}

static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl *nl = data;
	int err = *(int *)mnl_nlmsg_get_payload(nlh);

	nl->err = -err;
	return err ? MNL_CB_ERROR : MNL_CB_STOP;
}

/* with an array of its own, libmnl runs no default for the others */
static mnl_cb_t ctl_cbs[NLMSG_MIN_TYPE] = {
	[NLMSG_ERROR] = err_cb,
	[NLMSG_DONE] = done_cb,
};

static struct nlmsghdr *req(struct nl *nl, uint16_t type, uint8_t cmd,
			    uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = POST_FAMILY_VERSION;
	return nlh;
}

/* Send @nlh, collect replies; returns 0 or the errno. */
static int run(struct nl *nl, struct nlmsghdr *nlh)
{
	int r;

	nl->err = 0;
	nl->extack[0] = 0;
	nl->n_replies = 0;
	nl->n_paths = 0;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return errno;
	do {
		r = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (r <= 0)
			return errno;
		r = mnl_cb_run2(nl->buf, r, nlh->nlmsg_seq,
				mnl_socket_get_portid(nl->sock),
				nlh->nlmsg_type == GENL_ID_CTRL ? ctrl_cb :
								  reply_cb,
				nl, ctl_cbs, NLMSG_MIN_TYPE);
	} while (r > 0);
	return r < 0 ? (nl->err ? nl->err : errno) : 0;
}

static int nl_open(struct nl *nl)
{
	struct nlmsghdr *nlh;
	int one = 1;

	memset(nl, 0, sizeof(*nl));
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID))
		return -1;
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	nlh = req(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, POST_FAMILY_NAME);
	if (run(nl, nlh) || !nl->family)
		return -1;
	return 0;
}

static void put_addr4(struct nlmsghdr *nlh, int type, const char *ip,
		      uint16_t port)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, type);

	mnl_attr_put_u16(nlh, POST_ADDR_A_FAMILY, AF_INET);
	mnl_attr_put_u32(nlh, POST_ADDR_A_ADDR4, inet_addr(ip));
	if (port)
		mnl_attr_put_u16(nlh, POST_ADDR_A_PORT, port);
	mnl_attr_nest_end(nlh, n);
}

static int assoc_new(struct nl *nl, const char *ip, uint16_t port)
{
	struct nlmsghdr *nlh = req(nl, nl->family, POST_CMD_ASSOC_NEW, 0);

	put_addr4(nlh, POST_A_REMOTE, ip, port);
	return run(nl, nlh);
}

static int assoc_get(struct nl *nl, uint32_t id)
{
	struct nlmsghdr *nlh = req(nl, nl->family, POST_CMD_ASSOC_GET, 0);

	mnl_attr_put_u32(nlh, POST_A_ASSOC_ID, id);
	return run(nl, nlh);
}

static int assoc_del(struct nl *nl, uint32_t id)
{
	struct nlmsghdr *nlh = req(nl, nl->family, POST_CMD_ASSOC_DEL, 0);

	mnl_attr_put_u32(nlh, POST_A_ASSOC_ID, id);
	return run(nl, nlh);
}

static int dump(struct nl *nl, uint8_t cmd)
{
	return run(nl, req(nl, nl->family, cmd, NLM_F_DUMP));
}

static int set_policy_u32(struct nl *nl, int type, uint32_t v, int is_u8)
{
	struct nlmsghdr *nlh = req(nl, nl->family, POST_CMD_POLICY_SET, 0);
	struct nlattr *n = mnl_attr_nest_start(nlh, POST_A_POLICY);

	if (is_u8)
		mnl_attr_put_u8(nlh, type, v);
	else
		mnl_attr_put_u32(nlh, type, v);
	mnl_attr_nest_end(nlh, n);
	return run(nl, nlh);
}

FIXTURE(ns) {
	struct nspair p;
	struct nl nl;
};

FIXTURE_SETUP(ns)
{
	ASSERT_EQ(0, nspair_setup(&self->p));
	/* the family answers in the namespace the socket was made in */
	ASSERT_EQ(0, setns(self->p.fa, CLONE_NEWNET));
	ASSERT_EQ(0, nl_open(&self->nl));
	ASSERT_EQ(0, setns(self->p.fb, CLONE_NEWNET));
}

FIXTURE_TEARDOWN(ns)
{
	mnl_socket_close(self->nl.sock);
	nspair_teardown(&self->p);
}

TEST_F(ns, assoc_new_get_dump_del)
{
	struct nl *nl = &self->nl;
	struct nlmsghdr *nlh;
	uint32_t id;

	ASSERT_EQ(0, assoc_new(nl, "192.0.2.77", 4000));
	EXPECT_EQ(1, nl->n_replies);
	EXPECT_EQ(POST_CMD_ASSOC_NEW, nl->cmd);	/* the request's command */
	id = nl->assoc_id;
	ASSERT_NE(0U, id);
	EXPECT_EQ(POST_ASSOC_DORMANT, nl->assoc_state);
	EXPECT_EQ(0U, nl->n_carriers);

	nl->assoc_id = 0;
	ASSERT_EQ(0, assoc_get(nl, id));
	EXPECT_EQ(id, nl->assoc_id);

	ASSERT_EQ(0, assoc_new(nl, "192.0.2.78", 4001));
	ASSERT_EQ(0, dump(nl, POST_CMD_ASSOC_GET));
	EXPECT_EQ(2, nl->n_replies);

	/* with a linger time, an unused association expires */
	nlh = req(nl, nl->family, POST_CMD_ASSOC_NEW, 0);
	put_addr4(nlh, POST_A_REMOTE, "192.0.2.79", 4002);
	mnl_attr_put_u32(nlh, POST_A_LINGER_MS, 200);
	ASSERT_EQ(0, run(nl, nlh));
	EXPECT_EQ(200U, nl->linger);
	usleep(1000000);
	EXPECT_EQ(ENOENT, assoc_get(nl, nl->assoc_id));

	ASSERT_EQ(0, assoc_del(nl, id));
	EXPECT_EQ(ENOENT, assoc_get(nl, id));
	EXPECT_STREQ("no association with this id", nl->extack);
	EXPECT_EQ(ENOENT, assoc_del(nl, id));
	ASSERT_EQ(0, dump(nl, POST_CMD_ASSOC_GET));
	EXPECT_EQ(1, nl->n_replies);
}

TEST_F(ns, bad_attributes)
{
	struct nl *nl = &self->nl;
	struct nlmsghdr *nlh;
	struct nlattr *n;

	/* missing */
	EXPECT_EQ(EINVAL, run(nl, req(nl, nl->family, POST_CMD_ASSOC_NEW, 0)));
	EXPECT_STREQ("remote address missing", nl->extack);
	EXPECT_EQ(EINVAL, run(nl, req(nl, nl->family, POST_CMD_ASSOC_DEL, 0)));
	EXPECT_STREQ("association id missing", nl->extack);

	/* wrong type: a u8 where a u32 belongs */
	nlh = req(nl, nl->family, POST_CMD_ASSOC_GET, 0);
	mnl_attr_put_u8(nlh, POST_A_ASSOC_ID, 1);
	EXPECT_EQ(EINVAL, run(nl, nlh));
	EXPECT_NE(0, nl->extack[0]);

	/* out of range (ERANGE, as policy validation reports it) */
	nlh = req(nl, nl->family, POST_CMD_ASSOC_NEW, 0);
	n = mnl_attr_nest_start(nlh, POST_A_REMOTE);
	mnl_attr_put_u16(nlh, POST_ADDR_A_FAMILY, AF_UNIX);
	mnl_attr_nest_end(nlh, n);
	EXPECT_EQ(ERANGE, run(nl, nlh));
	EXPECT_NE(0, nl->extack[0]);
	EXPECT_EQ(ERANGE, assoc_get(nl, 0));
	EXPECT_NE(0, nl->extack[0]);
	nlh = req(nl, nl->family, POST_CMD_ASSOC_NEW, 0);
	put_addr4(nlh, POST_A_REMOTE, "192.0.2.1", 80);
	mnl_attr_put_u32(nlh, POST_A_LINGER_MS, POST_MAX_LINGER_MS + 1);
	EXPECT_EQ(ERANGE, run(nl, nlh));
	EXPECT_NE(0, nl->extack[0]);

	/* a family between AF_INET and AF_INET6 */
	nlh = req(nl, nl->family, POST_CMD_ASSOC_NEW, 0);
	n = mnl_attr_nest_start(nlh, POST_A_REMOTE);
	mnl_attr_put_u16(nlh, POST_ADDR_A_FAMILY, AF_INET + 1);
	mnl_attr_put_u16(nlh, POST_ADDR_A_PORT, 80);
	mnl_attr_nest_end(nlh, n);
	EXPECT_EQ(EAFNOSUPPORT, run(nl, nlh));
	EXPECT_STREQ("address family must be AF_INET or AF_INET6", nl->extack);

	/* inconsistent: no address for the family, no port */
	nlh = req(nl, nl->family, POST_CMD_ASSOC_NEW, 0);
	n = mnl_attr_nest_start(nlh, POST_A_REMOTE);
	mnl_attr_put_u16(nlh, POST_ADDR_A_FAMILY, AF_INET);
	mnl_attr_put_u16(nlh, POST_ADDR_A_PORT, 80);
	mnl_attr_nest_end(nlh, n);
	EXPECT_EQ(EINVAL, run(nl, nlh));
	EXPECT_STREQ("AF_INET needs an IPv4 address only", nl->extack);
	nlh = req(nl, nl->family, POST_CMD_ASSOC_NEW, 0);
	put_addr4(nlh, POST_A_REMOTE, "192.0.2.1", 0);
	EXPECT_EQ(EINVAL, run(nl, nlh));
	EXPECT_STREQ("remote port missing", nl->extack);

	/* unknown ids */
	EXPECT_EQ(ENOENT, assoc_get(nl, 999999));
	ASSERT_EQ(0, assoc_new(nl, "192.0.2.9", 9));
	nlh = req(nl, nl->family, POST_CMD_PATH_DEL, 0);
	mnl_attr_put_u32(nlh, POST_A_ASSOC_ID, nl->assoc_id);
	n = mnl_attr_nest_start(nlh, POST_A_PATH);
	mnl_attr_put_u32(nlh, POST_PATH_A_ID, 77);
	mnl_attr_nest_end(nlh, n);
	EXPECT_EQ(ENOENT, run(nl, nlh));
	EXPECT_STREQ("no path with this id", nl->extack);

	/* strict: an attribute the operation does not know */
	nlh = req(nl, nl->family, POST_CMD_ASSOC_GET, 0);
	mnl_attr_put_u32(nlh, POST_A_MAX + 5, 1);
	EXPECT_EQ(EINVAL, run(nl, nlh));
}

TEST_F(ns, paths_add_set_del)
{
	struct nl *nl = &self->nl;
	struct nlmsghdr *nlh;
	struct nlattr *n;
	uint32_t id;

	ASSERT_EQ(0, assoc_new(nl, "192.0.2.50", 5000));
	id = nl->assoc_id;
	for (int i = 0; i < 2; i++) {
		nlh = req(nl, nl->family, POST_CMD_PATH_ADD, 0);
		mnl_attr_put_u32(nlh, POST_A_ASSOC_ID, id);
		n = mnl_attr_nest_start(nlh, POST_A_PATH);
		put_addr4(nlh, POST_PATH_A_REMOTE, "198.51.100.50", 5000);
		mnl_attr_put_u8(nlh, POST_PATH_A_BACKUP, 1);
		mnl_attr_nest_end(nlh, n);
		EXPECT_EQ(i ? EEXIST : 0, run(nl, nlh));
	}
	EXPECT_STREQ("path exists already", nl->extack);
	ASSERT_EQ(0, assoc_get(nl, id));
	EXPECT_EQ(1, nl->n_paths);

	nlh = req(nl, nl->family, POST_CMD_PATH_SET, 0);
	mnl_attr_put_u32(nlh, POST_A_ASSOC_ID, id);
	n = mnl_attr_nest_start(nlh, POST_A_PATH);
	mnl_attr_put_u32(nlh, POST_PATH_A_ID, 1);
	mnl_attr_nest_end(nlh, n);
	EXPECT_EQ(EINVAL, run(nl, nlh));
	EXPECT_STREQ("nothing to change: backup or admin-up", nl->extack);

	nlh = req(nl, nl->family, POST_CMD_PATH_SET, 0);
	mnl_attr_put_u32(nlh, POST_A_ASSOC_ID, id);
	n = mnl_attr_nest_start(nlh, POST_A_PATH);
	mnl_attr_put_u32(nlh, POST_PATH_A_ID, 1);
	mnl_attr_put_u8(nlh, POST_PATH_A_ADMIN_UP, 0);
	mnl_attr_nest_end(nlh, n);
	EXPECT_EQ(0, run(nl, nlh));

	nlh = req(nl, nl->family, POST_CMD_PATH_GET, NLM_F_DUMP);
	mnl_attr_put_u32(nlh, POST_A_ASSOC_ID, id);
	ASSERT_EQ(0, run(nl, nlh));
	EXPECT_EQ(1, nl->n_replies);

	nlh = req(nl, nl->family, POST_CMD_PATH_DEL, 0);
	mnl_attr_put_u32(nlh, POST_A_ASSOC_ID, id);
	n = mnl_attr_nest_start(nlh, POST_A_PATH);
	mnl_attr_put_u32(nlh, POST_PATH_A_ID, 1);
	mnl_attr_nest_end(nlh, n);
	EXPECT_EQ(0, run(nl, nlh));
	ASSERT_EQ(0, assoc_get(nl, id));
	EXPECT_EQ(0, nl->n_paths);
}

/*
 * The system policy against a carrier's own: a system prohibit wins,
 * interfaces it prohibits are never used.
 */
TEST_F(ns, policy_enforced)
{
	struct nl *nl = &self->nl;
	struct post_policy_opt o = {};
	struct sockaddr_in a = sin4(ADDR_B, 0);
	socklen_t len = sizeof(a);
	unsigned int va;
	int l, c, s;

	/* nl and the carriers under test are in A, the listener in B */
	ASSERT_EQ(0, setns(self->p.fa, CLONE_NEWNET));
	va = if_nametoindex("va");
	ASSERT_EQ(0, setns(self->p.fb, CLONE_NEWNET));
	ASSERT_NE(0U, va);
	l = socket(AF_POST, SOCK_SEQPACKET, 0);
	ASSERT_EQ(0, bind(l, (void *)&a, sizeof(a)));
	ASSERT_EQ(0, listen(l, 4));
	ASSERT_EQ(0, getsockname(l, (void *)&a, &len));

	/* the system prohibits resumption: requiring it is refused */
	ASSERT_EQ(0, set_policy_u32(nl, POST_POLICY_A_RESUME, POST_PREF_PROHIBIT, 1));
	c = socket_in(&self->p, self->p.fa, AF_POST, SOCK_SEQPACKET, 0);
	o.pref[POST_PROP_RESUME] = POST_PREF_REQUIRE;
	ASSERT_EQ(0, setsockopt(c, SOL_POST, POST_POLICY, &o, sizeof(o)));
	EXPECT_EQ(-1, connect(c, (void *)&a, sizeof(a)));
	EXPECT_EQ(EACCES, errno);
	/* preferring it is not requiring it: it connects, without it */
	o.pref[POST_PROP_RESUME] = POST_PREF_PREFER;
	ASSERT_EQ(0, setsockopt(c, SOL_POST, POST_POLICY, &o, sizeof(o)));
	ASSERT_EQ(0, connect(c, (void *)&a, sizeof(a)));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	close(s);
	close(c);
	/* the system requires what nothing offers: every carrier fails */
	ASSERT_EQ(0, set_policy_u32(nl, POST_POLICY_A_RESUME, POST_PREF_NONE, 1));
	ASSERT_EQ(0, set_policy_u32(nl, POST_POLICY_A_SECURITY, POST_PREF_REQUIRE, 1));
	c = socket_in(&self->p, self->p.fa, AF_POST, SOCK_SEQPACKET, 0);
	EXPECT_EQ(-1, connect(c, (void *)&a, sizeof(a)));
	EXPECT_EQ(EPROTONOSUPPORT, errno);
	close(c);
	ASSERT_EQ(0, set_policy_u32(nl, POST_POLICY_A_SECURITY, POST_PREF_NONE, 1));

	/* the only route leaves by a prohibited interface */
	ASSERT_EQ(0, set_policy_u32(nl, POST_POLICY_A_PROHIBIT_IF, va, 0));
	c = socket_in(&self->p, self->p.fa, AF_POST, SOCK_SEQPACKET, 0);
	EXPECT_EQ(-1, connect(c, (void *)&a, sizeof(a)));
	EXPECT_EQ(ENETUNREACH, errno);
	close(c);
	/* bound to it by the application: refused */
	c = socket_in(&self->p, self->p.fa, AF_POST, SOCK_SEQPACKET, 0);
	ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_BINDTODEVICE, "va", 3));
	EXPECT_EQ(-1, connect(c, (void *)&a, sizeof(a)));
	EXPECT_EQ(EACCES, errno);
	close(c);
	/* a carrier's own prohibit adds to the system's */
	ASSERT_EQ(0, set_policy_u32(nl, POST_POLICY_A_PROHIBIT_IF, 0, 0));
	c = socket_in(&self->p, self->p.fa, AF_POST, SOCK_SEQPACKET, 0);
	memset(&o, 0, sizeof(o));
	o.n_prohibit_if = 1;
	o.prohibit_if[0] = va;
	ASSERT_EQ(0, setsockopt(c, SOL_POST, POST_POLICY, &o, sizeof(o)));
	EXPECT_EQ(-1, connect(c, (void *)&a, sizeof(a)));
	EXPECT_EQ(ENETUNREACH, errno);
	close(c);
	/* a preferred interface that reaches the peer is used */
	c = socket_in(&self->p, self->p.fa, AF_POST, SOCK_SEQPACKET, 0);
	memset(&o, 0, sizeof(o));
	o.n_prefer_if = 2;
	o.prefer_if[0] = 1;	/* lo: skipped */
	o.prefer_if[1] = va;
	ASSERT_EQ(0, setsockopt(c, SOL_POST, POST_POLICY, &o, sizeof(o)));
	ASSERT_EQ(0, connect(c, (void *)&a, sizeof(a)));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	ASSERT_EQ(2, send(c, "ok", 2, 0));
	char buf[8];
	ASSERT_EQ(2, recv(s, buf, sizeof(buf), 0));
	close(s);
	close(c);
	close(l);
}

TEST_F(ns, policy_get_set)
{
	struct nl *nl = &self->nl;
	struct nlmsghdr *nlh;
	struct nlattr *n;

	ASSERT_EQ(0, run(nl, req(nl, nl->family, POST_CMD_POLICY_GET, 0)));
	EXPECT_EQ(30000U, nl->linger);
	EXPECT_EQ(1, nl->reuse);
	ASSERT_EQ(0, set_policy_u32(nl, POST_POLICY_A_LINGER_MS, 1234, 0));
	ASSERT_EQ(0, run(nl, req(nl, nl->family, POST_CMD_POLICY_GET, 0)));
	EXPECT_EQ(1234U, nl->linger);
	EXPECT_EQ(ERANGE, set_policy_u32(nl, POST_POLICY_A_RELIABILITY, 9, 1));
	EXPECT_NE(0, nl->extack[0]);
	EXPECT_EQ(ENODEV, set_policy_u32(nl, POST_POLICY_A_PROHIBIT_IF, 4242, 0));
	EXPECT_STREQ("no such interface", nl->extack);
	EXPECT_EQ(EINVAL, run(nl, req(nl, nl->family, POST_CMD_POLICY_SET, 0)));
	EXPECT_STREQ("policy missing", nl->extack);

	/* the same interface twice (lo is 1 in every namespace) */
	nlh = req(nl, nl->family, POST_CMD_POLICY_SET, 0);
	n = mnl_attr_nest_start(nlh, POST_A_POLICY);
	mnl_attr_put_u32(nlh, POST_POLICY_A_PREFER_IF, 1);
	mnl_attr_put_u32(nlh, POST_POLICY_A_PREFER_IF, 1);
	mnl_attr_nest_end(nlh, n);
	EXPECT_EQ(EINVAL, run(nl, nlh));
	EXPECT_STREQ("interface listed twice", nl->extack);
}

static int drop_net_admin(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {};

	return syscall(SYS_capset, &h, d);
}

TEST_F(ns, unprivileged_reads_only)
{
	struct nl *nl = &self->nl;
	pid_t pid;
	int st;

	ASSERT_EQ(0, assoc_new(nl, "192.0.2.60", 6000));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int bad = 0;

		if (drop_net_admin())
			_exit(10);
		bad |= assoc_new(nl, "192.0.2.61", 6001) != EPERM;
		bad |= (assoc_del(nl, nl->assoc_id) != EPERM) << 1;
		bad |= (set_policy_u32(nl, POST_POLICY_A_REUSE, 0, 1) != EPERM) << 2;
		bad |= (dump(nl, POST_CMD_ASSOC_GET) || nl->n_replies != 1) << 3;
		bad |= (run(nl, req(nl, nl->family, POST_CMD_POLICY_GET, 0)) != 0) << 4;
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
}

TEST_F(ns, namespaces_are_isolated)
{
	struct nl *nl = &self->nl, other;

	ASSERT_EQ(0, assoc_new(nl, "192.0.2.70", 7000));
	/* the test process is in namespace B: a socket there sees nothing */
	ASSERT_EQ(0, nl_open(&other));
	ASSERT_EQ(0, dump(&other, POST_CMD_ASSOC_GET));
	EXPECT_EQ(0, other.n_replies);
	EXPECT_EQ(ENOENT, assoc_get(&other, nl->assoc_id));
	ASSERT_EQ(0, dump(nl, POST_CMD_ASSOC_GET));
	EXPECT_EQ(1, nl->n_replies);
	mnl_socket_close(other.sock);
}

static int post_info(int fd, struct post_info *pi)
{
	socklen_t len = sizeof(*pi);

	memset(pi, 0, sizeof(*pi));
	return getsockopt(fd, SOL_POST, POST_INFO, pi, &len);
}

/* Carriers join associations; the second to the same peer reuses it. */
TEST_F(ns, carriers_and_associations)
{
	struct nl *nl = &self->nl;
	struct post_path_desc pd[4];
	struct sockaddr_in a, *r = (void *)&pd[0].remote;
	struct post_info ci, si, c2i;
	int l, c, s, c2, s2;
	socklen_t len;
	char b[16];

	l = listener_in_a(&self->p, AF_POST, SOCK_SEQPACKET, &a);
	ASSERT_LE(0, l);
	c = socket(AF_POST, SOCK_SEQPACKET, 0);
	ASSERT_EQ(0, connect(c, (void *)&a, sizeof(a)));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	ASSERT_EQ(5, send(c, "hello", 5, 0));
	ASSERT_EQ(5, recv(s, b, sizeof(b), 0));

	ASSERT_EQ(0, post_info(c, &ci));
	ASSERT_EQ(0, post_info(s, &si));
	EXPECT_NE(0U, ci.assoc_id);
	EXPECT_NE(0U, si.assoc_id);
	EXPECT_EQ(POST_ASSOC_ACTIVE, si.assoc_state);
	EXPECT_EQ(1U, si.msgs_recv);
	EXPECT_EQ(5U, si.bytes_recv);
	EXPECT_EQ(1U, ci.msgs_sent);
	EXPECT_EQ(1U, ci.n_paths);

	len = sizeof(pd);
	ASSERT_EQ(0, getsockopt(c, SOL_POST, POST_PATHS, pd, &len));
	ASSERT_EQ(sizeof(pd[0]), len);
	EXPECT_EQ(1U, pd[0].id);
	EXPECT_EQ(1, pd[0].state);
	EXPECT_EQ(AF_INET, r->sin_family);
	EXPECT_EQ(a.sin_port, r->sin_port);
	EXPECT_LT(0U, pd[0].mtu);
	len = sizeof(pd[0]) - 1;	/* no whole entry fits */
	ASSERT_EQ(0, getsockopt(c, SOL_POST, POST_PATHS, pd, &len));
	EXPECT_EQ(0U, len);
	len = sizeof(ci) / 2;		/* POST_INFO: a prefix */
	ASSERT_EQ(0, getsockopt(c, SOL_POST, POST_INFO, &ci, &len));
	EXPECT_EQ(sizeof(ci) / 2, len);
	EXPECT_EQ(-1, setsockopt(c, SOL_POST, POST_INFO, &ci, sizeof(ci)));
	EXPECT_EQ(ENOPROTOOPT, errno);

	/* a second carrier from B to the same listener: same association */
	c2 = socket(AF_POST, SOCK_SEQPACKET, 0);
	ASSERT_EQ(0, connect(c2, (void *)&a, sizeof(a)));
	s2 = accept(l, NULL, NULL);
	ASSERT_LE(0, s2);
	ASSERT_EQ(0, post_info(c2, &c2i));
	EXPECT_EQ(ci.assoc_id, c2i.assoc_id);

	/* namespace A (the netlink socket's) has the accepting side */
	ASSERT_EQ(0, assoc_get(nl, si.assoc_id));
	EXPECT_EQ(2U, nl->n_carriers);
	EXPECT_EQ(POST_ASSOC_ACTIVE, nl->assoc_state);
	EXPECT_EQ(EBUSY, assoc_del(nl, si.assoc_id));
	EXPECT_STREQ("association has carriers", nl->extack);
	ASSERT_EQ(0, dump(nl, POST_CMD_CARRIER_GET));
	EXPECT_EQ(3, nl->n_replies);	/* the listener and two accepted */

	/* closed: dormant for the linger time, then gone */
	close(s);
	close(s2);
	nl->path_mtu = 0;
	ASSERT_EQ(0, assoc_get(nl, si.assoc_id));
	EXPECT_EQ(POST_ASSOC_DORMANT, nl->assoc_state);
	EXPECT_LT(0U, nl->path_mtu);	/* the path keeps what it measured */
	close(c);
	close(c2);
	close(l);

	ASSERT_EQ(0, set_policy_u32(nl, POST_POLICY_A_LINGER_MS, 0, 0));
	l = listener_in_a(&self->p, AF_POST, SOCK_SEQPACKET, &a);
	ASSERT_LE(0, l);
	c = socket(AF_POST, SOCK_SEQPACKET, 0);
	ASSERT_EQ(0, connect(c, (void *)&a, sizeof(a)));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, post_info(s, &si));
	close(s);
	EXPECT_EQ(ENOENT, assoc_get(nl, si.assoc_id));
	close(c);
	close(l);
}

/* The monitor sees a scripted scenario's events in order. */
TEST_F(ns, monitor_events_in_order)
{
	static const uint8_t want[] = {
		POST_CMD_ASSOC_CREATED, POST_CMD_PATH_UP,
		POST_CMD_ASSOC_ACTIVE, POST_CMD_CARRIER_CREATED,
		POST_CMD_CARRIER_CLOSED, POST_CMD_PATH_DOWN,
		POST_CMD_ASSOC_CLOSED,
	};
	struct nl *nl = &self->nl, mon;
	struct sockaddr_in a;
	uint8_t got[32];
	int n = 0, l, c, s, grp;

	ASSERT_EQ(0, set_policy_u32(nl, POST_POLICY_A_LINGER_MS, 0, 0));
	ASSERT_EQ(0, setns(self->p.fa, CLONE_NEWNET));
	ASSERT_EQ(0, nl_open(&mon));
	ASSERT_EQ(0, setns(self->p.fb, CLONE_NEWNET));
	grp = mon.mcgrp;
	ASSERT_NE(0, grp);
	ASSERT_EQ(0, mnl_socket_setsockopt(mon.sock, NETLINK_ADD_MEMBERSHIP,
					   &grp, sizeof(grp)));

	l = listener_in_a(&self->p, AF_POST, SOCK_SEQPACKET, &a);
	ASSERT_LE(0, l);
	c = socket(AF_POST, SOCK_SEQPACKET, 0);
	ASSERT_EQ(0, connect(c, (void *)&a, sizeof(a)));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	close(s);
	close(c);
	close(l);

	for (;;) {
		struct pollfd pfd = { mnl_socket_get_fd(mon.sock), POLLIN };
		struct nlmsghdr *nlh;
		int r;

		if (poll(&pfd, 1, 2000) != 1)
			break;
		r = mnl_socket_recvfrom(mon.sock, mon.buf, sizeof(mon.buf));
		ASSERT_LT(0, r);
		for (nlh = (void *)mon.buf; mnl_nlmsg_ok(nlh, r);
		     nlh = mnl_nlmsg_next(nlh, &r)) {
			struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);

			if (n < (int)sizeof(got))
				got[n++] = g->cmd;
		}
	}
	ASSERT_EQ((int)sizeof(want), n);
	for (int i = 0; i < n; i++)
		EXPECT_EQ(want[i], got[i]);
	mnl_socket_close(mon.sock);
}

TEST_HARNESS_MAIN
