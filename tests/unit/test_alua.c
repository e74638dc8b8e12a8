// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of iSCSI targets served by two nodes (userland/lib/alua.c):
 * the "nodes" list of the configuration (load, strict validation,
 * save/load round trip, absent when not set), the check cairnctl makes
 * of a nodes= argument, this node's index, and the refusals of
 * cairn_alua_set() that need no LIO (a node that is not the target's, no
 * volume; a volume without such an export is 0 targets).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "libcairn.h"
#include "unit.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static char dir[sizeof("/tmp/cairn-test-alua-XXXXXX")];

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

static void test_nodes_problem(void)
{
	static const char *const ab[] = { "node-a", "node-b" };
	static const char *const aa[] = { "node-a", "node-a" };
	static const char *const bad[] = { "node a", "node-b" };
	static const char *const empty[] = { "", "node-b" };
	static const char *const none[] = { NULL, "node-b" };

	CHECK(!cairn_alua_nodes_problem(ab, "node-a"));
	CHECK(!cairn_alua_nodes_problem(ab, "node-b"));
	CHECK(!cairn_alua_nodes_problem(ab, NULL));
	CHECK(cairn_alua_nodes_problem(ab, "node-c") &&
	      strstr(cairn_alua_nodes_problem(ab, "node-c"), "this node"));
	CHECK(cairn_alua_nodes_problem(aa, "node-a") &&
	      strstr(cairn_alua_nodes_problem(aa, "node-a"), "differ"));
	CHECK(cairn_alua_nodes_problem(bad, NULL));
	CHECK(cairn_alua_nodes_problem(empty, NULL));
	CHECK(cairn_alua_nodes_problem(none, NULL));
	CHECK(!strcmp(cairn_alua_state_name(CAIRN_ALUA_OPTIMIZED), "active/optimized"));
	CHECK(!strcmp(cairn_alua_state_name(CAIRN_ALUA_STANDBY), "standby"));
	CHECK(!strcmp(cairn_alua_state_name(CAIRN_ALUA_UNAVAILABLE), "unavailable"));
	CHECK(!strcmp(cairn_alua_state_name(7), "unknown"));
}

#define POOL "\"pools\": [ { \"name\": \"p0\", " \
	"\"uuid\": \"00112233-4455-6677-8899-aabbccddeeff\", " \
	"\"members\": [ { \"device\": \"/dev/vda\", " \
	"\"uuid\": \"00112233-4455-6677-8899-aabbccddeef0\" } ] } ], " \
	"\"volumes\": [ { \"pool\": \"p0\", \"name\": \"vm01\", " \
	"\"uuid\": \"00112233-4455-6677-8899-aabbccddee01\", \"size\": 1073741824 }, " \
	"{ \"pool\": \"p0\", \"name\": \"vm02\", " \
	"\"uuid\": \"00112233-4455-6677-8899-aabbccddee02\", \"size\": 1073741824 } ]"
#define ISCSI(nodes) "\"iscsi\": [ { \"wwn\": \"iqn.2026-11.org.example:ha\", " \
	"\"portals\": [ { \"ip\": \"0.0.0.0\", \"port\": 3260 } ], " \
	"\"luns\": [ { \"lun\": 0, \"volume\": \"vm01\" } ], \"acls\": [], " nodes " }, " \
	"{ \"wwn\": \"iqn.2026-11.org.example:solo\", " \
	"\"luns\": [ { \"lun\": 0, \"volume\": \"vm02\" } ] } ]"

static void test_config(void)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "{ \"version\": 1, " POOL ", " ISCSI("\"nodes\": [ \"node-a\" ]") " }",
		  "two nodes" },
		{ "{ \"version\": 1, " POOL ", "
		  ISCSI("\"nodes\": [ \"node-a\", \"node-b\", \"node-c\" ]") " }", "3 nodes" },
		{ "{ \"version\": 1, " POOL ", "
		  ISCSI("\"nodes\": [ \"node-a\", \"node-a\" ]") " }", "must differ" },
		{ "{ \"version\": 1, " POOL ", "
		  ISCSI("\"nodes\": [ \"node-a\", \"node b\" ]") " }",
		  "iscsi[0].nodes: a node name" },
		{ "{ \"version\": 1, " POOL ", "
		  ISCSI("\"nodes\": [ \"node-a\", 2 ]") " }",
		  "iscsi[0].nodes[1]: expected a string" },
		{ "{ \"version\": 1, " POOL ", "
		  ISCSI("\"nodes\": \"node-a,node-b\"") " }", "expected an array" },
		{ "{ \"version\": 1, " POOL ", \"loopback\": [ { "
		  "\"wwn\": \"naa.5001405000000001\", "
		  "\"nodes\": [ \"node-a\", \"node-b\" ] } ] }", "unknown key" },
	};
	struct cairn_config cfg, again;
	char err[512], path[256], text[8192];
	unsigned int i;
	FILE *f;
	size_t n;
	int r;

	r = load_text("{ \"version\": 1, \"node\": \"node-b\", " POOL ", "
		      ISCSI("\"nodes\": [ \"node-a\", \"node-b\" ]") " }",
		      &cfg, err, sizeof(err));
	CHECK_EQ(r, 0);
	if (r) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	CHECK_EQ(cfg.nr_targets, 2);
	CHECK(!strcmp(cfg.targets[0].nodes[0], "node-a"));
	CHECK(!strcmp(cfg.targets[0].nodes[1], "node-b"));
	CHECK(!cfg.targets[1].nodes[0][0] && !cfg.targets[1].nodes[1][0]);
	CHECK_EQ(cairn_alua_self(&cfg, &cfg.targets[0]), 1);
	CHECK_EQ(cairn_alua_self(&cfg, &cfg.targets[1]), -1);
	snprintf(cfg.node, sizeof(cfg.node), "node-a");
	CHECK_EQ(cairn_alua_self(&cfg, &cfg.targets[0]), 0);
	snprintf(cfg.node, sizeof(cfg.node), "node-c");
	CHECK_EQ(cairn_alua_self(&cfg, &cfg.targets[0]), -1);
	snprintf(cfg.node, sizeof(cfg.node), "node-b");

	/* Refusals that need no LIO; a refusal names the problem. */
	err[0] = '\0';
	CHECK_EQ(cairn_alua_set(&cfg, "p0", "vm01", "node-c", err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "node-c is not one of the nodes"));
	CHECK_EQ(cairn_alua_set(&cfg, "p0", "", "node-a", err, sizeof(err)),
		 -EINVAL);
	/* vm02's target has no nodes, vm03 no export, vm01 is not in p1. */
	CHECK_EQ(cairn_alua_set(&cfg, "p0", "vm02", "node-a", err, sizeof(err)), 0);
	CHECK_EQ(cairn_alua_set(&cfg, "p0", "vm03", NULL, err, sizeof(err)), 0);
	CHECK_EQ(cairn_alua_set(&cfg, "p1", "vm01", "node-a", err, sizeof(err)), 0);
	{
		struct cairn_alua_port ports[2];

		CHECK_EQ(cairn_alua_get(&cfg, &cfg.targets[1], ports), -EINVAL);
	}

	snprintf(path, sizeof(path), "%s/saved.json", dir);
	CHECK_EQ(cairn_config_save(path, &cfg, err, sizeof(err)), 0);
	CHECK_EQ(cairn_config_load(path, &again, err, sizeof(err)), 0);
	CHECK_EQ(again.nr_targets, 2);
	CHECK(again.nr_targets == 2 && !strcmp(again.targets[0].nodes[0], "node-a") &&
	      !strcmp(again.targets[0].nodes[1], "node-b") &&
	      !again.targets[1].nodes[0][0]);
	cairn_config_free(&again);
	cairn_config_free(&cfg);
	f = fopen(path, "r");
	n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
	if (f)
		fclose(f);
	text[n] = '\0';
	/* One "nodes", the paired target's: the other target has none. */
	CHECK(n > 0 && strstr(text, "\"nodes\"") &&
	      !strstr(strstr(text, "\"nodes\"") + 1, "\"nodes\""));

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
	if (unit_tmpdir(dir, sizeof(dir), "alua"))
		return 1;
	test_nodes_problem();
	test_config();
	unit_tmpdir_done(dir);
	return unit_finish("alua");
}
