// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cairnctl: /cache - the node's RAM cache (its budget and totals) - and
 * the cache verb of /volumes/VOLUME (CACHE_SET, CACHE_GET, VOLUME_CACHE).
 *
 *   /cache [status]                     budget, use, totals
 *   /cache set budget=SIZE              0 releases it
 *   /volumes/VOLUME cache [mode=off|writethrough|writeback]
 *                         [flush=disk|mirror] [seq_cutoff=SIZE]
 *
 * Sizes in JSON are bytes; "blocks" are the cache's 4 KiB blocks.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "cairnctl.h"
#include "uapi/cairn_nl.h"

/* Percent of reads served from RAM, or -1 when there were none. */
static int hit_rate(const struct cairn_cache_desc *d)
{
	uint64_t reads = d->read_hits + d->read_misses;

	return reads ? (int)(d->read_hits * 100 / reads) : -1;
}

/* Blocks per destage write, one decimal ("6.4"); "" when none. */
static void per_destage(const struct cairn_cache_desc *d, char *out, size_t len)
{
	uint64_t tenths;

	out[0] = '\0';
	if (!d->destage_writes)
		return;
	tenths = (d->destaged * 10 + d->destage_writes / 2) / d->destage_writes;
	snprintf(out, len, "%" PRIu64 ".%" PRIu64, tenths / 10, tenths % 10);
}

/*
 * A cache as JSON: a volume's (@volume: mode, flush, write_back,
 * seq_cutoff) or the node's totals (@budget, volumes).
 */
static struct json_object *cache_json(const struct cairn_cache_desc *d,
				      bool volume, uint64_t budget)
{
	struct json_object *o = json_object_new_object();
	struct json_object *cnt = json_object_new_object();
	char per[32];
	int hr = hit_rate(d);

	if (!volume)
		json_object_object_add(o, "budget", json_object_new_int64(budget));
	if (volume) {
		json_object_object_add(o, "mode",
				       json_object_new_string(cairn_cache_mode_name(d->mode)));
		json_object_object_add(o, "flush",
				       json_object_new_string(cairn_cache_flush_name(d->flush)));
		json_object_object_add(o, "write_back",
				       json_object_new_boolean(d->write_back));
		json_object_object_add(o, "seq_cutoff",
				       json_object_new_int64(d->seq_cutoff));
	} else {
		json_object_object_add(o, "volumes", json_object_new_int64(d->volumes));
	}
	json_object_object_add(o, "used",
			       json_object_new_int64(d->blocks * CAIRN_CACHE_BLOCK));
	json_object_object_add(o, "blocks", json_object_new_int64(d->blocks));
	json_object_object_add(o, "dirty",
			       json_object_new_int64(d->dirty * CAIRN_CACHE_BLOCK));
	json_object_object_add(o, "dirty_blocks", json_object_new_int64(d->dirty));
	json_object_object_add(o, "peak",
			       json_object_new_int64(d->peak * CAIRN_CACHE_BLOCK));
	json_object_object_add(o, "hit_rate", hr < 0 ? NULL : json_object_new_int(hr));
	per_destage(d, per, sizeof(per));
	json_object_object_add(o, "blocks_per_destage", !per[0] ? NULL :
			       json_object_new_double_s(strtod(per, NULL), per));
	json_object_object_add(cnt, "read_hits", json_object_new_int64(d->read_hits));
	json_object_object_add(cnt, "read_misses",
			       json_object_new_int64(d->read_misses));
	json_object_object_add(cnt, "write_hits",
			       json_object_new_int64(d->write_hits));
	json_object_object_add(cnt, "bypassed", json_object_new_int64(d->bypassed));
	json_object_object_add(cnt, "destage_writes",
			       json_object_new_int64(d->destage_writes));
	json_object_object_add(cnt, "destaged", json_object_new_int64(d->destaged));
	json_object_object_add(cnt, "evictions", json_object_new_int64(d->evictions));
	json_object_object_add(o, "counters", cnt);
	return o;
}

struct json_object *cache_volume_json(const struct cairn_cache_desc *d)
{
	return cache_json(d, true, 0);
}

/* The lines both status verbs print after their first, indented by @ind. */
static void cache_text(const struct cairn_cache_desc *d, const char *ind)
{
	char used[32], dirty[32], peak[32], per[32], hr[16] = "-";

	cairn_human_size(d->blocks * CAIRN_CACHE_BLOCK, used, sizeof(used));
	cairn_human_size(d->dirty * CAIRN_CACHE_BLOCK, dirty, sizeof(dirty));
	cairn_human_size(d->peak * CAIRN_CACHE_BLOCK, peak, sizeof(peak));
	if (hit_rate(d) >= 0)
		snprintf(hr, sizeof(hr), "%d%%", hit_rate(d));
	per_destage(d, per, sizeof(per));
	printf("%sheld %s (%" PRIu64 " blocks), dirty %s (%" PRIu64 " blocks), peak %s\n",
	       ind, used, d->blocks, dirty, d->dirty, peak);
	printf("%sreads: %" PRIu64 " hits, %" PRIu64 " misses, hit rate %s; "
	       "writes: %" PRIu64 " from RAM, %" PRIu64 " bypassed\n", ind,
	       d->read_hits, d->read_misses, hr, d->write_hits, d->bypassed);
	printf("%sdestage: %" PRIu64 " writes, %" PRIu64 " blocks, %s blocks per write; "
	       "%" PRIu64 " evictions\n", ind, d->destage_writes, d->destaged,
	       per[0] ? per : "-", d->evictions);
}

void cache_volume_text(const struct cairn_cache_desc *d)
{
	char cut[32];

	exact_size(d->seq_cutoff, cut, sizeof(cut));
	printf("  cache: %s, flush %s, write-back now %s, sequential cutoff %s\n",
	       cairn_cache_mode_name(d->mode), cairn_cache_flush_name(d->flush),
	       d->write_back ? "yes" : "no", d->seq_cutoff ? cut : "none");
	cache_text(d, "    ");
}

/* ---- /cache ---- */

int cache_summary(struct ctx *c, char *out, size_t len)
{
	struct cairn_cache_desc d;
	char budget[32], used[32];
	struct cairn_nl *nl;
	uint64_t b;
	int r;

	if (nl_get(c, &nl))
		return EXIT_REFUSED;
	r = cairn_nl_cache_get(nl, &b, &d);
	if (r) {
		/* The listing goes on; this node says what is wrong. */
		snprintf(out, len, "not available: %s",
			 *cairn_nl_error(nl) ? cairn_nl_error(nl) : strerror(-r));
		return 0;
	}
	if (!b) {
		snprintf(out, len, "no budget");
		return 0;
	}
	cairn_human_size(b, budget, sizeof(budget));
	cairn_human_size(d.blocks * CAIRN_CACHE_BLOCK, used, sizeof(used));
	snprintf(out, len, "budget %s, %s used, %u volume%s", budget, used,
		 d.volumes, d.volumes == 1 ? "" : "s");
	return 0;
}

int cache_status(struct ctx *c)
{
	struct cairn_cache_desc d;
	char budget[32], used[32];
	struct cairn_nl *nl;
	uint64_t b;
	int r;

	if (nl_get(c, &nl))
		return EXIT_REFUSED;
	r = cairn_nl_cache_get(nl, &b, &d);
	if (r)
		return err_nl(c, "cache status", r);
	if (c->json) {
		print_json(cache_json(&d, false, b));
		return 0;
	}
	cairn_human_size(b, budget, sizeof(budget));
	cairn_human_size(d.blocks * CAIRN_CACHE_BLOCK, used, sizeof(used));
	printf("cache budget %s, used %s (%u%%), %u volume%s with a cache\n",
	       b ? budget : "none", used,
	       b ? (unsigned int)(d.blocks * CAIRN_CACHE_BLOCK * 100 / b) : 0,
	       d.volumes, d.volumes == 1 ? "" : "s");
	cache_text(&d, "  ");
	return 0;
}

static int cache_set(struct ctx *c)
{
	const char *v = arg(c, "budget");
	struct cairn_cache_desc d;
	struct cairn_config *cfg;
	char was[32], now[32];
	struct cairn_nl *nl;
	uint64_t budget, old;
	int r;

	r = size_arg("budget", v, &budget);
	if (r)
		return r;
	if (budget > INT64_MAX)
		return err_usage("budget: '%s' is too large", v);
	if (cfg_get(c, &cfg) || nl_get(c, &nl))
		return EXIT_REFUSED;
	r = cairn_nl_cache_get(nl, &old, &d);
	if (!r)
		r = cairn_nl_cache_set(nl, budget);
	if (!r)
		r = cairn_nl_cache_get(nl, &budget, &d);
	if (r)
		return err_nl(c, "cache set budget", r);
	cfg->cache_budget = budget;
	if (c->json) {
		print_json(cache_json(&d, false, budget));
		return 0;
	}
	exact_size(old, was, sizeof(was));
	exact_size(budget, now, sizeof(now));
	if (!budget && !old)
		printf("No cache budget (there was none).\n");
	else if (!budget)
		printf("Released the cache budget (was %s).\n", was);
	else
		printf("Cache budget %s -> %s.\n", old ? was : "none", now);
	return 0;
}

/* ---- /volumes/VOLUME cache ---- */

/* The configuration's copy of the cache the kernel reports for @v. */
void cache_capture(struct cairn_cfg_cache *cc, const struct cairn_cache_desc *d)
{
	memset(cc, 0, sizeof(*cc));
	if (!d->present || d->mode == CAIRN_CACHE_OFF ||
	    !strcmp(cairn_cache_mode_name(d->mode), "unknown") ||
	    !strcmp(cairn_cache_flush_name(d->flush), "unknown"))
		return;
	cc->mode = d->mode;
	cc->flush = d->flush;
	cc->seq_cutoff = d->seq_cutoff;
}

static int volume_cache(struct ctx *c)
{
	const char *mode_s = arg(c, "mode"), *flush_s = arg(c, "flush");
	const char *cut_s = arg(c, "seq_cutoff");
	struct cairn_volume_desc v;
	struct cairn_config *cfg;
	struct cairn_cfg_volume *cv;
	struct cairn_nl *nl;
	int mode = -1, flush = -1, r;
	int64_t cutoff = -1;
	char cut[32];

	/* Every value is checked before anything is asked of the kernel. */
	if (!mode_s && !flush_s && !cut_s)
		return err_usage("cache: nothing to set (mode=, flush=, seq_cutoff=)");
	if (mode_s) {
		mode = cairn_cache_mode_from_name(mode_s);
		if (mode < 0)
			return err_usage("mode: '%s' is not off, writethrough or writeback",
					 mode_s);
	}
	if (flush_s) {
		flush = cairn_cache_flush_from_name(flush_s);
		if (flush < 0)
			return err_usage("flush: '%s' is neither disk nor mirror", flush_s);
	}
	if (cut_s) {
		uint64_t n;

		r = size_arg("seq_cutoff", cut_s, &n);
		if (r)
			return r;
		if (n > UINT32_MAX)
			return err_usage("seq_cutoff: '%s' is above 4G-1", cut_s);
		cutoff = n;
	}
	if (mode == CAIRN_CACHE_OFF && (flush_s || cut_s))
		return err_usage("cache: flush= and seq_cutoff= mean nothing with mode=off");
	if (cfg_get(c, &cfg) || find_volume(c, c->path[1], &v) || nl_get(c, &nl))
		return EXIT_REFUSED;
	if (mode < 0) {
		if (!v.cache.present || v.cache.mode == CAIRN_CACHE_OFF)
			return err_msg("volume %s has no cache: give mode=writethrough "
				       "or mode=writeback", v.name);
		mode = v.cache.mode;
	}
	r = cairn_nl_volume_cache(nl, v.pool, v.name, mode, flush, cutoff, &v);
	if (r)
		return err_nl(c, "volume cache", r);
	/* Off: the kernel drains in the background; wait until it is gone. */
	if (mode == CAIRN_CACHE_OFF && v.cache.present && !c->json)
		printf("Volume %s: destaging %llu dirty blocks...\n", v.name,
		       (unsigned long long)v.cache.dirty);
	while (mode == CAIRN_CACHE_OFF && v.cache.present) {
		usleep(100000);
		r = cairn_nl_volume_get(nl, v.pool, v.name, &v);
		if (r)
			return err_nl(c, "volume cache", r);
	}
	/* What is saved is what the kernel has (capture_storage keeps it). */
	cv = cairn_config_volume(cfg, v.name);
	if (cv && !strcmp(cv->pool, v.pool))
		cache_capture(&cv->cache, &v.cache);
	if (c->json) {
		print_json(volume_json(&v));
		return 0;
	}
	if (!v.cache.present || v.cache.mode == CAIRN_CACHE_OFF) {
		printf("Volume %s: cache off; every dirty block is on the members.\n",
		       v.name);
		return 0;
	}
	exact_size(v.cache.seq_cutoff, cut, sizeof(cut));
	printf("Volume %s: cache %s, flush %s, sequential cutoff %s; write-back now %s.\n",
	       v.name, cairn_cache_mode_name(v.cache.mode),
	       cairn_cache_flush_name(v.cache.flush),
	       v.cache.seq_cutoff ? cut : "none", v.cache.write_back ? "yes" : "no");
	return 0;
}

const struct command cache_commands[] = {
	{ "/cache", "status", cache_status,
	  "the node's RAM cache: budget, RAM held and dirty, volumes with a "
	  "cache, read hits and misses, writes from RAM, destage writes" },
	{ "/cache", "set", cache_set,
	  "set the node's RAM cache budget (shared by the volumes' caches)",
	  { { "budget", "bytes of RAM, a MiB multiple, at most half the RAM "
	      "(e.g. 256M, 1G); 0 releases it (no volume may have a cache)",
	      P_REQUIRED } }, C_CHANGES },
	{ "/volumes/*", "cache", volume_cache,
	  "the volume's RAM cache: turn it on (needs a budget, see /cache), "
	  "change it, or turn it off (returns once every dirty block is on "
	  "the members)",
	  { { "mode", "off, writethrough (a read cache) or writeback "
	      "(default: as it is)" },
	    { "flush", "what a FLUSH waits for: disk (on the members) or mirror "
	      "(in both nodes' RAM; write-through while the mirror is not in sync)" },
	    { "seq_cutoff", "sequential writes from this size on bypass the "
	      "cache (0: none; default 1M)", 0, "seq-cutoff" } },
	  C_CHANGES },
};

const unsigned int nr_cache_commands = ARRAY_SIZE(cache_commands);
