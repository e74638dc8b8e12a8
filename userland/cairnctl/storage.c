// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cairnctl: /pools and /volumes - the kernel's pools and thin volumes
 * (generic netlink) and the volumes' block devices (device-mapper).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairnctl.h"
#include "uapi/cairn_nl.h"

/* ---- listing ---- */

struct list {
	struct cairn_pool_desc *pools;
	struct cairn_volume_desc *vols;
	unsigned int n;
};

/* Append *@elem (of @size bytes) to the array *@arrp of *@n elements. */
static int append(void *arrp, unsigned int *n, const void *elem, size_t size)
{
	char **arr = arrp, *a = realloc(*arr, (*n + 1) * size);

	if (!a)
		return -ENOMEM;
	memcpy(a + (*n)++ * size, elem, size);
	*arr = a;
	return 0;
}

static int pool_cb(const struct cairn_pool_desc *d, void *arg)
{
	struct list *l = arg;

	return append(&l->pools, &l->n, d, sizeof(*d));
}

static int vol_cb(const struct cairn_volume_desc *v, void *arg)
{
	struct list *l = arg;

	return append(&l->vols, &l->n, v, sizeof(*v));
}

static int list_pools(struct ctx *c, struct list *l)
{
	struct cairn_nl *nl;
	int r;

	memset(l, 0, sizeof(*l));
	if (nl_get(c, &nl))
		return 1;
	r = cairn_nl_pool_list(nl, pool_cb, l);
	if (r) {
		free(l->pools);
		return err_nl(c, "listing pools", r);
	}
	return 0;
}

static int list_volumes(struct ctx *c, const char *pool, struct list *l)
{
	struct cairn_nl *nl;
	int r;

	memset(l, 0, sizeof(*l));
	if (nl_get(c, &nl))
		return 1;
	r = cairn_nl_volume_list(nl, pool, vol_cb, l);
	if (r) {
		free(l->vols);
		return err_nl(c, "listing volumes", r);
	}
	return 0;
}

static unsigned int pct(uint64_t part, uint64_t whole)
{
	return whole ? (unsigned int)(part * 100 / whole) : 0;
}

int pools_children(struct ctx *c, struct child **out)
{
	struct child *a = NULL;
	char cap[32];
	struct list l;
	unsigned int i;

	if (list_pools(c, &l))
		return 1;
	a = calloc(l.n + 1, sizeof(*a));
	if (!a) {
		free(l.pools);
		return err_msg("out of memory");
	}
	for (i = 0; i < l.n; i++) {
		const struct cairn_pool_desc *d = &l.pools[i];

		cairn_human_size(d->capacity, cap, sizeof(cap));
		snprintf(a[i].name, sizeof(a[i].name), "%s", d->name);
		snprintf(a[i].summary, sizeof(a[i].summary),
			 "%s, %u member%s, %u%% allocated, %u volume%s, %s", cap,
			 d->nr_members, d->nr_members == 1 ? "" : "s",
			 pct(d->allocated, d->capacity), d->volume_count,
			 d->volume_count == 1 ? "" : "s", cairn_mode_name(d->mode));
	}
	free(l.pools);
	*out = a;
	return 0;
}

int volumes_children(struct ctx *c, struct child **out)
{
	char size[32], mapped[32], exp[512];
	struct child *a;
	struct list l;
	unsigned int i;

	if (list_volumes(c, NULL, &l))
		return 1;
	a = calloc(l.n + 1, sizeof(*a));
	if (!a) {
		free(l.vols);
		return err_msg("out of memory");
	}
	for (i = 0; i < l.n; i++) {
		const struct cairn_volume_desc *v = &l.vols[i];
		const char *e = volume_export(c, v->name, exp, sizeof(exp));

		cairn_human_size(v->size, size, sizeof(size));
		cairn_human_size(v->mapped, mapped, sizeof(mapped));
		snprintf(a[i].name, sizeof(a[i].name), "%s", v->name);
		snprintf(a[i].summary, sizeof(a[i].summary),
			 "pool %s, %s thin, %s mapped, %s%s%s%s%.100s", v->pool,
			 size, mapped, cairn_dm_exists(v->pool, v->name) ?
			 "active" : "inactive",
			 v->cache.present && v->cache.mode ? ", cache " : "",
			 v->cache.present && v->cache.mode ?
			 cairn_cache_mode_name(v->cache.mode) : "",
			 e ? ", exported " : "", e ? e : "");
	}
	free(l.vols);
	*out = a;
	return 0;
}

static struct json_object *pool_json(const struct cairn_pool_desc *d)
{
	static const char *const names[] = {
		[CAIRN_CNT_READS] = "reads",
		[CAIRN_CNT_WRITES] = "writes",
		[CAIRN_CNT_ZERO_READS] = "unmapped_reads",
		[CAIRN_CNT_PROVISIONS] = "provisioned_chunks",
		[CAIRN_CNT_DISCARDS] = "discarded_chunks",
		[CAIRN_CNT_FLUSHES] = "flushes",
		[CAIRN_CNT_NOSPACE] = "nospace_writes",
		[CAIRN_CNT_IO_ERRORS] = "io_errors",
		[CAIRN_CNT_COMMITS] = "commits",
		[CAIRN_CNT_MEMBER_FLUSHES] = "member_flushes",
	};
	struct json_object *o = json_object_new_object();
	struct json_object *ms = json_object_new_array(), *cnt;
	char uuid[40];
	unsigned int i;

	cairn_uuid_str(d->uuid, uuid);
	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "uuid", json_object_new_string(uuid));
	json_object_object_add(o, "chunk_size", json_object_new_int64(d->chunk_size));
	json_object_object_add(o, "capacity", json_object_new_int64(d->capacity));
	json_object_object_add(o, "allocated", json_object_new_int64(d->allocated));
	json_object_object_add(o, "free", json_object_new_int64(d->free));
	json_object_object_add(o, "mode",
			       json_object_new_string(cairn_mode_name(d->mode)));
	json_object_object_add(o, "threshold", json_object_new_int64(d->threshold));
	json_object_object_add(o, "nospace",
			       json_object_new_string(d->nospace_policy ?
						      "wait" : "error"));
	json_object_object_add(o, "nospace_timeout",
			       json_object_new_int64(d->nospace_timeout));
	json_object_object_add(o, "volumes", json_object_new_int64(d->volume_count));
	for (i = 0; i < d->nr_members; i++) {
		const struct cairn_member_desc *m = &d->members[i];
		struct json_object *mo = json_object_new_object();

		cairn_uuid_str(m->uuid, uuid);
		json_object_object_add(mo, "index", json_object_new_int64(m->index));
		json_object_object_add(mo, "device", json_object_new_string(m->device));
		json_object_object_add(mo, "uuid", json_object_new_string(uuid));
		json_object_object_add(mo, "size", json_object_new_int64(m->size));
		json_object_object_add(mo, "chunks", json_object_new_int64(m->chunks));
		json_object_object_add(mo, "used_chunks", json_object_new_int64(m->used));
		json_object_array_add(ms, mo);
	}
	json_object_object_add(o, "members", ms);
	cnt = json_object_new_object();
	for (i = CAIRN_CNT_READS; i <= CAIRN_CNT_MAX; i++)
		if (names[i])
			json_object_object_add(cnt, names[i],
					       json_object_new_int64(d->counters[i]));
	json_object_object_add(o, "counters", cnt);
	return o;
}

static void pool_text(const struct cairn_pool_desc *d)
{
	char cap[32], alloc[32], sz[32], uuid[40], chunk[32];
	unsigned int i;

	exact_size(d->chunk_size, chunk, sizeof(chunk));
	cairn_human_size(d->capacity, cap, sizeof(cap));
	cairn_human_size(d->allocated, alloc, sizeof(alloc));
	cairn_uuid_str(d->uuid, uuid);
	printf("pool %s %s\n", d->name, uuid);
	printf("  mode %s, capacity %s, allocated %s (%u%%), chunk %s, %u volume%s\n",
	       cairn_mode_name(d->mode), cap, alloc, pct(d->allocated, d->capacity),
	       chunk, d->volume_count, d->volume_count == 1 ? "" : "s");
	printf("  threshold %u%%, when full: %s", d->threshold,
	       d->nospace_policy ? "wait" : "error");
	if (d->nospace_policy)
		printf(" up to %u s", d->nospace_timeout);
	printf("\n");
	printf("  I/O: %" PRIu64 " reads, %" PRIu64 " writes, %" PRIu64 " unmapped reads, ",
	       d->counters[CAIRN_CNT_READS], d->counters[CAIRN_CNT_WRITES],
	       d->counters[CAIRN_CNT_ZERO_READS]);
	printf("%" PRIu64 " chunks provisioned, %" PRIu64 " discarded, %" PRIu64 " flushes, ",
	       d->counters[CAIRN_CNT_PROVISIONS], d->counters[CAIRN_CNT_DISCARDS],
	       d->counters[CAIRN_CNT_FLUSHES]);
	printf("%" PRIu64 " commits (%" PRIu64 " flushed the members), ",
	       d->counters[CAIRN_CNT_COMMITS], d->counters[CAIRN_CNT_MEMBER_FLUSHES]);
	printf("%" PRIu64 " out of space, %" PRIu64 " I/O errors\n",
	       d->counters[CAIRN_CNT_NOSPACE], d->counters[CAIRN_CNT_IO_ERRORS]);
	for (i = 0; i < d->nr_members; i++) {
		const struct cairn_member_desc *m = &d->members[i];

		cairn_human_size(m->size, sz, sizeof(sz));
		printf("  member %u %s: %s, %" PRIu64 " chunks, %" PRIu64 " used\n",
		       m->index, m->device, sz, m->chunks, m->used);
	}
}

/*
 * Percent of the volume the peer is known to have: the primary knows it
 * from its bitmap; a secondary only knows whether it is consistent (-1:
 * not known).  Never 100 while a byte is out of sync.
 */
static int sync_percent(const struct cairn_volume_desc *v)
{
	const struct cairn_mirror_desc *m = &v->mirror;
	unsigned int p;

	if (m->role != CAIRN_ROLE_PRIMARY)
		return m->disk == CAIRN_MDISK_CONSISTENT ? 100 : -1;
	if (!v->size || m->oos >= v->size)
		return 0;
	p = (v->size - m->oos) * 100 / v->size;
	return m->oos && p == 100 ? 99 : (int)p;
}

/* The kernel's lease of a mirrored primary (cairnd's quorum). */
static const char *lease_name(uint32_t lease)
{
	return lease == 1 ? "held" : lease == 2 ? "lapsed" : "none";
}

/* The primary's sender, for a volume's JSON. */
static struct json_object *sender_json(const struct cairn_mirror_desc *m)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "batches", json_object_new_int64(m->tx_batches));
	json_object_object_add(o, "messages", json_object_new_int64(m->tx_msgs));
	json_object_object_add(o, "rides", json_object_new_int64(m->tx_rides));
	json_object_object_add(o, "copied", json_object_new_int64(m->tx_copied));
	return o;
}

struct json_object *volume_json(const struct cairn_volume_desc *v)
{
	struct json_object *o = json_object_new_object();
	char uuid[40], dev[200];

	cairn_uuid_str(v->uuid, uuid);
	cairn_dm_name(v->pool, v->name, dev, sizeof(dev));
	json_object_object_add(o, "pool", json_object_new_string(v->pool));
	json_object_object_add(o, "name", json_object_new_string(v->name));
	json_object_object_add(o, "uuid", json_object_new_string(uuid));
	json_object_object_add(o, "size", json_object_new_int64(v->size));
	json_object_object_add(o, "mapped", json_object_new_int64(v->mapped));
	if (cairn_dm_exists(v->pool, v->name)) {
		char path[256];

		snprintf(path, sizeof(path), "/dev/mapper/%s", dev);
		json_object_object_add(o, "device", json_object_new_string(path));
	} else {
		json_object_object_add(o, "device", NULL);
	}
	if (v->mirror.mirrored) {
		const struct cairn_mirror_desc *m = &v->mirror;
		struct json_object *mo = json_object_new_object();

		json_object_object_add(mo, "role",
				       json_object_new_string(cairn_mirror_role_name(m->role)));
		json_object_object_add(mo, "peer", json_object_new_string(m->peer));
		json_object_object_add(mo, "link",
				       json_object_new_string(cairn_mirror_link_name(m->link)));
		json_object_object_add(mo, "disk",
				       json_object_new_string(cairn_mirror_disk_name(m->disk)));
		json_object_object_add(mo, "peer_role", !cairn_mirror_link_up(m) ? NULL :
			json_object_new_string(cairn_mirror_role_name(m->peer_role)));
		json_object_object_add(mo, "peer_disk", !cairn_mirror_link_up(m) ? NULL :
			json_object_new_string(cairn_mirror_disk_name(m->peer_disk)));
		json_object_object_add(mo, "sync_percent", sync_percent(v) < 0 ? NULL :
				       json_object_new_int(sync_percent(v)));
		json_object_object_add(mo, "out_of_sync", json_object_new_int64(m->oos));
		json_object_object_add(mo, "sent", json_object_new_int64(m->sent));
		json_object_object_add(mo, "resynced",
				       json_object_new_int64(m->resynced));
		json_object_object_add(mo, "grain", json_object_new_int64(m->grain));
		json_object_object_add(mo, "lease",
				       json_object_new_string(lease_name(m->lease)));
		json_object_object_add(mo, "peer_outdated",
				       json_object_new_boolean(m->alone));
		json_object_object_add(mo, "held_writes", json_object_new_int64(m->held));
		json_object_object_add(mo, "activity_log",
				       json_object_new_int64(m->activity));
		json_object_object_add(mo, "last_connect_refused",
				       !m->connect_err ? NULL :
				       json_object_new_string(m->connect_why));
		json_object_object_add(mo, "quorum", ha_volume_state(v->pool, v->name));
		json_object_object_add(mo, "sender", sender_json(m));
		json_object_object_add(o, "mirror", mo);
	}
	if (v->cache.present)
		json_object_object_add(o, "cache", cache_volume_json(&v->cache));
	return o;
}

int pools_json(struct ctx *c, struct json_object **out)
{
	struct list l;
	unsigned int i;

	if (list_pools(c, &l))
		return 1;
	*out = json_object_new_array();
	for (i = 0; i < l.n; i++)
		json_object_array_add(*out, pool_json(&l.pools[i]));
	free(l.pools);
	return 0;
}

int volumes_json(struct ctx *c, struct json_object **out)
{
	struct list l;
	unsigned int i;

	if (list_volumes(c, NULL, &l))
		return 1;
	*out = json_object_new_array();
	for (i = 0; i < l.n; i++)
		json_object_array_add(*out, volume_json(&l.vols[i]));
	free(l.vols);
	return 0;
}

int find_volume(struct ctx *c, const char *name, struct cairn_volume_desc *v)
{
	unsigned int i, found = 0;
	struct list l;

	if (list_volumes(c, NULL, &l))
		return 1;
	for (i = 0; i < l.n; i++) {
		if (strcmp(l.vols[i].name, name))
			continue;
		if (found++) {
			err_msg("volume %s exists in pools %s and %s; rename one",
				name, v->pool, l.vols[i].pool);
			free(l.vols);
			return 1;
		}
		*v = l.vols[i];
	}
	free(l.vols);
	if (!found)
		return err_msg("no volume %s", name);
	return 0;
}

/* ---- the configuration's view of pools and volumes ---- */

static int fill_pool_cfg(struct cairn_cfg_pool *p, const struct cairn_pool_desc *d)
{
	unsigned int i;

	snprintf(p->name, sizeof(p->name), "%s", d->name);
	cairn_uuid_str(d->uuid, p->uuid);
	free(p->members);
	p->members = calloc(d->nr_members, sizeof(*p->members));
	p->nr_members = 0;
	if (!p->members)
		return -ENOMEM;
	for (i = 0; i < d->nr_members; i++) {
		snprintf(p->members[i].device, sizeof(p->members[i].device),
			 "%s", d->members[i].device);
		cairn_uuid_str(d->members[i].uuid, p->members[i].uuid);
	}
	p->nr_members = d->nr_members;
	return 0;
}

/*
 * A volume's mirror as the kernel has it; when the kernel has none, as
 * configured before for the same volume (UUID), so that a mirror not
 * restored yet is not forgotten.  Recorded only with a configured peer
 * (a mirror set up by other means than cairnctl has none).
 */
static void capture_mirror(struct cairn_config *cfg, struct cairn_cfg_volume *cv,
			   const struct cairn_mirror_desc *m,
			   const struct cairn_cfg_volume *old, unsigned int nr_old)
{
	unsigned int i;

	memset(&cv->mirror, 0, sizeof(cv->mirror));
	if (m->mirrored) {
		if (!m->peer[0] || !cairn_config_peer(cfg, m->peer))
			return;
		snprintf(cv->mirror.peer, sizeof(cv->mirror.peer), "%s", m->peer);
		cv->mirror.role = m->role;
		return;
	}
	for (i = 0; i < nr_old; i++) {
		if (strcmp(old[i].name, cv->name) || strcmp(old[i].uuid, cv->uuid))
			continue;
		if (old[i].mirror.peer[0] && cairn_config_peer(cfg, old[i].mirror.peer))
			cv->mirror = old[i].mirror;
	}
}

/*
 * A volume's RAM cache as the kernel has it; when it has none, as
 * configured before for the same volume (UUID), so that a cache not
 * restored yet (no budget at boot) is not forgotten.  `cache mode=off`
 * clears the configured one first.
 */
static void capture_cache(struct cairn_cfg_volume *cv,
			  const struct cairn_cache_desc *d,
			  const struct cairn_cfg_volume *old, unsigned int nr_old)
{
	unsigned int i;

	cache_capture(&cv->cache, d);
	if (cv->cache.mode != CAIRN_CACHE_OFF)
		return;
	for (i = 0; i < nr_old; i++)
		if (!strcmp(old[i].name, cv->name) && !strcmp(old[i].uuid, cv->uuid))
			cv->cache = old[i].cache;
}

/*
 * Open pools and their volumes are recorded as the kernel has them.
 * Configured pools that are not open (a member missing at boot) stay as
 * they were: only close and delete forget a pool.
 */
int capture_storage(struct ctx *c)
{
	struct cairn_config *cfg;
	struct cairn_cfg_pool *p;
	struct cairn_cfg_volume *cv, *old = NULL;
	struct list pools, vols;
	unsigned int i, j, nr_old = 0;

	if (cfg_get(c, &cfg) || list_pools(c, &pools))
		return 1;
	if (list_volumes(c, NULL, &vols)) {
		free(pools.pools);
		return 1;
	}
	/* The configured mirrors, kept where the kernel has none (at boot). */
	old = calloc(cfg->nr_volumes + 1, sizeof(*old));
	if (!old)
		goto nomem;
	memcpy(old, cfg->volumes, cfg->nr_volumes * sizeof(*old));
	nr_old = cfg->nr_volumes;
	for (i = 0; i < pools.n; i++) {
		p = cairn_config_pool(cfg, pools.pools[i].name);
		if (!p)
			p = cairn_config_add_pool(cfg);
		if (!p || fill_pool_cfg(p, &pools.pools[i]))
			goto nomem;
		/* Volumes of an open pool: as the kernel has them. */
		for (j = 0; j < cfg->nr_volumes;) {
			if (!strcmp(cfg->volumes[j].pool, p->name))
				cairn_config_del_volume(cfg, &cfg->volumes[j]);
			else
				j++;
		}
	}
	for (i = 0; i < vols.n; i++) {
		cv = cairn_config_add_volume(cfg);
		if (!cv)
			goto nomem;
		snprintf(cv->pool, sizeof(cv->pool), "%s", vols.vols[i].pool);
		snprintf(cv->name, sizeof(cv->name), "%s", vols.vols[i].name);
		cairn_uuid_str(vols.vols[i].uuid, cv->uuid);
		cv->size = vols.vols[i].size;
		capture_mirror(cfg, cv, &vols.vols[i].mirror, old, nr_old);
		capture_cache(cv, &vols.vols[i].cache, old, nr_old);
	}
	free(old);
	free(pools.pools);
	free(vols.vols);
	return 0;
nomem:
	free(old);
	free(pools.pools);
	free(vols.vols);
	return err_msg("out of memory");
}

/* Forget pool @name and its volumes. */
static int forget_pool(struct ctx *c, const char *name)
{
	struct cairn_config *cfg;
	struct cairn_cfg_pool *p;
	unsigned int j;

	if (cfg_get(c, &cfg))
		return 1;
	p = cairn_config_pool(cfg, name);
	if (p)
		cairn_config_del_pool(cfg, p);
	for (j = 0; j < cfg->nr_volumes;) {
		if (!strcmp(cfg->volumes[j].pool, name))
			cairn_config_del_volume(cfg, &cfg->volumes[j]);
		else
			j++;
	}
	return 0;
}

/* ---- /pools ---- */

static unsigned int split_devices(char *s, char **out)
{
	unsigned int n = 0;
	char *tok, *save = NULL;

	for (tok = strtok_r(s, ",", &save); tok && n < CAIRN_MAX_DEVICES;
	     tok = strtok_r(NULL, ",", &save))
		out[n++] = tok;
	return n;
}

/*
 * The pool's settings, under the names get and -j print: chunk_size (for
 * create), threshold, nospace, nospace_timeout.  Returns the exit status.
 */
static int pool_opts(struct ctx *c, struct cairn_pool_opts *o)
{
	const char *v;
	unsigned long n;

	o->chunk_size = 0;
	o->threshold = -1;
	o->nospace_policy = -1;
	o->nospace_timeout = -1;
	v = arg(c, "chunk_size");
	if (v) {
		uint64_t s;
		int r = size_arg("chunk_size", v, &s);

		if (r)
			return r;
		if (!s || s > UINT32_MAX)
			return err_usage("chunk_size: '%s' is not 64K to 16M", v);
		o->chunk_size = s;
	}
	v = arg(c, "threshold");
	if (v) {
		if (parse_uint(v, 100, &n))
			return err_usage("threshold: '%s' is not a percentage (0-100)",
					 v);
		o->threshold = n;
	}
	v = arg(c, "nospace");
	if (v) {
		if (!strcmp(v, "error"))
			o->nospace_policy = CAIRN_NOSPACE_ERROR;
		else if (!strcmp(v, "wait"))
			o->nospace_policy = CAIRN_NOSPACE_WAIT;
		else
			return err_usage("nospace: '%s' is neither error nor wait", v);
	}
	v = arg(c, "nospace_timeout");
	if (v) {
		if (parse_uint(v, 86400, &n) || !n)
			return err_usage("nospace_timeout: '%s' is not 1-86400 seconds",
					 v);
		o->nospace_timeout = n;
	}
	return 0;
}

static int pool_done(struct ctx *c, const struct cairn_pool_desc *d,
		     const char *verb)
{
	char cap[32], chunk[32];

	if (c->json) {
		print_json(pool_json(d));
		return 0;
	}
	cairn_human_size(d->capacity, cap, sizeof(cap));
	exact_size(d->chunk_size, chunk, sizeof(chunk));
	printf("%s pool %s (%u member%s, %s, %s chunks).\n", verb, d->name,
	       d->nr_members, d->nr_members == 1 ? "" : "s", cap, chunk);
	return 0;
}

static int pools_create(struct ctx *c)
{
	char devs_buf[4096], *devs[CAIRN_MAX_DEVICES];
	struct cairn_pool_desc *d;
	struct cairn_pool_opts o;
	struct cairn_nl *nl;
	unsigned int n;
	int r;

	r = pool_opts(c, &o);
	if (r || nl_get(c, &nl))
		return r ? r : EXIT_REFUSED;
	snprintf(devs_buf, sizeof(devs_buf), "%s", arg(c, "devices"));
	n = split_devices(devs_buf, devs);
	if (!n)
		return err_usage("devices: no device given");
	d = calloc(1, sizeof(*d));
	if (!d)
		return err_msg("out of memory");
	r = cairn_nl_pool_create(nl, arg(c, "name"), devs, n, &o, d);
	r = r ? err_nl(c, "pool create", r) : pool_done(c, d, "Created");
	free(d);
	return r;
}

static int pools_open(struct ctx *c)
{
	char devs_buf[4096], *devs[CAIRN_MAX_DEVICES], err[256];
	struct cairn_pool_desc *d;
	struct cairn_nl *nl;
	unsigned int n, i;
	struct list l;
	int r;

	if (nl_get(c, &nl))
		return 1;
	snprintf(devs_buf, sizeof(devs_buf), "%s", arg(c, "devices"));
	n = split_devices(devs_buf, devs);
	if (!n)
		return err_usage("devices: no device given");
	d = calloc(1, sizeof(*d));
	if (!d)
		return err_msg("out of memory");
	r = cairn_nl_pool_open(nl, devs, n, d);
	if (r) {
		free(d);
		return err_nl(c, "pool open", r);
	}
	/* The volumes come back with their block devices. */
	r = list_volumes(c, d->name, &l);
	if (r) {
		free(d);
		return r;
	}
	for (i = 0; !r && i < l.n; i++) {
		if (cairn_dm_exists(l.vols[i].pool, l.vols[i].name))
			continue;
		if (cairn_dm_activate(l.vols[i].pool, l.vols[i].name,
				      l.vols[i].size, err, sizeof(err)))
			r = err_msg("pool %s opened, but volume %s not activated: %s",
				    d->name, l.vols[i].name, err);
	}
	free(l.vols);
	if (!r)
		r = pool_done(c, d, "Opened");
	free(d);
	return r;
}

/* Deactivate the block devices of @pool's volumes (all or none). */
static int deactivate_all(struct ctx *c, const char *pool,
			  const struct list *l)
{
	char err[256], exp[512];
	unsigned int i, j;

	for (i = 0; i < l->n; i++)
		if (volume_export(c, l->vols[i].name, exp, sizeof(exp)))
			return err_msg("pool %s: volume %s is exported as %s; "
				       "delete that LUN first",
				       pool, l->vols[i].name, exp);
	for (i = 0; i < l->n; i++) {
		if (!cairn_dm_exists(l->vols[i].pool, l->vols[i].name))
			continue;
		if (cairn_dm_deactivate(l->vols[i].pool, l->vols[i].name, err,
					sizeof(err))) {
			err_msg("pool %s: volume %s is in use: %s", pool,
				l->vols[i].name, err);
			for (j = 0; j < i; j++)
				cairn_dm_activate(l->vols[j].pool, l->vols[j].name,
						  l->vols[j].size, err, sizeof(err));
			return 1;
		}
	}
	return 0;
}

static int close_pool(struct ctx *c, const char *name, const char *what)
{
	struct cairn_nl *nl;
	char err[256];
	unsigned int i;
	struct list l;
	int r;

	if (nl_get(c, &nl) || list_volumes(c, name, &l))
		return 1;
	r = deactivate_all(c, name, &l);
	if (!r) {
		r = cairn_nl_pool_close(nl, name);
		if (r) {
			r = err_nl(c, what, r);
			for (i = 0; i < l.n; i++)
				cairn_dm_activate(l.vols[i].pool, l.vols[i].name,
						  l.vols[i].size, err, sizeof(err));
		}
	}
	free(l.vols);
	return r;
}

static int pool_close(struct ctx *c)
{
	const char *name = c->path[1];

	if (close_pool(c, name, "pool close") || forget_pool(c, name))
		return 1;
	printf("Closed pool %s; its disks keep it (`/pools open` brings it back).\n",
	       name);
	return 0;
}

/* Zero both superblock slots of @dev (blocks 0 and 1). */
static int wipe(const char *dev)
{
	static char zero[8192];
	int fd, r = 0;

	fd = open(dev, O_WRONLY | O_EXCL | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pwrite(fd, zero, sizeof(zero), 0) != (ssize_t)sizeof(zero) ||
	    fsync(fd))
		r = errno ? -errno : -EIO;
	close(fd);
	return r;
}

static int pools_delete(struct ctx *c)
{
	const char *name = arg(c, "name");
	struct cairn_pool_desc *d;
	struct cairn_nl *nl;
	unsigned int i;
	int r;

	if (nl_get(c, &nl))
		return 1;
	d = calloc(1, sizeof(*d));
	if (!d)
		return err_msg("out of memory");
	r = cairn_nl_pool_get(nl, name, d);
	if (r) {
		r = err_nl(c, "pool delete", r);
		goto out;
	}
	if (d->volume_count) {
		r = err_msg("pool %s has %u volume%s: delete them first", name,
			    d->volume_count, d->volume_count == 1 ? "" : "s");
		goto out;
	}
	r = close_pool(c, name, "pool delete");
	if (r)
		goto out;
	for (i = 0; i < d->nr_members; i++) {
		int e = wipe(d->members[i].device);

		if (e)
			r = err_msg("pool %s closed, but its superblocks on %s "
				    "could not be erased: %s",
				    name, d->members[i].device, strerror(-e));
	}
	if (forget_pool(c, name))
		r = 1;
	if (!r)
		printf("Deleted pool %s; its %u device%s free.\n", name,
		       d->nr_members, d->nr_members == 1 ? " is" : "s are");
out:
	free(d);
	return r;
}

static int pool_status(struct ctx *c)
{
	struct cairn_pool_desc *d = calloc(1, sizeof(*d));
	struct cairn_nl *nl;
	int r;

	if (!d)
		return err_msg("out of memory");
	if (nl_get(c, &nl)) {
		free(d);
		return 1;
	}
	r = cairn_nl_pool_get(nl, c->path[1], d);
	if (r)
		r = err_nl(c, "pool status", r);
	else if (c->json)
		print_json(pool_json(d));
	else
		pool_text(d);
	free(d);
	return r;
}

static const char *const pool_keys[] = {
	"name", "uuid", "chunk_size", "capacity", "allocated", "free", "mode",
	"threshold", "nospace", "nospace_timeout", "volumes", NULL
};

/* The names create and set also accept for a pool's settings. */
static const char *const pool_aliases[][2] = {
	{ "chunk", "chunk_size" }, { "timeout", "nospace_timeout" },
};

/*
 * Print attribute @key (or all) of the JSON object @o; an unknown name is
 * bad usage, answered with the names there are.
 */
static int get_attrs(struct ctx *c, struct json_object *o,
		     const char *const *keys, const char *what)
{
	const char *key = arg(c, "attribute");
	struct json_object *v, *out = json_object_new_object();
	char names[512];
	unsigned int i;
	size_t len = 0;
	bool found = false;

	for (i = 0; key && i < ARRAY_SIZE(pool_aliases); i++)
		if (keys == pool_keys && !strcmp(key, pool_aliases[i][0]))
			key = pool_aliases[i][1];
	for (i = 0; keys[i]; i++) {
		if (key && strcmp(key, keys[i]))
			continue;
		found = true;
		json_object_object_get_ex(o, keys[i], &v);
		if (c->json)
			json_object_object_add(out, keys[i], json_object_get(v));
		else
			printf("%s=%s\n", keys[i], v ? json_object_get_string(v) : "");
	}
	json_object_put(o);
	if (!found) {
		json_object_put(out);
		for (i = 0; keys[i] && len < sizeof(names); i++)
			len += snprintf(names + len, sizeof(names) - len, "%s%s",
					i ? ", " : "", keys[i]);
		return err_usage("%s has no attribute '%s' (the attributes are: %s)",
				 what, key, names);
	}
	if (c->json)
		print_json(out);
	else
		json_object_put(out);
	return 0;
}

static int pool_get(struct ctx *c)
{
	struct cairn_pool_desc *d = calloc(1, sizeof(*d));
	struct cairn_nl *nl;
	char what[300];
	int r;

	if (!d)
		return err_msg("out of memory");
	if (nl_get(c, &nl)) {
		free(d);
		return 1;
	}
	r = cairn_nl_pool_get(nl, c->path[1], d);
	snprintf(what, sizeof(what), "pool %s", c->path[1]);
	r = r ? err_nl(c, "pool get", r) : get_attrs(c, pool_json(d), pool_keys, what);
	free(d);
	return r;
}

/* ", threshold 80% -> 1%" when @before and @after differ, into @buf. */
static size_t changed(char *buf, size_t len, size_t o, const char *what,
		      const char *before, const char *after)
{
	if (o >= len || !strcmp(before, after))
		return o;
	return o + snprintf(buf + o, len - o, "%s%s %s -> %s", o ? ", " : "",
			    what, before, after);
}

static void pool_settings(const struct cairn_pool_desc *d, char s[3][32])
{
	snprintf(s[0], 32, "%u%%", d->threshold);
	snprintf(s[1], 32, "%s", d->nospace_policy ? "wait" : "error");
	snprintf(s[2], 32, "%u s", d->nospace_timeout);
}

static int pool_set(struct ctx *c)
{
	static const char *const names[] = {
		"threshold", "nospace", "nospace_timeout"
	};
	char before[3][32], after[3][32], what[256];
	struct cairn_pool_desc *d;
	struct cairn_pool_opts o;
	struct cairn_nl *nl;
	unsigned int i;
	size_t len = 0;
	int r;

	if (!arg(c, "threshold") && !arg(c, "nospace") &&
	    !arg(c, "nospace_timeout"))
		return err_usage("pool set: nothing to set (threshold=, nospace=, "
				 "nospace_timeout=)");
	r = pool_opts(c, &o);
	if (r || nl_get(c, &nl))
		return r ? r : EXIT_REFUSED;
	d = calloc(1, sizeof(*d));
	if (!d)
		return err_msg("out of memory");
	r = cairn_nl_pool_get(nl, c->path[1], d);
	if (!r) {
		pool_settings(d, before);
		r = cairn_nl_pool_set(nl, c->path[1], &o, d);
	}
	if (r) {
		r = err_nl(c, "pool set", r);
	} else if (c->json) {
		print_json(pool_json(d));
	} else {
		pool_settings(d, after);
		for (i = 0; i < ARRAY_SIZE(names); i++)
			len = changed(what, sizeof(what), len, names[i],
				      before[i], after[i]);
		if (len)
			printf("Updated pool %s: %s.\n", d->name, what);
		else
			printf("Pool %s unchanged: threshold %s, nospace %s, "
			       "nospace_timeout %s.\n", d->name, after[0],
			       after[1], after[2]);
	}
	free(d);
	return r;
}

static int pool_add(struct ctx *c)
{
	struct cairn_pool_desc *d;
	struct cairn_nl *nl;
	int r;

	if (nl_get(c, &nl))
		return 1;
	d = calloc(1, sizeof(*d));
	if (!d)
		return err_msg("out of memory");
	r = cairn_nl_pool_add_member(nl, c->path[1], arg(c, "device"), d);
	r = r ? err_nl(c, "pool add", r) : pool_done(c, d, "Added a member to");
	free(d);
	return r;
}

/* ---- /volumes ---- */

static int volume_done(struct ctx *c, const struct cairn_volume_desc *v,
		       const char *fmt)
{
	char size[32], dev[200];

	if (c->json) {
		print_json(volume_json(v));
		return 0;
	}
	cairn_human_size(v->size, size, sizeof(size));
	cairn_dm_name(v->pool, v->name, dev, sizeof(dev));
	printf(fmt, v->name, size, v->pool, dev);
	return 0;
}

static int volumes_create(struct ctx *c)
{
	const char *name = arg(c, "name"), *size = arg(c, "size");
	struct cairn_volume_desc v;
	struct cairn_nl *nl;
	uint64_t bytes;
	char err[256];
	struct list l;
	unsigned int i;
	int r;

	r = size_arg("size", size, &bytes);
	if (r)
		return r;
	if (!bytes)
		return err_usage("size: a volume needs a size above 0");
	if (list_volumes(c, NULL, &l))
		return EXIT_REFUSED;
	for (i = 0; i < l.n && strcmp(l.vols[i].name, name); i++)
		;
	if (i < l.n) {
		err_msg("volume %s already exists (in pool %s); "
			"volume names are unique across pools",
			name, l.vols[i].pool);
		free(l.vols);
		return 1;
	}
	free(l.vols);
	if (nl_get(c, &nl))
		return 1;
	r = cairn_nl_volume_create(nl, arg(c, "pool"), name, bytes, &v);
	if (r)
		return err_nl(c, "volume create", r);
	if (cairn_dm_activate(v.pool, v.name, v.size, err, sizeof(err))) {
		/* Nothing half-made stays behind. */
		cairn_nl_volume_delete(nl, v.pool, v.name);
		return err_msg("volume %s: its block device could not be made, "
			       "so it was not created: %s",
			       name, err);
	}
	return volume_done(c, &v, "Created volume %s (%s, thin) in pool %s: /dev/mapper/%s.\n");
}

#define CACHE_DRAIN_WAIT 300	/* s */

/*
 * A volume's RAM cache off and gone before the volume is deleted: the
 * kernel refuses to delete a volume whose cache may still be destaging.
 * Its dirty blocks go to the members first (they are about to be freed,
 * but the drain is bounded by the budget, and nothing waits for it under
 * the kernel's locks).  0, or 1 with a message.
 */
static int cache_drop(struct ctx *c, struct cairn_nl *nl,
		      struct cairn_volume_desc *v)
{
	int i, r;

	if (!v->cache.present)
		return 0;
	if (v->cache.mode != CAIRN_CACHE_OFF) {
		r = cairn_nl_volume_cache(nl, v->pool, v->name, CAIRN_CACHE_OFF,
					  -1, -1, NULL);
		if (r)
			return err_nl(c, "volume cache off", r);
	}
	for (i = 0; i < CACHE_DRAIN_WAIT * 10; i++) {
		r = cairn_nl_volume_get(nl, v->pool, v->name, v);
		if (r)
			return err_nl(c, "volume get", r);
		if (!v->cache.present)
			return 0;
		if (i == 10)
			fprintf(stderr, "Draining the RAM cache of %s (%llu dirty blocks)...\n",
				v->name, (unsigned long long)v->cache.dirty);
		usleep(100000);
	}
	return err_msg("volume %s: its RAM cache did not drain in %d s "
		       "(%llu blocks dirty): not deleted", v->name,
		       CACHE_DRAIN_WAIT, (unsigned long long)v->cache.dirty);
}

static int volumes_delete(struct ctx *c)
{
	const char *name = arg(c, "name");
	struct cairn_volume_desc v;
	struct cairn_nl *nl;
	char err[256], exp[512];
	int active, cached, i, r;

	if (find_volume(c, name, &v) || nl_get(c, &nl))
		return 1;
	if (volume_export(c, name, exp, sizeof(exp)))
		return err_msg("volume %s is exported as %s; delete that LUN first",
			       name, exp);
	active = cairn_dm_exists(v.pool, v.name);
	if (active && cairn_dm_deactivate(v.pool, v.name, err, sizeof(err)))
		return err_msg("volume %s is in use: %s", name, err);
	cached = v.cache.present;
	r = cache_drop(c, nl, &v);
	if (r) {
		if (active)
			cairn_dm_activate(v.pool, v.name, v.size, err, sizeof(err));
		return r;
	}
	r = cairn_nl_volume_delete(nl, v.pool, v.name);
	/* The node's cache lock busy with another volume: a moment later. */
	for (i = 0; cached && r == -EBUSY && i < 50; i++) {
		usleep(100000);
		r = cairn_nl_volume_delete(nl, v.pool, v.name);
	}
	if (r) {
		r = err_nl(c, "volume delete", r);
		/* Refused: the device comes back as it was. */
		if (active)
			cairn_dm_activate(v.pool, v.name, v.size, err, sizeof(err));
		return r;
	}
	printf("Deleted volume %s from pool %s.\n", name, v.pool);
	return 0;
}

static int volume_status(struct ctx *c)
{
	struct cairn_volume_desc v;
	char size[32], mapped[32], uuid[40], dev[200], exp[512];
	struct json_object *hb;

	if (find_volume(c, c->path[1], &v))
		return 1;
	if (c->json) {
		print_json(volume_json(&v));
		return 0;
	}
	cairn_human_size(v.size, size, sizeof(size));
	cairn_human_size(v.mapped, mapped, sizeof(mapped));
	cairn_uuid_str(v.uuid, uuid);
	cairn_dm_name(v.pool, v.name, dev, sizeof(dev));
	printf("volume %s %s\n  pool %s, size %s (thin), mapped %s (%u%%)\n",
	       v.name, uuid, v.pool, size, mapped, pct(v.mapped, v.size));
	if (cairn_dm_exists(v.pool, v.name))
		printf("  device /dev/mapper/%s\n", dev);
	else
		printf("  not active\n");
	if (volume_export(c, v.name, exp, sizeof(exp)))
		printf("  exported as %s\n", exp);
	if (v.mirror.mirrored) {
		const struct cairn_mirror_desc *m = &v.mirror;
		char oos[32], rs[32], al[32], cp[32], pct_s[16] = "unknown";
		int sp = sync_percent(&v);

		cairn_human_size(m->oos, oos, sizeof(oos));
		cairn_human_size(m->resynced, rs, sizeof(rs));
		if (sp >= 0)
			snprintf(pct_s, sizeof(pct_s), "%d%%", sp);
		printf("  mirror: %s, peer %s, link %s, data %s, %s out of sync\n",
		       cairn_mirror_role_name(m->role), m->peer[0] ? m->peer : "-",
		       cairn_mirror_link_name(m->link),
		       cairn_mirror_disk_name(m->disk), oos);
		if (cairn_mirror_link_up(m))
			printf("  peer: %s, data %s\n", cairn_mirror_role_name(m->peer_role),
			       cairn_mirror_disk_name(m->peer_disk));
		else
			printf("  peer: not connected\n");
		cairn_human_size(m->activity, al, sizeof(al));
		printf("  sync: %s, %s resynced\n", pct_s, rs);
		printf("  activity log: %s (resynced at most after a restart)\n", al);
		if (m->tx_batches) {
			cairn_human_size(m->tx_copied, cp, sizeof(cp));
			printf("  sender: %" PRIu64 " messages in %" PRIu64 " batches, %" PRIu64
			       " rode on an ack, %s copied\n", m->tx_msgs, m->tx_batches,
			       m->tx_rides, cp);
		}
		if (m->connect_err)
			printf("  last connect refused: %s\n", m->connect_why);
		if (m->lease)
			printf("  lease: %s%s, %u write(s) held\n", lease_name(m->lease),
			       m->alone ? ", peer outdated" : "", m->held);
		hb = ha_volume_state(v.pool, v.name);
		if (hb) {
			struct json_object *f;

			printf("  quorum: %s (%s), witness %s\n",
			       json_object_get_string(json_object_object_get(hb, "state")),
			       json_object_get_string(json_object_object_get(hb, "why")),
			       json_object_object_get_ex(hb, "witness_heard_ms", &f) && f ?
			       "heard" : "not heard");
			if (json_object_object_get_ex(hb, "last_failover", &f) && f)
				printf("  last failover: %s\n", json_object_get_string(f));
			json_object_put(hb);
		}
	}
	if (v.cache.present)
		cache_volume_text(&v.cache);
	return 0;
}

static int volume_get(struct ctx *c)
{
	static const char *const keys[] = {
		"pool", "name", "uuid", "size", "mapped", "device", NULL
	};
	struct cairn_volume_desc v;
	char what[300];

	if (find_volume(c, c->path[1], &v))
		return 1;
	snprintf(what, sizeof(what), "volume %s", v.name);
	return get_attrs(c, volume_json(&v), keys, what);
}

/* size=N, or size=+N to grow by N (as lvextend -L +N does). */
static int volume_set(struct ctx *c)
{
	const char *size = arg(c, "size");
	char err[256], was[32], now[32], dev[200];
	bool rel = size[0] == '+';
	struct cairn_volume_desc v;
	struct cairn_nl *nl;
	uint64_t bytes, old;
	int r;

	r = parse_size(size + rel, &bytes);
	if (r == -ERANGE)
		return err_usage("size: '%s' is too large (sizes stop below 16E)",
				 size);
	if (r)
		return err_usage("size: '%s' is not a size (e.g. 100G, 2T, +1G)",
				 size);
	if (!bytes)
		return err_usage("size: '%s' would not grow the volume", size);
	if (find_volume(c, c->path[1], &v) || nl_get(c, &nl))
		return EXIT_REFUSED;
	old = v.size;
	if (rel && __builtin_add_overflow(v.size, bytes, &bytes))
		return err_usage("size: '%s' is too large (sizes stop below 16E)",
				 size);
	r = cairn_nl_volume_resize(nl, v.pool, v.name, bytes, &v);
	if (r)
		return err_nl(c, "volume set size", r);
	if (cairn_dm_exists(v.pool, v.name) &&
	    cairn_dm_resize(v.pool, v.name, v.size, err, sizeof(err)))
		return err_msg("volume %s grew, but its device did not: %s",
			       v.name, err);
	if (c->json) {
		print_json(volume_json(&v));
		return 0;
	}
	exact_size(old, was, sizeof(was));
	exact_size(v.size, now, sizeof(now));
	cairn_dm_name(v.pool, v.name, dev, sizeof(dev));
	printf("Resized volume %s: size %s -> %s (pool %s, /dev/mapper/%s).\n",
	       v.name, was, now, v.pool, dev);
	return 0;
}

static int volume_activate(struct ctx *c)
{
	struct cairn_volume_desc v;
	char err[256];

	if (find_volume(c, c->path[1], &v))
		return 1;
	if (cairn_dm_exists(v.pool, v.name))
		return err_msg("volume %s is already active", v.name);
	if (cairn_dm_activate(v.pool, v.name, v.size, err, sizeof(err)))
		return err_msg("volume activate: %s", err);
	printf("Activated /dev/mapper/cairn-%s-%s.\n", v.pool, v.name);
	return 0;
}

static int volume_deactivate(struct ctx *c)
{
	struct cairn_volume_desc v;
	char err[256], exp[512];

	if (find_volume(c, c->path[1], &v))
		return 1;
	if (volume_export(c, v.name, exp, sizeof(exp)))
		return err_msg("volume %s is exported as %s; delete that LUN first",
			       v.name, exp);
	if (!cairn_dm_exists(v.pool, v.name))
		return err_msg("volume %s is not active", v.name);
	if (cairn_dm_deactivate(v.pool, v.name, err, sizeof(err)))
		return err_msg("volume deactivate: %s", err);
	printf("Deactivated /dev/mapper/cairn-%s-%s.\n", v.pool, v.name);
	return 0;
}

const struct command storage_commands[] = {
	{ "/pools", "create", pools_create, "make a pool from blank devices",
	  { { "name", "the pool's name", P_REQUIRED | P_POSITIONAL },
	    { "devices", "comma-separated block devices, e.g. /dev/vda,/dev/vdb",
	      P_REQUIRED },
	    { "chunk_size", "allocation unit: a power of two, 64K to 16M (default 1M)",
	      0, "chunk" },
	    { "threshold", "percent allocated that raises a threshold event (0: none)" },
	    { "nospace", "when full: error (fail writes) or wait (queue them)" },
	    { "nospace_timeout", "seconds a write waits for space under nospace=wait",
	      0, "timeout" } }, C_CHANGES },
	{ "/pools", "open", pools_open,
	  "open a pool from its devices (any order) and activate its volumes",
	  { { "devices", "every member, comma-separated", P_REQUIRED | P_POSITIONAL } },
	  C_CHANGES },
	{ "/pools", "delete", pools_delete,
	  "close an empty pool and erase its superblocks, freeing its devices",
	  { { "name", "the pool", P_REQUIRED | P_POSITIONAL } }, C_CHANGES },
	{ "/pools/*", "status", pool_status,
	  "capacity, allocation, mode, settings, I/O counters and members" },
	{ "/pools/*", "get", pool_get, "print the pool's attributes",
	  { { "attribute", "just this one (name, uuid, chunk_size, capacity, "
	      "allocated, free, mode, threshold, nospace, nospace_timeout, "
	      "volumes)", P_POSITIONAL } } },
	{ "/pools/*", "set", pool_set, "change the pool's settings and say what changed",
	  { { "threshold", "percent allocated that raises a threshold event (0: none)" },
	    { "nospace", "when full: error (fail writes) or wait (queue them)" },
	    { "nospace_timeout", "seconds a write waits for space under nospace=wait",
	      0, "timeout" } }, C_CHANGES },
	{ "/pools/*", "add", pool_add, "add a blank device as a new member",
	  { { "device", "the block device", P_REQUIRED | P_POSITIONAL } },
	  C_CHANGES },
	{ "/pools/*", "close", pool_close,
	  "deactivate the volumes and close the pool (the disks keep it)",
	  { }, C_CHANGES },
	{ "/volumes", "create", volumes_create,
	  "make a thin volume and its block device /dev/mapper/cairn-POOL-NAME",
	  { { "name", "the volume's name, unique across pools",
	      P_REQUIRED | P_POSITIONAL },
	    { "pool", "the pool it takes space from", P_REQUIRED },
	    { "size", "nominal size, may exceed the pool (e.g. 2T)", P_REQUIRED } },
	  C_CHANGES },
	{ "/volumes", "delete", volumes_delete,
	  "delete a volume that is not exported, and its data",
	  { { "name", "the volume", P_REQUIRED | P_POSITIONAL } }, C_CHANGES },
	{ "/volumes/*", "status", volume_status,
	  "size, space in use, block device, export; for a mirror: role, peer, "
	  "link, data state, the peer's role and data, percent in sync, bytes "
	  "out of sync and resynced; for a RAM cache: mode, flush, whether it "
	  "writes back now, blocks held and dirty, hits and misses, destage "
	  "writes" },
	{ "/volumes/*", "get", volume_get, "print the volume's attributes",
	  { { "attribute", "just this one", P_POSITIONAL } } },
	{ "/volumes/*", "set", volume_set, "grow the volume",
	  { { "size", "the new nominal size, or +SIZE to grow by SIZE",
	      P_REQUIRED } }, C_CHANGES },
	{ "/volumes/*", "activate", volume_activate,
	  "make the volume's block device" },
	{ "/volumes/*", "deactivate", volume_deactivate,
	  "remove the volume's block device (data stays)" },
};

const unsigned int nr_storage_commands = ARRAY_SIZE(storage_commands);
