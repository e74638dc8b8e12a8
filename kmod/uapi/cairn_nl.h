/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Cairn generic netlink interface.
 *
 * This header is the single source of the ABI between cairn.ko and userland
 * (libcairn, cairnctl, cairnd).  Family name CAIRN_GENL_NAME, version
 * CAIRN_GENL_VERSION; every command requires CAP_NET_ADMIN and every refusal
 * carries an extack message.
 *
 * Commands:
 *   CAIRN_CMD_GET_INFO   reply: MODULE_VERSION, GENL_VERSION,
 *                        TARGET_VERSION (3 x u32 as "major.minor.patch"),
 *                        POOL_COUNT
 *
 * Multicast group CAIRN_GENL_MCAST_EVENTS carries CAIRN_CMD_EVENT messages.
 */
#ifndef _UAPI_CAIRN_NL_H
#define _UAPI_CAIRN_NL_H

#define CAIRN_GENL_NAME		"cairn"
#define CAIRN_GENL_VERSION	1
#define CAIRN_GENL_MCAST_EVENTS	"events"

/* Limits of string attributes, including the terminating NUL. */
#define CAIRN_NAME_MAX		65

enum cairn_cmd {
	CAIRN_CMD_UNSPEC,
	CAIRN_CMD_GET_INFO,
	CAIRN_CMD_EVENT,

	__CAIRN_CMD_MAX,
};

#define CAIRN_CMD_MAX (__CAIRN_CMD_MAX - 1)

enum cairn_attr {
	CAIRN_ATTR_UNSPEC,
	CAIRN_ATTR_MODULE_VERSION,	/* string */
	CAIRN_ATTR_GENL_VERSION,	/* u32 */
	CAIRN_ATTR_TARGET_VERSION,	/* string, "major.minor.patch" */
	CAIRN_ATTR_POOL_COUNT,		/* u32 */

	__CAIRN_ATTR_MAX,
};

#define CAIRN_ATTR_MAX (__CAIRN_ATTR_MAX - 1)

#endif /* _UAPI_CAIRN_NL_H */
