// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST: Post Sockets message carriers.
 *
 * The send scheduler of message carriers: message properties from
 * control messages and socket options, admission (back-pressure by
 * niceness), the order in which queued messages go to the transport,
 * antecedents, lifetimes, acknowledgments and per-message events.
 *
 * A message is, in turn, blocked (on its antecedents), queued (in the
 * scheduling tree, ordered by niceness, deadline and send order; partly
 * sent once it has a sequence number), sent (handed to the transport,
 * waiting for the peer's acknowledgment) and done (acknowledged or
 * expired, remembered in a bounded history so that later messages may
 * still name it as an antecedent).
 *
 * Everything here runs under the carrier's socket lock, except the
 * error queue (its own lock) and the acknowledgments the receive
 * parser leaves under rx_lock.
 */

#include <linux/error-injection.h>
#include <linux/jiffies.h>
#include <linux/rbtree_augmented.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/unaligned.h>
#include <net/sock.h>

#include "protocol.h"

/**
 * struct post_class - bytes queued at one niceness
 * @rb: entry in the carrier's tx_classes, by @nice
 * @nice: the niceness
 * @users: unsent messages of this niceness; 0 for a class kept idle
 * @bytes: their charge
 * @sub_bytes: @bytes of this class and of every class below it in the
 *	tree, so that the bytes queued at or below a niceness are summed
 *	in O(log classes)
 */
struct post_class {
	struct rb_node	rb;
	u32		nice;
	u32		users;
	u64		bytes;
	u64		sub_bytes;
};

static inline u64 post_class_sub(struct rb_node *rb)
{
	return rb ? rb_entry(rb, struct post_class, rb)->sub_bytes : 0;
}

static inline bool post_class_compute(struct post_class *c, bool exit)
{
	u64 sum = c->bytes + post_class_sub(c->rb.rb_left) +
		  post_class_sub(c->rb.rb_right);

	if (exit && c->sub_bytes == sum)
		return true;
	c->sub_bytes = sum;
	return false;
}

RB_DECLARE_CALLBACKS(static, post_class_cb, struct post_class, rb, sub_bytes,
		     post_class_compute);

static struct post_class *post_class_get(struct sock *sk, u32 nice)
{
	struct post_sock *ps = post_sk(sk);
	struct rb_node **p = &ps->tx_classes.rb_node, *parent = NULL;
	struct post_class *c;

	while (*p) {
		parent = *p;
		c = rb_entry(parent, struct post_class, rb);
		if (nice < c->nice) {
			p = &parent->rb_left;
		} else if (nice > c->nice) {
			p = &parent->rb_right;
		} else {
			if (!c->users++)
				ps->nr_idle_classes--;
			return c;
		}
	}
	c = kzalloc(sizeof(*c), sk->sk_allocation);
	if (!c)
		return NULL;
	c->nice = nice;
	c->users = 1;
	/* no bytes yet: the sums of the ancestors stay right */
	rb_link_node(&c->rb, parent, p);
	rb_insert_augmented(&c->rb, &ps->tx_classes, &post_class_cb);
	return c;
}

/*
 * A class whose last message went stays in the tree, empty, while there
 * are few such: a carrier whose queue drains after every message (one
 * request at a time) would otherwise allocate and free it each time.
 */
static void post_class_put(struct post_sock *ps, struct post_class *c)
{
	if (--c->users)
		return;
	if (ps->nr_idle_classes < POST_IDLE_CLASSES) {
		ps->nr_idle_classes++;
		return;
	}
	rb_erase_augmented(&c->rb, &ps->tx_classes, &post_class_cb);
	kfree(c);
}

/* Free the idle classes; the carrier has no unsent messages left. */
static void post_class_free_idle(struct post_sock *ps)
{
	struct post_class *c, *tmp;

	rbtree_postorder_for_each_entry_safe(c, tmp, &ps->tx_classes, rb) {
		WARN_ON_ONCE(c->users);
		kfree(c);
	}
	ps->tx_classes = RB_ROOT;
	ps->nr_idle_classes = 0;
}

static void post_class_add(struct post_class *c, s64 delta)
{
	c->bytes += delta;
	post_class_cb_propagate(&c->rb, NULL);
}

/* Bytes queued at niceness @nice or more urgent. */
static u64 post_class_bytes_upto(struct post_sock *ps, u32 nice)
{
	struct rb_node *rb = ps->tx_classes.rb_node;
	u64 sum = 0;

	while (rb) {
		struct post_class *c = rb_entry(rb, struct post_class, rb);

		if (c->nice <= nice) {
			sum += c->bytes + post_class_sub(rb->rb_left);
			rb = rb->rb_right;
		} else {
			rb = rb->rb_left;
		}
	}
	return sum;
}

/* ---- events ------------------------------------------------------------ */

#define POST_EV_PER_SKB		64

/* Events a carrier keeps unread before it stops admitting messages. */
static u32 post_ev_limit(const struct sock *sk)
{
	return max_t(u32, READ_ONCE(sk->sk_rcvbuf) /
		     sizeof(struct post_msg_event), 1024);
}

/*
 * Report an event on the error queue.  Events are packed into skbs of
 * up to POST_EV_PER_SKB; the carrier lock makes this the only producer.
 * The allocation must not fail: an expired or acknowledged message is
 * reported exactly once, and admission bounds how many are pending.
 */
static void post_ev_queue(struct sock *sk, u64 id, u32 type)
{
	struct post_sock *ps = post_sk(sk);
	struct sk_buff_head *q = &sk->sk_error_queue;
	struct post_msg_event ev = { .msg_id = id, .type = type };
	struct sk_buff *skb;
	unsigned long flags;
	bool first;

	if (!(ps->ev_mask & BIT(type)))
		return;

	spin_lock_irqsave(&q->lock, flags);
	skb = skb_peek_tail(q);
	if (skb && skb_tailroom(skb) >= sizeof(ev)) {
		skb_put_data(skb, &ev, sizeof(ev));
		spin_unlock_irqrestore(&q->lock, flags);
		atomic_inc(&ps->ev_pending);
		return;
	}
	spin_unlock_irqrestore(&q->lock, flags);

	skb = alloc_skb(POST_EV_PER_SKB * sizeof(ev),
			sk->sk_allocation | __GFP_NOFAIL);
	skb_put_data(skb, &ev, sizeof(ev));

	spin_lock_irqsave(&q->lock, flags);
	first = skb_queue_empty(q);
	__skb_queue_tail(q, skb);
	spin_unlock_irqrestore(&q->lock, flags);
	atomic_inc(&ps->ev_pending);
	if (first && !sock_flag(sk, SOCK_DEAD))
		sk_error_report(sk);
}

/**
 * post_ev_carrier - report an event of the carrier itself
 * @sk: the carrier, locked
 * @type: POST_EV_DORMANT or POST_EV_RESUMED
 */
void post_ev_carrier(struct sock *sk, u32 type)
{
	post_ev_queue(sk, 0, type);
}

/**
 * post_ev_recv - read events from the error queue
 * @sk: the carrier
 * @msg: where to copy them
 * @len: room in @msg's data
 *
 * Copies as many whole events as fit (at least one, truncated with
 * MSG_TRUNC if @len is smaller than an event) as data and as a
 * SOL_POST/POST_EVENTS control message; the others stay queued.
 *
 * Return: bytes copied, or a negative errno (-EAGAIN if none).
 */
int post_ev_recv(struct sock *sk, struct msghdr *msg, size_t len)
{
	struct post_sock *ps = post_sk(sk);
	struct sk_buff_head *q = &sk->sk_error_queue;
	const size_t esz = sizeof(struct post_msg_event);
	size_t n, copy;
	struct sk_buff *skb;
	int err;

	skb = skb_dequeue(q);
	if (!skb)
		return -EAGAIN;

	n = clamp_t(size_t, len / esz, 1, skb->len / esz);
	copy = min(len, n * esz);
	err = skb_copy_datagram_msg(skb, 0, msg, copy);
	if (err) {
		skb_queue_head(q, skb);
		return err;
	}
	if (copy < n * esz)
		msg->msg_flags |= MSG_TRUNC;
	put_cmsg(msg, SOL_POST, POST_EVENTS, n * esz, skb->data);
	msg->msg_flags |= MSG_ERRQUEUE;

	if (skb->len > n * esz) {
		/* older than anything queued meanwhile: back to the head */
		skb_pull(skb, n * esz);
		skb_queue_head(q, skb);
	} else {
		consume_skb(skb);
	}
	atomic_sub(n, &ps->ev_pending);
	if (sk->sk_socket && test_bit(SOCK_NOSPACE, &sk->sk_socket->flags)) {
		/* admission may be possible again */
		lock_sock(sk);
		post_tx_update_can_send(sk);
		sk->sk_write_space(sk);
		release_sock(sk);
	}
	return copy;
}

/* ---- the id table and the history -------------------------------------- */

static const struct rhashtable_params post_id_params = {
	.key_len		= sizeof(u64),
	.key_offset		= offsetof(struct post_msg, id),
	.head_offset		= offsetof(struct post_msg, hnode),
	.automatic_shrinking	= true,
};

static struct post_msg *post_id_lookup(struct post_sock *ps, u64 id)
{
	if (!test_bit(POST_F_IDS, &ps->flags))
		return NULL;
	return rhashtable_lookup_fast(&ps->ids, &id, post_id_params);
}

/* Give back what @m points to; @m itself stays for post_msg_recycle(). */
static void post_msg_release(struct post_msg *m)
{
	kfree(m->edges);
	kfree(m->paths);
	if (m->pl)
		post_payload_free(m->pl);
}

static void post_msg_free(struct post_msg *m)
{
	post_msg_release(m);
	kfree(m);
}

static void post_msg_free_cb(void *ptr, void *arg)
{
	post_msg_free(ptr);
}

/* Give back the memory of a sent message kept for sending again. */
static void post_msg_release_payload(struct sock *sk, struct post_msg *m)
{
	struct post_sock *ps = post_sk(sk);

	if (m->pl) {
		post_payload_put(sk, m->pl);
		m->pl = NULL;
	}
	if (!(m->flags & POST_MSGF_RETAINED))
		return;
	m->flags &= ~POST_MSGF_RETAINED;
	ps->tx_retained -= m->truesize;
	sk_wmem_queued_add(sk, -(int)m->truesize);
	post_tx_update_can_send(sk);
	if (sk->sk_socket && test_bit(SOCK_NOSPACE, &sk->sk_socket->flags))
		sk->sk_write_space(sk);
}

/*
 * Keep forgotten messages for the next sendmsg() calls: once the history
 * is full, every message sent forgets one, and they are forgotten in
 * bursts, as acknowledgments come.
 */
static void post_msg_recycle(struct post_sock *ps, struct post_msg *m)
{
	if (ps->nr_spares == POST_TX_SPARES) {
		post_msg_free(m);
		return;
	}
	post_msg_release(m);
	list_add(&m->list, &ps->tx_spares);
	ps->nr_spares++;
}

/* @m, done, is not remembered any more: out of the id table too. */
static void post_msg_forget(struct post_sock *ps, struct post_msg *m)
{
	if (test_bit(POST_F_IDS, &ps->flags))
		rhashtable_remove_fast(&ps->ids, &m->hnode, post_id_params);
	post_msg_recycle(ps, m);
}

/*
 * @m is done.  The history remembers what an antecedent named later
 * must find: an application's id, which is EINVAL once forgotten, and an
 * expired message, whose dependents expire too.  A kernel id that is not
 * remembered was issued and is done (post_ante_resolve()), so a message
 * with a kernel id that did not expire is forgotten at once: a carrier
 * that names no ids keeps no history, and its messages are recycled from
 * the first one on.
 */
static void post_msg_retire(struct sock *sk, struct post_msg *m)
{
	struct post_sock *ps = post_sk(sk);
	struct post_msg *old;

	post_msg_release_payload(sk, m);
	m->state = POST_MSG_DONE;
	m->xprt = NULL;
	kfree(m->edges);
	m->edges = NULL;
	m->n_ante = 0;
	if ((m->id & POST_MSG_ID_KERNEL) && !(m->flags & POST_MSGF_EXPIRED)) {
		post_msg_forget(ps, m);
		return;
	}
	list_add_tail(&m->list, &ps->tx_history);
	if (++ps->nr_history <= POST_ID_HISTORY)
		return;

	old = list_first_entry(&ps->tx_history, struct post_msg, list);
	list_del(&old->list);
	ps->nr_history--;
	post_msg_forget(ps, old);
}

/* ---- queues ------------------------------------------------------------ */

static bool post_sched_less(struct rb_node *a, const struct rb_node *b)
{
	const struct post_msg *x = rb_entry(a, struct post_msg, rb);
	const struct post_msg *y = rb_entry(b, struct post_msg, rb);

	if (x->nice != y->nice)
		return x->nice < y->nice;
	if (x->deadline != y->deadline)
		return x->deadline < y->deadline;
	return x->order < y->order;
}

static bool post_dl_less(struct rb_node *a, const struct rb_node *b)
{
	const struct post_msg *x = rb_entry(a, struct post_msg, dl_rb);
	const struct post_msg *y = rb_entry(b, struct post_msg, dl_rb);

	return x->deadline < y->deadline ||
	       (x->deadline == y->deadline && x->order < y->order);
}

static void post_sched_queue(struct post_sock *ps, struct post_msg *m)
{
	m->state = POST_MSG_QUEUED;
	rb_add_cached(&m->rb, &ps->tx_sched, post_sched_less);
}

/* Is a message of niceness @nice admitted now?  See post.rst. */
bool post_tx_admit(struct sock *sk, u32 nice)
{
	struct post_sock *ps = post_sk(sk);
	u32 sndbuf = READ_ONCE(sk->sk_sndbuf);

	if (ps->tx_charged + ps->tx_retained >= 2ULL * sndbuf)
		return false;
	if (ps->ev_mask && atomic_read(&ps->ev_pending) >= post_ev_limit(sk))
		return false;
	return post_class_bytes_upto(ps, nice) < sndbuf;
}

/* Refresh what poll() reports: room for the default niceness. */
void post_tx_update_can_send(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);

	WRITE_ONCE(ps->can_send, post_tx_admit(sk, ps->dflt.nice));
}

/* @m is not partly sent any more: off tx_started, if it was on it. */
static void post_msg_unstart(struct post_sock *ps, struct post_msg *m)
{
	if (!list_empty(&m->started)) {
		list_del_init(&m->started);
		ps->nr_started--;
	}
}

/*
 * Take @m out of the unsent queues and give back what it was charged.
 * Messages still waiting for it lose their link to it; the callers deal
 * with them first where that matters.
 */
static void post_msg_unqueue(struct sock *sk, struct post_msg *m)
{
	struct post_sock *ps = post_sk(sk);
	struct post_edge *e, *tmp;
	u32 i;

	if (m->state == POST_MSG_BLOCKED)
		list_del_init(&m->list);
	else if (!RB_EMPTY_NODE(&m->rb))
		rb_erase_cached(&m->rb, &ps->tx_sched);
	RB_CLEAR_NODE(&m->rb);
	if (!RB_EMPTY_NODE(&m->dl_rb)) {
		rb_erase_cached(&m->dl_rb, &ps->tx_deadlines);
		RB_CLEAR_NODE(&m->dl_rb);
	}
	post_msg_unstart(ps, m);
	for (i = 0; i < m->n_ante; i++)
		list_del_init(&m->edges[i].node);
	list_for_each_entry_safe(e, tmp, &m->waiters, node)
		list_del_init(&e->node);

	if (m->cls) {
		post_class_add(m->cls, -(s64)m->charge);
		post_class_put(ps, m->cls);
		m->cls = NULL;
		ps->tx_charged -= m->charge;
		sk_wmem_queued_add(sk, -(int)m->truesize);
	}
	if (m->pl) {
		post_payload_put(sk, m->pl);
		m->pl = NULL;
	}
	post_tx_update_can_send(sk);
	if (sk->sk_socket && test_bit(SOCK_NOSPACE, &sk->sk_socket->flags))
		sk->sk_write_space(sk);
}

/* A message with a sequence number stops waiting for an ack. */
static void post_msg_drop_seq(struct post_sock *ps, struct post_msg *m)
{
	list_del_init(&m->list);
	hash_del(&m->seq_node);
}

/* The message on tx_inflight numbered @seq, or NULL. */
static struct post_msg *post_seq_lookup(struct post_sock *ps, u64 seq)
{
	struct post_msg *m;

	hash_for_each_possible(ps->tx_seqs, m, seq_node, seq)
		if (m->seq == seq)
			return m;
	return NULL;
}

/**
 * post_sched_start - a message's first chunk is about to be built
 * @sk: the carrier
 * @m: the message
 */
void post_sched_start(struct sock *sk, struct post_msg *m)
{
	struct post_sock *ps = post_sk(sk);

	if (!m->seq) {
		/* sent for the first time: number it */
		m->seq = ps->next_seq++;
		hash_add(ps->tx_seqs, &m->seq_node, m->seq);
		list_add_tail(&m->list, &ps->tx_inflight);
	}
	list_add_tail(&m->started, &ps->tx_started);
	ps->nr_started++;
}

/* The peer acknowledged @m (or never will: it finished). */
static void post_msg_acked(struct sock *sk, struct post_msg *m, bool ev)
{
	post_msg_drop_seq(post_sk(sk), m);
	if (ev) {
		post_stat_inc(&post_sk(sk)->stats.msgs_acked, 1);
		post_ev_queue(sk, m->id, POST_EV_ACKED);
	}
	post_msg_retire(sk, m);
}

/**
 * post_sched_retain - keep sent messages until the peer acknowledges them
 * @sk: the carrier
 *
 * A carrier that may resume on a new transport, or that has several
 * or may be joined, sends again what a lost one may have lost.
 */
bool post_sched_retain(struct sock *sk)
{
	return READ_ONCE(post_sk(sk)->resumable) ||
	       test_bit(POST_F_MULTIPATH, &post_sk(sk)->flags) ||
	       test_bit(POST_F_RETAIN, &post_sk(sk)->flags);
}

/* Messages waiting for @m, all of it sent, may go: they name its number. */
static void post_msg_release_waiters(struct post_sock *ps, struct post_msg *m)
{
	struct post_edge *e, *tmp;

	list_for_each_entry_safe(e, tmp, &m->waiters, node) {
		struct post_msg *d = e->msg;

		list_del_init(&e->node);
		e->seq = m->seq;
		if (!--d->n_wait) {
			list_del_init(&d->list);
			post_sched_queue(ps, d);
		}
	}
}

/* The last chunk of @m went to the transport (post_sched_chunk_done()). */
static void post_msg_sent(struct sock *sk, struct post_msg *m)
{
	struct post_sock *ps = post_sk(sk);
	bool keep = (m->flags & POST_MSGF_RETAINED) || post_sched_retain(sk);
	struct post_payload *pl = NULL;

	if (keep) {
		pl = m->pl;
		m->pl = NULL;
	}
	post_msg_unqueue(sk, m);
	m->pl = pl;
	if (keep && !(m->flags & POST_MSGF_RETAINED)) {
		m->flags |= POST_MSGF_RETAINED;
		ps->tx_retained += m->truesize;
		sk_wmem_queued_add(sk, m->truesize);
		post_tx_update_can_send(sk);
	}
	m->state = POST_MSG_SENT;
	if (m->flags & POST_MSGF_RESENT) {
		m->flags &= ~POST_MSGF_RESENT;
		WRITE_ONCE(ps->msgs_resent, ps->msgs_resent + 1);
		if (m->flags & POST_MSGF_ACKED) {
			m->flags &= ~POST_MSGF_ACKED;
			post_msg_acked(sk, m, true);
			return;
		}
	} else {
		post_stat_inc(&ps->stats.msgs_sent, 1);
		post_stat_inc(&ps->stats.bytes_sent, m->len);
		post_ev_queue(sk, m->id, POST_EV_SENT);
	}
	if (READ_ONCE(ps->rx_eof))
		post_msg_acked(sk, m, false);
}

/**
 * post_sched_requeue - send again what a lost transient may have lost
 * @sk: the carrier, locked
 * @t: the transient that is gone, or NULL when all are
 *
 * Every message the peer did not acknowledge (of those that went on
 * @t) is queued again, whole, under its sequence number; the peer
 * drops what it turns out to have.  Partly sent messages start over
 * (the peer dropped their beginning).  When all transients are gone,
 * the ABORTs of expired messages are sent again too.
 */
void post_sched_requeue(struct sock *sk, struct post_transient *t)
{
	struct post_sock *ps = post_sk(sk);
	struct post_msg *m, *tmp;

	list_for_each_entry_safe(m, tmp, &ps->tx_inflight, list) {
		if (t && m->xprt != t)
			continue;
		m->xprt = NULL;
		if (m->state == POST_MSG_SENT) {
			if (!(m->flags & POST_MSGF_RETAINED) || !m->pl)
				continue;
			m->flags |= POST_MSGF_RESENT;
			post_sched_queue(ps, m);
		} else {
			post_msg_unstart(ps, m);
		}
		m->sent = 0;
		m->pl->cur_seg = 0;
		m->pl->cur_off = 0;
	}
	if (t)
		return;
	list_for_each_entry_safe(m, tmp, &ps->tx_history, list) {
		if (!(m->flags & POST_MSGF_EXPIRED) || !m->seq ||
		    m->seq < ps->ack_in_low)
			continue;
		list_move_tail(&m->list, &ps->tx_aborts);
		ps->nr_history--;
		m->state = POST_MSG_ABORTING;
	}
}

/**
 * post_sched_forget - a transient is going away
 * @sk: the carrier, locked
 * @t: the transient
 *
 * Messages it carried no longer point at it.
 */
void post_sched_forget(struct sock *sk, struct post_transient *t)
{
	struct post_sock *ps = post_sk(sk);
	struct post_msg *m;

	list_for_each_entry(m, &ps->tx_inflight, list)
		if (m->xprt == t)
			m->xprt = NULL;
	list_for_each_entry(m, &ps->tx_aborts, list)
		if (m->xprt == t)
			m->xprt = NULL;
}

/*
 * @m expired: drop it and, transitively, whatever waits for it.  Partly
 * sent ones are aborted on the wire.
 */
static void post_msg_expire(struct sock *sk, struct post_msg *m)
{
	struct post_sock *ps = post_sk(sk);
	struct post_edge *e, *tmp;
	LIST_HEAD(todo);

	m->flags |= POST_MSGF_EXPIRED;
	list_add_tail(&m->work, &todo);
	while ((m = list_first_entry_or_null(&todo, struct post_msg, work))) {
		list_del_init(&m->work);
		list_for_each_entry_safe(e, tmp, &m->waiters, node) {
			struct post_msg *d = e->msg;

			list_del_init(&e->node);
			if (d->flags & POST_MSGF_EXPIRED)
				continue;
			d->flags |= POST_MSGF_EXPIRED;
			list_add_tail(&d->work, &todo);
		}
		post_msg_unqueue(sk, m);
		if (m->seq) {
			/* its ABORT follows its chunks, on the same transient */
			post_msg_drop_seq(ps, m);
			m->state = POST_MSG_ABORTING;
			list_add_tail(&m->list, &ps->tx_aborts);
		} else {
			post_msg_retire(sk, m);
		}
		post_stat_inc(&post_sk(sk)->stats.msgs_expired, 1);
		post_ev_queue(sk, m->id, POST_EV_EXPIRED);
	}
}

/**
 * post_sched_chunk_done - a frame of @m joined a transient's batch
 * @sk: the carrier
 * @m: the message
 * @payload: its payload bytes in the frame
 *
 * A message whose last chunk it was leaves the queues at once, not to
 * be picked again, and releases the messages waiting for it; the rest
 * of its end (post_msg_sent()) waits until the batch went to the
 * transport, so that the peer gets the message first
 * (post_sched_batch_sent()).
 */
void post_sched_chunk_done(struct sock *sk, struct post_msg *m, u32 payload)
{
	struct post_sock *ps = post_sk(sk);

	m->sent += payload;
	if (m->sent != m->len)
		return;
	if (!RB_EMPTY_NODE(&m->rb)) {
		rb_erase_cached(&m->rb, &ps->tx_sched);
		RB_CLEAR_NODE(&m->rb);
	}
	post_msg_unstart(ps, m);
	/* its dependents may join the same batch */
	post_msg_release_waiters(ps, m);
	list_add_tail(&m->work, &ps->tx_sent);
}

/**
 * post_sched_batch_sent - the transport was handed a batch of frames
 * @sk: the carrier, locked since the batch was built
 *
 * Finishes the messages whose last chunks were in it, whatever the
 * transport took of it: they are the batch's now.
 */
void post_sched_batch_sent(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);
	struct post_msg *m, *tmp;

	list_for_each_entry_safe(m, tmp, &ps->tx_sent, work) {
		list_del_init(&m->work);
		post_msg_sent(sk, m);
	}
}

static void post_tx_arm(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);
	struct rb_node *rb = rb_first_cached(&ps->tx_deadlines);
	struct post_msg *m;

	if (!rb)
		return;
	m = rb_entry(rb, struct post_msg, dl_rb);
	sk_reset_timer(sk, &ps->tx_timer, (unsigned long)m->deadline);
}

/**
 * post_sched_expire - drop every message whose lifetime ended
 * @sk: the carrier
 */
void post_sched_expire(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);
	u64 now = get_jiffies_64();
	struct rb_node *rb;

	while ((rb = rb_first_cached(&ps->tx_deadlines))) {
		struct post_msg *m = rb_entry(rb, struct post_msg, dl_rb);

		if (m->deadline > now)
			break;
		post_msg_expire(sk, m);
	}
	post_tx_arm(sk);
}

static void post_tx_timer(struct timer_list *timer)
{
	struct post_sock *ps = from_timer(ps, timer, tx_timer);

	post_tx_schedule_put(&ps->sk);	/* taken by sk_reset_timer() */
}

/* Can a message with no sequence number start without overrunning the
 * peer's window?  The peer resolves numbers in order except for those
 * still partly sent, so the oldest of those bounds the window.
 */
static bool post_seq_room(struct post_sock *ps)
{
	struct post_msg *first;

	first = list_first_entry_or_null(&ps->tx_started, struct post_msg,
					 started);
	if (first && ps->next_seq - first->seq >= POST_SEQ_WINDOW)
		return false;
	/*
	 * What is sent again after a resume is not started yet, and the
	 * peer has not resolved it: the oldest unacknowledged bounds it.
	 */
	first = list_first_entry_or_null(&ps->tx_inflight, struct post_msg,
					 list);
	return !first || !ps->tx_retained ||
	       ps->next_seq - first->seq < POST_SEQ_WINDOW;
}

/* Can @t carry data now?  Its TCP is up and, if joined, the peer took it. */
static bool post_xprt_usable(const struct post_transient *t)
{
	return !t->fin_sent && t->hello_sent &&
	       READ_ONCE(t->sock->sk->sk_state) == TCP_ESTABLISHED &&
	       (!t->join || post_peer_hello(t)) &&
	       (!t->joined || t->path_up);
}

/*
 * Has @t's transport timed out since its last progress: a
 * retransmission timeout, or a probe for data it could not send with
 * the peer's window open?  Its path may be gone (post_xprt_stale()).
 */
static bool post_xprt_suspect(const struct post_transient *t)
{
	return post_xprt_timeouts(t, 1);
}

/*
 * When would @len more bytes on @t be delivered, in microseconds?  Half
 * the smoothed RTT, plus what TCP still holds (unsent and unacked) and
 * @len at the rate it paces at.
 */
static u64 post_xprt_eta(const struct post_transient *t, u32 len)
{
	const struct sock *tsk = t->sock->sk;
	const struct tcp_sock *tp;
	u64 rate, eta;
	u32 held;

	/* an MPTCP carrier has no other transient to compare with */
	if (t->mptcp)
		return 0;
	tp = tcp_sk(tsk);
	rate = READ_ONCE(tsk->sk_pacing_rate);
	held = READ_ONCE(tp->write_seq) - READ_ONCE(tp->snd_una);
	eta = (READ_ONCE(tp->srtt_us) >> 3) / 2;

	if (rate && rate != ~0UL)
		eta += div64_u64((u64)(held + len) * USEC_PER_SEC, rate);
	return eta;
}

/*
 * Would @o, another transient of the carrier, serve @m better than @t,
 * whose estimate is @mine?  Notes in *@other_up whether @o is a usable
 * non-backup transient @m may go on.
 */
static bool post_path_beats(const struct post_transient *o,
			    const struct post_transient *t,
			    const struct post_msg *m, u64 mine, bool urgent,
			    bool *other_up)
{
	u32 i;

	if (o == t || !post_xprt_usable(o))
		return false;
	if (m->n_paths) {
		for (i = 0; i < m->n_paths && m->paths[i] != o->path_id; i++)
			;
		if (i == m->n_paths)
			return false;
	}
	if (!o->backup)
		*other_up = true;
	if (!urgent || o->backup != t->backup)
		return false;
	/* what a path measured before it stalled says nothing now */
	if (post_xprt_suspect(o) != post_xprt_suspect(t))
		return post_xprt_suspect(t);
	return post_xprt_eta(o, m->len) < mine;
}

/**
 * post_path_choose - is @t where the unstarted message @m is best served?
 * @sk: the carrier, locked, with joined transients
 * @t: a usable transient that has room
 * @m: the message
 *
 * A backup path carries messages only while no other path is usable.
 * Urgent messages (niceness 0, or with a lifetime) go on the transient
 * expected to deliver them soonest (post_xprt_eta()); the others on
 * any that has room, so that bulk fills every path in proportion to
 * how fast it drains.
 *
 * Return: true if @m may go on @t now.
 */
bool post_path_choose(struct sock *sk, struct post_transient *t,
		      const struct post_msg *m)
{
	struct post_sock *ps = post_sk(sk);
	bool urgent = !m->nice || m->deadline != U64_MAX;
	struct post_transient *o;
	bool other_up = false;
	u64 mine = urgent ? post_xprt_eta(t, m->len) : 0;

	if (post_path_beats(ps->xprt, t, m, mine, urgent, &other_up))
		return false;
	list_for_each_entry(o, &ps->joined, node)
		if (post_path_beats(o, t, m, mine, urgent, &other_up))
			return false;
	return !t->backup || !other_up;
}

/**
 * post_ack_xprt - the transient an ACK frame goes on
 * @sk: the carrier, locked
 *
 * The one on the path the latest message came on, if it can carry
 * data, else the first transient: acknowledgments go where data
 * flows, not into a path that may be failing.
 *
 * Return: the transient.
 */
struct post_transient *post_ack_xprt(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);
	u32 path = READ_ONCE(ps->ack_path);
	struct post_transient *t;

	if (!ps->n_joined || ps->xprt->path_id == path)
		return ps->xprt;
	list_for_each_entry(t, &ps->joined, node)
		if (t->path_id == path && post_xprt_usable(t))
			return t;
	return ps->xprt;
}

/* May @m go on @t at all: its POST_PATHS, and where it started? */
static bool post_msg_may_use(const struct post_msg *m,
			     const struct post_transient *t)
{
	u32 i;

	if (m->xprt)
		return m->xprt == t;
	if (!m->n_paths)
		return true;
	for (i = 0; i < m->n_paths; i++)
		if (m->paths[i] == t->path_id)
			return true;
	return false;
}

/**
 * post_sched_pick - the message the next chunk on a transient comes from
 * @sk: the carrier
 * @t: the transient with room
 *
 * The most urgent queued message that may go on @t: lowest niceness,
 * then earliest deadline, then send order.  It may preempt a partly
 * sent one at this chunk boundary, unless the peer's reassembly limit
 * or the sequence window says no more may start; then the most urgent
 * partly sent one goes on.  A message goes where its POST_PATHS allow,
 * and once started stays on its transient; with several transients,
 * post_path_choose() says whether @t is where it is best served.  At
 * most POST_PICK_SCAN queued messages are looked at.
 *
 * Return: the message, or NULL if nothing may be sent on @t.
 */
struct post_msg *post_sched_pick(struct sock *sk, struct post_transient *t)
{
	struct post_sock *ps = post_sk(sk);
	struct rb_node *rb = rb_first_cached(&ps->tx_sched);
	struct post_msg *m, *s, *best = NULL;
	bool start, several = ps->n_joined;
	int scan = POST_PICK_SCAN;

	if (!rb)
		return NULL;
	start = post_sched_may_start(sk);
	for (; rb && scan--; rb = rb_next(rb)) {
		m = rb_entry(rb, struct post_msg, rb);
		if (!post_msg_may_use(m, t))
			continue;
		if (!m->xprt && several && !post_path_choose(sk, t, m))
			continue;
		if (m->seq || start)
			return m;
		break;
	}

	list_for_each_entry(s, &ps->tx_started, started)
		if (s->xprt == t && (!best || post_sched_less(&s->rb, &best->rb)))
			best = s;
	return best;
}

/**
 * post_sched_drop - drop a queued message that cannot be sent
 * @sk: the carrier
 * @m: the message, not started
 *
 * Used for messages larger than the peer turned out to accept; they and
 * their dependents are reported as expired.
 */
void post_sched_drop(struct sock *sk, struct post_msg *m)
{
	post_msg_expire(sk, m);
}

/**
 * post_sched_next_abort - the next expired partly sent message to abort
 * @sk: the carrier
 * @t: the transient with room
 *
 * The ABORT goes on the transient that carried the message's chunks,
 * after them, or on any if that one is gone.
 *
 * Return: its sequence number, or 0 if there is none.  It is done then.
 */
u64 post_sched_next_abort(struct sock *sk, struct post_transient *t)
{
	struct post_sock *ps = post_sk(sk);
	struct post_msg *m;
	u64 seq;

	list_for_each_entry(m, &ps->tx_aborts, list)
		if (!m->xprt || m->xprt == t)
			goto found;
	return 0;

found:
	seq = m->seq;
	list_del_init(&m->list);
	post_msg_retire(sk, m);
	return seq;
}

/* Anything left to hand to the transport? */
bool post_sched_idle(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);

	return RB_EMPTY_ROOT(&ps->tx_sched.rb_root) &&
	       list_empty(&ps->tx_blocked) && list_empty(&ps->tx_aborts);
}

/* Does the current chunk of @m want to go out on its own? */
bool post_msg_immediate(const struct post_msg *m)
{
	return m->flags & POST_MSGF_IMMEDIATE;
}

/* The peer acknowledged @m. */
static int post_msg_ack(struct sock *sk, struct post_msg *m)
{
	if (m->state == POST_MSG_SENT) {
		post_msg_acked(sk, m, true);
		return 0;
	}
	/* only what we send again may be acknowledged before it is sent */
	if (!(m->flags & POST_MSGF_RESENT))
		return -EPROTO;
	if (m->sent) {
		/* the peer ignores the rest: finish the frames started */
		m->flags |= POST_MSGF_ACKED;
		return 0;
	}
	post_msg_unqueue(sk, m);
	m->flags &= ~POST_MSGF_RESENT;
	m->state = POST_MSG_SENT;
	post_msg_acked(sk, m, true);
	return 0;
}

/**
 * post_sched_apply_acks - act on what the peer acknowledged
 * @sk: the carrier
 *
 * The parser leaves the peer's ACK frames under rx_lock; here the
 * messages they name become done and report POST_EV_ACKED.  Once the
 * peer finished sending it acknowledges nothing more, and messages
 * waiting for that are done without the event.
 *
 * Return: 0, or -EPROTO if the peer acknowledged what was not sent.
 */
int post_sched_apply_acks(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);
	u64 seqs[POST_ACK_MAX], low;
	struct post_msg *m, *tmp;
	u32 i, n;
	int err;

	/* most passes find none: do not take the lock for that */
	if (!READ_ONCE(ps->ack_in_dirty))
		goto eof;
	spin_lock_bh(&ps->rx_lock);
	low = ps->ack_in_low;
	n = ps->n_ack_in;
	memcpy(seqs, ps->ack_in_seqs, n * sizeof(u64));
	ps->n_ack_in = 0;
	WRITE_ONCE(ps->ack_in_dirty, false);
	spin_unlock_bh(&ps->rx_lock);

	if (low > ps->next_seq)
		return -EPROTO;
	list_for_each_entry_safe(m, tmp, &ps->tx_inflight, list) {
		if (m->seq >= low)
			break;
		err = post_msg_ack(sk, m);
		if (err)
			return err;
	}
	for (i = 0; i < n; i++) {
		if (!seqs[i] || seqs[i] >= ps->next_seq)
			return -EPROTO;
		m = post_seq_lookup(ps, seqs[i]);
		if (!m)
			continue;	/* acknowledged already */
		err = post_msg_ack(sk, m);
		if (err)
			return err;
	}
eof:
	/* the peer finished: it acknowledges nothing more */
	if (READ_ONCE(ps->rx_eof)) {
		list_for_each_entry_safe(m, tmp, &ps->tx_inflight, list)
			if (m->state == POST_MSG_SENT)
				post_msg_acked(sk, m, false);
	}
	return 0;
}

/* ---- sending ----------------------------------------------------------- */

static int post_prop_u32(const struct cmsghdr *cmsg, u32 *val)
{
	if (cmsg->cmsg_len != CMSG_LEN(sizeof(u32)))
		return -EINVAL;
	memcpy(val, CMSG_DATA(cmsg), sizeof(u32));
	return 0;
}

/* An array of 1 to @max entries of @size bytes; their number in @n. */
static int post_prop_array(const struct cmsghdr *cmsg, size_t size, u32 max,
			   u32 *n)
{
	size_t dlen = cmsg->cmsg_len - CMSG_LEN(0);

	if (!dlen || dlen % size || dlen / size > max)
		return -EINVAL;
	*n = dlen / size;
	return 0;
}

static int post_prop_flag(const struct cmsghdr *cmsg, u32 *flags, u32 bit)
{
	int val = 1;

	if (cmsg->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&val, CMSG_DATA(cmsg), sizeof(int));
	else if (cmsg->cmsg_len != CMSG_LEN(0))
		return -EINVAL;
	if (val != 0 && val != 1)
		return -EINVAL;
	if (val)
		*flags |= bit;
	else
		*flags &= ~bit;
	return 0;
}

/**
 * post_props_parse - the properties of a message from its control messages
 * @sk: the carrier, locked
 * @msg: the application's message
 * @pp: filled with the carrier's defaults overridden by @msg
 *
 * Only SOL_POST control messages apply to messages; each type at most
 * once, with exactly the size post.h gives.
 *
 * Return: 0 or -EINVAL.
 */
int post_props_parse(struct sock *sk, struct msghdr *msg,
		     struct post_props *pp)
{
	struct post_sock *ps = post_sk(sk);
	struct cmsghdr *cmsg;
	unsigned long seen = 0;
	u32 dlen;
	int err;

	pp->nice = ps->dflt.nice;
	pp->lifetime = ps->dflt.lifetime;
	pp->flags = ps->dflt.flags;
	pp->id = 0;
	pp->n_ante = 0;
	pp->ante = NULL;
	pp->n_paths = 0;
	pp->paths = NULL;
	if (!msg->msg_controllen)
		return 0;

	for_each_cmsghdr(cmsg, msg) {
		if (!CMSG_OK(msg, cmsg) || cmsg->cmsg_level != SOL_POST)
			return -EINVAL;
		if (((cmsg->cmsg_type < POST_NICENESS ||
		      cmsg->cmsg_type > POST_IMMEDIATE) &&
		     cmsg->cmsg_type != POST_PATHS) ||
		    __test_and_set_bit(cmsg->cmsg_type, &seen))
			return -EINVAL;
		dlen = cmsg->cmsg_len - CMSG_LEN(0);

		switch (cmsg->cmsg_type) {
		case POST_NICENESS:
			err = post_prop_u32(cmsg, &pp->nice);
			break;
		case POST_LIFETIME:
			err = post_prop_u32(cmsg, &pp->lifetime);
			break;
		case POST_MSG_ID:
			err = -EINVAL;
			if (dlen != sizeof(u64))
				break;
			memcpy(&pp->id, CMSG_DATA(cmsg), sizeof(u64));
			if (pp->id && !(pp->id & POST_MSG_ID_KERNEL))
				err = 0;
			break;
		case POST_ANTECEDENTS:
			err = post_prop_array(cmsg, sizeof(u64),
					      POST_MAX_ANTECEDENTS, &pp->n_ante);
			pp->ante = (const u64 *)CMSG_DATA(cmsg);
			break;
		case POST_IDEMPOTENT:
			err = post_prop_flag(cmsg, &pp->flags,
					     POST_MSGF_IDEMPOTENT);
			break;
		case POST_PATHS:
			err = post_prop_array(cmsg, sizeof(u32),
					      POST_MAX_MSG_PATHS, &pp->n_paths);
			pp->paths = (const u32 *)CMSG_DATA(cmsg);
			break;
		default:	/* POST_IMMEDIATE */
			err = post_prop_flag(cmsg, &pp->flags,
					     POST_MSGF_IMMEDIATE);
			break;
		}
		if (err)
			return err;
	}
	return 0;
}

static int post_ids_add(struct post_sock *ps, struct post_msg *m)
{
	int err = rhashtable_lookup_insert_fast(&ps->ids, &m->hnode,
						post_id_params);

	/* a started message is both queued and in flight */
	return err == -EEXIST ? 0 : err;
}

/*
 * Set up the id table when a message first names an id, its own or an
 * antecedent's: only then is a message looked up by id, and a carrier
 * that never names one does not pay for the table per message.  Every
 * message the carrier remembers goes in; until the first application id,
 * the kernel's are unique.
 */
static int post_ids_init(struct post_sock *ps)
{
	struct list_head *lists[] = { &ps->tx_blocked, &ps->tx_inflight,
				      &ps->tx_aborts, &ps->tx_history };
	struct rb_node *rb;
	struct post_msg *m;
	int err, i;

	if (test_bit(POST_F_IDS, &ps->flags))
		return 0;
	err = rhashtable_init(&ps->ids, &post_id_params);
	if (err)
		return err;
	for (rb = rb_first_cached(&ps->tx_sched); rb; rb = rb_next(rb)) {
		err = post_ids_add(ps, rb_entry(rb, struct post_msg, rb));
		if (err)
			goto err_destroy;
	}
	for (i = 0; i < ARRAY_SIZE(lists); i++) {
		list_for_each_entry(m, lists[i], list) {
			err = post_ids_add(ps, m);
			if (err)
				goto err_destroy;
		}
	}
	set_bit(POST_F_IDS, &ps->flags);
	return 0;

err_destroy:
	rhashtable_destroy(&ps->ids);
	return err;
}
ALLOW_ERROR_INJECTION(post_ids_init, ERRNO);

/*
 * Resolve the antecedents of a new message: those not yet sent are
 * waited for, those done are satisfied (or, if they expired, expire the
 * new message too).  Kernel ids below the counter that fell out of the
 * history were sent and are done.
 */
static int post_ante_resolve(struct post_sock *ps,
			     const struct post_props *pp,
			     struct post_msg **ante, u32 *n, bool *expired)
{
	u32 i, j;

	*n = 0;
	*expired = false;
	for (i = 0; i < pp->n_ante; i++) {
		u64 aid = get_unaligned(&pp->ante[i]);
		struct post_msg *a;

		if (!aid || aid == pp->id)
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (get_unaligned(&pp->ante[j]) == aid)
				return -EINVAL;
		a = post_id_lookup(ps, aid);
		if (!a) {
			if ((aid & POST_MSG_ID_KERNEL) &&
			    (aid & ~POST_MSG_ID_KERNEL) < ps->next_kid)
				continue;
			return -EINVAL;
		}
		if (a->state == POST_MSG_ABORTING ||
		    (a->state == POST_MSG_DONE &&
		     (a->flags & POST_MSGF_EXPIRED))) {
			*expired = true;
			continue;
		}
		if (a->state != POST_MSG_DONE)
			ante[(*n)++] = a;
	}
	return 0;
}

/* Link @m to its antecedents; return how many it waits for. */
static u32 post_ante_link(struct post_msg *m, struct post_msg **ante, u32 n)
{
	u32 i, wait = 0;

	for (i = 0; i < n; i++) {
		struct post_edge *e = &m->edges[i];

		e->msg = m;
		INIT_LIST_HEAD(&e->node);
		if (ante[i]->state == POST_MSG_SENT) {
			e->seq = ante[i]->seq;
		} else {
			list_add_tail(&e->node, &ante[i]->waiters);
			wait++;
		}
	}
	m->n_ante = n;
	return wait;
}

/**
 * post_sched_enqueue - queue a message for transmission
 * @sk: the carrier, locked and admitted for @pp->nice
 * @msg: the application's message
 * @len: its length
 * @pp: its properties
 * @express: if not NULL, the caller would send the message itself
 *	(post_tx_express()) and gets it here, queued without a payload;
 *	NULL here if it was copied and queued as any other (it names
 *	antecedents, or an id of a message the history holds)
 *
 * Return: 0, or -EEXIST (id in flight), -EINVAL (unknown antecedent or
 * path), -ENOMEM or -EFAULT; nothing is queued then.
 */
int post_sched_enqueue(struct sock *sk, struct msghdr *msg, size_t len,
		       const struct post_props *pp, struct post_msg **express)
{
	struct post_msg **ante = NULL, *m, *old = NULL;
	struct post_sock *ps = post_sk(sk);
	bool expired = false;
	u32 n = 0;
	int err;

	if (express)
		*express = NULL;
	if (pp->id || pp->n_ante) {
		err = post_ids_init(ps);
		if (err)
			return err;
	}
	if (pp->n_paths && !post_assoc_has_paths(sk, pp->paths, pp->n_paths))
		return -EINVAL;
	if (pp->id) {
		old = post_id_lookup(ps, pp->id);
		if (old && old->state != POST_MSG_DONE)
			return -EEXIST;
	}
	if (pp->n_ante) {
		ante = kmalloc_array(pp->n_ante, sizeof(*ante),
				     sk->sk_allocation);
		if (!ante)
			return -ENOMEM;
		err = post_ante_resolve(ps, pp, ante, &n, &expired);
		if (err)
			goto err_ante;
	}

	m = list_first_entry_or_null(&ps->tx_spares, struct post_msg, list);
	if (m) {
		list_del(&m->list);
		ps->nr_spares--;
		memset(m, 0, sizeof(*m));
	} else {
		err = -ENOMEM;
		m = kzalloc(sizeof(*m), sk->sk_allocation);
		if (!m)
			goto err_ante;
	}
	RB_CLEAR_NODE(&m->rb);
	RB_CLEAR_NODE(&m->dl_rb);
	INIT_LIST_HEAD(&m->list);
	INIT_LIST_HEAD(&m->started);
	INIT_LIST_HEAD(&m->work);
	INIT_LIST_HEAD(&m->waiters);
	m->id = pp->id ?: POST_MSG_ID_KERNEL | ps->next_kid;
	m->len = len;
	m->nice = pp->nice;
	m->flags = pp->flags;
	m->deadline = pp->lifetime ? get_jiffies_64() +
				     msecs_to_jiffies(pp->lifetime) : U64_MAX;

	err = -ENOMEM;
	if (n && !expired) {
		m->edges = kcalloc(n, sizeof(*m->edges), sk->sk_allocation);
		if (!m->edges)
			goto err_free;
	}
	if (pp->n_paths && !expired) {
		m->paths = kmemdup(pp->paths, pp->n_paths * sizeof(u32),
				   sk->sk_allocation);
		if (!m->paths)
			goto err_free;
		m->n_paths = pp->n_paths;
	}
	if (!expired) {
		m->cls = post_class_get(sk, pp->nice);
		if (!m->cls)
			goto err_free;
		/* the caller may send it itself (see below) */
		if (!express || old || n) {
			m->pl = post_payload_alloc(sk, msg, len);
			if (IS_ERR(m->pl)) {
				err = PTR_ERR(m->pl);
				m->pl = NULL;
				goto err_class;
			}
		}
	}
	err = 0;
	if (old)
		err = rhashtable_replace_fast(&ps->ids, &old->hnode, &m->hnode,
					      post_id_params);
	else if (test_bit(POST_F_IDS, &ps->flags))
		err = rhashtable_insert_fast(&ps->ids, &m->hnode,
					     post_id_params);
	if (err)
		goto err_class;

	/* nothing fails from here on */
	if (old) {
		list_del(&old->list);
		ps->nr_history--;
		post_msg_free(old);
	}
	if (!pp->id)
		ps->next_kid++;
	m->order = ps->next_order++;

	if (expired) {
		m->flags |= POST_MSGF_EXPIRED;
		post_msg_retire(sk, m);
		post_stat_inc(&post_sk(sk)->stats.msgs_expired, 1);
		post_ev_queue(sk, m->id, POST_EV_EXPIRED);
		kfree(ante);
		return 0;
	}

	m->truesize = sizeof(*m) + n * sizeof(*m->edges) + len +
		      m->n_paths * sizeof(u32) +
		      (m->pl ? struct_size(m->pl, segs, m->pl->nr_segs) : 0);
	m->charge = min_t(u32, m->truesize, READ_ONCE(sk->sk_sndbuf));
	sk_wmem_queued_add(sk, m->truesize);
	ps->tx_charged += m->charge;
	post_class_add(m->cls, m->charge);

	m->n_wait = post_ante_link(m, ante, n);
	if (m->n_wait) {
		m->state = POST_MSG_BLOCKED;
		list_add_tail(&m->list, &ps->tx_blocked);
	} else {
		post_sched_queue(ps, m);
	}
	if (pp->lifetime) {
		if (rb_add_cached(&m->dl_rb, &ps->tx_deadlines, post_dl_less))
			post_tx_arm(sk);
	}
	post_tx_update_can_send(sk);
	/* queued without its payload: the caller sends it from @msg */
	if (!m->pl)
		*express = m;
	kfree(ante);
	return 0;

err_class:
	if (m->cls)
		post_class_put(ps, m->cls);
	m->cls = NULL;
err_free:
	post_msg_free(m);
err_ante:
	kfree(ante);
	return err;
}
ALLOW_ERROR_INJECTION(post_sched_enqueue, ERRNO);

/**
 * post_sched_cancel - take back a message nothing of which was sent
 * @sk: the carrier, locked
 * @m: the message post_sched_enqueue() gave the caller to send itself
 *
 * For a sendmsg() that fails after all: it leaves the carrier as it
 * found it, with the message's kernel id unused.
 */
void post_sched_cancel(struct sock *sk, struct post_msg *m)
{
	struct post_sock *ps = post_sk(sk);

	post_msg_unqueue(sk, m);
	if (m->id & POST_MSG_ID_KERNEL)
		ps->next_kid--;	/* the last it issued */
	post_msg_forget(ps, m);
}

/**
 * post_sched_may_start - may a message start on the wire now?
 * @sk: the carrier
 *
 * Not if the peer's reassembly limit or the sequence window says no
 * more may start (post_sched_pick()).
 */
bool post_sched_may_start(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);

	return ps->nr_started < POST_MAX_PARTIAL && post_seq_room(ps);
}

/**
 * post_sched_purge - drop every unsent message
 * @sk: the carrier, whose transport is gone
 *
 * No events: the carrier's error tells the application.
 */
void post_sched_purge(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);
	struct post_msg *m;
	struct rb_node *rb;

	sk_stop_timer(sk, &ps->tx_timer);
	while ((rb = rb_first_cached(&ps->tx_sched))) {
		m = rb_entry(rb, struct post_msg, rb);
		post_msg_unqueue(sk, m);
		if (m->seq)
			post_msg_drop_seq(ps, m);
		post_msg_retire(sk, m);
	}
	while ((m = list_first_entry_or_null(&ps->tx_blocked, struct post_msg,
					     list))) {
		post_msg_unqueue(sk, m);
		post_msg_retire(sk, m);
	}
	while ((m = list_first_entry_or_null(&ps->tx_aborts, struct post_msg,
					     list))) {
		list_del_init(&m->list);
		post_msg_retire(sk, m);
	}
	while ((m = list_first_entry_or_null(&ps->tx_inflight, struct post_msg,
					     list))) {
		post_msg_drop_seq(ps, m);
		post_msg_retire(sk, m);
	}
}

/**
 * post_sched_init - set up a carrier's scheduler
 * @sk: the carrier
 */
void post_sched_init(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);

	timer_setup(&ps->tx_timer, post_tx_timer, 0);
	ps->tx_sched = RB_ROOT_CACHED;
	ps->tx_deadlines = RB_ROOT_CACHED;
	ps->tx_classes = RB_ROOT;
	INIT_LIST_HEAD(&ps->tx_blocked);
	INIT_LIST_HEAD(&ps->tx_started);
	INIT_LIST_HEAD(&ps->tx_sent);
	INIT_LIST_HEAD(&ps->tx_inflight);
	INIT_LIST_HEAD(&ps->tx_aborts);
	INIT_LIST_HEAD(&ps->tx_history);
	INIT_LIST_HEAD(&ps->tx_spares);
	hash_init(ps->tx_seqs);
	ps->next_kid = 1;
	ps->next_seq = 1;
	ps->can_send = true;
}

/**
 * post_sched_destroy - free what the scheduler holds
 * @sk: the carrier, being destroyed
 */
void post_sched_destroy(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);
	struct post_msg *m, *tmp;

	post_sched_purge(sk);
	post_class_free_idle(ps);
	list_for_each_entry_safe(m, tmp, &ps->tx_spares, list)
		kfree(m);
	INIT_LIST_HEAD(&ps->tx_spares);
	ps->nr_spares = 0;
	while (ps->nr_pl_spares)
		kvfree(ps->pl_spares[--ps->nr_pl_spares]);
	/* every message is in the history now, and in the table if any */
	if (test_and_clear_bit(POST_F_IDS, &ps->flags)) {
		rhashtable_free_and_destroy(&ps->ids, post_msg_free_cb, NULL);
		return;
	}
	list_for_each_entry_safe(m, tmp, &ps->tx_history, list)
		post_msg_free(m);
}

/* ---- socket options ---------------------------------------------------- */

/**
 * post_sched_setsockopt - SOL_POST options of a message carrier
 * @sk: the carrier
 * @optname: the option
 * @optval: its value
 * @optlen: its length
 *
 * Return: 0 or a negative errno.
 */
int post_sched_setsockopt(struct sock *sk, int optname, sockptr_t optval,
			  unsigned int optlen)
{
	struct post_sock *ps = post_sk(sk);
	u32 val;

	switch (optname) {
	case POST_NICENESS:
	case POST_LIFETIME:
	case POST_IDEMPOTENT:
	case POST_IMMEDIATE:
	case POST_EVENTS:
	case POST_ADVERTISE:
		break;
	case POST_MSG_ID:
	case POST_ANTECEDENTS:
		return -EINVAL;		/* per message only */
	default:
		return -ENOPROTOOPT;
	}
	if (optlen < sizeof(val))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	if (optname == POST_EVENTS && (val & ~POST_EV_MASK_ALL))
		return -EINVAL;
	if (optname == POST_ADVERTISE && val > 1)
		return -EINVAL;

	lock_sock(sk);
	switch (optname) {
	case POST_NICENESS:
		ps->dflt.nice = val;
		break;
	case POST_LIFETIME:
		ps->dflt.lifetime = val;
		break;
	case POST_IDEMPOTENT:
		if (val)
			ps->dflt.flags |= POST_MSGF_IDEMPOTENT;
		else
			ps->dflt.flags &= ~POST_MSGF_IDEMPOTENT;
		break;
	case POST_IMMEDIATE:
		if (val)
			ps->dflt.flags |= POST_MSGF_IMMEDIATE;
		else
			ps->dflt.flags &= ~POST_MSGF_IMMEDIATE;
		break;
	case POST_EVENTS:
		ps->ev_mask = val;
		break;
	case POST_ADVERTISE:
		assign_bit(POST_F_ADVERTISE, &ps->flags, val);
		break;
	}
	post_tx_update_can_send(sk);
	sk->sk_write_space(sk);
	release_sock(sk);
	return 0;
}

/**
 * post_sched_getsockopt - read SOL_POST options of a message carrier
 * @sk: the carrier
 * @optname: the option
 * @optval: user buffer
 * @optlen: its length, updated
 *
 * Return: 0 or a negative errno.
 */
int post_sched_getsockopt(struct sock *sk, int optname, char __user *optval,
			  int __user *optlen)
{
	struct post_sock *ps = post_sk(sk);
	int len;
	u32 val;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;

	lock_sock(sk);
	switch (optname) {
	case POST_NICENESS:
		val = ps->dflt.nice;
		break;
	case POST_LIFETIME:
		val = ps->dflt.lifetime;
		break;
	case POST_IDEMPOTENT:
		val = !!(ps->dflt.flags & POST_MSGF_IDEMPOTENT);
		break;
	case POST_IMMEDIATE:
		val = !!(ps->dflt.flags & POST_MSGF_IMMEDIATE);
		break;
	case POST_EVENTS:
		val = ps->ev_mask;
		break;
	case POST_ADVERTISE:
		val = test_bit(POST_F_ADVERTISE, &ps->flags);
		break;
	case POST_MSG_ID:
	case POST_ANTECEDENTS:
		release_sock(sk);
		return -EINVAL;
	default:
		release_sock(sk);
		return -ENOPROTOOPT;
	}
	release_sock(sk);

	len = min_t(unsigned int, len, sizeof(val));
	if (put_user(len, optlen) || copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}
