// SPDX-License-Identifier: GPL-2.0
/*
 * post-client ADDR PORT: send messages of several sizes over one AF_POST
 * message carrier, receive them back and check them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/post.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 0, 1024, 1 << 20, 16 << 20 };
	struct sockaddr_in a = { .sin_family = AF_INET };
	char *out = malloc(16 << 20), *in = malloc(16 << 20);
	const char *hello = "hello, post sockets";
	int c, bad = 0;

	if (argc != 3 || inet_pton(AF_INET, argv[1], &a.sin_addr) != 1) {
		fprintf(stderr, "usage: %s ADDR PORT\n", argv[0]);
		return 2;
	}
	a.sin_port = htons(atoi(argv[2]));
	/* the server may still be starting: retry a refused connect for 10 s */
	for (int tries = 0;; tries++) {
		c = socket(AF_POST, SOCK_SEQPACKET, 0);
		if (c >= 0 && !connect(c, (void *)&a, sizeof(a)))
			break;
		if (c < 0 || errno != ECONNREFUSED || tries == 100) {
			perror("post-client: connect");
			return 1;
		}
		close(c);
		usleep(100000);
	}
	for (size_t i = 0; i <= sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = i ? sizes[i - 1] : strlen(hello), got = 0;
		double t0 = now();

		if (i)
			for (size_t j = 0; j < n; j++)
				out[j] = (char)(j * 31 + i);
		else
			memcpy(out, hello, n);
		if (send(c, out, n, 0) != (ssize_t)n) {
			perror("send");
			return 1;
		}
		for (;;) {
			struct iovec v = { in + got, (16 << 20) - got };
			struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };
			ssize_t r = recvmsg(c, &m, 0);

			if (r < 0) {
				perror("recv");
				return 1;
			}
			got += r;
			if (m.msg_flags & MSG_EOR)
				break;
		}
		bad |= got != n || memcmp(out, in, n);
		printf("  message of %8zu bytes: echoed %8zu bytes in %7.2f ms  %s\n",
		       n, got, now() - t0, got == n && !memcmp(out, in, n) ? "ok" : "MISMATCH");
		if (!i)
			printf("  (\"%.*s\")\n", (int)got, in);
	}
	close(c);
	return bad;
}
