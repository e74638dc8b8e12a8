// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libcairn: cairn_restore(), which brings the kernel in line with the
 * configuration, at boot and whenever cairnd is asked to.
 *
 * Restore only ever adds what is missing; it never closes, deactivates,
 * deletes or weakens anything, so running it on a system that is already
 * in line changes nothing.  It goes in three passes, each building on what
 * the one before achieved, after a step zero:
 *
 * 0. The RAM cache budget, before anything else: the volumes' caches
 *    need it.  It is raised to the configured one if the kernel has less
 *    (after a reboot: none), never lowered.
 *
 * 1. Pools.  A configured pool that is not open (matched by UUID, not by
 *    name) is assembled from its members, which are found by reading the
 *    superblocks of every block device: device names change between boots,
 *    superblocks do not.  The superblock with the newest configuration
 *    (config_seq, then seq) among the devices carrying the pool's UUID names
 *    the members; the pool is opened only when each of them is found on
 *    exactly one device.  Otherwise every missing member is reported and
 *    the pool, with its volumes and their exports, is left alone: opening a
 *    pool without a member is the kernel's to refuse, and a half-found pool
 *    is better reported by name than by an extack about device counts.
 *
 * 2. Volumes.  A configured mirror gets its role and peer back, a
 *    configured RAM cache is turned on (mode, flush, sequential cutoff)
 *    on a volume that has none, then every volume of every open pool
 *    gets its device-mapper device if it has none.  Configured volumes
 *    the pool does not have, or has under another UUID, are reported and
 *    not exported.  A cache with flush=mirror may be turned on before the
 *    mirror connects: the kernel writes through until it is in sync.
 *
 * 3. Exports.  For each configured target, whatever LIO object is missing
 *    is created, in the order that keeps the target closed until it is
 *    complete: backstores, target, portals, LUNs, ACLs with their CHAP
 *    secrets, the CHAP-required flag, and last the enable switch.  A
 *    target with two nodes gets tpgt_1 and tpgt_2, its LUNs and ACLs in
 *    both, portals and the enable switch on this node's TPG only, and
 *    its LUNs' ports in their nodes' ALUA groups (alua.c).
 *
 * The block device scan reads two blocks per device, bypassing stale page
 * cache (cairn.ko writes members with bios, beneath the cache); it skips
 * Cairn volumes (a pool is never nested in a pool), RAM disks, unbound
 * loop devices, suspended dm devices (a read would hang) and devices held
 * by another driver (multipath or md: their holder is scanned instead).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "core/pool.h"
#include "uapi/cairn_nl.h"
#include "fileio.h"
#include "libcairn.h"

#define SYS_BLOCK "/sys/class/block"

struct rs_pool {
	char name[CAIRN_NAME_LEN];
	uint8_t uuid[16];
	uint32_t chunk_size;
};

struct rs_volume {
	struct cairn_volume_desc desc;
	bool exportable;		/* dm device up, UUID as configured */
};

struct rs_dev {
	char path[300];
	struct cairn_super sb;
};

struct rs_ctx {
	const struct cairn_config *cfg;
	void (*log)(int prio, const char *msg, void *arg);
	void *arg;
	struct cairn_nl *nl;
	int failures;

	struct rs_pool *pools;		/* open in the kernel */
	unsigned int nr_pools;
	struct rs_volume *vols;
	unsigned int nr_vols;

	bool scanned;			/* block devices read */
	struct rs_dev *devs;		/* those with a Cairn superblock */
	unsigned int nr_devs;

	unsigned int opened, activated, created;
};

static void __attribute__((format(printf, 3, 4)))
rs_log(struct rs_ctx *c, int prio, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (prio <= LOG_ERR)
		c->failures++;
	if (!c->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->log(prio, msg, c->arg);
}

/* What the kernel said about the last refusal, or the errno's text. */
static const char *rs_nlerr(struct rs_ctx *c, int r)
{
	const char *m = cairn_nl_error(c->nl);

	return m && *m ? m : strerror(-r);
}

static int rs_hex(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (dashes optional) into @out. */
static int rs_parse_uuid(const char *s, uint8_t *out)
{
	unsigned int i;
	int hi, lo;

	for (i = 0; i < 16; i++) {
		if (*s == '-' && (i == 4 || i == 6 || i == 8 || i == 10))
			s++;
		hi = rs_hex(s[0]);
		lo = hi < 0 ? -1 : rs_hex(s[1]);
		if (lo < 0)
			return -EINVAL;
		out[i] = hi << 4 | lo;
		s += 2;
	}
	return *s ? -EINVAL : 0;
}

static const char *rs_fabric(enum cairn_fabric f)
{
	return f == CAIRN_FABRIC_ISCSI ? "iscsi" :
	       f == CAIRN_FABRIC_FC ? "fc" : "loopback";
}

/* Read a one-line file into @buf without its newline; 0 or -errno. */
static int rs_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int r = 0;

	buf[0] = '\0';
	if (!f)
		return -errno;
	if (!fgets(buf, len, f))
		r = ferror(f) ? -EIO : 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return r;
}

static int rs_sysfs(const char *dev, const char *attr, char *buf, size_t len)
{
	char path[512];

	snprintf(path, sizeof(path), SYS_BLOCK "/%s/%s", dev, attr);
	return rs_read_line(path, buf, len);
}

static bool rs_exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

/* ---- the kernel's view ---- */

static int rs_pool_cb(const struct cairn_pool_desc *d, void *arg)
{
	struct rs_ctx *c = arg;
	struct rs_pool *n, *p;

	n = realloc(c->pools, (c->nr_pools + 1) * sizeof(*n));
	if (!n) {
		rs_log(c, LOG_ERR, "pool %s: out of memory", d->name);
		return -ENOMEM;
	}
	c->pools = n;
	p = &c->pools[c->nr_pools++];
	snprintf(p->name, sizeof(p->name), "%s", d->name);
	memcpy(p->uuid, d->uuid, sizeof(p->uuid));
	p->chunk_size = d->chunk_size;
	return 0;
}

static int rs_list_pools(struct rs_ctx *c)
{
	int r;

	free(c->pools);
	c->pools = NULL;
	c->nr_pools = 0;
	r = cairn_nl_pool_list(c->nl, rs_pool_cb, c);
	if (r)
		rs_log(c, LOG_ERR, "cannot list the open pools: %s",
		       rs_nlerr(c, r));
	return r;
}

static struct rs_pool *rs_pool_by_name(struct rs_ctx *c, const char *name)
{
	unsigned int i;

	for (i = 0; i < c->nr_pools; i++)
		if (!strcmp(c->pools[i].name, name))
			return &c->pools[i];
	return NULL;
}

static int rs_volume_cb(const struct cairn_volume_desc *v, void *arg)
{
	struct rs_ctx *c = arg;
	struct rs_volume *n;

	n = realloc(c->vols, (c->nr_vols + 1) * sizeof(*n));
	if (!n) {
		rs_log(c, LOG_ERR, "volume %s/%s: out of memory", v->pool, v->name);
		return -ENOMEM;
	}
	c->vols = n;
	n[c->nr_vols].desc = *v;
	n[c->nr_vols].exportable = false;
	c->nr_vols++;
	return 0;
}

static struct rs_volume *rs_volume(struct rs_ctx *c, const char *pool,
				   const char *name)
{
	unsigned int i;

	for (i = 0; i < c->nr_vols; i++)
		if (!strcmp(c->vols[i].desc.pool, pool) &&
		    !strcmp(c->vols[i].desc.name, name))
			return &c->vols[i];
	return NULL;
}

/* ---- step 0: the RAM cache budget ---- */

static void rs_cache_budget(struct rs_ctx *c)
{
	uint64_t want = c->cfg->cache_budget, have;
	struct cairn_cache_desc totals;
	char size[32], was[32];
	int r;

	if (!want)
		return;
	cairn_human_size(want, size, sizeof(size));
	r = cairn_nl_cache_get(c->nl, &have, &totals);
	if (r) {
		rs_log(c, LOG_ERR, "cache budget %s: cannot read the kernel's: %s",
		       size, rs_nlerr(c, r));
		return;
	}
	if (have >= want) {
		if (have > want) {
			cairn_human_size(have, was, sizeof(was));
			rs_log(c, LOG_WARNING,
			       "cache budget %s kept (configured: %s)", was, size);
		}
		return;
	}
	r = cairn_nl_cache_set(c->nl, want);
	if (r)
		rs_log(c, LOG_ERR, "cache budget %s: %s", size, rs_nlerr(c, r));
	else
		rs_log(c, LOG_INFO, "cache budget %s", size);
}

/* ---- pass 1: pools ---- */

/* Whether sysfs block device @name can hold a member worth reading. */
static bool rs_candidate(struct rs_ctx *c, const char *name)
{
	char buf[256], path[512];
	struct dirent *de;
	bool held = false;
	DIR *d;

	if (!strncmp(name, "ram", 3) || !strncmp(name, "zram", 4))
		return false;
	if (!strncmp(name, "loop", 4) &&
	    rs_sysfs(name, "loop/backing_file", buf, sizeof(buf)))
		return false;
	/* Smaller than the two superblock slots: nothing to read. */
	if (rs_sysfs(name, "size", buf, sizeof(buf)) ||
	    strtoull(buf, NULL, 10) < 2 * CAIRN_BLOCK_SIZE / 512)
		return false;
	if (!rs_sysfs(name, "dm/name", buf, sizeof(buf))) {
		if (!strncmp(buf, "cairn-", 6))
			return false;
		if (!rs_sysfs(name, "dm/suspended", buf, sizeof(buf)) &&
		    !strcmp(buf, "1")) {
			rs_log(c, LOG_WARNING, "%s: suspended, not scanned", name);
			return false;
		}
	}
	snprintf(path, sizeof(path), SYS_BLOCK "/%s/holders", name);
	d = opendir(path);
	if (d) {
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				held = true;
		closedir(d);
	}
	return !held;
}

/* /dev path of sysfs block device @name: /dev/mapper/<name> for dm. */
static void rs_dev_path(const char *name, char *out, size_t len)
{
	char dm[128];			/* DM_NAME_LEN */
	char *p;

	if (!rs_sysfs(name, "dm/name", dm, sizeof(dm))) {
		snprintf(out, len, "/dev/mapper/%s", dm);
		if (rs_exists(out))
			return;
	}
	snprintf(out, len, "/dev/%s", name);
	for (p = out; *p; p++)		/* cciss!c0d0 is /dev/cciss/c0d0 */
		if (*p == '!')
			*p = '/';
}

static void rs_probe(struct rs_ctx *c, const char *path, void *buf)
{
	char *paths[1] = { (char *)path };
	struct cairn_fileio io;
	struct rs_dev *n;
	const char *why = NULL, *bad;
	unsigned int slot;
	int r;

	if (cairn_fileio_open(&io, 1, paths, false, &bad))
		return;		/* no medium, gone, or not a device: no member */
	n = realloc(c->devs, (c->nr_devs + 1) * sizeof(*n));
	if (!n) {
		cairn_fileio_close(&io);
		rs_log(c, LOG_ERR, "%s: out of memory", path);
		return;
	}
	c->devs = n;
	n = &c->devs[c->nr_devs];
	/* Read what is on the disk, not what an earlier scan left cached. */
	posix_fadvise(io.fd[0], 0, CAIRN_SUPER_SLOTS * CAIRN_BLOCK_SIZE,
		      POSIX_FADV_DONTNEED);
	r = cairn_super_probe(&cairn_fileio_ops, &io, 0, buf, &n->sb, &slot,
			      &why);
	posix_fadvise(io.fd[0], 0, CAIRN_SUPER_SLOTS * CAIRN_BLOCK_SIZE,
		      POSIX_FADV_DONTNEED);
	cairn_fileio_close(&io);
	if (r == -EINVAL)
		return;		/* no Cairn superblock */
	if (r) {
		rs_log(c, LOG_WARNING, "%s: Cairn superblock unusable: %s (%s)",
		       path, why, strerror(-r));
		return;
	}
	snprintf(n->path, sizeof(n->path), "%s", path);
	c->nr_devs++;
}

static void rs_scan(struct rs_ctx *c)
{
	char path[300];
	struct dirent *de;
	void *buf;
	DIR *d;

	if (c->scanned)
		return;
	c->scanned = true;
	buf = malloc(CAIRN_BLOCK_SIZE);
	d = opendir(SYS_BLOCK);
	if (!buf || !d) {
		rs_log(c, LOG_ERR, "cannot scan block devices: %s",
		       strerror(buf ? errno : ENOMEM));
		free(buf);
		if (d)
			closedir(d);
		return;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !rs_candidate(c, de->d_name))
			continue;
		rs_dev_path(de->d_name, path, sizeof(path));
		rs_probe(c, path, buf);
	}
	closedir(d);
	free(buf);
}

/* Nobody carries the pool: name the members the configuration knows. */
static void rs_pool_absent(struct rs_ctx *c, const struct cairn_cfg_pool *p)
{
	unsigned int i;

	if (!p->nr_members)
		rs_log(c, LOG_ERR, "pool %s (uuid %s): no member found", p->name,
		       p->uuid);
	for (i = 0; i < p->nr_members; i++)
		rs_log(c, LOG_ERR,
		       "pool %s (uuid %s): member %u of %u (uuid %s) not found; last seen as %s",
		       p->name, p->uuid, i + 1, p->nr_members,
		       p->members[i].uuid, p->members[i].device);
}

static const char *rs_last_seen(const struct cairn_cfg_pool *p,
				const char *uuid)
{
	unsigned int i;

	for (i = 0; i < p->nr_members; i++)
		if (!strcasecmp(p->members[i].uuid, uuid))
			return p->members[i].device;
	return NULL;
}

static void rs_open_pool(struct rs_ctx *c, const struct cairn_cfg_pool *p)
{
	char *paths[CAIRN_MAX_MEMBERS], list[1024], us[40];
	const struct cairn_super *sb = NULL;
	struct cairn_pool_desc *desc;
	unsigned int i, d, bad = 0;
	uint8_t uuid[16];
	size_t at = 0;
	int r;

	if (rs_parse_uuid(p->uuid, uuid)) {
		rs_log(c, LOG_ERR, "pool %s: bad uuid '%s' in the configuration",
		       p->name, p->uuid);
		return;
	}
	for (i = 0; i < c->nr_pools; i++) {
		if (!memcmp(c->pools[i].uuid, uuid, sizeof(uuid)))
			return;		/* open already */
		if (!strcmp(c->pools[i].name, p->name)) {
			cairn_uuid_str(c->pools[i].uuid, us);
			rs_log(c, LOG_ERR,
			       "pool %s (uuid %s): another pool of that name is open (uuid %s)",
			       p->name, p->uuid, us);
			return;
		}
	}

	rs_scan(c);
	for (d = 0; d < c->nr_devs; d++) {
		const struct cairn_super *s = &c->devs[d].sb;

		if (memcmp(s->pool_uuid, uuid, sizeof(uuid)))
			continue;
		if (!sb || s->config_seq > sb->config_seq ||
		    (s->config_seq == sb->config_seq && s->seq > sb->seq))
			sb = s;
	}
	if (!sb) {
		rs_pool_absent(c, p);
		return;
	}

	for (i = 0; i < sb->nr_members; i++) {
		const char *seen;
		int found = -1;

		for (d = 0; d < c->nr_devs; d++) {
			const struct cairn_super *s = &c->devs[d].sb;

			if (memcmp(s->pool_uuid, uuid, sizeof(uuid)) ||
			    memcmp(s->member_uuid, sb->members[i].uuid,
				   sizeof(s->member_uuid)))
				continue;
			if (found >= 0) {
				cairn_uuid_str(sb->members[i].uuid, us);
				rs_log(c, LOG_ERR,
				       "pool %s (uuid %s): member %u of %u (uuid %s) is on both %s and %s",
				       p->name, p->uuid, i + 1, sb->nr_members,
				       us, c->devs[found].path, c->devs[d].path);
				bad++;
				break;
			}
			found = d;
		}
		if (found < 0) {
			cairn_uuid_str(sb->members[i].uuid, us);
			seen = rs_last_seen(p, us);
			rs_log(c, LOG_ERR,
			       "pool %s (uuid %s): member %u of %u (uuid %s) not found%s%s",
			       p->name, p->uuid, i + 1, sb->nr_members, us,
			       seen ? "; last seen as " : "", seen ? seen : "");
			bad++;
			continue;
		}
		paths[i] = c->devs[found].path;
		at += snprintf(list + at, sizeof(list) - at, "%s%s",
			       i ? ", " : "", paths[i]);
		if (at >= sizeof(list))
			at = sizeof(list) - 1;
	}
	if (bad)
		return;

	desc = malloc(sizeof(*desc));
	if (!desc) {
		rs_log(c, LOG_ERR, "pool %s: out of memory", p->name);
		return;
	}
	r = cairn_nl_pool_open(c->nl, paths, sb->nr_members, desc);
	if (r) {
		rs_log(c, LOG_ERR, "pool %s (uuid %s): open from %s failed: %s",
		       p->name, p->uuid, list, rs_nlerr(c, r));
	} else {
		c->opened++;
		rs_log(c, LOG_INFO, "pool %s (uuid %s): opened from %s",
		       p->name, p->uuid, list);
		if (strcmp(desc->name, p->name))
			rs_log(c, LOG_WARNING,
			       "pool %s (uuid %s): its superblock names it %s",
			       p->name, p->uuid, desc->name);
		rs_pool_cb(desc, c);
	}
	free(desc);
}

/* ---- pass 2: volumes ---- */

/*
 * A configured mirror whose volume the kernel has as a plain volume (the
 * mirror's state is not on disk yet) gets its role and peer back, before
 * its device exists: a secondary never serves I/O, not even at boot.  The
 * data's state starts unknown; cairnd's link and the resync do the rest.
 */
static void rs_mirrors(struct rs_ctx *c)
{
	unsigned int i;
	int r;

	for (i = 0; i < c->cfg->nr_volumes; i++) {
		const struct cairn_cfg_volume *cv = &c->cfg->volumes[i];
		struct rs_volume *v = rs_volume(c, cv->pool, cv->name);
		char us[40];

		if (!cv->mirror.peer[0] || !v)
			continue;
		cairn_uuid_str(v->desc.uuid, us);
		if (cv->uuid[0] && strcasecmp(cv->uuid, us))
			continue;	/* reported below */
		if (v->desc.mirror.mirrored)
			continue;
		r = cairn_nl_mirror_set(c->nl, cv->pool, cv->name, cv->mirror.role,
					cv->mirror.peer, false, &v->desc);
		if (r) {
			rs_log(c, LOG_ERR, "volume %s/%s: mirror role %s with peer %s: %s",
			       cv->pool, cv->name,
			       cairn_mirror_role_name(cv->mirror.role),
			       cv->mirror.peer, rs_nlerr(c, r));
			continue;
		}
		rs_log(c, LOG_INFO, "volume %s/%s: mirror %s with peer %s", cv->pool,
		       cv->name, cairn_mirror_role_name(cv->mirror.role),
		       cv->mirror.peer);
	}
}

/*
 * A configured RAM cache, on a volume whose pool is open and whose UUID is
 * as configured, that has no cache in the kernel is turned on.  One that
 * has a cache keeps it as it is (restore changes nothing that exists);
 * settings that differ from the configuration's are reported.
 */
static void rs_caches(struct rs_ctx *c)
{
	unsigned int i;
	int r;

	for (i = 0; i < c->cfg->nr_volumes; i++) {
		const struct cairn_cfg_volume *cv = &c->cfg->volumes[i];
		const struct cairn_cfg_cache *cc = &cv->cache;
		struct rs_volume *v = rs_volume(c, cv->pool, cv->name);
		const struct cairn_cache_desc *k;
		char us[40], cut[32];

		if (cc->mode == CAIRN_CACHE_OFF || !v)
			continue;
		cairn_uuid_str(v->desc.uuid, us);
		if (cv->uuid[0] && strcasecmp(cv->uuid, us))
			continue;	/* reported below */
		k = &v->desc.cache;
		if (k->present && k->mode != CAIRN_CACHE_OFF) {
			if (k->mode != cc->mode || k->flush != cc->flush ||
			    k->seq_cutoff != cc->seq_cutoff)
				rs_log(c, LOG_WARNING,
				       "volume %s/%s: cache %s flush=%s seq_cutoff=%u kept; "
				       "configured: %s flush=%s seq_cutoff=%u",
				       cv->pool, cv->name, cairn_cache_mode_name(k->mode),
				       cairn_cache_flush_name(k->flush), k->seq_cutoff,
				       cairn_cache_mode_name(cc->mode),
				       cairn_cache_flush_name(cc->flush), cc->seq_cutoff);
			continue;
		}
		r = cairn_nl_volume_cache(c->nl, cv->pool, cv->name, cc->mode,
					  cc->flush, cc->seq_cutoff, &v->desc);
		if (r) {
			rs_log(c, LOG_ERR, "volume %s/%s: cache %s flush=%s: %s",
			       cv->pool, cv->name, cairn_cache_mode_name(cc->mode),
			       cairn_cache_flush_name(cc->flush), rs_nlerr(c, r));
			continue;
		}
		cairn_human_size(cc->seq_cutoff, cut, sizeof(cut));
		rs_log(c, LOG_INFO, "volume %s/%s: cache %s, flush %s, sequential cutoff %s",
		       cv->pool, cv->name, cairn_cache_mode_name(cc->mode),
		       cairn_cache_flush_name(cc->flush), cc->seq_cutoff ? cut : "none");
	}
}

static void rs_volumes(struct rs_ctx *c)
{
	char err[256], size[32];
	unsigned int i;
	int r;

	r = cairn_nl_volume_list(c->nl, NULL, rs_volume_cb, c);
	if (r) {
		rs_log(c, LOG_ERR, "cannot list the volumes: %s", rs_nlerr(c, r));
		return;
	}
	rs_mirrors(c);
	rs_caches(c);
	for (i = 0; i < c->nr_vols; i++) {
		struct rs_volume *v = &c->vols[i];

		if (cairn_dm_exists(v->desc.pool, v->desc.name)) {
			v->exportable = true;
			continue;
		}
		r = cairn_dm_activate(v->desc.pool, v->desc.name, v->desc.size,
				      err, sizeof(err));
		if (r) {
			rs_log(c, LOG_ERR, "volume %s/%s: activation failed: %s",
			       v->desc.pool, v->desc.name, err);
			continue;
		}
		v->exportable = true;
		c->activated++;
		cairn_human_size(v->desc.size, size, sizeof(size));
		rs_log(c, LOG_INFO, "volume %s/%s: activated (%s)", v->desc.pool,
		       v->desc.name, size);
	}

	for (i = 0; i < c->cfg->nr_volumes; i++) {
		const struct cairn_cfg_volume *cv = &c->cfg->volumes[i];
		struct rs_volume *v = rs_volume(c, cv->pool, cv->name);
		char us[40];

		if (!rs_pool_by_name(c, cv->pool)) {
			rs_log(c, LOG_WARNING,
			       "volume %s/%s: skipped: pool %s is not open",
			       cv->pool, cv->name, cv->pool);
			continue;
		}
		if (!v) {
			rs_log(c, LOG_ERR,
			       "volume %s/%s (uuid %s): configured but not in the pool",
			       cv->pool, cv->name, cv->uuid);
			continue;
		}
		cairn_uuid_str(v->desc.uuid, us);
		if (cv->uuid[0] && strcasecmp(cv->uuid, us)) {
			rs_log(c, LOG_ERR,
			       "volume %s/%s: the pool's has uuid %s, the configured one %s; not exported",
			       cv->pool, cv->name, us, cv->uuid);
			v->exportable = false;
		}
	}
}

/* ---- pass 3: exports ---- */

/* The backstore of LUN @l's volume, created if missing. */
static int rs_backstore(struct rs_ctx *c, const struct cairn_cfg_target *t,
			const struct cairn_cfg_lun *l)
{
	const struct cairn_cfg_volume *cv = NULL;
	struct cairn_lio_backstore bs;
	char dm[200], dev[256], err[512];
	struct rs_volume *v;
	struct rs_pool *p;
	unsigned int i;
	int r;

	for (i = 0; i < c->cfg->nr_volumes; i++)
		if (!strcmp(c->cfg->volumes[i].name, l->volume))
			cv = &c->cfg->volumes[i];
	if (!cv) {
		rs_log(c, LOG_ERR,
		       "%s target %s: LUN %u: volume %s is not in the configuration",
		       rs_fabric(t->fabric), t->wwn, l->lun, l->volume);
		return -ENOENT;
	}
	v = rs_volume(c, cv->pool, cv->name);
	p = rs_pool_by_name(c, cv->pool);
	if (!v || !p || !v->exportable) {
		rs_log(c, LOG_WARNING,
		       "%s target %s: LUN %u skipped: volume %s/%s is not available",
		       rs_fabric(t->fabric), t->wwn, l->lun, cv->pool, cv->name);
		return -ENODEV;
	}
	if (cairn_lio_backstore_exists(cv->name) == 1)
		return 0;
	if (cairn_dm_name(cv->pool, cv->name, dm, sizeof(dm))) {
		rs_log(c, LOG_ERR, "backstore %s: device name too long", cv->name);
		return -ENAMETOOLONG;
	}
	snprintf(dev, sizeof(dev), "/dev/mapper/%s", dm);
	bs.name = cv->name;
	bs.device = dev;
	bs.uuid = v->desc.uuid;
	bs.granularity = p->chunk_size;
	r = cairn_lio_backstore_create(&bs, err, sizeof(err));
	if (r) {
		rs_log(c, LOG_ERR, "%s", err);
		v->exportable = false;	/* one report, not one per LUN */
		return r;
	}
	c->created++;
	rs_log(c, LOG_INFO, "backstore %s: created on %s", cv->name, dev);
	return 0;
}

/*
 * A paired target's LUN: both ports in their nodes' target port groups.
 * Groups made now get the state of the volume's role in the kernel: this
 * node's group active/optimized when the volume is primary (or not
 * mirrored), standby when it is secondary, the peer's the opposite.
 * Groups that were there keep their state: that is cairnd's to change.
 */
static void rs_alua(struct rs_ctx *c, const struct cairn_cfg_target *t,
		    const struct cairn_cfg_lun *l, int self)
{
	const char *nodes[CAIRN_ALUA_NODES] = { t->nodes[0], t->nodes[1] };
	const struct cairn_cfg_volume *cv;
	const char *primary = t->nodes[self];
	uint32_t rtpi[CAIRN_ALUA_NODES];
	struct rs_volume *v;
	unsigned int k;
	char err[512];
	int r;

	r = cairn_lio_alua_attach(t->wwn, l->lun, nodes, err, sizeof(err));
	if (r < 0) {
		rs_log(c, LOG_ERR, "%s", err);
		return;
	}
	for (k = 0; k < CAIRN_ALUA_NODES; k++)
		if (cairn_lio_lun_rtpi(CAIRN_FABRIC_ISCSI, t->wwn, k + 1, l->lun,
				       &rtpi[k]) || rtpi[k] != k + 1)
			break;
	if (k < CAIRN_ALUA_NODES)
		rs_log(c, LOG_WARNING,
		       "iscsi target %s: LUN %u: the port of tpgt_%u is not relative port %u "
		       "(the backstore had other ports): the nodes' port ids differ",
		       t->wwn, l->lun, k + 1, k + 1);
	if (!r)
		return;
	cv = cairn_config_volume((struct cairn_config *)c->cfg, l->volume);
	v = cv ? rs_volume(c, cv->pool, cv->name) : NULL;
	if (v && v->desc.mirror.mirrored &&
	    v->desc.mirror.role == CAIRN_ROLE_SECONDARY)
		primary = t->nodes[!self];
	r = cairn_alua_set(c->cfg, cv ? cv->pool : NULL, l->volume, primary,
			   err, sizeof(err));
	if (r < 0)
		rs_log(c, LOG_ERR, "%s", err);
	else
		rs_log(c, LOG_INFO, "iscsi target %s: LUN %u: ALUA groups "
		       "cairn_%s (1), cairn_%s (2); %s active/optimized",
		       t->wwn, l->lun, t->nodes[0], t->nodes[1], primary);
}

static void rs_target(struct rs_ctx *c, const struct cairn_cfg_target *t)
{
	const char *fab = rs_fabric(t->fabric);
	char tpg[512], path[1024], val[32], err[512];
	char name[CAIRN_LIO_DIR_NAME_LEN], self_name[CAIRN_NAME_LEN];
	int self = cairn_alua_self(c->cfg, t);
	bool chap = false, pair = t->nodes[0][0];
	unsigned int i, tag = pair ? self + 1 : 1;
	int r;

	if (pair && self < 0) {
		cairn_config_node(c->cfg, self_name, sizeof(self_name));
		rs_log(c, LOG_ERR,
		       "%s target %s: this node (%s) is not one of its nodes (%s, %s); not exported",
		       fab, t->wwn, self_name, t->nodes[0], t->nodes[1]);
		return;
	}
	snprintf(tpg, sizeof(tpg), "%s/%s/%s/tpgt_%u", CAIRN_LIO_ROOT, fab,
		 cairn_lio_dir_name(t->fabric, t->wwn, name), tag);
	if (cairn_lio_target_exists(t->fabric, t->wwn) != 1) {
		r = pair ? cairn_lio_target_create_pair(t->wwn, err, sizeof(err)) :
		    cairn_lio_target_create(t->fabric, t->wwn, err, sizeof(err));
		if (r) {
			rs_log(c, LOG_ERR, "%s", err);
			return;
		}
		c->created++;
		rs_log(c, LOG_INFO, "%s target %s: created%s", fab, t->wwn,
		       pair ? " with tpgt_1 and tpgt_2" : "");
	}
	snprintf(path, sizeof(path), "%s/%s/%s/tpgt_2", CAIRN_LIO_ROOT, fab,
		 cairn_lio_dir_name(t->fabric, t->wwn, name));
	if (pair && !rs_exists(path)) {
		rs_log(c, LOG_ERR,
		       "%s target %s: in LIO without tpgt_2 but configured with nodes %s, %s; "
		       "delete it from LIO and restore",
		       fab, t->wwn, t->nodes[0], t->nodes[1]);
		return;
	}

	for (i = 0; t->fabric == CAIRN_FABRIC_ISCSI && i < t->nr_portals; i++) {
		const struct cairn_cfg_portal *pt = &t->portals[i];

		snprintf(path, sizeof(path), "%s/np/%s:%u", tpg, pt->ip, pt->port);
		if (rs_exists(path))
			continue;
		r = cairn_lio_tpg_portal_create(t->wwn, tag, pt->ip, pt->port,
						err, sizeof(err));
		if (r == -EEXIST)
			continue;	/* under its canonical name */
		if (r) {
			rs_log(c, LOG_ERR, "%s", err);
			continue;
		}
		c->created++;
		rs_log(c, LOG_INFO, "%s target %s: portal %s:%u created", fab,
		       t->wwn, pt->ip, pt->port);
	}

	for (i = 0; i < t->nr_luns; i++) {
		const struct cairn_cfg_lun *l = &t->luns[i];

		snprintf(path, sizeof(path), "%s/lun/lun_%u", tpg, l->lun);
		if (rs_exists(path)) {
			if (pair)
				rs_alua(c, t, l, self);
			continue;
		}
		if (rs_backstore(c, t, l))
			continue;
		r = cairn_lio_lun_create(t->fabric, t->wwn, l->lun, l->volume,
					 err, sizeof(err));
		if (r == -EEXIST)
			continue;
		if (r) {
			rs_log(c, LOG_ERR, "%s", err);
			continue;
		}
		c->created++;
		rs_log(c, LOG_INFO, "%s target %s: LUN %u (volume %s) created",
		       fab, t->wwn, l->lun, l->volume);
		if (pair)
			rs_alua(c, t, l, self);
	}

	for (i = 0; t->fabric != CAIRN_FABRIC_LOOPBACK && i < t->nr_acls; i++) {
		const struct cairn_cfg_acl *a = &t->acls[i];

		if (a->userid[0])
			chap = true;
		snprintf(path, sizeof(path), "%s/acls/%s", tpg,
			 cairn_lio_dir_name(t->fabric, a->initiator, name));
		if (rs_exists(path))
			continue;
		r = cairn_lio_acl_create(t->fabric, t->wwn, a, err, sizeof(err));
		if (r == -EEXIST)
			continue;	/* under another spelling of the name */
		if (r) {
			rs_log(c, LOG_ERR, "%s", err);
			continue;
		}
		c->created++;
		rs_log(c, LOG_INFO, "%s target %s: ACL %s created%s", fab, t->wwn,
		       a->initiator, a->userid[0] ? " with CHAP" : "");
	}

	snprintf(path, sizeof(path), "%s/attrib/authentication", tpg);
	if (chap && (rs_read_line(path, val, sizeof(val)) || strcmp(val, "1"))) {
		r = cairn_lio_set_chap_required(t->wwn, true, err, sizeof(err));
		if (r)
			rs_log(c, LOG_ERR, "%s", err);
		else
			rs_log(c, LOG_INFO, "%s target %s: CHAP required", fab,
			       t->wwn);
	}

	/* Last: logins become possible.  Loopback, FC TPGs have no switch. */
	snprintf(path, sizeof(path), "%s/enable", tpg);
	if (t->fabric != CAIRN_FABRIC_FC &&
	    !rs_read_line(path, val, sizeof(val)) && strcmp(val, "1")) {
		r = cairn_lio_tpg_enable(t->fabric, t->wwn, tag, true, err,
					 sizeof(err));
		if (r)
			rs_log(c, LOG_ERR, "%s", err);
		else
			rs_log(c, LOG_INFO, "%s target %s: tpgt_%u enabled", fab,
			       t->wwn, tag);
	}
}

int cairn_restore(const struct cairn_config *cfg,
		  void (*log)(int prio, const char *msg, void *arg), void *arg)
{
	struct rs_ctx c = { .cfg = cfg, .log = log, .arg = arg };
	struct timespec t0, t1;
	char err[512];
	unsigned int i;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = cairn_kmod_load_all(cfg->nr_targets > 0, err, sizeof(err));
	if (r)
		rs_log(&c, LOG_ERR, "loading kernel modules: %s", err);
	r = cairn_nl_open(&c.nl);
	if (r) {
		rs_log(&c, LOG_ERR, "cannot reach cairn.ko over netlink: %s",
		       r == -ENOENT ? "module not loaded" : strerror(-r));
		return c.failures;
	}
	rs_cache_budget(&c);
	if (rs_list_pools(&c))
		goto out;
	for (i = 0; i < cfg->nr_pools; i++)
		rs_open_pool(&c, &cfg->pools[i]);
	rs_volumes(&c);
	for (i = 0; i < cfg->nr_targets; i++)
		rs_target(&c, &cfg->targets[i]);
out:
	clock_gettime(CLOCK_MONOTONIC, &t1);
	rs_log(&c, LOG_INFO,
	       "restore: %u pool(s) opened, %u volume(s) activated, %u export object(s) created, %d failure(s), %ld ms",
	       c.opened, c.activated, c.created, c.failures,
	       (long)((t1.tv_sec - t0.tv_sec) * 1000 +
		      (t1.tv_nsec - t0.tv_nsec) / 1000000));
	cairn_nl_close(c.nl);
	free(c.pools);
	free(c.vols);
	free(c.devs);
	return c.failures;
}
