/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the AF_POST selftests (post_lib.c): a pair of network
 * namespaces joined by veth, sockets created in either of them, address
 * helpers for IPv4 and IPv6, message helpers and builders for the v1 wire
 * format of Documentation/networking/post.rst.
 *
 * Namespace "A" is the server side (192.0.2.1, 2001:db8::1 on veth "va"),
 * "B" the client side (192.0.2.2, 2001:db8::2 on "vb").  After
 * nspair_setup() the calling process lives in B; socket_in() creates a
 * socket in A or B and comes back to B.
 */
#ifndef POST_LIB_H
#define POST_LIB_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <linux/post.h>

#define ADDR_A	"192.0.2.1"
#define ADDR_B	"192.0.2.2"
#define ADDR6_A	"2001:db8::1"
#define ADDR6_B	"2001:db8::2"
#define DEV_A	"va"
#define DEV_B	"vb"

#ifndef POLLRDHUP
#define POLLRDHUP 0x2000
#endif

enum { NS_A, NS_B };

struct nspair {
	char name[2][32];	/* /run/netns names, unique per process */
	int fd[2];		/* open /run/netns/<name> */
};

/* Creates both namespaces and the veth pair; the caller ends up in B. */
int nspair_setup(struct nspair *p);
/* Deletes both names (idempotent); carriers in them may stay open. */
void nspair_teardown(struct nspair *p);
/* setns() into A or B. */
int ns_enter(struct nspair *p, int ns);
/* socket() in A or B; the caller is back in B afterwards. */
int socket_in(struct nspair *p, int ns, int domain, int type, int proto);

/* system() on a formatted command line; returns the exit status or -1. */
int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, with "ip netns exec <ns>" in front. */
int sh_in(struct nspair *p, int ns, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Starts argv[0] (searched in PATH) in namespace @ns with stdin from
 * @in_fd and stdout to @out_fd (-1: /dev/null) and stderr to @err_fd
 * (-1: inherited).  Returns the pid.
 */
pid_t spawn_in(struct nspair *p, int ns, char *const argv[], int in_fd,
	       int out_fd, int err_fd);
/* Reads @fd until a line containing @needle appears (or EOF/timeout). */
int wait_for_line(int fd, const char *needle, int timeout_ms);
/* waitpid() with a timeout; kills the child when it expires.  Returns
 * the exit status (0..255), 128+signal, or -1 on timeout.
 */
int wait_child(pid_t pid, int timeout_ms);

/* An inet address of either family, as AF_POST takes and returns them. */
struct addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
		struct sockaddr_storage ss;
	};
	socklen_t len;
};

/* The address of side @ns (NS_A/NS_B) in @family, with @port. */
struct addr addr_of(int family, int ns, int port);
struct addr addr_str(int family, const char *ip, int port);
int addr_port(const struct addr *a);
bool addr_same_ip(const struct addr *a, const struct addr *b);

/*
 * A listener (AF_POST or AF_INET[6]) in @ns, bound to that side's
 * address of @family on a kernel-chosen port; *@bound gets the address.
 * Returns the fd or -1.
 */
int listener_in(struct nspair *p, int ns, int domain, int type, int family,
		struct addr *bound);
/*
 * A connected pair of AF_POST carriers of @type: *@c in B (connected to
 * A), *@s accepted in A.  Returns 0 or -1.
 */
int carrier_pair(struct nspair *p, int type, int family, int *c, int *s);
/* Same, with SO_SNDBUF on *c and SO_RCVBUF on *s when non-zero. */
int carrier_pair_opts(struct nspair *p, int type, int family, int *c, int *s,
		      int sndbuf_c, int rcvbuf_s);

double now_s(void);
int set_nonblock(int fd, bool on);
int sock_error(int fd);
int set_timeo(int fd, int opt, double secs);

/* The pattern of message @seed: byte i. */
static inline uint8_t pat(unsigned int seed, size_t i)
{
	return (uint8_t)(seed * 131u + i * 7u + (i >> 9) + (i >> 17));
}
void fill(void *buf, size_t n, unsigned int seed);
/* Index of the first byte that differs from the pattern, or -1. */
ssize_t check(const void *buf, size_t n, unsigned int seed);

/*
 * Receives one whole message (until MSG_EOR) into @buf.  Returns its
 * length, -1 with errno on error, -2 on EOF before MSG_EOR (EOF at a
 * message boundary returns -3).  @cap must hold the whole message.
 */
#define RECV_EOF_IN_MSG	(-2)
#define RECV_EOF	(-3)
ssize_t recv_msg(int s, void *buf, size_t cap, int flags);
/* send()/recv() loops for stream carriers: returns bytes moved or -1. */
ssize_t send_all(int s, const void *buf, size_t n);
ssize_t recv_all(int s, void *buf, size_t n);	/* until n or EOF */

/* net.post.max_msg_size of the caller's namespace; -1 with errno. */
int write_max_msg_size(const char *val);
long long read_max_msg_size(void);

/* ---- wire format v1 ---- */
#define POST_MAGIC		0x504f5354u
#define FT_HELLO		1
#define FT_DATA			2
#define FT_ABORT		3
#define DF_FIRST		0x01
#define DF_LAST			0x02
#define HELLO_LEN		32
#define DATA_HDR_LEN		16
#define MAX_ANTECEDENTS		64
#define MAX_CHUNK		65536
#define MAX_DATA_BODY		(16 + 4 + 8 * 64 + 65536)

size_t frame_hdr(uint8_t *b, uint8_t type, uint8_t flags, uint32_t len);
/* A HELLO with a body of @body_len (>= 32) bytes. */
size_t frame_hello_ex(uint8_t *b, uint32_t magic, uint8_t ver, uint8_t minver,
		      uint32_t max_msg, uint32_t body_len);
size_t frame_hello(uint8_t *b, uint32_t max_msg);
/* A DATA frame; the FIRST part (with @n_ante antecedents) iff flags&FIRST. */
size_t frame_data_ex(uint8_t *b, uint8_t flags, uint64_t id, uint32_t msg_len,
		     uint32_t off, const uint64_t *ante, uint16_t n_ante,
		     const void *payload, uint32_t plen);
size_t frame_data(uint8_t *b, uint8_t flags, uint64_t id, uint32_t msg_len,
		  uint32_t off, const void *payload, uint32_t plen);
size_t frame_abort(uint8_t *b, uint64_t id, uint32_t reason);

static inline uint32_t get_be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline uint64_t get_be64(const uint8_t *b)
{
	return (uint64_t)get_be32(b) << 32 | get_be32(b + 4);
}

/* Reads exactly @n bytes from a plain TCP socket (MSG_WAITALL loop). */
ssize_t read_exact(int fd, void *buf, size_t n);

#endif
