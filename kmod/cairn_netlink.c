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
#include <linux/device-mapper.h>
#include <net/genetlink.h>

#include "cairn.h"
#include "uapi/cairn_nl.h"

static const struct nla_policy cairn_nl_policy[CAIRN_ATTR_MAX + 1] = {
	[CAIRN_ATTR_MODULE_VERSION] = { .type = NLA_NUL_STRING,
					.len = CAIRN_NAME_MAX - 1 },
	[CAIRN_ATTR_GENL_VERSION] = { .type = NLA_U32 },
	[CAIRN_ATTR_TARGET_VERSION] = { .type = NLA_NUL_STRING,
					.len = CAIRN_NAME_MAX - 1 },
	[CAIRN_ATTR_POOL_COUNT] = { .type = NLA_U32 },
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

static const struct genl_ops cairn_nl_ops[] = {
	{
		.cmd = CAIRN_CMD_GET_INFO,
		.doit = cairn_nl_get_info,
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
