/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcairn - the userland side of Cairn's control plane, shared by cairnctl
 * and cairnd.
 *
 * Functions return 0 or a negative errno.  When the kernel refuses a request
 * with an extack message, cairn_nl_error() returns that message until the
 * next request on the same handle.
 */
#ifndef LIBCAIRN_H
#define LIBCAIRN_H

#include <stdint.h>

struct cairn_nl;

struct cairn_info {
	char module_version[65];
	char target_version[65];
	uint32_t genl_version;
	uint32_t pool_count;
	int family_id;
};

/*
 * Connect to the "cairn" generic netlink family; -ENOENT when the family
 * does not exist (cairn.ko not loaded).
 */
int cairn_nl_open(struct cairn_nl **nlp);
void cairn_nl_close(struct cairn_nl *nl);

/* The kernel's extack message for the last refusal, or "" if none. */
const char *cairn_nl_error(const struct cairn_nl *nl);

int cairn_nl_get_info(struct cairn_nl *nl, struct cairn_info *info);

#endif /* LIBCAIRN_H */
