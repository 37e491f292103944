// SPDX-License-Identifier: GPL-2.0
/* post-echo-server ADDR PORT: echo every message of every AF_POST message carrier. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/post.h>

static void *serve(void *arg)
{
	int s = (int)(long)arg;
	size_t cap = 64 << 20;
	char *buf = malloc(cap);
	ssize_t n;

	for (;;) {
		struct iovec v = { buf, cap };
		struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };

		n = recvmsg(s, &m, 0);
		if (n < 0 || (n == 0 && !(m.msg_flags & MSG_EOR)))
			break;
		if (send(s, buf, n, MSG_NOSIGNAL) != n)
			break;
	}
	free(buf);
	close(s);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int l, one = 1;

	if (argc != 3 || inet_pton(AF_INET, argv[1], &a.sin_addr) != 1) {
		fprintf(stderr, "usage: %s ADDR PORT\n", argv[0]);
		return 2;
	}
	a.sin_port = htons(atoi(argv[2]));
	l = socket(AF_POST, SOCK_SEQPACKET, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (void *)&a, sizeof(a)) || listen(l, 16)) {
		perror("post-echo-server");
		return 1;
	}
	printf("listening on %s:%s\n", argv[1], argv[2]);
	fflush(stdout);
	for (;;) {
		pthread_t th;
		int s = accept(l, NULL, NULL);

		if (s < 0) {
			perror("accept");
			return 1;
		}
		pthread_create(&th, NULL, serve, (void *)(long)s);
		pthread_detach(th);
	}
}
