// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST: Post Sockets message carriers.
 *
 * MPTCP transients: what differs from a TCP one.  A carrier may use one
 * MPTCP socket instead of TCP sockets of its own on each path; the
 * kernel's MPTCP path manager then opens the subflows.  6.12's MPTCP
 * socket has no read_sock(), so the parser is fed from recvmsg() into
 * skbs of our own; it calls no sk_write_space() when it has room again
 * but wakes its wait queue, where the transient waits; and what it
 * measures is MPTCP_INFO, not tcp_info.
 */

#include <linux/mptcp.h>
#include <linux/net.h>
#include <linux/skbuff.h>
#include <linux/uio.h>
#include <net/mptcp.h>
#include <net/sock.h>

#include "protocol.h"

/* Bytes one recvmsg() takes from an MPTCP transient at most. */
#define POST_MPTCP_RX_LEN	(32 * 1024)
/* Less than this is copied into an skb of its own size. */
#define POST_MPTCP_RX_COPYBREAK	1024
/* recvmsg() calls one rx work pass makes before it yields. */
#define POST_MPTCP_RX_BUDGET	16

/*
 * Receive what the MPTCP socket has into a new skb.  Return it, or NULL
 * with *@ret 0 at the end of the peer's data, -EAGAIN when there is
 * nothing, or another negative errno.
 */
static struct sk_buff *post_mptcp_recv_skb(struct post_transient *t, int *ret)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct bio_vec bv[MAX_SKB_FRAGS];
	struct sk_buff *skb, *small;
	unsigned int i;
	int n;

	skb = alloc_skb_with_frags(0, POST_MPTCP_RX_LEN,
				   PAGE_ALLOC_COSTLY_ORDER, ret, GFP_KERNEL);
	if (!skb)
		goto err;
	for (i = 0; i < skb_shinfo(skb)->nr_frags; i++) {
		const skb_frag_t *f = &skb_shinfo(skb)->frags[i];

		bvec_set_page(&bv[i], skb_frag_page(f), skb_frag_size(f),
			      skb_frag_off(f));
	}
	skb->len = POST_MPTCP_RX_LEN;
	skb->data_len = POST_MPTCP_RX_LEN;
	iov_iter_bvec(&msg.msg_iter, ITER_DEST, bv, i, POST_MPTCP_RX_LEN);

	n = sock_recvmsg(t->sock, &msg, MSG_DONTWAIT);
	if (n <= 0) {
		*ret = n;
		goto err_free;
	}
	if (n <= POST_MPTCP_RX_COPYBREAK) {
		/* a small message does not pin a large page */
		small = alloc_skb(n, GFP_KERNEL);
		if (small) {
			skb_copy_bits(skb, 0, skb_put(small, n), n);
			consume_skb(skb);
			return small;
		}
	}
	*ret = pskb_trim(skb, n);
	if (*ret)
		goto err_free;
	return skb;

err_free:
	kfree_skb(skb);
err:
	return NULL;
}

/**
 * post_mptcp_read - feed what an MPTCP transient received to its parser
 * @t: the transient, post_xprt_rx_lock() held
 * @desc: the parser's descriptor
 * @actor: the parser
 *
 * What the parser leaves (it holds, or the carrier's receive buffer is
 * full) is kept in @t->rx_skb for the next pass.  A pass that reads
 * POST_MPTCP_RX_BUDGET times requeues the rx work and returns.
 *
 * Return: 1 at the end of the peer's data, 0 otherwise (the socket's
 * own errors are left to its error_report callback), or a negative
 * errno when the transient cannot receive (no memory).
 */
int post_mptcp_read(struct post_transient *t, read_descriptor_t *desc,
		    sk_read_actor_t actor)
{
	unsigned int i;
	int used, ret;

	for (i = 0; i < POST_MPTCP_RX_BUDGET; i++) {
		if (!t->rx_skb) {
			t->rx_skb = post_mptcp_recv_skb(t, &ret);
			if (!t->rx_skb) {
				if (ret == -ENOBUFS || ret == -ENOMEM)
					return -ENOMEM;
				return !ret;
			}
			t->rx_off = 0;
		}
		used = actor(desc, t->rx_skb, t->rx_off,
			     t->rx_skb->len - t->rx_off);
		t->rx_off += used;
		if (t->rx_off < t->rx_skb->len)
			return 0;	/* the parser stopped */
		consume_skb(t->rx_skb);
		t->rx_skb = NULL;
		if (!desc->count)
			return 0;
	}
	queue_work(post_wq, &t->rx_work);
	return 0;
}

/**
 * post_mptcp_create - create the MPTCP socket of a transient
 * @net: the carrier's namespace
 * @family: AF_INET or AF_INET6
 * @res: the new socket
 *
 * The socket is not a kernel socket, unlike a TCP transient's.  MPTCP
 * takes the lock of a subflow, always a kernel socket, under the lock
 * of its MPTCP socket (bind, connect, and the clone of a listener when
 * a connection arrives) without nesting annotations; its own users are
 * processes, whose sockets are in other lock classes than the
 * subflows'.  A kernel MPTCP socket and its subflows would share one,
 * and lockdep would report recursive locking.  MPTCP re-classes the
 * lock of its own kernel listeners for that, but a listener's clones
 * take their class from sk_kern_sock again, so only a socket created
 * as a process's is right in every case.  It is one in all other
 * respects too: it holds a reference on @net, is counted in
 * sockstat, and the creating task's LSM and cgroup hooks see it, as
 * they would see a socket the application opened itself.
 *
 * Return: 0 or a negative errno (ENOPROTOOPT if net.mptcp.enabled is 0).
 */
int post_mptcp_create(struct net *net, int family, struct socket **res)
{
	return __sock_create(net, family, SOCK_STREAM, IPPROTO_MPTCP, res, 0);
}

/* The MPTCP socket woke its wait queue: room to send, maybe. */
static int post_mptcp_wake(struct wait_queue_entry *wait, unsigned int mode,
			   int sync, void *key)
{
	struct post_transient *t = container_of(wait, struct post_transient,
						mptcp_wait);

	/*
	 * Called under the wait queue's lock, where the carrier may be
	 * changing: the rx work tells it, under @t->rx_mutex.
	 */
	if (!key || (key_to_poll(key) & EPOLLOUT)) {
		set_bit(POST_XPRT_ROOM, &t->xflags);
		queue_work(post_wq, &t->rx_work);
	}
	return 0;
}

/**
 * post_mptcp_attach - wait for room on an MPTCP transient
 * @t: the transient, being attached
 */
void post_mptcp_attach(struct post_transient *t)
{
	init_waitqueue_func_entry(&t->mptcp_wait, post_mptcp_wake);
	add_wait_queue(sk_sleep(t->sock->sk), &t->mptcp_wait);
}

/**
 * post_mptcp_detach - stop waiting on an MPTCP transient
 * @t: the transient, being detached
 *
 * Once this returns the wait queue no longer calls into @t.
 */
void post_mptcp_detach(struct post_transient *t)
{
	remove_wait_queue(sk_sleep(t->sock->sk), &t->mptcp_wait);
}

/**
 * post_mptcp_sample - what an MPTCP transient measures
 * @sk: the carrier, locked
 * @t: its transient
 * @pi: filled with what the connection shows as a whole: its
 *	retransmissions; the subflows' RTT, rate and MTU are the path
 *	manager's and the scheduler's, not ours (zero)
 * @state: the MPTCP socket's TCP_* state
 *
 * Also keeps MPTCP_INFO's subflow count and flags for the carrier dump.
 */
void post_mptcp_sample(struct sock *sk, struct post_transient *t,
		       struct post_path_info *pi, u8 *state)
{
	struct post_sock *ps = post_sk(sk);
	struct sock *msk = t->sock->sk;
	struct mptcp_info info;

	memset(pi, 0, sizeof(*pi));
	*state = inet_sk_state_load(msk);
	mptcp_diag_fill_info((struct mptcp_sock *)msk, &info);
	pi->retrans = info.mptcpi_retransmits;
	WRITE_ONCE(ps->mptcp_subflows, info.mptcpi_subflows_total);
	WRITE_ONCE(ps->mptcp_flags, info.mptcpi_flags);
}
