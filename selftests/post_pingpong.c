// SPDX-License-Identifier: GPL-2.0
/*
 * One message each way between two AF_POST carriers on loopback, then
 * close: what module_test.sh runs between loading and unloading.  The
 * first message has an hour to live: a closed carrier must not wait for
 * that deadline before it goes, and the module with it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/post.h>

/* @n bytes of @msg on @fd, with POST_LIFETIME @ms */
static ssize_t send_lifetime(int fd, const void *msg, size_t n, __u32 ms)
{
	union {
		char buf[CMSG_SPACE(sizeof(__u32))];
		struct cmsghdr align;
	} cb = {};
	struct iovec v = { (void *)msg, n };
	struct msghdr m = {
		.msg_iov = &v, .msg_iovlen = 1,
		.msg_control = cb.buf, .msg_controllen = sizeof(cb.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = SOL_POST;
	c->cmsg_type = POST_LIFETIME;
	c->cmsg_len = CMSG_LEN(sizeof(ms));
	memcpy(CMSG_DATA(c), &ms, sizeof(ms));
	return sendmsg(fd, &m, 0);
}

int main(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	char buf[2000], msg[1000];
	int l, c, s;

	memset(msg, 'x', sizeof(msg));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_POST, SOCK_SEQPACKET, 0);
	c = socket(AF_POST, SOCK_SEQPACKET, 0);
	if (l < 0 || c < 0 || bind(l, (void *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (void *)&a, &len) || connect(c, (void *)&a, sizeof(a))) {
		perror("post_pingpong: set-up");
		return 1;
	}
	s = accept(l, NULL, NULL);
	if (s < 0 || send_lifetime(c, msg, sizeof(msg), 3600 * 1000) != sizeof(msg) ||
	    recv(s, buf, sizeof(buf), 0) != sizeof(msg) ||
	    memcmp(buf, msg, sizeof(msg)) || send(s, "y", 1, 0) != 1 ||
	    recv(c, buf, sizeof(buf), 0) != 1) {
		perror("post_pingpong: exchange");
		return 1;
	}
	close(c);
	close(s);
	close(l);
	return 0;
}
