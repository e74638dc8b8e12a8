// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cairnctl - the Cairn command line.
 *
 *   cairnctl [-j] version
 *   cairnctl [-j] pool create NAME DEV[,DEV...] [chunk=SIZE] [threshold=PCT]
 *                             [nospace=error|wait] [timeout=SECONDS]
 *   cairnctl [-j] pool open DEV[,DEV...]
 *   cairnctl      pool close NAME
 *   cairnctl [-j] pool add NAME DEV
 *   cairnctl [-j] pool set NAME [threshold=PCT] [nospace=error|wait]
 *                             [timeout=SECONDS]
 *   cairnctl [-j] pool show [NAME]
 *   cairnctl [-j] volume create POOL NAME SIZE    (and its block device)
 *   cairnctl      volume delete POOL NAME         (block device first)
 *   cairnctl [-j] volume resize POOL NAME SIZE    (grow)
 *   cairnctl      volume activate|deactivate POOL NAME
 *   cairnctl [-j] volume show [POOL [NAME]]
 *   cairnctl [-j] events        print the kernel's events as they come
 *
 * Exit status: 0 on success, 1 when the request failed (the kernel's own
 * message is printed), 2 on bad usage.  The targetcli-style tree shell
 * replaces this grammar with the CLI issue; the library calls stay.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "libcairn.h"
#include "uapi/cairn_nl.h"

#define CAIRNCTL_VERSION "0.2.0"

static int json;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cairnctl [-j] version\n"
		"       cairnctl [-j] pool create NAME DEV[,DEV...] [chunk=SIZE] [threshold=PCT]\n"
		"                                 [nospace=error|wait] [timeout=SECONDS]\n"
		"       cairnctl [-j] pool open DEV[,DEV...]\n"
		"       cairnctl      pool close NAME\n"
		"       cairnctl [-j] pool add NAME DEV\n"
		"       cairnctl [-j] pool set NAME [threshold=PCT] [nospace=error|wait] [timeout=SECONDS]\n"
		"       cairnctl [-j] pool show [NAME]\n"
		"       cairnctl [-j] volume create POOL NAME SIZE\n"
		"       cairnctl      volume delete POOL NAME\n"
		"       cairnctl [-j] volume resize POOL NAME SIZE\n"
		"       cairnctl      volume activate|deactivate POOL NAME\n"
		"       cairnctl [-j] volume show [POOL [NAME]]\n"
		"       cairnctl [-j] events\n"
		"  -j, --json    print JSON instead of text\n");
}

static int fail(struct cairn_nl *nl, const char *what, int err)
{
	const char *msg = cairn_nl_error(nl);

	fprintf(stderr, "cairnctl: %s: %s\n", what,
		msg && *msg ? msg : strerror(-err));
	return 1;
}

static int fail_msg(const char *what, const char *msg)
{
	fprintf(stderr, "cairnctl: %s: %s\n", what, msg);
	return 1;
}

static int connect_nl(struct cairn_nl **nl)
{
	int r = cairn_nl_open(nl);

	if (r == -ENOENT) {
		fprintf(stderr, "cairnctl: %s\n",
			"generic netlink family \"cairn\" not found: is cairn.ko loaded?");
		return 1;
	}
	if (r < 0)
		return fail(NULL, "cannot open a generic netlink socket", r);
	return 0;
}

/* "64K", "1M", "2G", "1T" or plain bytes; 0 on error. */
static uint64_t parse_size(const char *s)
{
	static const char units[] = "KMGTP";
	unsigned long long v;
	const char *u;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return 0;
	if (!*end)
		return v;
	u = strchr(units, *end);
	if (!u || !*u || (end[1] && strcmp(end + 1, "iB") && strcmp(end + 1, "B")))
		return 0;
	return v << (10 * (u - units + 1));
}

static struct json_object *pool_json(const struct cairn_pool_desc *d)
{
	struct json_object *o = json_object_new_object(), *ms = json_object_new_array();
	char uuid[40];
	unsigned int i;

	cairn_uuid_str(d->uuid, uuid);
	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "uuid", json_object_new_string(uuid));
	json_object_object_add(o, "chunk_size", json_object_new_int64(d->chunk_size));
	json_object_object_add(o, "capacity", json_object_new_int64(d->capacity));
	json_object_object_add(o, "allocated", json_object_new_int64(d->allocated));
	json_object_object_add(o, "free", json_object_new_int64(d->free));
	json_object_object_add(o, "mode", json_object_new_string(cairn_mode_name(d->mode)));
	json_object_object_add(o, "threshold", json_object_new_int64(d->threshold));
	json_object_object_add(o, "nospace",
			       json_object_new_string(d->nospace_policy ? "wait" : "error"));
	json_object_object_add(o, "nospace_timeout", json_object_new_int64(d->nospace_timeout));
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
		};
		struct json_object *c = json_object_new_object();

		for (i = CAIRN_CNT_READS; i < CAIRN_CNT_PAD; i++)
			json_object_object_add(c, names[i],
					       json_object_new_int64(d->counters[i]));
		json_object_object_add(o, "counters", c);
	}
	return o;
}

static void print_json(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
}

static void pool_text(const struct cairn_pool_desc *d)
{
	char cap[32], alloc[32], sz[32], uuid[40];
	unsigned int i;

	cairn_human_size(d->capacity, cap, sizeof(cap));
	cairn_human_size(d->allocated, alloc, sizeof(alloc));
	cairn_uuid_str(d->uuid, uuid);
	printf("pool %s %s\n", d->name, uuid);
	printf("  mode %s, capacity %s, allocated %s, chunk %u KiB, %u volumes\n",
	       cairn_mode_name(d->mode), cap, alloc, d->chunk_size >> 10,
	       d->volume_count);
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
	printf("%" PRIu64 " out of space, %" PRIu64 " I/O errors\n",
	       d->counters[CAIRN_CNT_NOSPACE], d->counters[CAIRN_CNT_IO_ERRORS]);
	for (i = 0; i < d->nr_members; i++) {
		const struct cairn_member_desc *m = &d->members[i];

		cairn_human_size(m->size, sz, sizeof(sz));
		printf("  member %u %s: %s, %" PRIu64 " chunks, %" PRIu64 " used\n",
		       m->index, m->device, sz, m->chunks, m->used);
	}
}

static int show_one(const struct cairn_pool_desc *d, void *arg)
{
	struct json_object *arr = arg;

	if (arr)
		json_object_array_add(arr, pool_json(d));
	else
		pool_text(d);
	return 0;
}

/* Split "a,b,c" in place. */
static unsigned int split_devices(char *s, char **out)
{
	unsigned int n = 0;
	char *tok, *save = NULL;

	for (tok = strtok_r(s, ",", &save); tok && n < CAIRN_MAX_DEVICES;
	     tok = strtok_r(NULL, ",", &save))
		out[n++] = tok;
	return n;
}

/* key=value options of pool create/set; -1 on a bad one (printed). */
static int parse_opts(int argc, char **argv, struct cairn_pool_opts *o,
		      int allow_chunk)
{
	int i;

	o->chunk_size = 0;
	o->threshold = -1;
	o->nospace_policy = -1;
	o->nospace_timeout = -1;
	for (i = 0; i < argc; i++) {
		char *v = strchr(argv[i], '=');
		char *end;

		if (!v)
			goto bad;
		*v++ = '\0';
		if (allow_chunk && !strcmp(argv[i], "chunk")) {
			uint64_t c = parse_size(v);

			if (!c || c > UINT32_MAX) {
				fprintf(stderr, "cairnctl: bad chunk size '%s'\n", v);
				return -1;
			}
			o->chunk_size = c;
		} else if (!strcmp(argv[i], "threshold")) {
			o->threshold = strtol(v, &end, 10);
			if (*end || end == v || o->threshold < 0 || o->threshold > 100) {
				fprintf(stderr, "cairnctl: threshold is a percentage, 0-100\n");
				return -1;
			}
		} else if (!strcmp(argv[i], "nospace")) {
			if (!strcmp(v, "error")) {
				o->nospace_policy = CAIRN_NOSPACE_ERROR;
			} else if (!strcmp(v, "wait")) {
				o->nospace_policy = CAIRN_NOSPACE_WAIT;
			} else {
				fprintf(stderr, "cairnctl: nospace is error or wait\n");
				return -1;
			}
		} else if (!strcmp(argv[i], "timeout")) {
			o->nospace_timeout = strtol(v, &end, 10);
			if (*end || end == v || o->nospace_timeout < 1 ||
			    o->nospace_timeout > 86400) {
				fprintf(stderr, "cairnctl: timeout is 1-86400 seconds\n");
				return -1;
			}
		} else {
			v[-1] = '=';
			goto bad;
		}
	}
	return 0;
bad:
	fprintf(stderr, "cairnctl: unknown option '%s'\n", argv[i]);
	return -1;
}

static int report(const struct cairn_pool_desc *d, const char *verb)
{
	char cap[32];

	if (json) {
		print_json(pool_json(d));
		return 0;
	}
	cairn_human_size(d->capacity, cap, sizeof(cap));
	printf("%s pool %s (%u member%s, %s, %u KiB chunks).\n", verb, d->name,
	       d->nr_members, d->nr_members == 1 ? "" : "s", cap,
	       d->chunk_size >> 10);
	return 0;
}

static int cmd_pool(int argc, char **argv)
{
	struct cairn_pool_desc *d;
	struct cairn_pool_opts o;
	char *devs[CAIRN_MAX_DEVICES];
	struct cairn_nl *nl = NULL;
	const char *verb;
	unsigned int n;
	int r = 2;

	if (argc < 1)
		goto usage;
	verb = argv[0];
	d = calloc(1, sizeof(*d));
	if (!d)
		return 1;
	if (connect_nl(&nl)) {
		free(d);
		return 1;
	}

	if (!strcmp(verb, "create") && argc >= 3) {
		n = split_devices(argv[2], devs);
		if (parse_opts(argc - 3, argv + 3, &o, 1))
			goto out;
		r = cairn_nl_pool_create(nl, argv[1], devs, n, &o, d);
		r = r ? fail(nl, "pool create", r) : report(d, "Created");
	} else if (!strcmp(verb, "open") && argc == 2) {
		n = split_devices(argv[1], devs);
		r = cairn_nl_pool_open(nl, devs, n, d);
		r = r ? fail(nl, "pool open", r) : report(d, "Opened");
	} else if (!strcmp(verb, "close") && argc == 2) {
		r = cairn_nl_pool_close(nl, argv[1]);
		if (r)
			r = fail(nl, "pool close", r);
		else
			printf("Closed pool %s.\n", argv[1]);
	} else if (!strcmp(verb, "add") && argc == 3) {
		r = cairn_nl_pool_add_member(nl, argv[1], argv[2], d);
		r = r ? fail(nl, "pool add", r) : report(d, "Added a member to");
	} else if (!strcmp(verb, "set") && argc >= 3) {
		if (parse_opts(argc - 2, argv + 2, &o, 0))
			goto out;
		r = cairn_nl_pool_set(nl, argv[1], &o, d);
		r = r ? fail(nl, "pool set", r) : report(d, "Updated");
	} else if (!strcmp(verb, "show") && argc == 2) {
		r = cairn_nl_pool_get(nl, argv[1], d);
		if (r)
			r = fail(nl, "pool show", r);
		else if (json)
			print_json(pool_json(d));
		else
			pool_text(d);
	} else if (!strcmp(verb, "show") && argc == 1) {
		struct json_object *arr = json ? json_object_new_array() : NULL;

		r = cairn_nl_pool_list(nl, show_one, arr);
		if (r)
			r = fail(nl, "pool show", r);
		else if (arr)
			print_json(arr);
		if (r && arr)
			json_object_put(arr);
	} else {
		cairn_nl_close(nl);
		free(d);
		goto usage;
	}
out:
	cairn_nl_close(nl);
	free(d);
	return r;
usage:
	usage(stderr);
	return 2;
}

static struct json_object *volume_json(const struct cairn_volume_desc *v)
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
	json_object_object_add(o, "device",
			       cairn_dm_exists(v->pool, v->name) ?
			       json_object_new_string(dev) : NULL);
	return o;
}

static int volume_one(const struct cairn_volume_desc *v, void *arg)
{
	struct json_object *arr = arg;
	char size[32], mapped[32], dev[200];

	if (arr) {
		json_object_array_add(arr, volume_json(v));
		return 0;
	}
	cairn_human_size(v->size, size, sizeof(size));
	cairn_human_size(v->mapped, mapped, sizeof(mapped));
	cairn_dm_name(v->pool, v->name, dev, sizeof(dev));
	printf("volume %s/%s: size %s, mapped %s, %s%s\n", v->pool, v->name, size,
	       mapped, cairn_dm_exists(v->pool, v->name) ? "/dev/mapper/" : "",
	       cairn_dm_exists(v->pool, v->name) ? dev : "not active");
	return 0;
}

static int cmd_volume(int argc, char **argv)
{
	struct cairn_volume_desc v;
	struct cairn_nl *nl = NULL;
	char err[256], size[32];
	uint64_t bytes = 0;
	int r;

	if (argc < 1)
		goto usage;
	if ((!strcmp(argv[0], "create") || !strcmp(argv[0], "resize")) && argc == 4) {
		bytes = parse_size(argv[3]);
		if (!bytes) {
			fprintf(stderr, "cairnctl: bad size '%s'\n", argv[3]);
			return 2;
		}
	} else if (!strcmp(argv[0], "show") ? argc > 3 :
		   !((!strcmp(argv[0], "delete") || !strcmp(argv[0], "activate") ||
		      !strcmp(argv[0], "deactivate")) && argc == 3)) {
		goto usage;
	}
	if (connect_nl(&nl))
		return 1;

	if (!strcmp(argv[0], "create")) {
		r = cairn_nl_volume_create(nl, argv[1], argv[2], bytes, &v);
		if (r) {
			r = fail(nl, "volume create", r);
		} else if (cairn_dm_activate(v.pool, v.name, v.size, err, sizeof(err))) {
			fprintf(stderr, "cairnctl: volume %s created but not activated: %s\n",
				v.name, err);
			r = 1;
		} else if (json) {
			print_json(volume_json(&v));
		} else {
			cairn_human_size(v.size, size, sizeof(size));
			printf("Created volume %s (%s, thin) in pool %s: ",
			       v.name, size, v.pool);
			printf("/dev/mapper/cairn-%s-%s.\n", v.pool, v.name);
		}
	} else if (!strcmp(argv[0], "delete")) {
		int active = cairn_dm_exists(argv[1], argv[2]);

		r = cairn_nl_volume_get(nl, argv[1], argv[2], &v);
		if (r) {
			r = fail(nl, "volume delete", r);
		} else if (active &&
			   cairn_dm_deactivate(argv[1], argv[2], err, sizeof(err))) {
			fprintf(stderr, "cairnctl: volume delete: cannot deactivate %s\n", err);
			r = 1;
		} else {
			r = cairn_nl_volume_delete(nl, argv[1], argv[2]);
			if (r) {
				r = fail(nl, "volume delete", r);
				/* Refused: the device comes back as it was. */
				if (active)
					cairn_dm_activate(v.pool, v.name, v.size, err,
							  sizeof(err));
			} else {
				printf("Deleted volume %s from pool %s.\n", argv[2], argv[1]);
			}
		}
	} else if (!strcmp(argv[0], "resize")) {
		r = cairn_nl_volume_resize(nl, argv[1], argv[2], bytes, &v);
		if (r) {
			r = fail(nl, "volume resize", r);
		} else if (cairn_dm_exists(v.pool, v.name) &&
			   cairn_dm_resize(v.pool, v.name, v.size, err, sizeof(err))) {
			fprintf(stderr, "cairnctl: volume resized, device not: %s\n", err);
			r = 1;
		} else {
			cairn_human_size(v.size, size, sizeof(size));
			printf("Resized volume %s in pool %s to %s.\n", v.name, v.pool, size);
		}
	} else if (!strcmp(argv[0], "activate")) {
		r = cairn_nl_volume_get(nl, argv[1], argv[2], &v);
		if (r)
			r = fail(nl, "volume activate", r);
		else if (cairn_dm_activate(v.pool, v.name, v.size, err, sizeof(err)))
			r = fail_msg("volume activate", err);
		else
			printf("Activated /dev/mapper/cairn-%s-%s.\n", v.pool, v.name);
	} else if (!strcmp(argv[0], "deactivate")) {
		r = 0;
		if (cairn_dm_deactivate(argv[1], argv[2], err, sizeof(err)))
			r = fail_msg("volume deactivate", err);
		else
			printf("Deactivated /dev/mapper/cairn-%s-%s.\n", argv[1], argv[2]);
	} else if (argc == 3) {
		r = cairn_nl_volume_get(nl, argv[1], argv[2], &v);
		if (r)
			r = fail(nl, "volume show", r);
		else if (json)
			print_json(volume_json(&v));
		else
			volume_one(&v, NULL);
	} else {
		struct json_object *arr = json ? json_object_new_array() : NULL;

		r = cairn_nl_volume_list(nl, argc == 2 ? argv[1] : NULL, volume_one, arr);
		if (r) {
			r = fail(nl, "volume show", r);
			if (arr)
				json_object_put(arr);
		} else if (arr) {
			print_json(arr);
		}
	}
	cairn_nl_close(nl);
	return r;
usage:
	usage(stderr);
	return 2;
}

static int print_event(const struct cairn_event_desc *ev, void *arg)
{
	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "pool", json_object_new_string(ev->pool));
		json_object_object_add(o, "event",
				       json_object_new_string(cairn_event_name(ev->event)));
		json_object_object_add(o, "value", json_object_new_int64(ev->value));
		json_object_object_add(o, "capacity", json_object_new_int64(ev->capacity));
		json_object_object_add(o, "allocated", json_object_new_int64(ev->allocated));
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else {
		printf("%s %s value=%" PRIu64 " allocated=%" PRIu64 " capacity=%" PRIu64 "\n",
		       ev->pool, cairn_event_name(ev->event), ev->value,
		       ev->allocated, ev->capacity);
	}
	fflush(stdout);
	return 0;
}

static int cmd_events(void)
{
	struct cairn_nl *nl = NULL;
	int r;

	if (connect_nl(&nl))
		return 1;
	r = cairn_nl_events(nl, print_event, NULL);
	if (r < 0)
		r = fail(nl, "events", r);
	cairn_nl_close(nl);
	return r;
}

static int cmd_version(void)
{
	struct cairn_info info;
	struct cairn_nl *nl = NULL;
	int r;

	if (connect_nl(&nl))
		return 1;
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
		print_json(o);
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
	int c;

	while ((c = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
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
		return cmd_version();
	if (!strcmp(argv[optind], "pool"))
		return cmd_pool(argc - optind - 1, argv + optind + 1);
	if (!strcmp(argv[optind], "volume"))
		return cmd_volume(argc - optind - 1, argv + optind + 1);
	if (!strcmp(argv[optind], "events") && optind + 1 == argc)
		return cmd_events();

	fprintf(stderr, "cairnctl: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return 2;
}
