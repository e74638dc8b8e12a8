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

#include <stddef.h>
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

#define CAIRN_MAX_DEVICES 64

struct cairn_member_desc {
	uint32_t index;
	char device[256];
	uint8_t uuid[16];
	uint64_t size;			/* bytes */
	uint64_t chunks;
	uint64_t used;			/* chunks */
};

struct cairn_pool_desc {
	char name[65];
	uint8_t uuid[16];
	uint32_t chunk_size;
	uint64_t capacity, allocated, free;	/* bytes */
	uint32_t mode;			/* enum cairn_pool_mode */
	uint32_t threshold;		/* percent, 0 = none */
	uint32_t nospace_policy;	/* enum cairn_nospace */
	uint32_t nospace_timeout;	/* seconds */
	uint32_t volume_count;
	unsigned int nr_members;
	struct cairn_member_desc members[CAIRN_MAX_DEVICES];
	uint64_t counters[16];		/* by enum cairn_counter */
};

/* Settings: a negative value (or 0 chunk_size) leaves it to the kernel. */
struct cairn_pool_opts {
	uint32_t chunk_size;
	int64_t threshold;
	int64_t nospace_policy;
	int64_t nospace_timeout;
};

struct cairn_event_desc {
	char pool[65];
	uint32_t event;			/* enum cairn_nl_event */
	uint64_t value, capacity, allocated;
};

int cairn_nl_pool_create(struct cairn_nl *nl, const char *name,
			 char *const *devices, unsigned int nr,
			 const struct cairn_pool_opts *opts,
			 struct cairn_pool_desc *out);
int cairn_nl_pool_open(struct cairn_nl *nl, char *const *devices,
		       unsigned int nr, struct cairn_pool_desc *out);
int cairn_nl_pool_close(struct cairn_nl *nl, const char *name);
int cairn_nl_pool_add_member(struct cairn_nl *nl, const char *name,
			     const char *device, struct cairn_pool_desc *out);
int cairn_nl_pool_set(struct cairn_nl *nl, const char *name,
		      const struct cairn_pool_opts *opts,
		      struct cairn_pool_desc *out);
int cairn_nl_pool_get(struct cairn_nl *nl, const char *name,
		      struct cairn_pool_desc *out);
/* Every open pool, one call of @cb each (a nonzero return stops). */
int cairn_nl_pool_list(struct cairn_nl *nl,
		       int (*cb)(const struct cairn_pool_desc *desc, void *arg),
		       void *arg);
/*
 * Join the events group and call @cb for each event until it returns
 * nonzero (that value is returned) or an error occurs.
 */
int cairn_nl_events(struct cairn_nl *nl,
		    int (*cb)(const struct cairn_event_desc *ev, void *arg),
		    void *arg);

struct cairn_volume_desc {
	char pool[65];
	char name[65];
	uint8_t uuid[16];
	uint64_t size;			/* bytes */
	uint64_t mapped;		/* bytes */
};

int cairn_nl_volume_create(struct cairn_nl *nl, const char *pool,
			   const char *name, uint64_t size,
			   struct cairn_volume_desc *out);
int cairn_nl_volume_delete(struct cairn_nl *nl, const char *pool,
			   const char *name);
int cairn_nl_volume_resize(struct cairn_nl *nl, const char *pool,
			   const char *name, uint64_t size,
			   struct cairn_volume_desc *out);
int cairn_nl_volume_get(struct cairn_nl *nl, const char *pool,
			const char *name, struct cairn_volume_desc *out);
/* Volumes of @pool (NULL: of every pool). */
int cairn_nl_volume_list(struct cairn_nl *nl, const char *pool,
			 int (*cb)(const struct cairn_volume_desc *v, void *arg),
			 void *arg);

/*
 * The volume's block device, /dev/mapper/cairn-<pool>-<volume>, through
 * libdevmapper.  Errors: negative errno, with a message in @err.
 */
int cairn_dm_name(const char *pool, const char *volume, char *out, size_t len);
int cairn_dm_activate(const char *pool, const char *volume, uint64_t size,
		      char *err, size_t errlen);
int cairn_dm_resize(const char *pool, const char *volume, uint64_t size,
		    char *err, size_t errlen);
int cairn_dm_deactivate(const char *pool, const char *volume,
			char *err, size_t errlen);
/* 1 if the device exists, 0 if not. */
int cairn_dm_exists(const char *pool, const char *volume);

const char *cairn_mode_name(uint32_t mode);

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into @out (37 bytes). */
void cairn_uuid_str(const uint8_t *uuid, char *out);
/* "1.5 GiB" */
void cairn_human_size(uint64_t bytes, char *out, size_t len);
const char *cairn_event_name(uint32_t event);

#endif /* LIBCAIRN_H */
