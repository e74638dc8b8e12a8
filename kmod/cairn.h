/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cairn.ko internal interfaces between the module's adapters.
 */
#ifndef CAIRN_H
#define CAIRN_H

#include <linux/list.h>
#include <linux/mutex.h>

#include "core/names.h"

#define DM_MSG_PREFIX "cairn"

#define CAIRN_MODULE_VERSION "0.1.0"

#define CAIRN_TARGET_MAJOR 0
#define CAIRN_TARGET_MINOR 1
#define CAIRN_TARGET_PATCH 0

/* An assembled pool, as the registry knows it. */
struct cairn_pool {
	struct list_head list;
	char name[CAIRN_NAME_LEN + 1];
};

/*
 * Pools known to this module.  A pool joins the registry when it is created
 * or opened over netlink and leaves it when it is closed; the registry mutex
 * serialises control operations, never the I/O path.
 */
struct cairn_registry {
	struct mutex lock;		/* protects pools and nr_pools */
	struct list_head pools;
	unsigned int nr_pools;
};

extern struct cairn_registry cairn_registry;

unsigned int cairn_pool_count(void);
bool cairn_pool_find(const char *name);

int cairn_target_init(void);
void cairn_target_exit(void);

int cairn_netlink_init(void);
void cairn_netlink_exit(void);

#endif /* CAIRN_H */
