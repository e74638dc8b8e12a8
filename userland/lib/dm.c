// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libcairn: volumes' block devices through libdevmapper.
 *
 * A volume's device is cairn-<pool>-<volume> with the one-target table
 * "0 <sectors> cairn <pool> <volume>".  Without udev (rescue shells, test
 * VMs) libdevmapper makes the /dev/mapper node itself.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libdevmapper.h>

#include "libcairn.h"

int cairn_dm_name(const char *pool, const char *volume, char *out, size_t len)
{
	int n = snprintf(out, len, "cairn-%s-%s", pool, volume);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int cairn_dm_run(int type, const char *pool, const char *volume,
			uint64_t size, char *err, size_t errlen)
{
	char name[160], params[160];
	struct dm_task *dmt;
	uint32_t cookie = 0;
	int r = -EIO;

	if (cairn_dm_name(pool, volume, name, sizeof(name))) {
		snprintf(err, errlen, "device name too long");
		return -ENAMETOOLONG;
	}
	dmt = dm_task_create(type);
	if (!dmt) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (!dm_task_set_name(dmt, name))
		goto out;
	if (type == DM_DEVICE_CREATE || type == DM_DEVICE_RELOAD) {
		snprintf(params, sizeof(params), "%s %s", pool, volume);
		if (!dm_task_add_target(dmt, 0, size >> 9, "cairn", params))
			goto out;
	}
	/*
	 * A resume after a reload (a resize) suspends the old table first:
	 * without flushing, so that writes waiting for pool space are handed
	 * back to dm and issued again on the new table instead of failing.
	 */
	if (type == DM_DEVICE_RESUME && !dm_task_no_flush(dmt))
		goto out;
	if ((type == DM_DEVICE_CREATE || type == DM_DEVICE_RESUME ||
	     type == DM_DEVICE_REMOVE) &&
	    !dm_task_set_cookie(dmt, &cookie, 0))
		goto out;
	if (dm_task_run(dmt))
		r = 0;
	else
		r = dm_task_get_errno(dmt) ? -dm_task_get_errno(dmt) : -EIO;
	if (cookie)
		dm_udev_wait(cookie);
	/*
	 * Without udev there is no cookie, and libdevmapper only queues the
	 * node: make it now, not when the process exits (cairnd does not).
	 */
	dm_task_update_nodes();
out:
	if (r)
		snprintf(err, errlen, "%s: %s", name, strerror(-r));
	dm_task_destroy(dmt);
	return r;
}

int cairn_dm_activate(const char *pool, const char *volume, uint64_t size,
		      char *err, size_t errlen)
{
	return cairn_dm_run(DM_DEVICE_CREATE, pool, volume, size, err, errlen);
}

int cairn_dm_resize(const char *pool, const char *volume, uint64_t size,
		    char *err, size_t errlen)
{
	int r = cairn_dm_run(DM_DEVICE_RELOAD, pool, volume, size, err, errlen);

	return r ? r : cairn_dm_run(DM_DEVICE_RESUME, pool, volume, 0, err, errlen);
}

int cairn_dm_deactivate(const char *pool, const char *volume,
			char *err, size_t errlen)
{
	return cairn_dm_run(DM_DEVICE_REMOVE, pool, volume, 0, err, errlen);
}

int cairn_dm_exists(const char *pool, const char *volume)
{
	struct dm_task *dmt;
	struct dm_info info;
	char name[160];
	int r = 0;

	if (cairn_dm_name(pool, volume, name, sizeof(name)))
		return 0;
	dmt = dm_task_create(DM_DEVICE_INFO);
	if (!dmt)
		return 0;
	if (dm_task_set_name(dmt, name) && dm_task_run(dmt) &&
	    dm_task_get_info(dmt, &info) && info.exists)
		r = 1;
	dm_task_destroy(dmt);
	return r;
}
