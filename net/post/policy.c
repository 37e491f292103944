// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST: Post Sockets message carriers.
 *
 * Policy: the selection properties of the TAPS model, as the namespace's
 * system policy (netlink) and a carrier's own (POST_POLICY), combined
 * when the carrier connects or listens.  A system prohibit always wins;
 * otherwise a carrier's preference replaces the system's.
 */

#include <linux/inetdevice.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/netdevice.h>
#include <linux/uaccess.h>
#include <net/addrconf.h>
#include <net/ip6_route.h>
#include <net/route.h>
#include <net/sock.h>

#include "protocol.h"

/*
 * The carrier's own preference for @prop: from POST_POLICY, and for
 * POST_PROP_MPTCP from the protocol socket() was given, if any
 * (IPPROTO_MPTCP requires it, IPPROTO_TCP prohibits it).
 */
static u8 post_policy_own(struct sock *sk, int prop)
{
	struct post_sock *ps = post_sk(sk);

	if (prop == POST_PROP_MPTCP && sk->sk_protocol)
		return sk->sk_protocol == IPPROTO_MPTCP ? POST_PREF_REQUIRE :
							  POST_PREF_PROHIBIT;
	if (test_bit(POST_F_POLICY, &ps->flags))
		return ps->policy.pref[prop];
	return POST_PREF_NONE;
}

/**
 * post_policy_pref - a carrier's preference for a selection property
 * @sk: the carrier
 * @prop: enum post_prop
 *
 * Return: enum post_pref, the system's and the carrier's combined.
 */
u8 post_policy_pref(struct sock *sk, int prop)
{
	struct post_net *pn = post_net(sock_net(sk));
	u8 sys = READ_ONCE(pn->policy.pref[prop]);
	u8 own = post_policy_own(sk, prop);

	if (sys == POST_PREF_PROHIBIT)
		return POST_PREF_PROHIBIT;
	return own ?: sys;
}

/* Does the carrier want @prop (require or prefer)? */
bool post_policy_wants(struct sock *sk, int prop)
{
	u8 pref = post_policy_pref(sk, prop);

	return pref == POST_PREF_REQUIRE || pref == POST_PREF_PREFER;
}

/**
 * post_policy_linger - how long a dormant carrier waits to resume
 * @sk: the carrier
 *
 * Return: milliseconds: the carrier's linger time, else the system's.
 */
u32 post_policy_linger(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);

	if (test_bit(POST_F_POLICY, &ps->flags) && ps->policy.linger_ms)
		return ps->policy.linger_ms;
	return READ_ONCE(post_net(sock_net(sk))->policy.linger_ms);
}

/* Does a message (or stream) carrier over TCP have property @prop? */
static bool post_prop_offered(struct sock *sk, int prop)
{
	switch (prop) {
	case POST_PROP_RELIABILITY:
	case POST_PROP_MPTCP:
		return true;
	case POST_PROP_MSG_BOUNDARIES:
	case POST_PROP_RESUME:
	case POST_PROP_MULTIPATH:
		return post_is_msg(sk);
	default:
		/* multistreaming, security: not yet */
		return false;
	}
}

static bool post_if_listed(const int *ifs, unsigned int n, int ifindex)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (ifs[i] == ifindex)
			return true;
	return false;
}

/* Is @ifindex prohibited by the system or the carrier?  pn->lock held. */
static bool post_if_prohibited(struct post_net *pn, struct post_sock *ps,
			       int ifindex)
{
	if (post_if_listed(pn->policy.prohibit_if, pn->policy.n_prohibit,
			   ifindex))
		return true;
	return test_bit(POST_F_POLICY, &ps->flags) &&
	       post_if_listed(ps->policy.prohibit_if, ps->policy.n_prohibit,
			      ifindex);
}

/* An interface that is up and not loopback: worth binding to. */
static bool post_if_usable(struct net *net, int ifindex)
{
	struct net_device *dev;
	bool ok;

	rcu_read_lock();
	dev = dev_get_by_index_rcu(net, ifindex);
	ok = dev && (dev->flags & IFF_UP) && !(dev->flags & IFF_LOOPBACK) &&
	     netif_carrier_ok(dev);
	rcu_read_unlock();
	return ok;
}

/*
 * The interface a connection to @addr would leave by, bound to @oif if
 * that is not 0.  Return: its ifindex or a negative errno.
 */
static int post_route_dev(struct net *net, const struct sockaddr *addr,
			  int oif)
{
	int ifindex;

	if (addr->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)addr;
		struct flowi4 fl4 = {
			.daddr		= sin->sin_addr.s_addr,
			.flowi4_oif	= oif,
			.flowi4_proto	= IPPROTO_TCP,
		};
		struct rtable *rt = ip_route_output_key(net, &fl4);

		if (IS_ERR(rt))
			return PTR_ERR(rt);
		ifindex = rt->dst.dev->ifindex;
		ip_rt_put(rt);
		return ifindex;
	}
#if IS_ENABLED(CONFIG_IPV6)
	if (addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)addr;
		struct flowi6 fl6 = {
			.daddr		= sin6->sin6_addr,
			.flowi6_oif	= oif,
			.flowi6_proto	= IPPROTO_TCP,
		};
		struct dst_entry *dst = ip6_route_output(net, NULL, &fl6);
		int err = dst->error;

		ifindex = err ? err : dst->dev->ifindex;
		dst_release(dst);
		return ifindex;
	}
#endif
	return -EAFNOSUPPORT;
}

/**
 * post_policy_routable - does routing reach @addr now?
 * @sk: the carrier
 * @addr: a peer's address
 * @oif: the interface the transient would be bound to, or 0
 *
 * A link that went down took its routes with it: a path over it is not
 * worth a connection attempt until they are back.
 */
bool post_policy_routable(struct sock *sk, const struct sockaddr *addr,
			  int oif)
{
	return post_route_dev(sock_net(sk), addr,
			      oif ?: READ_ONCE(sk->sk_bound_dev_if)) > 0;
}

/*
 * Interfaces: a preferred interface that reaches @addr is used, one the
 * policy prohibits never is.  Return: the interface to bind the
 * transient to (0: leave it to routing), or a negative errno.
 */
static int post_policy_ifs(struct sock *sk, const struct sockaddr *addr)
{
	struct post_net *pn = post_net(sock_net(sk));
	struct post_sock *ps = post_sk(sk);
	int prefer[2 * POST_POLICY_MAX_IFS];
	int bound = READ_ONCE(sk->sk_bound_dev_if);
	unsigned int i, n = 0;
	bool any_prohibit;
	int dev, err = 0;

	mutex_lock(&pn->lock);
	any_prohibit = pn->policy.n_prohibit ||
		       (test_bit(POST_F_POLICY, &ps->flags) &&
			ps->policy.n_prohibit);
	if (bound) {
		err = post_if_prohibited(pn, ps, bound) ? -EACCES : 0;
		goto out;
	}
	if (test_bit(POST_F_POLICY, &ps->flags))
		for (i = 0; i < ps->policy.n_prefer; i++)
			prefer[n++] = ps->policy.prefer_if[i];
	for (i = 0; i < pn->policy.n_prefer; i++)
		prefer[n++] = pn->policy.prefer_if[i];
	for (i = 0; i < n; i++) {
		if (post_if_prohibited(pn, ps, prefer[i]) ||
		    !post_if_usable(sock_net(sk), prefer[i]))
			continue;
		if (post_route_dev(sock_net(sk), addr, prefer[i]) == prefer[i]) {
			err = prefer[i];
			goto out;
		}
	}
	if (any_prohibit) {
		dev = post_route_dev(sock_net(sk), addr, 0);
		if (dev > 0 && post_if_prohibited(pn, ps, dev))
			err = -ENETUNREACH;	/* no allowed route */
	}
out:
	mutex_unlock(&pn->lock);
	return err;
}

/**
 * post_policy_check - can the carrier's policy be met?
 * @sk: the carrier, locked, about to connect (@addr) or listen (NULL)
 * @addr: the peer's address, checked against the interface policy
 *
 * Return: the interface to bind the transient to (0 for any), -EACCES
 * if the carrier requires what the system prohibits (or is bound to a
 * prohibited interface), -EPROTONOSUPPORT if no transport offers what
 * it requires or all offer what it prohibits, -ENETUNREACH if the only
 * route is through a prohibited interface.
 */
int post_policy_check(struct sock *sk, const struct sockaddr *addr)
{
	struct post_net *pn = post_net(sock_net(sk));
	int prop;

	for (prop = 0; prop < __POST_PROP_MAX; prop++) {
		u8 sys = READ_ONCE(pn->policy.pref[prop]);
		u8 own = post_policy_own(sk, prop);
		u8 pref = post_policy_pref(sk, prop);
		bool offered = post_prop_offered(sk, prop);

		if (own == POST_PREF_REQUIRE && sys == POST_PREF_PROHIBIT)
			return -EACCES;
		if (pref == POST_PREF_REQUIRE && !offered)
			return -EPROTONOSUPPORT;
		/*
		 * Resuming and using several paths are choices, not part
		 * of the transport: prohibited, the carrier does without;
		 * MPTCP prohibited, it uses TCP.
		 */
		if (pref == POST_PREF_PROHIBIT && offered &&
		    prop != POST_PROP_RESUME && prop != POST_PROP_MULTIPATH &&
		    prop != POST_PROP_MPTCP)
			return -EPROTONOSUPPORT;
	}
	return addr ? post_policy_ifs(sk, addr) : 0;
}

/**
 * post_policy_setsockopt - POST_POLICY: the carrier's own policy
 * @sk: the carrier
 * @optval: struct post_policy_opt, possibly shorter
 * @optlen: its length
 *
 * Return: 0, -EINVAL for a value out of range or a reserved field set,
 * -ENODEV for an interface that does not exist, -EISCONN once the
 * carrier connected or listens.
 */
int post_policy_setsockopt(struct sock *sk, sockptr_t optval,
			   unsigned int optlen)
{
	struct post_policy_opt opt = {};
	struct post_sock *ps = post_sk(sk);
	struct post_policy pol = {};
	unsigned int i, j;
	int err = 0;

	if (optlen > sizeof(opt)) {
		/* a later, longer version: the rest must be zero */
		err = check_zeroed_sockptr(optval, sizeof(opt),
					   optlen - sizeof(opt));
		if (err <= 0)
			return err ?: -EINVAL;
		err = 0;
		optlen = sizeof(opt);
	}
	if (copy_from_sockptr(&opt, optval, optlen))
		return -EFAULT;

	for (i = 0; i < ARRAY_SIZE(opt.pref); i++) {
		if (opt.pref[i] > POST_PREF_MAX ||
		    (i >= __POST_PROP_MAX && opt.pref[i]))
			return -EINVAL;
		if (i < __POST_PROP_MAX)
			pol.pref[i] = opt.pref[i];
	}
	if (opt.linger_ms > POST_MAX_LINGER_MS ||
	    opt.n_prefer_if > POST_POLICY_MAX_IFS ||
	    opt.n_prohibit_if > POST_POLICY_MAX_IFS)
		return -EINVAL;
	pol.linger_ms = opt.linger_ms;
	for (i = 0; i < POST_POLICY_MAX_IFS; i++) {
		int p = opt.prefer_if[i], q = opt.prohibit_if[i];

		if ((i >= opt.n_prefer_if && p) ||
		    (i >= opt.n_prohibit_if && q))
			return -EINVAL;
		if ((i < opt.n_prefer_if && p <= 0) ||
		    (i < opt.n_prohibit_if && q <= 0))
			return -EINVAL;
		for (j = 0; j < i; j++)
			if ((i < opt.n_prefer_if && opt.prefer_if[j] == p) ||
			    (i < opt.n_prohibit_if && opt.prohibit_if[j] == q))
				return -EINVAL;
	}
	rcu_read_lock();
	for (i = 0; i < opt.n_prefer_if && !err; i++)
		if (!dev_get_by_index_rcu(sock_net(sk), opt.prefer_if[i]))
			err = -ENODEV;
	for (i = 0; i < opt.n_prohibit_if && !err; i++)
		if (!dev_get_by_index_rcu(sock_net(sk), opt.prohibit_if[i]))
			err = -ENODEV;
	rcu_read_unlock();
	if (err)
		return err;
	pol.n_prefer = opt.n_prefer_if;
	pol.n_prohibit = opt.n_prohibit_if;
	memcpy(pol.prefer_if, opt.prefer_if, sizeof(pol.prefer_if));
	memcpy(pol.prohibit_if, opt.prohibit_if, sizeof(pol.prohibit_if));

	lock_sock(sk);
	if (sk->sk_state != TCP_CLOSE || ps->assoc) {
		err = -EISCONN;
	} else {
		ps->policy = pol;
		set_bit(POST_F_POLICY, &ps->flags);
	}
	release_sock(sk);
	return err;
}

/**
 * post_policy_getsockopt - POST_POLICY: the carrier's own policy
 * @sk: the carrier
 * @optval: room for struct post_policy_opt
 * @optlen: its length; set to what was copied
 *
 * A carrier without its own policy returns an empty one.
 *
 * Return: 0 or a negative errno.
 */
int post_policy_getsockopt(struct sock *sk, char __user *optval,
			   int __user *optlen)
{
	struct post_policy_opt opt = {};
	struct post_sock *ps = post_sk(sk);
	unsigned int i;
	int len;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	len = min_t(unsigned int, len, sizeof(opt));

	lock_sock(sk);
	if (test_bit(POST_F_POLICY, &ps->flags)) {
		for (i = 0; i < __POST_PROP_MAX; i++)
			opt.pref[i] = ps->policy.pref[i];
		opt.linger_ms = ps->policy.linger_ms;
		opt.n_prefer_if = ps->policy.n_prefer;
		opt.n_prohibit_if = ps->policy.n_prohibit;
		memcpy(opt.prefer_if, ps->policy.prefer_if,
		       sizeof(opt.prefer_if));
		memcpy(opt.prohibit_if, ps->policy.prohibit_if,
		       sizeof(opt.prohibit_if));
	}
	release_sock(sk);

	if (put_user(len, optlen) || copy_to_user(optval, &opt, len))
		return -EFAULT;
	return 0;
}

/* @dev's global IPv4 addresses but @own, from out[@n] on.  RCU held. */
static int post_addrs4(struct net_device *dev, __be32 own, __be16 port,
		       struct post_adv_addr *out, int n)
{
	struct in_device *in_dev = __in_dev_get_rcu(dev);
	const struct in_ifaddr *ifa;

	if (!in_dev)
		return n;
	in_dev_for_each_ifa_rcu(ifa, in_dev) {
		if (n == POST_MAX_ADVERTISED)
			break;
		if (ifa->ifa_scope != RT_SCOPE_UNIVERSE ||
		    ifa->ifa_local == own)
			continue;
		out[n].family = AF_INET;
		out[n].port = port;
		out[n++].v4 = ifa->ifa_local;
	}
	return n;
}

#if IS_ENABLED(CONFIG_IPV6)
/* @dev's usable global IPv6 addresses but @own.  RCU held. */
static int post_addrs6(struct net_device *dev, const struct in6_addr *own,
		       __be16 port, struct post_adv_addr *out, int n)
{
	struct inet6_dev *idev = __in6_dev_get(dev);
	const struct inet6_ifaddr *ifp;

	if (!idev)
		return n;
	read_lock_bh(&idev->lock);
	list_for_each_entry(ifp, &idev->addr_list, if_list) {
		if (n == POST_MAX_ADVERTISED)
			break;
		if (ifp->scope || (ifp->flags & (IFA_F_TENTATIVE |
						 IFA_F_DADFAILED |
						 IFA_F_DEPRECATED)) ||
		    ipv6_addr_equal(&ifp->addr, own))
			continue;
		out[n].family = AF_INET6;
		out[n].port = port;
		out[n++].v6 = ifp->addr;
	}
	read_unlock_bh(&idev->lock);
	return n;
}
#endif

/**
 * post_policy_local_addrs - the addresses a carrier may advertise
 * @sk: the carrier
 * @tsk: its transient's socket, connected: the family, address and port
 * @out: room for POST_MAX_ADVERTISED addresses
 *
 * The global addresses of @tsk's family (IPv4 for an IPv4-mapped
 * connection) on the namespace's interfaces that are up, not loopback
 * and not prohibited by the policy, other than @tsk's own, with @tsk's
 * port.
 *
 * Return: how many.
 */
int post_policy_local_addrs(struct sock *sk, struct sock *tsk,
			    struct post_adv_addr *out)
{
	struct post_net *pn = post_net(sock_net(sk));
	__be16 port = inet_sk(tsk)->inet_sport;
	struct post_sock *ps = post_sk(sk);
	struct net_device *dev;
	bool v6 = false;
	int n = 0;

#if IS_ENABLED(CONFIG_IPV6)
	v6 = tsk->sk_family == AF_INET6 &&
	     !ipv6_addr_v4mapped(&tsk->sk_v6_rcv_saddr);
#endif
	mutex_lock(&pn->lock);
	rcu_read_lock();
	for_each_netdev_rcu(sock_net(sk), dev) {
		if (n == POST_MAX_ADVERTISED)
			break;
		if (!(dev->flags & IFF_UP) || (dev->flags & IFF_LOOPBACK) ||
		    !netif_carrier_ok(dev) ||
		    post_if_prohibited(pn, ps, dev->ifindex))
			continue;
#if IS_ENABLED(CONFIG_IPV6)
		if (v6) {
			n = post_addrs6(dev, &tsk->sk_v6_rcv_saddr, port, out,
					n);
			continue;
		}
#endif
		n = post_addrs4(dev, inet_sk(tsk)->inet_saddr, port, out, n);
	}
	rcu_read_unlock();
	mutex_unlock(&pn->lock);
	return n;
}
