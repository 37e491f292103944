/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AF_POST: Post Sockets message carriers.
 *
 * Internal declarations shared by the files of the module.
 */
#ifndef _NET_POST_PROTOCOL_H
#define _NET_POST_PROTOCOL_H

#include <linux/bvec.h>
#include <linux/hashtable.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/sock.h>
#include <net/tcp.h>

#include <uapi/linux/post.h>

/*
 * Wire format, version 1 (see Documentation/networking/post.rst).
 * All integers are big endian.
 */
#define POST_WIRE_VERSION	1
#define POST_HELLO_MAGIC	0x504f5354	/* "POST" */

enum post_frame_type {
	POST_FRAME_HELLO = 1,
	POST_FRAME_DATA = 2,
	POST_FRAME_ABORT = 3,
	POST_FRAME_ACK = 4,
};

/* DATA frame flags */
#define POST_DATA_FIRST		0x01	/* offset 0; carries the first-chunk extension */
#define POST_DATA_LAST		0x02	/* completes the message */
#define POST_DATA_FLAGS		(POST_DATA_FIRST | POST_DATA_LAST)

struct post_frame_hdr {
	u8	type;
	u8	flags;
	__be16	reserved;
	__be32	len;		/* bytes of body after this header */
} __packed;

struct post_hello {
	__be32	magic;
	u8	version;	/* highest version the sender speaks */
	u8	min_version;	/* lowest version the sender speaks */
	__be16	reserved;
	__be32	max_msg_size;	/* largest message the sender accepts */
	__be32	caps;		/* capability bits, none in version 1 */
	u8	key[16];	/* carrier key, for authenticated joins */
} __packed;

/*
 * HELLO extensions follow struct post_hello: a type byte, a length byte
 * and that many bytes of value.  Unknown types are skipped.
 */
#define POST_HELLO_EXT_CARRIER	1	/* __be32: the sender's carrier id */
#define POST_HELLO_EXT_RESUME	2	/* struct post_hello_resume */
#define POST_HELLO_EXT_JOIN	3	/* struct post_hello_resume */
/*
 * Another address of the sender that accepts joins: __be16 port, then
 * the IPv4 (4 bytes) or IPv6 (16 bytes) address, told by its length.
 * Several may follow; a receiver uses the first POST_MAX_ADVERTISED.
 */
#define POST_HELLO_EXT_ADDR	4

/*
 * Resume a dormant carrier: this connection replaces its transport.
 * Join a carrier (POST_HELLO_EXT_JOIN): this connection is one more
 * path of it.  @mac is SipHash-2-4, keyed with the receiver's carrier
 * key, over @carrier, @nonce and the sender's carrier key; a join's
 * nonce has its top bit set, a resume's has it clear, so that one
 * cannot be replayed as the other.
 */
struct post_hello_resume {
	__be32	carrier;	/* the receiver's carrier id */
	__be32	reserved;
	__be64	nonce;
	__be64	mac;
} __packed;

struct post_data_hdr {
	__be64	seq;		/* the carrier's wire sequence number */
	__be32	msg_len;
	__be32	offset;
} __packed;

/* DATA FIRST extension flags */
#define POST_FIRST_IDEMPOTENT	0x01
#define POST_FIRST_FLAGS	POST_FIRST_IDEMPOTENT

struct post_data_first {
	__be64	msg_id;		/* the application's id */
	__be16	n_ante;
	u8	flags;
	u8	reserved;
	__be32	reserved2;
	/* followed by n_ante __be64 antecedent sequence numbers */
} __packed;

#define POST_ABORT_EXPIRED	1

struct post_abort {
	__be64	seq;
	__be32	reason;
} __packed;

struct post_ack {
	__be64	low;		/* every sequence number below is delivered */
	__be32	n;		/* delivered ones above @low that follow */
	__be32	reserved;
	/* followed by n __be64 sequence numbers */
} __packed;

/* Most explicit sequence numbers in one ACK frame. */
#define POST_ACK_MAX		64
/*
 * A receiver acknowledges after this many deliveries, or this long
 * after the first one not yet acknowledged, unless a frame it sends
 * earlier carries the ACK.
 */
#define POST_ACK_BATCH		32
#define POST_ACK_DELAY		max(1UL, msecs_to_jiffies(2))
/*
 * A frame the receiver sends carries the ACK only once this many
 * deliveries wait for it (or POST_ACK_DELAY passed): a request/response
 * exchange acknowledges every few requests, not each one, which saves
 * both ends an ACK frame's work per message.
 */
#define POST_ACK_PIGGYBACK	8
/*
 * Messages (and one-segment payload descriptors) a carrier keeps for
 * reuse once they are done with: the ones an ACK frame retires at once
 * in a request/response exchange.
 */
#define POST_TX_SPARES		POST_ACK_PIGGYBACK
/*
 * The peer's acknowledgments are applied this long after they came in,
 * unless a sender waits for room or for the ACK events, or a close for
 * the flush: the next sendmsg() applies them on its way, so a
 * request/response exchange needs no tx work per message.
 */
#define POST_ACK_IN_DELAY	max(1UL, msecs_to_jiffies(20))
/*
 * Autocorking (post_tx_autocork()): what a streaming sender queues waits
 * for what follows while less than this many bytes are queued, for at
 * most net.post.autocork_us (default POST_AUTOCORK_US, at most
 * POST_AUTOCORK_US_MAX).
 */
#define POST_CORK_BYTES		(16U << 10)
/*
 * A reader waiting in recvmsg() is woken, and no more than this many
 * unread bytes are parsed in softirq meanwhile (post_xprt_rx_kick()).
 */
#define POST_RX_SOFTIRQ_BYTES	512
/*
 * A message that comes whole in one DATA frame of at most this many
 * payload bytes is copied out of the transport's skbs, as drivers copy
 * small packets (rx_copybreak), rather than held by clones of them.
 */
#define POST_RX_COPYBREAK	256
/* Largest received-message descriptor kept for reuse (rx_spare). */
#define POST_RX_SPARE_MAX	(sizeof(struct post_rmsg) + POST_RX_COPYBREAK)
#define POST_AUTOCORK_US	200U
#define POST_AUTOCORK_US_MAX	1000000U
/*
 * Most sequence numbers in use at once: a message starts only if its
 * number is below the oldest unacknowledged one plus this.
 */
#define POST_SEQ_WINDOW		65536
/* buckets of a carrier's in-flight sequence numbers (1 << bits) */
#define POST_SEQ_HASH_BITS	6
/* niceness classes a carrier keeps while none of their messages is unsent */
#define POST_IDLE_CLASSES	4

#define POST_HELLO_MAX_LEN	256
/* How long an accepted connection may take to send its HELLO. */
#define POST_HELLO_TIMEOUT	(10 * HZ)
#define POST_MAX_CHUNK		65536U
#define POST_MAX_DATA_PREFIX	(sizeof(struct post_data_hdr) +		\
				 sizeof(struct post_data_first) +	\
				 POST_MAX_ANTECEDENTS * sizeof(__be64))
#define POST_MAX_DATA_BODY	(POST_MAX_DATA_PREFIX + POST_MAX_CHUNK)
#define POST_MAX_FRAME_HDR	(sizeof(struct post_frame_hdr) +	\
				 POST_MAX_DATA_PREFIX)

/* Room reserved before a message's payload for its first frame header. */
#define POST_FIRST_HDR_LEN	(sizeof(struct post_frame_hdr) +	\
				 sizeof(struct post_data_hdr) +		\
				 sizeof(struct post_data_first))
/*
 * A message sent straight from the application's memory
 * (post_tx_express()) whose frame carries at most this many payload
 * bytes goes to the transport in one call with its header.
 */
#define POST_EXPRESS_INLINE	128
/*
 * ... and a message of at most this many bytes goes so at all.  A
 * larger one is copied into the carrier's pages, which it fills again
 * once the transport and the peer let go of them (@tx_ring): TCP's own
 * page frags are new pages for every 32 KiB sent, each cleared on
 * allocation (init_on_alloc, as distributions build), which cost more
 * than queueing the message.
 */
#define POST_EXPRESS_MAX	4096
/*
 * Filled payload pages (SKB_FRAG_PAGE_ORDER, 32 KiB) a carrier keeps to
 * fill again, oldest first: 2 MiB, about what TCP and the peer hold of
 * a fast stream at once.
 */
#define POST_TX_RING		64

/*
 * Payload bytes the sender puts in one DATA frame: about
 * POST_CHUNK_USEC of transmission at the transport's pacing rate, as TCP
 * sizes its TSO packets, between POST_CHUNK_MIN and POST_MAX_CHUNK;
 * POST_CHUNK_SIZE until the rate is known.  Frames go to TCP in batches
 * of about as much, which bound the packets it builds and what TCP takes
 * past its unsent limit.
 */
#define POST_CHUNK_SIZE		16384U
#define POST_CHUNK_MIN		4096U
#define POST_CHUNK_USEC		1000
/* Messages one carrier may have in reassembly at once. */
#define POST_MAX_PARTIAL	64
/* How long a closed carrier keeps flushing queued messages. */
#define POST_ORPHAN_TIMEOUT	(60 * HZ)
/*
 * Not-yet-sent bytes a message transient keeps queued in TCP: about
 * POST_XPRT_NOTSENT_USEC of transmission at the transport's pacing rate,
 * within these bounds.
 */
#define POST_XPRT_NOTSENT_LOWAT	(64 * 1024)
#define POST_XPRT_NOTSENT_MIN	(8 * 1024)
#define POST_XPRT_NOTSENT_MAX	(256 * 1024)
#define POST_XPRT_NOTSENT_USEC	4000

/**
 * struct post_payload - the bytes of a message not yet sent
 * @nr_segs: entries in @segs
 * @cur_seg: index of the segment holding the next byte to send
 * @cur_off: offset of that byte within @segs[@cur_seg]
 * @hdr: POST_FIRST_HDR_LEN bytes right before the payload, where the
 *	first frame's header is built so that it and the payload form one
 *	contiguous range for the transport to coalesce
 * @segs: the payload, in fragments of the carrier's @tx_frag pages;
 *	each holds a page reference
 */
struct post_payload {
	u32			nr_segs;
	u32			cur_seg;
	u32			cur_off;
	void			*hdr;
	struct bio_vec		segs[] __counted_by(nr_segs);
};

enum post_msg_state {
	POST_MSG_BLOCKED,	/* waiting for antecedents, on tx_blocked */
	POST_MSG_QUEUED,	/* in tx_sched; partly sent if it has a seq */
	POST_MSG_SENT,		/* handed to the transport, not acknowledged */
	POST_MSG_ABORTING,	/* expired partly sent; ABORT frame pending */
	POST_MSG_DONE,		/* acknowledged, expired or dropped */
};

/* post_msg.flags */
#define POST_MSGF_IDEMPOTENT	BIT(0)
#define POST_MSGF_IMMEDIATE	BIT(1)
#define POST_MSGF_EXPIRED	BIT(3)	/* done: expired, not delivered */
#define POST_MSGF_RETAINED	BIT(4)	/* sent; payload kept until acked */
#define POST_MSGF_RESENT	BIT(5)	/* being sent again after a resume */
#define POST_MSGF_ACKED		BIT(6)	/* acked while being sent again */

/* Transients one message carrier may have: its first and joined ones. */
#define POST_MAX_XPRTS		(POST_MAX_CANDIDATES + 1)
/* Queued messages one transient looks at for one it may send. */
#define POST_PICK_SCAN		256
/*
 * A transport that retransmitted this many times in a row without
 * progress is taken for dead when the carrier has other paths.
 */
#define POST_STALE_RTOS		3
/* How often a carrier with several transients checks them. */
#define POST_PATH_CHECK		max(1UL, msecs_to_jiffies(100))
/* A failed path is tried again after 1 s, then 2, 4... at most 30 s. */
#define POST_REJOIN_MIN		HZ
#define POST_REJOIN_MAX		(30 * HZ)
/* A join's nonce has this bit set, a resume's has it clear. */
#define POST_NONCE_JOIN		BIT_ULL(63)

struct post_class;

/**
 * struct post_edge - a dependency of a message on an antecedent
 * @node: entry in the antecedent's @waiters while it is not yet sent
 * @msg: the dependent message
 * @seq: the antecedent's sequence number once it has one, else 0
 */
struct post_edge {
	struct list_head	node;
	struct post_msg		*msg;
	u64			seq;
};

/**
 * struct post_msg - a message sent on a carrier, from sendmsg() until
 *	it is done, or until it falls out of the carrier's id history if
 *	that keeps it (post_msg_retire())
 * @rb: entry in tx_sched while POST_MSG_QUEUED
 * @dl_rb: entry in tx_deadlines while unsent with a lifetime
 * @hnode: entry in the carrier's id table
 * @seq_node: entry in the carrier's tx_seqs while on tx_inflight
 * @list: entry in tx_blocked (blocked), tx_inflight (has a sequence
 *	number, not done), tx_aborts (aborting) or tx_history (done)
 * @started: entry in tx_started while partly sent
 * @work: entry in a temporary work list, or in tx_sent
 * @waiters: edges of messages waiting for this one to be sent
 * @cls: niceness class charged with @truesize until sent
 * @xprt: the transient its chunks go on, once started; it carried
 *	the message until it is acknowledged (NULL once that one is gone)
 * @paths: POST_PATHS ids it may go on (@n_paths of them), or NULL
 * @edges: @n_ante dependencies on antecedents
 * @pl: payload until sent
 * @id: the application's id (or the kernel's)
 * @seq: wire sequence number, assigned with the first chunk; 0 before
 * @order: send order
 * @deadline: jiffies after which it is not sent; U64_MAX for none
 * @nice: niceness
 * @len: payload length
 * @sent: payload bytes handed to the transport
 * @truesize: memory held until sent, in sk_wmem_queued
 * @charge: what counts against SO_SNDBUF: @truesize, at most SO_SNDBUF
 * @n_ante: entries in @edges
 * @n_paths: entries in @paths
 * @n_wait: antecedents not yet sent
 * @state: enum post_msg_state
 * @flags: POST_MSGF_*
 *
 * Protected by the carrier's socket lock.
 */
struct post_msg {
	struct rb_node		rb;
	struct rb_node		dl_rb;
	struct rhash_head	hnode;
	struct hlist_node	seq_node;
	struct list_head	list;
	struct list_head	started;
	struct list_head	work;
	struct list_head	waiters;
	struct post_class	*cls;
	struct post_transient	*xprt;
	u32			*paths;
	struct post_edge	*edges;
	struct post_payload	*pl;
	u64			id;
	u64			seq;
	u64			order;
	u64			deadline;
	u32			nice;
	u32			len;
	u32			sent;
	u32			truesize;
	u32			charge;
	u16			n_ante;
	u16			n_wait;
	u8			n_paths;
	u8			state;
	u8			flags;
};

/**
 * struct post_props - the properties of a message being sent
 * @nice: POST_NICENESS
 * @lifetime: POST_LIFETIME, milliseconds, 0 for unlimited
 * @id: POST_MSG_ID, 0 for one the kernel assigns
 * @n_ante: entries in @ante
 * @flags: POST_MSGF_IDEMPOTENT, POST_MSGF_IMMEDIATE
 * @ante: POST_ANTECEDENTS, in the control message (kernel memory for
 *	the duration of sendmsg(); read with get_unaligned())
 * @n_paths: entries in @paths
 * @paths: POST_PATHS, in the control message, like @ante
 */
struct post_props {
	u32		nice;
	u32		lifetime;
	u64		id;
	u32		n_ante;
	u32		flags;
	const u64	*ante;
	u32		n_paths;
	const u32	*paths;
};

/**
 * struct post_rmsg - a message being received
 * @list: entry in the carrier's rx_partial, rx_held or rx_ready list
 * @seq: wire sequence number
 * @id: the sender's message id
 * @owner: the transient whose parser reassembles it; valid while the
 *	message is in reassembly (a transient going away drops those)
 * @path_id: the path its last chunk came on
 * @len: total length announced by the first chunk
 * @received: payload bytes received so far
 * @consumed: payload bytes returned to the application
 * @head_off: bytes of the first piece already returned
 * @pieces: received payload; each skb covers the range in its post_piece
 * @data: or the payload itself, after @ante, if the message is small
 *	(POST_RX_COPYBREAK); NULL if it is held in @pieces
 * @size: bytes allocated for it, so that it can be reused (rx_spare)
 * @n_ante: entries in @ante
 * @ante: sequence numbers of antecedents not yet delivered on arrival
 *
 * While on rx_partial, only the parser of the transient receiving the
 * message touches @received, @pieces and @data.  Once on rx_ready the
 * message is complete and only the reader (holding the carrier socket
 * lock) consumes it.
 */
struct post_rmsg {
	struct list_head	list;
	u64			seq;
	u64			id;
	struct post_transient	*owner;
	u32			path_id;
	u32			len;
	u32			received;
	u32			consumed;
	u32			head_off;
	struct sk_buff_head	pieces;
	u8			*data;
	u32			size;
	u32			n_ante;
	u64			ante[] __counted_by(n_ante);
};

/* Which bytes of a received skb belong to a message, kept in skb->cb. */
struct post_piece {
	u32	off;
	u32	len;
};

static inline struct post_piece *post_piece(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct post_piece) > sizeof(skb->cb));
	return (struct post_piece *)skb->cb;
}

enum post_rx_stage {
	POST_RX_HDR,		/* gathering the common frame header */
	POST_RX_FIXED,		/* gathering the fixed part of the body */
	POST_RX_EXT,		/* gathering antecedents or acknowledgments */
	POST_RX_PAYLOAD,	/* passing DATA payload to the message */
	POST_RX_SKIP,		/* skipping bytes (a duplicate's payload) */
	POST_RX_HOLD,		/* a resume waits to be decided: stop */
};

/* An address the peer told in its HELLO (POST_HELLO_EXT_ADDR). */
struct post_adv_addr {
	sa_family_t		family;
	__be16			port;
	union {
		__be32		v4;
		struct in6_addr	v6;
	};
};

/**
 * struct post_parser - receive state of one message transient
 * @buf: header bytes gathered so far
 * @need: bytes of @buf to gather before the stage completes
 * @have: bytes of @buf gathered
 * @left: body bytes of the current frame not yet consumed
 * @stage: what the next bytes are
 * @type: type of the current frame
 * @flags: flags of the current frame
 * @hello: the peer's HELLO has been received
 * @woken: messages were delivered during this read_sock() pass; the
 *	reader is woken once at its end rather than once per message
 * @err: sticky protocol error, negative errno
 * @msg: the message receiving the current DATA payload
 *
 * Protected by the transient socket's lock: the parser runs from
 * read_sock() in the transient's data_ready callback or in its rx work.
 * An MPTCP transient's parser runs only in process context, under the
 * transient's @rx_mutex (post_xprt_rx_lock()).
 */
struct post_parser {
	u8			buf[POST_MAX_DATA_PREFIX];
	u32			need;
	u32			have;
	u32			left;
	u8			stage;
	u8			type;
	u8			flags;
	bool			hello;
	bool			woken;
	int			err;
	struct post_rmsg	*msg;
};

/*
 * What one call to the transport carries: a batch of frames
 * (post_tx_push()).  A frame joins while the batch holds less than a
 * chunk and has room for the largest frame: a DATA frame's header and
 * its chunk, which spans at most one page more than its length.
 */
#define POST_FRAME_BVECS	(POST_MAX_CHUNK / PAGE_SIZE + 2)
#define POST_TX_BVECS		(2 * POST_FRAME_BVECS + 8)

/**
 * struct post_transient - one transport connection of a carrier
 * @carrier: the owning carrier; it outlives the transient
 * @node: entry in the carrier's @joined while it is a joined one
 * @sock: the in-kernel TCP or MPTCP socket
 * @path_id: the association's path it goes on
 * @listener: @sock is a listening socket
 * @attached: the callbacks of @sock are ours
 * @mptcp: @sock is an MPTCP socket (not one of its subflows)
 * @rx_work: runs the parser when the softirq path cannot; of an MPTCP
 *	transient, always, and also tells its carrier it has room
 * @rx_mutex: an MPTCP transient's parser lock, instead of @sock's
 *	socket lock, which its recvmsg() takes itself: protects @rx,
 *	@rx_skb and @rx_off, and @carrier against post_xprt_move()
 * @rx_skb: what an MPTCP transient received and its parser did not
 *	take yet, from @rx_off on
 * @rx_off: see @rx_skb
 * @mptcp_wait: an MPTCP transient waits on its socket's wait queue: the
 *	socket wakes it when it has room again (MPTCP calls no
 *	sk_write_space())
 * @xflags: POST_XPRT_* bits, atomic
 * @saved_data_ready: callbacks of @sock before we replaced them
 * @saved_write_space: see @saved_data_ready
 * @saved_state_change: see @saved_data_ready
 * @saved_error_report: see @saved_data_ready
 * @rx: receive parser
 * @ack_low: the highest cumulative acknowledgment the peer sent on it
 * @peer_max_msg: the peer's message size limit, from its HELLO
 * @peer_key: the peer's carrier key, from its HELLO
 * @peer_id: the peer's carrier id, from its HELLO (0 if none)
 * @hello_rcvd: the fields above are set (store-release by the parser)
 * @resume: this transient resumes its carrier: our HELLO says so
 * @join: this transient joins its carrier: our HELLO says so
 * @resume_req: the peer's HELLO asks to resume one of our carriers,
 *	described by @resume_id, @resume_nonce and @resume_mac
 * @join_req: the peer's HELLO asks to join one of our carriers,
 *	described by the same fields
 * @peer_dropped: the peer sent again on another transient what it had
 *	started on this one: it took this one for dead (set by the other
 *	transient's parser under the carrier's rx_lock)
 * @joined: one of the carrier's joined transients: its errors are not
 *	the carrier's (read locklessly by the error_report callback)
 * @path_up: its path was marked up for it
 * @backup: its path is a backup path
 * @hello_sent: our HELLO has been queued for transmission
 * @fin_sent: our FIN has been sent, after every queued message
 * @err_reported: the transport's error was copied to the carrier's
 *	sk_err by the error_report callback (read locklessly): the carrier
 *	does not set it again once the application may have consumed it
 * @tx_bv: the batch of frames being transmitted; each entry holds a
 *	reference on its page, dropped when the whole batch is sent
 * @tx_nr_bv: entries in @tx_bv
 * @tx_len: length of the batch
 * @tx_off: bytes of it the transport has accepted
 * @tx_partial: the last frame of the batch is not its message's last
 * @tx_now: the batch ends with a chunk of an immediate message
 * @tx_chunk: payload bytes of the DATA frames it sends (see
 *	POST_CHUNK_USEC)
 * @tuned_rate: the pacing rate @tx_chunk and TCP_NOTSENT_LOWAT were
 *	last sized for (post_xprt_tune_lowat())
 *
 * The saved callbacks and @sock's sk_user_data are protected by
 * @sock->sk->sk_callback_lock; @rx and @ack_low by @sock's socket lock; the tx
 * fields and @hello_sent/@fin_sent by the carrier's socket lock.
 * @peer_max_msg is written by the parser and read locklessly.
 */
struct post_transient {
	struct sock		*carrier;
	struct list_head	node;
	struct socket		*sock;
	u32			path_id;
	bool			listener;
	bool			attached;
	bool			mptcp;
	struct work_struct	rx_work;
	struct mutex		rx_mutex;	/* see above */
	struct sk_buff		*rx_skb;
	u32			rx_off;
	struct wait_queue_entry	mptcp_wait;
	unsigned long		xflags;

	void			(*saved_data_ready)(struct sock *sk);
	void			(*saved_write_space)(struct sock *sk);
	void			(*saved_state_change)(struct sock *sk);
	void			(*saved_error_report)(struct sock *sk);

	struct post_parser	rx;
	u64			ack_low;
	u32			peer_max_msg;
	u8			peer_key[16];
	u32			peer_id;
	bool			hello_rcvd;
	bool			resume;
	bool			join;
	bool			resume_req;
	bool			join_req;
	bool			peer_dropped;
	bool			joined;
	bool			path_up;
	bool			backup;
	u32			resume_id;
	u64			resume_nonce;
	u64			resume_mac;
	u8			n_adv;
	struct post_adv_addr	adv[POST_MAX_ADVERTISED];

	bool			hello_sent;
	bool			fin_sent;
	bool			err_reported;
	struct bio_vec		tx_bv[POST_TX_BVECS];
	unsigned int		tx_nr_bv;
	size_t			tx_len;
	size_t			tx_off;
	bool			tx_partial;
	bool			tx_now;
	u32			tx_chunk;
	u64			tuned_rate;
};

/* post_transient.xflags bits */
enum {
	POST_XPRT_ROOM,		/* MPTCP has room again: tell the carrier */
};

/* SOL_TCP options a carrier keeps and applies to each of its transients */
enum {
	POST_TCPOPT_NODELAY,
	POST_TCPOPT_KEEPIDLE,
	POST_TCPOPT_KEEPINTVL,
	POST_TCPOPT_KEEPCNT,
	POST_TCPOPT_SYNCNT,
	POST_TCPOPT_USER_TIMEOUT,
	POST_TCPOPT_MAX
};

/* ---- associations, paths, policy (assoc.c, netlink.c) ---- */

/* Default linger time of dormant associations. */
#define POST_DEFAULT_LINGER_MS	30000

/**
 * struct post_policy - selection properties of a namespace or carrier
 * @pref: enum post_pref per selection property (enum post_prop)
 * @n_prefer: entries in @prefer_if
 * @n_prohibit: entries in @prohibit_if
 * @prefer_if: preferred interfaces
 * @prohibit_if: interfaces never used
 * @linger_ms: how long associations stay dormant
 * @reuse: carriers between the same endpoints share an association
 */
struct post_policy {
	u8	pref[__POST_PROP_MAX];
	u8	n_prefer;
	u8	n_prohibit;
	int	prefer_if[POST_POLICY_MAX_IFS];
	int	prohibit_if[POST_POLICY_MAX_IFS];
	u32	linger_ms;
	bool	reuse;
};

struct post_counters {
	u64	msgs_sent;
	u64	msgs_recv;
	u64	bytes_sent;
	u64	bytes_recv;
	u64	msgs_expired;
	u64	msgs_acked;
};

/* measured properties of a path, from its transport */
struct post_path_info {
	u32	rtt_us;
	u32	rttvar_us;
	u64	delivery_rate;
	u32	retrans;
	u32	mtu;
};

#define POST_PATHF_BACKUP	BIT(0)
#define POST_PATHF_ADMIN_DOWN	BIT(1)
#define POST_PATHF_UP		BIT(2)	/* a carrier's transient uses it */

/**
 * struct post_path - a local/remote pair an association may use
 * @list: entry in the association's @paths
 * @id: unique within the association, from 1
 * @local: local address (AF_UNSPEC: any)
 * @remote: remote address and port
 * @ifindex: local interface, 0 for any
 * @flags: POST_PATHF_*
 * @last: what was last measured on it, kept when no carrier uses it
 */
struct post_path {
	struct list_head	list;
	u32			id;
	struct sockaddr_storage	local;
	struct sockaddr_storage	remote;
	int			ifindex;
	u32			flags;
	struct post_path_info	last;
};

/**
 * struct post_path_want - a path a carrier opens a transient on
 * @id: the path's id
 * @ifindex: local interface, 0 for any
 * @backup: it is a backup path
 * @local: local address (AF_UNSPEC: any)
 * @remote: remote address and port
 */
struct post_path_want {
	u32			id;
	int			ifindex;
	bool			backup;
	struct sockaddr_storage	local;
	struct sockaddr_storage	remote;
};

struct post_net;

/**
 * struct post_assoc - an association between two endpoints
 * @refcnt: the registry, each carrier and a pending linger work
 * @id: id in the namespace, from 1
 * @pn: the namespace's state
 * @state: enum post_assoc_state; written under post_net.lock, read
 *	locklessly by POST_INFO
 * @passive: made for accepted carriers (matched by local port)
 * @admin: made by the administrator; kept until deleted, or for
 *	@linger_ms while dormant if that is set
 * @local: local endpoint (AF_UNSPEC: any)
 * @remote: remote endpoint
 * @linger_ms: dormant this long before it closes
 * @paths: its paths (struct post_path)
 * @n_paths: entries in @paths
 * @next_path_id: the last path id given out
 * @carriers: its carriers (post_sock.assoc_node)
 * @n_carriers: entries in @carriers
 * @stats_carriers: carriers it has had
 * @resumes: times it went from dormant to active again
 * @closed_stats: counters of carriers that left
 * @linger_work: closes it when it stayed dormant for @linger_ms
 *
 * All but @refcnt and @state are protected by post_net.lock.
 */
struct post_assoc {
	refcount_t		refcnt;
	u32			id;
	struct post_net		*pn;
	u8			state;
	bool			passive;
	bool			admin;
	struct sockaddr_storage	local;
	struct sockaddr_storage	remote;
	u32			linger_ms;
	struct list_head	paths;
	u32			n_paths;
	u32			next_path_id;
	struct list_head	carriers;
	u32			n_carriers;
	u64			stats_carriers;
	u64			resumes;
	struct post_counters	closed_stats;
	struct delayed_work	linger_work;
};

/**
 * struct post_net - per network namespace state
 * @sysctl_hdr: the net.post sysctl table of the namespace
 * @max_msg_size: net.post.max_msg_size, read locklessly
 * @autocork_us: net.post.autocork_us, read locklessly
 * @lock: protects everything below, and the associations' fields;
 *	a mutex, taken after a carrier's socket lock
 * @assocs: associations by id
 * @carriers: open carriers by id (struct post_sock)
 * @next_assoc_id: cursor for cyclic id allocation
 * @next_carrier_id: cursor for cyclic id allocation
 * @policy: the system policy
 * @net: the namespace
 */
struct post_net {
	struct ctl_table_header	*sysctl_hdr;
	unsigned int		max_msg_size;
	unsigned int		autocork_us;

	struct mutex		lock;	/* see above */
	struct xarray		assocs;
	struct xarray		carriers;
	u32			next_assoc_id;
	u32			next_carrier_id;
	struct post_policy	policy;
	struct net		*net;
};

/* post_sock.flags bits */
enum {
	POST_F_ORPHAN,		/* closed; still flushing queued messages */
	POST_F_ABORT_XPRT,	/* transient failed; reset and release it */
	POST_F_IDS,		/* the id table is set up */
	POST_F_PENDING,		/* accepted by the kernel, not yet by accept() */
	POST_F_DORMANT,		/* no transient; resumes on the next send */
	POST_F_ACTIVE,		/* it connected (rather than was accepted) */
	POST_F_POLICY,		/* @policy was set with POST_POLICY */
	/*
	 * May have joined transients: keeps what it sends until it is
	 * acknowledged, and sends its FIN only once everything is.
	 */
	POST_F_MULTIPATH,
	POST_F_JOIN,		/* look for paths to open transients on */
	POST_F_REJOIN,		/* ... again at @rejoin_at */
	POST_F_ADVERTISE,	/* POST_ADVERTISE: HELLO names our addresses */
	POST_F_ADMIN,		/* the administrator changed a path */
	/*
	 * Keeps what it sends until it is acknowledged: an accepted
	 * carrier that a join may reach, so that what it sends before the
	 * first join is sent again if its first path dies after it.
	 */
	POST_F_RETAIN,
	POST_F_TX_ROOM,		/* room came while owned (post_tx_room()) */
};

/**
 * struct post_sock - a message or stream carrier
 * @sk: the socket; must be first
 * @xprt: the carrier's transient, or NULL before bind/connect/listen;
 *	of a message carrier with several, the one it was set up on (or
 *	took over when that one died)
 * @joined: further transients of a message carrier, on other paths
 *	(struct post_transient.node)
 * @n_joined: entries in @joined, read locklessly
 * @path_timer: looks at the transients' health while a carrier with
 *	several waits for acknowledgments
 * @rejoin_at: when to try paths whose transient failed again
 * @rejoin_delay: the wait before that, doubled at each failure
 * @cands: POST_REMOTE_ADD addresses, @n_cands of them
 * @tx_work: moves queued messages into the transient and handles
 *	transient state changes in process context
 * @orphan_work: bounds how long a closed carrier flushes
 * @tx_timer: runs the tx work when the earliest lifetime ends
 * @tx_sched: queued messages by (niceness, deadline, send order)
 * @tx_deadlines: unsent messages with a lifetime, by deadline
 * @tx_classes: niceness classes with unsent messages, and up to
 *	POST_IDLE_CLASSES without (struct post_class)
 * @nr_idle_classes: classes in @tx_classes without unsent messages
 * @ids: every message the carrier remembers, by id (set up when a
 *	message first names an id, its own or an antecedent's: POST_F_IDS)
 * @tx_blocked: messages waiting for their antecedents
 * @tx_started: partly sent messages
 * @tx_sent: messages whose last chunk joined the batch being handed to
 *	the transport, finished once it was (post_sched_batch_sent())
 * @tx_inflight: messages with a sequence number, not yet done, in
 *	sequence order
 * @tx_aborts: expired partly sent messages whose ABORT is pending
 * @tx_history: done messages with an application's id or expired,
 *	oldest first, at most POST_ID_HISTORY (post_msg_retire())
 * @tx_spares: forgotten messages, for the next ones sent (at most
 *	POST_TX_SPARES, linked by their @list)
 * @nr_spares: entries in @tx_spares
 * @pl_spares: descriptors of payloads in one segment, for the next
 *	messages (@nr_pl_spares of them, at most POST_TX_SPARES: an ACK
 *	that retires several messages kept until acknowledged gives back
 *	several)
 * @nr_pl_spares: entries in @pl_spares
 * @tx_streaming: the application sent last, rather than received: what
 *	it sends next may be coalesced (see post_tx_autocork())
 * @cork_timer: pushes what autocorking holds back; holds a reference
 *	on the carrier while queued
 * @tx_seqs: messages on @tx_inflight, hashed by sequence number (no
 *	allocation per message: a message or two in flight, as in
 *	request/response, would otherwise allocate and free a node each)
 * @tx_frag: pages holding message payload and frame headers, filled
 *	upwards so that consecutive frames are contiguous
 * @tx_ring: @tx_frag pages filled before, oldest first from
 *	@tx_ring_head, @tx_ring_n of them, each with a reference of the
 *	carrier's: filled again once that is their only one
 *	(post_tx_frag_refill()), let go of when the carrier is idle
 *	(post_tx_ring_trim())
 * @tx_ring_head: index of the oldest page in @tx_ring
 * @tx_ring_n: pages in @tx_ring
 * @tx_charged: sum of the @charge of unsent messages
 * @tx_retained: @truesize of sent messages kept until acknowledged
 * @nr_started: entries in @tx_started
 * @nr_history: entries in @tx_history
 * @next_kid: id the kernel assigns next, without POST_MSG_ID_KERNEL
 * @next_seq: sequence number of the next message started
 * @next_order: send order of the next message
 * @dflt: the carrier's default message properties
 * @ev_mask: POST_EVENTS
 * @ev_pending: events on the error queue, not yet read
 * @can_send: a message of the default niceness would be admitted;
 *	read locklessly by poll()
 * @key: carrier key announced in HELLO
 * @max_msg: largest message this carrier sends or accepts
 * @flags: POST_F_* bits
 * @tcp_set: which @tcp_opt values the application set
 * @tcp_opt: SOL_TCP option values applied to every transient
 * @tcp_cc: TCP_CONGESTION for every transient, "" for the default
 * @rx_lock: protects the rx_, ack_ and nr_partial/partial_bytes fields;
 *	taken from softirq
 * @rx_partial: messages in reassembly (struct post_rmsg)
 * @rx_held: complete messages waiting for their antecedents
 * @rx_ready: complete messages waiting for the application
 * @rx_done: sequence numbers at or above @rx_low already resolved
 *	(delivered or aborted)
 * @rx_low: every sequence number below is resolved
 * @nr_partial: entries in @rx_partial and @rx_held
 * @partial_bytes: payload bytes announced by them
 * @rx_paused: the parser stopped because the receive buffer is full
 * @rx_spare: a freed small message descriptor, for the parser's next
 *	message; taken and put back with xchg()/cmpxchg(), not under a lock
 * @rx_eof: the peer finished sending; every message was delivered
 * @ack_dirty: something is to be acknowledged
 * @ack_now: ... and the ACK frame is due at once, not with the next
 *	POST_ACK_PIGGYBACK deliveries (post_ack_due())
 * @n_unacked: deliveries since the last ACK frame was built
 * @ack_timer: sends a due ACK frame POST_ACK_DELAY after it became due,
 *	and applies the peer's POST_ACK_IN_DELAY after they came in
 * @ack_path: the path the latest message came on, where ACK frames go
 * @n_ack: entries in @ack_seqs
 * @ack_seqs: delivered sequence numbers above @rx_low not yet acked
 * @ack_in_dirty: the peer acknowledged something not yet applied
 * @ack_in_low: the peer's latest cumulative acknowledgment
 * @n_ack_in: entries in @ack_in_seqs
 * @ack_in_seqs: the peer's explicit acknowledgments not yet applied
 * @rx_readers: readers in recvmsg(); while there are any, the
 *	transient's data_ready only sets @rx_kicked and wakes them (but for
 *	a small message), and they parse themselves, on their own CPU,
 *	before they sleep and once more before they return
 * @rx_kicked: data came in for a reader to parse; the reader clears it
 *	before it parses
 * @id: the carrier's id in its namespace (post_net.carriers), 0 if none
 * @assoc: its association once established, or NULL
 * @assoc_node: entry in the association's carriers, under post_net.lock
 * @path_id: the association's path its transient uses
 * @path_sampled: jiffies when @pinfo was last sampled
 * @pinfo: measured properties of its path, read locklessly
 * @pinfo_told: what the monitor was last told of them
 * @xprt_state: TCP state of its transient when @pinfo was sampled
 * @mptcp: its transient is an MPTCP socket: it uses no other path of
 *	its own (read locklessly)
 * @mptcp_subflows: MPTCP_INFO's subflows when @pinfo was sampled
 * @mptcp_flags: MPTCP_INFO's flags then
 * @local: its local address once established (post_net.lock)
 * @remote: its peer's address once established (post_net.lock)
 * @stats: counters, written under the socket lock (msgs_recv and
 *	bytes_recv under @rx_lock), read locklessly
 * @parent: the listener of a carrier not yet accept()ed (POST_F_PENDING
 *	or on the listener's @acc_ready), holding a reference on it
 * @acc_lock: protects @acc_pending, @acc_ready, @n_acc and the
 *	children's @acc_node; taken under the listener's socket lock or a
 *	child's
 * @acc_pending: a listener's children waiting for the peer's HELLO
 * @acc_ready: a listener's children for accept() to return
 * @acc_node: entry in the listener's @acc_pending or @acc_ready
 * @n_acc: entries in @acc_pending and @acc_ready
 * @dormant_work: a dormant carrier fails at the end of its linger time;
 *	a pending child when its HELLO does not come
 * @policy: the carrier's own policy (POST_F_POLICY)
 * @peer_key: the peer's carrier key, once @peer_known
 * @peer_id: the peer's carrier id, once @peer_known
 * @peer_known: the peer's HELLO was seen on some transient
 * @resumable: goes dormant instead of failing when its transient dies,
 *	and keeps sent messages until acknowledged; set when established
 * @peer_max_msg: the peer's message size limit
 * @dormant_err: the transport error that made the carrier dormant
 * @dormant_since: jiffies when it went dormant
 * @resumes: times the carrier resumed
 * @msgs_resent: messages sent again after resumes
 *
 * Unless stated otherwise, fields are protected by the socket lock.
 */
struct post_sock {
	struct sock		sk;
	struct post_transient	*xprt;
	struct list_head	joined;
	u32			n_joined;
	struct timer_list	path_timer;
	unsigned long		rejoin_at;
	unsigned long		rejoin_delay;
	struct sockaddr_storage	*cands;
	u32			n_cands;
	struct work_struct	tx_work;
	struct delayed_work	orphan_work;
	struct timer_list	tx_timer;
	struct rb_root_cached	tx_sched;
	struct rb_root_cached	tx_deadlines;
	struct rb_root		tx_classes;
	u32			nr_idle_classes;
	struct rhashtable	ids;
	struct list_head	tx_blocked;
	struct list_head	tx_started;
	struct list_head	tx_sent;
	struct list_head	tx_inflight;
	struct list_head	tx_aborts;
	struct list_head	tx_history;
	struct list_head	tx_spares;
	u8			nr_spares;
	u8			nr_pl_spares;
	struct post_payload	*pl_spares[POST_TX_SPARES];
	bool			tx_streaming;
	struct hrtimer		cork_timer;
	DECLARE_HASHTABLE(tx_seqs, POST_SEQ_HASH_BITS);
	struct page_frag	tx_frag;
	struct page		*tx_ring[POST_TX_RING];
	u8			tx_ring_head;
	u8			tx_ring_n;
	u64			tx_charged;
	u64			tx_retained;
	u32			nr_started;
	u32			nr_history;
	u64			next_kid;
	u64			next_seq;
	u64			next_order;
	struct post_props	dflt;
	u32			ev_mask;
	atomic_t		ev_pending;
	bool			can_send;
	u8			key[16];
	u32			max_msg;
	unsigned long		flags;
	unsigned long		tcp_set;
	int			tcp_opt[POST_TCPOPT_MAX];
	char			tcp_cc[TCP_CA_NAME_MAX];

	spinlock_t		rx_lock;	/* see above */
	struct list_head	rx_partial;
	struct list_head	rx_held;
	struct list_head	rx_ready;
	struct xarray		rx_done;
	u64			rx_low;
	unsigned int		nr_partial;
	u64			partial_bytes;
	bool			rx_paused;
	struct post_rmsg	*rx_spare;
	bool			rx_eof;
	bool			ack_dirty;
	bool			ack_now;
	bool			ack_in_dirty;
	u32			n_unacked;
	struct timer_list	ack_timer;
	u32			ack_path;
	u32			n_ack;
	u64			ack_seqs[POST_ACK_MAX];
	u64			ack_in_low;
	u32			n_ack_in;
	u64			ack_in_seqs[POST_ACK_MAX];
	atomic_t		rx_readers;
	bool			rx_kicked;

	u32			id;
	struct post_assoc	*assoc;
	struct list_head	assoc_node;
	u32			path_id;
	unsigned long		path_sampled;
	struct post_path_info	pinfo;
	struct post_path_info	pinfo_told;
	u8			xprt_state;
	bool			mptcp;
	u8			mptcp_subflows;
	u32			mptcp_flags;
	struct sockaddr_storage	local;
	struct sockaddr_storage	remote;
	struct post_counters	stats;

	struct sock		*parent;
	spinlock_t		acc_lock;	/* see above */
	struct list_head	acc_pending;
	struct list_head	acc_ready;
	struct list_head	acc_node;
	u32			n_acc;
	struct delayed_work	dormant_work;
	struct post_policy	policy;
	u8			peer_key[16];
	u32			peer_id;
	bool			peer_known;
	bool			resumable;
	u32			peer_max_msg;
	int			dormant_err;
	unsigned long		dormant_since;
	u32			resumes;
	u64			msgs_resent;
};

/* Has the peer's HELLO on @t been parsed, its fields set? */
static inline bool post_peer_hello(const struct post_transient *t)
{
	/* pairs with smp_store_release() in post_rx_hello() */
	return smp_load_acquire(&t->hello_rcvd);
}

static inline struct post_sock *post_sk(const struct sock *sk)
{
	return (struct post_sock *)sk;
}

/* Counters have one writer at a time and lockless readers. */
static inline void post_stat_inc(u64 *c, u64 n)
{
	WRITE_ONCE(*c, *c + n);
}

static inline bool post_is_msg(const struct sock *sk)
{
	return sk->sk_type == SOCK_SEQPACKET;
}

extern struct workqueue_struct *post_wq;

/* af_post.c */
struct post_net *post_net(const struct net *net);
u32 post_net_max_msg(const struct net *net);
u32 post_net_autocork_us(const struct net *net);
struct sock *post_sk_alloc(struct net *net, struct socket *sock, int type,
			   int kern);
struct sock *post_child_alloc(struct sock *parent);

/* carrier.c */
extern const struct proto_ops post_msg_ops;
extern const struct proto_ops post_stream_ops;
void post_sock_init(struct sock *sk);
void post_sock_destruct(struct sock *sk);
void post_tx_schedule(struct sock *sk);
void post_tx_schedule_put(struct sock *sk);
void post_tx_room(struct sock *sk);
void post_tx_ring_trim(struct sock *sk);
void post_release_cb(struct sock *sk);

/* xprt_tcp.c */
int post_xprt_create(struct sock *sk, int family,
		     struct post_transient **res);
struct post_transient *post_xprt_alloc(struct sock *sk, struct socket *sock);
void post_xprt_attach(struct post_transient *t);
void post_xprt_attach_listener(struct post_transient *t);
int post_xprt_accept(struct post_transient *lt, struct socket **res);
void post_xprt_attach_child(struct post_transient *t,
			    const struct post_transient *lt);
void post_xprt_move(struct post_transient *t, struct sock *sk);
void post_xprt_destroy(struct post_transient *t, bool abort);
void post_xprt_sync_sockopts(struct sock *sk, struct post_transient *t);
int post_xprt_set_tcpopt(struct post_transient *t, int optname, int val);
int post_xprt_set_cc(struct post_transient *t, char *name);
int post_tcpopt_index(int optname);
void post_xprt_rx_kick(struct post_transient *t);
void post_xprt_tune_lowat(struct post_transient *t);
bool post_xprt_wildcard(const struct post_transient *t);
bool post_xprt_timeouts(const struct post_transient *t, u8 n);
void post_xprt_rx_lock(struct post_transient *t);
void post_xprt_rx_unlock(struct post_transient *t);
int post_xprt_bind_if(struct post_transient *t, int ifindex);
void post_xprt_sample(struct sock *sk, struct post_transient *t,
		      struct post_path_info *pi, u8 *state);

/* xprt_mptcp.c */
int post_mptcp_create(struct net *net, int family, struct socket **res);
int post_mptcp_read(struct post_transient *t, read_descriptor_t *desc,
		    sk_read_actor_t actor);
void post_mptcp_attach(struct post_transient *t);
void post_mptcp_detach(struct post_transient *t);
void post_mptcp_sample(struct sock *sk, struct post_transient *t,
		       struct post_path_info *pi, u8 *state);

/* wire.c */
void post_parser_init(struct post_parser *p);
void post_parser_release(struct sock *sk, struct post_transient *t);
void post_rx_drop(struct sock *sk, bool ready);
void post_ack_timer(struct timer_list *timer);
bool post_ack_in_pending(struct sock *sk);
bool post_rx_orphan(struct sock *sk);
void post_rx_read(struct post_transient *t);
bool post_rx_full(struct sock *sk);
struct post_payload *post_payload_alloc(struct sock *sk, struct msghdr *msg,
					size_t len);
void post_payload_free(struct post_payload *pl);
void post_payload_put(struct sock *sk, struct post_payload *pl);
void post_rmsg_free(struct sock *sk, struct post_rmsg *rm);
int post_tx_push(struct sock *sk, struct post_transient *t);
int post_tx_express(struct sock *sk, struct post_transient *t,
		    struct post_msg *m, struct msghdr *msg);
u64 post_resume_mac(const u8 *key, u32 id, u64 nonce, const u8 *asker);
bool post_tx_idle(const struct post_transient *t);
void post_tx_reset(struct post_transient *t);

/* sched.c */
void post_sched_init(struct sock *sk);
void post_sched_destroy(struct sock *sk);
void post_sched_purge(struct sock *sk);
int post_props_parse(struct sock *sk, struct msghdr *msg,
		     struct post_props *pp);
int post_sched_enqueue(struct sock *sk, struct msghdr *msg, size_t len,
		       const struct post_props *pp, struct post_msg **express);
void post_sched_cancel(struct sock *sk, struct post_msg *m);
bool post_sched_may_start(struct sock *sk);
bool post_tx_admit(struct sock *sk, u32 nice);
void post_tx_update_can_send(struct sock *sk);
struct post_msg *post_sched_pick(struct sock *sk, struct post_transient *t);
void post_sched_start(struct sock *sk, struct post_msg *m);
void post_sched_chunk_done(struct sock *sk, struct post_msg *m, u32 payload);
void post_sched_batch_sent(struct sock *sk);
void post_sched_drop(struct sock *sk, struct post_msg *m);
void post_sched_requeue(struct sock *sk, struct post_transient *t);
void post_sched_forget(struct sock *sk, struct post_transient *t);
bool post_sched_retain(struct sock *sk);
void post_sched_expire(struct sock *sk);
u64 post_sched_next_abort(struct sock *sk, struct post_transient *t);
bool post_sched_idle(struct sock *sk);
bool post_msg_immediate(const struct post_msg *m);
struct post_transient *post_ack_xprt(struct sock *sk);
int post_sched_apply_acks(struct sock *sk);
int post_ev_recv(struct sock *sk, struct msghdr *msg, size_t len);
void post_ev_carrier(struct sock *sk, u32 type);
int post_sched_setsockopt(struct sock *sk, int optname, sockptr_t optval,
			  unsigned int optlen);
int post_sched_getsockopt(struct sock *sk, int optname, char __user *optval,
			  int __user *optlen);

/* assoc.c */
void post_assoc_net_init(struct post_net *pn);
void post_assoc_net_exit(struct post_net *pn);
struct post_assoc *post_assoc_new(struct post_net *pn,
				  const struct sockaddr_storage *local,
				  const struct sockaddr_storage *remote,
				  bool passive);
void post_assoc_close(struct post_assoc *a, u32 reason);
void post_assoc_linger(struct post_assoc *a);
void post_assoc_put(struct post_assoc *a);
void post_assoc_stats(struct post_assoc *a, struct post_counters *c);
bool post_addr_eq(const struct sockaddr_storage *x,
		  const struct sockaddr_storage *y, bool port);
void post_assoc_attach(struct sock *sk, bool passive);
int post_assoc_add_advertised(struct sock *sk,
			      const struct post_transient *t);
void post_assoc_carrier_moved(struct sock *sk,
			      const struct post_path_want *w);
void post_assoc_carrier_promoted(struct sock *sk, struct post_transient *t);
void post_assoc_resumed_on(struct sock *sk, struct post_transient *t);
u32 post_assoc_path_flags(struct sock *sk, u32 id);
void post_assoc_kick_admin(struct post_assoc *a);
void post_assoc_detach(struct sock *sk, u32 reason);
struct post_path *post_path_new(struct post_assoc *a,
				const struct sockaddr_storage *local,
				const struct sockaddr_storage *remote,
				int ifindex, u32 flags);
struct post_path *post_path_find(struct post_assoc *a, u32 id);
void post_path_del(struct post_assoc *a, struct post_path *p);
void post_path_sample(struct sock *sk);
bool post_path_choose(struct sock *sk, struct post_transient *t,
		      const struct post_msg *m);
bool post_assoc_has_paths(struct sock *sk, const u32 *ids, u32 n);
int post_assoc_paths_unused(struct sock *sk, struct post_path_want *w,
			    int max);
void post_assoc_join_path(struct sock *sk, struct post_transient *t);
void post_assoc_xprt_down(struct sock *sk, struct post_transient *t);
void post_assoc_kick_joins(struct post_assoc *a);
void post_path_props(struct post_assoc *a, const struct post_path *p,
		     struct post_path_info *pi);
int post_assoc_paths(struct sock *sk, unsigned int max,
		     struct post_path_desc **res);
int post_carrier_register(struct sock *sk);
void post_assoc_carrier_down(struct sock *sk, u32 reason);
void post_assoc_carrier_up(struct sock *sk, u32 reason);
u8 post_policy_pref(struct sock *sk, int prop);
u32 post_policy_linger(struct sock *sk);
bool post_policy_wants(struct sock *sk, int prop);
int post_policy_check(struct sock *sk, const struct sockaddr *addr);
bool post_carrier_multipath(struct sock *sk);
bool post_policy_routable(struct sock *sk, const struct sockaddr *addr,
			  int oif);
int post_policy_local_addrs(struct sock *sk, struct sock *tsk,
			    struct post_adv_addr *out);
int post_policy_setsockopt(struct sock *sk, sockptr_t optval,
			   unsigned int optlen);
int post_policy_getsockopt(struct sock *sk, char __user *optval,
			   int __user *optlen);
struct sock *post_carrier_lookup(struct net *net, u32 id);
void post_carrier_unregister(struct sock *sk, u32 reason);

/* netlink.c */
int post_nl_init(void);
void post_nl_exit(void);
void post_nl_assoc_event(struct post_assoc *a, u8 cmd, u32 reason);
void post_nl_path_event(struct post_assoc *a, struct post_path *p, u8 cmd,
			u32 reason);
void post_nl_carrier_event(struct sock *sk, u8 cmd, u32 reason);

#endif /* _NET_POST_PROTOCOL_H */
