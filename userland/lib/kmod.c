// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libcairn: kernel modules through libkmod, as modprobe loads them
 * (dependencies first, a module already loaded or built in is success),
 * and configfs mounted where LIO expects it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <libkmod.h>

#include "libcairn.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define CONFIGFS_MAGIC 0x62656570
#define CONFIGFS_PATH "/sys/kernel/config"

int cairn_kmod_load(const char *name, char *err, size_t errlen)
{
	struct kmod_list *list = NULL, *it;
	struct kmod_ctx *ctx;
	char path[256];
	struct stat st;
	int r, found = 0;

	/* Loaded already (or built in): no need to read the index. */
	snprintf(path, sizeof(path), "/sys/module/%s", name);
	for (char *p = path + 12; *p; p++)
		if (*p == '-')
			*p = '_';
	if (!stat(path, &st))
		return 0;
	ctx = kmod_new(NULL, NULL);
	if (!ctx) {
		snprintf(err, errlen, "%s: cannot read the module index", name);
		return -ENOMEM;
	}
	r = kmod_module_new_from_lookup(ctx, name, &list);
	if (r < 0) {
		snprintf(err, errlen, "module %s: lookup failed: %s", name,
			 strerror(-r));
		goto out;
	}
	kmod_list_foreach(it, list) {
		struct kmod_module *mod = kmod_module_get_module(it);

		found = 1;
		r = kmod_module_probe_insert_module(mod,
						    KMOD_PROBE_IGNORE_LOADED,
						    NULL, NULL, NULL, NULL);
		if (r > 0)	/* blacklisted or similar: refused by policy */
			r = -EPERM;
		if (r < 0)
			snprintf(err, errlen, "module %s: %s", name,
				 strerror(-r));
		kmod_module_unref(mod);
		if (r < 0)
			break;
	}
	if (!found) {
		r = -ENOENT;
		snprintf(err, errlen, "module %s: not found for this kernel",
			 name);
	}
	kmod_module_unref_list(list);
out:
	kmod_unref(ctx);
	return r < 0 ? r : 0;
}

static int mount_configfs(char *err, size_t errlen)
{
	struct statfs st;

	if (!statfs(CONFIGFS_PATH, &st) && st.f_type == CONFIGFS_MAGIC)
		return 0;
	if (mount("configfs", CONFIGFS_PATH, "configfs", 0, NULL)) {
		int r = -errno;

		snprintf(err, errlen, "cannot mount configfs on %s: %s",
			 CONFIGFS_PATH, strerror(-r));
		return r;
	}
	return 0;
}

int cairn_kmod_load_lio(char *err, size_t errlen)
{
	static const char *const lio[] = {
		"configfs", "target_core_mod", "target_core_iblock",
		"iscsi_target_mod", "tcm_loop",
	};
	unsigned int i;
	int r;

	for (i = 0; i < ARRAY_SIZE(lio); i++) {
		r = cairn_kmod_load(lio[i], err, errlen);
		if (r)
			return r;
		if (i == 0) {
			r = mount_configfs(err, errlen);
			if (r)
				return r;
		}
	}
	return 0;
}

int cairn_kmod_load_all(bool exports, char *err, size_t errlen)
{
	static const char *const base[] = { "dm_mod", "cairn" };
	unsigned int i;
	int r;

	for (i = 0; i < ARRAY_SIZE(base); i++) {
		r = cairn_kmod_load(base[i], err, errlen);
		if (r)
			return r;
	}
	return exports ? cairn_kmod_load_lio(err, errlen) : 0;
}
