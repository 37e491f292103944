// SPDX-License-Identifier: GPL-2.0
/*
 * AF_POST: Post Sockets message carriers.
 *
 * The address family, socket creation, per-namespace settings and
 * module initialisation.
 */

#define pr_fmt(fmt) "post: " fmt

#include <linux/module.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/sysctl.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>

#include "protocol.h"

/* Work items of every carrier and transient. */
struct workqueue_struct *post_wq;

static unsigned int post_net_id __read_mostly;

static struct proto post_proto = {
	.name		= "POST",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct post_sock),
	.release_cb	= post_release_cb,
};

struct post_net *post_net(const struct net *net)
{
	return net_generic(net, post_net_id);
}

u32 post_net_max_msg(const struct net *net)
{
	return READ_ONCE(post_net(net)->max_msg_size);
}

u32 post_net_autocork_us(const struct net *net)
{
	return READ_ONCE(post_net(net)->autocork_us);
}

struct sock *post_sk_alloc(struct net *net, struct socket *sock, int type,
			   int kern)
{
	struct sock *sk;

	sk = sk_alloc(net, PF_POST, GFP_KERNEL, &post_proto, kern);
	if (!sk)
		return NULL;

	sock->ops = type == SOCK_SEQPACKET ? &post_msg_ops : &post_stream_ops;
	sock_init_data(sock, sk);
	/* SOL_SOCKET options are mirrored onto the transients */
	set_bit(SOCK_CUSTOM_SOCKOPT, &sock->flags);
	post_sock_init(sk);
	if (post_carrier_register(sk)) {
		sock->sk = NULL;
		sock_orphan(sk);
		sock_put(sk);
		return NULL;
	}
	return sk;
}

/**
 * post_child_alloc - a carrier for a connection a listener accepted
 * @parent: the listener
 *
 * It has no socket until accept() grafts it onto one, and no id until
 * it is known to be a new carrier rather than one resuming.
 *
 * Return: the carrier, or NULL without memory.
 */
struct sock *post_child_alloc(struct sock *parent)
{
	struct sock *sk;

	sk = sk_alloc(sock_net(parent), PF_POST, GFP_KERNEL, &post_proto, 0);
	if (!sk)
		return NULL;
	sock_init_data(NULL, sk);
	sk->sk_type = parent->sk_type;
	post_sock_init(sk);
	return sk;
}

static int post_create(struct net *net, struct socket *sock, int protocol,
		       int kern)
{
	struct sock *sk;

	if (sock->type != SOCK_SEQPACKET && sock->type != SOCK_STREAM)
		return -ESOCKTNOSUPPORT;
	if (protocol != 0 && protocol != IPPROTO_TCP &&
	    protocol != IPPROTO_MPTCP)
		return -EPROTONOSUPPORT;

	sock->state = SS_UNCONNECTED;
	sk = post_sk_alloc(net, sock, sock->type, kern);
	if (!sk)
		return -ENOMEM;
	/* the transport asked for (post_xprt_create()), 0 for the policy's */
	sk->sk_protocol = protocol;
	return 0;
}

static const struct net_proto_family post_family_ops = {
	.family	= PF_POST,
	.create	= post_create,
	.owner	= THIS_MODULE,
};

static const unsigned int post_msg_size_min = POST_MIN_MSG_SIZE;
static const unsigned int post_msg_size_max = POST_MAX_MSG_SIZE_LIMIT;
static const unsigned int post_autocork_max = POST_AUTOCORK_US_MAX;

static struct ctl_table post_sysctl_table[] = {
	{
		.procname	= "max_msg_size",
		/* .data points into each namespace's struct post_net */
		.maxlen		= sizeof(unsigned int),
		.mode		= 0644,
		.proc_handler	= proc_douintvec_minmax,
		.extra1		= (void *)&post_msg_size_min,
		.extra2		= (void *)&post_msg_size_max,
	},
	{
		.procname	= "autocork_us",
		.maxlen		= sizeof(unsigned int),
		.mode		= 0644,
		.proc_handler	= proc_douintvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= (void *)&post_autocork_max,
	},
};

static int __net_init post_net_init(struct net *net)
{
	struct post_net *pn = net_generic(net, post_net_id);
	struct ctl_table *table;
	int err = -ENOMEM;

	pn->max_msg_size = POST_DEFAULT_MAX_MSG_SIZE;
	pn->autocork_us = POST_AUTOCORK_US;
	pn->net = net;
	post_assoc_net_init(pn);

	table = kmemdup(post_sysctl_table, sizeof(post_sysctl_table),
			GFP_KERNEL);
	if (!table)
		goto err;
	table[0].data = &pn->max_msg_size;
	table[1].data = &pn->autocork_us;

	pn->sysctl_hdr = register_net_sysctl_sz(net, "net/post", table,
						ARRAY_SIZE(post_sysctl_table));
	if (!pn->sysctl_hdr)
		goto err_free;
	return 0;

err_free:
	kfree(table);
err:
	return err;
}

static void __net_exit post_net_exit(struct net *net)
{
	struct post_net *pn = net_generic(net, post_net_id);
	const struct ctl_table *table = pn->sysctl_hdr->ctl_table_arg;

	post_assoc_net_exit(pn);
	unregister_net_sysctl_table(pn->sysctl_hdr);
	kfree(table);
}

static struct pernet_operations post_net_ops = {
	.init	= post_net_init,
	.exit	= post_net_exit,
	.id	= &post_net_id,
	.size	= sizeof(struct post_net),
};

static int __init post_init(void)
{
	int err;

	post_wq = alloc_workqueue("post", 0, 0);
	if (!post_wq)
		return -ENOMEM;

	err = proto_register(&post_proto, 1);
	if (err)
		goto err_wq;

	err = register_pernet_subsys(&post_net_ops);
	if (err)
		goto err_proto;

	err = post_nl_init();
	if (err)
		goto err_pernet;

	err = sock_register(&post_family_ops);
	if (err) {
		pr_err("address family %d is taken (%d)\n", PF_POST, err);
		goto err_nl;
	}
	return 0;

err_nl:
	post_nl_exit();
err_pernet:
	unregister_pernet_subsys(&post_net_ops);
err_proto:
	proto_unregister(&post_proto);
err_wq:
	destroy_workqueue(post_wq);
	return err;
}

static void __exit post_exit(void)
{
	sock_unregister(PF_POST);
	post_nl_exit();
	unregister_pernet_subsys(&post_net_ops);
	/* Sockets pin the module, so only their last work items remain. */
	destroy_workqueue(post_wq);
	proto_unregister(&post_proto);
}

module_init(post_init);
module_exit(post_exit);

MODULE_DESCRIPTION("AF_POST: Post Sockets message carriers");
MODULE_LICENSE("GPL");
MODULE_ALIAS_NETPROTO(PF_POST);
MODULE_ALIAS_GENL_FAMILY(POST_FAMILY_NAME);
