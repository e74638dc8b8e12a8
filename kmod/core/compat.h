/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one portability header of kmod/core.
 *
 * Core code is written against the kernel's types and helpers.  Built into
 * cairn.ko it gets the real ones; built into the userspace library (unit
 * tests, crash harness, fuzzers, cairn-check) it gets the shims of
 * core/user/, written the way the kernel's tools/include does it.  Nothing
 * else in core/ may include a kernel or libc header.
 */
#ifndef CAIRN_CORE_COMPAT_H
#define CAIRN_CORE_COMPAT_H

#ifdef __KERNEL__

#include <linux/types.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/kernel.h>
#include <linux/crc32c.h>
#include <linux/build_bug.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/bitops.h>
#include <asm/byteorder.h>
#include <asm/unaligned.h>

#define cairn_zalloc(n) kvzalloc(n, GFP_NOIO)
#define cairn_free(p) kvfree(p)

#else /* userspace */

#include "user/compat_user.h"

#endif /* __KERNEL__ */

#endif /* CAIRN_CORE_COMPAT_H */
