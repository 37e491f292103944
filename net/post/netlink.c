// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST: the "post" generic netlink family, described by
 * Documentation/netlink/specs/post.yaml.
 *
 * Associations, their paths, the system policy and the carriers of the
 * caller's network namespace.  Reads are open to everyone; changes need
 * CAP_NET_ADMIN in the namespace's user namespace.  Every request runs
 * under the namespace's post_net.lock.
 */

#include <linux/in.h>
#include <linux/in6.h>
#include <net/genetlink.h>
#include <net/ipv6.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "protocol.h"

enum {
	POST_NLGRP_MONITOR,
};

static const struct netlink_range_validation post_linger_range = {
	.max	= POST_MAX_LINGER_MS,
};

static const struct nla_policy post_addr_nl_policy[POST_ADDR_A_MAX + 1] = {
	[POST_ADDR_A_FAMILY]	= NLA_POLICY_RANGE(NLA_U16, AF_INET, AF_INET6),
	[POST_ADDR_A_ADDR4]	= { .type = NLA_BE32 },
	[POST_ADDR_A_ADDR6]	= NLA_POLICY_EXACT_LEN(16),
	[POST_ADDR_A_PORT]	= { .type = NLA_U16 },
	[POST_ADDR_A_IFINDEX]	= NLA_POLICY_MIN(NLA_S32, 0),
};

static const struct nla_policy post_path_nl_policy[POST_PATH_A_MAX + 1] = {
	[POST_PATH_A_ID]	= NLA_POLICY_MIN(NLA_U32, 1),
	[POST_PATH_A_LOCAL]	= NLA_POLICY_NESTED(post_addr_nl_policy),
	[POST_PATH_A_REMOTE]	= NLA_POLICY_NESTED(post_addr_nl_policy),
	[POST_PATH_A_BACKUP]	= NLA_POLICY_MAX(NLA_U8, 1),
	[POST_PATH_A_ADMIN_UP]	= NLA_POLICY_MAX(NLA_U8, 1),
};

static const struct nla_policy post_policy_nl_policy[POST_POLICY_A_MAX + 1] = {
	[POST_POLICY_A_RELIABILITY]	= NLA_POLICY_MAX(NLA_U8, POST_PREF_MAX),
	[POST_POLICY_A_MSG_BOUNDARIES]	= NLA_POLICY_MAX(NLA_U8, POST_PREF_MAX),
	[POST_POLICY_A_MULTISTREAMING]	= NLA_POLICY_MAX(NLA_U8, POST_PREF_MAX),
	[POST_POLICY_A_MULTIPATH]	= NLA_POLICY_MAX(NLA_U8, POST_PREF_MAX),
	[POST_POLICY_A_SECURITY]	= NLA_POLICY_MAX(NLA_U8, POST_PREF_MAX),
	[POST_POLICY_A_PREFER_IF]	= NLA_POLICY_MIN(NLA_S32, 0),
	[POST_POLICY_A_PROHIBIT_IF]	= NLA_POLICY_MIN(NLA_S32, 0),
	[POST_POLICY_A_LINGER_MS]	= NLA_POLICY_FULL_RANGE(NLA_U32, &post_linger_range),
	[POST_POLICY_A_REUSE]		= NLA_POLICY_MAX(NLA_U8, 1),
	[POST_POLICY_A_RESUME]		= NLA_POLICY_MAX(NLA_U8, POST_PREF_MAX),
	[POST_POLICY_A_MPTCP]		= NLA_POLICY_MAX(NLA_U8, POST_PREF_MAX),
};

/* The attribute of each selection property (enum post_prop). */
static const u8 post_prop_attr[__POST_PROP_MAX] = {
	[POST_PROP_RELIABILITY]		= POST_POLICY_A_RELIABILITY,
	[POST_PROP_MSG_BOUNDARIES]	= POST_POLICY_A_MSG_BOUNDARIES,
	[POST_PROP_MULTISTREAMING]	= POST_POLICY_A_MULTISTREAMING,
	[POST_PROP_MULTIPATH]		= POST_POLICY_A_MULTIPATH,
	[POST_PROP_SECURITY]		= POST_POLICY_A_SECURITY,
	[POST_PROP_RESUME]		= POST_POLICY_A_RESUME,
	[POST_PROP_MPTCP]		= POST_POLICY_A_MPTCP,
};

static const struct nla_policy post_nl_policy[POST_A_MAX + 1] = {
	[POST_A_ASSOC_ID]	= NLA_POLICY_MIN(NLA_U32, 1),
	[POST_A_LOCAL]		= NLA_POLICY_NESTED(post_addr_nl_policy),
	[POST_A_REMOTE]		= NLA_POLICY_NESTED(post_addr_nl_policy),
	[POST_A_LINGER_MS]	= NLA_POLICY_FULL_RANGE(NLA_U32, &post_linger_range),
	[POST_A_PATH]		= NLA_POLICY_NESTED(post_path_nl_policy),
	[POST_A_POLICY]		= NLA_POLICY_NESTED(post_policy_nl_policy),
};

static struct genl_family post_nl_family;

/* ---- building messages ------------------------------------------------- */

static int post_nl_put_addr(struct sk_buff *skb, int type,
			    const struct sockaddr_storage *ss, int ifindex)
{
	const struct sockaddr_in *sin = (const void *)ss;
	const struct sockaddr_in6 *sin6 = (const void *)ss;
	struct nlattr *nest;

	if (ss->ss_family == AF_UNSPEC && !ifindex)
		return 0;	/* any: no nest at all */
	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	if (ss->ss_family == AF_INET) {
		if (nla_put_u16(skb, POST_ADDR_A_FAMILY, AF_INET) ||
		    nla_put_in_addr(skb, POST_ADDR_A_ADDR4, sin->sin_addr.s_addr) ||
		    nla_put_u16(skb, POST_ADDR_A_PORT, ntohs(sin->sin_port)))
			goto err;
	} else if (ss->ss_family == AF_INET6) {
		if (nla_put_u16(skb, POST_ADDR_A_FAMILY, AF_INET6) ||
		    nla_put_in6_addr(skb, POST_ADDR_A_ADDR6, &sin6->sin6_addr) ||
		    nla_put_u16(skb, POST_ADDR_A_PORT, ntohs(sin6->sin6_port)))
			goto err;
	}
	if (ifindex && nla_put_s32(skb, POST_ADDR_A_IFINDEX, ifindex))
		goto err;
	nla_nest_end(skb, nest);
	return 0;
err:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static int post_nl_put_path(struct sk_buff *skb, struct post_assoc *a,
			    struct post_path *p)
{
	struct post_path_info pi;
	struct nlattr *nest;

	post_path_props(a, p, &pi);
	nest = nla_nest_start(skb, POST_A_PATH);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, POST_PATH_A_ID, p->id) ||
	    post_nl_put_addr(skb, POST_PATH_A_LOCAL, &p->local, p->ifindex) ||
	    post_nl_put_addr(skb, POST_PATH_A_REMOTE, &p->remote, 0) ||
	    nla_put_u8(skb, POST_PATH_A_BACKUP, !!(p->flags & POST_PATHF_BACKUP)) ||
	    nla_put_u8(skb, POST_PATH_A_ADMIN_UP,
		       !(p->flags & POST_PATHF_ADMIN_DOWN)) ||
	    nla_put_u8(skb, POST_PATH_A_STATE, !!(p->flags & POST_PATHF_UP)) ||
	    nla_put_u32(skb, POST_PATH_A_RTT_US, pi.rtt_us) ||
	    nla_put_u32(skb, POST_PATH_A_RTTVAR_US, pi.rttvar_us) ||
	    nla_put_u64_64bit(skb, POST_PATH_A_DELIVERY_RATE, pi.delivery_rate,
			      POST_PATH_A_PAD) ||
	    nla_put_u32(skb, POST_PATH_A_RETRANS, pi.retrans) ||
	    nla_put_u32(skb, POST_PATH_A_MTU, pi.mtu)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int post_nl_put_stats(struct sk_buff *skb, struct post_assoc *a)
{
	struct post_counters c;
	struct nlattr *nest;

	post_assoc_stats(a, &c);
	nest = nla_nest_start(skb, POST_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, POST_STATS_A_MSGS_SENT, c.msgs_sent,
			      POST_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, POST_STATS_A_MSGS_RECV, c.msgs_recv,
			      POST_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, POST_STATS_A_BYTES_SENT, c.bytes_sent,
			      POST_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, POST_STATS_A_BYTES_RECV, c.bytes_recv,
			      POST_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, POST_STATS_A_CARRIERS_TOTAL,
			      a->stats_carriers, POST_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, POST_STATS_A_RESUMES, a->resumes,
			      POST_STATS_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* An association message.  post_net.lock held. */
static int post_nl_fill_assoc(struct sk_buff *skb, struct post_assoc *a,
			      u32 portid, u32 seq, int flags, u8 cmd,
			      u32 reason)
{
	struct post_path *p;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &post_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, POST_A_ASSOC_ID, a->id) ||
	    nla_put_u8(skb, POST_A_ASSOC_STATE, a->state) ||
	    (a->local.ss_family != AF_UNSPEC &&
	     post_nl_put_addr(skb, POST_A_LOCAL, &a->local, 0)) ||
	    post_nl_put_addr(skb, POST_A_REMOTE, &a->remote, 0) ||
	    nla_put_u32(skb, POST_A_N_CARRIERS, a->n_carriers) ||
	    nla_put_u32(skb, POST_A_LINGER_MS, a->linger_ms) ||
	    (reason && nla_put_u32(skb, POST_A_REASON, reason)) ||
	    post_nl_put_stats(skb, a))
		goto err;
	list_for_each_entry(p, &a->paths, list)
		if (post_nl_put_path(skb, a, p))
			goto err;
	genlmsg_end(skb, hdr);
	return 0;
err:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int post_nl_fill_path(struct sk_buff *skb, struct post_assoc *a,
			     struct post_path *p, u32 portid, u32 seq,
			     int flags, u8 cmd, u32 reason)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &post_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, POST_A_ASSOC_ID, a->id) ||
	    post_nl_put_path(skb, a, p) ||
	    (reason && nla_put_u32(skb, POST_A_REASON, reason))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* A carrier message.  post_net.lock held; the carrier is registered. */
static int post_nl_fill_carrier(struct sk_buff *skb, struct post_sock *ps,
				u32 portid, u32 seq, int flags, u8 cmd,
				u32 reason)
{
	struct sock *sk = &ps->sk;
	struct nlattr *nest, *tnest;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &post_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if ((ps->assoc && nla_put_u32(skb, POST_A_ASSOC_ID, ps->assoc->id)) ||
	    (ps->local.ss_family &&
	     post_nl_put_addr(skb, POST_A_LOCAL, &ps->local, 0)) ||
	    (ps->remote.ss_family &&
	     post_nl_put_addr(skb, POST_A_REMOTE, &ps->remote, 0)) ||
	    (reason && nla_put_u32(skb, POST_A_REASON, reason)))
		goto err;
	nest = nla_nest_start(skb, POST_A_CARRIER);
	if (!nest)
		goto err;
	if (nla_put_u32(skb, POST_CARRIER_A_ID, ps->id) ||
	    nla_put_u16(skb, POST_CARRIER_A_TYPE, sk->sk_type) ||
	    nla_put_u8(skb, POST_CARRIER_A_STATE, READ_ONCE(sk->sk_state)) ||
	    nla_put_u64_64bit(skb, POST_CARRIER_A_INODE, sock_i_ino(sk),
			      POST_CARRIER_A_PAD) ||
	    nla_put_u32(skb, POST_CARRIER_A_QUEUED,
			READ_ONCE(sk->sk_wmem_queued)) ||
	    nla_put_u32(skb, POST_CARRIER_A_RCVQ,
			atomic_read(&sk->sk_rmem_alloc)))
		goto err;
	if (ps->remote.ss_family) {
		tnest = nla_nest_start(skb, POST_CARRIER_A_TRANSIENT);
		if (!tnest ||
		    nla_put_u8(skb, POST_TRANSIENT_A_PROTO, IPPROTO_TCP) ||
		    nla_put_u8(skb, POST_TRANSIENT_A_STATE,
			       READ_ONCE(ps->xprt_state)) ||
		    post_nl_put_addr(skb, POST_TRANSIENT_A_LOCAL, &ps->local, 0) ||
		    post_nl_put_addr(skb, POST_TRANSIENT_A_REMOTE, &ps->remote,
				     0) ||
		    nla_put_u32(skb, POST_TRANSIENT_A_PATH_ID, ps->path_id) ||
		    nla_put_u32(skb, POST_TRANSIENT_A_RTT_US,
				READ_ONCE(ps->pinfo.rtt_us)) ||
		    (READ_ONCE(ps->mptcp) &&
		     (nla_put_u8(skb, POST_TRANSIENT_A_MPTCP_SUBFLOWS,
				 READ_ONCE(ps->mptcp_subflows)) ||
		      nla_put_u32(skb, POST_TRANSIENT_A_MPTCP_FLAGS,
				  READ_ONCE(ps->mptcp_flags)))))
			goto err;
		nla_nest_end(skb, tnest);
	}
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
err:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int post_nl_fill_policy(struct sk_buff *skb, const struct post_policy *pol)
{
	struct nlattr *nest;
	unsigned int i;

	nest = nla_nest_start(skb, POST_A_POLICY);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < ARRAY_SIZE(pol->pref); i++)
		if (nla_put_u8(skb, post_prop_attr[i], pol->pref[i]))
			goto err;
	for (i = 0; i < pol->n_prefer; i++)
		if (nla_put_s32(skb, POST_POLICY_A_PREFER_IF, pol->prefer_if[i]))
			goto err;
	for (i = 0; i < pol->n_prohibit; i++)
		if (nla_put_s32(skb, POST_POLICY_A_PROHIBIT_IF,
				pol->prohibit_if[i]))
			goto err;
	if (nla_put_u32(skb, POST_POLICY_A_LINGER_MS, pol->linger_ms) ||
	    nla_put_u8(skb, POST_POLICY_A_REUSE, pol->reuse))
		goto err;
	nla_nest_end(skb, nest);
	return 0;
err:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/* ---- monitor ----------------------------------------------------------- */

static bool post_nl_listening(struct post_net *pn)
{
	return genl_has_listeners(&post_nl_family, pn->net, POST_NLGRP_MONITOR);
}

static void post_nl_send_event(struct post_net *pn, struct sk_buff *skb,
			       int err)
{
	if (err) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_multicast_netns(&post_nl_family, pn->net, skb, 0,
				POST_NLGRP_MONITOR, GFP_KERNEL);
}

/**
 * post_nl_assoc_event - tell the monitor group about an association
 * @a: the association; post_net.lock held
 * @cmd: POST_CMD_ASSOC_CREATED, _ACTIVE, _DORMANT or _CLOSED
 * @reason: POST_REASON_*
 */
void post_nl_assoc_event(struct post_assoc *a, u8 cmd, u32 reason)
{
	struct sk_buff *skb;

	if (!post_nl_listening(a->pn))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	post_nl_send_event(a->pn, skb,
			   post_nl_fill_assoc(skb, a, 0, 0, 0, cmd, reason));
}

/**
 * post_nl_path_event - tell the monitor group about a path
 * @a: its association; post_net.lock held
 * @p: the path
 * @cmd: POST_CMD_PATH_UP, _DOWN or _CHANGED
 * @reason: POST_REASON_*
 */
void post_nl_path_event(struct post_assoc *a, struct post_path *p, u8 cmd,
			u32 reason)
{
	struct sk_buff *skb;

	if (!post_nl_listening(a->pn))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	post_nl_send_event(a->pn, skb,
			   post_nl_fill_path(skb, a, p, 0, 0, 0, cmd, reason));
}

/**
 * post_nl_carrier_event - tell the monitor group about a carrier
 * @sk: the carrier, locked; post_net.lock held
 * @cmd: POST_CMD_CARRIER_CREATED or _CLOSED
 * @reason: POST_REASON_*
 */
void post_nl_carrier_event(struct sock *sk, u8 cmd, u32 reason)
{
	struct post_net *pn = post_net(sock_net(sk));
	struct sk_buff *skb;

	if (!post_nl_listening(pn))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	post_nl_send_event(pn, skb,
			   post_nl_fill_carrier(skb, post_sk(sk), 0, 0, 0, cmd,
						reason));
}

/* ---- requests ---------------------------------------------------------- */

static struct post_net *post_nl_pn(struct genl_info *info)
{
	return post_net(genl_info_net(info));
}

/*
 * A required attribute is missing: say which in the extack.  A macro,
 * as NL_SET_ERR_MSG() wants a literal.
 */
#define post_nl_missing(info, type, msg) ({				\
	struct genl_info *__info = (info);				\
	bool __missing = !__info->attrs[type];				\
									\
	if (__missing)							\
		NL_SET_ERR_MSG(__info->extack, msg);			\
	__missing;							\
})

static bool post_nl_dev_exists(struct net *net, int ifindex)
{
	bool found;

	rcu_read_lock();
	found = dev_get_by_index_rcu(net, ifindex);
	rcu_read_unlock();
	return found;
}

/* An address nest into @ss; @need_port for remote endpoints. */
static int post_nl_parse_addr(struct nlattr *attr, bool need_port,
			      struct sockaddr_storage *ss, int *ifindex,
			      struct netlink_ext_ack *extack)
{
	struct nlattr *tb[POST_ADDR_A_MAX + 1];
	struct sockaddr_in6 *sin6 = (void *)ss;
	struct sockaddr_in *sin = (void *)ss;
	u16 port = 0;
	int err;

	memset(ss, 0, sizeof(*ss));
	err = nla_parse_nested(tb, POST_ADDR_A_MAX, attr, post_addr_nl_policy,
			       extack);
	if (err)
		return err;
	if (ifindex)
		*ifindex = tb[POST_ADDR_A_IFINDEX] ?
			   nla_get_s32(tb[POST_ADDR_A_IFINDEX]) : 0;
	else if (tb[POST_ADDR_A_IFINDEX]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[POST_ADDR_A_IFINDEX],
				    "an interface is not allowed here");
		return -EINVAL;
	}
	if (tb[POST_ADDR_A_PORT])
		port = nla_get_u16(tb[POST_ADDR_A_PORT]);
	if (!tb[POST_ADDR_A_FAMILY]) {
		if (ifindex && *ifindex && !tb[POST_ADDR_A_ADDR4] &&
		    !tb[POST_ADDR_A_ADDR6] && !need_port)
			return 0;	/* just an interface */
		NL_SET_ERR_MSG_ATTR(extack, attr, "address family missing");
		return -EINVAL;
	}
	switch (nla_get_u16(tb[POST_ADDR_A_FAMILY])) {
	case AF_INET:
	case AF_INET6:
		break;
	default:
		NL_SET_ERR_MSG_ATTR(extack, tb[POST_ADDR_A_FAMILY],
				    "address family must be AF_INET or AF_INET6");
		return -EAFNOSUPPORT;
	}
	if (nla_get_u16(tb[POST_ADDR_A_FAMILY]) == AF_INET) {
		if (!tb[POST_ADDR_A_ADDR4] || tb[POST_ADDR_A_ADDR6]) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "AF_INET needs an IPv4 address only");
			return -EINVAL;
		}
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = nla_get_in_addr(tb[POST_ADDR_A_ADDR4]);
		sin->sin_port = htons(port);
	} else {
		if (!tb[POST_ADDR_A_ADDR6] || tb[POST_ADDR_A_ADDR4]) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "AF_INET6 needs an IPv6 address only");
			return -EINVAL;
		}
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = nla_get_in6_addr(tb[POST_ADDR_A_ADDR6]);
		sin6->sin6_port = htons(port);
	}
	if (need_port && !port) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "remote port missing");
		return -EINVAL;
	}
	return 0;
}

/* The association POST_A_ASSOC_ID names.  post_net.lock held. */
static struct post_assoc *post_nl_get_assoc(struct post_net *pn,
					    struct genl_info *info)
{
	struct post_assoc *a;

	if (post_nl_missing(info, POST_A_ASSOC_ID, "association id missing"))
		return ERR_PTR(-EINVAL);
	a = xa_load(&pn->assocs, nla_get_u32(info->attrs[POST_A_ASSOC_ID]));
	if (!a) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[POST_A_ASSOC_ID],
				    "no association with this id");
		return ERR_PTR(-ENOENT);
	}
	return a;
}

static int post_nl_reply_assoc(struct post_assoc *a, struct genl_info *info)
{
	struct sk_buff *msg;
	int err;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	/* the reply carries the request's command, as genlmsg_iput() does */
	err = post_nl_fill_assoc(msg, a, info->snd_portid, info->snd_seq, 0,
				 info->genlhdr->cmd, 0);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

static int post_nl_assoc_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct post_net *pn = post_nl_pn(info);
	struct post_assoc *a;
	int err;

	mutex_lock(&pn->lock);
	a = post_nl_get_assoc(pn, info);
	err = IS_ERR(a) ? PTR_ERR(a) : post_nl_reply_assoc(a, info);
	mutex_unlock(&pn->lock);
	return err;
}

static int post_nl_assoc_get_dumpit(struct sk_buff *skb,
				    struct netlink_callback *cb)
{
	struct post_net *pn = post_net(sock_net(skb->sk));
	unsigned long id = cb->args[0];
	struct post_assoc *a;
	int err = 0;

	mutex_lock(&pn->lock);
	xa_for_each_start(&pn->assocs, id, a, id) {
		err = post_nl_fill_assoc(skb, a, NETLINK_CB(cb->skb).portid,
					 cb->nlh->nlmsg_seq, NLM_F_MULTI,
					 POST_CMD_ASSOC_GET, 0);
		if (err)
			break;
	}
	mutex_unlock(&pn->lock);
	cb->args[0] = id;
	return err == -EMSGSIZE && skb->len ? skb->len : err;
}

/*
 * The remote candidates of a new association: every POST_A_REMOTE of
 * the request, in order (info->attrs holds only the last one).
 */
static int post_nl_parse_remotes(struct genl_info *info,
				 struct sockaddr_storage *cand,
				 unsigned int *n)
{
	struct nlattr *attr;
	unsigned int i;
	int rem, err;

	*n = 0;
	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(attr) != POST_A_REMOTE)
			continue;
		if (*n == POST_MAX_CANDIDATES) {
			NL_SET_ERR_MSG_ATTR(info->extack, attr,
					    "too many remote candidates");
			return -E2BIG;
		}
		err = post_nl_parse_addr(attr, true, &cand[*n], NULL,
					 info->extack);
		if (err)
			return err;
		for (i = 0; i < *n; i++) {
			if (!memcmp(&cand[i], &cand[*n], sizeof(cand[i]))) {
				NL_SET_ERR_MSG_ATTR(info->extack, attr,
						    "remote candidate listed twice");
				return -EINVAL;
			}
		}
		++*n;
	}
	return 0;
}

static int post_nl_assoc_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sockaddr_storage local = {}, remote, *cand;
	struct post_net *pn = post_nl_pn(info);
	struct post_assoc *a;
	unsigned int i, n;
	int err;

	if (post_nl_missing(info, POST_A_REMOTE, "remote address missing"))
		return -EINVAL;
	cand = kcalloc(POST_MAX_CANDIDATES, sizeof(*cand), GFP_KERNEL);
	if (!cand)
		return -ENOMEM;
	err = post_nl_parse_remotes(info, cand, &n);
	if (err)
		goto out_free;
	remote = cand[0];
	if (info->attrs[POST_A_LOCAL]) {
		err = post_nl_parse_addr(info->attrs[POST_A_LOCAL], false,
					 &local, NULL, info->extack);
		if (err)
			goto out_free;
		if (local.ss_family != remote.ss_family) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[POST_A_LOCAL],
					    "local and remote families differ");
			err = -EINVAL;
			goto out_free;
		}
	}

	mutex_lock(&pn->lock);
	a = post_assoc_new(pn, &local, &remote, false);
	if (IS_ERR(a)) {
		err = PTR_ERR(a);
		goto out;
	}
	a->admin = true;
	a->linger_ms = 0;
	if (info->attrs[POST_A_LINGER_MS])
		a->linger_ms = nla_get_u32(info->attrs[POST_A_LINGER_MS]);
	/*
	 * The first candidate is the association's remote; each further
	 * one is a path to it, as path-add would make.
	 */
	for (i = 1; i < n; i++) {
		struct sockaddr_storage any = {};
		struct post_path *p;

		p = post_path_new(a, cand[i].ss_family == local.ss_family ?
				  &local : &any, &cand[i], 0, 0);
		if (IS_ERR(p)) {
			err = PTR_ERR(p);
			post_assoc_close(a, POST_REASON_ADMIN);
			goto out;
		}
	}
	post_nl_assoc_event(a, POST_CMD_ASSOC_CREATED, POST_REASON_ADMIN);
	post_assoc_linger(a);
	err = post_nl_reply_assoc(a, info);
out:
	mutex_unlock(&pn->lock);
out_free:
	kfree(cand);
	return err;
}

static int post_nl_assoc_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct post_net *pn = post_nl_pn(info);
	struct post_assoc *a;
	int err = 0;

	mutex_lock(&pn->lock);
	a = post_nl_get_assoc(pn, info);
	if (IS_ERR(a)) {
		err = PTR_ERR(a);
	} else if (a->n_carriers) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[POST_A_ASSOC_ID],
				    "association has carriers");
		err = -EBUSY;
	} else {
		post_assoc_close(a, POST_REASON_ADMIN);
	}
	mutex_unlock(&pn->lock);
	return err;
}

static int post_nl_path_get_dumpit(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	const struct genl_info *info = genl_info_dump(cb);
	struct post_net *pn = post_net(sock_net(skb->sk));
	unsigned long id = cb->args[0], filter = 0;
	struct post_assoc *a;
	struct post_path *p;
	int err = 0;

	if (info->attrs[POST_A_ASSOC_ID])
		filter = nla_get_u32(info->attrs[POST_A_ASSOC_ID]);

	mutex_lock(&pn->lock);
	xa_for_each_start(&pn->assocs, id, a, id) {
		if (filter && id != filter)
			continue;
		list_for_each_entry(p, &a->paths, list) {
			if (p->id <= cb->args[1])
				continue;
			err = post_nl_fill_path(skb, a, p,
						NETLINK_CB(cb->skb).portid,
						cb->nlh->nlmsg_seq, NLM_F_MULTI,
						POST_CMD_PATH_GET, 0);
			if (err)
				goto out;
			cb->args[1] = p->id;
		}
		cb->args[1] = 0;
	}
out:
	mutex_unlock(&pn->lock);
	cb->args[0] = id;
	return err == -EMSGSIZE && skb->len ? skb->len : err;
}

/* POST_A_PATH of a path request, parsed. */
static int post_nl_parse_path(struct genl_info *info, struct nlattr **tb)
{
	if (post_nl_missing(info, POST_A_PATH, "path missing"))
		return -EINVAL;
	return nla_parse_nested(tb, POST_PATH_A_MAX, info->attrs[POST_A_PATH],
				post_path_nl_policy, info->extack);
}

static int post_nl_path_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sockaddr_storage local = {}, remote;
	struct post_net *pn = post_nl_pn(info);
	struct nlattr *tb[POST_PATH_A_MAX + 1];
	struct sk_buff *msg = NULL;
	struct post_assoc *a;
	struct post_path *p;
	int ifindex = 0, err;
	u32 flags = 0;

	err = post_nl_parse_path(info, tb);
	if (err)
		return err;
	if (!tb[POST_PATH_A_REMOTE]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[POST_A_PATH],
				    "path remote address missing");
		return -EINVAL;
	}
	err = post_nl_parse_addr(tb[POST_PATH_A_REMOTE], true, &remote, NULL,
				 info->extack);
	if (err)
		return err;
	if (tb[POST_PATH_A_LOCAL]) {
		err = post_nl_parse_addr(tb[POST_PATH_A_LOCAL], false, &local,
					 &ifindex, info->extack);
		if (err)
			return err;
		if (local.ss_family && local.ss_family != remote.ss_family) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[POST_PATH_A_LOCAL],
					    "local and remote families differ");
			return -EINVAL;
		}
		if (ifindex && !post_nl_dev_exists(genl_info_net(info),
						   ifindex)) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[POST_PATH_A_LOCAL],
					    "no such interface");
			return -ENODEV;
		}
	}
	if (tb[POST_PATH_A_BACKUP] && nla_get_u8(tb[POST_PATH_A_BACKUP]))
		flags |= POST_PATHF_BACKUP;
	if (tb[POST_PATH_A_ADMIN_UP] && !nla_get_u8(tb[POST_PATH_A_ADMIN_UP]))
		flags |= POST_PATHF_ADMIN_DOWN;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	mutex_lock(&pn->lock);
	a = post_nl_get_assoc(pn, info);
	if (IS_ERR(a)) {
		err = PTR_ERR(a);
		goto err_unlock;
	}
	if (remote.ss_family != a->remote.ss_family) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[POST_PATH_A_REMOTE],
				    "address family differs from the association's");
		err = -EINVAL;
		goto err_unlock;
	}
	p = post_path_new(a, &local, &remote, ifindex, flags);
	if (IS_ERR(p)) {
		err = PTR_ERR(p);
		if (err == -EEXIST)
			NL_SET_ERR_MSG(info->extack, "path exists already");
		goto err_unlock;
	}
	err = post_nl_fill_path(msg, a, p, info->snd_portid, info->snd_seq, 0,
				info->genlhdr->cmd, 0);
	if (err)
		goto err_unlock;
	post_nl_path_event(a, p, POST_CMD_PATH_CHANGED, POST_REASON_ADMIN);
	post_assoc_kick_joins(a);	/* live carriers start using it */
	mutex_unlock(&pn->lock);
	return genlmsg_reply(msg, info);

err_unlock:
	mutex_unlock(&pn->lock);
	nlmsg_free(msg);
	return err;
}

/* The path POST_A_PATH's id names.  post_net.lock held. */
static struct post_path *post_nl_get_path(struct post_assoc *a,
					  struct genl_info *info,
					  struct nlattr **tb)
{
	struct post_path *p;

	if (!tb[POST_PATH_A_ID]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[POST_A_PATH],
				    "path id missing");
		return ERR_PTR(-EINVAL);
	}
	p = post_path_find(a, nla_get_u32(tb[POST_PATH_A_ID]));
	if (!p) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[POST_PATH_A_ID],
				    "no path with this id");
		return ERR_PTR(-ENOENT);
	}
	return p;
}

static int post_nl_path_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct post_net *pn = post_nl_pn(info);
	struct nlattr *tb[POST_PATH_A_MAX + 1];
	struct post_assoc *a;
	struct post_path *p;
	int err;

	err = post_nl_parse_path(info, tb);
	if (err)
		return err;
	mutex_lock(&pn->lock);
	a = post_nl_get_assoc(pn, info);
	if (IS_ERR(a)) {
		err = PTR_ERR(a);
		goto out;
	}
	p = post_nl_get_path(a, info, tb);
	if (IS_ERR(p)) {
		err = PTR_ERR(p);
		goto out;
	}
	if (p->flags & POST_PATHF_UP) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[POST_PATH_A_ID],
				    "a carrier uses this path");
		err = -EBUSY;
		goto out;
	}
	post_nl_path_event(a, p, POST_CMD_PATH_DOWN, POST_REASON_ADMIN);
	post_path_del(a, p);
out:
	mutex_unlock(&pn->lock);
	return err;
}

static int post_nl_path_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct post_net *pn = post_nl_pn(info);
	struct nlattr *tb[POST_PATH_A_MAX + 1];
	struct post_assoc *a;
	struct post_path *p;
	int err;

	err = post_nl_parse_path(info, tb);
	if (err)
		return err;
	if (!tb[POST_PATH_A_BACKUP] && !tb[POST_PATH_A_ADMIN_UP]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[POST_A_PATH],
				    "nothing to change: backup or admin-up");
		return -EINVAL;
	}
	if (tb[POST_PATH_A_LOCAL] || tb[POST_PATH_A_REMOTE]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[POST_A_PATH],
				    "a path's addresses cannot change");
		return -EINVAL;
	}
	mutex_lock(&pn->lock);
	a = post_nl_get_assoc(pn, info);
	if (IS_ERR(a)) {
		err = PTR_ERR(a);
		goto out;
	}
	p = post_nl_get_path(a, info, tb);
	if (IS_ERR(p)) {
		err = PTR_ERR(p);
		goto out;
	}
	if (tb[POST_PATH_A_BACKUP]) {
		p->flags &= ~POST_PATHF_BACKUP;
		if (nla_get_u8(tb[POST_PATH_A_BACKUP]))
			p->flags |= POST_PATHF_BACKUP;
	}
	if (tb[POST_PATH_A_ADMIN_UP]) {
		p->flags &= ~POST_PATHF_ADMIN_DOWN;
		if (!nla_get_u8(tb[POST_PATH_A_ADMIN_UP]))
			p->flags |= POST_PATHF_ADMIN_DOWN;
	}
	post_nl_path_event(a, p, POST_CMD_PATH_CHANGED, POST_REASON_ADMIN);
	post_assoc_kick_admin(a);	/* live carriers follow */
out:
	mutex_unlock(&pn->lock);
	return err;
}

static int post_nl_policy_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct post_net *pn = post_nl_pn(info);
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_iput(msg, info);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_free;
	}
	mutex_lock(&pn->lock);
	err = post_nl_fill_policy(msg, &pn->policy);
	mutex_unlock(&pn->lock);
	if (err)
		goto err_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return err;
}

/* A list of interfaces: all of @type in @nest, or one 0 to clear. */
static int post_nl_parse_ifs(struct net *net, struct nlattr *nest, int type,
			     int *ifs, u8 *n, struct netlink_ext_ack *extack)
{
	struct nlattr *attr;
	int rem, cnt = 0, i;

	nla_for_each_nested(attr, nest, rem) {
		int ifindex;

		if (nla_type(attr) != type)
			continue;
		ifindex = nla_get_s32(attr);
		if (!ifindex)
			continue;
		if (cnt == POST_POLICY_MAX_IFS) {
			NL_SET_ERR_MSG_ATTR(extack, attr, "too many interfaces");
			return -E2BIG;
		}
		if (!post_nl_dev_exists(net, ifindex)) {
			NL_SET_ERR_MSG_ATTR(extack, attr, "no such interface");
			return -ENODEV;
		}
		for (i = 0; i < cnt; i++)
			if (ifs[i] == ifindex)
				break;
		if (i < cnt) {
			NL_SET_ERR_MSG_ATTR(extack, attr, "interface listed twice");
			return -EINVAL;
		}
		ifs[cnt++] = ifindex;
	}
	*n = cnt;
	return 0;
}

static int post_nl_policy_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[POST_POLICY_A_MAX + 1], *nest;
	struct post_net *pn = post_nl_pn(info);
	struct net *net = genl_info_net(info);
	struct post_policy pol;
	struct sk_buff *msg;
	unsigned int i;
	int err;

	if (post_nl_missing(info, POST_A_POLICY, "policy missing"))
		return -EINVAL;
	nest = info->attrs[POST_A_POLICY];
	err = nla_parse_nested(tb, POST_POLICY_A_MAX, nest,
			       post_policy_nl_policy, info->extack);
	if (err)
		return err;

	mutex_lock(&pn->lock);
	pol = pn->policy;
	for (i = 0; i < ARRAY_SIZE(pol.pref); i++)
		if (tb[post_prop_attr[i]])
			pol.pref[i] = nla_get_u8(tb[post_prop_attr[i]]);
	if (tb[POST_POLICY_A_PREFER_IF]) {
		err = post_nl_parse_ifs(net, nest, POST_POLICY_A_PREFER_IF,
					pol.prefer_if, &pol.n_prefer,
					info->extack);
		if (err)
			goto out;
	}
	if (tb[POST_POLICY_A_PROHIBIT_IF]) {
		err = post_nl_parse_ifs(net, nest, POST_POLICY_A_PROHIBIT_IF,
					pol.prohibit_if, &pol.n_prohibit,
					info->extack);
		if (err)
			goto out;
	}
	if (tb[POST_POLICY_A_LINGER_MS])
		pol.linger_ms = nla_get_u32(tb[POST_POLICY_A_LINGER_MS]);
	if (tb[POST_POLICY_A_REUSE])
		pol.reuse = nla_get_u8(tb[POST_POLICY_A_REUSE]);
	pn->policy = pol;

	if (post_nl_listening(pn)) {
		msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
		if (msg) {
			void *hdr = genlmsg_put(msg, 0, 0, &post_nl_family, 0,
						POST_CMD_POLICY_CHANGED);

			err = hdr ? post_nl_fill_policy(msg, &pol) : -EMSGSIZE;
			if (!err)
				genlmsg_end(msg, hdr);
			post_nl_send_event(pn, msg, err);
			err = 0;
		}
	}
out:
	mutex_unlock(&pn->lock);
	return err;
}

static int post_nl_carrier_get_dumpit(struct sk_buff *skb,
				      struct netlink_callback *cb)
{
	const struct genl_info *info = genl_info_dump(cb);
	struct post_net *pn = post_net(sock_net(skb->sk));
	unsigned long id = cb->args[0];
	struct post_sock *ps;
	u32 filter = 0;
	int err = 0;

	if (info->attrs[POST_A_ASSOC_ID])
		filter = nla_get_u32(info->attrs[POST_A_ASSOC_ID]);

	mutex_lock(&pn->lock);
	xa_for_each_start(&pn->carriers, id, ps, id) {
		if (filter && (!ps->assoc || ps->assoc->id != filter))
			continue;
		err = post_nl_fill_carrier(skb, ps, NETLINK_CB(cb->skb).portid,
					   cb->nlh->nlmsg_seq, NLM_F_MULTI,
					   POST_CMD_CARRIER_GET, 0);
		if (err)
			break;
	}
	mutex_unlock(&pn->lock);
	cb->args[0] = id;
	return err == -EMSGSIZE && skb->len ? skb->len : err;
}

static const struct nla_policy post_nl_id_policy[POST_A_ASSOC_ID + 1] = {
	[POST_A_ASSOC_ID]	= NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct genl_split_ops post_nl_ops[] = {
	{
		.cmd		= POST_CMD_ASSOC_GET,
		.doit		= post_nl_assoc_get_doit,
		.policy		= post_nl_id_policy,
		.maxattr	= POST_A_ASSOC_ID,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= POST_CMD_ASSOC_GET,
		.dumpit		= post_nl_assoc_get_dumpit,
		.flags		= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= POST_CMD_ASSOC_NEW,
		.doit		= post_nl_assoc_new_doit,
		.policy		= post_nl_policy,
		.maxattr	= POST_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= POST_CMD_ASSOC_DEL,
		.doit		= post_nl_assoc_del_doit,
		.policy		= post_nl_id_policy,
		.maxattr	= POST_A_ASSOC_ID,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= POST_CMD_PATH_GET,
		.dumpit		= post_nl_path_get_dumpit,
		.policy		= post_nl_id_policy,
		.maxattr	= POST_A_ASSOC_ID,
		.flags		= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= POST_CMD_PATH_ADD,
		.doit		= post_nl_path_add_doit,
		.policy		= post_nl_policy,
		.maxattr	= POST_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= POST_CMD_PATH_DEL,
		.doit		= post_nl_path_del_doit,
		.policy		= post_nl_policy,
		.maxattr	= POST_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= POST_CMD_PATH_SET,
		.doit		= post_nl_path_set_doit,
		.policy		= post_nl_policy,
		.maxattr	= POST_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= POST_CMD_POLICY_GET,
		.doit		= post_nl_policy_get_doit,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= POST_CMD_POLICY_SET,
		.doit		= post_nl_policy_set_doit,
		.policy		= post_nl_policy,
		.maxattr	= POST_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= POST_CMD_CARRIER_GET,
		.dumpit		= post_nl_carrier_get_dumpit,
		.policy		= post_nl_id_policy,
		.maxattr	= POST_A_ASSOC_ID,
		.flags		= GENL_CMD_CAP_DUMP,
	},
};

static const struct genl_multicast_group post_nl_mcgrps[] = {
	[POST_NLGRP_MONITOR] = { .name = POST_MCGRP_MONITOR, },
};

static struct genl_family post_nl_family = {
	.name		= POST_FAMILY_NAME,
	.version	= POST_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.split_ops	= post_nl_ops,
	.n_split_ops	= ARRAY_SIZE(post_nl_ops),
	.mcgrps		= post_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(post_nl_mcgrps),
};

int __init post_nl_init(void)
{
	return genl_register_family(&post_nl_family);
}

void post_nl_exit(void)
{
	genl_unregister_family(&post_nl_family);
}
