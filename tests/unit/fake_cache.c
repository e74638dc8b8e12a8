// SPDX-License-Identifier: GPL-2.0
/*
 * A stand-in for cairn.ko's RAM cache commands, linked into a cairnctl of
 * the unit tests (build/user/tests/bin/cairnctl-fake, with ld --wrap) so
 * that tests/unit/cache_cli.sh can drive the cache verbs, their errors,
 * the configuration they save and restoreconfig without a kernel.
 *
 * It knows one pool, p0, with one volume, vm01 (1 GiB), whose cache and
 * the node's budget persist in $CAIRN_FAKE_STATE between runs.  Its rules
 * are the uapi's as the header states them, no more: a budget is a MiB
 * multiple and cannot drop below what the caches hold; a cache needs a
 * budget; a new cache holds made-up counters; flush=mirror never writes
 * back (no mirror here).  Modules and device-mapper are not touched: the
 * volume's device "exists".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcairn.h"
#include "uapi/cairn_nl.h"

struct fake_state {
	uint64_t budget;
	struct cairn_cache_desc vc;	/* vm01's cache */
};

static struct fake_state st;
static char msg[256];

static const char *state_path(void)
{
	const char *p = getenv("CAIRN_FAKE_STATE");

	return p && *p ? p : "/tmp/cairn-fake-state";
}

static void state_load(void)
{
	FILE *f = fopen(state_path(), "r");

	memset(&st, 0, sizeof(st));
	if (!f)
		return;
	if (fread(&st, sizeof(st), 1, f) != 1)
		memset(&st, 0, sizeof(st));
	fclose(f);
}

static int state_save(void)
{
	FILE *f = fopen(state_path(), "w");

	if (!f)
		return -errno;
	fwrite(&st, sizeof(st), 1, f);
	return fclose(f) ? -EIO : 0;
}

static int refuse(int r, const char *why)
{
	snprintf(msg, sizeof(msg), "%s", why);
	return r;
}

int __wrap_cairn_nl_open(struct cairn_nl **nl)
{
	state_load();
	*nl = (struct cairn_nl *)&st;
	return 0;
}

void __wrap_cairn_nl_close(struct cairn_nl *nl)
{
}

const char *__wrap_cairn_nl_error(const struct cairn_nl *nl)
{
	return msg;
}

int __wrap_cairn_dm_exists(const char *pool, const char *volume)
{
	return 1;
}

int __wrap_cairn_kmod_load_all(bool exports, char *err, size_t errlen)
{
	return 0;
}

int __wrap_cairn_nl_pool_list(struct cairn_nl *nl,
			      int (*cb)(const struct cairn_pool_desc *d, void *arg),
			      void *arg)
{
	static struct cairn_pool_desc d;

	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "p0");
	d.uuid[0] = 0xaa;
	d.chunk_size = 1 << 20;
	d.capacity = 1ULL << 32;
	d.nr_members = 1;
	snprintf(d.members[0].device, sizeof(d.members[0].device), "/dev/vda");
	d.members[0].uuid[0] = 0xbb;
	return cb(&d, arg);
}

static void vm01(struct cairn_volume_desc *v)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->pool, sizeof(v->pool), "p0");
	snprintf(v->name, sizeof(v->name), "vm01");
	v->uuid[0] = 1;
	v->size = 1ULL << 30;
	v->cache = st.vc;
}

int __wrap_cairn_nl_volume_list(struct cairn_nl *nl, const char *pool,
				int (*cb)(const struct cairn_volume_desc *v, void *arg),
				void *arg)
{
	struct cairn_volume_desc v;

	vm01(&v);
	return cb(&v, arg);
}

int __wrap_cairn_nl_cache_get(struct cairn_nl *nl, uint64_t *budget,
			      struct cairn_cache_desc *t)
{
	msg[0] = '\0';
	*budget = st.budget;
	memset(t, 0, sizeof(*t));
	t->present = true;
	if (st.vc.mode) {
		*t = st.vc;
		t->mode = 0;
		t->flush = 0;
		t->write_back = false;
		t->seq_cutoff = 0;
		t->volumes = 1;
	}
	return 0;
}

int __wrap_cairn_nl_cache_set(struct cairn_nl *nl, uint64_t budget)
{
	msg[0] = '\0';
	if (budget % (1 << 20))
		return refuse(-EINVAL, "cache budget: not a multiple of 1 MiB");
	if (st.vc.mode && budget < st.vc.blocks * CAIRN_CACHE_BLOCK)
		return refuse(-EBUSY, "cache budget: the volumes' caches hold more");
	st.budget = budget;
	return state_save();
}

int __wrap_cairn_nl_volume_cache(struct cairn_nl *nl, const char *pool,
				 const char *name, uint32_t mode, int flush,
				 int64_t seq_cutoff, struct cairn_volume_desc *out)
{
	struct cairn_cache_desc *c = &st.vc;

	msg[0] = '\0';
	if (strcmp(pool, "p0") || strcmp(name, "vm01"))
		return refuse(-ENOENT, "no such volume");
	if (mode > CAIRN_CACHE_WRITEBACK || flush > CAIRN_CACHE_FLUSH_MIRROR)
		return refuse(-EINVAL, "bad mode or flush");
	if (mode && !st.budget)
		return refuse(-ENOSPC, "no cache budget (CACHE_SET)");
	if (!mode) {
		memset(c, 0, sizeof(*c));
	} else {
		if (!c->mode) {
			memset(c, 0, sizeof(*c));
			c->present = true;
			c->seq_cutoff = 1 << 20;
			c->blocks = 3072;
			c->dirty = 256;
			c->peak = 5000;
			c->read_hits = 1000;
			c->read_misses = 200;
			c->write_hits = 500;
			c->bypassed = 10;
			c->destage_writes = 40;
			c->destaged = 256;
			c->evictions = 12;
		}
		c->mode = mode;
		if (flush >= 0)
			c->flush = flush;
		if (seq_cutoff >= 0)
			c->seq_cutoff = seq_cutoff;
		c->write_back = mode == CAIRN_CACHE_WRITEBACK &&
				c->flush == CAIRN_CACHE_FLUSH_DISK;
	}
	if (out)
		vm01(out);
	return state_save();
}
