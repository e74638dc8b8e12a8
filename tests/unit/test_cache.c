// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the RAM cache's configuration: the top-level "cache"
 * (the node's budget) and each volume's "cache" (mode, flush, sequential
 * cutoff) loaded, defaulted, saved and loaded back; a file without them
 * loads as before and is saved without them; each bad one refused with
 * the JSON path of the bad element; the names of modes and flush
 * semantics both ways.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "libcairn.h"
#include "uapi/cairn_nl.h"
#include "unit.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static char dir[sizeof("/tmp/cairn-test-cache-XXXXXX")];

static int load_text(const char *text, struct cairn_config *cfg, char *err,
		     size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cairn.json", dir);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fputs(text, f);
	fclose(f);
	return cairn_config_load(path, cfg, err, len);
}

/* The text of the file at @path into @buf. */
static void read_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, len - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
}

#define POOL "\"pools\": [ { \"name\": \"p0\", " \
	"\"uuid\": \"00112233-4455-6677-8899-aabbccddeeff\", " \
	"\"members\": [ { \"device\": \"/dev/vda\", " \
	"\"uuid\": \"00112233-4455-6677-8899-aabbccddeef0\" } ] } ]"
#define VOL(name, n, extra) "{ \"pool\": \"p0\", \"name\": \"" name "\", " \
	"\"uuid\": \"00112233-4455-6677-8899-aabbccddee0" n "\", " \
	"\"size\": 1073741824" extra " }"

static void test_names(void)
{
	CHECK(!strcmp(cairn_cache_mode_name(CAIRN_CACHE_OFF), "off"));
	CHECK(!strcmp(cairn_cache_mode_name(CAIRN_CACHE_WRITETHROUGH), "writethrough"));
	CHECK(!strcmp(cairn_cache_mode_name(CAIRN_CACHE_WRITEBACK), "writeback"));
	CHECK(!strcmp(cairn_cache_mode_name(3), "unknown"));
	CHECK(!strcmp(cairn_cache_flush_name(CAIRN_CACHE_FLUSH_DISK), "disk"));
	CHECK(!strcmp(cairn_cache_flush_name(CAIRN_CACHE_FLUSH_MIRROR), "mirror"));
	CHECK(!strcmp(cairn_cache_flush_name(2), "unknown"));
	CHECK_EQ(cairn_cache_mode_from_name("off"), CAIRN_CACHE_OFF);
	CHECK_EQ(cairn_cache_mode_from_name("writethrough"), CAIRN_CACHE_WRITETHROUGH);
	CHECK_EQ(cairn_cache_mode_from_name("writeback"), CAIRN_CACHE_WRITEBACK);
	CHECK_EQ(cairn_cache_mode_from_name("WriteBack"), -EINVAL);
	CHECK_EQ(cairn_cache_mode_from_name("write-back"), -EINVAL);
	CHECK_EQ(cairn_cache_mode_from_name(""), -EINVAL);
	CHECK_EQ(cairn_cache_flush_from_name("disk"), CAIRN_CACHE_FLUSH_DISK);
	CHECK_EQ(cairn_cache_flush_from_name("mirror"), CAIRN_CACHE_FLUSH_MIRROR);
	CHECK_EQ(cairn_cache_flush_from_name("ram"), -EINVAL);
}

static void test_round_trip(void)
{
	struct cairn_config cfg, again;
	char err[512], path[256], text[8192];
	unsigned int i;
	int r;

	r = load_text("{ \"version\": 1, " POOL ", \"volumes\": [ "
		      VOL("vm01", "1", ", \"cache\": { \"mode\": \"writeback\", "
			  "\"flush\": \"mirror\", \"seq_cutoff\": 0 }") ", "
		      VOL("vm02", "2", ", \"cache\": { \"mode\": \"writethrough\" }") ", "
		      VOL("vm03", "3", "") ", "
		      VOL("vm04", "4", ", \"cache\": { \"mode\": \"off\" }")
		      " ], \"cache\": { \"budget\": 268435456 } }", &cfg, err,
		      sizeof(err));
	CHECK_EQ(r, 0);
	if (r)
		fprintf(stderr, "%s\n", err);
	CHECK_EQ(cfg.cache_budget, 268435456);
	CHECK_EQ(cfg.nr_volumes, 4);
	if (cfg.nr_volumes != 4)
		return;
	CHECK_EQ(cfg.volumes[0].cache.mode, CAIRN_CACHE_WRITEBACK);
	CHECK_EQ(cfg.volumes[0].cache.flush, CAIRN_CACHE_FLUSH_MIRROR);
	CHECK_EQ(cfg.volumes[0].cache.seq_cutoff, 0);
	/* Defaults: flush to the disks, sequential writes of 1 MiB bypass. */
	CHECK_EQ(cfg.volumes[1].cache.mode, CAIRN_CACHE_WRITETHROUGH);
	CHECK_EQ(cfg.volumes[1].cache.flush, CAIRN_CACHE_FLUSH_DISK);
	CHECK_EQ(cfg.volumes[1].cache.seq_cutoff, 1 << 20);
	CHECK_EQ(cfg.volumes[2].cache.mode, CAIRN_CACHE_OFF);
	CHECK_EQ(cfg.volumes[3].cache.mode, CAIRN_CACHE_OFF);

	snprintf(path, sizeof(path), "%s/saved.json", dir);
	CHECK_EQ(cairn_config_save(path, &cfg, err, sizeof(err)), 0);
	CHECK_EQ(cairn_config_load(path, &again, err, sizeof(err)), 0);
	CHECK_EQ(again.cache_budget, cfg.cache_budget);
	CHECK_EQ(again.nr_volumes, cfg.nr_volumes);
	for (i = 0; i < cfg.nr_volumes && i < again.nr_volumes; i++)
		CHECK(!memcmp(&again.volumes[i].cache, &cfg.volumes[i].cache,
			      sizeof(cfg.volumes[i].cache)));
	cairn_config_free(&again);
	/* Volumes without a cache are saved without "cache". */
	read_text(path, text, sizeof(text));
	CHECK(strstr(text, "\"seq_cutoff\": 1048576"));
	CHECK(strstr(text, "\"budget\": 268435456"));
	CHECK(!strstr(text, "\"off\""));

	/* A budget of 0 and no volume cache: nothing about caches written. */
	cfg.cache_budget = 0;
	for (i = 0; i < cfg.nr_volumes; i++)
		memset(&cfg.volumes[i].cache, 0, sizeof(cfg.volumes[i].cache));
	CHECK_EQ(cairn_config_save(path, &cfg, err, sizeof(err)), 0);
	read_text(path, text, sizeof(text));
	CHECK(!strstr(text, "cache"));
	cairn_config_free(&cfg);

	/* A file of before the cache loads as it did. */
	r = load_text("{ \"version\": 1, " POOL ", \"volumes\": [ " VOL("vm01", "1", "")
		      " ] }", &cfg, err, sizeof(err));
	CHECK_EQ(r, 0);
	CHECK_EQ(cfg.cache_budget, 0);
	CHECK(cfg.nr_volumes == 1 && cfg.volumes[0].cache.mode == CAIRN_CACHE_OFF);
	cairn_config_free(&cfg);
}

/* Each bad file is refused with the JSON path of the bad element. */
static void test_errors(void)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "{ \"version\": 1, " POOL ", \"volumes\": [ "
		  VOL("vm01", "1", ", \"cache\": { \"mode\": \"writearound\" }") " ] }",
		  "volumes[0].cache.mode: mode writearound: off, writethrough or writeback" },
		{ "{ \"version\": 1, " POOL ", \"volumes\": [ "
		  VOL("vm01", "1", ", \"cache\": { \"mode\": \"WriteBack\" }") " ] }",
		  "volumes[0].cache.mode: mode WriteBack:" },
		{ "{ \"version\": 1, " POOL ", \"volumes\": [ "
		  VOL("vm01", "1", ", \"cache\": { \"mode\": 2 }") " ] }",
		  "volumes[0].cache.mode: expected a string" },
		{ "{ \"version\": 1, " POOL ", \"volumes\": [ "
		  VOL("vm01", "1", ", \"cache\": { \"flush\": \"disk\" }") " ] }",
		  "volumes[0].cache.mode: missing" },
		{ "{ \"version\": 1, " POOL ", \"volumes\": [ "
		  VOL("vm01", "1", ", \"cache\": { \"mode\": \"writeback\", "
		      "\"flush\": \"ram\" }") " ] }",
		  "volumes[0].cache.flush: flush ram: disk or mirror" },
		{ "{ \"version\": 1, " POOL ", \"volumes\": [ "
		  VOL("vm01", "1", ", \"cache\": { \"mode\": \"writeback\", "
		      "\"seq_cutoff\": -1 }") " ] }",
		  "volumes[0].cache.seq_cutoff: out of range" },
		{ "{ \"version\": 1, " POOL ", \"volumes\": [ "
		  VOL("vm01", "1", ", \"cache\": { \"mode\": \"writeback\", "
		      "\"seq_cutoff\": 4294967296 }") " ] }",
		  "volumes[0].cache.seq_cutoff: out of range (0 to 4294967295)" },
		{ "{ \"version\": 1, " POOL ", \"volumes\": [ "
		  VOL("vm01", "1", ", \"cache\": { \"mode\": \"writeback\", "
		      "\"size\": 1 }") " ] }",
		  "volumes[0].cache.size: unknown key" },
		{ "{ \"version\": 1, " POOL ", \"volumes\": [ "
		  VOL("vm01", "1", ", \"cache\": \"writeback\"") " ] }",
		  "volumes[0].cache: expected an object" },
		{ "{ \"version\": 1, \"cache\": { } }", "cache.budget: missing" },
		{ "{ \"version\": 1, \"cache\": { \"budget\": \"1G\" } }",
		  "cache.budget: expected an integer" },
		{ "{ \"version\": 1, \"cache\": { \"budget\": -1 } }",
		  "cache.budget: out of range" },
		{ "{ \"version\": 1, \"cache\": { \"budget\": 1, \"ram\": 2 } }",
		  "cache.ram: unknown key" },
		{ "{ \"version\": 1, \"cache\": 268435456 }", "cache: expected an object" },
	};
	struct cairn_config cfg;
	char err[512];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		CHECK_EQ(load_text(bad[i].text, &cfg, err, sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i].msg)) {
			unit_failed++;
			fprintf(stderr, "case %u: \"%s\" lacks \"%s\"\n", i, err,
				bad[i].msg);
		}
	}
}

int main(void)
{
	if (unit_tmpdir(dir, sizeof(dir), "cache"))
		return 1;
	test_names();
	test_round_trip();
	test_errors();
	unit_tmpdir_done(dir);
	return unit_finish("cache");
}
