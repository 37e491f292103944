// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST: associations, their paths, carriers and the system policy of
 * a network namespace.
 *
 * An association is the long-lived relation between a local and a
 * remote endpoint.  Carriers join one when they connect or are
 * accepted, the administrator may create one beforehand, and it stays
 * dormant for its linger time once its last carrier is gone.
 *
 * Everything here is per network namespace and protected by that
 * namespace's post_net.lock, a mutex taken in process context only,
 * after the carrier's socket lock when both are held.  Fields that
 * carriers update on the data path are atomics or read with
 * READ_ONCE().
 */

#include <linux/error-injection.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/unaligned.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "protocol.h"

/* Sample a carrier's transport for its path at most this often. */
#define POST_PATH_SAMPLE	(HZ / 10)

static void post_assoc_linger_work(struct work_struct *work);

static void post_assoc_free(struct post_assoc *a)
{
	struct post_path *p, *tmp;

	list_for_each_entry_safe(p, tmp, &a->paths, list)
		kfree(p);
	kfree(a);
}

void post_assoc_put(struct post_assoc *a)
{
	if (refcount_dec_and_test(&a->refcnt))
		post_assoc_free(a);
}

/**
 * post_addr_eq - do two IPv4 or IPv6 addresses match
 * @x: one address
 * @y: the other
 * @port: compare the ports too
 *
 * Only family, address and (with @port) port count: not the IPv6 flow
 * information or scope, nor the bytes after the sockaddr.
 */
bool post_addr_eq(const struct sockaddr_storage *x,
		  const struct sockaddr_storage *y, bool port)
{
	const struct sockaddr_in *x4 = (const void *)x, *y4 = (const void *)y;
	const struct sockaddr_in6 *x6 = (const void *)x, *y6 = (const void *)y;

	if (x->ss_family != y->ss_family)
		return false;
	if (x->ss_family == AF_INET)
		return x4->sin_addr.s_addr == y4->sin_addr.s_addr &&
		       (!port || x4->sin_port == y4->sin_port);
	return ipv6_addr_equal(&x6->sin6_addr, &y6->sin6_addr) &&
	       (!port || x6->sin6_port == y6->sin6_port);
}

static bool post_addr_any(const struct sockaddr_storage *x)
{
	const struct sockaddr_in *x4 = (const void *)x;
	const struct sockaddr_in6 *x6 = (const void *)x;

	if (x->ss_family == AF_INET)
		return x4->sin_addr.s_addr == htonl(INADDR_ANY);
	return ipv6_addr_any(&x6->sin6_addr);
}

/**
 * post_path_new - add a path to an association
 * @a: the association; post_net.lock held
 * @local: local end (family AF_UNSPEC for any)
 * @remote: remote end
 * @ifindex: local interface, 0 for any
 * @flags: POST_PATHF_*
 *
 * Return: the path, or an ERR_PTR: -EEXIST for a duplicate, -ENOMEM.
 */
struct post_path *post_path_new(struct post_assoc *a,
				const struct sockaddr_storage *local,
				const struct sockaddr_storage *remote,
				int ifindex, u32 flags)
{
	struct post_path *p;

	list_for_each_entry(p, &a->paths, list)
		if (p->ifindex == ifindex &&
		    post_addr_eq(&p->remote, remote, true) &&
		    p->local.ss_family == local->ss_family &&
		    (local->ss_family == AF_UNSPEC ||
		     post_addr_eq(&p->local, local, false)))
			return ERR_PTR(-EEXIST);

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return ERR_PTR(-ENOMEM);
	p->id = ++a->next_path_id;
	p->local = *local;
	p->remote = *remote;
	p->ifindex = ifindex;
	p->flags = flags;
	list_add_tail(&p->list, &a->paths);
	a->n_paths++;
	return p;
}

/*
 * The path of @a from @local to @remote (@port: the remote port counts
 * too), or a new one.  A path without a local address matches any.
 * Return: the path or an ERR_PTR from post_path_new(); pn->lock held.
 */
static struct post_path *post_path_get(struct post_assoc *a,
				       const struct sockaddr_storage *local,
				       const struct sockaddr_storage *remote,
				       bool port)
{
	struct post_path *p;

	list_for_each_entry(p, &a->paths, list)
		if (post_addr_eq(&p->remote, remote, port) &&
		    (p->local.ss_family == AF_UNSPEC ||
		     post_addr_eq(&p->local, local, false)))
			return p;
	return post_path_new(a, local, remote, 0, 0);
}

struct post_path *post_path_find(struct post_assoc *a, u32 id)
{
	struct post_path *p;

	list_for_each_entry(p, &a->paths, list)
		if (p->id == id)
			return p;
	return NULL;
}

void post_path_del(struct post_assoc *a, struct post_path *p)
{
	list_del(&p->list);
	a->n_paths--;
	kfree(p);
}

/**
 * post_assoc_new - create an association
 * @pn: the namespace's state; its lock held
 * @local: local endpoint (family AF_UNSPEC for any)
 * @remote: remote endpoint
 * @passive: created for an accepted carrier
 *
 * The caller finishes setting it up, then announces it to the monitor
 * (POST_CMD_ASSOC_CREATED).
 *
 * Return: the association, holding the registry's reference, or an
 * ERR_PTR.
 */
struct post_assoc *post_assoc_new(struct post_net *pn,
				  const struct sockaddr_storage *local,
				  const struct sockaddr_storage *remote,
				  bool passive)
{
	struct post_assoc *a;
	int err;

	lockdep_assert_held(&pn->lock);
	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return ERR_PTR(-ENOMEM);
	refcount_set(&a->refcnt, 1);
	a->pn = pn;
	a->local = *local;
	a->remote = *remote;
	a->passive = passive;
	a->state = POST_ASSOC_DORMANT;
	a->linger_ms = pn->policy.linger_ms;
	INIT_LIST_HEAD(&a->paths);
	INIT_LIST_HEAD(&a->carriers);
	INIT_DELAYED_WORK(&a->linger_work, post_assoc_linger_work);

	err = xa_alloc_cyclic(&pn->assocs, &a->id, a, xa_limit_31b,
			      &pn->next_assoc_id, GFP_KERNEL);
	if (err < 0) {
		kfree(a);
		return ERR_PTR(err);
	}
	return a;
}

/**
 * post_assoc_close - take an association out of its namespace
 * @a: the association, without carriers; post_net.lock held
 * @reason: POST_REASON_* for the monitor
 *
 * Drops the registry's reference.  A pending linger work holds its own.
 */
void post_assoc_close(struct post_assoc *a, u32 reason)
{
	struct post_net *pn = a->pn;

	lockdep_assert_held(&pn->lock);
	WRITE_ONCE(a->state, POST_ASSOC_CLOSED);
	xa_erase(&pn->assocs, a->id);
	post_nl_assoc_event(a, POST_CMD_ASSOC_CLOSED, reason);
	if (cancel_delayed_work(&a->linger_work))
		post_assoc_put(a);	/* the work's reference */
	post_assoc_put(a);
}

/**
 * post_assoc_linger - a dormant association starts its linger time
 * @a: the association; post_net.lock held
 *
 * It closes when the time ends without a carrier joining.  An
 * administrator's association without a linger time stays until it is
 * deleted.
 */
void post_assoc_linger(struct post_assoc *a)
{
	lockdep_assert_held(&a->pn->lock);
	if (!a->linger_ms)
		return;
	refcount_inc(&a->refcnt);
	if (!queue_delayed_work(post_wq, &a->linger_work,
				msecs_to_jiffies(a->linger_ms)))
		post_assoc_put(a);
}

static void post_assoc_linger_work(struct work_struct *work)
{
	struct post_assoc *a = container_of(to_delayed_work(work),
					    struct post_assoc, linger_work);
	struct post_net *pn = a->pn;

	mutex_lock(&pn->lock);
	if (READ_ONCE(a->state) == POST_ASSOC_DORMANT && !a->n_carriers)
		post_assoc_close(a, POST_REASON_LINGER);
	mutex_unlock(&pn->lock);
	post_assoc_put(a);
}

/* Add a carrier's counters, which it updates as we read, to @sum. */
static void post_counters_add(struct post_counters *sum,
			      const struct post_counters *c)
{
	sum->msgs_sent += READ_ONCE(c->msgs_sent);
	sum->msgs_recv += READ_ONCE(c->msgs_recv);
	sum->bytes_sent += READ_ONCE(c->bytes_sent);
	sum->bytes_recv += READ_ONCE(c->bytes_recv);
	sum->msgs_expired += READ_ONCE(c->msgs_expired);
	sum->msgs_acked += READ_ONCE(c->msgs_acked);
}

/* Sum of the counters of the association and its live carriers. */
void post_assoc_stats(struct post_assoc *a, struct post_counters *c)
{
	struct post_sock *ps;

	lockdep_assert_held(&a->pn->lock);
	*c = a->closed_stats;
	list_for_each_entry(ps, &a->carriers, assoc_node)
		post_counters_add(c, &ps->stats);
}

static void post_sock_addrs(struct post_transient *t,
			    struct sockaddr_storage *local,
			    struct sockaddr_storage *remote)
{
	memset(local, 0, sizeof(*local));
	memset(remote, 0, sizeof(*remote));
	kernel_getsockname(t->sock, (struct sockaddr *)local);
	kernel_getpeername(t->sock, (struct sockaddr *)remote);
}

/* An association a new carrier may join.  post_net.lock held. */
static struct post_assoc *post_assoc_match(struct post_net *pn,
					   const struct sockaddr_storage *local,
					   const struct sockaddr_storage *remote,
					   bool passive)
{
	struct post_assoc *a;
	unsigned long id;

	xa_for_each(&pn->assocs, id, a) {
		if (a->passive != passive)
			continue;
		/* the ephemeral port is the connecting side's own */
		if (!post_addr_eq(&a->remote, remote, !passive))
			continue;
		if (a->local.ss_family == AF_UNSPEC ||
		    (a->local.ss_family == local->ss_family &&
		     post_addr_any(&a->local)) ||
		    post_addr_eq(&a->local, local, passive))
			return a;
	}
	return NULL;
}

/* Mark @p up or down, telling the monitor if that changes it.  Locked. */
static void post_path_set_up(struct post_assoc *a, struct post_path *p,
			     bool up, u32 reason)
{
	if (!p || !!(p->flags & POST_PATHF_UP) == up)
		return;
	if (up)
		p->flags |= POST_PATHF_UP;
	else
		p->flags &= ~POST_PATHF_UP;
	post_nl_path_event(a, p, up ? POST_CMD_PATH_UP : POST_CMD_PATH_DOWN,
			   reason);
}

/* Make @a active or dormant, telling the monitor if that changes it. */
static void post_assoc_set_state(struct post_assoc *a, u8 state, u32 reason)
{
	if (a->state == state)
		return;
	WRITE_ONCE(a->state, state);
	post_nl_assoc_event(a, state == POST_ASSOC_ACTIVE ?
			    POST_CMD_ASSOC_ACTIVE : POST_CMD_ASSOC_DORMANT,
			    reason);
}

/*
 * The peer's further addresses (POST_REMOTE_ADD) become paths of the
 * association; port 0 is the connected one's.  post_net.lock held.
 */
static void post_assoc_cands(struct sock *sk, struct post_assoc *a,
			     const struct sockaddr_storage *remote)
{
	struct post_sock *ps = post_sk(sk);
	struct sockaddr_storage any = {}, r;
	__be16 port = ((const struct sockaddr_in *)remote)->sin_port;
	u32 i;

	BUILD_BUG_ON(offsetof(struct sockaddr_in, sin_port) !=
		     offsetof(struct sockaddr_in6, sin6_port));
	for (i = 0; i < ps->n_cands; i++) {
		r = ps->cands[i];
		if (!((struct sockaddr_in *)&r)->sin_port)
			((struct sockaddr_in *)&r)->sin_port = port;
		post_path_new(a, &any, &r, 0, 0);	/* EEXIST: there */
	}
}

/**
 * post_assoc_add_advertised - the peer's other addresses become paths
 * @sk: the carrier, locked, that connected
 * @t: its transient, whose peer's HELLO advertised them
 *
 * Return: how many paths are new.
 */
int post_assoc_add_advertised(struct sock *sk, const struct post_transient *t)
{
	struct post_assoc *a = post_sk(sk)->assoc;
	struct sockaddr_storage any = {}, r;
	struct sockaddr_in6 *r6 = (void *)&r;
	struct sockaddr_in *r4 = (void *)&r;
	struct post_path *p;
	int i, n = 0;

	if (!a)
		return 0;
	mutex_lock(&a->pn->lock);
	for (i = 0; i < t->n_adv; i++) {
		memset(&r, 0, sizeof(r));
		if (t->adv[i].family == AF_INET) {
			r4->sin_family = AF_INET;
			r4->sin_port = t->adv[i].port;
			r4->sin_addr.s_addr = t->adv[i].v4;
		} else {
			r6->sin6_family = AF_INET6;
			r6->sin6_port = t->adv[i].port;
			r6->sin6_addr = t->adv[i].v6;
		}
		p = post_path_new(a, &any, &r, 0, 0);	/* EEXIST: there */
		if (!IS_ERR(p))
			n++;
	}
	mutex_unlock(&a->pn->lock);
	return n;
}

/**
 * post_assoc_attach - a carrier is established: join its association
 * @sk: the carrier, locked, its transient connected
 * @passive: it was accepted
 *
 * Joins the association for the same endpoints when the policy lets
 * carriers share, else creates one, and makes it active.  Without
 * memory the carrier simply has no association.
 */
void post_assoc_attach(struct sock *sk, bool passive)
{
	struct post_net *pn = post_net(sock_net(sk));
	struct sockaddr_storage local, remote;
	struct post_sock *ps = post_sk(sk);
	u32 reason = passive ? POST_REASON_ACCEPT : POST_REASON_CONNECT;
	struct post_assoc *a = NULL;
	struct post_path *p;

	if (ps->assoc || !ps->xprt)
		return;
	post_sock_addrs(ps->xprt, &local, &remote);

	mutex_lock(&pn->lock);
	if (pn->policy.reuse)
		a = post_assoc_match(pn, &local, &remote, passive);
	if (!a) {
		a = post_assoc_new(pn, &local, &remote, passive);
		if (IS_ERR(a))
			goto out;
		post_nl_assoc_event(a, POST_CMD_ASSOC_CREATED, reason);
	}
	refcount_inc(&a->refcnt);
	ps->assoc = a;
	ps->local = local;
	ps->remote = remote;
	WRITE_ONCE(ps->xprt_state, TCP_ESTABLISHED);
	list_add_tail(&ps->assoc_node, &a->carriers);
	a->n_carriers++;
	a->stats_carriers++;
	if (cancel_delayed_work(&a->linger_work))
		post_assoc_put(a);

	/* the carrier's path, found or new */
	p = post_path_get(a, &local, &remote, !passive);
	if (IS_ERR(p))
		p = NULL;
	ps->path_id = p ? p->id : 0;
	ps->xprt->path_id = ps->path_id;
	if (!passive)
		post_assoc_cands(sk, a, &remote);
	post_path_set_up(a, p, true, reason);
	if (a->state == POST_ASSOC_DORMANT && a->stats_carriers > 1)
		a->resumes++;
	post_assoc_set_state(a, POST_ASSOC_ACTIVE, reason);
	post_nl_carrier_event(sk, POST_CMD_CARRIER_CREATED, reason);
out:
	mutex_unlock(&pn->lock);
}

/**
 * post_assoc_detach - a carrier leaves its association
 * @sk: the carrier, locked
 * @reason: POST_REASON_* for the monitor
 *
 * The last carrier leaving makes the association dormant for its
 * linger time, or closes it at once without one.
 */
void post_assoc_detach(struct sock *sk, u32 reason)
{
	struct post_sock *ps = post_sk(sk);
	struct post_assoc *a = ps->assoc;
	struct post_path *p;
	struct post_net *pn;

	if (!a)
		return;
	pn = a->pn;
	mutex_lock(&pn->lock);
	post_nl_carrier_event(sk, POST_CMD_CARRIER_CLOSED, reason);
	post_counters_add(&a->closed_stats, &ps->stats);
	p = post_path_find(a, ps->path_id);
	if (p && ps->pinfo.mtu)
		p->last = ps->pinfo;	/* what the path measured, for later */
	list_del(&ps->assoc_node);
	ps->assoc = NULL;
	if (--a->n_carriers || a->state == POST_ASSOC_CLOSED)
		goto out;

	list_for_each_entry(p, &a->paths, list)
		post_path_set_up(a, p, false, reason);
	if (!a->linger_ms && !a->admin) {
		post_assoc_close(a, POST_REASON_LAST_CARRIER);
		goto out;
	}
	post_assoc_set_state(a, POST_ASSOC_DORMANT, reason);
	post_assoc_linger(a);
out:
	mutex_unlock(&pn->lock);
	post_assoc_put(a);
}

/* Did the measured properties move enough to tell the monitor? */
static bool post_path_moved(const struct post_path_info *old,
			    const struct post_path_info *now)
{
	u32 drtt = abs_diff(now->rtt_us, old->rtt_us);
	u64 drate = abs_diff(now->delivery_rate, old->delivery_rate);

	return now->mtu != old->mtu ||
	       (drtt >= 1000 && drtt * 4 > old->rtt_us) ||
	       (old->delivery_rate && drate * 2 > old->delivery_rate);
}

/* Tell the monitor that the carrier's path measures differently. */
static void post_path_changed(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);
	struct post_assoc *a = ps->assoc;
	struct post_path *p;

	mutex_lock(&a->pn->lock);
	p = post_path_find(a, ps->path_id);
	if (p)
		post_nl_path_event(a, p, POST_CMD_PATH_CHANGED,
				   POST_REASON_MEASURED);
	mutex_unlock(&a->pn->lock);
}

/* What the joined transients measure is kept with their paths. */
static void post_path_sample_joined(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);
	struct post_path_info pi;
	struct post_transient *t;
	struct post_path *p;
	u8 state;

	list_for_each_entry(t, &ps->joined, node) {
		if (!t->path_up)
			continue;
		post_xprt_sample(sk, t, &pi, &state);
		mutex_lock(&ps->assoc->pn->lock);
		p = post_path_find(ps->assoc, t->path_id);
		if (p)
			p->last = pi;
		mutex_unlock(&ps->assoc->pn->lock);
	}
}

/**
 * post_path_sample - refresh the measured properties of a carrier's path
 * @sk: the carrier, locked
 *
 * Called as the carrier moves data; samples its transient's TCP state
 * at most every POST_PATH_SAMPLE, and tells the monitor when what
 * it measures moved past the threshold (post_path_moved()).
 */
void post_path_sample(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);
	struct post_transient *t = ps->xprt;
	struct post_path_info pi;
	u8 state;

	if (!t || t->listener || !ps->assoc ||
	    time_before(jiffies, ps->path_sampled + POST_PATH_SAMPLE))
		return;
	ps->path_sampled = jiffies;
	post_xprt_sample(sk, t, &pi, &state);
	WRITE_ONCE(ps->xprt_state, state);
	WRITE_ONCE(ps->pinfo.rtt_us, pi.rtt_us);
	WRITE_ONCE(ps->pinfo.rttvar_us, pi.rttvar_us);
	WRITE_ONCE(ps->pinfo.delivery_rate, pi.delivery_rate);
	WRITE_ONCE(ps->pinfo.retrans, pi.retrans);
	WRITE_ONCE(ps->pinfo.mtu, pi.mtu);

	post_path_sample_joined(sk);
	if (!ps->pinfo_told.mtu) {
		ps->pinfo_told = ps->pinfo;	/* the first sample: a baseline */
	} else if (!ps->pinfo_told.delivery_rate) {
		/* no rate before data moved: that one is a baseline too */
		ps->pinfo_told.delivery_rate = ps->pinfo.delivery_rate;
	} else if (post_path_moved(&ps->pinfo_told, &ps->pinfo)) {
		ps->pinfo_told = ps->pinfo;
		post_path_changed(sk);
	}
}

/**
 * post_path_props - the measured properties of a path
 * @a: its association; post_net.lock held
 * @p: the path
 * @pi: filled from a carrier that uses it, else with what was last
 *	measured on it (zero if never)
 */
void post_path_props(struct post_assoc *a, const struct post_path *p,
		     struct post_path_info *pi)
{
	struct post_sock *ps;

	*pi = p->last;
	list_for_each_entry(ps, &a->carriers, assoc_node) {
		if (ps->path_id != p->id)
			continue;
		pi->rtt_us = READ_ONCE(ps->pinfo.rtt_us);
		pi->rttvar_us = READ_ONCE(ps->pinfo.rttvar_us);
		pi->delivery_rate = READ_ONCE(ps->pinfo.delivery_rate);
		pi->retrans = READ_ONCE(ps->pinfo.retrans);
		pi->mtu = READ_ONCE(ps->pinfo.mtu);
		return;
	}
}

/**
 * post_assoc_paths - describe the paths of a carrier's association
 * @sk: the carrier, locked
 * @max: most entries wanted
 * @res: set to a kcalloc()ed array the caller frees, or NULL
 *
 * Return: the number of entries in *@res, or -ENOMEM.
 */
int post_assoc_paths(struct sock *sk, unsigned int max,
		     struct post_path_desc **res)
{
	struct post_sock *ps = post_sk(sk);
	struct post_assoc *a = ps->assoc;
	struct post_path_desc *d;
	struct post_path_info pi;
	struct post_path *p;
	int n = 0;

	*res = NULL;
	if (!a || !max)
		return 0;
	mutex_lock(&a->pn->lock);
	max = min(max, a->n_paths);
	d = kcalloc(max, sizeof(*d), GFP_KERNEL);
	if (!d) {
		n = -ENOMEM;
		goto out;
	}
	list_for_each_entry(p, &a->paths, list) {
		if (n == max)
			break;
		post_path_props(a, p, &pi);
		d[n].id = p->id;
		d[n].state = !!(p->flags & POST_PATHF_UP);
		d[n].backup = !!(p->flags & POST_PATHF_BACKUP);
		d[n].admin_up = !(p->flags & POST_PATHF_ADMIN_DOWN);
		d[n].rtt_us = pi.rtt_us;
		d[n].rttvar_us = pi.rttvar_us;
		d[n].delivery_rate = pi.delivery_rate;
		d[n].retrans = pi.retrans;
		d[n].mtu = pi.mtu;
		memcpy(&d[n].local, &p->local, sizeof(d[n].local));
		memcpy(&d[n].remote, &p->remote, sizeof(d[n].remote));
		n++;
	}
	*res = d;
out:
	mutex_unlock(&a->pn->lock);
	return n;
}

/**
 * post_carrier_register - give a new carrier its id in the namespace
 * @sk: the carrier
 *
 * Return: 0 or -ENOMEM (-EBUSY when every id is taken).
 */
int post_carrier_register(struct sock *sk)
{
	struct post_net *pn = post_net(sock_net(sk));
	struct post_sock *ps = post_sk(sk);
	int err;

	mutex_lock(&pn->lock);
	err = xa_alloc_cyclic(&pn->carriers, &ps->id, ps, xa_limit_31b,
			      &pn->next_carrier_id, GFP_KERNEL);
	mutex_unlock(&pn->lock);
	return err < 0 ? err : 0;
}
ALLOW_ERROR_INJECTION(post_carrier_register, ERRNO);

/**
 * post_carrier_unregister - the application closed the carrier
 * @sk: the carrier, locked (or never seen by anyone)
 * @reason: POST_REASON_* for the monitor
 */
void post_carrier_unregister(struct sock *sk, u32 reason)
{
	struct post_net *pn = post_net(sock_net(sk));
	struct post_sock *ps = post_sk(sk);

	post_assoc_detach(sk, reason);
	if (!ps->id)
		return;
	mutex_lock(&pn->lock);
	xa_erase(&pn->carriers, ps->id);
	mutex_unlock(&pn->lock);
	ps->id = 0;
}

/**
 * post_carrier_lookup - find an established carrier by id
 * @net: its namespace
 * @id: its id
 *
 * Return: the carrier with a reference held, or NULL.
 */
struct sock *post_carrier_lookup(struct net *net, u32 id)
{
	struct post_net *pn = post_net(net);
	struct post_sock *ps;

	mutex_lock(&pn->lock);
	ps = xa_load(&pn->carriers, id);
	if (ps)
		sock_hold(&ps->sk);
	mutex_unlock(&pn->lock);
	return ps ? &ps->sk : NULL;
}

/* Is any carrier of @a up?  post_net.lock held. */
static bool post_assoc_any_up(struct post_assoc *a)
{
	struct post_sock *ps;

	list_for_each_entry(ps, &a->carriers, assoc_node)
		if (!test_bit(POST_F_DORMANT, &ps->flags))
			return true;
	return false;
}

/**
 * post_assoc_carrier_down - a carrier went dormant
 * @sk: the carrier, locked
 * @reason: POST_REASON_* for the monitor
 *
 * Its path goes down, and the association dormant if no other carrier
 * is up.  The association lingers only once the carrier is gone.
 */
void post_assoc_carrier_down(struct sock *sk, u32 reason)
{
	struct post_sock *ps = post_sk(sk);
	struct post_assoc *a = ps->assoc;
	struct post_path *p;

	if (!a)
		return;
	mutex_lock(&a->pn->lock);
	p = post_path_find(a, ps->path_id);
	if (p && ps->pinfo.mtu)
		p->last = ps->pinfo;
	post_path_set_up(a, p, false, reason);
	WRITE_ONCE(ps->xprt_state, TCP_CLOSE);
	if (a->state == POST_ASSOC_ACTIVE && !post_assoc_any_up(a))
		post_assoc_set_state(a, POST_ASSOC_DORMANT, reason);
	mutex_unlock(&a->pn->lock);
}

/**
 * post_assoc_carrier_up - a dormant carrier resumed
 * @sk: the carrier, locked, with its new transient
 * @reason: POST_REASON_* for the monitor
 */
void post_assoc_carrier_up(struct sock *sk, u32 reason)
{
	struct post_sock *ps = post_sk(sk);
	struct post_assoc *a = ps->assoc;

	if (!a)
		return;
	mutex_lock(&a->pn->lock);
	WRITE_ONCE(ps->xprt_state, TCP_ESTABLISHED);
	post_path_set_up(a, post_path_find(a, ps->path_id), true, reason);
	a->resumes++;
	post_assoc_set_state(a, POST_ASSOC_ACTIVE, reason);
	mutex_unlock(&a->pn->lock);
}

/**
 * post_assoc_carrier_moved - a dormant carrier resumes on another path
 * @sk: the carrier, locked
 * @w: the path
 */
void post_assoc_carrier_moved(struct sock *sk, const struct post_path_want *w)
{
	struct post_sock *ps = post_sk(sk);
	struct post_assoc *a = ps->assoc;

	if (!a)
		return;
	/* the netlink dumps read them under the lock */
	mutex_lock(&a->pn->lock);
	ps->path_id = w->id;
	ps->remote = w->remote;
	mutex_unlock(&a->pn->lock);
}

/**
 * post_assoc_carrier_promoted - a joined transient became the carrier's own
 * @sk: the carrier, locked
 * @t: the transient, just promoted
 *
 * The carrier's path and addresses become @t's, together: a dormant
 * carrier resumes on its own path first, and on the association's
 * other paths only, so a path id left behind with the old addresses
 * would leave out the path that was last up.
 */
void post_assoc_carrier_promoted(struct sock *sk, struct post_transient *t)
{
	struct sockaddr_storage local, remote;
	struct post_sock *ps = post_sk(sk);
	struct post_assoc *a = ps->assoc;

	post_sock_addrs(t, &local, &remote);
	/* the netlink dumps read them under the lock */
	if (a)
		mutex_lock(&a->pn->lock);
	ps->path_id = t->path_id;
	if (remote.ss_family) {
		ps->local = local;
		ps->remote = remote;
	}
	if (a)
		mutex_unlock(&a->pn->lock);
}

/**
 * post_assoc_resumed_on - an accepted connection resumes a carrier
 * @sk: the carrier, locked
 * @t: the connection, now its transient
 *
 * The peer may resume on another path than the one that failed: the
 * carrier's path is then the one of @t's addresses, found or made, and
 * the old one is down.
 */
void post_assoc_resumed_on(struct sock *sk, struct post_transient *t)
{
	struct sockaddr_storage local, remote;
	struct post_sock *ps = post_sk(sk);
	struct post_assoc *a = ps->assoc;
	struct post_path *p;

	if (!a)
		return;
	post_sock_addrs(t, &local, &remote);
	mutex_lock(&a->pn->lock);
	/* the peer's port is a new ephemeral one */
	p = post_path_get(a, &local, &remote, false);
	if (!IS_ERR(p)) {
		if (p->id != ps->path_id) {
			post_path_set_up(a, post_path_find(a, ps->path_id),
					 false, POST_REASON_TRANSPORT);
			ps->path_id = p->id;
			ps->local = local;
			ps->remote = remote;
			post_path_set_up(a, p, true, POST_REASON_TRANSPORT);
		}
		t->path_id = p->id;
	}
	mutex_unlock(&a->pn->lock);
}

/**
 * post_assoc_paths_unused - paths a carrier has no transient on yet
 * @sk: the carrier, locked
 * @w: filled with up to @max of them
 * @max: room in @w
 *
 * Paths the administrator set down are left out.
 *
 * Return: the number of entries in @w.
 */
int post_assoc_paths_unused(struct sock *sk, struct post_path_want *w,
			    int max)
{
	struct post_sock *ps = post_sk(sk);
	struct post_assoc *a = ps->assoc;
	struct post_transient *t;
	struct post_path *p;
	int n = 0;

	if (!a || max <= 0)
		return 0;
	mutex_lock(&a->pn->lock);
	list_for_each_entry(p, &a->paths, list) {
		if (n == max)
			break;
		if ((p->flags & POST_PATHF_ADMIN_DOWN) || p->id == ps->path_id)
			continue;
		list_for_each_entry(t, &ps->joined, node)
			if (t->path_id == p->id)
				break;
		if (!list_entry_is_head(t, &ps->joined, node))
			continue;
		w[n].id = p->id;
		w[n].ifindex = p->ifindex;
		w[n].backup = p->flags & POST_PATHF_BACKUP;
		w[n].local = p->local;
		w[n].remote = p->remote;
		n++;
	}
	mutex_unlock(&a->pn->lock);
	return n;
}

/**
 * post_assoc_has_paths - are these ids paths of the carrier's association?
 * @sk: the carrier, locked
 * @ids: path ids (POST_PATHS on sendmsg())
 * @n: entries in @ids
 *
 * Return: true if every one is.
 */
bool post_assoc_has_paths(struct sock *sk, const u32 *ids, u32 n)
{
	struct post_assoc *a = post_sk(sk)->assoc;
	bool ok = true;
	u32 i;

	if (!a)
		return false;
	mutex_lock(&a->pn->lock);
	for (i = 0; i < n && ok; i++)
		ok = post_path_find(a, get_unaligned(&ids[i]));
	mutex_unlock(&a->pn->lock);
	return ok;
}

/**
 * post_assoc_join_path - a joined transient is up: its path is
 * @sk: the carrier, locked
 * @t: the transient; on the side that accepted it, its path is found
 *	or made from its addresses
 *
 * Without memory for a new path the transient carries on without one.
 */
void post_assoc_join_path(struct sock *sk, struct post_transient *t)
{
	struct sockaddr_storage local, remote;
	struct post_assoc *a = post_sk(sk)->assoc;
	struct post_path *p;

	t->path_up = true;
	if (!a)
		return;
	if (!t->path_id)
		post_sock_addrs(t, &local, &remote);
	mutex_lock(&a->pn->lock);
	if (t->path_id) {
		p = post_path_find(a, t->path_id);
	} else {
		/* the peer's port of an accepted transient is ephemeral */
		p = post_path_get(a, &local, &remote, false);
		if (IS_ERR(p))
			p = NULL;
		t->path_id = p ? p->id : 0;
	}
	if (p)
		t->backup = p->flags & POST_PATHF_BACKUP;
	post_path_set_up(a, p, true, POST_REASON_TRANSPORT);
	mutex_unlock(&a->pn->lock);
}

/**
 * post_assoc_xprt_down - a transient of a carrier with several is gone
 * @sk: the carrier, locked
 * @t: the transient
 */
void post_assoc_xprt_down(struct sock *sk, struct post_transient *t)
{
	struct post_sock *ps = post_sk(sk);
	struct post_assoc *a = ps->assoc;
	struct post_transient *o;

	/* the first transient's path is up without path_up */
	if (!a || (!t->path_up && t != ps->xprt))
		return;
	t->path_up = false;
	/* another transient on the same path (a join after a failure) */
	if (ps->xprt != t && ps->xprt->path_id == t->path_id)
		return;
	list_for_each_entry(o, &ps->joined, node)
		if (o != t && o->path_up && o->path_id == t->path_id)
			return;
	mutex_lock(&a->pn->lock);
	post_path_set_up(a, post_path_find(a, t->path_id), false,
			 POST_REASON_TRANSPORT);
	mutex_unlock(&a->pn->lock);
}

/**
 * post_assoc_kick_joins - paths were added: carriers open transients
 * @a: the association; post_net.lock held
 *
 * Only carriers that connected open them; the peer joins them.
 */
void post_assoc_kick_joins(struct post_assoc *a)
{
	struct post_sock *ps;

	lockdep_assert_held(&a->pn->lock);
	list_for_each_entry(ps, &a->carriers, assoc_node) {
		if (!post_is_msg(&ps->sk) ||
		    !test_bit(POST_F_ACTIVE, &ps->flags))
			continue;
		set_bit(POST_F_JOIN, &ps->flags);
		post_tx_schedule(&ps->sk);
	}
}

/**
 * post_assoc_kick_admin - the administrator changed a path
 * @a: the association; post_net.lock held
 *
 * Its message carriers look at their transients' paths again: a path
 * set down loses its transient, one set up gets one (from the side that
 * connected), a backup flag applies at once.
 */
void post_assoc_kick_admin(struct post_assoc *a)
{
	struct post_sock *ps;

	lockdep_assert_held(&a->pn->lock);
	list_for_each_entry(ps, &a->carriers, assoc_node) {
		if (!post_is_msg(&ps->sk))
			continue;
		set_bit(POST_F_ADMIN, &ps->flags);
		if (test_bit(POST_F_ACTIVE, &ps->flags))
			set_bit(POST_F_JOIN, &ps->flags);
		post_tx_schedule(&ps->sk);
	}
}

/**
 * post_assoc_path_flags - a path's POST_PATHF_* flags
 * @sk: the carrier
 * @id: the path, of its association
 *
 * Return: the flags, 0 for a path the association does not have.
 */
u32 post_assoc_path_flags(struct sock *sk, u32 id)
{
	struct post_assoc *a = post_sk(sk)->assoc;
	struct post_path *p;
	u32 flags = 0;

	if (!a || !id)
		return 0;
	mutex_lock(&a->pn->lock);
	p = post_path_find(a, id);
	if (p)
		flags = p->flags;
	mutex_unlock(&a->pn->lock);
	return flags;
}

void post_assoc_net_init(struct post_net *pn)
{
	mutex_init(&pn->lock);
	xa_init_flags(&pn->assocs, XA_FLAGS_ALLOC1);
	xa_init_flags(&pn->carriers, XA_FLAGS_ALLOC1);
	pn->policy.linger_ms = POST_DEFAULT_LINGER_MS;
	pn->policy.reuse = true;
}

/*
 * The namespace is going away.  Carriers pin it, so none is left, but
 * dormant and administrator-made associations are.
 */
void post_assoc_net_exit(struct post_net *pn)
{
	struct post_assoc *a;
	unsigned long id;

	mutex_lock(&pn->lock);
	xa_for_each(&pn->assocs, id, a)
		post_assoc_close(a, POST_REASON_NETNS);
	mutex_unlock(&pn->lock);
	/* a linger work already running may still wait for pn->lock */
	flush_workqueue(post_wq);
	xa_destroy(&pn->assocs);
	xa_destroy(&pn->carriers);
}
