/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * AF_POST: Post Sockets message carriers for Linux.
 *
 * See Documentation/networking/post.rst for the semantics of every
 * name defined here.
 */
#ifndef _UAPI_LINUX_POST_H
#define _UAPI_LINUX_POST_H

#include <linux/types.h>

/*
 * Address family.  25 was reserved for AF_WANPIPE, which never had an
 * implementation in mainline Linux; 6.12 registers nothing there.
 */
#define AF_POST		25
#define PF_POST		AF_POST

/* Socket option and control message level. */
#define SOL_POST	299

/*
 * Largest message a carrier accepts by default, in bytes.  The limit in
 * force is the sysctl net.post.max_msg_size of the carrier's network
 * namespace (at most POST_MAX_MSG_SIZE_LIMIT).
 */
#define POST_DEFAULT_MAX_MSG_SIZE	(64U << 20)
#define POST_MAX_MSG_SIZE_LIMIT		(1U << 30)

/*
 * SOL_POST control messages on sendmsg() (message properties) and socket
 * options (the carrier's defaults for them).  Message carriers only; on
 * a stream carrier every one of them is EINVAL.
 *
 * POST_NICENESS	__u32: priority class, 0 (default) most urgent.  Any
 *			value is valid; a higher value never delays a lower.
 * POST_LIFETIME	__u32: milliseconds from sendmsg() after which a
 *			message not yet handed to the transport is dropped;
 *			0 (default) is unlimited.
 * POST_MSG_ID		__u64: the application's id for the message, any
 *			value but 0 and those with POST_MSG_ID_KERNEL set;
 *			without it the kernel assigns one (POST_MSG_ID_KERNEL
 *			set).  Also received on recvmsg() with every piece.
 *			Not a socket option.
 * POST_ANTECEDENTS	__u64[1..POST_MAX_ANTECEDENTS]: ids of messages sent
 *			earlier on this carrier that the peer must receive
 *			before this one.  Not a socket option.
 * POST_IDEMPOTENT	flag: safe to deliver more than once (0-RTT replay).
 * POST_IMMEDIATE	flag: hand to the transport at once, not coalesced
 *			with what follows.
 *			As control messages the flags take no data (set) or
 *			an int (0 clears, 1 sets); as options an int.
 * POST_EVENTS		socket option, __u32: mask of 1 << POST_EV_* to
 *			report on the error queue.
 */
#define POST_NICENESS		1
#define POST_LIFETIME		2
#define POST_MSG_ID		3
#define POST_ANTECEDENTS	4
#define POST_IDEMPOTENT		5
#define POST_IMMEDIATE		6
#define POST_EVENTS		7

/* Ids the kernel assigns have this bit set; the application's must not. */
#define POST_MSG_ID_KERNEL	(1ULL << 63)

/* Most antecedents one message may name. */
#define POST_MAX_ANTECEDENTS	64

/*
 * Completed messages a carrier remembers, so that later messages may
 * still name them as antecedents.
 */
#define POST_ID_HISTORY		256

/* Per-message events, read with recvmsg(MSG_ERRQUEUE). */
enum post_event_type {
	POST_EV_SENT = 1,	/* the last byte was handed to the transport */
	POST_EV_ACKED = 2,	/* the peer queued it for its application */
	POST_EV_EXPIRED = 3,	/* its lifetime ended; it was not delivered */
	__POST_EV_MAX
};

#define POST_EV_MASK_ALL	((1U << POST_EV_SENT) | (1U << POST_EV_ACKED) | \
				 (1U << POST_EV_EXPIRED))

/*
 * recvmsg(MSG_ERRQUEUE) returns an array of these as data (as many whole
 * events as fit), and the same array in a SOL_POST/POST_EVENTS control
 * message.
 */
struct post_msg_event {
	__u64	msg_id;
	__u32	type;		/* enum post_event_type */
	__u32	reserved;	/* 0 */
};

#endif /* _UAPI_LINUX_POST_H */
