// SPDX-License-Identifier: GPL-2.0
/*
 * The "cairn" generic netlink family: Cairn's control plane.
 *
 * The ABI lives in uapi/cairn_nl.h.  Every command needs CAP_NET_ADMIN
 * (GENL_ADMIN_PERM), attributes are validated strictly against the family
 * policy (unknown attributes, wrong types and bad lengths are refused by the
 * genetlink core before a handler runs), and every refusal made here carries
 * an extack message.  The family lives in the initial network namespace
 * only: storage is a host resource.
 */
#include <linux/module.h>
#include <linux/random.h>
#include <linux/device-mapper.h>
#include <net/genetlink.h>

#include "cairn.h"
#include "uapi/cairn_nl.h"

static struct netlink_range_validation cairn_timeout_range = {
	.min = 1,
	.max = 86400,
};

static struct netlink_range_validation cairn_lease_range = {
	.max = 600000,
};

static struct netlink_range_validation cairn_fd_range = {
	.min = 0,
	.max = INT_MAX,
};

static struct netlink_range_validation cairn_ping_range = {
	.min = 100,
	.max = 60000,
};

static struct netlink_range_validation cairn_link_timeout_range = {
	.min = 500,
	.max = 300000,
};

static const struct nla_policy cairn_dev_policy[CAIRN_DEV_MAX + 1] = {
	[CAIRN_DEV_PATH] = { .type = NLA_NUL_STRING, .len = CAIRN_PATH_MAX - 1 },
};

static const struct nla_policy cairn_nl_policy[CAIRN_ATTR_MAX + 1] = {
	[CAIRN_ATTR_MODULE_VERSION] = { .type = NLA_NUL_STRING,
					.len = CAIRN_NAME_MAX - 1 },
	[CAIRN_ATTR_GENL_VERSION] = { .type = NLA_U32 },
	[CAIRN_ATTR_TARGET_VERSION] = { .type = NLA_NUL_STRING,
					.len = CAIRN_NAME_MAX - 1 },
	[CAIRN_ATTR_POOL_COUNT] = { .type = NLA_U32 },
	[CAIRN_ATTR_POOL_NAME] = { .type = NLA_NUL_STRING,
				   .len = CAIRN_NAME_MAX - 1 },
	[CAIRN_ATTR_POOL_UUID] = NLA_POLICY_EXACT_LEN(16),
	[CAIRN_ATTR_DEVICES] = NLA_POLICY_NESTED_ARRAY(cairn_dev_policy),
	[CAIRN_ATTR_CHUNK_SIZE] = { .type = NLA_U32 },	/* checked by the handler */
	[CAIRN_ATTR_THRESHOLD] = NLA_POLICY_MAX(NLA_U32, 100),
	[CAIRN_ATTR_NOSPACE_POLICY] = NLA_POLICY_MAX(NLA_U32, CAIRN_NOSPACE_WAIT),
	[CAIRN_ATTR_NOSPACE_TIMEOUT] = NLA_POLICY_FULL_RANGE(NLA_U32,
							     &cairn_timeout_range),
	[CAIRN_ATTR_CAPACITY] = { .type = NLA_U64 },
	[CAIRN_ATTR_ALLOCATED] = { .type = NLA_U64 },
	[CAIRN_ATTR_FREE] = { .type = NLA_U64 },
	[CAIRN_ATTR_MODE] = { .type = NLA_U32 },
	[CAIRN_ATTR_VOLUME_COUNT] = { .type = NLA_U32 },
	[CAIRN_ATTR_MEMBERS] = { .type = NLA_NESTED },
	[CAIRN_ATTR_MEMBER] = { .type = NLA_NESTED },
	[CAIRN_ATTR_EVENT] = { .type = NLA_U32 },
	[CAIRN_ATTR_EVENT_VALUE] = { .type = NLA_U64 },
	[CAIRN_ATTR_VOLUME_NAME] = { .type = NLA_NUL_STRING,
				     .len = CAIRN_NAME_MAX - 1 },
	[CAIRN_ATTR_VOLUME_UUID] = NLA_POLICY_EXACT_LEN(16),
	[CAIRN_ATTR_SIZE] = { .type = NLA_U64 },
	[CAIRN_ATTR_MAPPED] = { .type = NLA_U64 },
	[CAIRN_ATTR_COUNTERS] = { .type = NLA_NESTED },
	[CAIRN_ATTR_ROLE] = NLA_POLICY_MAX(NLA_U32, CAIRN_ROLE_SECONDARY),
	[CAIRN_ATTR_PEER_NAME] = { .type = NLA_NUL_STRING,
				   .len = CAIRN_NAME_MAX - 1 },
	[CAIRN_ATTR_FORCE] = { .type = NLA_FLAG },
	[CAIRN_ATTR_SOCK_DATA] = NLA_POLICY_FULL_RANGE(NLA_U32, &cairn_fd_range),
	[CAIRN_ATTR_SOCK_META] = NLA_POLICY_FULL_RANGE(NLA_U32, &cairn_fd_range),
	[CAIRN_ATTR_LEASE_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &cairn_lease_range),
	[CAIRN_ATTR_ALONE] = NLA_POLICY_MAX(NLA_U32, 1),
	[CAIRN_ATTR_LEASE_UNTIL_NS] = { .type = NLA_U64 },
	[CAIRN_ATTR_PING_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &cairn_ping_range),
	[CAIRN_ATTR_TIMEOUT_MS] = NLA_POLICY_FULL_RANGE(NLA_U32,
							&cairn_link_timeout_range),
	[CAIRN_ATTR_MIRROR] = { .type = NLA_NESTED },
	[CAIRN_ATTR_CACHE_BUDGET] = { .type = NLA_U64 },
	[CAIRN_ATTR_CACHE_MODE] = NLA_POLICY_MAX(NLA_U32, CAIRN_CACHE_WRITEBACK),
	[CAIRN_ATTR_CACHE_FLUSH] = NLA_POLICY_MAX(NLA_U32, CAIRN_CACHE_FLUSH_MIRROR),
	[CAIRN_ATTR_CACHE_SEQ_CUTOFF] = { .type = NLA_U32 },
	[CAIRN_ATTR_CACHE] = { .type = NLA_NESTED },
};

static struct genl_family cairn_genl_family;

/*
 * CAIRN_CMD_GET_INFO: what this module is.  Takes no attributes; replies
 * with the module version, the family version, the dm target version and
 * the number of assembled pools.
 */
static int cairn_nl_get_info(struct sk_buff *skb, struct genl_info *info)
{
	char target_version[CAIRN_NAME_MAX];
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	hdr = genlmsg_put_reply(msg, info, &cairn_genl_family, 0,
				CAIRN_CMD_GET_INFO);
	if (!hdr)
		goto out_free;

	snprintf(target_version, sizeof(target_version), "%u.%u.%u",
		 CAIRN_TARGET_MAJOR, CAIRN_TARGET_MINOR, CAIRN_TARGET_PATCH);

	if (nla_put_string(msg, CAIRN_ATTR_MODULE_VERSION,
			   CAIRN_MODULE_VERSION) ||
	    nla_put_u32(msg, CAIRN_ATTR_GENL_VERSION, CAIRN_GENL_VERSION) ||
	    nla_put_string(msg, CAIRN_ATTR_TARGET_VERSION, target_version) ||
	    nla_put_u32(msg, CAIRN_ATTR_POOL_COUNT, cairn_pool_count()))
		goto out_free;

	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

out_free:
	nlmsg_free(msg);
	NL_SET_ERR_MSG(info->extack, "cairn: reply does not fit in a message");
	return -EMSGSIZE;
}

/*
 * Refusals name the problem in the extended ACK.  Messages that name a
 * device are formatted into one static buffer: safe because the family is
 * not parallel_ops, so genl_mutex is held from doit until the ACK (which
 * carries the message) has been built.
 */
static char cairn_nl_msg[CAIRN_PATH_MAX + 128];

static void cairn_nl_refuse(struct genl_info *info, const char *what,
			    const char *why)
{
	if (what)
		snprintf(cairn_nl_msg, sizeof(cairn_nl_msg), "%s: %s", what, why);
	else
		snprintf(cairn_nl_msg, sizeof(cairn_nl_msg), "%s", why);
	/* NL_SET_ERR_MSG() takes literals only. */
	if (info->extack)
		info->extack->_msg = cairn_nl_msg;
}

static const char *cairn_nl_pool_name(struct genl_info *info)
{
	struct nlattr *a = info->attrs[CAIRN_ATTR_POOL_NAME];

	if (!a) {
		NL_SET_ERR_MSG(info->extack, "pool name missing");
		return NULL;
	}
	if (cairn_name_check(nla_data(a), nla_len(a))) {
		NL_SET_ERR_MSG_ATTR(info->extack, a,
				    "invalid pool name: 1-64 characters of A-Z a-z 0-9 . _ -");
		return NULL;
	}
	return nla_data(a);
}

/* The pool named in the request; the registry lock is held. */
static struct cairn_kpool *cairn_nl_pool(struct genl_info *info)
{
	const char *name = cairn_nl_pool_name(info);
	struct cairn_kpool *kp;

	if (!name)
		return NULL;
	kp = cairn_kpool_find(name);
	if (!kp)
		cairn_nl_refuse(info, name, "no such pool");
	return kp;
}

/* DEVICES as an array of paths; at most @max.  Returns the count or < 0. */
static int cairn_nl_devices(struct genl_info *info, char **paths,
			    unsigned int max)
{
	struct nlattr *a = info->attrs[CAIRN_ATTR_DEVICES], *d;
	int n = 0, rem;

	if (!a) {
		NL_SET_ERR_MSG(info->extack, "device list missing");
		return -EINVAL;
	}
	nla_for_each_nested(d, a, rem) {
		struct nlattr *tb[CAIRN_DEV_MAX + 1];
		int r;

		r = nla_parse_nested(tb, CAIRN_DEV_MAX, d, cairn_dev_policy,
				     info->extack);
		if (r)
			return r;
		if (!tb[CAIRN_DEV_PATH]) {
			NL_SET_ERR_MSG_ATTR(info->extack, d, "device path missing");
			return -EINVAL;
		}
		if (n == max) {
			NL_SET_ERR_MSG_ATTR(info->extack, d, "too many devices");
			return -E2BIG;
		}
		paths[n++] = nla_data(tb[CAIRN_DEV_PATH]);
	}
	if (!n) {
		NL_SET_ERR_MSG(info->extack, "device list is empty");
		return -EINVAL;
	}
	return n;
}

static u32 cairn_nl_u32(struct genl_info *info, int attr, u32 def)
{
	return info->attrs[attr] ? nla_get_u32(info->attrs[attr]) : def;
}

/*
 * The registry lock is held, not the pool's: a control operation or commit
 * stuck on a hung member must not hold up a status request (of this pool
 * or, through the registry lock, of any other).  Counts that the data path
 * changes are read once each; they may be a moment apart.
 */
static int cairn_nl_fill_pool(struct sk_buff *msg, struct cairn_kpool *kp)
{
	struct cairn_pool *pool = kp->core;
	unsigned int shift = pool->sb.chunk_shift, i;
	u64 allocated = READ_ONCE(pool->allocated);
	struct nlattr *members, *m;

	if (nla_put_string(msg, CAIRN_ATTR_POOL_NAME, kp->name) ||
	    nla_put(msg, CAIRN_ATTR_POOL_UUID, CAIRN_UUID_SIZE, pool->sb.pool_uuid) ||
	    nla_put_u32(msg, CAIRN_ATTR_CHUNK_SIZE, 1U << shift) ||
	    nla_put_u64_64bit(msg, CAIRN_ATTR_CAPACITY, pool->capacity << shift,
			      CAIRN_ATTR_PAD) ||
	    nla_put_u64_64bit(msg, CAIRN_ATTR_ALLOCATED, allocated << shift,
			      CAIRN_ATTR_PAD) ||
	    nla_put_u64_64bit(msg, CAIRN_ATTR_FREE,
			      (pool->capacity - allocated) << shift,
			      CAIRN_ATTR_PAD) ||
	    nla_put_u32(msg, CAIRN_ATTR_MODE, READ_ONCE(pool->mode)) ||
	    nla_put_u32(msg, CAIRN_ATTR_THRESHOLD, pool->sb.low_water_pct) ||
	    nla_put_u32(msg, CAIRN_ATTR_NOSPACE_POLICY, pool->sb.nospace_policy) ||
	    nla_put_u32(msg, CAIRN_ATTR_NOSPACE_TIMEOUT, pool->sb.nospace_timeout_s) ||
	    nla_put_u32(msg, CAIRN_ATTR_VOLUME_COUNT, pool->nr_volumes))
		return -EMSGSIZE;

	members = nla_nest_start(msg, CAIRN_ATTR_MEMBERS);
	if (!members)
		return -EMSGSIZE;
	for (i = 0; i < pool->sb.nr_members; i++) {
		struct cairn_member *mb = &pool->members[i];

		m = nla_nest_start(msg, CAIRN_ATTR_MEMBER);
		if (!m ||
		    nla_put_u32(msg, CAIRN_MEMBER_INDEX, i) ||
		    nla_put_string(msg, CAIRN_MEMBER_DEVICE, kp->path[mb->dev]) ||
		    nla_put(msg, CAIRN_MEMBER_UUID, CAIRN_UUID_SIZE, mb->info.uuid) ||
		    nla_put_u64_64bit(msg, CAIRN_MEMBER_SIZE,
				      mb->info.nr_blocks << CAIRN_BLOCK_SHIFT,
				      CAIRN_MEMBER_PAD) ||
		    nla_put_u64_64bit(msg, CAIRN_MEMBER_CHUNKS, mb->info.nr_chunks,
				      CAIRN_MEMBER_PAD) ||
		    nla_put_u64_64bit(msg, CAIRN_MEMBER_USED, READ_ONCE(mb->nr_used),
				      CAIRN_MEMBER_PAD))
			return -EMSGSIZE;
		nla_nest_end(msg, m);
	}
	nla_nest_end(msg, members);

	m = nla_nest_start(msg, CAIRN_ATTR_COUNTERS);
	if (!m)
		return -EMSGSIZE;
	for (i = CAIRN_CNT_READS; i <= CAIRN_CNT_MAX; i++)
		if (i != CAIRN_CNT_PAD &&
		    nla_put_u64_64bit(msg, i, cairn_kpool_counter(kp, i),
				      CAIRN_CNT_PAD))
			return -EMSGSIZE;
	nla_nest_end(msg, m);
	return 0;
}

/* Reply to @info with the pool's description. */
static int cairn_nl_reply_pool(struct genl_info *info, struct cairn_kpool *kp,
			       u8 cmd)
{
	struct sk_buff *msg;
	void *hdr;
	int r;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &cairn_genl_family, 0, cmd);
	if (!hdr) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	r = cairn_nl_fill_pool(msg, kp);
	if (r) {
		nlmsg_free(msg);
		return r;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int cairn_nl_pool_create(struct sk_buff *skb, struct genl_info *info)
{
	char *paths[CAIRN_MAX_MEMBERS];
	const char *name, *why = "refused", *bad = NULL;
	struct cairn_kpool *kp;
	u32 chunk;
	int n, r;

	name = cairn_nl_pool_name(info);
	if (!name)
		return -EINVAL;
	n = cairn_nl_devices(info, paths, CAIRN_MAX_MEMBERS);
	if (n < 0)
		return n;
	chunk = cairn_nl_u32(info, CAIRN_ATTR_CHUNK_SIZE,
			     1U << CAIRN_DEFAULT_CHUNK_SHIFT);
	if (!is_power_of_2(chunk) || chunk < (1U << CAIRN_MIN_CHUNK_SHIFT) ||
	    chunk > (1U << CAIRN_MAX_CHUNK_SHIFT)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[CAIRN_ATTR_CHUNK_SIZE],
				    "chunk size must be a power of two from 64 KiB to 16 MiB");
		return -EINVAL;
	}

	mutex_lock(&cairn_registry.lock);
	r = cairn_kpool_create(name, paths, n, ilog2(chunk),
			       cairn_nl_u32(info, CAIRN_ATTR_THRESHOLD, 0),
			       cairn_nl_u32(info, CAIRN_ATTR_NOSPACE_POLICY,
					    CAIRN_NOSPACE_ERROR),
			       cairn_nl_u32(info, CAIRN_ATTR_NOSPACE_TIMEOUT, 60),
			       &kp, &bad, &why);
	if (r)
		cairn_nl_refuse(info, bad, why);
	else
		r = cairn_nl_reply_pool(info, kp, CAIRN_CMD_POOL_CREATE);
	mutex_unlock(&cairn_registry.lock);
	return r;
}

static int cairn_nl_pool_open(struct sk_buff *skb, struct genl_info *info)
{
	char *paths[CAIRN_MAX_MEMBERS];
	const char *why = "refused", *bad = NULL;
	struct cairn_kpool *kp;
	int n, r;

	n = cairn_nl_devices(info, paths, CAIRN_MAX_MEMBERS);
	if (n < 0)
		return n;
	mutex_lock(&cairn_registry.lock);
	r = cairn_kpool_open(paths, n, &kp, &bad, &why);
	if (r)
		cairn_nl_refuse(info, bad, why);
	else
		r = cairn_nl_reply_pool(info, kp, CAIRN_CMD_POOL_OPEN);
	mutex_unlock(&cairn_registry.lock);
	return r;
}

static int cairn_nl_pool_close(struct sk_buff *skb, struct genl_info *info)
{
	struct cairn_kpool *kp;
	const char *why;
	int r = -ENOENT;

	mutex_lock(&cairn_registry.lock);
	kp = cairn_nl_pool(info);
	if (kp) {
		char name[CAIRN_NAME_LEN + 1];

		strscpy(name, kp->name, sizeof(name));
		r = cairn_kpool_close(kp, &why);	/* may have freed kp */
		if (r)
			cairn_nl_refuse(info, name, why);
	}
	mutex_unlock(&cairn_registry.lock);
	return r;
}

static int cairn_nl_pool_add_member(struct sk_buff *skb, struct genl_info *info)
{
	struct cairn_kpool *kp;
	char *paths[1];
	const char *why = "refused";
	int n, r = -ENOENT;

	n = cairn_nl_devices(info, paths, 1);
	if (n < 0)
		return n;
	mutex_lock(&cairn_registry.lock);
	kp = cairn_nl_pool(info);
	if (kp) {
		r = cairn_kpool_add_member(kp, paths[0], &why);
		if (r)
			cairn_nl_refuse(info, paths[0], why);
		else
			r = cairn_nl_reply_pool(info, kp, CAIRN_CMD_POOL_ADD_MEMBER);
	}
	mutex_unlock(&cairn_registry.lock);
	return r;
}

static int cairn_nl_pool_set(struct sk_buff *skb, struct genl_info *info)
{
	struct cairn_kpool *kp;
	int r = -ENOENT;

	mutex_lock(&cairn_registry.lock);
	kp = cairn_nl_pool(info);
	if (kp) {
		struct cairn_super *sb = &kp->core->sb;

		cairn_kpool_lock(kp);
		r = cairn_pool_set(kp->core,
				   cairn_nl_u32(info, CAIRN_ATTR_THRESHOLD,
						sb->low_water_pct),
				   cairn_nl_u32(info, CAIRN_ATTR_NOSPACE_POLICY,
						sb->nospace_policy),
				   cairn_nl_u32(info, CAIRN_ATTR_NOSPACE_TIMEOUT,
						sb->nospace_timeout_s));
		cairn_kpool_unlock(kp);
		if (r == -EROFS)
			cairn_nl_refuse(info, kp->name, "the pool is read-only");
		else if (r)
			cairn_nl_refuse(info, kp->name, "writing the superblock failed");
		else
			r = cairn_nl_reply_pool(info, kp, CAIRN_CMD_POOL_SET);
	}
	mutex_unlock(&cairn_registry.lock);
	return r;
}

static int cairn_nl_pool_get(struct sk_buff *skb, struct genl_info *info)
{
	struct cairn_kpool *kp;
	int r = -ENOENT;

	mutex_lock(&cairn_registry.lock);
	kp = cairn_nl_pool(info);
	if (kp)
		r = cairn_nl_reply_pool(info, kp, CAIRN_CMD_POOL_GET);
	mutex_unlock(&cairn_registry.lock);
	return r;
}

/* Dump every pool; cb->args[0] counts the pools already sent. */
static int cairn_nl_pool_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct cairn_kpool *kp;
	long i = 0;
	void *hdr;

	mutex_lock(&cairn_registry.lock);
	list_for_each_entry(kp, &cairn_registry.pools, list) {
		if (i++ < cb->args[0])
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &cairn_genl_family,
				  NLM_F_MULTI, CAIRN_CMD_POOL_GET);
		if (!hdr)
			break;
		if (cairn_nl_fill_pool(skb, kp)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = i;
	}
	mutex_unlock(&cairn_registry.lock);
	return skb->len;
}

static const char *cairn_nl_volume_name(struct genl_info *info)
{
	struct nlattr *a = info->attrs[CAIRN_ATTR_VOLUME_NAME];

	if (!a) {
		NL_SET_ERR_MSG(info->extack, "volume name missing");
		return NULL;
	}
	if (cairn_name_check(nla_data(a), nla_len(a))) {
		NL_SET_ERR_MSG_ATTR(info->extack, a,
				    "invalid volume name: 1-64 characters of A-Z a-z 0-9 . _ -");
		return NULL;
	}
	return nla_data(a);
}

static int cairn_nl_fill_volume(struct sk_buff *msg, struct cairn_kpool *kp,
				struct cairn_volume *v)
{
	struct cairn_kvol *kv = cairn_kvol_find(kp, v->name);

	if ((kv && cairn_mirror_fill(msg, kv)) ||
	    (kv && cairn_cache_fill(msg, kv)) ||
	    nla_put_string(msg, CAIRN_ATTR_POOL_NAME, kp->name) ||
	    nla_put_string(msg, CAIRN_ATTR_VOLUME_NAME, v->name) ||
	    nla_put(msg, CAIRN_ATTR_VOLUME_UUID, CAIRN_UUID_SIZE, v->uuid) ||
	    nla_put_u64_64bit(msg, CAIRN_ATTR_SIZE, v->size, CAIRN_ATTR_PAD) ||
	    nla_put_u64_64bit(msg, CAIRN_ATTR_MAPPED,
			      READ_ONCE(v->nr_mapped) << kp->core->sb.chunk_shift,
			      CAIRN_ATTR_PAD))
		return -EMSGSIZE;
	return 0;
}

/* Reply with @v; the registry lock held. */
static int cairn_nl_reply_volume(struct genl_info *info, struct cairn_kpool *kp,
				 struct cairn_volume *v, u8 cmd)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &cairn_genl_family, 0, cmd);
	if (!hdr || cairn_nl_fill_volume(msg, kp, v)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/*
 * The pool and volume named in the request, with the registry lock and
 * the pool's lock taken (released by cairn_nl_unlock()), or NULL.
 */
static struct cairn_kpool *cairn_nl_lock_pool(struct genl_info *info)
{
	struct cairn_kpool *kp;

	mutex_lock(&cairn_registry.lock);
	kp = cairn_nl_pool(info);
	if (!kp) {
		mutex_unlock(&cairn_registry.lock);
		return NULL;
	}
	cairn_kpool_lock(kp);
	return kp;
}

static void cairn_nl_unlock(struct cairn_kpool *kp)
{
	cairn_kpool_unlock(kp);
	mutex_unlock(&cairn_registry.lock);
}

static struct cairn_volume *cairn_nl_volume(struct genl_info *info,
					    struct cairn_kpool *kp)
{
	const char *name = cairn_nl_volume_name(info);
	struct cairn_volume *v;

	if (!name)
		return NULL;
	v = cairn_volume_find(kp->core, name);
	if (!v)
		cairn_nl_refuse(info, name, "no such volume in this pool");
	return v;
}

static const char *cairn_volume_errmsg(int r)
{
	switch (r) {
	case -EEXIST:
		return "a volume of that name exists in this pool";
	case -EINVAL:
		return "size must be a non-zero multiple of 4 KiB";
	case -EFBIG:
		return "size too large for the pool's chunk size";
	case -ENFILE:
		return "the pool already has 4096 volumes";
	case -EROFS:
		return "the pool is read-only";
	case -EOPNOTSUPP:
		return "volumes can only grow";
	case -ENOMEM:
		return "out of memory";
	default:
		return "metadata commit failed";
	}
}

static int cairn_nl_volume_create(struct sk_buff *skb, struct genl_info *info)
{
	const char *name = cairn_nl_volume_name(info);
	u8 uuid[CAIRN_UUID_SIZE];
	struct cairn_kpool *kp;
	struct cairn_volume *v;
	int r;

	if (!name)
		return -EINVAL;
	if (!info->attrs[CAIRN_ATTR_SIZE]) {
		NL_SET_ERR_MSG(info->extack, "volume size missing");
		return -EINVAL;
	}
	if (info->attrs[CAIRN_ATTR_VOLUME_UUID])
		memcpy(uuid, nla_data(info->attrs[CAIRN_ATTR_VOLUME_UUID]), sizeof(uuid));
	else
		generate_random_uuid(uuid);
	kp = cairn_nl_lock_pool(info);
	if (!kp)
		return -ENOENT;
	r = cairn_volume_create(kp->core, name, uuid,
				nla_get_u64(info->attrs[CAIRN_ATTR_SIZE]), &v);
	if (!r) {
		/* The volume object first: the commit may fail, not this. */
		r = cairn_kvol_add(kp, v);
		if (r) {
			cairn_volume_delete(kp->core, v);
			v = NULL;
		}
	}
	if (!r) {
		r = cairn_commit(kp->core);
		if (r)	/* the pool is read-only now; the volume stays in RAM */
			v = NULL;
	}
	if (r)
		cairn_nl_refuse(info, name, cairn_volume_errmsg(r));
	else
		r = cairn_nl_reply_volume(info, kp, v, CAIRN_CMD_VOLUME_CREATE);
	cairn_nl_unlock(kp);
	return r;
}

static int cairn_nl_volume_delete(struct sk_buff *skb, struct genl_info *info)
{
	struct cairn_kvol *kv;
	struct cairn_kpool *kp;
	struct cairn_volume *v;
	int r = -ENOENT;

	kp = cairn_nl_lock_pool(info);
	if (!kp)
		return -ENOENT;
	v = cairn_nl_volume(info, kp);
	kv = v ? cairn_kvol_find(kp, v->name) : NULL;
	if (kv && kv->users) {
		cairn_nl_refuse(info, v->name, "volume in use by a device-mapper table");
		r = -EBUSY;
	} else if (kv && kv->mir) {
		cairn_nl_refuse(info, v->name,
				"volume is mirrored: make it a plain volume first (mirror role off)");
		r = -EBUSY;
	} else if (kv && cairn_cache_busy(kv)) {
		/*
		 * Its destage may be in flight and provisioning (the read side
		 * of txn_sem, which this request holds for write): the cache
		 * goes first, off and drained in its work, outside genl_mutex.
		 */
		cairn_nl_refuse(info, v->name,
				"volume has a RAM cache, or one being drained: turn it off first and wait until it is gone");
		r = -EBUSY;
	} else if (v) {
		char name[CAIRN_NAME_LEN + 1];

		strscpy(name, v->name, sizeof(name));
		r = cairn_volume_delete(kp->core, v);
		if (!r && kv)
			cairn_kvol_del(kv);
		if (!r)
			r = cairn_commit(kp->core);
		if (r)
			cairn_nl_refuse(info, name, cairn_volume_errmsg(r));
	}
	cairn_nl_unlock(kp);
	if (!r)
		cairn_kpool_space_changed(kp);
	return r;
}

static int cairn_nl_volume_resize(struct sk_buff *skb, struct genl_info *info)
{
	struct cairn_kvol *kv;
	struct cairn_kpool *kp;
	struct cairn_volume *v;
	int r = -ENOENT;

	if (!info->attrs[CAIRN_ATTR_SIZE]) {
		NL_SET_ERR_MSG(info->extack, "volume size missing");
		return -EINVAL;
	}
	kp = cairn_nl_lock_pool(info);
	if (!kp)
		return -ENOENT;
	v = cairn_nl_volume(info, kp);
	kv = v ? cairn_kvol_find(kp, v->name) : NULL;
	if (kv && kv->mir) {
		/* Both nodes and the bitmap would have to grow together. */
		cairn_nl_refuse(info, v->name, "a mirrored volume can not be resized yet");
		r = -EOPNOTSUPP;
	} else if (v) {
		r = cairn_volume_resize(kp->core, v,
					nla_get_u64(info->attrs[CAIRN_ATTR_SIZE]));
		if (!r)
			r = cairn_commit(kp->core);
		if (r)
			cairn_nl_refuse(info, v->name, cairn_volume_errmsg(r));
		else
			r = cairn_nl_reply_volume(info, kp, v, CAIRN_CMD_VOLUME_RESIZE);
	}
	cairn_nl_unlock(kp);
	return r;
}

static int cairn_nl_volume_get(struct sk_buff *skb, struct genl_info *info)
{
	struct cairn_kpool *kp;
	struct cairn_volume *v;
	int r = -ENOENT;

	/* Reads only: the registry lock keeps the volume (control ops take it). */
	mutex_lock(&cairn_registry.lock);
	kp = cairn_nl_pool(info);
	v = kp ? cairn_nl_volume(info, kp) : NULL;
	if (v)
		r = cairn_nl_reply_volume(info, kp, v, CAIRN_CMD_VOLUME_GET);
	mutex_unlock(&cairn_registry.lock);
	return r;
}

/*
 * Dump volumes, of every pool or of the one named.  cb->args[0] counts the
 * volumes already sent.
 */
static int cairn_nl_volume_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct genl_dumpit_info *dinfo = genl_dumpit_info(cb);
	struct nlattr *filter = dinfo->attrs[CAIRN_ATTR_POOL_NAME];
	struct cairn_kpool *kp;
	unsigned int i;
	long n = 0;
	void *hdr;

	mutex_lock(&cairn_registry.lock);
	list_for_each_entry(kp, &cairn_registry.pools, list) {
		if (filter && strcmp(nla_data(filter), kp->name))
			continue;
		for (i = 0; i < CAIRN_MAX_VOLUMES; i++) {
			struct cairn_volume *v = kp->core->volumes[i];

			if (!v || n++ < cb->args[0])
				continue;
			hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
					  cb->nlh->nlmsg_seq, &cairn_genl_family,
					  NLM_F_MULTI, CAIRN_CMD_VOLUME_GET);
			if (!hdr || cairn_nl_fill_volume(skb, kp, v)) {
				if (hdr)
					genlmsg_cancel(skb, hdr);
				goto out;
			}
			genlmsg_end(skb, hdr);
			cb->args[0] = n;
		}
	}
out:
	mutex_unlock(&cairn_registry.lock);
	return skb->len;
}

/* An event to the multicast group; @volume for the mirror's (else NULL). */
static void cairn_nl_send_event(const char *pool, const char *volume, u32 event,
				u64 value, u64 capacity, u64 allocated)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_NOIO);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &cairn_genl_family, 0, CAIRN_CMD_EVENT);
	if (!hdr ||
	    nla_put_string(msg, CAIRN_ATTR_POOL_NAME, pool) ||
	    (volume && nla_put_string(msg, CAIRN_ATTR_VOLUME_NAME, volume)) ||
	    nla_put_u32(msg, CAIRN_ATTR_EVENT, event) ||
	    nla_put_u64_64bit(msg, CAIRN_ATTR_EVENT_VALUE, value, CAIRN_ATTR_PAD) ||
	    (!volume &&
	     (nla_put_u64_64bit(msg, CAIRN_ATTR_CAPACITY, capacity, CAIRN_ATTR_PAD) ||
	      nla_put_u64_64bit(msg, CAIRN_ATTR_ALLOCATED, allocated, CAIRN_ATTR_PAD)))) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&cairn_genl_family, msg, 0, 0, GFP_NOIO);
}

void cairn_nl_event(const char *pool, u32 event, u64 value, u64 capacity,
		    u64 allocated)
{
	cairn_nl_send_event(pool, NULL, event, value, capacity, allocated);
}

void cairn_nl_vol_event(const char *pool, const char *volume, u32 event,
			u64 value)
{
	cairn_nl_send_event(pool, volume, event, value, 0, 0);
}

/*
 * The volume named in a MIRROR_* request, with the registry lock and the
 * pool's control mutex taken (cairn_nl_unlock_kvol()) -- not txn_sem: the
 * mirror's control calls wait for the network and for I/O in flight, which
 * must go on meanwhile.
 */
static struct cairn_kvol *cairn_nl_lock_kvol(struct genl_info *info,
					     struct cairn_kpool **kpp)
{
	struct cairn_kpool *kp;
	struct cairn_volume *v;

	*kpp = NULL;
	mutex_lock(&cairn_registry.lock);
	kp = cairn_nl_pool(info);
	if (!kp) {
		mutex_unlock(&cairn_registry.lock);
		return NULL;
	}
	mutex_lock(&kp->lock);
	v = cairn_nl_volume(info, kp);
	if (!v) {
		mutex_unlock(&kp->lock);
		mutex_unlock(&cairn_registry.lock);
		return NULL;
	}
	*kpp = kp;
	return cairn_kvol_find(kp, v->name);
}

static void cairn_nl_unlock_kvol(struct cairn_kpool *kp)
{
	mutex_unlock(&kp->lock);
	mutex_unlock(&cairn_registry.lock);
}

static int cairn_nl_mirror_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *peer = info->attrs[CAIRN_ATTR_PEER_NAME];
	const char *why = NULL;
	struct cairn_kpool *kp;
	struct cairn_kvol *kv;
	int r;

	if (!info->attrs[CAIRN_ATTR_ROLE]) {
		NL_SET_ERR_MSG(info->extack, "mirror role missing");
		return -EINVAL;
	}
	if (peer && cairn_name_check(nla_data(peer), nla_len(peer))) {
		NL_SET_ERR_MSG_ATTR(info->extack, peer,
				    "invalid peer name: 1-64 characters of A-Z a-z 0-9 . _ -");
		return -EINVAL;
	}
	kv = cairn_nl_lock_kvol(info, &kp);
	if (!kp)
		return -ENOENT;
	r = cairn_mirror_set(kv, nla_get_u32(info->attrs[CAIRN_ATTR_ROLE]),
			     peer ? nla_data(peer) : NULL,
			     nla_get_flag(info->attrs[CAIRN_ATTR_FORCE]), &why);
	if (r)
		cairn_nl_refuse(info, kv->vol->name, why);
	else
		r = cairn_nl_reply_volume(info, kp, kv->vol, CAIRN_CMD_MIRROR_SET);
	cairn_nl_unlock_kvol(kp);
	return r;
}

static int cairn_nl_mirror_connect(struct sk_buff *skb, struct genl_info *info)
{
	const char *why = NULL;
	struct cairn_kpool *kp;
	struct cairn_kvol *kv;
	int r;

	if (!info->attrs[CAIRN_ATTR_SOCK_DATA] ||
	    !info->attrs[CAIRN_ATTR_SOCK_META]) {
		NL_SET_ERR_MSG(info->extack, "data and meta socket descriptors needed");
		return -EINVAL;
	}
	kv = cairn_nl_lock_kvol(info, &kp);
	if (!kp)
		return -ENOENT;
	r = cairn_mirror_connect(kv, nla_get_u32(info->attrs[CAIRN_ATTR_SOCK_DATA]),
				 nla_get_u32(info->attrs[CAIRN_ATTR_SOCK_META]),
				 cairn_nl_u32(info, CAIRN_ATTR_PING_MS, 1000),
				 cairn_nl_u32(info, CAIRN_ATTR_TIMEOUT_MS, 5000),
				 &why);
	if (r)
		cairn_nl_refuse(info, kv->vol->name, why);
	else
		r = cairn_nl_reply_volume(info, kp, kv->vol,
					  CAIRN_CMD_MIRROR_CONNECT);
	cairn_nl_unlock_kvol(kp);
	return r;
}

static int cairn_nl_mirror_disconnect(struct sk_buff *skb,
				      struct genl_info *info)
{
	struct cairn_kpool *kp;
	struct cairn_kvol *kv;
	int r = 0;

	kv = cairn_nl_lock_kvol(info, &kp);
	if (!kp)
		return -ENOENT;
	if (!kv->mir) {
		cairn_nl_refuse(info, kv->vol->name, "volume is not mirrored");
		r = -EINVAL;
	} else {
		cairn_mirror_disconnect(kv);
	}
	cairn_nl_unlock_kvol(kp);
	return r;
}

static int cairn_nl_mirror_quorum(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *lease = info->attrs[CAIRN_ATTR_LEASE_MS];
	struct nlattr *until = info->attrs[CAIRN_ATTR_LEASE_UNTIL_NS];
	struct nlattr *alone = info->attrs[CAIRN_ATTR_ALONE];
	const char *why = NULL;
	struct cairn_kpool *kp;
	struct cairn_kvol *kv;
	bool quorum;
	u32 ms = 0;
	s64 left;
	int r;

	if (!lease == !until) {
		NL_SET_ERR_MSG(info->extack,
			       "a lease in ms (0: none) or its end (CLOCK_MONOTONIC ns), one of them");
		return -EINVAL;
	}
	if (lease) {
		ms = nla_get_u32(lease);
		if (ms && ms < 100) {
			NL_SET_ERR_MSG_ATTR(info->extack, lease,
					    "a lease is 0 (none) or 100 to 600000 ms");
			return -EINVAL;
		}
		quorum = ms;
	} else {
		left = (s64)nla_get_u64(until) - (s64)ktime_get_ns();
		if (left > 600LL * NSEC_PER_SEC) {
			NL_SET_ERR_MSG_ATTR(info->extack, until,
					    "a lease ends at most 600 s from now");
			return -EINVAL;
		}
		quorum = true;
		ms = left > 0 ? div_s64(left, NSEC_PER_MSEC) : 0;
	}
	kv = cairn_nl_lock_kvol(info, &kp);
	if (!kp)
		return -ENOENT;
	r = cairn_mirror_quorum(kv, quorum, ms, alone ? nla_get_u32(alone) : -1,
				&why);
	if (r)
		cairn_nl_refuse(info, kv->vol->name, why);
	else
		r = cairn_nl_reply_volume(info, kp, kv->vol, CAIRN_CMD_MIRROR_QUORUM);
	cairn_nl_unlock_kvol(kp);
	return r;
}

/* CACHE_SET: the node's RAM cache budget. */
static int cairn_nl_cache_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *budget = info->attrs[CAIRN_ATTR_CACHE_BUDGET];
	const char *why = NULL;
	int r;

	if (!budget) {
		NL_SET_ERR_MSG(info->extack, "cache budget missing");
		return -EINVAL;
	}
	r = cairn_cache_budget(nla_get_u64(budget), &why);
	if (r)
		cairn_nl_refuse(info, NULL, why);
	return r;
}

/* CACHE_GET: the budget and what the caches hold and did. */
static int cairn_nl_cache_get(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &cairn_genl_family, 0,
				CAIRN_CMD_CACHE_GET);
	if (!hdr || cairn_cache_fill_node(msg)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* VOLUME_CACHE: a volume's cache on, changed, or off (drained). */
static int cairn_nl_volume_cache(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *mode = info->attrs[CAIRN_ATTR_CACHE_MODE];
	struct nlattr *flush = info->attrs[CAIRN_ATTR_CACHE_FLUSH];
	struct nlattr *cutoff = info->attrs[CAIRN_ATTR_CACHE_SEQ_CUTOFF];
	const char *why = NULL;
	struct cairn_kpool *kp;
	struct cairn_kvol *kv;
	int r;

	if (!mode) {
		NL_SET_ERR_MSG(info->extack, "cache mode missing");
		return -EINVAL;
	}
	if (cutoff && nla_get_u32(cutoff) & (SECTOR_SIZE - 1)) {
		NL_SET_ERR_MSG_ATTR(info->extack, cutoff,
				    "the sequential cutoff is a multiple of 512 bytes (0: none)");
		return -EINVAL;
	}
	kv = cairn_nl_lock_kvol(info, &kp);
	if (!kp)
		return -ENOENT;
	r = cairn_cache_set(kv, nla_get_u32(mode),
			    flush ? (int)nla_get_u32(flush) : -1,
			    cutoff ? nla_get_u32(cutoff) : 0, cutoff, &why);
	if (r)
		cairn_nl_refuse(info, kv->vol->name, why);
	else
		r = cairn_nl_reply_volume(info, kp, kv->vol, CAIRN_CMD_VOLUME_CACHE);
	cairn_nl_unlock_kvol(kp);
	return r;
}

static const struct genl_ops cairn_nl_ops[] = {
	{
		.cmd = CAIRN_CMD_GET_INFO,
		.doit = cairn_nl_get_info,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = CAIRN_CMD_POOL_CREATE,
		.doit = cairn_nl_pool_create,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = CAIRN_CMD_POOL_OPEN,
		.doit = cairn_nl_pool_open,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = CAIRN_CMD_POOL_CLOSE,
		.doit = cairn_nl_pool_close,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = CAIRN_CMD_POOL_ADD_MEMBER,
		.doit = cairn_nl_pool_add_member,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = CAIRN_CMD_POOL_SET,
		.doit = cairn_nl_pool_set,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = CAIRN_CMD_POOL_GET,
		.doit = cairn_nl_pool_get,
		.dumpit = cairn_nl_pool_dump,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = CAIRN_CMD_VOLUME_CREATE,
		.doit = cairn_nl_volume_create,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = CAIRN_CMD_VOLUME_DELETE,
		.doit = cairn_nl_volume_delete,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = CAIRN_CMD_VOLUME_RESIZE,
		.doit = cairn_nl_volume_resize,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = CAIRN_CMD_VOLUME_GET,
		.doit = cairn_nl_volume_get,
		.dumpit = cairn_nl_volume_dump,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = CAIRN_CMD_MIRROR_SET,
		.doit = cairn_nl_mirror_set,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = CAIRN_CMD_MIRROR_CONNECT,
		.doit = cairn_nl_mirror_connect,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = CAIRN_CMD_MIRROR_DISCONNECT,
		.doit = cairn_nl_mirror_disconnect,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = CAIRN_CMD_CACHE_SET,
		.doit = cairn_nl_cache_set,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = CAIRN_CMD_CACHE_GET,
		.doit = cairn_nl_cache_get,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = CAIRN_CMD_VOLUME_CACHE,
		.doit = cairn_nl_volume_cache,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = CAIRN_CMD_MIRROR_QUORUM,
		.doit = cairn_nl_mirror_quorum,
		.flags = GENL_ADMIN_PERM,
	},
};

static const struct genl_multicast_group cairn_nl_mcgrps[] = {
	{ .name = CAIRN_GENL_MCAST_EVENTS, },
};

static struct genl_family cairn_genl_family __ro_after_init = {
	.name = CAIRN_GENL_NAME,
	.version = CAIRN_GENL_VERSION,
	.maxattr = CAIRN_ATTR_MAX,
	.policy = cairn_nl_policy,
	.module = THIS_MODULE,
	.ops = cairn_nl_ops,
	.n_ops = ARRAY_SIZE(cairn_nl_ops),
	.mcgrps = cairn_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(cairn_nl_mcgrps),
};

int __init cairn_netlink_init(void)
{
	int r;

	r = genl_register_family(&cairn_genl_family);
	if (r)
		DMERR("generic netlink family registration failed: %d", r);

	return r;
}

void cairn_netlink_exit(void)
{
	genl_unregister_family(&cairn_genl_family);
}
