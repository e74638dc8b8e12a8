// SPDX-License-Identifier: GPL-2.0
/*
 * cairn.ko - pooled, thin-provisioned, cached and mirrored volumes.
 *
 * This file ties the module together: the pool registry shared by the
 * device-mapper target (cairn_target.c) and the generic netlink control
 * family (cairn_netlink.c), and module init/exit.
 *
 * Registration order matters: the netlink family comes first so that the
 * control plane exists before any table can name a pool, and leaves last.
 */
#include <linux/module.h>
#include <linux/device-mapper.h>

#include "cairn.h"

struct cairn_registry cairn_registry = {
	.lock = __MUTEX_INITIALIZER(cairn_registry.lock),
	.pools = LIST_HEAD_INIT(cairn_registry.pools),
};

unsigned int cairn_pool_count(void)
{
	unsigned int n;

	mutex_lock(&cairn_registry.lock);
	n = cairn_registry.nr_pools;
	mutex_unlock(&cairn_registry.lock);

	return n;
}

/* The pool of this name, or NULL.  The registry lock is held. */
struct cairn_kpool *cairn_kpool_find(const char *name)
{
	struct cairn_kpool *kp;

	lockdep_assert_held(&cairn_registry.lock);
	list_for_each_entry(kp, &cairn_registry.pools, list)
		if (!strcmp(kp->name, name))
			return kp;
	return NULL;
}

static int __init cairn_init(void)
{
	int r;

	r = cairn_volume_init();
	if (r)
		return r;

	r = cairn_mirror_init();
	if (r)
		goto out_volume;

	r = cairn_cache_init();
	if (r)
		goto out_mirror;

	r = cairn_netlink_init();
	if (r)
		goto out_cache;

	r = cairn_target_init();
	if (r)
		goto out_netlink;

	DMINFO("version %s loaded", CAIRN_MODULE_VERSION);
	return 0;

out_netlink:
	cairn_netlink_exit();
out_cache:
	cairn_cache_exit();
out_mirror:
	cairn_mirror_exit();
out_volume:
	cairn_volume_exit();
	return r;
}

static void __exit cairn_exit(void)
{
	cairn_target_exit();
	cairn_netlink_exit();
	cairn_cache_exit();
	cairn_mirror_exit();
	cairn_volume_exit();
	DMINFO("unloaded");
}

module_init(cairn_init);
module_exit(cairn_exit);

MODULE_DESCRIPTION(DM_NAME " cairn pooled thin volume target");
MODULE_AUTHOR("The Cairn developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(CAIRN_MODULE_VERSION);
