/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cairnctl - shared declarations of the command table and its handlers.
 */
#ifndef CAIRNCTL_H
#define CAIRNCTL_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "libcairn.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* The release, from the VERSION file (the Makefile passes it). */
#define CAIRNCTL_VERSION CAIRN_VERSION
#define MAX_DEPTH 8
#define MAX_ARGS 16

/* One component of a path in the tree. */
typedef char comp_t[CAIRN_WWN_LEN];

/* One parameter of a command: key=value, or the first bare word. */
struct param {
	const char *key;
	const char *help;
	unsigned int flags;
	const char *alias;	/* another name accepted for key= */
};

#define P_REQUIRED	0x1	/* must be given */
#define P_POSITIONAL	0x2	/* may be given as the first bare word */

struct ctx;

/* A verb on a node of the tree; the node is a pattern, "*" = any name. */
struct command {
	const char *node;
	const char *verb;
	int (*fn)(struct ctx *c);
	const char *summary;
	struct param params[8];
	unsigned int flags;
};

#define C_CHANGES	0x1	/* changes state: the configuration is saved */
#define C_DAEMON	0x2	/* then the running cairnd reloads it */

/* A child of a node in the tree, for ls, cd and completion. */
struct child {
	char name[CAIRN_WWN_LEN];
	char summary[320];
};

struct ctx {
	struct cairn_nl *nl;		/* opened on first use */
	struct cairn_config cfg;	/* loaded on first use */
	bool cfg_loaded;
	bool json;
	bool interactive;
	/* The resolved path of the command, one name per component. */
	char path[MAX_DEPTH][CAIRN_WWN_LEN];
	unsigned int depth;
	bool path_given;		/* the command named a path */
	bool names_only;		/* children(): no summaries needed */
	const struct command *cmd;
	/* Parameter values, by the index in cmd->params (NULL: not given). */
	const char *val[8];
};

/*
 * Exit status: 0 done; 1 refused or failed (the request was understood);
 * 2 bad usage (a path, verb or parameter that does not exist, a value
 * that is malformed or out of range).
 */
#define EXIT_REFUSED	1
#define EXIT_USAGE	2

/* The one message for every command that needs cairn.ko without it. */
#define NO_MODULE_MSG \
	"cairn kernel module not loaded: run 'modprobe cairn' or start cairnd"

/* Print one error line on stderr; returns EXIT_REFUSED. */
int err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same for bad usage; returns EXIT_USAGE. */
int err_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The kernel's extack text when there is one, else strerror(). */
int err_nl(struct ctx *c, const char *what, int r);
int nl_get(struct ctx *c, struct cairn_nl **nl);
int cfg_get(struct ctx *c, struct cairn_config **cfg);
/*
 * Record the kernel's pools and volumes and save the configuration;
 * @after_change: without cairn.ko, keep the recorded pools as they are.
 */
int cfg_save(struct ctx *c, bool after_change);
void print_json(struct json_object *o);
/*
 * "4096", "64K", "1m", "2GiB", "1.5tb": bytes or a unit K M G T P E in
 * any case, optionally followed by B or iB, always powers of 1024.
 * Returns 0, -EINVAL (not a size) or -ERANGE (above 2^64 - 1).
 */
int parse_size(const char *s, uint64_t *out);
/* parse_size() for parameter @key, printing the error: 0 or EXIT_USAGE. */
int size_arg(const char *key, const char *s, uint64_t *out);
/* @bytes in the largest binary unit that holds it exactly: "1 MiB". */
void exact_size(uint64_t bytes, char *out, size_t len);
int parse_uint(const char *s, unsigned long max, unsigned long *out);
const char *arg(struct ctx *c, const char *key);

/* storage.c: /pools and /volumes */
extern const struct command storage_commands[];
extern const unsigned int nr_storage_commands;
int pools_children(struct ctx *c, struct child **out);
int volumes_children(struct ctx *c, struct child **out);
/* Bring the configuration's pools and volumes in line with the kernel. */
int capture_storage(struct ctx *c);
int pools_json(struct ctx *c, struct json_object **out);
int volumes_json(struct ctx *c, struct json_object **out);
/* One volume as `status -j` prints it. */
struct json_object *volume_json(const struct cairn_volume_desc *v);
/* The volume called @name in any pool; an error is printed. */
int find_volume(struct ctx *c, const char *name,
		struct cairn_volume_desc *v);

/* exports.c: /iscsi and /loopback */
extern const struct command export_commands[];
extern const unsigned int nr_export_commands;
/* Children of the node @comp[0..depth-1] under /iscsi or /loopback. */
int exports_children(struct ctx *c, comp_t *comp,
		     unsigned int depth, struct child **out);
/* The export that uses @volume ("iscsi/<wwn>/tpg1/lun0"), or NULL. */
const char *volume_export(struct ctx *c, const char *volume, char *buf,
			  size_t len);

/* cache.c: /cache, and the cache verb of /volumes/VOLUME */
extern const struct command cache_commands[];
extern const unsigned int nr_cache_commands;
/* /cache's line in the root listing ("budget 1 GiB, 12 MiB used, ..."). */
int cache_summary(struct ctx *c, char *out, size_t len);
/* /cache status (and /cache alone, or ls there). */
int cache_status(struct ctx *c);
/* A volume's cache: `status -j`'s "cache" object; status's lines. */
struct json_object *cache_volume_json(const struct cairn_cache_desc *d);
void cache_volume_text(const struct cairn_cache_desc *d);
/* The configuration's record of the cache the kernel reports. */
void cache_capture(struct cairn_cfg_cache *cc, const struct cairn_cache_desc *d);

/* peers.c: /peers, and the mirror verbs of /volumes/VOLUME */
extern const struct command peer_commands[];
extern const unsigned int nr_peer_commands;
int peers_children(struct ctx *c, struct child **out);
/* Tell the running cairnd (SIGHUP); a note when none runs. */
int peers_changed(struct ctx *c);
/*
 * cairnd's heartbeat state of volume @pool/@name (its object in
 * cairn_ha_status_path(), a new reference), or NULL when it has none.
 */
struct json_object *ha_volume_state(const char *pool, const char *name);

#endif /* CAIRNCTL_H */
