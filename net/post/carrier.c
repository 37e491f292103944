// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST: Post Sockets message carriers.
 *
 * The socket operations of message carriers (SOCK_SEQPACKET: messages
 * framed over TCP, see wire.c) and stream carriers (SOCK_STREAM: the
 * application's bytes on the TCP connection, exactly as TCP sends them).
 */

#include <crypto/utils.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "protocol.h"

static void post_tx_work(struct work_struct *work);
static void post_orphan_work(struct work_struct *work);
static void post_dormant_work(struct work_struct *work);
static void post_listen_accept(struct sock *sk);
static void post_path_timer(struct timer_list *timer);
static void post_child_process(struct sock *sk, bool timeout);

/* Room in the carrier's send queue: wake writers and pollers. */
static void post_write_space(struct sock *sk)
{
	struct socket *sock = sk->sk_socket;
	struct socket_wq *wq;

	if (!sock || !READ_ONCE(post_sk(sk)->can_send))
		return;
	clear_bit(SOCK_NOSPACE, &sock->flags);

	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, EPOLLOUT | EPOLLWRNORM |
					   EPOLLWRBAND);
	if (wq && wq->fasync_list && !(sk->sk_shutdown & SEND_SHUTDOWN))
		sock_wake_async(wq, SOCK_WAKE_SPACE, POLL_OUT);
	rcu_read_unlock();
}

static enum hrtimer_restart post_cork_timer(struct hrtimer *timer)
{
	struct post_sock *ps = container_of(timer, struct post_sock,
					    cork_timer);

	post_tx_schedule_put(&ps->sk);	/* taken by post_cork_arm() */
	return HRTIMER_NORESTART;
}

/*
 * The timer is not pushed back by later sends: the oldest message held
 * waits at most net.post.autocork_us.  It is armed again even while its
 * callback runs: the push that callback queued may be over already.
 */
static void post_cork_arm(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);

	if (hrtimer_is_queued(&ps->cork_timer))
		return;
	sock_hold(sk);
	hrtimer_start(&ps->cork_timer,
		      ns_to_ktime(post_net_autocork_us(sock_net(sk)) *
				  NSEC_PER_USEC),
		      HRTIMER_MODE_REL_SOFT);
}

void post_sock_init(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);

	INIT_WORK(&ps->tx_work, post_tx_work);
	INIT_DELAYED_WORK(&ps->orphan_work, post_orphan_work);
	INIT_DELAYED_WORK(&ps->dormant_work, post_dormant_work);
	spin_lock_init(&ps->acc_lock);
	INIT_LIST_HEAD(&ps->acc_pending);
	INIT_LIST_HEAD(&ps->acc_ready);
	INIT_LIST_HEAD(&ps->acc_node);
	INIT_LIST_HEAD(&ps->joined);
	post_sched_init(sk);
	spin_lock_init(&ps->rx_lock);
	timer_setup(&ps->ack_timer, post_ack_timer, 0);
	timer_setup(&ps->path_timer, post_path_timer, 0);
	hrtimer_init(&ps->cork_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
	ps->cork_timer.function = post_cork_timer;
	INIT_LIST_HEAD(&ps->rx_partial);
	INIT_LIST_HEAD(&ps->rx_held);
	INIT_LIST_HEAD(&ps->rx_ready);
	xa_init(&ps->rx_done);
	ps->rx_low = 1;
	ps->max_msg = post_net_max_msg(sock_net(sk));
	ps->peer_max_msg = ps->max_msg;
	get_random_bytes(ps->key, sizeof(ps->key));

	sk->sk_state = TCP_CLOSE;
	sk->sk_destruct = post_sock_destruct;
	sk->sk_write_space = post_write_space;
}

void post_sock_destruct(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);

	WARN_ON_ONCE(ps->xprt || !list_empty(&ps->joined));
	kfree(ps->cands);
	post_sched_destroy(sk);
	/* events nobody read: the core leaves the queue to the family */
	skb_queue_purge(&sk->sk_error_queue);
	post_rx_drop(sk, true);
	kfree(ps->rx_spare);
	xa_destroy(&ps->rx_done);
	if (ps->tx_frag.page)
		put_page(ps->tx_frag.page);
	post_tx_ring_trim(sk);
}

/**
 * post_tx_schedule - run the carrier's tx work
 * @sk: the carrier
 *
 * The work holds a reference on the carrier until it has run.
 */
void post_tx_schedule(struct sock *sk)
{
	sock_hold(sk);
	if (!queue_work(post_wq, &post_sk(sk)->tx_work))
		sock_put(sk);
}

/**
 * post_tx_room - the transport has room for what the carrier queued
 * @sk: the carrier
 *
 * Its tx work moves frames, unless the carrier's owner is in a call that
 * pushes before it lets go of the carrier (sendmsg()): then the room is
 * only noted, and if the owner does not push after all, the work runs
 * once it lets go (post_release_cb()).  A sender that is the bottleneck
 * owns its carrier most of the time; the work would wait for its lock,
 * on the peer's CPU where the acknowledgments that made room came in,
 * and find nothing to do.
 */
void post_tx_room(struct sock *sk)
{
	spin_lock_bh(&sk->sk_lock.slock);
	if (sock_owned_by_user(sk))
		set_bit(POST_F_TX_ROOM, &post_sk(sk)->flags);
	else
		post_tx_schedule(sk);
	spin_unlock_bh(&sk->sk_lock.slock);
}

/**
 * post_release_cb - the carrier's owner lets go of it
 * @sk: the carrier, its spinlock held
 *
 * Room that came while it was owned and that no push took into account
 * (post_tx_room()) is for the tx work.
 */
void post_release_cb(struct sock *sk)
{
	if (test_bit(POST_F_TX_ROOM, &post_sk(sk)->flags) &&
	    test_and_clear_bit(POST_F_TX_ROOM, &post_sk(sk)->flags))
		post_tx_schedule(sk);
}

/**
 * post_tx_schedule_put - run the carrier's tx work with the caller's reference
 * @sk: the carrier
 *
 * For timer callbacks, whose reference may be the carrier's last: its
 * destructor sleeps, so the last reference is never dropped in softirq.
 * The work takes the reference over; if it is already pending (holding
 * one of its own) the reference is dropped, unless the work ran
 * meanwhile and it is the last, when the work is queued again to drop it.
 */
void post_tx_schedule_put(struct sock *sk)
{
	while (!queue_work(post_wq, &post_sk(sk)->tx_work))
		if (refcount_dec_not_one(&sk->sk_refcnt))
			return;
}

/*
 * Stream carriers and poll() use the transient without the carrier lock:
 * it is published fully set up, and is freed only by post_release().
 */
static struct post_transient *post_xprt_get(struct sock *sk)
{
	/* pairs with smp_store_release() in post_xprt_publish() */
	return smp_load_acquire(&post_sk(sk)->xprt);
}

static void post_xprt_publish(struct sock *sk, struct post_transient *t)
{
	if (t)
		WRITE_ONCE(post_sk(sk)->mptcp, t->mptcp);
	/* the transient's fields are visible before the pointer */
	smp_store_release(&post_sk(sk)->xprt, t);
}

/* Let go of a joined transient.  Locked. */
static void post_joined_destroy(struct sock *sk, struct post_transient *t,
				bool abort)
{
	struct post_sock *ps = post_sk(sk);

	list_del_init(&t->node);
	WRITE_ONCE(ps->n_joined, ps->n_joined - 1);
	post_sched_forget(sk, t);
	post_xprt_destroy(t, abort);
}

/* Let go of the carrier's transients, if it has any.  Locked. */
static void post_carrier_xprt_drop(struct sock *sk, bool abort)
{
	struct post_sock *ps = post_sk(sk);
	struct post_transient *t = ps->xprt, *j, *tmp;

	list_for_each_entry_safe(j, tmp, &ps->joined, node)
		post_joined_destroy(sk, j, abort);
	if (t) {
		post_sched_forget(sk, t);
		post_xprt_destroy(t, abort);
		post_xprt_publish(sk, NULL);
	}
}

/*
 * Sleep until woken, for at most *@timeo, with the carrier unlocked.
 * Unlike sk_wait_event(), it looks at no condition unlocked: the callers'
 * conditions follow the carrier's transients, which the tx work may free
 * meanwhile.  No wakeup is lost: @wait was on the carrier's wait queue
 * before the caller, locked, found it must wait.
 */
static void post_wait_woken(struct sock *sk, long *timeo,
			    struct wait_queue_entry *wait)
{
	release_sock(sk);
	*timeo = wait_woken(wait, TASK_INTERRUPTIBLE, *timeo);
	sched_annotate_sleep();
	lock_sock(sk);
}

/* Stop the dormant timer (linger or HELLO timeout) and drop its ref. */
static void post_dormant_cancel(struct sock *sk)
{
	/* the caller holds a reference of its own */
	if (cancel_delayed_work(&post_sk(sk)->dormant_work))
		sock_put(sk);
}

static int post_check_addr(const struct sockaddr *addr, int len)
{
	if (len < (int)sizeof(addr->sa_family))
		return -EINVAL;
	switch (addr->sa_family) {
	case AF_INET:
		return len < (int)sizeof(struct sockaddr_in) ? -EINVAL : 0;
	case AF_INET6:
		return len < SIN6_LEN_RFC2133 ? -EINVAL : 0;
	default:
		return -EAFNOSUPPORT;
	}
}

/**
 * post_carrier_multipath - may the carrier use more than one path?
 * @sk: the carrier
 *
 * Return: true unless it is a stream carrier, its transient is MPTCP
 * (whose path manager uses the paths), or the policy avoids or
 * prohibits POST_PROP_MULTIPATH.
 */
bool post_carrier_multipath(struct sock *sk)
{
	u8 pref = post_policy_pref(sk, POST_PROP_MULTIPATH);

	return post_is_msg(sk) && !READ_ONCE(post_sk(sk)->mptcp) &&
	       pref != POST_PREF_PROHIBIT && pref != POST_PREF_AVOID;
}

/* The transient connected (or was accepted): the carrier is established. */
static void post_carrier_established(struct sock *sk, bool passive)
{
	struct post_transient *t = post_sk(sk)->xprt;

	sk->sk_state = TCP_ESTABLISHED;
	if (sk->sk_socket)
		sk->sk_socket->state = SS_CONNECTED;
	if (!passive)
		set_bit(POST_F_ACTIVE, &post_sk(sk)->flags);
	/* before anything is sent: what is sent is kept if it resumes */
	WRITE_ONCE(post_sk(sk)->resumable, post_is_msg(sk) &&
		   post_policy_wants(sk, POST_PROP_RESUME));
	if (!passive && post_sk(sk)->n_cands && post_carrier_multipath(sk)) {
		/* the peer's other addresses: joined once its HELLO is in */
		set_bit(POST_F_MULTIPATH, &post_sk(sk)->flags);
		set_bit(POST_F_JOIN, &post_sk(sk)->flags);
	}
	/* the peer may join: what goes before that may need sending again */
	if (passive && post_carrier_multipath(sk))
		set_bit(POST_F_RETAIN, &post_sk(sk)->flags);
	post_assoc_attach(sk, passive);
	if (post_is_msg(sk)) {
		int err = post_tx_push(sk, t);

		if (err) {
			WRITE_ONCE(sk->sk_err, -err);
			set_bit(POST_F_ABORT_XPRT, &post_sk(sk)->flags);
			post_tx_schedule(sk);
		}
	}
	sk->sk_state_change(sk);
}

/**
 * post_carrier_fail - the carrier's connection is gone
 * @sk: the carrier, locked
 * @abort: reset the transport connection
 *
 * Queued messages can no longer be sent; received ones stay readable.
 * The error is in sk->sk_err already.
 */
static void post_carrier_fail(struct sock *sk, bool abort)
{
	struct post_sock *ps = post_sk(sk);

	sk->sk_state = TCP_CLOSE;
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	sock_set_flag(sk, SOCK_DONE);
	WRITE_ONCE(ps->resumable, false);
	clear_bit(POST_F_DORMANT, &ps->flags);
	post_dormant_cancel(sk);
	post_assoc_detach(sk, POST_REASON_TRANSPORT);
	post_carrier_xprt_drop(sk, abort);
	post_sched_purge(sk);
	if (sk->sk_socket && test_bit(SOCK_NOSPACE, &sk->sk_socket->flags))
		sk->sk_write_space(sk);
	sk->sk_state_change(sk);
}

/*
 * A closed carrier has nothing left to send: neither the timer of a
 * lifetime that outlived its message nor a pending resume may keep it
 * (and the module) alive.
 */
static void post_carrier_stop_timers(struct sock *sk)
{
	post_sched_purge(sk);	/* and the lifetime timer */
	sk_stop_timer(sk, &post_sk(sk)->path_timer);
	if (hrtimer_try_to_cancel(&post_sk(sk)->cork_timer) == 1)
		__sock_put(sk);
}

static void post_orphan_done(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);

	if (!test_and_clear_bit(POST_F_ORPHAN, &ps->flags))
		return;
	post_carrier_xprt_drop(sk, false);
	post_carrier_stop_timers(sk);
	sk->sk_state = TCP_CLOSE;
	if (cancel_delayed_work(&ps->orphan_work))
		sock_put(sk);	/* the timeout's reference */
	sock_put(sk);		/* the flush's reference; the caller holds one */
}

/*
 * A closing message carrier is done with its transient once everything
 * is sent, the FIN with it, and the peer acknowledged every message:
 * releasing the transient earlier could reset it with data in flight
 * (TCP resets a socket closed with unread input, such as ACK frames).
 */
static bool post_msg_flushed(struct sock *sk, const struct post_transient *t)
{
	return t->fin_sent && list_empty(&post_sk(sk)->tx_inflight);
}

/* ---- dormant carriers and resuming ------------------------------------ */

/* What the peer's HELLO on @t told, kept for later transients. */
static void post_carrier_learn_peer(struct sock *sk, struct post_transient *t)
{
	struct post_sock *ps = post_sk(sk);

	if (ps->peer_known || !post_peer_hello(t))
		return;
	memcpy(ps->peer_key, t->peer_key, sizeof(ps->peer_key));
	ps->peer_id = t->peer_id;
	WRITE_ONCE(ps->peer_max_msg, READ_ONCE(t->peer_max_msg));
	ps->peer_known = true;
	/* the addresses the peer advertised: paths to join */
	if (t->n_adv && test_bit(POST_F_ACTIVE, &ps->flags) &&
	    post_carrier_multipath(sk) &&
	    post_assoc_add_advertised(sk, t) > 0) {
		set_bit(POST_F_MULTIPATH, &ps->flags);
		set_bit(POST_F_JOIN, &ps->flags);
	}
}

/* A new transient carries the carrier's messages on. */
static void post_carrier_resumed(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);

	if (test_and_clear_bit(POST_F_DORMANT, &ps->flags)) {
		post_dormant_cancel(sk);
		post_assoc_carrier_up(sk, POST_REASON_TRANSPORT);
	}
	WRITE_ONCE(ps->resumes, ps->resumes + 1);
	ps->rejoin_delay = 0;
	set_bit(POST_F_JOIN, &ps->flags);	/* the other paths too */
	/* tell the peer at once where we are */
	spin_lock_bh(&ps->rx_lock);
	WRITE_ONCE(ps->ack_dirty, true);
	WRITE_ONCE(ps->ack_now, true);
	spin_unlock_bh(&ps->rx_lock);
	post_ev_carrier(sk, POST_EV_RESUMED);
}

/* Is @err (negative) the transport failing, rather than us or the peer? */
static bool post_xprt_err_transport(int err)
{
	switch (err) {
	case -ECONNRESET:
	case -ECONNREFUSED:
	case -ECONNABORTED:
	case -EPIPE:
	case -ETIMEDOUT:
	case -EHOSTUNREACH:
	case -ENETUNREACH:
		return true;
	default:
		return false;
	}
}

/*
 * A path's transient failed or could not be set up: the side that
 * connected tries the path again later, backing off.
 */
static void post_carrier_rejoin_later(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);

	if (!test_bit(POST_F_ACTIVE, &ps->flags))
		return;
	ps->rejoin_delay = clamp(ps->rejoin_delay * 2, POST_REJOIN_MIN,
				 POST_REJOIN_MAX);
	ps->rejoin_at = jiffies + ps->rejoin_delay;
	set_bit(POST_F_REJOIN, &ps->flags);
}

/* Messages to send, or sent and not acknowledged? */
static bool post_carrier_owes(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);

	return !RB_EMPTY_ROOT(&ps->tx_sched.rb_root) ||
	       !list_empty(&ps->tx_blocked) || !list_empty(&ps->tx_inflight);
}

/* A dormant carrier that owes messages tries to resume after a while. */
static void post_carrier_redial_later(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);

	if (!test_bit(POST_F_ACTIVE, &ps->flags) || !post_carrier_owes(sk))
		return;
	if (!test_bit(POST_F_REJOIN, &ps->flags))
		post_carrier_rejoin_later(sk);
	if (!timer_pending(&ps->path_timer))
		sk_reset_timer(sk, &ps->path_timer, ps->rejoin_at);
}

/**
 * post_carrier_dormant - the carrier's transient died: go dormant
 * @sk: the carrier, locked, established
 * @err: the transport's error, positive
 *
 * A resumable carrier keeps its messages, sent and unsent, and waits:
 * the side that connected resumes on its next send, or by itself after
 * a backoff while it owes messages; the other waits for it to.  After
 * the policy's linger time it fails with @err.
 *
 * Return: true if it went (or stays) dormant, false if it must fail.
 */
static bool post_carrier_dormant(struct sock *sk, int err)
{
	struct post_sock *ps = post_sk(sk);
	struct post_transient *t = ps->xprt;
	bool active = test_bit(POST_F_ACTIVE, &ps->flags);

	if (!ps->resumable || !ps->peer_known || (active && !ps->peer_id) ||
	    test_bit(POST_F_ORPHAN, &ps->flags))
		return false;
	/* the peer reset the connection that was to resume: it refused */
	if (t->resume && !post_peer_hello(t) &&
	    err == ECONNRESET)
		return false;

	post_carrier_xprt_drop(sk, true);
	/* a resume attempt may have sent too, before it died */
	post_sched_requeue(sk, NULL);
	post_carrier_redial_later(sk);
	if (test_and_set_bit(POST_F_DORMANT, &ps->flags))
		return true;	/* a resume attempt failed: wait for the next */

	ps->dormant_err = err;
	ps->dormant_since = jiffies;
	post_assoc_carrier_down(sk, POST_REASON_TRANSPORT);
	post_ev_carrier(sk, POST_EV_DORMANT);
	sock_hold(sk);
	if (!queue_delayed_work(post_wq, &ps->dormant_work,
				msecs_to_jiffies(post_policy_linger(sk))))
		sock_put(sk);
	return true;
}

static int post_addr_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					   sizeof(struct sockaddr_in);
}

/*
 * A new transient for path @w, not connected yet: bound to the path's
 * interface, else to @ifindex (from post_policy_check(), 0 for any), and
 * to the path's local address if it has one.  Return: 0 or the errno of
 * creating or binding it.
 */
static int post_path_xprt_new(struct sock *sk, const struct post_path_want *w,
			      int ifindex, struct post_transient **res)
{
	struct post_transient *t;
	int err;

	if (w->ifindex)
		ifindex = w->ifindex;
	err = post_xprt_create(sk, w->remote.ss_family, &t);
	if (err)
		return err;
	if (ifindex)
		err = post_xprt_bind_if(t, ifindex);
	if (!err && w->local.ss_family == w->remote.ss_family)
		err = kernel_bind(t->sock, (struct sockaddr *)&w->local,
				  post_addr_len(&w->local));
	if (err)
		goto err_destroy;
	*res = t;
	return 0;

err_destroy:
	post_xprt_destroy(t, false);
	return err;
}

/*
 * Where a dormant carrier resumes: on its own path while routing
 * reaches it, else on the first other path of its association that
 * routing reaches, a backup path last.  Return: false if none does.
 */
static bool post_carrier_resume_path(struct sock *sk,
				     struct post_path_want *want)
{
	struct post_sock *ps = post_sk(sk);
	struct post_path_want *w;
	int i, n, best = -1;

	memset(want, 0, sizeof(*want));
	want->id = ps->path_id;
	want->remote = ps->remote;
	if (post_policy_routable(sk, (struct sockaddr *)&ps->remote, 0))
		return true;
	w = kcalloc(POST_MAX_XPRTS, sizeof(*w), GFP_KERNEL);
	if (!w)
		return false;
	n = post_assoc_paths_unused(sk, w, POST_MAX_XPRTS);
	for (i = 0; i < n; i++) {
		if (!post_policy_routable(sk, (struct sockaddr *)&w[i].remote,
					  w[i].ifindex))
			continue;
		if (best < 0 || (w[best].backup && !w[i].backup))
			best = i;
	}
	if (best >= 0)
		*want = w[best];
	kfree(w);
	return best >= 0;
}

/*
 * The side that connected resumes a dormant carrier: a new connection
 * to the same peer, whose HELLO names the carrier and proves it knows
 * the carrier's keys.  The carrier stays dormant until the peer's
 * HELLO comes back.
 */
static void post_carrier_resume(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);
	struct post_path_want want;
	struct post_transient *t;
	int ifindex, err;

	if (ps->xprt || !test_bit(POST_F_DORMANT, &ps->flags) ||
	    !test_bit(POST_F_ACTIVE, &ps->flags))
		return;
	if (!post_carrier_resume_path(sk, &want))
		return;		/* no route now: tried again later */
	ifindex = post_policy_check(sk, (struct sockaddr *)&want.remote);
	if (ifindex < 0)
		return;		/* no allowed route now: the next send tries */
	if (post_path_xprt_new(sk, &want, ifindex, &t))
		return;
	if (want.id != ps->path_id)
		post_assoc_carrier_moved(sk, &want);
	t->resume = true;
	t->path_id = want.id;
	post_xprt_attach(t);
	post_xprt_publish(sk, t);
	err = kernel_connect(t->sock, (struct sockaddr *)&want.remote,
			     post_addr_len(&want.remote), O_NONBLOCK);
	if (err && err != -EINPROGRESS)
		post_carrier_xprt_drop(sk, false);
}

/*
 * A dormant carrier that connected and still owes messages resumes by
 * itself, not only on the next send: at once when a path was added,
 * else after a backoff (POST_REJOIN_MIN to POST_REJOIN_MAX), on a path
 * routing reaches then.  Called with no transient, from the tx work.
 */
static void post_carrier_redial(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);

	if (!test_bit(POST_F_DORMANT, &ps->flags) ||
	    !test_bit(POST_F_ACTIVE, &ps->flags) ||
	    sk->sk_state != TCP_ESTABLISHED || !post_carrier_owes(sk))
		return;
	if (test_and_clear_bit(POST_F_JOIN, &ps->flags) ||
	    (test_bit(POST_F_REJOIN, &ps->flags) &&
	     time_after_eq(jiffies, ps->rejoin_at))) {
		clear_bit(POST_F_REJOIN, &ps->flags);
		post_carrier_resume(sk);
		if (ps->xprt)
			return;		/* under way */
	}
	post_carrier_redial_later(sk);
}

/* ---- several transients: joined paths ---------------------------------- */

static void post_path_timer(struct timer_list *timer)
{
	struct post_sock *ps = from_timer(ps, timer, path_timer);

	post_tx_schedule_put(&ps->sk);	/* taken by sk_reset_timer() */
}

/*
 * Has @t's transport retransmitted POST_STALE_RTOS times in a row, or
 * probed as often for data it could not send at all (no route: the
 * link went down) though the peer's window is open?  A path that went
 * away is noticed this way, long before TCP gives up on it.
 */
static bool post_xprt_stale(const struct post_transient *t)
{
	return post_xprt_timeouts(t, POST_STALE_RTOS);
}

/* Is @t to be given up: stale, or the peer gave it up already? */
static bool post_xprt_failing(const struct post_transient *t)
{
	return post_xprt_stale(t) || READ_ONCE(t->peer_dropped);
}

/* A joined transient failed: what it carried goes on the others. */
static void post_joined_fail(struct sock *sk, struct post_transient *t)
{
	post_sched_requeue(sk, t);
	post_assoc_xprt_down(sk, t);
	post_joined_destroy(sk, t, true);
	post_carrier_rejoin_later(sk);
}

/*
 * The carrier's first transient died while others are up: the first
 * of those takes its place, and what the dead one carried goes on the
 * others.  Return: true if one did.
 */
static bool post_carrier_promote(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);
	struct post_transient *old = ps->xprt, *t;

	list_for_each_entry(t, &ps->joined, node)
		if (t->path_up && !post_xprt_failing(t) &&
		    READ_ONCE(t->sock->sk->sk_state) == TCP_ESTABLISHED)
			goto found;
	return false;

found:
	post_sched_requeue(sk, old);
	post_sched_forget(sk, old);
	post_assoc_xprt_down(sk, old);
	post_xprt_destroy(old, true);
	list_del_init(&t->node);
	WRITE_ONCE(ps->n_joined, ps->n_joined - 1);
	WRITE_ONCE(t->joined, false);	/* its errors are the carrier's now */
	post_assoc_carrier_promoted(sk, t);
	post_xprt_publish(sk, t);
	post_carrier_rejoin_later(sk);	/* the old path, when it is back */
	return true;
}

/*
 * Bring the joined transients up to date: a join the peer took marks
 * its path up, a dead one goes; if @push, queued frames go on them.
 */
static void post_joined_process(struct sock *sk, bool push)
{
	struct post_sock *ps = post_sk(sk);
	struct post_transient *t, *tmp;
	int err, state;

	list_for_each_entry_safe(t, tmp, &ps->joined, node) {
		state = READ_ONCE(t->sock->sk->sk_state);
		if (state == TCP_SYN_SENT)
			continue;
		err = 0;
		if (state == TCP_CLOSE) {
			err = -ECONNRESET;
		} else if (t->path_up && post_xprt_failing(t) &&
			   !post_xprt_stale(ps->xprt)) {
			err = -ETIMEDOUT;	/* the first one carries on */
		} else if (!t->path_up && post_peer_hello(t)) {
			/* the peer carrier we know, or none of ours */
			if (t->peer_id != ps->peer_id ||
			    memcmp(t->peer_key, ps->peer_key,
				   sizeof(ps->peer_key))) {
				err = -EPROTO;
			} else {
				post_assoc_join_path(sk, t);
				ps->rejoin_delay = 0;
			}
		}
		/* the HELLO of a join goes before the peer's comes back */
		if (!err && push && (t->path_up || !t->hello_sent))
			err = post_tx_push(sk, t);
		if (err)
			post_joined_fail(sk, t);
	}
}

/*
 * The administrator changed paths (post_assoc_kick_admin()): backup
 * flags apply at once, and a transient whose path was set down goes,
 * what it carried going on the others.  The first transient goes only
 * if a joined one can take its place: a carrier keeps its last path.
 * Return: true if one did, so the carrier has a new first transient.
 */
static bool post_carrier_paths_admin(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);
	struct post_transient *t, *tmp;
	u32 flags;

	if (!test_bit(POST_F_ADMIN, &ps->flags) ||
	    !test_and_clear_bit(POST_F_ADMIN, &ps->flags))
		return false;
	list_for_each_entry_safe(t, tmp, &ps->joined, node) {
		flags = post_assoc_path_flags(sk, t->path_id);
		t->backup = flags & POST_PATHF_BACKUP;
		if (!(flags & POST_PATHF_ADMIN_DOWN))
			continue;
		post_sched_requeue(sk, t);
		post_assoc_xprt_down(sk, t);
		post_joined_destroy(sk, t, true);
	}
	t = ps->xprt;
	flags = post_assoc_path_flags(sk, t->path_id);
	t->backup = flags & POST_PATHF_BACKUP;
	return (flags & POST_PATHF_ADMIN_DOWN) && post_carrier_promote(sk);
}

/*
 * The side that connected opens a transient on each path of its
 * association that has none yet; its HELLO asks the peer to join it
 * to the carrier.
 */
static void post_carrier_join_paths(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);
	struct post_path_want *w;
	struct post_transient *t;
	int i, n, ifindex, err;

	if (test_bit(POST_F_REJOIN, &ps->flags) &&
	    time_after_eq(jiffies, ps->rejoin_at)) {
		clear_bit(POST_F_REJOIN, &ps->flags);
		set_bit(POST_F_JOIN, &ps->flags);
	}
	if (!test_bit(POST_F_JOIN, &ps->flags) || !ps->peer_known ||
	    !ps->peer_id || !ps->assoc || (sk->sk_shutdown & SEND_SHUTDOWN) ||
	    !test_and_clear_bit(POST_F_JOIN, &ps->flags) ||
	    !post_carrier_multipath(sk))
		return;
	w = kcalloc(POST_MAX_XPRTS, sizeof(*w), GFP_KERNEL);
	if (!w)
		return;
	n = post_assoc_paths_unused(sk, w, POST_MAX_XPRTS - 1 - ps->n_joined);
	for (i = 0; i < n; i++) {
		/* the policy's interfaces, as for the first transient */
		ifindex = post_policy_check(sk, (struct sockaddr *)&w[i].remote);
		if (ifindex < 0)
			continue;
		if (post_path_xprt_new(sk, &w[i], ifindex, &t)) {
			post_carrier_rejoin_later(sk);
			continue;
		}
		t->join = true;
		t->joined = true;
		t->path_id = w[i].id;
		t->backup = w[i].backup;
		post_xprt_attach(t);
		list_add_tail(&t->node, &ps->joined);
		WRITE_ONCE(ps->n_joined, ps->n_joined + 1);
		set_bit(POST_F_MULTIPATH, &ps->flags);
		err = kernel_connect(t->sock, (struct sockaddr *)&w[i].remote,
				     post_addr_len(&w[i].remote), O_NONBLOCK);
		if (err && err != -EINPROGRESS) {
			/* no route now, say: later */
			post_joined_destroy(sk, t, false);
			post_carrier_rejoin_later(sk);
		}
	}
	kfree(w);
}

/*
 * Everything is sent: FIN on every transient.  A carrier with several
 * sends it once the peer acknowledged everything too, so that a FIN
 * on any transient tells the peer it has all there is.
 */
static void post_carrier_fin(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);
	struct post_transient *t;

	kernel_sock_shutdown(ps->xprt->sock, SHUT_WR);
	ps->xprt->fin_sent = true;
	list_for_each_entry(t, &ps->joined, node) {
		kernel_sock_shutdown(t->sock, SHUT_WR);
		t->fin_sent = true;
	}
}

/* A dormant carrier did not resume in time; a child sent no HELLO. */
static void post_dormant_work(struct work_struct *work)
{
	struct post_sock *ps = container_of(to_delayed_work(work),
					    struct post_sock, dormant_work);
	struct sock *sk = &ps->sk;

	lock_sock(sk);
	if (test_bit(POST_F_PENDING, &ps->flags)) {
		post_child_process(sk, true);
	} else if (test_bit(POST_F_DORMANT, &ps->flags) &&
		   sk->sk_state == TCP_ESTABLISHED) {
		unsigned long end = ps->dormant_since +
				    msecs_to_jiffies(post_policy_linger(sk));

		if (time_before(jiffies, end)) {
			/* dormant again since this work was queued */
			sock_hold(sk);
			if (!queue_delayed_work(post_wq, &ps->dormant_work,
						end - jiffies))
				sock_put(sk);
			goto out;
		}
		WRITE_ONCE(sk->sk_err, ps->dormant_err ?: ETIMEDOUT);
		sk_error_report(sk);
		post_carrier_fail(sk, true);
	}
out:
	release_sock(sk);
	sock_put(sk);
}

/*
 * Bring the carrier up to date with its transport: connection
 * established or failed, errors, the peer's acknowledgments applied,
 * expired messages, paths; with @push, a carrier without a transient
 * redials.  Called with the carrier locked, from the tx work and the
 * syscalls; post_carrier_push() then sends what is queued.
 *
 * Return: true if the carrier is established with a transient to push
 * on, false if there is nothing to push (or it is failed, orphaned or
 * dormant now).
 */
static bool __post_carrier_process(struct sock *sk, bool push)
{
	struct post_sock *ps = post_sk(sk);
	struct post_transient *t = ps->xprt;
	int tstate, terr, err;

	if (test_bit(POST_F_PENDING, &ps->flags)) {
		post_child_process(sk, false);
		return false;
	}
	if (t && t->listener) {
		post_listen_accept(sk);
		return false;
	}
	if (!t) {
		if (push)
			post_carrier_redial(sk);
		return false;
	}
	if (!t->attached)
		return false;

	if (test_bit(POST_F_ABORT_XPRT, &ps->flags) &&
	    test_and_clear_bit(POST_F_ABORT_XPRT, &ps->flags)) {
		post_carrier_fail(sk, true);
		goto orphan;
	}

	tstate = READ_ONCE(t->sock->sk->sk_state);
	if (sk->sk_state == TCP_SYN_SENT) {
		if ((1 << tstate) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)) {
			post_carrier_established(sk, false);
		} else if (tstate == TCP_CLOSE) {
			sk->sk_state = TCP_CLOSE;
			if (sk->sk_socket)
				sk->sk_socket->state = SS_UNCONNECTED;
			sk->sk_state_change(sk);
		}
		return false;
	}
	if (sk->sk_state != TCP_ESTABLISHED)
		return false;
	if (!post_is_msg(sk)) {
		/* TCP carries the data; the carrier only keeps track */
		if (tstate == TCP_CLOSE) {
			post_path_sample(sk);
			sk->sk_state = TCP_CLOSE;
			post_assoc_detach(sk, POST_REASON_TRANSPORT);
			sk->sk_state_change(sk);
		}
		return false;
	}
	post_path_sample(sk);
	post_carrier_learn_peer(sk, t);
	if (post_carrier_paths_admin(sk)) {
		t = ps->xprt;
		tstate = READ_ONCE(t->sock->sk->sk_state);
	}
	post_joined_process(sk, false);

	terr = tstate == TCP_CLOSE ? READ_ONCE(t->sock->sk->sk_err) : 0;
	if ((terr || (ps->n_joined && post_xprt_failing(t))) &&
	    post_carrier_promote(sk)) {
		t = ps->xprt;
		tstate = READ_ONCE(t->sock->sk->sk_state);
		terr = 0;
	}
	if (terr) {
		if (post_carrier_dormant(sk, terr))
			return false;
		/* once only: SO_ERROR may have read and cleared it already */
		if (!READ_ONCE(t->err_reported)) {
			WRITE_ONCE(sk->sk_err, terr);
			sk_error_report(sk);
		}
		post_carrier_fail(sk, false);
		goto orphan;
	}
	if (test_bit(POST_F_DORMANT, &ps->flags) && post_peer_hello(t)) {
		/* the peer took the resume, if it is the same peer carrier */
		if (t->peer_id != ps->peer_id ||
		    memcmp(t->peer_key, ps->peer_key, sizeof(ps->peer_key))) {
			WRITE_ONCE(sk->sk_err, EPROTO);
			sk_error_report(sk);
			post_carrier_fail(sk, true);
			goto orphan;
		}
		post_carrier_resumed(sk);
	}
	if (post_peer_hello(t) && t->resume_req) {
		/* only a new connection may resume, not an accepted one */
		WRITE_ONCE(sk->sk_err, EPROTO);
		sk_error_report(sk);
		post_carrier_fail(sk, true);
		goto orphan;
	}

	err = post_sched_apply_acks(sk);
	if (err) {
		WRITE_ONCE(sk->sk_err, -err);
		sk_error_report(sk);
		post_carrier_fail(sk, true);
		goto orphan;
	}
	post_sched_expire(sk);
	post_carrier_join_paths(sk);
	return true;

orphan:
	if (test_bit(POST_F_ORPHAN, &ps->flags))
		post_orphan_done(sk);
	return false;
}

/*
 * Hand what is queued to the transients, once the carrier is up to
 * date (__post_carrier_process() returned true).
 */
static void post_carrier_push(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);
	struct post_transient *t = ps->xprt;
	int err;

	/* this push takes the room noted so far into account */
	clear_bit(POST_F_TX_ROOM, &ps->flags);
	err = post_tx_push(sk, t);
	if (err && post_xprt_err_transport(err) && post_carrier_promote(sk)) {
		t = ps->xprt;
		err = post_tx_push(sk, t);
	}
	if (err && post_xprt_err_transport(err) &&
	    post_carrier_dormant(sk, -err))
		return;
	if (err) {
		WRITE_ONCE(sk->sk_err, -err);
		sk_error_report(sk);
		post_carrier_fail(sk, true);
		goto orphan;
	}
	post_joined_process(sk, true);
	/* what went out is watched until acknowledged, failed paths retried */
	if (((ps->n_joined && !list_empty(&ps->tx_inflight)) ||
	     test_bit(POST_F_REJOIN, &ps->flags)) &&
	    !timer_pending(&ps->path_timer))
		sk_reset_timer(sk, &ps->path_timer, jiffies + POST_PATH_CHECK);
	if ((sk->sk_shutdown & SEND_SHUTDOWN) && !t->fin_sent &&
	    post_tx_idle(t) && (!test_bit(POST_F_MULTIPATH, &ps->flags) ||
				list_empty(&ps->tx_inflight)))
		post_carrier_fin(sk);
	if (!post_msg_flushed(sk, t))
		return;
	if (!test_bit(POST_F_ORPHAN, &ps->flags)) {
		/* close() may be lingering for this */
		sk->sk_state_change(sk);
		return;
	}
orphan:
	if (test_bit(POST_F_ORPHAN, &ps->flags))
		post_orphan_done(sk);
}

static void post_carrier_process(struct sock *sk)
{
	if (__post_carrier_process(sk, true))
		post_carrier_push(sk);
}

/*
 * Nothing queued and all the transport took acknowledged: the pages kept
 * to fill again are not needed until the next stream.  The tx work runs
 * after a stream ends, for the peer's last acknowledgments.
 */
static void post_tx_ring_idle(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);

	if (ps->tx_ring_n && post_sched_idle(sk) &&
	    (!ps->xprt || !READ_ONCE(ps->xprt->sock->sk->sk_wmem_queued)))
		post_tx_ring_trim(sk);
}

static void post_tx_work(struct work_struct *work)
{
	struct post_sock *ps = container_of(work, struct post_sock, tx_work);
	struct sock *sk = &ps->sk;

	lock_sock(sk);
	post_carrier_process(sk);
	post_tx_ring_idle(sk);
	release_sock(sk);
	sock_put(sk);
}

/* A closed carrier could not flush its messages in time: reset. */
static void post_orphan_work(struct work_struct *work)
{
	struct post_sock *ps = container_of(to_delayed_work(work),
					    struct post_sock, orphan_work);
	struct sock *sk = &ps->sk;

	lock_sock(sk);
	if (test_bit(POST_F_ORPHAN, &ps->flags)) {
		WRITE_ONCE(sk->sk_err, ETIMEDOUT);
		post_carrier_fail(sk, true);
		post_orphan_done(sk);
	}
	release_sock(sk);
	sock_put(sk);
}

/* ---- listeners and the carriers they accept ---------------------------- */

/*
 * Take a child off its listener's queues.  Return: true if it was on
 * one; the caller then owns the queue's reference on the child.
 */
static bool post_child_unlink(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);
	struct post_sock *lps = post_sk(ps->parent);
	bool linked;

	spin_lock_bh(&lps->acc_lock);
	linked = !list_empty(&ps->acc_node);
	if (linked) {
		list_del_init(&ps->acc_node);
		lps->n_acc--;
	}
	spin_unlock_bh(&lps->acc_lock);
	/* room in the backlog: accept what TCP holds */
	if (linked && READ_ONCE(ps->parent->sk_state) == TCP_LISTEN)
		post_tx_schedule(ps->parent);
	return linked;
}

/*
 * Reset and free a child accept() never returned.  Called with the
 * child locked, by whoever took it off its listener's queues; the
 * caller's reference keeps it until the caller is done.
 */
static void post_child_drop(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);

	clear_bit(POST_F_PENDING, &ps->flags);
	post_dormant_cancel(sk);
	post_carrier_unregister(sk, POST_REASON_CLOSE);
	post_carrier_xprt_drop(sk, true);
	WRITE_ONCE(ps->resumable, false);
	sk->sk_state = TCP_CLOSE;
	sock_orphan(sk);
	post_rx_drop(sk, true);
	sock_put(ps->parent);
	ps->parent = NULL;
	sock_put(sk);		/* the listener queue's reference */
}

/*
 * May the child's transient @t resume (@join false) or join @target,
 * locked?  The carrier must be established and, to resume, allow it;
 * to join, be up and allow several paths.  The request must prove
 * knowledge of both carrier keys, with a nonce of its kind.
 */
static bool post_child_may_attach(struct sock *sk, struct sock *target,
				  struct post_transient *t, bool join)
{
	struct post_sock *tps = post_sk(target);
	u64 mac;

	if (target == sk || target->sk_type != sk->sk_type ||
	    target->sk_state != TCP_ESTABLISHED || !tps->peer_known ||
	    test_bit(POST_F_ORPHAN, &tps->flags) ||
	    !!(t->resume_nonce & POST_NONCE_JOIN) != join ||
	    memcmp(tps->peer_key, t->peer_key, sizeof(tps->peer_key)))
		return false;
	if (join && (!tps->xprt || test_bit(POST_F_DORMANT, &tps->flags) ||
		     (target->sk_shutdown & SEND_SHUTDOWN) ||
		     tps->n_joined >= POST_MAX_XPRTS - 1 ||
		     !post_carrier_multipath(target)))
		return false;
	if (!join && !tps->resumable)
		return false;
	mac = post_resume_mac(tps->key, tps->id, t->resume_nonce, t->peer_key);
	return !crypto_memneq(&mac, &t->resume_mac, sizeof(mac));
}

/*
 * The child's HELLO asks to resume a carrier of ours, or to join one as
 * one more path (@join).  If post_child_may_attach() agrees, the
 * child's transient replaces the carrier's, or becomes one of its
 * joined ones; the child itself goes away unseen.  Otherwise the
 * connection is reset: a third party who sees only the addresses can
 * neither take over a carrier nor attach a path or inject data.
 */
static void post_child_attach(struct sock *sk, bool join)
{
	struct post_sock *ps = post_sk(sk);
	struct post_transient *t = ps->xprt;
	struct post_sock *tps;
	struct sock *target;
	bool ok;

	target = post_carrier_lookup(sock_net(sk), t->resume_id);
	if (!target)
		goto drop;
	tps = post_sk(target);
	lock_sock_nested(target, SINGLE_DEPTH_NESTING);
	ok = post_child_may_attach(sk, target, t, join);
	if (!ok || !post_child_unlink(sk)) {
		release_sock(target);
		sock_put(target);
		if (ok)
			return;	/* the listener is closing: it drops us */
		goto drop;
	}

	post_xprt_publish(sk, NULL);
	if (join) {
		t->join_req = false;	/* granted */
		/* before it is the carrier's: its errors are its path's */
		WRITE_ONCE(t->joined, true);
		set_bit(POST_F_MULTIPATH, &tps->flags);
		post_xprt_move(t, target);
		list_add_tail(&t->node, &tps->joined);
		WRITE_ONCE(tps->n_joined, tps->n_joined + 1);
		post_assoc_join_path(target, t);
	} else {
		if (tps->xprt) {
			/* it had not noticed: what it sent may be lost */
			post_carrier_xprt_drop(target, true);
			post_sched_requeue(target, NULL);
		}
		t->resume_req = false;	/* granted */
		post_xprt_move(t, target);
		post_xprt_publish(target, t);
		post_assoc_resumed_on(target, t);
		post_carrier_resumed(target);
	}
	/* the parser goes on, for the carrier now */
	post_xprt_rx_lock(t);
	t->rx.stage = POST_RX_HDR;
	post_xprt_rx_unlock(t);
	queue_work(post_wq, &t->rx_work);
	post_carrier_process(target);
	release_sock(target);
	sock_put(target);

	post_child_drop(sk);	/* our caller holds a reference */
	return;

drop:
	if (post_child_unlink(sk))
		post_child_drop(sk);
}

/* The child is a new carrier: queue it for accept(). */
static int post_child_ready(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);
	struct sock *lsk = ps->parent;
	struct post_sock *lps = post_sk(lsk);
	bool queued = false;
	int err;

	err = post_carrier_register(sk);
	if (err)
		return err;
	clear_bit(POST_F_PENDING, &ps->flags);
	post_dormant_cancel(sk);
	post_carrier_learn_peer(sk, ps->xprt);
	post_carrier_established(sk, true);

	spin_lock_bh(&lps->acc_lock);
	if (!list_empty(&ps->acc_node)) {
		list_move_tail(&ps->acc_node, &lps->acc_ready);
		queued = true;
	}
	spin_unlock_bh(&lps->acc_lock);
	if (queued)
		lsk->sk_data_ready(lsk);
	return 0;
}

/**
 * post_child_process - a child the kernel accepted, before accept() did
 * @sk: the child, locked
 * @timeout: its peer sent no HELLO in POST_HELLO_TIMEOUT
 *
 * A message carrier's child waits for the peer's HELLO, which says
 * whether it is a new carrier or resumes one.  A peer that breaks the
 * protocol, or resets or closes, or sends nothing, still makes a new
 * carrier: the application sees what happened to it, as it does for a
 * TCP connection.
 */
static void post_child_process(struct sock *sk, bool timeout)
{
	struct post_sock *ps = post_sk(sk);
	struct post_transient *t = ps->xprt;
	bool broken;

	if (!t)
		return;
	broken = test_bit(POST_F_ABORT_XPRT, &ps->flags) ||
		 READ_ONCE(t->sock->sk->sk_state) == TCP_CLOSE;
	if (!broken) {
		if (post_peer_hello(t)) {
			if (t->resume_req || t->join_req) {
				post_child_attach(sk, t->join_req);
				return;
			}
		} else if (!timeout) {
			return;
		}
	}
	if (!post_child_ready(sk)) {
		/* what came with the HELLO, or the failure */
		post_tx_schedule(sk);
		return;
	}
	if (post_child_unlink(sk))
		post_child_drop(sk);
}

/* Accepted carriers start with the listener's socket options. */
static void post_sk_inherit(struct sock *newsk, struct sock *sk);

/* A connection the listening transient accepted becomes a child. */
static void post_child_new(struct sock *lsk, struct socket *tsock)
{
	struct post_sock *lps = post_sk(lsk), *ps;
	struct post_transient *t;
	struct sock *sk;

	sk = post_child_alloc(lsk);
	if (!sk)
		goto err_release;
	ps = post_sk(sk);
	post_sk_inherit(sk, lsk);
	t = post_xprt_alloc(sk, tsock);
	if (!t)
		goto err_free;
	post_xprt_sync_sockopts(sk, t);

	sock_hold(lsk);
	ps->parent = lsk;
	sock_hold(sk);		/* until we are done: it may be dropped */
	lock_sock_nested(sk, SINGLE_DEPTH_NESTING);
	post_xprt_publish(sk, t);
	sk->sk_state = TCP_SYN_RECV;
	set_bit(POST_F_PENDING, &ps->flags);
	/* joins reach a wildcard listener on any of our addresses */
	if (test_bit(POST_F_ADVERTISE, &lps->flags) &&
	    post_xprt_wildcard(lps->xprt))
		set_bit(POST_F_ADVERTISE, &ps->flags);
	spin_lock_bh(&lps->acc_lock);
	list_add_tail(&ps->acc_node, &lps->acc_pending);
	lps->n_acc++;
	spin_unlock_bh(&lps->acc_lock);
	post_xprt_attach_child(t, lps->xprt);
	if (post_is_msg(sk)) {
		sock_hold(sk);
		if (!queue_delayed_work(post_wq, &ps->dormant_work,
					POST_HELLO_TIMEOUT))
			sock_put(sk);
		queue_work(post_wq, &t->rx_work);	/* bytes that came early */
	} else if (post_child_ready(sk) && post_child_unlink(sk)) {
		post_child_drop(sk);
	}
	release_sock(sk);
	sock_put(sk);
	return;

err_free:
	sock_orphan(sk);
	sock_put(sk);
err_release:
	/* as TCP does without memory for a child: reset it */
	sock_release(tsock);
}

/*
 * Accept what the listening transient has, as long as the backlog
 * allows.  Called with the listener locked, from its tx work.
 */
static void post_listen_accept(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);
	struct post_transient *lt = ps->xprt;
	struct socket *tsock;

	while (sk->sk_state == TCP_LISTEN &&
	       READ_ONCE(ps->n_acc) <= READ_ONCE(sk->sk_max_ack_backlog)) {
		if (post_xprt_accept(lt, &tsock))
			break;
		post_child_new(sk, tsock);
	}
}

/*
 * Reset the children a closed listener never handed out, one at a time:
 * a child may be taking itself off the queues meanwhile, and whoever
 * takes it off under acc_lock drops it.  Its transient is gone, so no
 * child is added.
 */
static void post_listen_drop(struct sock *lsk)
{
	struct post_sock *lps = post_sk(lsk), *ps;
	struct sock *sk;

	for (;;) {
		spin_lock_bh(&lps->acc_lock);
		ps = list_first_entry_or_null(&lps->acc_ready, struct post_sock,
					      acc_node) ?:
		     list_first_entry_or_null(&lps->acc_pending,
					      struct post_sock, acc_node);
		if (ps) {
			list_del_init(&ps->acc_node);
			lps->n_acc--;
			sock_hold(&ps->sk);
		}
		spin_unlock_bh(&lps->acc_lock);
		if (!ps)
			break;
		sk = &ps->sk;
		lock_sock(sk);
		post_child_drop(sk);
		release_sock(sk);
		sock_put(sk);
	}
}

/* ---- connection set-up ------------------------------------------------- */

static int post_bind(struct socket *sock, struct sockaddr *addr, int len)
{
	struct sock *sk = sock->sk;
	struct post_transient *t;
	int err;

	err = post_check_addr(addr, len);
	if (err)
		return err;

	lock_sock(sk);
	if (post_sk(sk)->xprt || sk->sk_state != TCP_CLOSE) {
		err = -EINVAL;
		goto out;
	}
	err = post_xprt_create(sk, addr->sa_family, &t);
	if (err)
		goto out;
	err = kernel_bind(t->sock, addr, len);
	if (err) {
		post_xprt_destroy(t, false);
		goto out;
	}
	post_xprt_publish(sk, t);
out:
	release_sock(sk);
	return err;
}

static int post_connect(struct socket *sock, struct sockaddr *addr, int len,
			int flags)
{
	struct sock *sk = sock->sk;
	struct post_transient *t;
	int ifindex, err;

	err = post_check_addr(addr, len);
	if (err)
		return err;

	lock_sock(sk);
	switch (sk->sk_state) {
	case TCP_ESTABLISHED:
		err = -EISCONN;
		goto out;
	case TCP_SYN_SENT:
		if (flags & O_NONBLOCK) {
			err = -EALREADY;
			goto out;
		}
		/* restarted after a signal: wait on, as TCP does */
		t = post_sk(sk)->xprt;
		goto connect;
	case TCP_CLOSE:
		if (!(sk->sk_shutdown & SHUTDOWN_MASK))
			break;
		fallthrough;
	default:
		err = -EINVAL;
		goto out;
	}

	ifindex = post_policy_check(sk, addr);
	if (ifindex < 0) {
		err = ifindex;
		goto out;
	}
	t = post_sk(sk)->xprt;
	if (!t) {
		err = post_xprt_create(sk, addr->sa_family, &t);
		if (err)
			goto out;
		post_xprt_publish(sk, t);
	}
	if (t->listener) {
		err = -EINVAL;
		goto out;
	}
	if (ifindex) {
		/* the policy's preferred interface */
		err = post_xprt_bind_if(t, ifindex);
		if (err)
			goto out;
	}
	if (!t->attached)
		post_xprt_attach(t);

	sk->sk_state = TCP_SYN_SENT;
	sock->state = SS_CONNECTING;
connect:
	err = kernel_connect(t->sock, addr, len, flags);
	if (!err) {
		post_carrier_established(sk, false);
	} else if (err == -EINPROGRESS || err == -EINTR ||
		   err == -ERESTARTSYS) {
		/* completes in post_carrier_process() */
	} else {
		/* reported here, not again through SO_ERROR */
		WRITE_ONCE(sk->sk_err, 0);
		sk->sk_state = TCP_CLOSE;
		sock->state = SS_UNCONNECTED;
	}
out:
	release_sock(sk);
	return err;
}

static int post_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	struct post_transient *t;
	int err;

	lock_sock(sk);
	if (sock->state != SS_UNCONNECTED ||
	    (sk->sk_state != TCP_CLOSE && sk->sk_state != TCP_LISTEN) ||
	    (sk->sk_shutdown & SHUTDOWN_MASK)) {
		err = -EINVAL;
		goto out;
	}

	err = post_policy_check(sk, NULL);
	if (err)
		goto out;
	t = post_sk(sk)->xprt;
	if (!t) {
		err = post_xprt_create(sk, AF_INET, &t);
		if (err)
			goto out;
		post_xprt_publish(sk, t);
	}
	if (t->attached && !t->listener) {
		err = -EINVAL;
		goto out;
	}
	err = kernel_listen(t->sock, backlog);
	if (err)
		goto out;
	if (!t->listener)
		post_xprt_attach_listener(t);
	WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
	sk->sk_state = TCP_LISTEN;
out:
	release_sock(sk);
	return err;
}

static void post_sk_inherit(struct sock *newsk, struct sock *sk)
{
	struct post_sock *nps = post_sk(newsk), *ps = post_sk(sk);

	newsk->sk_rcvbuf = READ_ONCE(sk->sk_rcvbuf);
	newsk->sk_sndbuf = READ_ONCE(sk->sk_sndbuf);
	newsk->sk_userlocks = sk->sk_userlocks;
	newsk->sk_reuse = sk->sk_reuse;
	newsk->sk_protocol = sk->sk_protocol;
	newsk->sk_reuseport = sk->sk_reuseport;
	newsk->sk_rcvtimeo = READ_ONCE(sk->sk_rcvtimeo);
	newsk->sk_sndtimeo = READ_ONCE(sk->sk_sndtimeo);
	newsk->sk_lingertime = READ_ONCE(sk->sk_lingertime);
	sock_valbool_flag(newsk, SOCK_LINGER, sock_flag(sk, SOCK_LINGER));
	sock_valbool_flag(newsk, SOCK_KEEPOPEN, sock_flag(sk, SOCK_KEEPOPEN));
	newsk->sk_priority = READ_ONCE(sk->sk_priority);
	newsk->sk_mark = READ_ONCE(sk->sk_mark);
	newsk->sk_bound_dev_if = READ_ONCE(sk->sk_bound_dev_if);
	nps->max_msg = ps->max_msg;
	nps->dflt = ps->dflt;
	nps->ev_mask = ps->ev_mask;
	nps->tcp_set = ps->tcp_set;
	memcpy(nps->tcp_cc, ps->tcp_cc, sizeof(nps->tcp_cc));
	memcpy(nps->tcp_opt, ps->tcp_opt, sizeof(nps->tcp_opt));
	nps->policy = ps->policy;
	if (test_bit(POST_F_POLICY, &ps->flags))
		set_bit(POST_F_POLICY, &nps->flags);
}

/* The first child ready for accept(), off the listener's queue. */
static struct sock *post_acc_dequeue(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk), *nps;

	spin_lock_bh(&ps->acc_lock);
	nps = list_first_entry_or_null(&ps->acc_ready, struct post_sock,
				       acc_node);
	if (nps) {
		list_del_init(&nps->acc_node);
		ps->n_acc--;
	}
	spin_unlock_bh(&ps->acc_lock);
	return nps ? &nps->sk : NULL;
}

static bool post_acc_wake_cond(struct sock *sk)
{
	return sk->sk_state != TCP_LISTEN ||
	       !list_empty_careful(&post_sk(sk)->acc_ready);
}

static int post_accept(struct socket *sock, struct socket *newsock,
		       struct proto_accept_arg *arg)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct sock *sk = sock->sk, *newsk = NULL;
	struct post_sock *nps;
	long timeo;
	int err = 0;

	lock_sock(sk);
	timeo = sock_rcvtimeo(sk, arg->flags & O_NONBLOCK);
	add_wait_queue(sk_sleep(sk), &wait);
	for (;;) {
		if (sk->sk_state != TCP_LISTEN) {
			err = -EINVAL;
			break;
		}
		newsk = post_acc_dequeue(sk);
		if (newsk)
			break;
		if (!timeo) {
			err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(timeo);
			break;
		}
		sk_wait_event(sk, &timeo, post_acc_wake_cond(sk), &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	if (newsk)
		post_carrier_process(sk);	/* room: accept what TCP holds */
	release_sock(sk);
	if (err)
		return err;

	nps = post_sk(newsk);
	lock_sock(newsk);
	sock_graft(newsk, newsock);
	newsock->state = newsk->sk_state == TCP_ESTABLISHED ? SS_CONNECTED :
							      SS_UNCONNECTED;
	/* SOL_SOCKET options are mirrored onto the transients */
	set_bit(SOCK_CUSTOM_SOCKOPT, &newsock->flags);
	sock_put(nps->parent);
	nps->parent = NULL;
	release_sock(newsk);
	return 0;
}

static int post_getname(struct socket *sock, struct sockaddr *addr, int peer)
{
	struct sock *sk = sock->sk;
	struct post_transient *t;
	int err;

	lock_sock(sk);
	t = post_sk(sk)->xprt;
	if (t) {
		err = peer ? kernel_getpeername(t->sock, addr) :
			     kernel_getsockname(t->sock, addr);
	} else if (peer) {
		err = -ENOTCONN;
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)addr;

		/* unbound: like an unbound TCP socket */
		memset(sin, 0, sizeof(*sin));
		sin->sin_family = AF_INET;
		err = sizeof(*sin);
	}
	release_sock(sk);
	return err;
}

static int post_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	struct post_transient *t;
	int err = 0;

	how++;	/* SHUT_RD/WR/RDWR to RCV_/SEND_SHUTDOWN bits */
	if (how & ~SHUTDOWN_MASK || !how)
		return -EINVAL;

	lock_sock(sk);
	t = post_sk(sk)->xprt;
	switch (sk->sk_state) {
	case TCP_LISTEN:
		if (how & RCV_SHUTDOWN) {
			/* wakes accept() with EINVAL */
			kernel_sock_shutdown(t->sock, SHUT_RDWR);
			sk->sk_state = TCP_CLOSE;
		}
		break;
	case TCP_ESTABLISHED:
	case TCP_SYN_SENT:
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
		if (!post_is_msg(sk))
			err = kernel_sock_shutdown(t->sock, how - 1);
		else
			post_carrier_process(sk);
		break;
	default:
		err = -ENOTCONN;
		break;
	}
	sk->sk_state_change(sk);
	release_sock(sk);
	return err;
}

static void post_rx_pull_one(struct post_transient *t)
{
	struct sock *tsk = t->sock->sk;

	/* nothing came in and no end: no need to lock the transient */
	if (!t->mptcp && skb_queue_empty_lockless(&tsk->sk_receive_queue) &&
	    !(READ_ONCE(tsk->sk_shutdown) & RCV_SHUTDOWN))
		return;
	post_xprt_rx_lock(t);
	post_rx_read(t);
	post_xprt_rx_unlock(t);
}

/* Run the parsers in process context, in the reader's. */
static void post_rx_pull(struct sock *sk)
{
	struct post_transient *t = post_sk(sk)->xprt;

	if (!t || t->listener || !t->attached)
		return;
	post_rx_pull_one(t);
	list_for_each_entry(t, &post_sk(sk)->joined, node)
		post_rx_pull_one(t);
}

/*
 * Closing a message carrier keeps its promise to deliver what was
 * queued: the carrier is orphaned and keeps flushing in the background
 * (bounded by POST_ORPHAN_TIMEOUT), as TCP keeps sending after close().
 * SO_LINGER with a zero timeout resets instead; with a timeout, close()
 * first waits that long for the queue to drain.
 */
static void post_msg_close(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);
	struct post_transient *t = ps->xprt;
	bool linger = sock_flag(sk, SOCK_LINGER);
	long timeo = sk->sk_lingertime;

	if (linger && !timeo) {
		post_carrier_fail(sk, true);
		return;
	}

	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	post_carrier_process(sk);
	t = ps->xprt;
	if (!t)
		return;

	if (linger && !post_tx_idle(t) && !(current->flags & PF_EXITING)) {
		DEFINE_WAIT_FUNC(wait, woken_wake_function);

		add_wait_queue(sk_sleep(sk), &wait);
		while (timeo && !signal_pending(current) && ps->xprt &&
		       !post_msg_flushed(sk, ps->xprt))
			post_wait_woken(sk, &timeo, &wait);
		remove_wait_queue(sk_sleep(sk), &wait);
		t = ps->xprt;
		if (!t)
			return;
	}

	if (post_msg_flushed(sk, t)) {
		post_carrier_xprt_drop(sk, false);
		return;
	}

	set_bit(POST_F_ORPHAN, &ps->flags);
	sock_hold(sk);			/* the flush's reference */
	sock_hold(sk);			/* the timeout's reference */
	if (!queue_delayed_work(post_wq, &ps->orphan_work,
				POST_ORPHAN_TIMEOUT))
		sock_put(sk);
}

static int post_release(struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct post_transient *t;

	if (!sk)
		return 0;

	lock_sock(sk);
	post_carrier_unregister(sk, POST_REASON_CLOSE);
	if (test_and_clear_bit(POST_F_DORMANT, &post_sk(sk)->flags))
		post_dormant_cancel(sk);	/* the linger */
	t = post_sk(sk)->xprt;
	if (t && post_is_msg(sk) && !t->listener && t->attached &&
	    sk->sk_state == TCP_ESTABLISHED)
		post_msg_close(sk);
	else	/* TCP itself applies SO_LINGER, mirrored onto it */
		post_carrier_xprt_drop(sk, false);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	sock_orphan(sk);
	if (!test_bit(POST_F_ORPHAN, &post_sk(sk)->flags)) {
		post_carrier_stop_timers(sk);
		sk->sk_state = TCP_CLOSE;
		post_rx_drop(sk, true);
	} else if (post_rx_orphan(sk)) {
		/* the peer's FIN and acknowledgments may wait behind */
		post_rx_pull(sk);
	}
	release_sock(sk);
	post_listen_drop(sk);

	sock_put(sk);
	sock->sk = NULL;
	return 0;
}

/* ---- poll -------------------------------------------------------------- */

static __poll_t post_listen_poll(struct file *file, struct sock *sk)
{
	if (!list_empty_careful(&post_sk(sk)->acc_ready))
		return EPOLLIN | EPOLLRDNORM;
	return 0;
}

static __poll_t post_msg_poll(struct file *file, struct socket *sock,
			      poll_table *wait)
{
	struct sock *sk = sock->sk;
	struct post_sock *ps = post_sk(sk);
	__poll_t mask = 0;
	int state, shutdown;

	sock_poll_wait(file, sock, wait);

	state = READ_ONCE(sk->sk_state);
	if (state == TCP_LISTEN)
		return post_listen_poll(file, sk);

	shutdown = READ_ONCE(sk->sk_shutdown);
	if (shutdown == SHUTDOWN_MASK || state == TCP_CLOSE)
		mask |= EPOLLHUP;
	if ((shutdown & RCV_SHUTDOWN) || READ_ONCE(ps->rx_eof))
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (!list_empty_careful(&ps->rx_ready))
		mask |= EPOLLIN | EPOLLRDNORM;

	if (state != TCP_SYN_SENT && !(shutdown & SEND_SHUTDOWN)) {
		if (state != TCP_ESTABLISHED || READ_ONCE(ps->can_send)) {
			mask |= EPOLLOUT | EPOLLWRNORM;
		} else {
			set_bit(SOCK_NOSPACE, &sock->flags);
			/* acks left for later may hold the room */
			if (post_ack_in_pending(sk))
				post_tx_schedule(sk);
			/* NOSPACE before the recheck; post_write_space()
			 * frees room before it tests NOSPACE
			 */
			smp_mb__after_atomic();
			if (READ_ONCE(ps->can_send))
				mask |= EPOLLOUT | EPOLLWRNORM;
		}
	}

	/* state and queues first, then the error: as tcp_poll() */
	smp_rmb();
	if (READ_ONCE(sk->sk_err) ||
	    !skb_queue_empty_lockless(&sk->sk_error_queue))
		mask |= EPOLLERR;
	return mask;
}

static __poll_t post_stream_poll(struct file *file, struct socket *sock,
				 poll_table *wait)
{
	struct sock *sk = sock->sk;
	struct post_transient *t;
	__poll_t mask;

	sock_poll_wait(file, sock, wait);

	t = post_xprt_get(sk);
	if (!t)
		return EPOLLOUT | EPOLLWRNORM | EPOLLHUP;
	if (t->listener)
		return post_listen_poll(file, sk);
	mask = t->sock->ops->poll(file, t->sock, NULL);
	if (READ_ONCE(sk->sk_err))
		mask |= EPOLLERR;
	return mask;
}

/* ---- data -------------------------------------------------------------- */

/*
 * Stream carriers pass SOL_SOCKET control messages on to TCP; message
 * properties cannot apply to a byte stream.
 */
static int post_check_cmsgs(struct msghdr *msg, bool others_ok)
{
	struct cmsghdr *cmsg;

	for_each_cmsghdr(cmsg, msg) {
		if (!CMSG_OK(msg, cmsg))
			return -EINVAL;
		if (cmsg->cmsg_level == SOL_POST || !others_ok)
			return -EINVAL;
	}
	return 0;
}

static bool post_xprt_writable(struct sock *sk)
{
	struct post_transient *t = post_sk(sk)->xprt;

	return t && __sk_stream_is_writeable(t->sock->sk, 1);
}

/*
 * Wait until a message of niceness @nice is admitted (see
 * post_tx_admit()).  The sender is woken when the transport has room
 * too, and then moves queued frames itself rather than waiting for the
 * tx work to do it.
 */
static int post_wait_sndbuf(struct sock *sk, long *timeo, u32 nice)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	bool pushed = false;
	int err = 0;

	add_wait_queue(sk_sleep(sk), &wait);
	for (;;) {
		if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN)) {
			err = sock_error(sk) ?: -EPIPE;
			break;
		}
		if (post_tx_admit(sk, nice))
			break;
		/*
		 * The caller caught up with the transport without pushing:
		 * pushing what is queued may make room, once per wakeup.
		 */
		if (!pushed) {
			pushed = true;
			post_carrier_process(sk);
			continue;
		}
		set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		/* acks that came in before NOSPACE was seen */
		if (post_ack_in_pending(sk))
			post_tx_schedule(sk);
		if (!*timeo) {
			err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(*timeo);
			break;
		}
		post_wait_woken(sk, timeo, &wait);
		pushed = false;
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return err;
}

/*
 * Autocorking: may the message just queued wait for what the
 * application sends next?  Yes while it is streaming (it sent last,
 * rather than received), so that a run of small messages goes to TCP in
 * one call and shares its segments, and both ends' work per segment: up
 * to POST_CORK_BYTES queued (and half of SO_SNDBUF, so that a sender
 * waiting for EPOLLOUT is let in), for at most net.post.autocork_us.  Not a
 * message marked POST_IMMEDIATE, and not with several transients, where
 * each message is weighed against the paths as it goes.
 */
static bool post_tx_autocork(struct sock *sk, const struct post_props *pp,
			     u64 queued)
{
	struct post_sock *ps = post_sk(sk);
	struct post_transient *t = ps->xprt;

	return ps->tx_streaming && !(pp->flags & POST_MSGF_IMMEDIATE) &&
	       t && !t->mptcp && !ps->n_joined &&
	       !test_bit(POST_F_DORMANT, &ps->flags) &&
	       queued < min_t(u32, POST_CORK_BYTES,
			      READ_ONCE(sk->sk_sndbuf) / 2) &&
	       post_net_autocork_us(sock_net(sk));
}

/*
 * May a message of @len bytes go straight from the application's memory
 * to the transport (post_tx_express())?  If it is small (larger ones go
 * round the carrier's pages, see POST_EXPRESS_MAX) and would go at once anyway:
 * it is not corked, nothing is queued or half sent before it, the
 * carrier has one transient, a TCP one with room, whose peer's HELLO is
 * in, and the message names no antecedents or paths.  Not if what was
 * sent is kept for sending again (post_sched_retain()): that needs the
 * message's copy.  Its memory is faulted in first, so that a bad buffer
 * fails the call before anything went.
 *
 * Return: the transient, or NULL.
 */
static struct post_transient *post_msg_express_xprt(struct sock *sk,
						    const struct post_props *pp,
						    struct msghdr *msg,
						    size_t len)
{
	struct post_sock *ps = post_sk(sk);
	struct post_transient *t = ps->xprt;

	if (len > POST_EXPRESS_MAX ||
	    !t || t->mptcp || ps->n_joined || pp->n_ante || pp->n_paths ||
	    test_bit(POST_F_DORMANT, &ps->flags) || !ps->peer_known ||
	    !post_peer_hello(t) || len > READ_ONCE(t->peer_max_msg) ||
	    post_sched_retain(sk) || !post_tx_idle(t) ||
	    !post_sched_may_start(sk) || !post_xprt_writable(sk) ||
	    post_tx_autocork(sk, pp, ps->tx_charged + len))
		return NULL;
	if (fault_in_iov_iter_readable(&msg->msg_iter, len))
		return NULL;
	return t;
}

/* Send @m, queued without a payload, from @msg (post_tx_express()). */
static int post_msg_express(struct sock *sk, struct post_transient *t,
			    struct post_msg *m, struct msghdr *msg)
{
	int err;

	/* nothing was queued: room noted so far is of no use */
	clear_bit(POST_F_TX_ROOM, &post_sk(sk)->flags);
	err = post_tx_express(sk, t, m, msg);

	if (err && !m->seq) {
		/* nothing of it went */
		post_sched_cancel(sk, m);
		return err;
	}
	if (err) {
		/* part of it went, and the rest cannot follow */
		WRITE_ONCE(sk->sk_err, -err);
		sk_error_report(sk);
		post_carrier_fail(sk, true);
		return err;
	}
	/* the transport did not take all: it may have room again, or failed */
	if (!post_tx_idle(t))
		post_carrier_push(sk);
	return 0;
}

static int post_msg_sendmsg(struct socket *sock, struct msghdr *msg,
			    size_t len)
{
	struct sock *sk = sock->sk;
	struct post_sock *ps = post_sk(sk);
	struct post_props props, *pp = &props;
	struct post_transient *t = NULL;
	struct post_msg *m = NULL;
	bool fresh;
	long timeo;
	int err;

	if (msg->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;

	lock_sock(sk);
	err = post_props_parse(sk, msg, pp);
	if (err)
		goto out;
	/*
	 * Catch up with the transport: a reset must not queue anything.
	 * Nothing is pushed yet, so that a due ACK frame leaves with the
	 * message rather than in a segment of its own.
	 */
	fresh = __post_carrier_process(sk, false);
	timeo = sock_sndtimeo(sk, msg->msg_flags & MSG_DONTWAIT);

	if (sk->sk_state == TCP_SYN_SENT) {
		fresh = false;
		err = sk_stream_wait_connect(sk, &timeo);
		if (err)
			goto out_err;
	}
	if (sk->sk_err) {
		err = sock_error(sk);
		goto out;
	}
	if (sk->sk_shutdown & SEND_SHUTDOWN) {
		err = -EPIPE;
		goto out_err;
	}
	if (sk->sk_state != TCP_ESTABLISHED) {
		err = -ENOTCONN;
		goto out;
	}
	if (len > ps->max_msg || len > READ_ONCE(ps->peer_max_msg)) {
		err = -EMSGSIZE;
		goto out;
	}

	if (!post_tx_admit(sk, pp->nice)) {
		/* it may let go of the lock, or catch up again */
		fresh = false;
		err = post_wait_sndbuf(sk, &timeo, pp->nice);
		if (err)
			goto out_err;
	}

	if (fresh)
		t = post_msg_express_xprt(sk, pp, msg, len);
	err = post_sched_enqueue(sk, msg, len, pp, t ? &m : NULL);
	if (err)
		goto out;
	if (m) {
		err = post_msg_express(sk, t, m, msg);
		if (err)
			goto out;
	} else if (post_tx_autocork(sk, pp, ps->tx_charged)) {
		post_cork_arm(sk);
	} else {
		/* what it held goes now */
		if (hrtimer_try_to_cancel(&ps->cork_timer) == 1)
			__sock_put(sk);
		if (test_bit(POST_F_DORMANT, &ps->flags)) {
			post_carrier_resume(sk);
			fresh = false;
		}
		/* still up to date, as nothing let go of the lock */
		if (fresh)
			post_carrier_push(sk);
		else
			post_carrier_process(sk);
	}
	/* the first message of a run leaves at once */
	ps->tx_streaming = true;
	err = len;
	goto out;

out_err:
	err = sk_stream_error(sk, msg->msg_flags, err);
out:
	release_sock(sk);
	return err;
}

static bool post_rx_wake_cond(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);

	return !list_empty_careful(&ps->rx_ready) || READ_ONCE(sk->sk_err) ||
	       READ_ONCE(ps->rx_kicked) ||
	       READ_ONCE(ps->rx_eof) || sk->sk_state == TCP_CLOSE ||
	       (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN);
}

/* Copy from @rm, the first complete message; return bytes copied. */
static int post_rmsg_copy(struct post_rmsg *rm, struct msghdr *msg,
			  size_t len, bool peek)
{
	u32 off = rm->head_off;
	struct sk_buff *skb, *tmp;
	size_t copied = 0;
	int err;

	if (rm->data) {
		err = memcpy_to_msg(msg, rm->data + rm->consumed, len);
		if (err)
			return err;
		if (!peek)
			rm->consumed += len;
		return len;
	}
	skb_queue_walk_safe(&rm->pieces, skb, tmp) {
		struct post_piece *pc = post_piece(skb);
		size_t n = min_t(size_t, pc->len - off, len - copied);

		err = skb_copy_datagram_msg(skb, pc->off + off, msg, n);
		if (err)
			return copied ?: err;
		copied += n;
		if (!peek) {
			rm->consumed += n;
			if (off + n == pc->len) {
				__skb_unlink(skb, &rm->pieces);
				consume_skb(skb);
				rm->head_off = 0;
			} else {
				rm->head_off = off + n;
			}
		}
		off = 0;
		if (copied == len)
			break;
	}
	return copied;
}

/* Restart the parser the full receive buffer stopped. */
static void post_rx_resume(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);
	bool resume = false;

	/*
	 * Not paused, as usual: no need for the lock.  Pausing after this
	 * leaves a message ready, whose reader comes back here.
	 */
	if (!READ_ONCE(ps->rx_paused))
		return;
	/* resume below half the buffer, not at every message read */
	spin_lock_bh(&ps->rx_lock);
	if (ps->rx_paused &&
	    (list_empty(&ps->rx_ready) ||
	     atomic_read(&sk->sk_rmem_alloc) <= READ_ONCE(sk->sk_rcvbuf) / 2)) {
		WRITE_ONCE(ps->rx_paused, false);
		resume = true;
	}
	spin_unlock_bh(&ps->rx_lock);

	if (resume)
		post_rx_pull(sk);
}

/*
 * Wait for a complete message.  The reader counts as one (rx_readers),
 * so that data arriving only flags it (rx_kicked) and wakes it, and it
 * parses the data itself.  It is on the wait queue only while it
 * sleeps: the messages it completes itself need not wake it.  A wakeup
 * takes it off the queue (autoremove_wake_function()): the softirq that
 * woke it early and then delivers the message (post_xprt_rx_kick())
 * finds nobody left to wake, unless someone polls.
 */
static struct post_rmsg *post_rx_wait(struct sock *sk, long *timeo, int *err)
{
	DEFINE_WAIT(wait);
	struct post_sock *ps = post_sk(sk);
	struct post_rmsg *rm;

	for (;;) {
		/* what comes in from now on flags it again */
		WRITE_ONCE(ps->rx_kicked, false);
		post_rx_pull(sk);
		spin_lock_bh(&ps->rx_lock);
		rm = list_first_entry_or_null(&ps->rx_ready, struct post_rmsg,
					      list);
		spin_unlock_bh(&ps->rx_lock);
		if (rm)
			break;

		if (sk->sk_err) {
			*err = sock_error(sk);
			break;
		}
		if (READ_ONCE(ps->rx_eof) || (sk->sk_shutdown & RCV_SHUTDOWN)) {
			*err = 0;
			break;
		}
		if (sk->sk_state == TCP_CLOSE) {
			*err = sock_flag(sk, SOCK_DONE) ? 0 : -ENOTCONN;
			break;
		}
		if (!*timeo) {
			*err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			*err = sock_intr_errno(*timeo);
			break;
		}
		release_sock(sk);
		prepare_to_wait(sk_sleep(sk), &wait, TASK_INTERRUPTIBLE);
		if (!post_rx_wake_cond(sk))
			*timeo = schedule_timeout(*timeo);
		finish_wait(sk_sleep(sk), &wait);
		lock_sock(sk);
	}
	return rm;
}

static int post_msg_recvmsg(struct socket *sock, struct msghdr *msg,
			    size_t len, int flags)
{
	struct sock *sk = sock->sk;
	struct post_sock *ps = post_sk(sk);
	bool peek = flags & MSG_PEEK;
	struct post_rmsg *rm;
	size_t remaining;
	long timeo;
	int err;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (flags & MSG_ERRQUEUE)
		return post_ev_recv(sk, msg, len);

	lock_sock(sk);
	if (sk->sk_state == TCP_LISTEN) {
		err = -ENOTCONN;
		goto out;
	}
	if (ps->tx_streaming) {
		/* what it sent may be what the peer must answer */
		ps->tx_streaming = false;
		if (!post_sched_idle(sk))
			post_carrier_process(sk);
	}
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);

	/*
	 * Until it returns, the reader parses what comes in: the data
	 * arriving while it copies a large message is not parsed in the
	 * softirq, on the CPU of a veth or loopback sender.
	 */
	atomic_inc(&ps->rx_readers);
	rm = post_rx_wait(sk, &timeo, &err);
	if (!rm)
		goto out_reader;
	remaining = rm->len - rm->consumed;
	err = post_rmsg_copy(rm, msg, min(len, remaining), peek);
	if (err < 0)
		goto out_reader;
	if ((size_t)err == remaining)
		msg->msg_flags |= MSG_EOR;
	if (msg->msg_control && msg->msg_controllen) {
		/* completed before the carrier knew its path: it is that one */
		u32 path_id = rm->path_id ?: ps->path_id;

		put_cmsg(msg, SOL_POST, POST_MSG_ID, sizeof(rm->id), &rm->id);
		put_cmsg(msg, SOL_POST, POST_PATH_ID, sizeof(path_id),
			 &path_id);
	}
	if (!peek && rm->consumed == rm->len) {
		spin_lock_bh(&ps->rx_lock);
		list_del(&rm->list);
		spin_unlock_bh(&ps->rx_lock);
		post_rmsg_free(sk, rm);
	}
	if (!peek)
		post_rx_resume(sk);
out_reader:
	atomic_dec(&ps->rx_readers);
	/*
	 * Once more, found a message or not, for what came in meanwhile:
	 * poll() must see it.  Pairs with the barrier in post_xprt_rx_kick().
	 */
	smp_mb__after_atomic();
	post_rx_pull(sk);
out:
	release_sock(sk);
	return err;
}

static int post_stream_sendmsg(struct socket *sock, struct msghdr *msg,
			       size_t len)
{
	struct sock *sk = sock->sk;
	struct post_transient *t = post_xprt_get(sk);
	int err;

	if (msg->msg_controllen) {
		/* SOL_SOCKET ones are TCP's business */
		err = post_check_cmsgs(msg, true);
		if (err)
			return err;
	}
	if (!t || t->listener || !t->attached)
		return sk_stream_error(sk, msg->msg_flags, -EPIPE);
	return sock_sendmsg(t->sock, msg);
}

static int post_stream_recvmsg(struct socket *sock, struct msghdr *msg,
			       size_t len, int flags)
{
	struct post_transient *t = post_xprt_get(sock->sk);

	if (!t || t->listener || !t->attached)
		return -ENOTCONN;
	return sock_recvmsg(t->sock, msg, flags);
}

/* ---- socket options ---------------------------------------------------- */

static int post_tcpopt_check(int idx, int val)
{
	switch (idx) {
	case POST_TCPOPT_KEEPIDLE:
		return val < 1 || val > MAX_TCP_KEEPIDLE ? -EINVAL : 0;
	case POST_TCPOPT_KEEPINTVL:
		return val < 1 || val > MAX_TCP_KEEPINTVL ? -EINVAL : 0;
	case POST_TCPOPT_KEEPCNT:
		return val < 1 || val > MAX_TCP_KEEPCNT ? -EINVAL : 0;
	case POST_TCPOPT_SYNCNT:
		return val < 1 || val > MAX_TCP_SYNCNT ? -EINVAL : 0;
	case POST_TCPOPT_USER_TIMEOUT:
		return val < 0 ? -EINVAL : 0;
	default:
		return 0;
	}
}

/*
 * TCP_CONGESTION names the congestion control of every transient: for a
 * carrier with urgent traffic a delay-based one (bbr) keeps the path's
 * queue, which urgent messages wait in too, short.
 */
static int post_setsockopt_cc(struct sock *sk, sockptr_t optval,
			      unsigned int optlen)
{
	struct post_sock *ps = post_sk(sk);
	char name[TCP_CA_NAME_MAX];
	int err = 0;

	if (!optlen)
		return -EINVAL;
	optlen = min_t(unsigned int, optlen, sizeof(name) - 1);
	if (copy_from_sockptr(name, optval, optlen))
		return -EFAULT;
	name[optlen] = 0;

	lock_sock(sk);
	if (ps->xprt)
		err = post_xprt_set_cc(ps->xprt, name);
	if (!err)
		strscpy(ps->tcp_cc, name, sizeof(ps->tcp_cc));
	release_sock(sk);
	return err;
}

static int post_setsockopt_tcp(struct sock *sk, int optname, sockptr_t optval,
			       unsigned int optlen)
{
	struct post_sock *ps = post_sk(sk);
	int idx = post_tcpopt_index(optname);
	int val, err;

	if (optname == TCP_CONGESTION)
		return post_setsockopt_cc(sk, optval, optlen);
	if (idx < 0)
		return -ENOPROTOOPT;
	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;

	lock_sock(sk);
	if (ps->xprt)
		err = post_xprt_set_tcpopt(ps->xprt, optname, val);
	else
		err = post_tcpopt_check(idx, val);
	if (!err) {
		ps->tcp_opt[idx] = val;
		set_bit(idx, &ps->tcp_set);
	}
	release_sock(sk);
	return err;
}

/* POST_REMOTE_ADD: one more address of the peer, before connect(). */
static int post_remote_add(struct sock *sk, sockptr_t optval,
			   unsigned int optlen)
{
	struct post_sock *ps = post_sk(sk);
	struct sockaddr_storage ss = {};
	u32 i;
	int err;

	if (!post_is_msg(sk) || optlen > sizeof(ss))
		return -EINVAL;
	if (copy_from_sockptr(&ss, optval, optlen))
		return -EFAULT;
	err = post_check_addr((struct sockaddr *)&ss, optlen);
	if (err)
		return err;

	lock_sock(sk);
	if (sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_SYN_SENT) {
		err = -EISCONN;
		goto out;
	}
	if (sk->sk_state != TCP_CLOSE || (sk->sk_shutdown & SHUTDOWN_MASK)) {
		err = -EINVAL;
		goto out;
	}
	for (i = 0; i < ps->n_cands; i++) {
		if (post_addr_eq(&ps->cands[i], &ss, true)) {
			err = -EEXIST;
			goto out;
		}
	}
	if (ps->n_cands == POST_MAX_CANDIDATES) {
		err = -ENOSPC;
		goto out;
	}
	if (!ps->cands) {
		ps->cands = kcalloc(POST_MAX_CANDIDATES, sizeof(*ps->cands),
				    GFP_KERNEL);
		if (!ps->cands) {
			err = -ENOMEM;
			goto out;
		}
	}
	ps->cands[ps->n_cands++] = ss;
out:
	release_sock(sk);
	return err;
}

static int post_setsockopt(struct socket *sock, int level, int optname,
			   sockptr_t optval, unsigned int optlen)
{
	struct sock *sk = sock->sk;
	int err;

	switch (level) {
	case SOL_SOCKET:
		err = sock_setsockopt(sock, level, optname, optval, optlen);
		if (err)
			return err;
		lock_sock(sk);
		if (post_sk(sk)->xprt)
			post_xprt_sync_sockopts(sk, post_sk(sk)->xprt);
		release_sock(sk);
		return 0;
	case SOL_TCP:
		return post_setsockopt_tcp(sk, optname, optval, optlen);
	case SOL_POST:
		if (optname == POST_POLICY)
			return post_policy_setsockopt(sk, optval, optlen);
		if (optname == POST_REMOTE_ADD)
			return post_remote_add(sk, optval, optlen);
		/* message properties do not apply to a byte stream */
		if (!post_is_msg(sk))
			return -EINVAL;
		return post_sched_setsockopt(sk, optname, optval, optlen);
	default:
		return -ENOPROTOOPT;
	}
}

/*
 * SOL_MPTCP (MPTCP_INFO, MPTCP_TCPINFO, MPTCP_SUBFLOW_ADDRS,
 * MPTCP_FULL_INFO): MPTCP's own view of the carrier's MPTCP transient.
 * ENOTCONN before it has one, EOPNOTSUPP if it is TCP.
 */
static int post_getsockopt_mptcp(struct sock *sk, int optname,
				 char __user *optval, int __user *optlen)
{
	struct post_transient *t;
	int err;

	lock_sock(sk);
	t = post_sk(sk)->xprt;
	if (!t)
		err = -ENOTCONN;
	else if (!t->mptcp)
		err = -EOPNOTSUPP;
	else
		err = t->sock->ops->getsockopt(t->sock, SOL_MPTCP, optname,
					       optval, optlen);
	release_sock(sk);
	return err;
}

/* POST_INFO: the carrier, its association and counters. */
static int post_get_info(struct sock *sk, char __user *optval,
			 int __user *optlen)
{
	struct post_sock *ps = post_sk(sk);
	struct post_info info = {};
	int len;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	len = min_t(unsigned int, len, sizeof(info));

	lock_sock(sk);
	post_path_sample(sk);
	info.carrier_id = ps->id;
	info.state = sk->sk_state;
	if (ps->assoc) {
		info.assoc_id = ps->assoc->id;
		info.assoc_state = READ_ONCE(ps->assoc->state);
		info.n_paths = READ_ONCE(ps->assoc->n_paths);
	}
	info.msgs_sent = ps->stats.msgs_sent;
	info.msgs_recv = READ_ONCE(ps->stats.msgs_recv);
	info.bytes_sent = ps->stats.bytes_sent;
	info.bytes_recv = READ_ONCE(ps->stats.bytes_recv);
	info.msgs_expired = ps->stats.msgs_expired;
	info.msgs_acked = ps->stats.msgs_acked;
	info.rtt_us = ps->pinfo.rtt_us;
	info.rttvar_us = ps->pinfo.rttvar_us;
	info.resumes = ps->resumes;
	info.dormant = test_bit(POST_F_DORMANT, &ps->flags);
	info.msgs_resent = ps->msgs_resent;
	release_sock(sk);

	if (put_user(len, optlen) || copy_to_user(optval, &info, len))
		return -EFAULT;
	return 0;
}

/* POST_PATHS: the association's paths and their measured properties. */
static int post_get_paths(struct sock *sk, char __user *optval,
			  int __user *optlen)
{
	struct post_path_desc *d;
	int len, n, err = 0;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;

	lock_sock(sk);
	post_path_sample(sk);
	n = post_assoc_paths(sk, len / sizeof(*d), &d);
	release_sock(sk);
	if (n < 0)
		return n;

	len = n * sizeof(*d);
	if (put_user(len, optlen) || copy_to_user(optval, d, len))
		err = -EFAULT;
	kfree(d);
	return err;
}

static int post_getsockopt(struct socket *sock, int level, int optname,
			   char __user *optval, int __user *optlen)
{
	struct sock *sk = sock->sk;
	struct post_sock *ps = post_sk(sk);
	struct post_transient *t;
	int idx, len, val, err;

	if (level == SOL_POST && optname == POST_INFO)
		return post_get_info(sk, optval, optlen);
	if (level == SOL_POST && optname == POST_PATHS)
		return post_get_paths(sk, optval, optlen);
	if (level == SOL_POST && optname == POST_POLICY)
		return post_policy_getsockopt(sk, optval, optlen);
	if (level == SOL_POST) {
		if (!post_is_msg(sk))
			return -EINVAL;
		return post_sched_getsockopt(sk, optname, optval, optlen);
	}
	if (level == SOL_MPTCP)
		return post_getsockopt_mptcp(sk, optname, optval, optlen);
	if (level != SOL_TCP)
		return -ENOPROTOOPT;

	lock_sock(sk);
	t = ps->xprt;
	if (t) {
		err = t->sock->ops->getsockopt(t->sock, level, optname, optval,
					       optlen);
		goto out;
	}

	if (optname == TCP_CONGESTION && ps->tcp_cc[0]) {
		err = -EFAULT;
		if (get_user(len, optlen))
			goto out;
		err = -EINVAL;
		if (len < 0)
			goto out;
		len = min_t(unsigned int, len, sizeof(ps->tcp_cc));
		err = -EFAULT;
		if (put_user(len, optlen) || copy_to_user(optval, ps->tcp_cc, len))
			goto out;
		err = 0;
		goto out;
	}
	idx = post_tcpopt_index(optname);
	if (idx < 0) {
		err = -ENOPROTOOPT;
		goto out;
	}
	if (!test_bit(idx, &ps->tcp_set)) {
		err = -ENOTCONN;
		goto out;
	}
	val = ps->tcp_opt[idx];
	err = -EFAULT;
	if (get_user(len, optlen))
		goto out;
	err = -EINVAL;
	if (len < 0)
		goto out;
	len = min_t(unsigned int, len, sizeof(int));
	err = -EFAULT;
	if (put_user(len, optlen) || copy_to_user(optval, &val, len))
		goto out;
	err = 0;
out:
	release_sock(sk);
	return err;
}

static int post_stream_ioctl(struct socket *sock, unsigned int cmd,
			     unsigned long arg)
{
	struct post_transient *t = post_xprt_get(sock->sk);

	if (!t)
		return -ENOTCONN;
	return t->sock->ops->ioctl(t->sock, cmd, arg);
}

const struct proto_ops post_msg_ops = {
	.family		= PF_POST,
	.owner		= THIS_MODULE,
	.release	= post_release,
	.bind		= post_bind,
	.connect	= post_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= post_accept,
	.getname	= post_getname,
	.poll		= post_msg_poll,
	.ioctl		= sock_no_ioctl,
	.listen		= post_listen,
	.shutdown	= post_shutdown,
	.setsockopt	= post_setsockopt,
	.getsockopt	= post_getsockopt,
	.sendmsg	= post_msg_sendmsg,
	.recvmsg	= post_msg_recvmsg,
	.mmap		= sock_no_mmap,
};

const struct proto_ops post_stream_ops = {
	.family		= PF_POST,
	.owner		= THIS_MODULE,
	.release	= post_release,
	.bind		= post_bind,
	.connect	= post_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= post_accept,
	.getname	= post_getname,
	.poll		= post_stream_poll,
	.ioctl		= post_stream_ioctl,
	.listen		= post_listen,
	.shutdown	= post_shutdown,
	.setsockopt	= post_setsockopt,
	.getsockopt	= post_getsockopt,
	.sendmsg	= post_stream_sendmsg,
	.recvmsg	= post_stream_recvmsg,
	.mmap		= sock_no_mmap,
};
