/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shims for kmod/core: the kernel types and helpers core code
 * uses, on top of libc and the kernel's uapi headers.  Included only through
 * ../compat.h.
 */
#ifndef CAIRN_CORE_COMPAT_USER_H
#define CAIRN_CORE_COMPAT_USER_H

#include <assert.h>		/* static_assert */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <endian.h>
#include <linux/types.h>	/* __u8.., and __le16.. (bitwise under sparse) */

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s64 s64;

#define cpu_to_le16(x) ((__force __le16)htole16(x))
#define cpu_to_le32(x) ((__force __le32)htole32(x))
#define cpu_to_le64(x) ((__force __le64)htole64(x))
#define le16_to_cpu(x) le16toh((__force u16)(x))
#define le32_to_cpu(x) le32toh((__force u32)(x))
#define le64_to_cpu(x) le64toh((__force u64)(x))

/* Big-endian fields at any alignment (the replication protocol's). */
static inline u16 get_unaligned_be16(const void *p)
{
	u16 v;

	memcpy(&v, p, sizeof(v));
	return be16toh(v);
}

static inline u32 get_unaligned_be32(const void *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return be32toh(v);
}

static inline u64 get_unaligned_be64(const void *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

static inline void put_unaligned_be16(u16 v, void *p)
{
	v = htobe16(v);
	memcpy(p, &v, sizeof(v));
}

static inline void put_unaligned_be32(u32 v, void *p)
{
	v = htobe32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void put_unaligned_be64(u64 v, void *p)
{
	v = htobe64(v);
	memcpy(p, &v, sizeof(v));
}

#ifndef __force
#ifdef __CHECKER__
#define __force __attribute__((force))
#else
#define __force
#endif
#endif

#ifndef __packed
#define __packed __attribute__((__packed__))
#endif

/* Single-word accesses the lock-free lookup relies on. */
#define READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
/* The kernel's acquire/release pair, as C11 atomics. */
#define smp_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
/* The kernel's acquire/release pair, as C11 atomics. */
#define smp_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

#define BIT(n) (1UL << (n))
#define BIT_ULL(n) (1ULL << (n))

static inline void *cairn_zalloc(size_t n)
{
	return calloc(1, n);
}

static inline void cairn_free(void *p)
{
	free(p);
}

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

u32 crc32c(u32 crc, const void *address, unsigned int length);

#endif /* CAIRN_CORE_COMPAT_USER_H */
