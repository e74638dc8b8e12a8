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
#include <time.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "libcairn.h"
#include "uapi/cairn_nl.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

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
	[CAIRN_ATTR_POOL_NAME] = { .type = NLA_STRING, .maxlen = CAIRN_NAME_MAX },
	[CAIRN_ATTR_POOL_UUID] = { .minlen = 16, .maxlen = 16 },
	[CAIRN_ATTR_CHUNK_SIZE] = { .type = NLA_U32 },
	[CAIRN_ATTR_THRESHOLD] = { .type = NLA_U32 },
	[CAIRN_ATTR_NOSPACE_POLICY] = { .type = NLA_U32 },
	[CAIRN_ATTR_NOSPACE_TIMEOUT] = { .type = NLA_U32 },
	[CAIRN_ATTR_CAPACITY] = { .type = NLA_U64 },
	[CAIRN_ATTR_ALLOCATED] = { .type = NLA_U64 },
	[CAIRN_ATTR_FREE] = { .type = NLA_U64 },
	[CAIRN_ATTR_MODE] = { .type = NLA_U32 },
	[CAIRN_ATTR_VOLUME_COUNT] = { .type = NLA_U32 },
	[CAIRN_ATTR_MEMBERS] = { .type = NLA_NESTED },
	[CAIRN_ATTR_EVENT] = { .type = NLA_U32 },
	[CAIRN_ATTR_EVENT_VALUE] = { .type = NLA_U64 },
	[CAIRN_ATTR_VOLUME_NAME] = { .type = NLA_STRING, .maxlen = CAIRN_NAME_MAX },
	[CAIRN_ATTR_VOLUME_UUID] = { .minlen = 16, .maxlen = 16 },
	[CAIRN_ATTR_SIZE] = { .type = NLA_U64 },
	[CAIRN_ATTR_MAPPED] = { .type = NLA_U64 },
	[CAIRN_ATTR_COUNTERS] = { .type = NLA_NESTED },
	[CAIRN_ATTR_MIRROR] = { .type = NLA_NESTED },
	[CAIRN_ATTR_CACHE_BUDGET] = { .type = NLA_U64 },
	[CAIRN_ATTR_CACHE] = { .type = NLA_NESTED },
};

static struct nla_policy cairn_cache_policy[CAIRN_CACHE_MAX + 1] = {
	[CAIRN_CACHE_MODE] = { .type = NLA_U32 },
	[CAIRN_CACHE_FLUSH] = { .type = NLA_U32 },
	[CAIRN_CACHE_WRITE_BACK] = { .type = NLA_U32 },
	[CAIRN_CACHE_SEQ_CUTOFF] = { .type = NLA_U32 },
	[CAIRN_CACHE_BLOCKS] = { .type = NLA_U64 },
	[CAIRN_CACHE_DIRTY] = { .type = NLA_U64 },
	[CAIRN_CACHE_READ_HITS] = { .type = NLA_U64 },
	[CAIRN_CACHE_READ_MISSES] = { .type = NLA_U64 },
	[CAIRN_CACHE_WRITE_HITS] = { .type = NLA_U64 },
	[CAIRN_CACHE_BYPASSED] = { .type = NLA_U64 },
	[CAIRN_CACHE_DESTAGE_WRITES] = { .type = NLA_U64 },
	[CAIRN_CACHE_DESTAGED] = { .type = NLA_U64 },
	[CAIRN_CACHE_EVICTIONS] = { .type = NLA_U64 },
	[CAIRN_CACHE_VOLUMES] = { .type = NLA_U32 },
	[CAIRN_CACHE_PEAK] = { .type = NLA_U64 },
};

static struct nla_policy cairn_mirror_policy[CAIRN_MIRROR_MAX + 1] = {
	[CAIRN_MIRROR_ROLE] = { .type = NLA_U32 },
	[CAIRN_MIRROR_PEER] = { .type = NLA_STRING, .maxlen = CAIRN_NAME_MAX },
	[CAIRN_MIRROR_LINK] = { .type = NLA_U32 },
	[CAIRN_MIRROR_DISK] = { .type = NLA_U32 },
	[CAIRN_MIRROR_PEER_ROLE] = { .type = NLA_U32 },
	[CAIRN_MIRROR_PEER_DISK] = { .type = NLA_U32 },
	[CAIRN_MIRROR_OOS] = { .type = NLA_U64 },
	[CAIRN_MIRROR_GRAIN] = { .type = NLA_U32 },
	[CAIRN_MIRROR_SENT] = { .type = NLA_U64 },
	[CAIRN_MIRROR_RESYNCED] = { .type = NLA_U64 },
	[CAIRN_MIRROR_LEASE] = { .type = NLA_U32 },
	[CAIRN_MIRROR_ALONE] = { .type = NLA_U32 },
	[CAIRN_MIRROR_HELD] = { .type = NLA_U32 },
	[CAIRN_MIRROR_ACTIVITY] = { .type = NLA_U64 },
	[CAIRN_MIRROR_CONNECT_SEQ] = { .type = NLA_U32 },
	[CAIRN_MIRROR_CONNECT_DONE] = { .type = NLA_U32 },
	[CAIRN_MIRROR_CONNECT_ERR] = { .type = NLA_U32 },
	[CAIRN_MIRROR_CONNECT_WHY] = { .type = NLA_STRING, .maxlen = 200 },
	[CAIRN_MIRROR_TX_BATCHES] = { .type = NLA_U64 },
	[CAIRN_MIRROR_TX_MESSAGES] = { .type = NLA_U64 },
	[CAIRN_MIRROR_TX_RIDES] = { .type = NLA_U64 },
	[CAIRN_MIRROR_TX_COPIED] = { .type = NLA_U64 },
};

static struct nla_policy cairn_member_policy[CAIRN_MEMBER_MAX + 1] = {
	[CAIRN_MEMBER_INDEX] = { .type = NLA_U32 },
	[CAIRN_MEMBER_DEVICE] = { .type = NLA_STRING, .maxlen = CAIRN_PATH_MAX },
	[CAIRN_MEMBER_UUID] = { .minlen = 16, .maxlen = 16 },
	[CAIRN_MEMBER_SIZE] = { .type = NLA_U64 },
	[CAIRN_MEMBER_CHUNKS] = { .type = NLA_U64 },
	[CAIRN_MEMBER_USED] = { .type = NLA_U64 },
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

static struct nl_msg *cairn_msg(struct cairn_nl *nl, uint8_t cmd, int flags);

static uint64_t get_u64(struct nlattr *a)
{
	return a ? nla_get_u64(a) : 0;
}

static uint32_t get_u32(struct nlattr *a)
{
	return a ? nla_get_u32(a) : 0;
}

static int cairn_parse_pool(struct nlattr **attrs, void *arg)
{
	struct cairn_pool_desc *d = arg;
	struct nlattr *m;
	int rem;

	if (!attrs[CAIRN_ATTR_POOL_NAME] || !attrs[CAIRN_ATTR_CHUNK_SIZE])
		return -EPROTO;
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s",
		 nla_get_string(attrs[CAIRN_ATTR_POOL_NAME]));
	if (attrs[CAIRN_ATTR_POOL_UUID])
		memcpy(d->uuid, nla_data(attrs[CAIRN_ATTR_POOL_UUID]), 16);
	d->chunk_size = get_u32(attrs[CAIRN_ATTR_CHUNK_SIZE]);
	d->capacity = get_u64(attrs[CAIRN_ATTR_CAPACITY]);
	d->allocated = get_u64(attrs[CAIRN_ATTR_ALLOCATED]);
	d->free = get_u64(attrs[CAIRN_ATTR_FREE]);
	d->mode = get_u32(attrs[CAIRN_ATTR_MODE]);
	d->threshold = get_u32(attrs[CAIRN_ATTR_THRESHOLD]);
	d->nospace_policy = get_u32(attrs[CAIRN_ATTR_NOSPACE_POLICY]);
	d->nospace_timeout = get_u32(attrs[CAIRN_ATTR_NOSPACE_TIMEOUT]);
	d->volume_count = get_u32(attrs[CAIRN_ATTR_VOLUME_COUNT]);
	if (attrs[CAIRN_ATTR_COUNTERS]) {
		nla_for_each_nested(m, attrs[CAIRN_ATTR_COUNTERS], rem)
			if (nla_type(m) < 16 && nla_len(m) == 8)
				d->counters[nla_type(m)] = nla_get_u64(m);
	}
	if (!attrs[CAIRN_ATTR_MEMBERS])
		return 0;
	nla_for_each_nested(m, attrs[CAIRN_ATTR_MEMBERS], rem) {
		struct nlattr *tb[CAIRN_MEMBER_MAX + 1];
		struct cairn_member_desc *md;

		if (d->nr_members == CAIRN_MAX_DEVICES ||
		    nla_parse_nested(tb, CAIRN_MEMBER_MAX, m, cairn_member_policy) < 0)
			return -EPROTO;
		md = &d->members[d->nr_members++];
		md->index = get_u32(tb[CAIRN_MEMBER_INDEX]);
		if (tb[CAIRN_MEMBER_DEVICE])
			snprintf(md->device, sizeof(md->device), "%s",
				 nla_get_string(tb[CAIRN_MEMBER_DEVICE]));
		if (tb[CAIRN_MEMBER_UUID])
			memcpy(md->uuid, nla_data(tb[CAIRN_MEMBER_UUID]), 16);
		md->size = get_u64(tb[CAIRN_MEMBER_SIZE]);
		md->chunks = get_u64(tb[CAIRN_MEMBER_CHUNKS]);
		md->used = get_u64(tb[CAIRN_MEMBER_USED]);
	}
	return 0;
}

static int cairn_parse_mirror(struct nlattr *nest, struct cairn_mirror_desc *m)
{
	struct nlattr *tb[CAIRN_MIRROR_MAX + 1];

	if (!nest)
		return 0;
	if (nla_parse_nested(tb, CAIRN_MIRROR_MAX, nest, cairn_mirror_policy) < 0)
		return -EPROTO;
	m->mirrored = true;
	m->role = get_u32(tb[CAIRN_MIRROR_ROLE]);
	if (tb[CAIRN_MIRROR_PEER])
		snprintf(m->peer, sizeof(m->peer), "%s",
			 nla_get_string(tb[CAIRN_MIRROR_PEER]));
	m->link = get_u32(tb[CAIRN_MIRROR_LINK]);
	m->disk = get_u32(tb[CAIRN_MIRROR_DISK]);
	m->peer_role = get_u32(tb[CAIRN_MIRROR_PEER_ROLE]);
	m->peer_disk = get_u32(tb[CAIRN_MIRROR_PEER_DISK]);
	m->grain = get_u32(tb[CAIRN_MIRROR_GRAIN]);
	m->oos = get_u64(tb[CAIRN_MIRROR_OOS]);
	m->sent = get_u64(tb[CAIRN_MIRROR_SENT]);
	m->resynced = get_u64(tb[CAIRN_MIRROR_RESYNCED]);
	m->lease = get_u32(tb[CAIRN_MIRROR_LEASE]);
	m->alone = get_u32(tb[CAIRN_MIRROR_ALONE]);
	m->held = get_u32(tb[CAIRN_MIRROR_HELD]);
	m->activity = get_u64(tb[CAIRN_MIRROR_ACTIVITY]);
	m->connect_seq = get_u32(tb[CAIRN_MIRROR_CONNECT_SEQ]);
	m->connect_done = get_u32(tb[CAIRN_MIRROR_CONNECT_DONE]);
	m->connect_err = get_u32(tb[CAIRN_MIRROR_CONNECT_ERR]);
	m->connect_why[0] = '\0';
	if (tb[CAIRN_MIRROR_CONNECT_WHY])
		snprintf(m->connect_why, sizeof(m->connect_why), "%s",
			 nla_get_string(tb[CAIRN_MIRROR_CONNECT_WHY]));
	m->tx_batches = get_u64(tb[CAIRN_MIRROR_TX_BATCHES]);
	m->tx_msgs = get_u64(tb[CAIRN_MIRROR_TX_MESSAGES]);
	m->tx_rides = get_u64(tb[CAIRN_MIRROR_TX_RIDES]);
	m->tx_copied = get_u64(tb[CAIRN_MIRROR_TX_COPIED]);
	return 0;
}

/* A CAIRN_ATTR_CACHE nest: a volume's cache, or the node's sums. */
static int cairn_parse_cache(struct nlattr *nest, struct cairn_cache_desc *d)
{
	struct nlattr *tb[CAIRN_CACHE_MAX + 1];

	if (!nest)
		return 0;
	if (nla_parse_nested(tb, CAIRN_CACHE_MAX, nest, cairn_cache_policy) < 0)
		return -EPROTO;
	d->present = true;
	d->mode = get_u32(tb[CAIRN_CACHE_MODE]);
	d->flush = get_u32(tb[CAIRN_CACHE_FLUSH]);
	d->write_back = get_u32(tb[CAIRN_CACHE_WRITE_BACK]);
	d->seq_cutoff = get_u32(tb[CAIRN_CACHE_SEQ_CUTOFF]);
	d->volumes = get_u32(tb[CAIRN_CACHE_VOLUMES]);
	d->blocks = get_u64(tb[CAIRN_CACHE_BLOCKS]);
	d->dirty = get_u64(tb[CAIRN_CACHE_DIRTY]);
	d->read_hits = get_u64(tb[CAIRN_CACHE_READ_HITS]);
	d->read_misses = get_u64(tb[CAIRN_CACHE_READ_MISSES]);
	d->write_hits = get_u64(tb[CAIRN_CACHE_WRITE_HITS]);
	d->bypassed = get_u64(tb[CAIRN_CACHE_BYPASSED]);
	d->destage_writes = get_u64(tb[CAIRN_CACHE_DESTAGE_WRITES]);
	d->destaged = get_u64(tb[CAIRN_CACHE_DESTAGED]);
	d->evictions = get_u64(tb[CAIRN_CACHE_EVICTIONS]);
	d->peak = get_u64(tb[CAIRN_CACHE_PEAK]);
	return 0;
}

static int cairn_parse_volume(struct nlattr **attrs, void *arg)
{
	struct cairn_volume_desc *v = arg;

	if (!attrs[CAIRN_ATTR_POOL_NAME] || !attrs[CAIRN_ATTR_VOLUME_NAME])
		return -EPROTO;
	memset(v, 0, sizeof(*v));
	snprintf(v->pool, sizeof(v->pool), "%s",
		 nla_get_string(attrs[CAIRN_ATTR_POOL_NAME]));
	snprintf(v->name, sizeof(v->name), "%s",
		 nla_get_string(attrs[CAIRN_ATTR_VOLUME_NAME]));
	if (attrs[CAIRN_ATTR_VOLUME_UUID])
		memcpy(v->uuid, nla_data(attrs[CAIRN_ATTR_VOLUME_UUID]), 16);
	v->size = get_u64(attrs[CAIRN_ATTR_SIZE]);
	v->mapped = get_u64(attrs[CAIRN_ATTR_MAPPED]);
	if (cairn_parse_cache(attrs[CAIRN_ATTR_CACHE], &v->cache))
		return -EPROTO;
	return cairn_parse_mirror(attrs[CAIRN_ATTR_MIRROR], &v->mirror);
}

static int cairn_volume_req(struct cairn_nl *nl, uint8_t cmd, const char *pool,
			    const char *name, int64_t size,
			    struct cairn_volume_desc *out)
{
	struct nl_msg *msg = cairn_msg(nl, cmd, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, CAIRN_ATTR_POOL_NAME, pool) < 0 ||
	    nla_put_string(msg, CAIRN_ATTR_VOLUME_NAME, name) < 0 ||
	    (size >= 0 && nla_put_u64(msg, CAIRN_ATTR_SIZE, size) < 0)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return cairn_nl_request(nl, msg, out ? cairn_parse_volume : NULL, out);
}

int cairn_nl_volume_create(struct cairn_nl *nl, const char *pool,
			   const char *name, uint64_t size,
			   struct cairn_volume_desc *out)
{
	if (size > INT64_MAX)
		return -EFBIG;
	return cairn_volume_req(nl, CAIRN_CMD_VOLUME_CREATE, pool, name, size, out);
}

int cairn_nl_volume_create_uuid(struct cairn_nl *nl, const char *pool,
				const char *name, uint64_t size,
				const uint8_t *uuid,
				struct cairn_volume_desc *out)
{
	struct nl_msg *msg = cairn_msg(nl, CAIRN_CMD_VOLUME_CREATE, 0);

	if (!msg)
		return -ENOMEM;
	if (size > INT64_MAX) {
		nlmsg_free(msg);
		return -EFBIG;
	}
	if (nla_put_string(msg, CAIRN_ATTR_POOL_NAME, pool) < 0 ||
	    nla_put_string(msg, CAIRN_ATTR_VOLUME_NAME, name) < 0 ||
	    nla_put_u64(msg, CAIRN_ATTR_SIZE, size) < 0 ||
	    nla_put(msg, CAIRN_ATTR_VOLUME_UUID, 16, uuid) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return cairn_nl_request(nl, msg, out ? cairn_parse_volume : NULL, out);
}

/*
 * A request on volume @pool/@name (MIRROR_*, VOLUME_CACHE) with the
 * attributes the caller adds.
 */
static struct nl_msg *cairn_mirror_msg(struct cairn_nl *nl, uint8_t cmd,
				       const char *pool, const char *name)
{
	struct nl_msg *msg = cairn_msg(nl, cmd, 0);

	if (msg && (nla_put_string(msg, CAIRN_ATTR_POOL_NAME, pool) < 0 ||
		    nla_put_string(msg, CAIRN_ATTR_VOLUME_NAME, name) < 0)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int cairn_nl_mirror_set(struct cairn_nl *nl, const char *pool,
			const char *name, uint32_t role, const char *peer,
			bool force, struct cairn_volume_desc *out)
{
	struct nl_msg *msg = cairn_mirror_msg(nl, CAIRN_CMD_MIRROR_SET, pool, name);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, CAIRN_ATTR_ROLE, role) < 0 ||
	    (peer && nla_put_string(msg, CAIRN_ATTR_PEER_NAME, peer) < 0) ||
	    (force && nla_put_flag(msg, CAIRN_ATTR_FORCE) < 0)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return cairn_nl_request(nl, msg, out ? cairn_parse_volume : NULL, out);
}

/*
 * MIRROR_CONNECT replies once the kernel took the sockets; the handshake
 * goes on in a kernel worker, outside genl_mutex.  Wait for its result:
 * VOLUME_GET shows the attempt (CONNECT_SEQ) finished (CONNECT_DONE), with
 * its errno and reason.  The kernel bounds the handshake by the link's
 * timeout per message, and a disconnect or role change ends it.
 */
int cairn_nl_mirror_connect(struct cairn_nl *nl, const char *pool,
			    const char *name, int data_fd, int meta_fd,
			    uint32_t ping_ms, uint32_t timeout_ms,
			    struct cairn_volume_desc *out)
{
	struct nl_msg *msg = cairn_mirror_msg(nl, CAIRN_CMD_MIRROR_CONNECT, pool,
					      name);
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	struct cairn_volume_desc v;
	uint32_t seq;
	int r;

	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, CAIRN_ATTR_SOCK_DATA, data_fd) < 0 ||
	    nla_put_u32(msg, CAIRN_ATTR_SOCK_META, meta_fd) < 0 ||
	    (ping_ms && nla_put_u32(msg, CAIRN_ATTR_PING_MS, ping_ms) < 0) ||
	    (timeout_ms && nla_put_u32(msg, CAIRN_ATTR_TIMEOUT_MS, timeout_ms) < 0)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	memset(&v, 0, sizeof(v));
	r = cairn_nl_request(nl, msg, cairn_parse_volume, &v);
	if (r)
		return r;
	seq = v.mirror.connect_seq;
	while ((int32_t)(v.mirror.connect_done - seq) < 0) {
		nanosleep(&ts, NULL);
		if (ts.tv_nsec < 100 * 1000 * 1000)
			ts.tv_nsec += 10 * 1000 * 1000;
		r = cairn_nl_volume_get(nl, pool, name, &v);
		if (r)
			return r;
		if (!v.mirror.mirrored)
			return -ENOENT;
	}
	/* A later attempt may have finished too: then this one's is gone. */
	if (v.mirror.connect_done != seq) {
		snprintf(nl->error, sizeof(nl->error),
			 "the result was overtaken by a later connect");
		return -EAGAIN;
	}
	if (v.mirror.connect_err) {
		snprintf(nl->error, sizeof(nl->error), "%s", v.mirror.connect_why);
		return -(int)v.mirror.connect_err;
	}
	if (out)
		*out = v;
	return 0;
}

/* MIRROR_QUORUM with the lease as LEASE_MS (u32) or LEASE_UNTIL_NS (u64). */
static int mirror_quorum(struct cairn_nl *nl, const char *pool,
			 const char *name, int attr, uint64_t lease, int alone,
			 struct cairn_volume_desc *out)
{
	struct nl_msg *msg = cairn_mirror_msg(nl, CAIRN_CMD_MIRROR_QUORUM, pool,
					      name);
	int r;

	if (!msg)
		return -ENOMEM;
	r = attr == CAIRN_ATTR_LEASE_MS ? nla_put_u32(msg, attr, lease) :
					  nla_put_u64(msg, attr, lease);
	if (r < 0 || (alone >= 0 && nla_put_u32(msg, CAIRN_ATTR_ALONE, alone) < 0)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return cairn_nl_request(nl, msg, out ? cairn_parse_volume : NULL, out);
}

int cairn_nl_mirror_quorum(struct cairn_nl *nl, const char *pool,
			   const char *name, uint32_t lease_ms, int alone,
			   struct cairn_volume_desc *out)
{
	return mirror_quorum(nl, pool, name, CAIRN_ATTR_LEASE_MS, lease_ms,
			     alone, out);
}

int cairn_nl_mirror_quorum_until(struct cairn_nl *nl, const char *pool,
				 const char *name, uint64_t until_ns, int alone,
				 struct cairn_volume_desc *out)
{
	return mirror_quorum(nl, pool, name, CAIRN_ATTR_LEASE_UNTIL_NS, until_ns,
			     alone, out);
}

int cairn_nl_mirror_disconnect(struct cairn_nl *nl, const char *pool,
			       const char *name)
{
	struct nl_msg *msg = cairn_mirror_msg(nl, CAIRN_CMD_MIRROR_DISCONNECT,
					      pool, name);

	if (!msg)
		return -ENOMEM;
	return cairn_nl_request(nl, msg, NULL, NULL);
}

int cairn_nl_volume_cache(struct cairn_nl *nl, const char *pool,
			  const char *name, uint32_t mode, int flush,
			  int64_t seq_cutoff, struct cairn_volume_desc *out)
{
	struct nl_msg *msg;

	if (seq_cutoff > UINT32_MAX)
		return -ERANGE;
	msg = cairn_mirror_msg(nl, CAIRN_CMD_VOLUME_CACHE, pool, name);
	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, CAIRN_ATTR_CACHE_MODE, mode) < 0 ||
	    (flush >= 0 && nla_put_u32(msg, CAIRN_ATTR_CACHE_FLUSH, flush) < 0) ||
	    (seq_cutoff >= 0 &&
	     nla_put_u32(msg, CAIRN_ATTR_CACHE_SEQ_CUTOFF, seq_cutoff) < 0)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return cairn_nl_request(nl, msg, out ? cairn_parse_volume : NULL, out);
}

int cairn_nl_cache_set(struct cairn_nl *nl, uint64_t budget)
{
	struct nl_msg *msg = cairn_msg(nl, CAIRN_CMD_CACHE_SET, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u64(msg, CAIRN_ATTR_CACHE_BUDGET, budget) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return cairn_nl_request(nl, msg, NULL, NULL);
}

struct cairn_cache_get_arg {
	uint64_t *budget;
	struct cairn_cache_desc *totals;
};

static int cairn_parse_cache_get(struct nlattr **attrs, void *arg)
{
	struct cairn_cache_get_arg *a = arg;

	if (!attrs[CAIRN_ATTR_CACHE_BUDGET])
		return -EPROTO;
	*a->budget = nla_get_u64(attrs[CAIRN_ATTR_CACHE_BUDGET]);
	return cairn_parse_cache(attrs[CAIRN_ATTR_CACHE], a->totals);
}

int cairn_nl_cache_get(struct cairn_nl *nl, uint64_t *budget,
		       struct cairn_cache_desc *totals)
{
	struct cairn_cache_get_arg a = { .budget = budget, .totals = totals };
	struct nl_msg *msg;

	*budget = 0;
	memset(totals, 0, sizeof(*totals));
	msg = cairn_msg(nl, CAIRN_CMD_CACHE_GET, 0);
	if (!msg)
		return -ENOMEM;
	return cairn_nl_request(nl, msg, cairn_parse_cache_get, &a);
}

static const char *const cache_modes[] = {
	[CAIRN_CACHE_OFF] = "off",
	[CAIRN_CACHE_WRITETHROUGH] = "writethrough",
	[CAIRN_CACHE_WRITEBACK] = "writeback",
};

static const char *const cache_flushes[] = {
	[CAIRN_CACHE_FLUSH_DISK] = "disk",
	[CAIRN_CACHE_FLUSH_MIRROR] = "mirror",
};

const char *cairn_cache_mode_name(uint32_t mode)
{
	return mode < ARRAY_SIZE(cache_modes) ? cache_modes[mode] : "unknown";
}

const char *cairn_cache_flush_name(uint32_t flush)
{
	return flush < ARRAY_SIZE(cache_flushes) ? cache_flushes[flush] :
	       "unknown";
}

int cairn_cache_mode_from_name(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cache_modes); i++)
		if (!strcmp(cache_modes[i], name))
			return i;
	return -EINVAL;
}

int cairn_cache_flush_from_name(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cache_flushes); i++)
		if (!strcmp(cache_flushes[i], name))
			return i;
	return -EINVAL;
}

const char *cairn_mirror_role_name(uint32_t role)
{
	static const char *const names[] = { "off", "primary", "secondary" };

	return role < 3 ? names[role] : "unknown";
}

const char *cairn_mirror_link_name(uint32_t link)
{
	static const char *const names[] = {
		"standalone", "connected", "sync-source", "sync-target",
		"connecting",
	};

	return link < 5 ? names[link] : "unknown";
}

bool cairn_mirror_link_up(const struct cairn_mirror_desc *m)
{
	return m->link != CAIRN_LINK_STANDALONE && m->link != CAIRN_LINK_CONNECTING;
}

const char *cairn_mirror_disk_name(uint32_t disk)
{
	static const char *const names[] = {
		"inconsistent", "outdated", "consistent",
	};

	return disk < 3 ? names[disk] : "unknown";
}

int cairn_nl_volume_delete(struct cairn_nl *nl, const char *pool,
			   const char *name)
{
	return cairn_volume_req(nl, CAIRN_CMD_VOLUME_DELETE, pool, name, -1, NULL);
}

int cairn_nl_volume_resize(struct cairn_nl *nl, const char *pool,
			   const char *name, uint64_t size,
			   struct cairn_volume_desc *out)
{
	if (size > INT64_MAX)
		return -EFBIG;
	return cairn_volume_req(nl, CAIRN_CMD_VOLUME_RESIZE, pool, name, size, out);
}

int cairn_nl_volume_get(struct cairn_nl *nl, const char *pool,
			const char *name, struct cairn_volume_desc *out)
{
	return cairn_volume_req(nl, CAIRN_CMD_VOLUME_GET, pool, name, -1, out);
}

struct cairn_vlist_arg {
	int (*cb)(const struct cairn_volume_desc *v, void *arg);
	void *arg;
};

static int cairn_parse_vlist(struct nlattr **attrs, void *arg)
{
	struct cairn_vlist_arg *la = arg;
	struct cairn_volume_desc v;
	int r;

	r = cairn_parse_volume(attrs, &v);
	if (r)
		return r;
	return la->cb(&v, la->arg) ? -ECANCELED : 0;
}

int cairn_nl_volume_list(struct cairn_nl *nl, const char *pool,
			 int (*cb)(const struct cairn_volume_desc *v, void *arg),
			 void *arg)
{
	struct cairn_vlist_arg la = { .cb = cb, .arg = arg };
	struct nl_msg *msg;
	int r;

	msg = cairn_msg(nl, CAIRN_CMD_VOLUME_GET, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	if (pool && nla_put_string(msg, CAIRN_ATTR_POOL_NAME, pool) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	r = cairn_nl_request(nl, msg, cairn_parse_vlist, &la);
	return r == -ECANCELED ? 0 : r;
}

static int cairn_put_devices(struct nl_msg *msg, char *const *devices,
			     unsigned int nr)
{
	struct nlattr *nest, *d;
	unsigned int i;

	nest = nla_nest_start(msg, CAIRN_ATTR_DEVICES);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < nr; i++) {
		d = nla_nest_start(msg, i + 1);
		if (!d || nla_put_string(msg, CAIRN_DEV_PATH, devices[i]) < 0)
			return -EMSGSIZE;
		nla_nest_end(msg, d);
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int cairn_put_opts(struct nl_msg *msg, const struct cairn_pool_opts *o)
{
	if (!o)
		return 0;
	if ((o->chunk_size && nla_put_u32(msg, CAIRN_ATTR_CHUNK_SIZE, o->chunk_size) < 0) ||
	    (o->threshold >= 0 &&
	     nla_put_u32(msg, CAIRN_ATTR_THRESHOLD, o->threshold) < 0) ||
	    (o->nospace_policy >= 0 &&
	     nla_put_u32(msg, CAIRN_ATTR_NOSPACE_POLICY, o->nospace_policy) < 0) ||
	    (o->nospace_timeout >= 0 &&
	     nla_put_u32(msg, CAIRN_ATTR_NOSPACE_TIMEOUT, o->nospace_timeout) < 0))
		return -EMSGSIZE;
	return 0;
}

/* A pool request: name and devices optional; reply parsed into @out. */
static int cairn_pool_req(struct cairn_nl *nl, uint8_t cmd, const char *name,
			  char *const *devices, unsigned int nr,
			  const struct cairn_pool_opts *opts,
			  struct cairn_pool_desc *out)
{
	struct nl_msg *msg = cairn_msg(nl, cmd, 0);

	if (!msg)
		return -ENOMEM;
	if ((name && nla_put_string(msg, CAIRN_ATTR_POOL_NAME, name) < 0) ||
	    (nr && cairn_put_devices(msg, devices, nr)) ||
	    cairn_put_opts(msg, opts)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return cairn_nl_request(nl, msg, out ? cairn_parse_pool : NULL, out);
}

int cairn_nl_pool_create(struct cairn_nl *nl, const char *name,
			 char *const *devices, unsigned int nr,
			 const struct cairn_pool_opts *opts,
			 struct cairn_pool_desc *out)
{
	return cairn_pool_req(nl, CAIRN_CMD_POOL_CREATE, name, devices, nr,
			      opts, out);
}

int cairn_nl_pool_open(struct cairn_nl *nl, char *const *devices,
		       unsigned int nr, struct cairn_pool_desc *out)
{
	return cairn_pool_req(nl, CAIRN_CMD_POOL_OPEN, NULL, devices, nr,
			      NULL, out);
}

int cairn_nl_pool_close(struct cairn_nl *nl, const char *name)
{
	return cairn_pool_req(nl, CAIRN_CMD_POOL_CLOSE, name, NULL, 0, NULL,
			      NULL);
}

int cairn_nl_pool_add_member(struct cairn_nl *nl, const char *name,
			     const char *device, struct cairn_pool_desc *out)
{
	char *devs[1] = { (char *)device };

	return cairn_pool_req(nl, CAIRN_CMD_POOL_ADD_MEMBER, name, devs, 1,
			      NULL, out);
}

int cairn_nl_pool_set(struct cairn_nl *nl, const char *name,
		      const struct cairn_pool_opts *opts,
		      struct cairn_pool_desc *out)
{
	return cairn_pool_req(nl, CAIRN_CMD_POOL_SET, name, NULL, 0, opts, out);
}

int cairn_nl_pool_get(struct cairn_nl *nl, const char *name,
		      struct cairn_pool_desc *out)
{
	return cairn_pool_req(nl, CAIRN_CMD_POOL_GET, name, NULL, 0, NULL, out);
}

struct cairn_list_arg {
	int (*cb)(const struct cairn_pool_desc *desc, void *arg);
	void *arg;
	struct cairn_pool_desc desc;
};

static int cairn_parse_list(struct nlattr **attrs, void *arg)
{
	struct cairn_list_arg *la = arg;
	int r;

	r = cairn_parse_pool(attrs, &la->desc);
	if (r)
		return r;
	return la->cb(&la->desc, la->arg) ? -ECANCELED : 0;
}

int cairn_nl_pool_list(struct cairn_nl *nl,
		       int (*cb)(const struct cairn_pool_desc *desc, void *arg),
		       void *arg)
{
	struct cairn_list_arg *la;
	struct nl_msg *msg;
	int r;

	la = calloc(1, sizeof(*la));
	if (!la)
		return -ENOMEM;
	la->cb = cb;
	la->arg = arg;
	msg = cairn_msg(nl, CAIRN_CMD_POOL_GET, NLM_F_DUMP);
	if (!msg) {
		free(la);
		return -ENOMEM;
	}
	r = cairn_nl_request(nl, msg, cairn_parse_list, la);
	free(la);
	return r == -ECANCELED ? 0 : r;
}

struct cairn_ev_arg {
	int (*cb)(const struct cairn_event_desc *ev, void *arg);
	void *arg;
	int stop;
};

static int cairn_event_cb(struct nl_msg *msg, void *arg)
{
	struct cairn_ev_arg *ea = arg;
	struct nlattr *attrs[CAIRN_ATTR_MAX + 1];
	struct cairn_event_desc ev;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, attrs, CAIRN_ATTR_MAX,
			  cairn_reply_policy) < 0 ||
	    !attrs[CAIRN_ATTR_POOL_NAME] || !attrs[CAIRN_ATTR_EVENT])
		return NL_SKIP;
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.pool, sizeof(ev.pool), "%s",
		 nla_get_string(attrs[CAIRN_ATTR_POOL_NAME]));
	if (attrs[CAIRN_ATTR_VOLUME_NAME])
		snprintf(ev.volume, sizeof(ev.volume), "%s",
			 nla_get_string(attrs[CAIRN_ATTR_VOLUME_NAME]));
	ev.event = nla_get_u32(attrs[CAIRN_ATTR_EVENT]);
	ev.value = get_u64(attrs[CAIRN_ATTR_EVENT_VALUE]);
	ev.capacity = get_u64(attrs[CAIRN_ATTR_CAPACITY]);
	ev.allocated = get_u64(attrs[CAIRN_ATTR_ALLOCATED]);
	ea->stop = ea->cb(&ev, ea->arg);
	return ea->stop ? NL_STOP : NL_OK;
}

static int cairn_no_seq_check(struct nl_msg *msg, void *arg)
{
	return NL_OK;
}

int cairn_nl_subscribe(struct cairn_nl *nl)
{
	int grp, r;

	grp = genl_ctrl_resolve_grp(nl->sk, CAIRN_GENL_NAME,
				    CAIRN_GENL_MCAST_EVENTS);
	if (grp < 0)
		return -ENOENT;
	r = nl_socket_add_membership(nl->sk, grp);
	return r < 0 ? cairn_nlerr(r) : 0;
}

int cairn_nl_events(struct cairn_nl *nl,
		    int (*cb)(const struct cairn_event_desc *ev, void *arg),
		    void *arg)
{
	struct cairn_ev_arg ea = { .cb = cb, .arg = arg };
	struct nl_cb *ncb;
	int r;

	r = cairn_nl_subscribe(nl);
	if (r)
		return r;
	ncb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!ncb)
		return -ENOMEM;
	/* Multicast messages carry no sequence number of ours. */
	nl_cb_set(ncb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, cairn_no_seq_check, NULL);
	nl_cb_set(ncb, NL_CB_VALID, NL_CB_CUSTOM, cairn_event_cb, &ea);
	while (!ea.stop) {
		r = nl_recvmsgs(nl->sk, ncb);
		if (r < 0 && r != -NLE_INTR) {
			snprintf(nl->error, sizeof(nl->error), "netlink: %s",
				 nl_geterror(r));
			nl_cb_put(ncb);
			return cairn_nlerr(r);
		}
	}
	nl_cb_put(ncb);
	return ea.stop;
}

const char *cairn_mode_name(uint32_t mode)
{
	static const char *const names[] = {
		"write", "out-of-space", "read-only", "failed",
	};

	return mode < 4 ? names[mode] : "unknown";
}

static const char *const event_names[] = {
	[CAIRN_EVENT_POOL_CREATED] = "pool-created",
	[CAIRN_EVENT_POOL_OPENED] = "pool-opened",
	[CAIRN_EVENT_POOL_CLOSED] = "pool-closed",
	[CAIRN_EVENT_THRESHOLD_UP] = "threshold-up",
	[CAIRN_EVENT_THRESHOLD_DOWN] = "threshold-down",
	[CAIRN_EVENT_MODE_CHANGED] = "mode-changed",
	[CAIRN_EVENT_OUT_OF_SPACE] = "out-of-space",
	[CAIRN_EVENT_METADATA_ERROR] = "metadata-error",
	[CAIRN_EVENT_MEMBER_ADDED] = "member-added",
	[CAIRN_EVENT_MEMBER_IO_ERROR] = "member-io-error",
	[CAIRN_EVENT_LINK_UP] = "link-up",
	[CAIRN_EVENT_LINK_DOWN] = "link-down",
	[CAIRN_EVENT_LINK_REFUSED] = "link-refused",
	[CAIRN_EVENT_RESYNC_DONE] = "resync-done",
	[CAIRN_EVENT_ROLE_CHANGED] = "role-changed",
};

const char *cairn_event_name(uint32_t event)
{
	return event < ARRAY_SIZE(event_names) && event_names[event] ?
	       event_names[event] : "unknown";
}

/* cairnd's own events (its heartbeat, userland/cairnd/ha.c). */
static const char *const daemon_events[] = {
	"failover", "quorum-primary", "quorum-fenced", "quorum-secondary",
	"quorum-candidate",
};

int cairn_event_from_name(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(event_names); i++)
		if (event_names[i] && !strcmp(event_names[i], name))
			return i;
	for (i = 0; i < ARRAY_SIZE(daemon_events); i++)
		if (!strcmp(daemon_events[i], name))
			return CAIRN_DAEMON_EVENT + i;
	return -ENOENT;
}

static struct nl_msg *cairn_msg(struct cairn_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	/* A dump ends with NLMSG_DONE; anything else with an ACK. */
	if (!(flags & NLM_F_DUMP))
		flags |= NLM_F_ACK;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 flags, cmd, CAIRN_GENL_VERSION)) {
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
