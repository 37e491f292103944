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

#endif /* _UAPI_LINUX_POST_H */
