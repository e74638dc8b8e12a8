// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libcairn: client of the "cairn" generic netlink family (libnl-genl-3).
 *
 * Requests are synchronous: send, then receive until the kernel's ACK or
 * error.  Extended ACKs are enabled so that refusals carry the kernel's
 * message, which the CLI prints as is.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "libcairn.h"
#include "uapi/cairn_nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct cairn_nl {
	struct nl_sock *sk;
	int family;
	char error[256];
};

/* State of one request while its replies are received. */
struct cairn_req {
	struct cairn_nl *nl;
	int (*parse)(struct nlattr **attrs, void *arg);
	void *arg;
	int err;
	bool done;
};

static const char *cairn_extack_msg(struct nlmsghdr *nlh)
{
	struct nlmsgerr *e = nlmsg_data(nlh);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = sizeof(*e);
	int len;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	len = (int)nlmsg_datalen(nlh) - (int)off;
	if (len <= 0)
		return NULL;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)e + off), len, NULL) < 0)
		return NULL;
	if (!tb[NLMSGERR_ATTR_MSG])
		return NULL;

	return nla_get_string(tb[NLMSGERR_ATTR_MSG]);
}

static int cairn_err_cb(struct sockaddr_nl *nla, struct nlmsgerr *err,
			void *arg)
{
	struct cairn_req *req = arg;
	struct nlmsghdr *nlh = (struct nlmsghdr *)err - 1;
	const char *msg;

	(void)nla;
	req->err = err->error;
	req->done = true;
	msg = cairn_extack_msg(nlh);
	if (msg)
		snprintf(req->nl->error, sizeof(req->nl->error), "%s", msg);

	return NL_STOP;
}

static int cairn_ack_cb(struct nl_msg *msg, void *arg)
{
	struct cairn_req *req = arg;

	(void)msg;
	req->done = true;
	return NL_STOP;
}

/* What libcairn accepts from the kernel: strings are NUL-terminated. */
static struct nla_policy cairn_reply_policy[CAIRN_ATTR_MAX + 1] = {
	[CAIRN_ATTR_MODULE_VERSION] = { .type = NLA_STRING,
					.maxlen = CAIRN_NAME_MAX },
	[CAIRN_ATTR_GENL_VERSION] = { .type = NLA_U32 },
	[CAIRN_ATTR_TARGET_VERSION] = { .type = NLA_STRING,
					.maxlen = CAIRN_NAME_MAX },
	[CAIRN_ATTR_POOL_COUNT] = { .type = NLA_U32 },
};

static int cairn_valid_cb(struct nl_msg *msg, void *arg)
{
	struct cairn_req *req = arg;
	struct nlattr *attrs[CAIRN_ATTR_MAX + 1];
	int r;

	r = genlmsg_parse(nlmsg_hdr(msg), 0, attrs, CAIRN_ATTR_MAX,
			  cairn_reply_policy);
	if (r < 0) {
		req->err = -EPROTO;
		return NL_STOP;
	}
	if (req->parse) {
		r = req->parse(attrs, req->arg);
		if (r < 0) {
			req->err = r;
			return NL_STOP;
		}
	}

	return NL_OK;
}

/* libnl error codes are positive and its own; map the common ones. */
static int cairn_nlerr(int r)
{
	switch (-r) {
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_INVAL:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/* Send @msg (consumed) and collect replies through @parse. */
static int cairn_nl_request(struct cairn_nl *nl, struct nl_msg *msg,
			    int (*parse)(struct nlattr **, void *), void *arg)
{
	struct cairn_req req = { .nl = nl, .parse = parse, .arg = arg };
	struct nl_cb *cb;
	int r;

	nl->error[0] = '\0';
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, cairn_err_cb, &req);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, cairn_ack_cb, &req);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, cairn_ack_cb, &req);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, cairn_valid_cb, &req);

	r = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (r < 0) {
		nl_cb_put(cb);
		return cairn_nlerr(r);
	}

	while (!req.done && !req.err) {
		r = nl_recvmsgs(nl->sk, cb);
		if (r < 0 && !req.err) {
			req.err = cairn_nlerr(r);
			break;
		}
	}
	nl_cb_put(cb);

	return req.err;
}

static struct nl_msg *cairn_msg(struct cairn_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 flags | NLM_F_ACK, cmd, CAIRN_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}

	return msg;
}

int cairn_nl_open(struct cairn_nl **nlp)
{
	struct cairn_nl *nl;
	int one = 1;
	int r;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;

	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		r = -ENOMEM;
		goto out_free;
	}

	r = genl_connect(nl->sk);
	if (r < 0) {
		r = cairn_nlerr(r);
		goto out_sock;
	}
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));

	nl->family = genl_ctrl_resolve(nl->sk, CAIRN_GENL_NAME);
	if (nl->family < 0) {
		/* The module is not loaded: the family does not exist. */
		r = -ENOENT;
		goto out_sock;
	}

	*nlp = nl;
	return 0;

out_sock:
	nl_socket_free(nl->sk);
out_free:
	free(nl);
	return r;
}

void cairn_nl_close(struct cairn_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

const char *cairn_nl_error(const struct cairn_nl *nl)
{
	return nl ? nl->error : "";
}

static int cairn_parse_info(struct nlattr **attrs, void *arg)
{
	struct cairn_info *info = arg;

	if (!attrs[CAIRN_ATTR_MODULE_VERSION] ||
	    !attrs[CAIRN_ATTR_GENL_VERSION] ||
	    !attrs[CAIRN_ATTR_TARGET_VERSION] ||
	    !attrs[CAIRN_ATTR_POOL_COUNT])
		return -EPROTO;

	snprintf(info->module_version, sizeof(info->module_version), "%s",
		 nla_get_string(attrs[CAIRN_ATTR_MODULE_VERSION]));
	snprintf(info->target_version, sizeof(info->target_version), "%s",
		 nla_get_string(attrs[CAIRN_ATTR_TARGET_VERSION]));
	info->genl_version = nla_get_u32(attrs[CAIRN_ATTR_GENL_VERSION]);
	info->pool_count = nla_get_u32(attrs[CAIRN_ATTR_POOL_COUNT]);

	return 0;
}

int cairn_nl_get_info(struct cairn_nl *nl, struct cairn_info *info)
{
	struct nl_msg *msg;

	memset(info, 0, sizeof(*info));
	info->family_id = nl->family;
	msg = cairn_msg(nl, CAIRN_CMD_GET_INFO, 0);
	if (!msg)
		return -ENOMEM;

	return cairn_nl_request(nl, msg, cairn_parse_info, info);
}
