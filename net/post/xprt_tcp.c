// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST: Post Sockets message carriers.
 *
 * TCP transients: the in-kernel TCP socket under a carrier, its socket
 * callbacks and its socket options.  An MPTCP socket serves as a
 * transient too, with the differences in xprt_mptcp.c.
 */

#include <linux/error-injection.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <trace/events/sock.h>

#include "protocol.h"

static const int post_tcpopt_name[POST_TCPOPT_MAX] = {
	[POST_TCPOPT_NODELAY]		= TCP_NODELAY,
	[POST_TCPOPT_KEEPIDLE]		= TCP_KEEPIDLE,
	[POST_TCPOPT_KEEPINTVL]		= TCP_KEEPINTVL,
	[POST_TCPOPT_KEEPCNT]		= TCP_KEEPCNT,
	[POST_TCPOPT_SYNCNT]		= TCP_SYNCNT,
	[POST_TCPOPT_USER_TIMEOUT]	= TCP_USER_TIMEOUT,
};

/* Caller holds t->sock->sk->sk_callback_lock. */
static struct post_transient *post_xprt_from_sk(struct sock *sk)
{
	return __locked_read_sk_user_data_with_flags(sk, 0);
}

/*
 * Wake whoever polls or sleeps on the carrier; readers with a
 * synchronous wakeup, as sock_def_readable() wakes TCP's, since data
 * comes in the softirq of a sender that usually waits for the answer
 * next.
 */
static void post_wake_carrier(struct sock *csk, __poll_t mask)
{
	struct socket_wq *wq;

	rcu_read_lock();
	wq = rcu_dereference(csk->sk_wq);
	if (!skwq_has_sleeper(wq))
		goto out;
	if (mask == (EPOLLIN | EPOLLRDNORM))
		wake_up_interruptible_sync_poll(&wq->wait, mask);
	else
		wake_up_interruptible_poll(&wq->wait, mask);
out:
	rcu_read_unlock();
}

/**
 * post_xprt_rx_kick - run the receive parser of a message transient
 * @t: the transient
 *
 * Called from the transient's callbacks: in softirq with its socket
 * spinlock held, or in the process that owns the socket, as it lets go
 * of it (release_sock() runs what its backlog held).  When a reader
 * waits in recvmsg() it is woken and parses bulk data itself, on its own
 * CPU; a small message is parsed here meanwhile.  Otherwise the parser
 * runs here, in the softirq or in the owner: TCP runs a socket's receive
 * path with the socket owned only in its owner, so the socket is ours
 * (a reader letting go of it, a sender that TCP took a frame from while
 * acknowledgments came in).  Deferring that to the rx work cost a
 * context switch, and the work's wait for the socket, about a thousand
 * times a second at 64 KiB.
 */
void post_xprt_rx_kick(struct post_transient *t)
{
	struct sock *sk = t->sock->sk;

	/* MPTCP is read with recvmsg(), in process context only */
	if (t->mptcp) {
		queue_work(post_wq, &t->rx_work);
		return;
	}
	/*
	 * A reader in recvmsg() parses bulk data on its own CPU, as TCP
	 * readers copy, whether it waits or still copies the previous
	 * message.  The data is queued before the count is read: a reader
	 * that stopped counting looks at the queue after
	 * (post_msg_recvmsg()).
	 */
	smp_mb();
	if (atomic_read(&post_sk(t->carrier)->rx_readers)) {
		WRITE_ONCE(post_sk(t->carrier)->rx_kicked, true);
		post_wake_carrier(t->carrier, EPOLLIN | EPOLLRDNORM);
		/*
		 * A small message is parsed here while the reader wakes up,
		 * so that it finds the message ready rather than parsing
		 * after its wakeup; bulk data is left to the reader's CPU.
		 */
		if (tcp_inq(sk) > POST_RX_SOFTIRQ_BYTES ||
		    sock_owned_by_user_nocheck(sk))
			return;
	}
	post_rx_read(t);
}

/*
 * The transport has room: tell the carrier.  Its carrier is stable
 * (the transient's callback lock or its rx lock held).
 */
static void post_xprt_room(struct post_transient *t)
{
	if (!post_is_msg(t->carrier)) {
		post_wake_carrier(t->carrier, EPOLLOUT | EPOLLWRNORM);
	} else if (__sk_stream_is_writeable(t->sock->sk, 1)) {
		/*
		 * TCP calls this on every ACK until its unsent queue is
		 * short.  A sender waiting for room pushes frames itself;
		 * otherwise the tx work does.
		 */
		post_wake_carrier(t->carrier, EPOLLOUT | EPOLLWRNORM);
		post_tx_room(t->carrier);
	}
}

static void post_xprt_rx_work(struct work_struct *work)
{
	struct post_transient *t = container_of(work, struct post_transient,
						rx_work);

	post_xprt_rx_lock(t);
	if (test_and_clear_bit(POST_XPRT_ROOM, &t->xflags))
		post_xprt_room(t);
	if (post_is_msg(t->carrier))
		post_rx_read(t);
	post_xprt_rx_unlock(t);
}

/**
 * post_xprt_rx_lock - lock a transient's parser
 * @t: the transient
 *
 * A TCP transient's parser runs under its socket's lock (the socket
 * spinlock in softirq, owned in process context); an MPTCP one's only
 * in process context, under @t->rx_mutex, as its recvmsg() takes the
 * socket lock itself.  Either keeps @t->carrier stable.
 */
void post_xprt_rx_lock(struct post_transient *t)
{
	if (t->mptcp)
		mutex_lock(&t->rx_mutex);
	else
		lock_sock(t->sock->sk);
}

/**
 * post_xprt_rx_unlock - unlock a transient's parser
 * @t: the transient, post_xprt_rx_lock() held
 */
void post_xprt_rx_unlock(struct post_transient *t)
{
	if (t->mptcp)
		mutex_unlock(&t->rx_mutex);
	else
		release_sock(t->sock->sk);
}

static void post_xprt_data_ready(struct sock *sk)
{
	struct post_transient *t;

	trace_sk_data_ready(sk);

	read_lock_bh(&sk->sk_callback_lock);
	t = post_xprt_from_sk(sk);
	if (!t)
		goto out;
	if (post_is_msg(t->carrier)) {
		post_xprt_rx_kick(t);
	} else {
		t->saved_data_ready(sk);
		post_wake_carrier(t->carrier, EPOLLIN | EPOLLRDNORM);
	}
out:
	read_unlock_bh(&sk->sk_callback_lock);
}

static void post_xprt_write_space(struct sock *sk)
{
	struct post_transient *t;

	read_lock_bh(&sk->sk_callback_lock);
	t = post_xprt_from_sk(sk);
	if (!t)
		goto out;
	t->saved_write_space(sk);
	post_xprt_room(t);
out:
	read_unlock_bh(&sk->sk_callback_lock);
}

static void post_xprt_state_change(struct sock *sk)
{
	struct post_transient *t;

	read_lock_bh(&sk->sk_callback_lock);
	t = post_xprt_from_sk(sk);
	if (!t)
		goto out;
	/* wakes a blocking connect() sleeping on the transient */
	t->saved_state_change(sk);
	if (post_is_msg(t->carrier) && (sk->sk_shutdown & RCV_SHUTDOWN))
		post_xprt_rx_kick(t);
	post_tx_schedule(t->carrier);
	post_wake_carrier(t->carrier, EPOLLIN | EPOLLOUT | EPOLLHUP);
out:
	read_unlock_bh(&sk->sk_callback_lock);
}

static void post_xprt_error_report(struct sock *sk)
{
	struct post_transient *t;
	struct sock *csk;
	int err;

	read_lock_bh(&sk->sk_callback_lock);
	t = post_xprt_from_sk(sk);
	if (!t)
		goto out;
	t->saved_error_report(sk);
	csk = t->carrier;
	err = READ_ONCE(sk->sk_err);
	/*
	 * A carrier that resumes, or has other paths, decides in its tx
	 * work what the error means; a joined transient's error is only
	 * its path's.
	 */
	if (err && !READ_ONCE(t->joined) &&
	    !((READ_ONCE(post_sk(csk)->resumable) ||
	       test_bit(POST_F_MULTIPATH, &post_sk(csk)->flags)) &&
	      READ_ONCE(csk->sk_state) == TCP_ESTABLISHED)) {
		/* SO_ERROR and poll() read the carrier's sk_err */
		WRITE_ONCE(csk->sk_err, err);
		WRITE_ONCE(t->err_reported, true);
		sk_error_report(csk);
	}
	post_tx_schedule(csk);
out:
	read_unlock_bh(&sk->sk_callback_lock);
}

/**
 * post_xprt_alloc - wrap a kernel TCP socket in a transient
 * @sk: the carrier
 * @sock: the TCP socket; the transient owns it from now on
 *
 * Return: the transient, or NULL without memory (@sock is not released).
 */
struct post_transient *post_xprt_alloc(struct sock *sk, struct socket *sock)
{
	struct post_transient *t;

	t = kzalloc(sizeof(*t), sk->sk_allocation);
	if (!t)
		return NULL;

	t->carrier = sk;
	t->sock = sock;
	/* an MPTCP listener accepts plain TCP sockets from TCP peers */
	t->mptcp = sock->sk->sk_protocol == IPPROTO_MPTCP;
	t->peer_max_msg = post_sk(sk)->max_msg;
	t->tx_chunk = POST_CHUNK_SIZE;
	INIT_WORK(&t->rx_work, post_xprt_rx_work);
	mutex_init(&t->rx_mutex);
	post_parser_init(&t->rx);

	/* Transients are sent to from work items, possibly under reclaim. */
	sock->sk->sk_use_task_frag = false;
	return t;
}

/* Apply the SOL_TCP options the application set on the carrier. */
static void post_xprt_apply_tcpopts(const struct post_sock *ps,
				    struct post_transient *t)
{
	int i;

	for (i = 0; i < POST_TCPOPT_MAX; i++)
		if (test_bit(i, &ps->tcp_set))
			post_xprt_set_tcpopt(t, post_tcpopt_name[i],
					     ps->tcp_opt[i]);
}

/*
 * Give a transient the carrier's socket options: SOL_SOCKET state,
 * SOL_TCP options and congestion control.  Return 0 or the errno of
 * setting the congestion control.
 */
static int post_xprt_apply_opts(struct sock *sk, struct post_transient *t)
{
	struct post_sock *ps = post_sk(sk);

	post_xprt_sync_sockopts(sk, t);
	post_xprt_apply_tcpopts(ps, t);
	return ps->tcp_cc[0] ? post_xprt_set_cc(t, ps->tcp_cc) : 0;
}

/**
 * post_xprt_create - create a transient of the carrier
 * @sk: the carrier, locked
 * @family: AF_INET or AF_INET6, from the first address the carrier saw
 * @res: the new transient
 *
 * A TCP socket, or an MPTCP one when the carrier asked for
 * IPPROTO_MPTCP or its policy requires or prefers POST_PROP_MPTCP
 * (preferred, TCP when the namespace has MPTCP disabled).  The socket
 * lives in the carrier's namespace and holds a reference on it, so a
 * transient that outlives its carrier (a closing TCP connection) never
 * outlives the namespace.
 *
 * Return: 0 or a negative errno: ENOPROTOOPT if MPTCP is required and
 * net.mptcp.enabled is 0.
 */
int post_xprt_create(struct sock *sk, int family, struct post_transient **res)
{
	u8 pref = post_policy_pref(sk, POST_PROP_MPTCP);
	struct post_transient *t;
	struct socket *sock;
	int err;

	err = -EPROTONOSUPPORT;
	if (pref == POST_PREF_REQUIRE || pref == POST_PREF_PREFER)
		err = post_mptcp_create(sock_net(sk), family, &sock);
	if (err && pref != POST_PREF_REQUIRE) {
		err = sock_create_kern(sock_net(sk), family, SOCK_STREAM,
				       IPPROTO_TCP, &sock);
		if (!err)
			sk_net_refcnt_upgrade(sock->sk);
	}
	if (err)
		goto err;

	t = post_xprt_alloc(sk, sock);
	if (!t) {
		err = -ENOMEM;
		goto err_release;
	}
	err = post_xprt_apply_opts(sk, t);
	if (err) {
		post_xprt_destroy(t, false);
		goto err;
	}
	*res = t;
	return 0;

err_release:
	sock_release(sock);
err:
	return err;
}
ALLOW_ERROR_INJECTION(post_xprt_create, ERRNO);

/* A listening transient has a connection to accept: the tx work does. */
static void post_xprt_listen_ready(struct sock *sk)
{
	struct post_transient *t;

	trace_sk_data_ready(sk);

	read_lock_bh(&sk->sk_callback_lock);
	t = post_xprt_from_sk(sk);
	/* children inherit this callback, but not sk_user_data */
	if (t && t->listener && sk->sk_state == TCP_LISTEN)
		post_tx_schedule(t->carrier);
	read_unlock_bh(&sk->sk_callback_lock);
}

/**
 * post_xprt_attach - take over the callbacks of a connected transient
 * @t: the transient
 */
void post_xprt_attach(struct post_transient *t)
{
	struct sock *sk = t->sock->sk;
	struct post_sock *ps = post_sk(t->carrier);

	if (post_is_msg(t->carrier)) {
		int lowat = POST_XPRT_NOTSENT_LOWAT;

		/* Frames are built whole; Nagle would only add latency. */
		if (!test_bit(POST_TCPOPT_NODELAY, &ps->tcp_set))
			post_xprt_set_tcpopt(t, TCP_NODELAY, 1);
		/* Keep TCP's unsent queue short: decide late what to send. */
		t->sock->ops->setsockopt(t->sock, SOL_TCP, TCP_NOTSENT_LOWAT,
					 KERNEL_SOCKPTR(&lowat), sizeof(lowat));
	}
	post_xprt_apply_tcpopts(ps, t);	/* the application's win */

	write_lock_bh(&sk->sk_callback_lock);
	t->attached = true;
	t->saved_data_ready = sk->sk_data_ready;
	t->saved_write_space = sk->sk_write_space;
	t->saved_state_change = sk->sk_state_change;
	t->saved_error_report = sk->sk_error_report;
	sk->sk_data_ready = post_xprt_data_ready;
	sk->sk_write_space = post_xprt_write_space;
	sk->sk_state_change = post_xprt_state_change;
	sk->sk_error_report = post_xprt_error_report;
	rcu_assign_sk_user_data(sk, t);
	write_unlock_bh(&sk->sk_callback_lock);
	if (t->mptcp)
		post_mptcp_attach(t);
}

/**
 * post_xprt_attach_child - take over a connection a listener accepted
 * @t: the transient of the connection
 * @lt: the listening transient
 *
 * The connection inherited the listener's data_ready; what is restored
 * when it is detached is TCP's own.
 */
void post_xprt_attach_child(struct post_transient *t,
			    const struct post_transient *lt)
{
	struct sock *sk = t->sock->sk;

	post_xprt_attach(t);
	write_lock_bh(&sk->sk_callback_lock);
	if (t->saved_data_ready == post_xprt_listen_ready)
		t->saved_data_ready = lt->saved_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
}

/**
 * post_xprt_attach_listener - accept connections as they come
 * @t: the transient, listening
 *
 * The carrier's tx work accepts them, so that a message carrier can
 * read each one's HELLO before accept() returns it: a connection that
 * resumes a carrier is never seen by the application.  sk_user_data is
 * not copied to the children, which inherit the callback until they
 * are attached themselves.
 */
void post_xprt_attach_listener(struct post_transient *t)
{
	struct sock *sk = t->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	t->listener = true;
	t->attached = true;
	t->saved_data_ready = sk->sk_data_ready;
	sk->sk_data_ready = post_xprt_listen_ready;
	__rcu_assign_sk_user_data_with_flags(sk, t, SK_USER_DATA_NOCOPY);
	write_unlock_bh(&sk->sk_callback_lock);
	/* connections that completed before */
	post_tx_schedule(t->carrier);
}

/**
 * post_xprt_accept - accept a connection on a listening transient
 * @lt: the listening transient
 * @res: the connection's socket
 *
 * As kernel_accept(), without blocking, except that the new socket's
 * ops are set before accept() rather than after: an MPTCP listener
 * gives a connection from a peer without MPTCP the plain TCP ops, which
 * kernel_accept() would overwrite with its own.
 *
 * Return: 0 or a negative errno (-EAGAIN when there is none).
 */
int post_xprt_accept(struct post_transient *lt, struct socket **res)
{
	struct socket *sock = lt->sock, *newsock;
	struct sock *sk = sock->sk;
	/* a connection is a kernel socket if its listener is one */
	struct proto_accept_arg arg = {
		.flags = O_NONBLOCK,
		.kern = sk->sk_kern_sock,
	};
	int err;

	err = sock_create_lite(sk->sk_family, sk->sk_type, sk->sk_protocol,
			       &newsock);
	if (err)
		goto err;
	newsock->ops = sock->ops;
	err = sock->ops->accept(sock, newsock, &arg);
	if (err < 0)
		goto err_release;
	__module_get(newsock->ops->owner);
	*res = newsock;
	return 0;

err_release:
	newsock->ops = NULL;
	sock_release(newsock);
err:
	return err;
}

/**
 * post_xprt_move - hand a transient to another carrier
 * @t: the transient, its parser holding (POST_RX_HOLD)
 * @sk: the carrier that takes it, locked
 *
 * The transient takes the socket options of its new carrier.
 */
void post_xprt_move(struct post_transient *t, struct sock *sk)
{
	struct sock *tsk = t->sock->sk;

	post_xprt_rx_lock(t);
	write_lock_bh(&tsk->sk_callback_lock);
	t->carrier = sk;
	write_unlock_bh(&tsk->sk_callback_lock);
	post_xprt_rx_unlock(t);

	/* a congestion control the old carrier could set, this one can */
	post_xprt_apply_opts(sk, t);
}

static void post_xprt_detach(struct post_transient *t)
{
	struct sock *sk = t->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	if (t->listener) {
		sk->sk_data_ready = t->saved_data_ready;
		rcu_assign_sk_user_data(sk, NULL);
	} else if (post_xprt_from_sk(sk) == t) {
		sk->sk_data_ready = t->saved_data_ready;
		sk->sk_write_space = t->saved_write_space;
		sk->sk_state_change = t->saved_state_change;
		sk->sk_error_report = t->saved_error_report;
		rcu_assign_sk_user_data(sk, NULL);
		if (t->mptcp)
			post_mptcp_detach(t);
	}
	write_unlock_bh(&sk->sk_callback_lock);
}

/**
 * post_xprt_destroy - detach and release a transient
 * @t: the transient
 * @abort: reset the connection instead of closing it gracefully
 *
 * Caller holds the carrier's socket lock.  After the callbacks are
 * restored no new work is queued, so cancelling the rx work leaves
 * nothing behind that could touch @t.
 */
void post_xprt_destroy(struct post_transient *t, bool abort)
{
	struct socket *sock = t->sock;

	post_xprt_detach(t);
	cancel_work_sync(&t->rx_work);

	post_parser_release(t->carrier, t);
	post_tx_reset(t);
	kfree_skb(t->rx_skb);
	mutex_destroy(&t->rx_mutex);

	if (abort) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		sock_setsockopt(sock, SOL_SOCKET, SO_LINGER,
				KERNEL_SOCKPTR(&lg), sizeof(lg));
	}
	sock_release(sock);
	kfree(t);
}

/*
 * Set an int SOL_SOCKET option on a transient.  MPTCP takes them in its
 * own handler, which passes them on to the subflows.
 */
static int post_xprt_sol_socket(struct post_transient *t, int optname,
				int val)
{
	struct socket *sock = t->sock;

	if (test_bit(SOCK_CUSTOM_SOCKOPT, &sock->flags))
		return sock->ops->setsockopt(sock, SOL_SOCKET, optname,
					     KERNEL_SOCKPTR(&val), sizeof(val));
	return sock_setsockopt(sock, SOL_SOCKET, optname, KERNEL_SOCKPTR(&val),
			       sizeof(val));
}

/**
 * post_xprt_bind_if - bind a transient to an interface
 * @t: the transient
 * @ifindex: the interface, 0 for none
 *
 * Return: 0 or a negative errno.
 */
int post_xprt_bind_if(struct post_transient *t, int ifindex)
{
	if (t->mptcp)
		return post_xprt_sol_socket(t, SO_BINDTOIFINDEX, ifindex);
	return sock_bindtoindex(t->sock->sk, ifindex, true);
}

/**
 * post_xprt_sync_sockopts - mirror the carrier's SOL_SOCKET state
 * @sk: the carrier, locked
 * @t: its transient
 *
 * Applications set SOL_SOCKET options on the carrier; those that shape
 * the connection are copied to the TCP socket.  Stream carriers also
 * hand their buffer sizes over, since TCP buffers their data.
 */
void post_xprt_sync_sockopts(struct sock *sk, struct post_transient *t)
{
	struct sock *tsk = t->sock->sk;
	int keep = sock_flag(sk, SOCK_KEEPOPEN);
	int ifindex = READ_ONCE(sk->sk_bound_dev_if);

	if (ifindex != READ_ONCE(tsk->sk_bound_dev_if))
		post_xprt_bind_if(t, ifindex);
	if (keep != sock_flag(tsk, SOCK_KEEPOPEN))
		post_xprt_sol_socket(t, SO_KEEPALIVE, keep);
	if (READ_ONCE(sk->sk_mark) != READ_ONCE(tsk->sk_mark)) {
		if (t->mptcp)
			post_xprt_sol_socket(t, SO_MARK, READ_ONCE(sk->sk_mark));
		else
			sock_set_mark(tsk, READ_ONCE(sk->sk_mark));
	}
	if (READ_ONCE(sk->sk_priority) != READ_ONCE(tsk->sk_priority)) {
		if (t->mptcp)
			post_xprt_sol_socket(t, SO_PRIORITY,
					     READ_ONCE(sk->sk_priority));
		else
			sock_set_priority(tsk, READ_ONCE(sk->sk_priority));
	}

	lock_sock(tsk);
	tsk->sk_reuse = sk->sk_reuse;
	tsk->sk_reuseport = sk->sk_reuseport;
	WRITE_ONCE(tsk->sk_rcvtimeo, READ_ONCE(sk->sk_rcvtimeo));
	WRITE_ONCE(tsk->sk_sndtimeo, READ_ONCE(sk->sk_sndtimeo));
	WRITE_ONCE(tsk->sk_lingertime, READ_ONCE(sk->sk_lingertime));
	sock_valbool_flag(tsk, SOCK_LINGER, sock_flag(sk, SOCK_LINGER));
	if (!post_is_msg(sk)) {
		if (sk->sk_userlocks & SOCK_SNDBUF_LOCK) {
			tsk->sk_userlocks |= SOCK_SNDBUF_LOCK;
			WRITE_ONCE(tsk->sk_sndbuf, READ_ONCE(sk->sk_sndbuf));
			tsk->sk_write_space(tsk);
		}
		if (sk->sk_userlocks & SOCK_RCVBUF_LOCK) {
			tsk->sk_userlocks |= SOCK_RCVBUF_LOCK;
			WRITE_ONCE(tsk->sk_rcvbuf, READ_ONCE(sk->sk_rcvbuf));
		}
	}
	release_sock(tsk);
}

/**
 * post_xprt_set_tcpopt - apply one SOL_TCP option to a transient
 * @t: the transient
 * @optname: the option
 * @val: its value
 *
 * Return: 0 or the negative errno TCP gave.
 */
int post_xprt_set_tcpopt(struct post_transient *t, int optname, int val)
{
	return t->sock->ops->setsockopt(t->sock, SOL_TCP, optname,
					KERNEL_SOCKPTR(&val), sizeof(val));
}

/* Bytes sent in @usec at @rate (bytes per second), within @lo and @hi. */
static u32 post_rate_bytes(u64 rate, u32 usec, u32 lo, u32 hi)
{
	return clamp_t(u64, div_u64(rate * usec, USEC_PER_SEC), lo, hi);
}

/**
 * post_xprt_tune_lowat - size a message transient's queue and frames
 * @t: the transient, its carrier locked
 *
 * What TCP holds unsent is already decided: an urgent message waits
 * behind it.  Hold about POST_XPRT_NOTSENT_USEC worth at the rate TCP
 * paces at (which it computes whatever the qdisc), enough to keep the
 * link busy between two pushes and little enough to decide late.
 *
 * DATA frames carry about POST_CHUNK_USEC worth: TCP builds a packet
 * from at most one frame (the frame is the unit of a sendmsg() call, and
 * TCP sends what it has once it exceeds a segment), so small frames on a
 * fast path cost a packet each; large ones on a slow path would delay
 * an urgent message by more than the unsent queue does.
 *
 * TCP updates the rate with every ACK: both are sized again only once
 * it moved by an eighth since they last were.
 */
void post_xprt_tune_lowat(struct post_transient *t)
{
	struct sock *tsk = t->sock->sk;
	struct tcp_sock *tp;
	u64 rate;
	u32 cur;
	u32 want;

	/* MPTCP's own scheduler spreads it over subflows */
	if (t->mptcp)
		return;
	tp = tcp_sk(tsk);
	rate = READ_ONCE(tsk->sk_pacing_rate);
	if (!rate || rate == ~0UL)
		return;
	if (rate >= t->tuned_rate - t->tuned_rate / 8 &&
	    rate <= t->tuned_rate + t->tuned_rate / 8)
		return;
	t->tuned_rate = rate;
	cur = READ_ONCE(tp->notsent_lowat);
	t->tx_chunk = round_down(post_rate_bytes(rate, POST_CHUNK_USEC,
						 POST_CHUNK_MIN,
						 POST_MAX_CHUNK), POST_CHUNK_MIN);
	want = post_rate_bytes(rate, POST_XPRT_NOTSENT_USEC,
			       POST_XPRT_NOTSENT_MIN, POST_XPRT_NOTSENT_MAX);
	/* only when it moved by a quarter: no churn on every push */
	if (want > cur + cur / 4 || want < cur - cur / 4)
		WRITE_ONCE(tp->notsent_lowat, want);
}

/**
 * post_xprt_set_cc - choose a transient's congestion control
 * @t: the transient
 * @name: TCP_CONGESTION name
 *
 * Return: 0 or the negative errno TCP gave (-ENOENT if unknown).
 */
int post_xprt_set_cc(struct post_transient *t, char *name)
{
	return t->sock->ops->setsockopt(t->sock, SOL_TCP, TCP_CONGESTION,
					KERNEL_SOCKPTR(name), strlen(name));
}

/* Map a SOL_TCP option to its slot in post_sock.tcp_opt, or -1. */
int post_tcpopt_index(int optname)
{
	int i;

	for (i = 0; i < POST_TCPOPT_MAX; i++)
		if (post_tcpopt_name[i] == optname)
			return i;
	return -1;
}

/**
 * post_xprt_wildcard - does a listening transient take any address?
 * @t: the listener's transient, or NULL
 *
 * Return: true if it is bound to the wildcard address of its family.
 */
bool post_xprt_wildcard(const struct post_transient *t)
{
	const struct sock *tsk;

	if (!t)
		return false;
	tsk = t->sock->sk;
#if IS_ENABLED(CONFIG_IPV6)
	if (tsk->sk_family == AF_INET6)
		return ipv6_addr_any(&tsk->sk_v6_rcv_saddr);
#endif
	return !inet_sk(tsk)->inet_rcv_saddr;
}

/**
 * post_xprt_timeouts - has a transient timed out @n times in a row?
 * @t: the transient
 * @n: how many times
 *
 * TCP's retransmission timeouts since its last progress, or its probes
 * for data it could not send at all (no route: the link went down)
 * although the peer's window is open.  Of MPTCP, its own retransmissions
 * (on another subflow) since its last progress.
 */
bool post_xprt_timeouts(const struct post_transient *t, u8 n)
{
	const struct sock *tsk = t->sock->sk;

	if (t->mptcp)
		return READ_ONCE(inet_csk(tsk)->icsk_retransmits) >= n;
	return READ_ONCE(inet_csk(tsk)->icsk_retransmits) >= n ||
	       (READ_ONCE(inet_csk(tsk)->icsk_probes_out) >= n &&
		READ_ONCE(tcp_sk(tsk)->snd_wnd));
}

/**
 * post_xprt_sample - what a transient measures of its path
 * @sk: the carrier, locked
 * @t: the transient
 * @pi: filled from TCP's tcp_info (or MPTCP_INFO, post_mptcp_sample())
 * @state: the transient's TCP_* state
 */
void post_xprt_sample(struct sock *sk, struct post_transient *t,
		      struct post_path_info *pi, u8 *state)
{
	struct tcp_info ti;

	if (t->mptcp) {
		post_mptcp_sample(sk, t, pi, state);
		return;
	}
	tcp_get_info(t->sock->sk, &ti);
	*state = ti.tcpi_state;
	pi->rtt_us = ti.tcpi_rtt;
	pi->rttvar_us = ti.tcpi_rttvar;
	pi->delivery_rate = ti.tcpi_delivery_rate;
	pi->retrans = ti.tcpi_total_retrans;
	pi->mtu = ti.tcpi_pmtu;
}
