// SPDX-License-Identifier: GPL-2.0
/*
 * The device-mapper target "cairn": one thin volume of a Cairn pool.
 *
 * A volume's block device is /dev/mapper/cairn-<pool>-<volume>, created from
 * userland with libdevmapper.  The pool must already be assembled (created
 * or opened over the "cairn" generic netlink family) and must hold the
 * volume; the target never assembles a pool on its own, so a table can not
 * name disks behind the pool's back.
 */
#include <linux/module.h>
#include <linux/device-mapper.h>

#include "cairn.h"
#include "core/names.h"

/*
 * Construct a cairn volume mapping:
 *
 *   cairn <pool name> <volume name>
 *
 * Both names follow cairn_name_check(): 1-64 characters of [A-Za-z0-9._-].
 */
static int cairn_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	if (argc != 2) {
		ti->error = "Invalid argument count: expected <pool> <volume>";
		return -EINVAL;
	}

	if (cairn_name_check(argv[0], strlen(argv[0]) + 1)) {
		ti->error = "Invalid pool name";
		return -EINVAL;
	}

	if (cairn_name_check(argv[1], strlen(argv[1]) + 1)) {
		ti->error = "Invalid volume name";
		return -EINVAL;
	}

	/* Volumes are served from assembled pools only. */
	mutex_lock(&cairn_registry.lock);
	if (!cairn_kpool_find(argv[0])) {
		mutex_unlock(&cairn_registry.lock);
		ti->error = "Pool not found";
		return -ENODEV;
	}
	mutex_unlock(&cairn_registry.lock);

	ti->error = "Volume not found";
	return -ENOENT;
}

static struct target_type cairn_target = {
	.name = "cairn",
	.version = { CAIRN_TARGET_MAJOR, CAIRN_TARGET_MINOR, CAIRN_TARGET_PATCH },
	.module = THIS_MODULE,
	.ctr = cairn_ctr,
};

int __init cairn_target_init(void)
{
	int r;

	r = dm_register_target(&cairn_target);
	if (r)
		DMERR("target registration failed: %d", r);

	return r;
}

void cairn_target_exit(void)
{
	dm_unregister_target(&cairn_target);
}
