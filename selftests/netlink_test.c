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
	uint64_t rcvq;		/* summed over the carriers replied */
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
		case POST_A_CARRIER:
			mnl_attr_for_each_nested(p, a)
				if (mnl_attr_get_type(p) == POST_CARRIER_A_RCVQ)
					nl->rcvq += mnl_attr_get_u32(p);
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
	nl->rcvq = 0;
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
 * A carrier in A, with policy @o and bound to @dev where given, connects
 * to @a.  Return: the errno, or 0 if it connected.
 */
static int policy_connect(struct nspair *p, const struct post_policy_opt *o,
			  const char *dev, const struct sockaddr_in *a)
{
	int c = socket_in(p, p->fa, AF_POST, SOCK_SEQPACKET, 0), err = 0;

	if (c < 0)
		return -1;
	if ((o && setsockopt(c, SOL_POST, POST_POLICY, o, sizeof(*o))) ||
	    (dev && setsockopt(c, SOL_SOCKET, SO_BINDTODEVICE, dev,
			       strlen(dev) + 1)))
		err = -1;
	else if (connect(c, (void *)a, sizeof(*a)))
		err = errno;
	close(c);
	return err;
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
	EXPECT_EQ(EPROTONOSUPPORT, policy_connect(&self->p, NULL, NULL, &a));
	ASSERT_EQ(0, set_policy_u32(nl, POST_POLICY_A_SECURITY, POST_PREF_NONE, 1));

	/* the only route leaves by a prohibited interface */
	ASSERT_EQ(0, set_policy_u32(nl, POST_POLICY_A_PROHIBIT_IF, va, 0));
	EXPECT_EQ(ENETUNREACH, policy_connect(&self->p, NULL, NULL, &a));
	/* bound to it by the application: refused */
	EXPECT_EQ(EACCES, policy_connect(&self->p, NULL, "va", &a));
	/* a carrier's own prohibit adds to the system's */
	ASSERT_EQ(0, set_policy_u32(nl, POST_POLICY_A_PROHIBIT_IF, 0, 0));
	memset(&o, 0, sizeof(o));
	o.n_prohibit_if = 1;
	o.prohibit_if[0] = va;
	EXPECT_EQ(ENETUNREACH, policy_connect(&self->p, &o, NULL, &a));
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
	EXPECT_EQ(ERANGE, set_policy_u32(nl, POST_POLICY_A_MPTCP,
					 POST_PREF_MAX + 1, 1));
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

/*
 * A carrier's receive queue (rcvq) counts the payload bytes it holds,
 * copied (small messages) or in the transport's skbs, and is empty
 * again once they are read.
 */
TEST_F(ns, carrier_rcvq_counts_unread)
{
	static const size_t sizes[] = { 1, 200, 256, 257, 5000 };
	struct nl *nl = &self->nl;
	size_t total = 0;
	int c, s, i;
	char b[8192];

	ASSERT_EQ(0, carrier_pair(&self->p, SOCK_SEQPACKET, &c, &s));
	memset(b, 'x', sizeof(b));
	for (i = 0; i < (int)ARRAY_SIZE(sizes); i++) {
		ASSERT_EQ((ssize_t)sizes[i], send(c, b, sizes[i], 0));
		total += sizes[i];
	}
	/* wait until all of them are in */
	for (i = 0; i < 200; i++) {
		ASSERT_EQ(0, dump(nl, POST_CMD_CARRIER_GET));
		if (nl->rcvq == total)
			break;
		usleep(10000);
	}
	EXPECT_EQ(total, nl->rcvq);
	/* a peek takes nothing */
	ASSERT_EQ(1, recv(s, b, 1, MSG_PEEK));
	ASSERT_EQ(0, dump(nl, POST_CMD_CARRIER_GET));
	EXPECT_EQ(total, nl->rcvq);
	/* the large one read in part still holds the rest */
	for (i = 0; i < (int)ARRAY_SIZE(sizes) - 1; i++)
		ASSERT_EQ((ssize_t)sizes[i], recv(s, b, sizeof(b), 0));
	ASSERT_EQ(1000, recv(s, b, 1000, 0));
	ASSERT_EQ(0, dump(nl, POST_CMD_CARRIER_GET));
	EXPECT_GE(5000U, nl->rcvq);
	EXPECT_LE(4000U, nl->rcvq);
	ASSERT_EQ(4000, recv(s, b, sizeof(b), 0));
	ASSERT_EQ(0, dump(nl, POST_CMD_CARRIER_GET));
	EXPECT_EQ(0U, nl->rcvq);
	close(c);
	close(s);
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

/* What a carrier measures on its path moving far raises path-changed. */
TEST_F(ns, monitor_path_changed_measured)
{
	struct nl *nl = &self->nl, mon;
	struct sockaddr_in a;
	int l, c, s, grp, seen = 0;
	char b[64];
	double t0;

	ASSERT_EQ(0, setns(self->p.fa, CLONE_NEWNET));
	ASSERT_EQ(0, nl_open(&mon));
	ASSERT_EQ(0, setns(self->p.fb, CLONE_NEWNET));
	grp = mon.mcgrp;
	ASSERT_EQ(0, mnl_socket_setsockopt(mon.sock, NETLINK_ADD_MEMBERSHIP,
					   &grp, sizeof(grp)));
	(void)nl;
	l = listener_in_a(&self->p, AF_POST, SOCK_SEQPACKET, &a);
	ASSERT_LE(0, l);
	c = socket(AF_POST, SOCK_SEQPACKET, 0);
	ASSERT_EQ(0, connect(c, (void *)&a, sizeof(a)));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	/* a baseline at veth speed, then 20 ms more each way */
	for (int i = 0; i < 20; i++) {
		ASSERT_EQ(4, send(s, "ping", 4, 0));
		ASSERT_EQ(4, recv(c, b, sizeof(b), 0));
		ASSERT_EQ(4, send(c, "pong", 4, 0));
		ASSERT_EQ(4, recv(s, b, sizeof(b), 0));
		usleep(10000);
	}
	ASSERT_EQ(0, sh("ip netns exec %s tc qdisc add dev va root netem delay 20ms",
			self->p.a));
	t0 = now_s();
	while (now_s() - t0 < 4 && !seen) {
		struct pollfd pfd = { mnl_socket_get_fd(mon.sock), POLLIN };

		ASSERT_EQ(4, send(s, "ping", 4, 0));
		ASSERT_EQ(4, recv(c, b, sizeof(b), 0));
		ASSERT_EQ(4, send(c, "pong", 4, 0));
		ASSERT_EQ(4, recv(s, b, sizeof(b), 0));
		while (poll(&pfd, 1, 0) == 1) {
			int r = mnl_socket_recvfrom(mon.sock, mon.buf, sizeof(mon.buf));
			struct nlmsghdr *nlh;

			ASSERT_LT(0, r);
			for (nlh = (void *)mon.buf; mnl_nlmsg_ok(nlh, r);
			     nlh = mnl_nlmsg_next(nlh, &r)) {
				struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
				struct nlattr *at;

				if (g->cmd != POST_CMD_PATH_CHANGED)
					continue;
				mnl_attr_for_each(at, nlh, sizeof(*g))
					if (mnl_attr_get_type(at) == POST_A_REASON &&
					    mnl_attr_get_u32(at) == POST_REASON_MEASURED)
						seen = 1;
			}
		}
	}
	EXPECT_TRUE(seen);
	close(c);
	close(s);
	close(l);
	mnl_socket_close(mon.sock);
}

/* ---- a netlink fuzzer ---- */

/* the fuzzers' seed, as in stress_test.c: POST_FUZZ_SEED overrides */
static unsigned int seed_base(void)
{
	const char *s = getenv("POST_FUZZ_SEED");

	return s ? strtoul(s, NULL, 0) : 20261122;
}

/* xorshift: reproducible from the seed */
static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

#define FUZZ_MSGS	3000
#define FUZZ_SECS	15.0	/* and at most this long (a slow VM) */
#define FUZZ_REQ_MAX	4096	/* bytes of one request */
#define FUZZ_DEPTH	4	/* nests in nests */
#define FUZZ_TYPES	21	/* random attribute types are 0..20 */
#define FUZZ_ATTRS	64	/* attributes remembered for corrupting */

/* what an attribute is nested in, for plausible types and values */
enum fuzz_ctx { FZ_NONE, FZ_TOP, FZ_ADDR, FZ_PATH, FZ_POLICY, FZ_ANY };

struct fuzz {
	uint32_t s;
	struct nlmsghdr *nlh;
	uint8_t cmd;
	struct nlattr *attrs[FUZZ_ATTRS];	/* the first ones put, any depth */
	int n_attrs;
};

static uint32_t fz_pick(struct fuzz *f, const uint32_t *v, size_t n)
{
	return v[rnd(&f->s) % n];
}

#define PICK(f, ...)							\
	fz_pick(f, (const uint32_t[]){ __VA_ARGS__ },			\
		sizeof((const uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t))

static void fz_record(struct fuzz *f, struct nlattr *a)
{
	if (f->n_attrs < FUZZ_ATTRS)
		f->attrs[f->n_attrs++] = a;
}

static int fz_put(struct fuzz *f, uint16_t type, size_t len, const void *data)
{
	struct nlattr *a = mnl_nlmsg_get_payload_tail(f->nlh);

	if (!mnl_attr_put_check(f->nlh, FUZZ_REQ_MAX, type, len, data))
		return -1;
	fz_record(f, a);
	return 0;
}

static void fz_put_u16(struct fuzz *f, uint16_t type, uint16_t v)
{
	fz_put(f, type, sizeof(v), &v);
}

static void fz_put_u32(struct fuzz *f, uint16_t type, uint32_t v)
{
	fz_put(f, type, sizeof(v), &v);
}

/* association and path ids: a few exist (they count from 1), most not */
static uint32_t fz_id(struct fuzz *f)
{
	switch (rnd(&f->s) % 6) {
	case 0:
		return 0;
	case 1:
		return PICK(f, 0x7fffffff, 0x80000000, 0xffffffff);
	case 2:
		return rnd(&f->s);
	case 3:
		return 1 + rnd(&f->s) % 200;
	default:
		return 1 + rnd(&f->s) % 8;
	}
}

static uint32_t fz_linger(struct fuzz *f)
{
	return PICK(f, 0, 0, 1, 5, 50, 1000, POST_MAX_LINGER_MS,
		    POST_MAX_LINGER_MS + 1, 0xffffffff);
}

static uint32_t fz_ifindex(struct fuzz *f)
{
	/* lo is 1 in every namespace; va is one of the next few */
	return PICK(f, 0, 1, 1, 2, 3, 4, 1000, (uint32_t)-1);
}

/*
 * Addresses of a small pool (TEST-NET-2, 2001:db8:f::/64), so that
 * duplicates happen; no packet is ever sent to them.
 */
static uint32_t fz_addr4(struct fuzz *f)
{
	switch (rnd(&f->s) % 4) {
	case 0:
		return htonl(INADDR_ANY);
	case 1:
		return rnd(&f->s);
	default:
		return htonl(0xc6336400 | (1 + rnd(&f->s) % 4));
	}
}

static void fz_addr6(struct fuzz *f, uint8_t *a)
{
	static const uint8_t pool[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x0f };
	uint32_t r = rnd(&f->s);

	memcpy(a, pool, 16);
	if (r % 4 == 0)
		memset(a, 0, 16);			/* :: */
	else if (r % 4 == 1)
		for (int i = 0; i < 16; i++)
			a[i] = rnd(&f->s);
	else
		a[15] = 1 + (r >> 8) % 4;
}

/* A well-formed address nest's content: family, address, port. */
static void fz_good_addr(struct fuzz *f)
{
	uint16_t port = PICK(f, 0, 1, 2, 3, 4, 4000);
	uint8_t a6[16];

	if (rnd(&f->s) % 2) {
		fz_put_u16(f, POST_ADDR_A_FAMILY, AF_INET);
		fz_put_u32(f, POST_ADDR_A_ADDR4, fz_addr4(f));
	} else {
		fz_put_u16(f, POST_ADDR_A_FAMILY, AF_INET6);
		fz_addr6(f, a6);
		fz_put(f, POST_ADDR_A_ADDR6, sizeof(a6), a6);
	}
	if (port)
		fz_put_u16(f, POST_ADDR_A_PORT, port);
	if (rnd(&f->s) % 8 == 0)
		fz_put_u32(f, POST_ADDR_A_IFINDEX, fz_ifindex(f));
}

/* A plausible value for @type in @ctx into @b; returns its length. */
static size_t fz_value(struct fuzz *f, enum fuzz_ctx ctx, int type,
		       uint8_t *b)
{
	uint16_t u16;
	uint32_t u32;

	switch (ctx * 256 + type) {
	case FZ_TOP * 256 + POST_A_ASSOC_ID:
	case FZ_PATH * 256 + POST_PATH_A_ID:
		u32 = fz_id(f);
		goto u32;
	case FZ_TOP * 256 + POST_A_LINGER_MS:
	case FZ_POLICY * 256 + POST_POLICY_A_LINGER_MS:
		u32 = fz_linger(f);
		goto u32;
	case FZ_ADDR * 256 + POST_ADDR_A_IFINDEX:
	case FZ_POLICY * 256 + POST_POLICY_A_PREFER_IF:
	case FZ_POLICY * 256 + POST_POLICY_A_PROHIBIT_IF:
		u32 = fz_ifindex(f);
		goto u32;
	case FZ_ADDR * 256 + POST_ADDR_A_FAMILY:
		u16 = PICK(f, AF_INET, AF_INET6, AF_INET, AF_INET6, AF_UNSPEC,
			   AF_UNIX, AF_INET + 1, 0xffff);
		goto u16;
	case FZ_ADDR * 256 + POST_ADDR_A_PORT:
		u16 = PICK(f, 0, 1, 2, 3, 4, 4000, 0xffff);
		goto u16;
	case FZ_ADDR * 256 + POST_ADDR_A_ADDR4:
		u32 = fz_addr4(f);
		goto u32;
	case FZ_ADDR * 256 + POST_ADDR_A_ADDR6:
		fz_addr6(f, b);
		return 16;
	case FZ_PATH * 256 + POST_PATH_A_BACKUP:
	case FZ_PATH * 256 + POST_PATH_A_ADMIN_UP:
	case FZ_PATH * 256 + POST_PATH_A_STATE:
	case FZ_POLICY * 256 + POST_POLICY_A_REUSE:
	case FZ_TOP * 256 + POST_A_ASSOC_STATE:
		b[0] = PICK(f, 0, 1, 1, 2, 0xff);
		return 1;
	case FZ_POLICY * 256 + POST_POLICY_A_RELIABILITY:
	case FZ_POLICY * 256 + POST_POLICY_A_MSG_BOUNDARIES:
	case FZ_POLICY * 256 + POST_POLICY_A_MULTISTREAMING:
	case FZ_POLICY * 256 + POST_POLICY_A_MULTIPATH:
	case FZ_POLICY * 256 + POST_POLICY_A_SECURITY:
	case FZ_POLICY * 256 + POST_POLICY_A_RESUME:
	case FZ_POLICY * 256 + POST_POLICY_A_MPTCP:
		b[0] = rnd(&f->s) % (POST_PREF_MAX + 3);	/* some too big */
		return 1;
	}
	/* anything else: the random bytes already there, of an int's size */
	return PICK(f, 1, 2, 4, 8);
u16:
	memcpy(b, &u16, sizeof(u16));
	return sizeof(u16);
u32:
	memcpy(b, &u32, sizeof(u32));
	return sizeof(u32);
}

/* The nest context of an attribute, FZ_NONE for one that is no nest. */
static enum fuzz_ctx fz_child(enum fuzz_ctx ctx, int type)
{
	if (ctx == FZ_TOP && (type == POST_A_LOCAL || type == POST_A_REMOTE))
		return FZ_ADDR;
	if (ctx == FZ_TOP && type == POST_A_PATH)
		return FZ_PATH;
	if (ctx == FZ_TOP && type == POST_A_POLICY)
		return FZ_POLICY;
	if (ctx == FZ_TOP && (type == POST_A_STATS || type == POST_A_CARRIER))
		return FZ_ANY;		/* nests only the kernel sends */
	if (ctx == FZ_PATH &&
	    (type == POST_PATH_A_LOCAL || type == POST_PATH_A_REMOTE))
		return FZ_ADDR;
	return FZ_NONE;
}

/* An attribute type: mostly those of @ctx (or of the command), some not. */
static uint16_t fz_type(struct fuzz *f, enum fuzz_ctx ctx)
{
	static const uint8_t want[POST_CMD_CARRIER_GET + 1][3] = {
		[POST_CMD_ASSOC_GET]	= { POST_A_ASSOC_ID },
		[POST_CMD_ASSOC_NEW]	= { POST_A_REMOTE, POST_A_LOCAL,
					    POST_A_LINGER_MS },
		[POST_CMD_ASSOC_DEL]	= { POST_A_ASSOC_ID },
		[POST_CMD_PATH_GET]	= { POST_A_ASSOC_ID },
		[POST_CMD_PATH_ADD]	= { POST_A_ASSOC_ID, POST_A_PATH },
		[POST_CMD_PATH_DEL]	= { POST_A_ASSOC_ID, POST_A_PATH },
		[POST_CMD_PATH_SET]	= { POST_A_ASSOC_ID, POST_A_PATH },
		[POST_CMD_POLICY_SET]	= { POST_A_POLICY },
		[POST_CMD_CARRIER_GET]	= { POST_A_ASSOC_ID },
	};
	uint32_t r = rnd(&f->s), n, max;

	switch (ctx) {
	case FZ_TOP:
		if (f->cmd <= POST_CMD_CARRIER_GET && want[f->cmd][0] && r % 2) {
			for (n = 1; n < 3 && want[f->cmd][n]; n++)
				;
			return want[f->cmd][(r >> 8) % n];
		}
		max = POST_A_MAX;
		break;
	case FZ_ADDR:
		max = POST_ADDR_A_MAX;
		break;
	case FZ_PATH:		/* the rest are read-only */
		max = POST_PATH_A_ADMIN_UP;
		break;
	case FZ_POLICY:
		max = POST_POLICY_A_MAX;
		break;
	default:
		return r % FUZZ_TYPES;
	}
	return r % 4 ? 1 + (r >> 8) % max : (r >> 8) % FUZZ_TYPES;
}

/* Random attributes into the message; nests of nests up to FUZZ_DEPTH. */
static void fz_attrs(struct fuzz *f, enum fuzz_ctx ctx, int depth)
{
	int n = rnd(&f->s) % (ctx == FZ_TOP ? 7 : 5);

	/* an address nest is well-formed half the time, perhaps with more */
	if (ctx == FZ_ADDR && rnd(&f->s) % 2) {
		fz_good_addr(f);
		n = rnd(&f->s) % 4 == 0;
	}
	while (n-- > 0) {
		uint16_t type = fz_type(f, ctx);
		enum fuzz_ctx child = fz_child(ctx, type);
		uint32_t r = rnd(&f->s);
		struct nlattr *nest;
		uint8_t b[64];
		size_t len;

		if (depth < FUZZ_DEPTH &&
		    (child != FZ_NONE ? r % 5 != 0 : r % 10 == 0)) {
			nest = mnl_attr_nest_start_check(f->nlh, FUZZ_REQ_MAX,
							 type);
			if (!nest)
				return;
			fz_record(f, nest);
			/* strict validation wants NLA_F_NESTED on a nest */
			if ((r >> 8) % 16 == 0)
				nest->nla_type &= ~NLA_F_NESTED;
			fz_attrs(f, child == FZ_NONE ? FZ_ANY : child, depth + 1);
			mnl_attr_nest_end(f->nlh, nest);
			continue;
		}
		/* ... and wants no flag on anything else */
		if ((r >> 8) % 16 == 0)
			type |= (r >> 12) % 2 ? NLA_F_NESTED : NLA_F_NET_BYTEORDER;
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = rnd(&f->s);
		/* any length, 0 and odd ones too, or the type's */
		if ((r >> 16) % 8 == 0)
			len = PICK(f, 0, 1, 2, 3, 5, 7, 9, 15, 16, 17);
		else if ((r >> 16) % 8 == 1)
			len = rnd(&f->s) % sizeof(b);
		else
			len = fz_value(f, ctx == FZ_ANY ? FZ_NONE : ctx,
				       type & NLA_TYPE_MASK, b);
		if (fz_put(f, type, len, b))
			return;
	}
}

/* A random command: requests mostly, notifications and unknown ones too. */
static uint8_t fz_cmd(struct fuzz *f)
{
	uint32_t r = rnd(&f->s) % 16;

	if (r < 11)
		return 1 + rnd(&f->s) % POST_CMD_CARRIER_GET;
	if (r < 13)		/* notifications: only the kernel sends them */
		return POST_CMD_CARRIER_GET + 1 +
		       rnd(&f->s) % (POST_CMD_MAX - POST_CMD_CARRIER_GET);
	if (r == 13)
		return POST_CMD_UNSPEC;
	return POST_CMD_MAX + 1 + rnd(&f->s) % (255 - POST_CMD_MAX);
}

/*
 * A random request in nl->buf.  It always has NLM_F_REQUEST and NLM_F_ACK
 * (req() sets them), so the kernel answers it in every case, and its
 * nlmsg_len is what is sent: broken attributes, never a broken netlink
 * header (which the kernel drops without a word).
 */
static struct nlmsghdr *fz_request(struct nl *nl, struct fuzz *f)
{
	uint32_t r = rnd(&f->s);
	uint16_t flags = r % 3 == 0 ? NLM_F_DUMP : 0;
	struct genlmsghdr *g;
	struct nlattr *a;
	uint32_t len;

	if ((r >> 8) % 8 == 0)
		flags |= r >> 16;		/* any flags */
	f->cmd = fz_cmd(f);
	f->nlh = req(nl, nl->family, f->cmd, flags);
	f->n_attrs = 0;
	g = mnl_nlmsg_get_payload(f->nlh);
	if (rnd(&f->s) % 16 == 0)
		g->version = rnd(&f->s);
	if (rnd(&f->s) % 32 == 0)
		g->reserved = rnd(&f->s);
	fz_attrs(f, FZ_TOP, 0);

	switch (rnd(&f->s) % 16) {
	case 0:		/* cut short anywhere past the netlink header */
		len = f->nlh->nlmsg_len - NLMSG_HDRLEN;
		f->nlh->nlmsg_len = NLMSG_HDRLEN + rnd(&f->s) % (len + 1);
		break;
	case 1:
	case 2:		/* one attribute's length wrong: shorter than its
			 * header, past its nest's end or the message's */
		if (!f->n_attrs)
			break;
		a = f->attrs[rnd(&f->s) % f->n_attrs];
		a->nla_len = PICK(f, 0, 1, 3, 4, 5, a->nla_len - 1,
				  a->nla_len + 1, a->nla_len + 4, a->nla_len + 64,
				  0xffff);
		break;
	case 3:		/* a bit flipped past the genetlink header */
		len = f->nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
		if (len) {
			uint8_t *p = (uint8_t *)f->nlh + NLMSG_HDRLEN +
				     GENL_HDRLEN + rnd(&f->s) % len;

			*p ^= 1 << rnd(&f->s) % 8;
		}
		break;
	}
	return f->nlh;
}

/*
 * A few thousand random requests to the family, with a fixed seed: each
 * must be answered (an error, or replies and the ACK), none may hang or
 * get two answers, and the family must work afterwards.  The socket is
 * privileged, so some requests change things: associations and paths
 * come and go, the system policy changes; the namespaces are this
 * test's own.  A monitor listens, so that the changes make events too
 * (it is not read until the end: events beyond its buffer are dropped).
 * vm-run then checks the kernel log (KASAN, lockdep).
 */
TEST_F(ns, fuzz_netlink)
{
	struct nl *nl = &self->nl, mon;
	int fd = mnl_socket_get_fd(nl->sock), grp, events = 0;
	struct timeval tv = { 10, 0 };
	/* a stream of its own, not that of stress_test.c's fuzzers */
	struct fuzz f = { .s = seed_base() ^ 0x4e4c };
	int n, ok = 0, einval = 0, erange = 0, eopnotsupp = 0, other = 0;
	double t0 = now_s();
	uint32_t id;
	char c;

	if (!f.s)
		f.s = 1;	/* xorshift stays at 0 */
	TH_LOG("seed %u", seed_base());
	/* an unanswered request fails with EAGAIN instead of hanging */
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	ASSERT_EQ(0, setns(self->p.fa, CLONE_NEWNET));
	ASSERT_EQ(0, nl_open(&mon));
	ASSERT_EQ(0, setns(self->p.fb, CLONE_NEWNET));
	grp = mon.mcgrp;
	ASSERT_NE(0, grp);
	ASSERT_EQ(0, mnl_socket_setsockopt(mon.sock, NETLINK_ADD_MEMBERSHIP,
					   &grp, sizeof(grp)));

	for (n = 0; n < FUZZ_MSGS && now_s() - t0 < FUZZ_SECS; n++) {
		struct nlmsghdr *nlh = fz_request(nl, &f);
		uint16_t flags = nlh->nlmsg_flags;
		uint32_t len = nlh->nlmsg_len;
		uint8_t cmd = f.cmd;
		int err = run(nl, nlh);

		/*
		 * run() returns 0 for replies and the ACK, or the errno of the
		 * kernel's error (also in nl->err); otherwise sending or
		 * receiving failed, or an answer of another request came.
		 */
		if (err && err != nl->err)
			TH_LOG("request %d (cmd %u, flags %#x, %u bytes, seed %u): %s",
			       n, cmd, flags, len, seed_base(), strerror(err));
		ASSERT_TRUE(!err || err == nl->err);
		if (!err)
			ok++;
		else if (err == EINVAL)
			einval++;
		else if (err == ERANGE)
			erange++;
		else if (err == EOPNOTSUPP)
			eopnotsupp++;
		else
			other++;
	}
	TH_LOG("%d requests in %.1f s: %d ok, %d EINVAL, %d ERANGE, "
	       "%d EOPNOTSUPP, %d other errors",
	       n, now_s() - t0, ok, einval, erange, eopnotsupp, other);
	EXPECT_LT(300, n);
	EXPECT_LT(0, ok);

	/* one answer each: nothing left over */
	EXPECT_EQ(-1, recv(fd, &c, 1, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	for (;;) {
		ssize_t r = recv(mnl_socket_get_fd(mon.sock), mon.buf,
				 sizeof(mon.buf), MSG_DONTWAIT);

		if (r < 0 && errno == ENOBUFS)	/* it overflowed */
			continue;
		if (r <= 0)
			break;
		events++;
	}
	TH_LOG("the monitor got %d events", events);
	mnl_socket_close(mon.sock);

	/* the family still works */
	ASSERT_EQ(0, run(nl, req(nl, nl->family, POST_CMD_POLICY_GET, 0)));
	EXPECT_EQ(1, nl->n_replies);
	ASSERT_EQ(0, dump(nl, POST_CMD_ASSOC_GET));
	/* an address outside the fuzzer's pool */
	ASSERT_EQ(0, assoc_new(nl, "192.0.2.250", 4250));
	id = nl->assoc_id;
	ASSERT_EQ(0, assoc_get(nl, id));
	EXPECT_EQ(id, nl->assoc_id);
	ASSERT_EQ(0, assoc_del(nl, id));
	EXPECT_EQ(ENOENT, assoc_get(nl, id));
}

TEST_HARNESS_MAIN
