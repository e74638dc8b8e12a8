// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cairnctl - the Cairn command line.
 *
 *   cairnctl [-j] version    what the loaded kernel module reports
 *
 * Exit status: 0 on success, 1 when the request failed (the kernel's own
 * message is printed), 2 on bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "libcairn.h"

#define CAIRNCTL_VERSION "0.1.0"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cairnctl [-j] version\n"
		"  -j, --json    print JSON instead of text\n");
}

static int fail(struct cairn_nl *nl, const char *what, int err)
{
	const char *msg = cairn_nl_error(nl);

	fprintf(stderr, "cairnctl: %s: %s\n", what,
		msg && *msg ? msg : strerror(-err));
	return 1;
}

static int cmd_version(int json)
{
	struct cairn_info info;
	struct cairn_nl *nl = NULL;
	int r;

	r = cairn_nl_open(&nl);
	if (r == -ENOENT) {
		fprintf(stderr, "cairnctl: %s\n",
			"generic netlink family \"cairn\" not found: is cairn.ko loaded?");
		return 1;
	}
	if (r < 0)
		return fail(NULL, "cannot open a generic netlink socket", r);

	r = cairn_nl_get_info(nl, &info);
	if (r < 0) {
		r = fail(nl, "version", r);
		cairn_nl_close(nl);
		return r;
	}
	cairn_nl_close(nl);

	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "cairnctl",
				       json_object_new_string(CAIRNCTL_VERSION));
		json_object_object_add(o, "module",
				       json_object_new_string(info.module_version));
		json_object_object_add(o, "genl_family_id",
				       json_object_new_int(info.family_id));
		json_object_object_add(o, "genl_version",
				       json_object_new_int64(info.genl_version));
		json_object_object_add(o, "dm_target",
				       json_object_new_string(info.target_version));
		json_object_object_add(o, "pools",
				       json_object_new_int64(info.pool_count));
		printf("%s\n",
		       json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
		json_object_put(o);
	} else {
		printf("cairnctl %s\n", CAIRNCTL_VERSION);
		printf("module cairn %s: netlink family cairn v%u (id %d), ",
		       info.module_version, info.genl_version, info.family_id);
		printf("dm target cairn v%s, %u pools\n",
		       info.target_version, info.pool_count);
	}

	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int json = 0;
	int c;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}

	if (optind == argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[optind], "version") && optind + 1 == argc)
		return cmd_version(json);

	fprintf(stderr, "cairnctl: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return 2;
}
