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
#include <linux/socket.h>

/*
 * Address family.  25 was reserved for AF_WANPIPE, which never had an
 * implementation in mainline Linux; 6.12 registers nothing there.
 */
#define AF_POST		25
#define PF_POST		AF_POST

/*
 * socket(AF_POST, SOCK_SEQPACKET or SOCK_STREAM, protocol): protocol 0
 * lets the policy choose the transport (TCP unless POST_PROP_MPTCP is
 * preferred or required), IPPROTO_TCP asks for TCP and IPPROTO_MPTCP
 * for one MPTCP transient whose subflows the kernel's MPTCP path
 * manager opens (transparent multipath); anything else is
 * EPROTONOSUPPORT.  getsockopt(SO_PROTOCOL) returns what was asked.
 */

/* Socket option and control message level. */
#define SOL_POST	299

/*
 * Largest message a carrier accepts by default, in bytes.  The limit in
 * force is the sysctl net.post.max_msg_size of the carrier's network
 * namespace (at most POST_MAX_MSG_SIZE_LIMIT).
 */
#define POST_DEFAULT_MAX_MSG_SIZE	(64U << 20)
/*
 * The smallest limit a namespace may set: messages up to this size are
 * sent before the peer's HELLO told its limit, larger ones wait for it.
 */
#define POST_MIN_MSG_SIZE		4096U
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
 * still name them as antecedents: those sent with POST_MSG_ID, and
 * expired ones.  A kernel-assigned id it no longer holds counts as done.
 */
#define POST_ID_HISTORY		256

/* Per-message events, read with recvmsg(MSG_ERRQUEUE). */
enum post_event_type {
	POST_EV_SENT = 1,	/* the last byte was handed to the transport */
	POST_EV_ACKED = 2,	/* the peer queued it for its application */
	POST_EV_EXPIRED = 3,	/* its lifetime ended; it was not delivered */
	/* carrier events, msg_id 0 */
	POST_EV_DORMANT = 4,	/* the transport died; waiting to resume */
	POST_EV_RESUMED = 5,	/* a new transport carries on */
	__POST_EV_MAX
};

#define POST_EV_MASK_ALL	((1U << POST_EV_SENT) | (1U << POST_EV_ACKED) | \
				 (1U << POST_EV_EXPIRED) |		\
				 (1U << POST_EV_DORMANT) |		\
				 (1U << POST_EV_RESUMED))

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

/*
 * getsockopt(SOL_POST, POST_INFO): struct post_info, the carrier's
 * association and counters (in the spirit of TCP_INFO).  A shorter
 * buffer gets the first bytes; the returned length says how many.
 */
#define POST_INFO		8

/*
 * getsockopt(SOL_POST, POST_PATHS): the paths of the carrier's
 * association, as an array of struct post_path_desc.  As many whole
 * entries as fit are returned, and the length says how many bytes; a
 * carrier without an association has none.
 */
#define POST_PATHS		9

struct post_path_desc {
	__u32	id;
	__u8	state;		/* 1 up, 0 down */
	__u8	backup;
	__u8	admin_up;
	__u8	reserved;
	__u32	rtt_us;
	__u32	rttvar_us;
	__u64	delivery_rate;	/* bytes per second */
	__u32	retrans;
	__u32	mtu;
	struct __kernel_sockaddr_storage local;	/* family 0: any */
	struct __kernel_sockaddr_storage remote;
};

enum post_assoc_state {
	POST_ASSOC_NONE = 0,	/* the carrier has no association (yet) */
	POST_ASSOC_ACTIVE = 1,	/* a transient is up */
	POST_ASSOC_DORMANT = 2,	/* no transient; kept for its linger time */
	POST_ASSOC_CLOSED = 3,	/* deleted or expired; going away */
};

struct post_info {
	__u32	assoc_id;	/* 0 without an association */
	__u32	carrier_id;	/* the carrier's id in netlink */
	__u8	assoc_state;	/* enum post_assoc_state */
	__u8	state;		/* the carrier's TCP_* state */
	__u16	reserved;
	__u32	n_paths;
	__u64	msgs_sent;	/* messages handed whole to the transport */
	__u64	msgs_recv;	/* messages queued for the application */
	__u64	bytes_sent;	/* payload bytes */
	__u64	bytes_recv;
	__u64	msgs_expired;
	__u64	msgs_acked;
	__u32	rtt_us;		/* smoothed RTT of the carrier's path */
	__u32	rttvar_us;
	__u32	resumes;	/* times the carrier resumed after going dormant */
	__u8	dormant;	/* 1 while it has no transport */
	__u8	reserved2[3];
	__u64	msgs_resent;	/* messages sent again after a resume */
};

/*
 * setsockopt/getsockopt(SOL_POST, POST_POLICY): struct post_policy_opt,
 * the carrier's own selection properties, before connect() or listen()
 * (accepted carriers inherit the listener's).  They combine with the
 * namespace's system policy (postctl policy): a system prohibit always
 * wins, otherwise the carrier's preference does.  connect() or listen()
 * fails with EACCES when the carrier requires what the system prohibits,
 * and with EPROTONOSUPPORT when no transport offers what it requires
 * (or all offer what it prohibits).  A shorter buffer sets or gets the
 * first bytes; unused fields must be 0.
 */
#define POST_POLICY		10

/*
 * setsockopt(SOL_POST, POST_REMOTE_ADD, &addr, sizeof(addr)): a further
 * remote address of the peer (struct sockaddr_in or sockaddr_in6; port
 * 0 means connect()'s port), before connect().  Each becomes a path of
 * the carrier's association, and a message carrier opens a transient on
 * it that joins the carrier at the peer, unless the policy prohibits
 * POST_PROP_MULTIPATH.  At most POST_MAX_CANDIDATES; EEXIST for one
 * given already, EISCONN once connected, EINVAL on a listener or a
 * stream carrier, EAFNOSUPPORT for another family.  Write only.
 */
#define POST_REMOTE_ADD		11

/*
 * recvmsg() control message, __u32: the id of the path (in the
 * receiver's POST_PATHS) on which the message's last chunk arrived.
 * Message carriers, with every piece, like POST_MSG_ID.
 *
 * POST_PATHS is also a sendmsg() control message: __u32 path ids, 1 to
 * POST_MAX_MSG_PATHS of them, of the carrier's association.  The
 * message goes only on those paths, waiting (within its lifetime) while
 * none of them is up.  EINVAL for an id the association does not have.
 */
#define POST_PATH_ID		12
#define POST_MAX_MSG_PATHS	8

/*
 * setsockopt(SOL_POST, POST_ADVERTISE, &val, sizeof(int)): 1 to tell the
 * peers of the carriers a listener accepts its other addresses, as
 * MPTCP's ADD_ADDR does; 0 (the default) not to.  Set on a message
 * carrier before listen(), or on the listener; accepted carriers
 * inherit it.  The addresses are the global ones of the same family on
 * the namespace's interfaces that are up and not prohibited by the
 * policy, at most POST_MAX_ADVERTISED, sent only if the listener is
 * bound to the wildcard address (it accepts joins on all of them) and
 * the policy allows POST_PROP_MULTIPATH.  The peer makes each a path of
 * its association and joins it, if its own policy allows several paths.
 * EINVAL on a stream carrier, for a value other than 0 or 1 or a
 * shorter option; readable with getsockopt().
 */
#define POST_ADVERTISE		13
#define POST_MAX_ADVERTISED	4

/* Selection properties, the index into post_policy_opt.pref. */
enum post_prop {
	POST_PROP_RELIABILITY,
	POST_PROP_MSG_BOUNDARIES,
	POST_PROP_MULTISTREAMING,
	POST_PROP_MULTIPATH,
	POST_PROP_SECURITY,
	POST_PROP_RESUME,	/* go dormant and resume instead of failing */
	POST_PROP_MPTCP,	/* transparent multipath: an MPTCP transient */
	__POST_PROP_MAX
};

/* Most remote candidates (POST_A_REMOTE) one assoc-new may give. */
#define POST_MAX_CANDIDATES	8

/* Most interfaces one policy may prefer or prohibit. */
#define POST_POLICY_MAX_IFS	16

struct post_policy_opt {
	__u8	pref[8];	/* enum post_pref, by enum post_prop */
	__u32	linger_ms;	/* dormant this long at most; 0: the system's */
	__u32	n_prefer_if;	/* entries used in prefer_if */
	__u32	n_prohibit_if;	/* entries used in prohibit_if */
	__s32	prefer_if[POST_POLICY_MAX_IFS];	/* ifindex */
	__s32	prohibit_if[POST_POLICY_MAX_IFS];
};

/* ---- generic netlink family "post" (Documentation/netlink/specs/post.yaml) */

#define POST_FAMILY_NAME	"post"
#define POST_FAMILY_VERSION	1
#define POST_MCGRP_MONITOR	"monitor"

/* Selection property preferences (TAPS), in policies. */
enum post_pref {
	POST_PREF_NONE = 0,	/* no preference (default) */
	POST_PREF_REQUIRE = 1,
	POST_PREF_PREFER = 2,
	POST_PREF_AVOID = 3,
	POST_PREF_PROHIBIT = 4,
	__POST_PREF_MAX,
	POST_PREF_MAX = __POST_PREF_MAX - 1
};

/* Why a monitor event happened (POST_A_REASON). */
enum post_reason {
	POST_REASON_UNSPEC = 0,
	POST_REASON_ADMIN = 1,		/* postctl / netlink request */
	POST_REASON_CONNECT = 2,	/* a carrier connected */
	POST_REASON_ACCEPT = 3,		/* a carrier was accepted */
	POST_REASON_CLOSE = 4,		/* the application closed it */
	POST_REASON_LAST_CARRIER = 5,	/* its last carrier went away */
	POST_REASON_TRANSPORT = 6,	/* the transport failed or was reset */
	POST_REASON_LINGER = 7,		/* dormant past its linger time */
	POST_REASON_NETNS = 8,		/* the network namespace is going away */
	POST_REASON_MEASURED = 9,	/* measured properties moved past a threshold */
};

/* An address: POST_A_LOCAL, POST_A_REMOTE and the paths' ends. */
enum {
	POST_ADDR_A_UNSPEC,
	POST_ADDR_A_FAMILY,	/* u16: AF_INET or AF_INET6 */
	POST_ADDR_A_ADDR4,	/* u32, network order */
	POST_ADDR_A_ADDR6,	/* binary, 16 bytes */
	POST_ADDR_A_PORT,	/* u16, host order; 0 for any */
	POST_ADDR_A_IFINDEX,	/* s32: an interface instead of (or with) an address */

	__POST_ADDR_A_MAX,
	POST_ADDR_A_MAX = __POST_ADDR_A_MAX - 1
};

/* A path of an association (POST_A_PATH). */
enum {
	POST_PATH_A_UNSPEC,
	POST_PATH_A_ID,		/* u32, unique within the association */
	POST_PATH_A_LOCAL,	/* nest, POST_ADDR_A_* */
	POST_PATH_A_REMOTE,	/* nest, POST_ADDR_A_* */
	POST_PATH_A_BACKUP,	/* u8, 0 or 1 */
	POST_PATH_A_ADMIN_UP,	/* u8, 0 or 1 */
	POST_PATH_A_STATE,	/* u8: 1 up, 0 down */
	POST_PATH_A_RTT_US,	/* u32: smoothed RTT */
	POST_PATH_A_RTTVAR_US,	/* u32 */
	POST_PATH_A_DELIVERY_RATE, /* u64: bytes per second */
	POST_PATH_A_RETRANS,	/* u32: total retransmitted segments */
	POST_PATH_A_MTU,	/* u32: path MTU */
	POST_PATH_A_PAD,

	__POST_PATH_A_MAX,
	POST_PATH_A_MAX = __POST_PATH_A_MAX - 1
};

/* A policy: the namespace's system policy, or a carrier's. */
enum {
	POST_POLICY_A_UNSPEC,
	POST_POLICY_A_RELIABILITY,	/* u8, enum post_pref */
	POST_POLICY_A_MSG_BOUNDARIES,	/* u8, enum post_pref */
	POST_POLICY_A_MULTISTREAMING,	/* u8, enum post_pref */
	POST_POLICY_A_MULTIPATH,	/* u8, enum post_pref */
	POST_POLICY_A_SECURITY,		/* u8, enum post_pref */
	POST_POLICY_A_PREFER_IF,	/* s32 ifindex, repeated */
	POST_POLICY_A_PROHIBIT_IF,	/* s32 ifindex, repeated */
	POST_POLICY_A_LINGER_MS,	/* u32: how long a dormant association stays */
	POST_POLICY_A_REUSE,		/* u8: carriers to one peer share an association */
	POST_POLICY_A_RESUME,		/* u8, enum post_pref: dormant carriers resume */
	POST_POLICY_A_MPTCP,		/* u8, enum post_pref: MPTCP transients */

	__POST_POLICY_A_MAX,
	POST_POLICY_A_MAX = __POST_POLICY_A_MAX - 1
};

/* Longest linger time of an association, in ms: one day. */
#define POST_MAX_LINGER_MS	86400000

/* Association counters (POST_A_STATS). */
enum {
	POST_STATS_A_UNSPEC,
	POST_STATS_A_PAD,
	POST_STATS_A_MSGS_SENT,		/* u64 */
	POST_STATS_A_MSGS_RECV,		/* u64 */
	POST_STATS_A_BYTES_SENT,	/* u64 */
	POST_STATS_A_BYTES_RECV,	/* u64 */
	POST_STATS_A_CARRIERS_TOTAL,	/* u64: carriers it has had */
	POST_STATS_A_RESUMES,		/* u64: dormant to active */

	__POST_STATS_A_MAX,
	POST_STATS_A_MAX = __POST_STATS_A_MAX - 1
};

/* A transient of a carrier (POST_CARRIER_A_TRANSIENT). */
enum {
	POST_TRANSIENT_A_UNSPEC,
	POST_TRANSIENT_A_PROTO,		/* u8: IPPROTO_TCP, ... */
	POST_TRANSIENT_A_STATE,		/* u8: TCP_* state of the socket */
	POST_TRANSIENT_A_LOCAL,		/* nest, POST_ADDR_A_* */
	POST_TRANSIENT_A_REMOTE,	/* nest, POST_ADDR_A_* */
	POST_TRANSIENT_A_PATH_ID,	/* u32 */
	POST_TRANSIENT_A_RTT_US,	/* u32 */
	POST_TRANSIENT_A_NOTSENT,	/* u32: bytes queued, not yet sent */
	/*
	 * An MPTCP transient (IPPROTO_MPTCP, 262, does not fit
	 * POST_TRANSIENT_A_PROTO, which stays IPPROTO_TCP): the subflows it
	 * has, as MPTCP_INFO's mptcpi_subflows_total, and its
	 * MPTCP_INFO_FLAG_* flags (fallback to TCP, remote key received).
	 */
	POST_TRANSIENT_A_MPTCP_SUBFLOWS,	/* u8 */
	POST_TRANSIENT_A_MPTCP_FLAGS,		/* u32 */

	__POST_TRANSIENT_A_MAX,
	POST_TRANSIENT_A_MAX = __POST_TRANSIENT_A_MAX - 1
};

/* A carrier (POST_A_CARRIER), for debugging in the manner of ss. */
enum {
	POST_CARRIER_A_UNSPEC,
	POST_CARRIER_A_ID,		/* u32 */
	POST_CARRIER_A_TYPE,		/* u16: SOCK_SEQPACKET or SOCK_STREAM */
	POST_CARRIER_A_STATE,		/* u8: TCP_* state */
	POST_CARRIER_A_INODE,		/* u64: the socket's inode, 0 once closed */
	POST_CARRIER_A_QUEUED,		/* u32: bytes queued to send */
	POST_CARRIER_A_RCVQ,		/* u32: bytes received, not read */
	POST_CARRIER_A_TRANSIENT,	/* nest, POST_TRANSIENT_A_*, repeated */
	POST_CARRIER_A_PAD,

	__POST_CARRIER_A_MAX,
	POST_CARRIER_A_MAX = __POST_CARRIER_A_MAX - 1
};

/* Top level attributes of every command. */
enum {
	POST_A_UNSPEC,
	POST_A_ASSOC_ID,	/* u32 */
	POST_A_ASSOC_STATE,	/* u8, enum post_assoc_state */
	POST_A_LOCAL,		/* nest, POST_ADDR_A_* */
	POST_A_REMOTE,		/* nest, POST_ADDR_A_*; repeated: candidates */
	POST_A_N_CARRIERS,	/* u32 */
	POST_A_LINGER_MS,	/* u32 */
	POST_A_STATS,		/* nest, POST_STATS_A_* */
	POST_A_REASON,		/* u32, enum post_reason (events) */
	POST_A_PATH,		/* nest, POST_PATH_A_*; repeated in assoc replies */
	POST_A_POLICY,		/* nest, POST_POLICY_A_* */
	POST_A_CARRIER,		/* nest, POST_CARRIER_A_* */
	POST_A_PAD,

	__POST_A_MAX,
	POST_A_MAX = __POST_A_MAX - 1
};

enum {
	POST_CMD_UNSPEC,
	POST_CMD_ASSOC_GET,	/* do (POST_A_ASSOC_ID) and dump */
	POST_CMD_ASSOC_NEW,	/* POST_A_REMOTE required, POST_A_LOCAL, POST_A_LINGER_MS */
	POST_CMD_ASSOC_DEL,	/* POST_A_ASSOC_ID */
	POST_CMD_PATH_GET,	/* dump, POST_A_ASSOC_ID to filter */
	POST_CMD_PATH_ADD,	/* POST_A_ASSOC_ID, POST_A_PATH (remote required) */
	POST_CMD_PATH_DEL,	/* POST_A_ASSOC_ID, POST_A_PATH (id) */
	POST_CMD_PATH_SET,	/* POST_A_ASSOC_ID, POST_A_PATH (id, backup, admin-up) */
	POST_CMD_POLICY_GET,	/* the namespace's system policy */
	POST_CMD_POLICY_SET,
	POST_CMD_CARRIER_GET,	/* dump, POST_A_ASSOC_ID to filter */

	/* notifications to the monitor group */
	POST_CMD_ASSOC_CREATED,
	POST_CMD_ASSOC_ACTIVE,
	POST_CMD_ASSOC_DORMANT,
	POST_CMD_ASSOC_CLOSED,
	POST_CMD_PATH_UP,
	POST_CMD_PATH_DOWN,
	POST_CMD_PATH_CHANGED,
	POST_CMD_CARRIER_CREATED,
	POST_CMD_CARRIER_CLOSED,
	POST_CMD_POLICY_CHANGED,

	__POST_CMD_MAX,
	POST_CMD_MAX = __POST_CMD_MAX - 1
};

#endif /* _UAPI_LINUX_POST_H */
