// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST: Post Sockets message carriers.
 *
 * The message carrier's wire format over a byte stream: building and
 * sending frames, and parsing and reassembling what the peer sent.
 * Every length from the wire is checked before it is used; anything
 * unexpected resets the carrier with EPROTO.
 */

#include <linux/error-injection.h>
#include <linux/bvec.h>
#include <linux/gfp.h>
#include <linux/in.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/overflow.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/ipv6.h>
#include <net/sock.h>

#include "protocol.h"

/* ---- transmit ---------------------------------------------------------- */

/*
 * Make room for @min bytes in one piece in the carrier's @tx_frag, as
 * skb_page_frag_refill() does, but a page it filled goes on @tx_ring
 * rather than away, and the oldest page there is filled again once the
 * carrier holds its only reference: the transport and the peer are done
 * with its bytes, and only the carrier hands out references to it.  A
 * stream thus goes round the same pages, which are not cleared again as
 * new pages are (init_on_alloc): at 64 KiB that was a fifth of the
 * sender's CPU time.  Nothing but the bytes written again is sent from
 * a page, so what it held before never leaves.
 */
static bool post_tx_frag_refill(struct sock *sk, u32 min)
{
	struct post_sock *ps = post_sk(sk);
	struct page_frag *pf = &ps->tx_frag;
	struct page *old;

	/* full, and held elsewhere still: onto the ring with it */
	if (pf->page && page_ref_count(pf->page) != 1 &&
	    pf->offset + min > pf->size) {
		if (ps->tx_ring_n == POST_TX_RING) {
			/* a full ring lets go of its oldest page */
			put_page(ps->tx_ring[ps->tx_ring_head]);
			ps->tx_ring_head = (ps->tx_ring_head + 1) % POST_TX_RING;
			ps->tx_ring_n--;
		}
		ps->tx_ring[(ps->tx_ring_head + ps->tx_ring_n) % POST_TX_RING] =
			pf->page;
		ps->tx_ring_n++;
		pf->page = NULL;
		old = ps->tx_ring[ps->tx_ring_head];
		if (page_ref_count(old) == 1) {
			ps->tx_ring_head = (ps->tx_ring_head + 1) % POST_TX_RING;
			ps->tx_ring_n--;
			pf->page = old;
			pf->size = page_size(old);
			pf->offset = 0;
		}
	}
	/* a page of the ring's is taken as it is, else one is allocated */
	return skb_page_frag_refill(min, pf, sk->sk_allocation);
}

/**
 * post_tx_ring_trim - let go of the pages a carrier keeps to fill again
 * @sk: the carrier, locked, or being destroyed
 *
 * Whoever still holds a page (the transport, the peer's receive queue)
 * keeps it until it is done.
 */
void post_tx_ring_trim(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);

	while (ps->tx_ring_n) {
		put_page(ps->tx_ring[ps->tx_ring_head]);
		ps->tx_ring_head = (ps->tx_ring_head + 1) % POST_TX_RING;
		ps->tx_ring_n--;
	}
}

/*
 * Take @len bytes (at least @min of them in one piece) from the carrier's
 * tx pages and return their address; the caller owns a page reference.
 */
static void *post_tx_frag(struct sock *sk, u32 min, u32 *len)
{
	struct page_frag *pf = &post_sk(sk)->tx_frag;
	void *p;

	if (!post_tx_frag_refill(sk, min))
		return NULL;
	*len = min_t(u32, *len, pf->size - pf->offset);
	p = page_address(pf->page) + pf->offset;
	pf->offset += *len;
	get_page(pf->page);
	return p;
}

/**
 * post_payload_alloc - copy a message from the application
 * @sk: the carrier, locked
 * @msg: the application's message
 * @len: its length
 *
 * The payload is copied once, into pages that the transport later takes
 * references on (MSG_SPLICE_PAGES) instead of copying.  Room for the
 * first frame header is kept right before it.  A payload in one segment
 * takes the carrier's spare descriptor if it has one (post_payload_put()).
 *
 * Return: the payload, or an ERR_PTR().
 */
struct post_payload *post_payload_alloc(struct sock *sk, struct msghdr *msg,
					size_t len)
{
	/* at least one segment: it holds the header room */
	u32 nr = max_t(u32, 1, DIV_ROUND_UP(len + POST_FIRST_HDR_LEN,
					     PAGE_SIZE));
	struct post_sock *ps = post_sk(sk);
	struct post_payload *pl;
	size_t done = 0;
	int err;
	u32 i;

	if (nr == 1 && ps->nr_pl_spares) {
		pl = ps->pl_spares[--ps->nr_pl_spares];
	} else {
		pl = kvmalloc(struct_size(pl, segs, nr), sk->sk_allocation);
		if (!pl)
			return ERR_PTR(-ENOMEM);
	}
	pl->nr_segs = 0;
	pl->cur_seg = 0;
	pl->cur_off = 0;

	for (i = 0; i < nr && (!i || done < len); i++) {
		u32 room = i ? 0 : POST_FIRST_HDR_LEN;
		u32 want = min_t(size_t, len - done, PAGE_SIZE - room);
		u32 seg = room + len - done;
		void *p = post_tx_frag(sk, room + want, &seg);

		if (!p) {
			err = -ENOMEM;
			goto err_free;
		}
		if (!i)
			pl->hdr = p;
		seg -= room;
		/* counted first: segs[] is __counted_by(nr_segs) */
		pl->nr_segs = i + 1;
		bvec_set_virt(&pl->segs[i], p + room, seg);
		if (copy_from_iter(p + room, seg, &msg->msg_iter) != seg) {
			err = -EFAULT;
			goto err_free;
		}
		done += seg;
	}
	return pl;

err_free:
	post_payload_free(pl);
	return ERR_PTR(err);
}
ALLOW_ERROR_INJECTION(post_payload_alloc, ERRNO);

void post_payload_free(struct post_payload *pl)
{
	u32 i;

	for (i = 0; i < pl->nr_segs; i++)
		put_page(pl->segs[i].bv_page);
	kvfree(pl);
}

/**
 * post_payload_put - a message is done with its payload
 * @sk: the carrier, locked
 * @pl: the payload
 *
 * The descriptor of a payload in one segment, as most are, is kept for
 * the next one (post_payload_alloc()) rather than freed.
 */
void post_payload_put(struct sock *sk, struct post_payload *pl)
{
	struct post_sock *ps = post_sk(sk);

	if (pl->nr_segs != 1 || ps->nr_pl_spares == POST_TX_SPARES) {
		post_payload_free(pl);
		return;
	}
	put_page(pl->segs[0].bv_page);
	pl->nr_segs = 0;
	ps->pl_spares[ps->nr_pl_spares++] = pl;
}

/*
 * Append @len bytes at @page + @off to the batch: it takes a reference on
 * the page, or extends the previous entry when the bytes continue it in
 * the same folio (consecutive frames of one carrier usually come from the
 * same @tx_frag page, so a batch of small messages is a few entries that
 * TCP coalesces into few skb fragments).
 */
static void post_tx_add_bv(struct post_transient *t, struct page *page,
			   u32 off, u32 len)
{
	struct bio_vec *prev = t->tx_nr_bv ? &t->tx_bv[t->tx_nr_bv - 1] : NULL;

	t->tx_len += len;
	if (prev && page_folio(prev->bv_page) == page_folio(page) &&
	    bvec_virt(prev) + prev->bv_len == page_address(page) + off) {
		prev->bv_len += len;
		return;
	}
	get_page(page);
	bvec_set_page(&t->tx_bv[t->tx_nr_bv++], page, len, off);
}

/* Room for a frame header of @len bytes, appended to the batch. */
static void *post_tx_hdr_alloc(struct sock *sk, struct post_transient *t,
			       u32 len)
{
	u32 got = len;
	void *hdr = post_tx_frag(sk, len, &got);

	if (!hdr)
		return NULL;
	post_tx_add_bv(t, virt_to_page(hdr), offset_in_page(hdr), len);
	put_page(virt_to_page(hdr));	/* post_tx_frag()'s, the batch has one */
	return hdr;
}

static void post_put_frame_hdr(void *buf, u8 type, u8 flags, u32 len)
{
	struct post_frame_hdr *fh = buf;

	fh->type = type;
	fh->flags = flags;
	fh->reserved = 0;
	fh->len = cpu_to_be32(len);
}

/**
 * post_resume_mac - authenticate a request to resume a carrier
 * @key: the carrier key of the side that is asked, which set the carrier up
 * @id: that side's carrier id
 * @nonce: the request's nonce
 * @asker: the carrier key of the side that asks
 *
 * Only the two ends of the carrier know both keys: a third party who
 * sees the addresses cannot attach a connection to it.
 *
 * Return: the MAC.
 */
u64 post_resume_mac(const u8 *key, u32 id, u64 nonce, const u8 *asker)
{
	siphash_key_t k;

	memcpy(&k, key, sizeof(k));
	return siphash_4u64(id, nonce, get_unaligned_le64(asker),
			    get_unaligned_le64(asker + 8), &k);
}

static int post_tx_build_hello(struct sock *sk, struct post_transient *t)
{
	struct post_adv_addr adv[POST_MAX_ADVERTISED];
	struct post_sock *ps = post_sk(sk);
	struct post_hello_resume *r;
	struct post_hello *h;
	u32 len = sizeof(*h) + 2 + sizeof(__be32);
	int i, n_adv = 0;
	u8 *ext;
	void *buf;
	u64 nonce;

	if (t->resume || t->join)
		len += 2 + sizeof(*r);
	/* an accepted carrier: the listener's other addresses */
	if (test_bit(POST_F_ADVERTISE, &ps->flags) && !t->resume && !t->join &&
	    !test_bit(POST_F_ACTIVE, &ps->flags) && post_carrier_multipath(sk))
		n_adv = post_policy_local_addrs(sk, t->sock->sk, adv);
	for (i = 0; i < n_adv; i++)
		len += 2 + sizeof(__be16) +
		       (adv[i].family == AF_INET ? 4 : 16);
	BUILD_BUG_ON(sizeof(struct post_hello) + 2 + 4 + 2 +
		     sizeof(struct post_hello_resume) +
		     POST_MAX_ADVERTISED * (2 + 2 + 16) > POST_HELLO_MAX_LEN);
	buf = post_tx_hdr_alloc(sk, t, sizeof(struct post_frame_hdr) + len);
	if (!buf)
		return -ENOMEM;
	post_put_frame_hdr(buf, POST_FRAME_HELLO, 0, len);
	h = buf + sizeof(struct post_frame_hdr);
	memset(h, 0, sizeof(*h));
	h->magic = cpu_to_be32(POST_HELLO_MAGIC);
	h->version = POST_WIRE_VERSION;
	h->min_version = POST_WIRE_VERSION;
	h->max_msg_size = cpu_to_be32(ps->max_msg);
	memcpy(h->key, ps->key, sizeof(h->key));

	ext = (u8 *)(h + 1);
	*ext++ = POST_HELLO_EXT_CARRIER;
	*ext++ = sizeof(__be32);
	put_unaligned_be32(ps->id, ext);
	ext += sizeof(__be32);
	if (t->resume || t->join) {
		*ext++ = t->join ? POST_HELLO_EXT_JOIN : POST_HELLO_EXT_RESUME;
		*ext++ = sizeof(*r);
		r = (void *)ext;
		nonce = get_random_u64() & ~POST_NONCE_JOIN;
		if (t->join)
			nonce |= POST_NONCE_JOIN;
		r->carrier = cpu_to_be32(ps->peer_id);
		r->reserved = 0;
		r->nonce = cpu_to_be64(nonce);
		r->mac = cpu_to_be64(post_resume_mac(ps->peer_key, ps->peer_id,
						     nonce, ps->key));
		ext += sizeof(*r);
	}
	for (i = 0; i < n_adv; i++) {
		u8 alen = adv[i].family == AF_INET ? 4 : 16;

		*ext++ = POST_HELLO_EXT_ADDR;
		*ext++ = sizeof(__be16) + alen;
		memcpy(ext, &adv[i].port, sizeof(__be16));
		memcpy(ext + sizeof(__be16), &adv[i].v6, alen);
		ext += sizeof(__be16) + alen;
	}
	t->hello_sent = true;
	return 1;
}

/*
 * Append the next @payload bytes of @m to the batch, after its header,
 * and move the message's cursor past them.
 */
static void post_tx_map_payload(struct post_transient *t, struct post_msg *m,
				u32 payload)
{
	struct post_payload *pl = m->pl;
	u32 seg = pl->cur_seg, off = pl->cur_off;

	while (payload) {
		struct bio_vec *bv = &pl->segs[seg];
		u32 n = min(bv->bv_len - off, payload);

		post_tx_add_bv(t, bv->bv_page, bv->bv_offset + off, n);
		payload -= n;
		off += n;
		if (off == bv->bv_len) {
			seg++;
			off = 0;
		}
	}
	pl->cur_seg = seg;
	pl->cur_off = off;
}

/*
 * Write the header of a DATA frame of @m carrying @payload bytes from
 * m->sent on, naming @n_ante antecedents, into @buf (@hlen bytes).
 */
static void post_put_data_hdr(void *buf, u32 hlen, const struct post_msg *m,
			      u64 seq, u32 payload, u32 n_ante)
{
	struct post_data_hdr *dh = buf + sizeof(struct post_frame_hdr);
	u8 flags = 0;
	u32 i;

	if (!m->sent)
		flags |= POST_DATA_FIRST;
	if (m->sent + payload == m->len)
		flags |= POST_DATA_LAST;
	post_put_frame_hdr(buf, POST_FRAME_DATA, flags,
			   hlen - sizeof(struct post_frame_hdr) + payload);
	dh->seq = cpu_to_be64(seq);
	dh->msg_len = cpu_to_be32(m->len);
	dh->offset = cpu_to_be32(m->sent);
	if (!m->sent) {
		struct post_data_first *df = (void *)(dh + 1);
		__be64 *ante = (void *)(df + 1);

		df->msg_id = cpu_to_be64(m->id);
		df->n_ante = cpu_to_be16(n_ante);
		df->flags = m->flags & POST_MSGF_IDEMPOTENT ?
			    POST_FIRST_IDEMPOTENT : 0;
		df->reserved = 0;
		df->reserved2 = 0;
		for (i = 0; i < m->n_ante; i++)
			if (m->edges[i].seq)
				*ante++ = cpu_to_be64(m->edges[i].seq);
	}
}

static int post_tx_build_data(struct sock *sk, struct post_transient *t,
			      struct post_msg *m)
{
	u32 payload = min(m->len - m->sent, t->tx_chunk);
	bool first = !m->sent;
	u32 i, n_ante = 0;
	size_t hlen;
	void *buf;

	hlen = sizeof(struct post_frame_hdr) + sizeof(struct post_data_hdr);
	if (first) {
		post_sched_start(sk, m);
		for (i = 0; i < m->n_ante; i++)
			n_ante += !!m->edges[i].seq;
		hlen += sizeof(struct post_data_first) +
			n_ante * sizeof(__be64);
		m->xprt = t;
	}

	if (first && !n_ante) {
		/*
		 * built in the room before the payload, contiguous with it,
		 * after what the same call to TCP carries first
		 */
		buf = m->pl->hdr;
		post_tx_add_bv(t, virt_to_page(buf), offset_in_page(buf),
			       hlen);
	} else {
		buf = post_tx_hdr_alloc(sk, t, hlen);
		if (!buf)
			return -ENOMEM;
	}
	post_put_data_hdr(buf, hlen, m, m->seq, payload, n_ante);

	post_tx_map_payload(t, m, payload);
	/* its pages are the batch's now: @m may even be gone after this */
	t->tx_partial = m->sent + payload < m->len;
	t->tx_now = post_msg_immediate(m);
	post_sched_chunk_done(sk, m, payload);
	return 1;
}

/* Acknowledge what was delivered to the application's queue. */
static int post_tx_build_ack(struct sock *sk, struct post_transient *t)
{
	struct post_sock *ps = post_sk(sk);
	u64 seqs[POST_ACK_MAX], low;
	struct post_ack *ack;
	__be64 *out;
	u32 i, n = 0;
	void *buf;

	spin_lock_bh(&ps->rx_lock);
	low = ps->rx_low;
	for (i = 0; i < ps->n_ack; i++)
		if (ps->ack_seqs[i] >= low)
			seqs[n++] = ps->ack_seqs[i];
	ps->n_ack = 0;
	WRITE_ONCE(ps->ack_dirty, false);
	WRITE_ONCE(ps->ack_now, false);
	WRITE_ONCE(ps->n_unacked, 0);
	spin_unlock_bh(&ps->rx_lock);

	buf = post_tx_hdr_alloc(sk, t, sizeof(struct post_frame_hdr) +
				sizeof(*ack) + n * sizeof(__be64));
	if (!buf)
		return -ENOMEM;
	post_put_frame_hdr(buf, POST_FRAME_ACK, 0,
			   sizeof(*ack) + n * sizeof(__be64));
	ack = buf + sizeof(struct post_frame_hdr);
	ack->low = cpu_to_be64(low);
	ack->n = cpu_to_be32(n);
	ack->reserved = 0;
	out = (void *)(ack + 1);
	for (i = 0; i < n; i++)
		out[i] = cpu_to_be64(seqs[i]);
	return 1;
}

static int post_tx_build_abort(struct sock *sk, struct post_transient *t,
			       u64 seq)
{
	struct post_abort *ab;
	void *buf;

	buf = post_tx_hdr_alloc(sk, t, sizeof(struct post_frame_hdr) +
				sizeof(*ab));
	if (!buf)
		return -ENOMEM;
	post_put_frame_hdr(buf, POST_FRAME_ABORT, 0, sizeof(*ab));
	ab = buf + sizeof(struct post_frame_hdr);
	ab->seq = cpu_to_be64(seq);
	ab->reason = cpu_to_be32(POST_ABORT_EXPIRED);
	return 1;
}

/* The transport accepted the whole batch: let its pages go. */
static void post_tx_batch_done(struct post_transient *t)
{
	u32 i;

	for (i = 0; i < t->tx_nr_bv; i++)
		put_page(t->tx_bv[i].bv_page);
	t->tx_nr_bv = 0;
	t->tx_len = 0;
	t->tx_off = 0;
	t->tx_partial = false;
	t->tx_now = false;
}

/*
 * Is an ACK frame due?  Deliveries are acknowledged in the frames the
 * receiver sends anyway once POST_ACK_PIGGYBACK of them wait, or at once
 * when the ack timer fired, a duplicate came or the carrier resumed;
 * and before the FIN, which ends what the peer learns from us.
 */
static bool post_ack_due(const struct sock *sk)
{
	const struct post_sock *ps = post_sk(sk);

	return READ_ONCE(ps->ack_dirty) &&
	       (READ_ONCE(ps->ack_now) ||
		READ_ONCE(ps->n_unacked) >= POST_ACK_PIGGYBACK ||
		(READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN));
}

/* The message whose chunk goes on @t next, or NULL. */
static struct post_msg *post_tx_pick(struct sock *sk, struct post_transient *t)
{
	struct post_msg *m;

	while ((m = post_sched_pick(sk, t))) {
		bool known = post_peer_hello(t);

		/* until the peer said its limit, only what any peer takes */
		if (!m->seq && !known && m->len > POST_MIN_MSG_SIZE)
			return NULL;
		if (m->seq || m->len <= READ_ONCE(t->peer_max_msg))
			return m;
		/*
		 * Queued before the peer's HELLO told us its limit: the
		 * peer would reject it, so it is not sent at all.
		 */
		post_sched_drop(sk, m);
		WRITE_ONCE(sk->sk_err, EMSGSIZE);
		sk_error_report(sk);
	}
	return NULL;
}

/* Append the next frame to the batch.  Return 1 if there is one, 0 if not. */
static int post_tx_next_frame(struct sock *sk, struct post_transient *t)
{
	struct post_msg *m;
	u64 seq;

	if (!t->hello_sent)
		return post_tx_build_hello(sk, t);
	/* a join carries nothing else until the peer took it */
	if (t->join && !post_peer_hello(t))
		return 0;
	if (post_ack_due(sk) && post_ack_xprt(sk) == t)
		return post_tx_build_ack(sk, t);
	seq = post_sched_next_abort(sk, t);
	if (seq)
		return post_tx_build_abort(sk, t, seq);

	m = post_tx_pick(sk, t);
	return m ? post_tx_build_data(sk, t, m) : 0;
}

/* Is a frame other than a HELLO due on the carrier? */
static bool post_tx_due(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);

	return post_ack_due(sk) || !list_empty(&ps->tx_aborts) ||
	       !RB_EMPTY_ROOT(&ps->tx_sched.rb_root);
}

/*
 * May another frame join the batch?  Only if one is due; not after a
 * chunk of an immediate message, and not with several transients, where
 * each chunk is weighed against the paths as it goes.  Not beyond a
 * chunk's worth of bytes either (about POST_CHUNK_USEC of transmission):
 * TCP takes a whole call past its unsent limit, and what it took, a more
 * urgent message queued next waits behind, as it waits behind a chunk.
 */
static bool post_tx_batch_room(struct sock *sk, struct post_transient *t)
{
	return !t->tx_now && !post_sk(sk)->n_joined && post_tx_due(sk) &&
	       t->tx_nr_bv + POST_FRAME_BVECS <= POST_TX_BVECS &&
	       t->tx_len < min_t(int, t->tx_chunk,
				 sk_stream_wspace(t->sock->sk));
}

/*
 * Build a batch of frames.  Return 1 if there is one, 0 if nothing is
 * due, or a negative errno if nothing could be built.  An error after
 * the first frame ends the batch; the next push meets it again.
 */
static int post_tx_fill(struct sock *sk, struct post_transient *t)
{
	int ret;

	/* most pushes end here, once the batch they sent was the last */
	if (t->hello_sent && !post_tx_due(sk))
		return 0;
	do {
		ret = post_tx_next_frame(sk, t);
		if (ret <= 0)
			return t->tx_len ? 1 : ret;
	} while (post_tx_batch_room(sk, t));
	return 1;
}

/* Are frames after the batch ready to follow it at once? */
static bool post_tx_more(struct sock *sk, struct post_transient *t)
{
	struct post_sock *ps = post_sk(sk);

	if (t->tx_now)
		return false;
	if (t->tx_partial)
		return true;
	/*
	 * with several transients, what is due may go on another; MPTCP's
	 * MSG_MORE cannot be taken back (post_tx_uncork()) when nothing
	 * follows
	 */
	if (ps->n_joined || t->mptcp)
		return false;
	return post_tx_due(sk);
}

/*
 * The last frame went to TCP with MSG_MORE and what post_tx_more() saw
 * queued did not follow (a message that may not go on @t, say): push it
 * now rather than leave it to TCP's probe timer.  Clearing TCP_CORK,
 * which the carrier never sets, pushes with the transient's own Nagle
 * setting.
 */
static void post_tx_uncork(struct post_transient *t)
{
	tcp_sock_set_cork(t->sock->sk, false);
}

/**
 * post_tx_push - hand queued frames to a transient
 * @sk: the carrier, locked
 * @t: the transient
 *
 * Sends until the transport's not-yet-sent queue is full (it returns
 * -EAGAIN and calls the transient's write_space later) or nothing is
 * left.  Frames go to the transport in batches, one call each, so that
 * TCP builds one packet of a run of small messages rather than one per
 * message; a batch the transport took in part is finished first.  A
 * frame's message is done with when its frame joins the batch: the
 * batch holds references on its pages.  Messages whose last frames were
 * in it are finished once it went (post_sched_batch_sent()).
 *
 * Return: 0, or a negative errno if the transport failed.
 */
int post_tx_push(struct sock *sk, struct post_transient *t)
{
	struct msghdr msg = {};
	bool more = false;
	int ret;

	if (t->fin_sent)
		return 0;
	post_xprt_tune_lowat(t);
	for (;;) {
		if (t->tx_off == t->tx_len) {
			post_tx_batch_done(t);
			ret = post_tx_fill(sk, t);
			if (!ret && more)
				post_tx_uncork(t);
			if (ret <= 0)
				return ret;
		}

		msg.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL | MSG_SPLICE_PAGES;
		more = post_tx_more(sk, t);
		if (more)
			msg.msg_flags |= MSG_MORE;
		iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, t->tx_bv,
			      t->tx_nr_bv, t->tx_len);
		iov_iter_advance(&msg.msg_iter, t->tx_off);

		ret = sock_sendmsg(t->sock, &msg);
		post_sched_batch_sent(sk);
		if (ret == -EAGAIN)
			return 0;
		if (ret < 0)
			return ret;
		t->tx_off += ret;
	}
}

/*
 * post_tx_express() ran out of room in the transport with @left payload
 * bytes of the message's frame still owed: they are copied from the
 * application into a payload and go in the transient's batch, after what
 * the header still owes, as the rest of any partly sent frame does.
 */
static int post_tx_express_rest(struct sock *sk, struct post_transient *t,
				struct post_msg *m, struct msghdr *msg,
				u32 left)
{
	struct post_payload *pl;

	if (left) {
		pl = post_payload_alloc(sk, msg, left);
		if (IS_ERR(pl))
			return PTR_ERR(pl);
		m->pl = pl;
		post_tx_map_payload(t, m, left);
	}
	t->tx_partial = false;
	t->tx_now = post_msg_immediate(m);
	post_sched_chunk_done(sk, m, m->len);
	post_sched_batch_sent(sk);
	return 0;
}

/**
 * post_tx_express - send a message straight from the application's memory
 * @sk: the carrier, locked
 * @t: its only transient, with nothing queued or half sent
 *	(post_msg_express_xprt())
 * @m: the message, queued without a payload (post_sched_enqueue()), at
 *	most POST_EXPRESS_MAX bytes: one DATA frame
 * @msg: the application's message, @m->len bytes, faulted in
 *
 * The transport copies the message from the application itself: the
 * same single copy as post_payload_alloc() makes, but into the
 * transport's own pages, and nothing is held for the message once it
 * went.  A header and a small payload go in one call.  What the
 * transport does not take is copied into a payload and queued, as if
 * the message had been queued whole and its frame sent in part
 * (post_tx_express_rest()).
 *
 * Return: 0 once all of @m went or its rest is queued.  Otherwise a
 * negative errno (-ENOMEM, or -EFAULT if the application's memory went
 * away meanwhile): if @m has no sequence number then, nothing of it went
 * and the caller takes it back (post_sched_cancel()); if it has one, the
 * transport holds part of it, which cannot be finished, and the carrier
 * must be reset.
 */
int post_tx_express(struct sock *sk, struct post_transient *t,
		    struct post_msg *m, struct msghdr *msg)
{
	u8 buf[POST_FIRST_HDR_LEN + POST_EXPRESS_INLINE];
	bool inl = m->len <= POST_EXPRESS_INLINE;
	struct sock *tsk = t->sock->sk;
	u32 took, left, hdr_left = 0;
	struct msghdr tmsg = {};
	struct kvec kv;
	void *p;
	int ret;

	/* the whole message fits one frame of any transient */
	BUILD_BUG_ON(POST_EXPRESS_MAX > POST_CHUNK_MIN);
	/* numbered once the transport took some of it */
	post_put_data_hdr(buf, POST_FIRST_HDR_LEN, m, post_sk(sk)->next_seq,
			  m->len, 0);
	kv.iov_base = buf;
	kv.iov_len = POST_FIRST_HDR_LEN;
	if (inl) {
		if (!copy_from_iter_full(buf + kv.iov_len, m->len,
					 &msg->msg_iter))
			return -EFAULT;
		kv.iov_len += m->len;
	}
	tmsg.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL | (inl ? 0 : MSG_MORE);
	iov_iter_kvec(&tmsg.msg_iter, ITER_SOURCE, &kv, 1, kv.iov_len);

	/* one hold of the transport for header and payload, as kTLS does */
	lock_sock(tsk);
	ret = tcp_sendmsg_locked(tsk, &tmsg, kv.iov_len);
	took = max(ret, 0);
	if (!took) {
		/* no room after all: queued as it is */
		release_sock(tsk);
		if (inl)
			iov_iter_revert(&msg->msg_iter, m->len);
		goto queue;
	}
	post_sched_start(sk, m);
	m->xprt = t;
	if (took < kv.iov_len) {
		hdr_left = kv.iov_len - took;
		left = inl ? 0 : m->len;
		goto rest;
	}
	if (!inl) {
		tmsg.msg_iter = msg->msg_iter;
		tmsg.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL;
		ret = tcp_sendmsg_locked(tsk, &tmsg, m->len);
		took = max(ret, 0);
		iov_iter_advance(&msg->msg_iter, took);
		if (took < m->len) {
			left = m->len - took;
			goto rest;
		}
	}
	release_sock(tsk);
	post_sched_chunk_done(sk, m, m->len);
	post_sched_batch_sent(sk);
	return 0;

rest:
	release_sock(tsk);
	if (hdr_left) {
		p = post_tx_hdr_alloc(sk, t, hdr_left);
		if (!p)
			return -ENOMEM;
		memcpy(p, buf + kv.iov_len - hdr_left, hdr_left);
	}
	return post_tx_express_rest(sk, t, m, msg, left);

queue:
	m->pl = post_payload_alloc(sk, msg, m->len);
	if (IS_ERR(m->pl)) {
		ret = PTR_ERR(m->pl);
		m->pl = NULL;
		return ret;
	}
	return 0;
}
ALLOW_ERROR_INJECTION(post_tx_express, ERRNO);

/**
 * post_tx_idle - nothing is queued or half sent on the transient
 * @t: the transient
 */
bool post_tx_idle(const struct post_transient *t)
{
	return t->hello_sent && t->tx_off == t->tx_len &&
	       !post_ack_due(t->carrier) &&
	       post_sched_idle(t->carrier);
}

/* Forget the batch in flight; the transient is going away. */
void post_tx_reset(struct post_transient *t)
{
	post_tx_batch_done(t);
}

/* ---- receive ----------------------------------------------------------- */

void post_parser_init(struct post_parser *p)
{
	p->stage = POST_RX_HDR;
	p->need = sizeof(struct post_frame_hdr);
	p->have = 0;
	p->left = 0;
	p->msg = NULL;
	p->woken = false;
}

/**
 * post_rmsg_free - free a received message
 * @sk: the carrier, whose receive memory it is charged to
 * @rm: the message
 */
void post_rmsg_free(struct sock *sk, struct post_rmsg *rm)
{
	if (rm->data)
		atomic_sub(rm->received, &sk->sk_rmem_alloc);
	__skb_queue_purge(&rm->pieces);
	/* a small one is kept for the parser's next message */
	if (rm->size <= POST_RX_SPARE_MAX &&
	    !cmpxchg(&post_sk(sk)->rx_spare, NULL, rm))
		return;
	kfree(rm);
}

/**
 * post_rx_drop - free received messages
 * @sk: the carrier
 * @ready: complete messages too, not only those in reassembly
 */
void post_rx_drop(struct sock *sk, bool ready)
{
	struct post_sock *ps = post_sk(sk);
	struct post_rmsg *rm, *tmp;
	LIST_HEAD(dead);

	spin_lock_bh(&ps->rx_lock);
	if (ready)
		list_splice_init(&ps->rx_ready, &dead);
	list_splice_init(&ps->rx_partial, &dead);
	list_splice_init(&ps->rx_held, &dead);
	ps->nr_partial = 0;
	ps->partial_bytes = 0;
	spin_unlock_bh(&ps->rx_lock);

	list_for_each_entry_safe(rm, tmp, &dead, list)
		post_rmsg_free(sk, rm);
}

/**
 * post_rx_orphan - nobody reads a closed carrier any more
 * @sk: the carrier, SOCK_DEAD, still flushing what it sends
 *
 * Frees the complete messages; those still arriving are acknowledged
 * and freed as they complete (post_rx_ready()), so the peer's flush
 * finishes too.  Messages in reassembly or held for antecedents stay
 * with the parser.
 *
 * Return: true if the full receive buffer had paused the parser, which
 * must now be run again.
 */
bool post_rx_orphan(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);
	struct post_rmsg *rm, *tmp;
	LIST_HEAD(dead);
	bool paused;

	spin_lock_bh(&ps->rx_lock);
	list_splice_init(&ps->rx_ready, &dead);
	paused = ps->rx_paused;
	WRITE_ONCE(ps->rx_paused, false);
	spin_unlock_bh(&ps->rx_lock);

	list_for_each_entry_safe(rm, tmp, &dead, list)
		post_rmsg_free(sk, rm);
	return paused;
}

/**
 * post_parser_release - drop what a transient's parser was reassembling
 * @sk: the carrier
 * @t: the transient, which no longer receives
 *
 * Messages in reassembly on it cannot complete any more and are
 * dropped; the peer sends them again if it can.
 */
void post_parser_release(struct sock *sk, struct post_transient *t)
{
	struct post_sock *ps = post_sk(sk);
	struct post_rmsg *rm, *tmp;
	LIST_HEAD(dead);

	spin_lock_bh(&ps->rx_lock);
	list_for_each_entry_safe(rm, tmp, &ps->rx_partial, list) {
		if (rm->owner != t)
			continue;
		list_move(&rm->list, &dead);
		ps->nr_partial--;
		ps->partial_bytes -= rm->len;
	}
	spin_unlock_bh(&ps->rx_lock);

	list_for_each_entry_safe(rm, tmp, &dead, list)
		post_rmsg_free(sk, rm);
	post_parser_init(&t->rx);
}

/* Receive memory is charged by payload bytes, not by skb truesize. */
static void post_piece_rfree(struct sk_buff *skb)
{
	atomic_sub(post_piece(skb)->len, &skb->sk->sk_rmem_alloc);
}

/**
 * post_rx_full - the carrier holds all the complete messages it may
 * @sk: the carrier
 *
 * At least one complete message must be waiting, so that a message
 * larger than the receive buffer can still be reassembled.  Marks the
 * receive side paused; the reader resumes it.
 *
 * Return: true if the parser must stop taking bytes from the transport.
 */
bool post_rx_full(struct sock *sk)
{
	struct post_sock *ps = post_sk(sk);
	bool full;

	/*
	 * Below the buffer, as usual: no need for the lock.  The reader
	 * only lowers the charge, so the parser cannot miss a pause.
	 */
	if (atomic_read(&sk->sk_rmem_alloc) < READ_ONCE(sk->sk_rcvbuf))
		return false;
	spin_lock_bh(&ps->rx_lock);
	full = !list_empty(&ps->rx_ready) && !sock_flag(sk, SOCK_DEAD) &&
	       atomic_read(&sk->sk_rmem_alloc) >= READ_ONCE(sk->sk_rcvbuf);
	if (full)
		WRITE_ONCE(ps->rx_paused, true);
	spin_unlock_bh(&ps->rx_lock);
	return full;
}

static void post_rx_next_frame(struct post_parser *p)
{
	p->stage = POST_RX_HDR;
	p->need = sizeof(struct post_frame_hdr);
	p->have = 0;
}

/*
 * The message @seq in reassembly by @owner's parser, or by any if
 * @owner is NULL.  Caller holds ps->rx_lock.
 */
static struct post_rmsg *post_rx_find(struct post_sock *ps, u64 seq,
				      const struct post_transient *owner)
{
	struct post_rmsg *rm;

	list_for_each_entry(rm, &ps->rx_partial, list)
		if (rm->seq == seq && (!owner || rm->owner == owner))
			return rm;
	return NULL;
}

/* Is some message in reassembly on @t?  Caller holds ps->rx_lock. */
static bool post_rx_find_owned(struct post_sock *ps,
			       const struct post_transient *t)
{
	struct post_rmsg *rm;

	list_for_each_entry(rm, &ps->rx_partial, list)
		if (rm->owner == t)
			return true;
	return false;
}

/* Is @seq complete, held for its antecedents?  Caller holds ps->rx_lock. */
static bool post_rx_held(struct post_sock *ps, u64 seq)
{
	struct post_rmsg *rm;

	list_for_each_entry(rm, &ps->rx_held, list)
		if (rm->seq == seq)
			return true;
	return false;
}

/* Has @seq been delivered or aborted?  Caller holds ps->rx_lock. */
static bool post_rx_resolved(struct post_sock *ps, u64 seq)
{
	return seq < ps->rx_low ||
	       (!xa_empty(&ps->rx_done) && xa_load(&ps->rx_done, seq));
}

/*
 * Record @seq as resolved and, if @delivered, due for acknowledgment.
 * Caller holds ps->rx_lock.
 */
static int post_rx_resolve(struct post_sock *ps, u64 seq, bool delivered)
{
	int err;

	if (seq == ps->rx_low) {
		/* in order, the usual case: no numbers above to catch up */
		ps->rx_low++;
		while (!xa_empty(&ps->rx_done) &&
		       xa_load(&ps->rx_done, ps->rx_low))
			xa_erase(&ps->rx_done, ps->rx_low++);
	} else {
		err = xa_err(xa_store(&ps->rx_done, seq, xa_mk_value(1),
				      GFP_ATOMIC));
		if (err)
			return err;
	}
	if (delivered) {
		WRITE_ONCE(ps->ack_dirty, true);
		WRITE_ONCE(ps->n_unacked, ps->n_unacked + 1);
		if (seq >= ps->rx_low && ps->n_ack < POST_ACK_MAX)
			ps->ack_seqs[ps->n_ack++] = seq;
	}
	return 0;
}

static int post_rx_frame_hdr(struct post_transient *t)
{
	struct post_parser *p = &t->rx;
	struct post_frame_hdr *fh = (void *)p->buf;
	u32 len = be32_to_cpu(fh->len);
	u32 fixed;

	p->type = fh->type;
	p->flags = fh->flags;
	if (fh->reserved)
		return -EPROTO;
	if (!p->hello && p->type != POST_FRAME_HELLO)
		return -EPROTO;

	switch (p->type) {
	case POST_FRAME_HELLO:
		if (p->hello || p->flags)
			return -EPROTO;
		if (len < sizeof(struct post_hello) || len > POST_HELLO_MAX_LEN)
			return -EPROTO;
		fixed = len;	/* extensions included */
		break;
	case POST_FRAME_DATA:
		if (p->flags & ~POST_DATA_FLAGS)
			return -EPROTO;
		fixed = sizeof(struct post_data_hdr);
		if (p->flags & POST_DATA_FIRST)
			fixed += sizeof(struct post_data_first);
		if (len < fixed || len > POST_MAX_DATA_BODY)
			return -EPROTO;
		break;
	case POST_FRAME_ABORT:
		if (p->flags || len != sizeof(struct post_abort))
			return -EPROTO;
		fixed = len;
		break;
	case POST_FRAME_ACK:
		if (p->flags || len < sizeof(struct post_ack) ||
		    len > sizeof(struct post_ack) + POST_ACK_MAX * sizeof(__be64))
			return -EPROTO;
		fixed = sizeof(struct post_ack);
		break;
	default:
		return -EPROTO;
	}

	p->left = len;
	p->stage = POST_RX_FIXED;
	p->need = fixed;
	p->have = 0;
	return 0;
}

/*
 * An address the peer advertised, @n bytes at @ext.  Kept if it is one
 * to connect to; the carrier decides whether it does.
 */
static int post_rx_hello_addr(struct post_transient *t, const u8 *ext, u8 n)
{
	struct post_adv_addr *a = &t->adv[t->n_adv];
	__be16 port;

	if (n != sizeof(__be16) + 4 && n != sizeof(__be16) + 16)
		return -EPROTO;
	memcpy(&port, ext, sizeof(port));
	if (!port)
		return -EPROTO;
	if (t->n_adv == POST_MAX_ADVERTISED)
		return 0;
	memset(a, 0, sizeof(*a));
	a->port = port;
	if (n == sizeof(__be16) + 4) {
		a->family = AF_INET;
		memcpy(&a->v4, ext + sizeof(port), 4);
		if (ipv4_is_zeronet(a->v4) || ipv4_is_loopback(a->v4) ||
		    ipv4_is_multicast(a->v4) || ipv4_is_lbcast(a->v4))
			return 0;
	} else {
		a->family = AF_INET6;
		memcpy(&a->v6, ext + sizeof(port), 16);
		if (ipv6_addr_any(&a->v6) || ipv6_addr_loopback(&a->v6) ||
		    ipv6_addr_is_multicast(&a->v6) ||
		    ipv6_addr_v4mapped(&a->v6))
			return 0;
	}
	t->n_adv++;
	return 0;
}

/* The extensions of a HELLO, @len bytes at @ext. */
static int post_rx_hello_ext(struct post_transient *t, const u8 *ext, u32 len)
{
	const struct post_hello_resume *r;
	bool seen_id = false;
	u8 type, n;
	int err;

	while (len) {
		if (len < 2 || ext[1] > len - 2)
			return -EPROTO;
		type = ext[0];
		n = ext[1];
		ext += 2;
		len -= 2;
		switch (type) {
		case POST_HELLO_EXT_CARRIER:
			if (n != sizeof(__be32) || seen_id)
				return -EPROTO;
			t->peer_id = get_unaligned_be32(ext);
			seen_id = true;
			break;
		case POST_HELLO_EXT_RESUME:
		case POST_HELLO_EXT_JOIN:
			r = (const void *)ext;
			if (n != sizeof(*r) || r->reserved || t->resume_req ||
			    t->join_req || !r->carrier)
				return -EPROTO;
			if (type == POST_HELLO_EXT_JOIN)
				t->join_req = true;
			else
				t->resume_req = true;
			t->resume_id = be32_to_cpu(r->carrier);
			t->resume_nonce = be64_to_cpu(r->nonce);
			t->resume_mac = be64_to_cpu(r->mac);
			break;
		case POST_HELLO_EXT_ADDR:
			err = post_rx_hello_addr(t, ext, n);
			if (err)
				return err;
			break;
		default:
			break;	/* a later version's: not ours to read */
		}
		ext += n;
		len -= n;
	}
	return 0;
}

static int post_rx_hello(struct post_transient *t)
{
	struct post_parser *p = &t->rx;
	struct post_hello *h = (void *)p->buf;
	u32 max = be32_to_cpu(h->max_msg_size);
	int err;

	if (be32_to_cpu(h->magic) != POST_HELLO_MAGIC)
		return -EPROTO;
	if (!h->min_version || h->min_version > h->version ||
	    h->min_version > POST_WIRE_VERSION ||
	    h->version < POST_WIRE_VERSION)
		return -EPROTO;
	if (max < POST_MIN_MSG_SIZE)
		return -EPROTO;
	err = post_rx_hello_ext(t, (u8 *)(h + 1), p->need - sizeof(*h));
	if (err)
		return err;

	WRITE_ONCE(t->peer_max_msg, min(max, POST_MAX_MSG_SIZE_LIMIT));
	memcpy(t->peer_key, h->key, sizeof(t->peer_key));
	p->hello = true;
	/* the fields above before the flag: read by the carrier */
	smp_store_release(&t->hello_rcvd, true);
	post_rx_next_frame(p);
	if (t->resume_req || t->join_req)
		p->stage = POST_RX_HOLD;	/* the carrier decides */
	post_tx_schedule(t->carrier);
	return 0;
}

/* Are all antecedents of @rm delivered?  Caller holds ps->rx_lock. */
static bool post_rx_ante_done(struct post_sock *ps, struct post_rmsg *rm)
{
	u32 i;

	for (i = 0; i < rm->n_ante; i++)
		if (!post_rx_resolved(ps, rm->ante[i]))
			return false;
	return true;
}

/* @rm goes to the application's queue.  Caller holds ps->rx_lock. */
static int post_rx_ready(struct sock *sk, struct post_rmsg *rm,
			 struct list_head *dead)
{
	struct post_sock *ps = post_sk(sk);

	ps->nr_partial--;
	ps->partial_bytes -= rm->len;
	post_stat_inc(&ps->stats.msgs_recv, 1);
	post_stat_inc(&ps->stats.bytes_recv, rm->len);
	if (sock_flag(sk, SOCK_DEAD))
		list_move_tail(&rm->list, dead);
	else
		list_move_tail(&rm->list, &ps->rx_ready);
	return post_rx_resolve(ps, rm->seq, true);
}

/* A message we have came again: make sure an ACK says so. */
static void post_rx_dup(struct sock *sk, u64 seq);

/* What a delivery leaves to do once ps->rx_lock is released */
enum {
	POST_RX_ACK_ARMED,	/* delivered; the delayed ACK is armed */
	POST_RX_ACK_TIMER,	/* delivered; arm the delayed ACK */
	POST_RX_ACK_NOW,	/* delivered; the ACK batch is full */
	POST_RX_HELD,		/* held for its antecedents */
};

/*
 * What post_rx_deliver() does under ps->rx_lock, for a message not
 * delivered, aborted or held before: @rm waits for its antecedents, or
 * goes to the application's queue with those it releases (or to @dead,
 * when nobody reads any more).
 *
 * Return: 0 or an error, and in @ack what post_rx_delivered() must do.
 */
static int __post_rx_deliver(struct sock *sk, struct post_rmsg *rm,
			     struct list_head *dead, int *ack)
{
	struct post_sock *ps = post_sk(sk);
	u32 unacked = ps->n_unacked;
	bool was_dirty = ps->ack_dirty;
	struct post_rmsg *h, *tmp;
	bool more;
	int err;

	if (!post_rx_ante_done(ps, rm)) {
		list_move_tail(&rm->list, &ps->rx_held);
		*ack = POST_RX_HELD;
		return 0;
	}
	err = post_rx_ready(sk, rm, dead);
	do {
		more = false;
		list_for_each_entry_safe(h, tmp, &ps->rx_held, list) {
			if (err || !post_rx_ante_done(ps, h))
				continue;
			err = post_rx_ready(sk, h, dead);
			more = true;
		}
	} while (more && !err);
	/* only the delivery that reaches the batch asks for the ACK */
	if (unacked < POST_ACK_BATCH && ps->n_unacked >= POST_ACK_BATCH)
		*ack = POST_RX_ACK_NOW;
	else if (!was_dirty)
		*ack = POST_RX_ACK_TIMER;
	else
		*ack = POST_RX_ACK_ARMED;
	return err;
}

/* The rest of a delivery, ps->rx_lock released (see __post_rx_deliver()). */
static void post_rx_delivered(struct post_transient *t,
			      struct list_head *dead, int ack)
{
	struct sock *sk = t->carrier;
	struct post_rmsg *h, *tmp;

	list_for_each_entry_safe(h, tmp, dead, list)
		post_rmsg_free(sk, h);
	if (ack == POST_RX_HELD)
		return;
	/* post_rx_read() wakes the reader when this pass is over */
	t->rx.woken = true;
	/*
	 * Acknowledge, soon but not at once: a reply the application sends
	 * meanwhile carries the ACK, and a stream of messages is
	 * acknowledged in batches rather than one by one.
	 */
	if (ack == POST_RX_ACK_NOW)
		post_tx_schedule(sk);
	else if (ack == POST_RX_ACK_TIMER)
		sk_reset_timer(sk, &post_sk(sk)->ack_timer,
			       jiffies + POST_ACK_DELAY);
}

/*
 * @rm is complete.  It is delivered once its antecedents are, and may in
 * turn release messages held for it.  The same message may complete on
 * two transients: sent again on another path when this one was taken
 * for lost, or aborted meanwhile.  The first one counts.
 */
static int post_rx_deliver(struct post_transient *t, struct post_rmsg *rm)
{
	struct sock *sk = t->carrier;
	struct post_sock *ps = post_sk(sk);
	LIST_HEAD(dead);
	int err, ack;
	u64 seq;

	spin_lock_bh(&ps->rx_lock);
	if (post_rx_resolved(ps, rm->seq) || post_rx_held(ps, rm->seq)) {
		list_del(&rm->list);
		ps->nr_partial--;
		ps->partial_bytes -= rm->len;
		spin_unlock_bh(&ps->rx_lock);
		seq = rm->seq;
		post_rmsg_free(sk, rm);
		post_rx_dup(sk, seq);
		return 0;
	}
	err = __post_rx_deliver(sk, rm, &dead, &ack);
	spin_unlock_bh(&ps->rx_lock);
	post_rx_delivered(t, &dead, ack);
	return err;
}

/**
 * post_ack_timer - a delayed ACK frame is due, or the peer's acks
 * @timer: the carrier's ack_timer
 */
void post_ack_timer(struct timer_list *timer)
{
	struct post_sock *ps = from_timer(ps, timer, ack_timer);
	bool due;

	spin_lock_bh(&ps->rx_lock);
	due = ps->ack_dirty;
	if (due)
		WRITE_ONCE(ps->ack_now, true);
	spin_unlock_bh(&ps->rx_lock);
	/* the reference taken by sk_reset_timer() may be the last */
	if (due || READ_ONCE(ps->ack_in_dirty) ||
	    !refcount_dec_not_one(&ps->sk.sk_refcnt))
		post_tx_schedule_put(&ps->sk);
}

/*
 * Copy @len payload bytes at @off in @skb into @rm's own buffer (a small
 * message, see POST_RX_COPYBREAK); only @rm's parser looks at it until it
 * is complete.
 */
static int post_rx_copy(struct sock *sk, struct post_rmsg *rm,
			const struct sk_buff *skb, unsigned int off, u32 len)
{
	int err;

	err = skb_copy_bits(skb, off, rm->data + rm->received, len);
	if (err)
		return err;
	atomic_add(len, &sk->sk_rmem_alloc);
	rm->received += len;
	return 0;
}

/* @rm is complete: it came on @t. */
static void post_rx_arrived(struct post_transient *t, struct post_rmsg *rm)
{
	rm->path_id = t->path_id;
	/* acknowledgments go back the way the latest message came */
	WRITE_ONCE(post_sk(t->carrier)->ack_path, t->path_id);
}

/* The payload of the current DATA frame has been passed on. */
static int post_rx_payload_done(struct post_transient *t)
{
	struct post_rmsg *rm = t->rx.msg;

	t->rx.msg = NULL;
	post_rx_next_frame(&t->rx);
	if (rm->received != rm->len)
		return 0;
	post_rx_arrived(t, rm);
	return post_rx_deliver(t, rm);
}

static void post_rx_dup(struct sock *sk, u64 seq)
{
	struct post_sock *ps = post_sk(sk);
	bool kick;

	spin_lock_bh(&ps->rx_lock);
	kick = !ps->ack_now;
	WRITE_ONCE(ps->ack_dirty, true);
	WRITE_ONCE(ps->ack_now, true);
	if (seq >= ps->rx_low && ps->n_ack < POST_ACK_MAX)
		ps->ack_seqs[ps->n_ack++] = seq;
	spin_unlock_bh(&ps->rx_lock);
	if (kick)
		post_tx_schedule(sk);
}

/*
 * The prefix of a DATA frame is in; validate it and find the message.
 * @avail bytes of the frame's payload are in @skb from @offset on: a
 * small message that is all there is completed at once, in the same
 * section of ps->rx_lock, and its payload skipped by the parser.
 */
static int post_rx_data(struct post_transient *t, struct sk_buff *skb,
			unsigned int offset, size_t avail)
{
	struct sock *sk = t->carrier;
	struct post_sock *ps = post_sk(sk);
	struct post_parser *p = &t->rx;
	struct post_data_hdr *dh = (void *)p->buf;
	struct post_data_first *df = (void *)(dh + 1);
	__be64 *ante = (void *)(df + 1);
	bool first = p->flags & POST_DATA_FIRST;
	bool last = p->flags & POST_DATA_LAST;
	u64 seq = be64_to_cpu(dh->seq);
	u32 msg_len = be32_to_cpu(dh->msg_len);
	u32 off = be32_to_cpu(dh->offset);
	u32 payload = p->left;
	struct post_rmsg *rm, *new = NULL;
	u32 i, n = 0, copy = 0, size;
	int err = -EPROTO, ack;
	LIST_HEAD(dead);

	if (payload > POST_MAX_CHUNK || first != !off ||
	    (u64)off + payload > msg_len ||
	    last != ((u64)off + payload == msg_len) ||
	    (!first && !payload) || !seq)
		return -EPROTO;

	if (first) {
		n = be16_to_cpu(df->n_ante);
		if (msg_len > ps->max_msg)
			return -EPROTO;
		for (i = 0; i < n; i++) {
			u64 a = be64_to_cpu(ante[i]);

			/* antecedents are sent, hence numbered, first */
			if (!a || a >= seq)
				return -EPROTO;
		}
		if (last && msg_len <= POST_RX_COPYBREAK)
			copy = msg_len;
		size = struct_size(new, ante, n) + copy;
		new = xchg(&ps->rx_spare, NULL);
		if (new && new->size < size) {
			kfree(new);
			new = NULL;
		}
		if (!new) {
			new = kmalloc(size, GFP_ATOMIC);
			if (!new)
				return -ENOMEM;
			new->size = size;
		}
		new->data = copy ? (u8 *)&new->ante[n] : NULL;
		new->seq = seq;
		new->owner = t;
		new->path_id = 0;
		new->id = be64_to_cpu(df->msg_id);
		new->len = msg_len;
		new->received = 0;
		new->consumed = 0;
		new->head_off = 0;
		new->n_ante = n;
		for (i = 0; i < n; i++)
			new->ante[i] = be64_to_cpu(ante[i]);
		__skb_queue_head_init(&new->pieces);
	}

	spin_lock_bh(&ps->rx_lock);
	rm = post_rx_find(ps, seq, t);
	if (!rm && (post_rx_resolved(ps, seq) || post_rx_held(ps, seq))) {
		/*
		 * Sent again after a resume: we have it, the peer did not
		 * hear so.  Skip it and acknowledge it again.
		 */
		spin_unlock_bh(&ps->rx_lock);
		kfree(new);
		post_rx_dup(t->carrier, seq);
		p->msg = NULL;
		if (!payload) {
			post_rx_next_frame(p);
			return 0;
		}
		p->stage = POST_RX_SKIP;
		return 0;
	}
	if (first) {
		struct post_rmsg *old = post_rx_find(ps, seq, NULL);

		/*
		 * Started on another transient: the peer sends a message
		 * again only when it gave up the transient it was on.
		 */
		if (old && old->owner != t) {
			WRITE_ONCE(old->owner->peer_dropped, true);
			post_tx_schedule(sk);
		}
		if (rm ||
		    seq - ps->rx_low >= POST_SEQ_WINDOW ||
		    ps->nr_partial >= POST_MAX_PARTIAL ||
		    ps->partial_bytes + msg_len > 2ULL * ps->max_msg)
			goto unlock;
		list_add_tail(&new->list, &ps->rx_partial);
		ps->nr_partial++;
		ps->partial_bytes += msg_len;
		rm = new;
		new = NULL;
		/* all of a small one is here: complete it under this lock */
		if (copy && payload <= avail) {
			err = post_rx_copy(sk, rm, skb, offset, payload);
			if (err)
				goto unlock;
			post_rx_arrived(t, rm);
			err = __post_rx_deliver(sk, rm, &dead, &ack);
			spin_unlock_bh(&ps->rx_lock);
			post_rx_delivered(t, &dead, ack);
			p->msg = NULL;
			p->stage = POST_RX_SKIP;
			return err;
		}
	} else if (!rm || rm->received != off || rm->len != msg_len) {
		goto unlock;
	}
	err = 0;
unlock:
	spin_unlock_bh(&ps->rx_lock);
	kfree(new);
	if (err)
		return err;

	p->msg = rm;
	if (!payload)
		return post_rx_payload_done(t);
	p->stage = POST_RX_PAYLOAD;
	return 0;
}

static int post_rx_abort(struct post_transient *t)
{
	struct post_sock *ps = post_sk(t->carrier);
	struct post_abort *ab = (void *)t->rx.buf;
	u64 seq = be64_to_cpu(ab->seq);
	struct post_rmsg *rm;
	int err = 0;

	spin_lock_bh(&ps->rx_lock);
	rm = post_rx_find(ps, seq, NULL);
	if (rm && rm->owner != t) {
		/*
		 * Its chunks came on another transient, whose parser may be
		 * in the middle of one: resolved now, it is dropped there
		 * when it completes, or when that transient goes away.
		 */
		if (!post_rx_resolved(ps, seq))
			err = post_rx_resolve(ps, seq, false);
		rm = NULL;
	} else if (rm) {
		list_del(&rm->list);
		ps->nr_partial--;
		ps->partial_bytes -= rm->len;
		err = post_rx_resolve(ps, seq, false);
	} else if (!seq || post_rx_held(ps, seq)) {
		/* a complete message is no longer the sender's to abort */
		err = -EPROTO;
	} else if (post_rx_resolved(ps, seq)) {
		/* sent again after a resume: done already */
	} else if (seq - ps->rx_low >= POST_SEQ_WINDOW) {
		err = -EPROTO;
	} else {
		/* its start was lost with a transient */
		err = post_rx_resolve(ps, seq, false);
	}
	spin_unlock_bh(&ps->rx_lock);
	if (rm)
		post_rmsg_free(t->carrier, rm);
	post_rx_next_frame(&t->rx);
	return err;
}

/*
 * Must the peer's acknowledgments be applied now?  Only if someone
 * waits for what they free: a sender for room (SOCK_NOSPACE, set by
 * post_wait_sndbuf() and poll() before they look again, see
 * post_ack_in_pending()), a reader of POST_EV_ACKED, or a closing
 * carrier for its flush.
 */
static bool post_ack_in_urgent(struct sock *sk)
{
	/* ack_in_dirty before NOSPACE: pairs with post_ack_in_pending() */
	smp_mb();
	if (sk->sk_socket && test_bit(SOCK_NOSPACE, &sk->sk_socket->flags))
		return true;
	return (READ_ONCE(post_sk(sk)->ev_mask) & BIT(POST_EV_ACKED)) ||
	       (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN) ||
	       test_bit(POST_F_ORPHAN, &post_sk(sk)->flags);
}

/**
 * post_ack_in_pending - are acknowledgments waiting to be applied?
 * @sk: the carrier
 *
 * For a sender that just set SOCK_NOSPACE: acknowledgments that came
 * in before it did were left for later, and are applied before it
 * sleeps.
 *
 * Return: true if some are.
 */
bool post_ack_in_pending(struct sock *sk)
{
	/* NOSPACE before ack_in_dirty: pairs with post_ack_in_urgent() */
	smp_mb__after_atomic();
	return READ_ONCE(post_sk(sk)->ack_in_dirty);
}

/* The peer's acknowledgments: applied by the tx work, under the lock. */
static int post_rx_ack(struct post_transient *t)
{
	struct sock *sk = t->carrier;
	struct post_sock *ps = post_sk(sk);
	struct post_ack *ack = (void *)t->rx.buf;
	__be64 *seqs = (void *)(ack + 1);
	u64 low = be64_to_cpu(ack->low);
	u32 i, n = be32_to_cpu(ack->n);
	bool kick;

	/* never backwards on one transient; across several they race */
	if (low < t->ack_low)
		return -EPROTO;
	t->ack_low = low;
	spin_lock_bh(&ps->rx_lock);
	kick = !ps->ack_in_dirty;
	ps->ack_in_low = max(ps->ack_in_low, low);
	for (i = 0; i < n && ps->n_ack_in < POST_ACK_MAX; i++)
		ps->ack_in_seqs[ps->n_ack_in++] = be64_to_cpu(seqs[i]);
	/* the ones that did not fit are covered by a later @low */
	WRITE_ONCE(ps->ack_in_dirty, true);
	spin_unlock_bh(&ps->rx_lock);

	if (kick) {
		if (post_ack_in_urgent(sk))
			post_tx_schedule(sk);
		else if (!timer_pending(&ps->ack_timer))
			sk_reset_timer(sk, &ps->ack_timer,
				       jiffies + POST_ACK_IN_DELAY);
	}
	post_rx_next_frame(&t->rx);
	return 0;
}

/* Bytes of the current frame's extension: antecedents or acks. */
static int post_rx_ext_len(struct post_parser *p, u32 *ext)
{
	struct post_data_first *df;
	struct post_ack *ack;
	u32 n;

	if (p->type == POST_FRAME_ACK) {
		ack = (void *)p->buf;
		n = be32_to_cpu(ack->n);
		if (ack->reserved || n > POST_ACK_MAX ||
		    p->left != n * sizeof(__be64))
			return -EPROTO;
	} else {
		df = (void *)(p->buf + sizeof(struct post_data_hdr));
		n = be16_to_cpu(df->n_ante);
		if (n > POST_MAX_ANTECEDENTS || df->reserved ||
		    df->reserved2 || (df->flags & ~POST_FIRST_FLAGS) ||
		    p->left < n * sizeof(__be64))
			return -EPROTO;
	}
	*ext = n * sizeof(__be64);
	return 0;
}

/*
 * The bytes the current stage needed are in p->buf; @avail more are in
 * @skb from @offset on.
 */
static int post_rx_gathered(struct post_transient *t, struct sk_buff *skb,
			    unsigned int offset, size_t avail)
{
	struct post_parser *p = &t->rx;
	u32 ext;
	int err;

	switch (p->stage) {
	case POST_RX_HDR:
		return post_rx_frame_hdr(t);
	case POST_RX_FIXED:
		p->left -= p->need;
		if (p->type == POST_FRAME_HELLO)
			return post_rx_hello(t);
		if (p->type == POST_FRAME_ABORT)
			return post_rx_abort(t);
		if (p->type == POST_FRAME_DATA &&
		    !(p->flags & POST_DATA_FIRST))
			return post_rx_data(t, skb, offset, avail);
		err = post_rx_ext_len(p, &ext);
		if (err)
			return err;
		if (ext) {
			p->stage = POST_RX_EXT;
			p->need += ext;
			return 0;
		}
		break;
	case POST_RX_EXT:
		p->left -= p->need - (p->type == POST_FRAME_ACK ?
				      sizeof(struct post_ack) :
				      sizeof(struct post_data_hdr) +
				      sizeof(struct post_data_first));
		break;
	default:
		return -EPROTO;
	}
	if (p->type == POST_FRAME_ACK)
		return post_rx_ack(t);
	return post_rx_data(t, skb, offset, avail);
}

static int post_rx_payload(struct post_transient *t, struct sk_buff *skb,
			   unsigned int off, u32 len)
{
	struct sock *sk = t->carrier;
	struct post_sock *ps = post_sk(sk);
	struct post_rmsg *rm = t->rx.msg;
	struct sk_buff *piece;

	if (rm->data)
		return post_rx_copy(sk, rm, skb, off, len);
	piece = skb_clone(skb, GFP_ATOMIC);
	if (!piece)
		return -ENOMEM;
	post_piece(piece)->off = off;
	post_piece(piece)->len = len;
	piece->sk = sk;
	piece->destructor = post_piece_rfree;
	atomic_add(len, &sk->sk_rmem_alloc);

	spin_lock_bh(&ps->rx_lock);
	__skb_queue_tail(&rm->pieces, piece);
	rm->received += len;
	spin_unlock_bh(&ps->rx_lock);
	return 0;
}

/* read_sock() actor: parse what the transport received. */
static int post_rx_actor(read_descriptor_t *desc, struct sk_buff *skb,
			 unsigned int offset, size_t len)
{
	struct post_transient *t = desc->arg.data;
	struct post_parser *p = &t->rx;
	size_t used = 0;
	int err = 0;
	u32 n;

	while (used < len && !err) {
		switch (p->stage) {
		case POST_RX_HDR:
			if (!p->have && post_rx_full(t->carrier)) {
				desc->count = 0;
				return used;
			}
			fallthrough;
		case POST_RX_FIXED:
		case POST_RX_EXT:
			n = min_t(size_t, len - used, p->need - p->have);
			err = skb_copy_bits(skb, offset + used,
					    p->buf + p->have, n);
			if (err)
				break;
			p->have += n;
			used += n;
			if (p->have == p->need)
				err = post_rx_gathered(t, skb, offset + used,
						       len - used);
			break;
		case POST_RX_PAYLOAD:
			n = min_t(size_t, len - used, p->left);
			err = post_rx_payload(t, skb, offset + used, n);
			if (err)
				break;
			used += n;
			p->left -= n;
			if (!p->left)
				err = post_rx_payload_done(t);
			break;
		case POST_RX_SKIP:
			n = min_t(size_t, len - used, p->left);
			used += n;
			p->left -= n;
			if (!p->left)
				post_rx_next_frame(p);
			break;
		case POST_RX_HOLD:
			desc->count = 0;
			return used;
		}
	}
	if (err) {
		p->err = err;
		desc->error = err;
		desc->count = 0;
		/* the carrier is reset: the rest is not parsed */
		return len;
	}
	return used;
}

static void post_rx_fail(struct post_transient *t, int err)
{
	struct sock *sk = t->carrier;

	WRITE_ONCE(sk->sk_err, -err);
	set_bit(POST_F_ABORT_XPRT, &post_sk(sk)->flags);
	sk_error_report(sk);
	post_tx_schedule(sk);
}

/**
 * post_rx_read - parse what a message transient has received
 * @t: the transient, its socket locked (spinlock in softirq or owned),
 *	or an MPTCP one's rx mutex held (post_xprt_rx_lock())
 *
 * Detects the end of the peer's data: a clean end between messages
 * makes the carrier readable with EOF, a frame or message cut short is
 * a protocol error.
 */
void post_rx_read(struct post_transient *t)
{
	read_descriptor_t desc = { .arg.data = t, .count = 1 };
	struct sock *tsk = t->sock->sk;
	struct sock *sk = t->carrier;
	struct post_sock *ps = post_sk(sk);
	struct post_parser *p = &t->rx;
	bool eof;
	int ret;

	if (p->err)
		return;

	BUILD_BUG_ON(sizeof(p->buf) < POST_HELLO_MAX_LEN);
	if (p->stage == POST_RX_HOLD)
		return;
	if (t->mptcp) {
		ret = post_mptcp_read(t, &desc, post_rx_actor);
		if (ret < 0 && !p->err)
			p->err = ret;
		eof = ret > 0;
	} else {
		t->sock->ops->read_sock(tsk, &desc, post_rx_actor);
		eof = (READ_ONCE(tsk->sk_shutdown) & RCV_SHUTDOWN) &&
		      skb_queue_empty(&tsk->sk_receive_queue);
	}
	if (p->woken) {
		p->woken = false;
		sk->sk_data_ready(sk);
	}
	if (p->err) {
		post_rx_fail(t, p->err);
		return;
	}
	if (p->stage == POST_RX_HOLD || !eof)
		return;
	/* a reset is not an end: the carrier deals with the error */
	if (READ_ONCE(tsk->sk_err))
		return;

	spin_lock_bh(&ps->rx_lock);
	/*
	 * The peer sends its FIN once all that went on this transient is
	 * through, and with several transients once all it sent is
	 * acknowledged: what other transients still reassemble is stale.
	 */
	eof = !ps->rx_eof && p->hello && p->stage == POST_RX_HDR &&
	      !p->have && list_empty(&ps->rx_held) &&
	      !post_rx_find_owned(ps, t);
	if (eof)
		ps->rx_eof = true;
	spin_unlock_bh(&ps->rx_lock);

	if (eof) {
		sk->sk_data_ready(sk);
		post_tx_schedule(sk);	/* no more acknowledgments */
	} else if (!READ_ONCE(ps->rx_eof)) {
		/* the peer stopped in the middle of a frame or message */
		p->err = -EPROTO;
		post_rx_fail(t, p->err);
	}
}
