// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the FC export's names and configuration: FC port names as
 * users write them (naa., 0x, colons, dashes, upper case) in Cairn's form,
 * the refusals; their configfs spelling; the configuration's "fc" section
 * (load, strict validation, save/load round trip, absent when empty).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "libcairn.h"
#include "unit.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static char dir[sizeof("/tmp/cairn-test-fc-XXXXXX")];

static int load_text(const char *text, struct cairn_config *cfg, char *err,
		     size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cairn.json", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	fclose(f);
	chmod(path, 0600);
	return cairn_config_load(path, cfg, err, len);
}

static void test_names(void)
{
	static const char *const good[] = {
		"naa.2000525400770002", "20:00:52:54:00:77:00:02",
		"0x2000525400770002", "2000525400770002",
		"20-00-52-54-00-77-00-02", "NAA.2000525400770002",
		"0X20:00:52:54:00:77:00:02",
	};
	static const char *const bad[] = {
		"", "naa.", "20:00:52:54:00:77:00", "20:00:52:54:00:77:00:02:01",
		"naa.6000525400770002", "30:00:52:54:00:77:00:02",
		"20:00:52:54:00:77:00:0g", "iqn.2026-11.org.example:x",
		"naa.2000525400770002 ",
	};
	char out[32], err[256], buf[CAIRN_LIO_DIR_NAME_LEN];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		CHECK_EQ(cairn_lio_fc_wwn(good[i], out, sizeof(out), err,
					  sizeof(err)), 0);
		CHECK(!strcmp(out, "naa.2000525400770002"));
	}
	CHECK_EQ(cairn_lio_fc_wwn("20:00:52:54:00:AB:CD:EF", out, sizeof(out),
				  err, sizeof(err)), 0);
	CHECK(!strcmp(out, "naa.2000525400abcdef"));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		CHECK(cairn_lio_fc_wwn(bad[i], out, sizeof(out), err,
				       sizeof(err)) < 0);
		CHECK(strstr(err, "is not an FC port name"));
	}
	CHECK(cairn_lio_valid_wwn(CAIRN_FABRIC_FC, "naa.2000525400770002",
				  err, sizeof(err)));
	CHECK(!cairn_lio_valid_wwn(CAIRN_FABRIC_FC, "20:00:52:54:00:77:00:02",
				   err, sizeof(err)));
	CHECK(!cairn_lio_valid_wwn(CAIRN_FABRIC_FC, "iqn.2026-11.org.example:x",
				   err, sizeof(err)));
	CHECK(!strcmp(cairn_lio_dir_name(CAIRN_FABRIC_FC, "naa.2000525400770002",
					 buf), "20:00:52:54:00:77:00:02"));
	CHECK(!strcmp(cairn_lio_dir_name(CAIRN_FABRIC_ISCSI, "naa.2000525400770002",
					 buf), "naa.2000525400770002"));
}

#define POOL "\"pools\": [ { \"name\": \"p0\", " \
	"\"uuid\": \"00112233-4455-6677-8899-aabbccddeeff\", " \
	"\"members\": [ { \"device\": \"/dev/vda\", " \
	"\"uuid\": \"00112233-4455-6677-8899-aabbccddeef0\" } ] } ], " \
	"\"volumes\": [ { \"pool\": \"p0\", \"name\": \"vm01\", " \
	"\"uuid\": \"00112233-4455-6677-8899-aabbccddee01\", \"size\": 1073741824 } ]"
#define FC(acls) "\"fc\": [ { \"wwn\": \"naa.2000525400770002\", " \
	"\"luns\": [ { \"lun\": 0, \"volume\": \"vm01\" } ], \"acls\": [ " acls " ] } ]"

static void test_config(void)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "{ \"version\": 1, " POOL ", "
		  "\"fc\": [ { \"wwn\": \"20:00:52:54:00:77:00:02\" } ] }",
		  "not a valid fc name" },
		{ "{ \"version\": 1, " POOL ", "
		  FC("{ \"initiator\": \"iqn.2026-11.org.example:x\" }") " }",
		  "not an FC port name" },
		{ "{ \"version\": 1, " POOL ", " FC("{ \"initiator\": \"naa.2000525400770001\" }, "
		  "{ \"initiator\": \"naa.2000525400770001\" }") " }", "listed twice" },
		{ "{ \"version\": 1, " POOL ", " FC("{ \"initiator\": \"naa.2000525400770001\", "
		  "\"userid\": \"u\" }") " }", "userid" },
		{ "{ \"version\": 1, " POOL ", \"fc\": [ { \"wwn\": \"naa.2000525400770002\", "
		  "\"portals\": [] } ] }", "portals" },
	};
	struct cairn_config cfg, again;
	char err[512], path[256], text[4096];
	unsigned int i;
	FILE *f;
	size_t n;
	int r;

	r = load_text("{ \"version\": 1, " POOL ", "
		      FC("{ \"initiator\": \"naa.2000525400770001\" }") " }",
		      &cfg, err, sizeof(err));
	CHECK_EQ(r, 0);
	if (r)
		fprintf(stderr, "%s\n", err);
	CHECK_EQ(cfg.nr_targets, 1);
	if (cfg.nr_targets != 1)
		return;
	CHECK_EQ(cfg.targets[0].fabric, CAIRN_FABRIC_FC);
	CHECK(cairn_config_target(&cfg, CAIRN_FABRIC_FC, "naa.2000525400770002"));
	CHECK(!cairn_config_target(&cfg, CAIRN_FABRIC_LOOPBACK, "naa.2000525400770002"));
	CHECK_EQ(cfg.targets[0].nr_luns, 1);
	CHECK_EQ(cfg.targets[0].nr_acls, 1);
	CHECK(!strcmp(cfg.targets[0].acls[0].initiator, "naa.2000525400770001"));

	snprintf(path, sizeof(path), "%s/saved.json", dir);
	CHECK_EQ(cairn_config_save(path, &cfg, err, sizeof(err)), 0);
	CHECK_EQ(cairn_config_load(path, &again, err, sizeof(err)), 0);
	CHECK_EQ(again.nr_targets, 1);
	CHECK(again.nr_targets == 1 && again.targets[0].fabric == CAIRN_FABRIC_FC &&
	      again.targets[0].nr_acls == 1 && again.targets[0].nr_luns == 1);
	cairn_config_free(&again);
	cairn_config_free(&cfg);

	/* Without FC targets the file has no "fc" (older readers stay happy). */
	CHECK_EQ(load_text("{ \"version\": 1, " POOL " }", &cfg, err, sizeof(err)), 0);
	CHECK_EQ(cairn_config_save(path, &cfg, err, sizeof(err)), 0);
	cairn_config_free(&cfg);
	f = fopen(path, "r");
	n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
	if (f)
		fclose(f);
	text[n] = '\0';
	CHECK(n > 0 && !strstr(text, "\"fc\""));

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		r = load_text(bad[i].text, &cfg, err, sizeof(err));
		CHECK(r < 0);
		if (r < 0 && !strstr(err, bad[i].why))
			fprintf(stderr, "bad config %u: \"%s\" does not say %s\n",
				i, err, bad[i].why);
		CHECK(r < 0 && strstr(err, bad[i].why));
		if (!r)
			cairn_config_free(&cfg);
	}
}

int main(void)
{
	if (unit_tmpdir(dir, sizeof(dir), "fc"))
		return 1;
	test_names();
	test_config();
	unit_tmpdir_done(dir);
	return unit_finish("fc");
}
