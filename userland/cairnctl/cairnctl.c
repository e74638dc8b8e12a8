// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cairnctl - the Cairn command line, in the manner of targetcli.
 *
 *   cairnctl [-j] [PATH] VERB [ARG...]     one command, for scripts
 *   cairnctl                               the interactive tree shell
 *
 * The tree:
 *   /pools                     storage pools (cairn.ko)
 *   /pools/<pool>
 *   /volumes                   thin volumes, one name space for all pools
 *   /volumes/<volume>
 *   /iscsi/<iqn>/tpg1/{luns,acls,portals}   iSCSI exports (LIO)
 *   /loopback/<naa>/luns       local SCSI disks through tcm_loop (LIO)
 *
 * Every command is a verb on a node: ls, cd, create, delete, set, get,
 * status, help, and a few more where they mean something (open, close,
 * add, activate, deactivate; saveconfig, events, version at the root).
 * Arguments are key=value; a node's main parameter may also be given as
 * its first bare word (/iscsi create iqn...).  The command table below
 * carries the help text; `cairnctl --man` prints the manual page from it.
 *
 * Exit status: 0 on success; 1 when the request failed, with one message
 * on stderr (the kernel's own when it comes from the kernel); 2 on bad
 * usage.  After every change the configuration (/etc/cairn/cairn.json, or
 * $CAIRN_CONFIG) is saved, so cairnd restores it at boot.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/stat.h>

#include <editline/readline.h>

#include "cairnctl.h"

/* ---- helpers shared by the handlers ---- */

int err_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("cairnctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int err_nl(struct ctx *c, const char *what, int r)
{
	const char *msg = c->nl ? cairn_nl_error(c->nl) : NULL;

	return err_msg("%s: %s", what, msg && *msg ? msg : strerror(-r));
}

int nl_get(struct ctx *c, struct cairn_nl **nl)
{
	int r;

	*nl = NULL;
	if (!c->nl) {
		r = cairn_nl_open(&c->nl);
		if (r == -ENOENT)
			return err_msg("generic netlink family \"cairn\" not found: "
				       "is cairn.ko loaded?");
		if (r < 0)
			return err_msg("cannot open a generic netlink socket: %s",
				       strerror(-r));
	}
	*nl = c->nl;
	return 0;
}

int cfg_get(struct ctx *c, struct cairn_config **cfg)
{
	char err[512];

	*cfg = NULL;
	if (!c->cfg_loaded) {
		if (cairn_config_load(NULL, &c->cfg, err, sizeof(err)))
			return err_msg("%s", err);
		c->cfg_loaded = true;
	}
	*cfg = &c->cfg;
	return 0;
}

int cfg_save(struct ctx *c)
{
	struct cairn_config *cfg;
	char err[512];

	if (cfg_get(c, &cfg) || capture_storage(c))
		return 1;
	if (cairn_config_save(NULL, cfg, err, sizeof(err)))
		return err_msg("saving the configuration: %s", err);
	return 0;
}

void print_json(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

uint64_t parse_size(const char *s)
{
	static const char units[] = "KMGTPE";
	const char *u;
	char *end;
	double v;

	if (!*s || *s == '-' || *s == '+')
		return 0;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return 0;
	if (*end) {
		u = strchr(units, *end);
		if (!u || !*u || (end[1] && strcmp(end + 1, "iB") &&
				  strcmp(end + 1, "B")))
			return 0;
		v *= (double)(1ULL << (10 * (u - units + 1)));
	} else if (strchr(s, '.')) {
		return 0;	/* fractional bytes */
	}
	if (v >= 18446744073709551615.0)
		return 0;
	return (uint64_t)v;
}

int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *end || *out > max)
		return -EINVAL;
	return 0;
}

const char *arg(struct ctx *c, const char *key)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(c->cmd->params) && c->cmd->params[i].key; i++)
		if (!strcmp(c->cmd->params[i].key, key))
			return c->val[i];
	return NULL;
}

/* ---- the tree ---- */

static int child_add(struct child **arr, unsigned int n, const char *name,
		     const char *summary)
{
	struct child *a = realloc(*arr, (n + 2) * sizeof(**arr));

	if (!a)
		return -ENOMEM;
	*arr = a;
	snprintf(a[n].name, sizeof(a[n].name), "%s", name);
	snprintf(a[n].summary, sizeof(a[n].summary), "%s", summary);
	a[n + 1].name[0] = '\0';
	return 0;
}

static unsigned int count(const struct child *ch)
{
	unsigned int n = 0;

	while (ch && ch[n].name[0])
		n++;
	return n;
}

static void plural(char *buf, size_t len, unsigned int n, const char *what)
{
	snprintf(buf, len, "%u %s%s", n, what, n == 1 ? "" : "s");
}

/*
 * The children of the node @comp[0..depth-1], terminated by an empty
 * name; *@out is NULL for a leaf.  Returns 1 after printing an error.
 */
static int children(struct ctx *c, comp_t *comp,
		    unsigned int depth, struct child **out)
{
	struct child *tmp = NULL;
	char s[64];
	int r;

	*out = NULL;
	if (depth == 0) {
		struct {
			const char *name;
			const char *what;
		} top[] = {
			{ "pools", "pool" }, { "volumes", "volume" },
			{ "iscsi", "target" }, { "loopback", "target" },
		};
		unsigned int i, n = 0;

		for (i = 0; i < ARRAY_SIZE(top); i++) {
			char sub[1][CAIRN_WWN_LEN];

			if (c->names_only) {
				if (child_add(out, n++, top[i].name, ""))
					goto nomem;
				continue;
			}

			snprintf(sub[0], sizeof(sub[0]), "%s", top[i].name);
			r = children(c, sub, 1, &tmp);
			if (r)
				goto fail;
			plural(s, sizeof(s), count(tmp), top[i].what);
			free(tmp);
			tmp = NULL;
			if (child_add(out, n++, top[i].name, s))
				goto nomem;
		}
		return 0;
	}
	if (!strcmp(comp[0], "pools"))
		return depth == 1 ? pools_children(c, out) : 0;
	if (!strcmp(comp[0], "volumes"))
		return depth == 1 ? volumes_children(c, out) : 0;
	if (!strcmp(comp[0], "iscsi") || !strcmp(comp[0], "loopback"))
		return exports_children(c, comp, depth, out);
	return 0;
nomem:
	r = err_msg("out of memory");
fail:
	free(*out);
	*out = NULL;
	return r;
}

static void path_str(comp_t *comp, unsigned int depth,
		     char *buf, size_t len)
{
	unsigned int i;
	size_t o = 0;

	buf[0] = '\0';
	for (i = 0; i < depth && o < len; i++)
		o += snprintf(buf + o, len - o, "/%s", comp[i]);
	if (!depth)
		snprintf(buf, len, "/");
}

/*
 * Resolve @p (absolute, or relative to @cwd; "..", "." allowed) into
 * @comp, checking that every node exists.  Returns 1 after an error.
 */
static int resolve(struct ctx *c, const char *cwd, const char *p,
		   comp_t *comp, unsigned int *depth)
{
	char buf[2048], *tok, *save = NULL, shown[2048];
	struct child *ch;
	unsigned int d = 0, i, k;
	int r;

	snprintf(buf, sizeof(buf), "%s%s%s", p[0] == '/' ? "" : cwd,
		 p[0] == '/' ? "" : "/", p);
	for (tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			if (d)
				d--;
			continue;
		}
		if (d == MAX_DEPTH || strlen(tok) >= CAIRN_WWN_LEN)
			return err_msg("no such path: %s", p);
		snprintf(comp[d++], CAIRN_WWN_LEN, "%s", tok);
	}
	for (k = 0; k < d; k++) {
		if (k == 0) {	/* the fixed top level: no kernel needed */
			static const char *const top[] = {
				"pools", "volumes", "iscsi", "loopback"
			};

			for (i = 0; i < ARRAY_SIZE(top); i++)
				if (!strcmp(top[i], comp[0]))
					break;
			if (i == ARRAY_SIZE(top))
				return err_msg("no such path: /%s", comp[0]);
			continue;
		}
		r = children(c, comp, k, &ch);
		if (r)
			return r;
		for (i = 0; ch && ch[i].name[0]; i++)
			if (!strcmp(ch[i].name, comp[k]))
				break;
		r = !ch || !ch[i].name[0];
		free(ch);
		if (r) {
			static const char *const what[][2] = {
				{ "pools", "pool" }, { "volumes", "volume" },
				{ "iscsi", "iscsi target" },
				{ "loopback", "loopback target" },
			};

			path_str(comp, k + 1, shown, sizeof(shown));
			for (i = 0; k == 1 && i < ARRAY_SIZE(what); i++)
				if (!strcmp(comp[0], what[i][0]))
					return err_msg("no %s %s (no such path: %s)",
						       what[i][1], comp[1], shown);
			return err_msg("no such path: %s", shown);
		}
	}
	*depth = d;
	return 0;
}

/* ---- ls ---- */

static int ls_tree(struct ctx *c, comp_t *comp,
		   unsigned int depth, const char *name, const char *summary,
		   char *prefix, bool last, bool top)
{
	char line[512], pre[256];
	struct child *ch;
	unsigned int i, n;
	size_t len;
	int r;

	len = snprintf(line, sizeof(line), "%so- %s ", top ? "" : prefix, name);
	while (len < 66 && len + 1 < sizeof(line))
		line[len++] = '.';
	line[len] = '\0';
	printf("%s %s%s%s\n", line, *summary ? "[" : "", summary,
	       *summary ? "]" : "");
	if (depth >= MAX_DEPTH)
		return 0;
	r = children(c, comp, depth, &ch);
	if (r)
		return r;
	n = count(ch);
	snprintf(pre, sizeof(pre), "%s%s", top ? "" : prefix,
		 top ? "  " : last ? "  " : "| ");
	for (i = 0; i < n && !r; i++) {
		snprintf(comp[depth], CAIRN_WWN_LEN, "%s", ch[i].name);
		r = ls_tree(c, comp, depth + 1, ch[i].name, ch[i].summary, pre,
			    i + 1 == n, false);
	}
	free(ch);
	return r;
}

static struct json_object *json_tree(struct ctx *c,
				     comp_t *comp,
				     unsigned int depth, const char *name,
				     const char *summary)
{
	struct json_object *o = json_object_new_object(), *arr;
	struct child *ch = NULL;
	unsigned int i;

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "status", json_object_new_string(summary));
	if (depth < MAX_DEPTH && !children(c, comp, depth, &ch) && ch) {
		arr = json_object_new_array();
		for (i = 0; ch[i].name[0]; i++) {
			snprintf(comp[depth], CAIRN_WWN_LEN, "%s", ch[i].name);
			json_object_array_add(arr, json_tree(c, comp, depth + 1,
							     ch[i].name,
							     ch[i].summary));
		}
		json_object_object_add(o, "children", arr);
	}
	free(ch);
	return o;
}

static int do_ls(struct ctx *c)
{
	char comp[MAX_DEPTH][CAIRN_WWN_LEN], cwd[2048], name[CAIRN_WWN_LEN];
	const char *p = arg(c, "path");
	struct json_object *o;
	unsigned int depth = c->depth;
	int r;

	memcpy(comp, c->path, sizeof(comp));
	if (p) {
		path_str(c->path, c->depth, cwd, sizeof(cwd));
		r = resolve(c, cwd, p, comp, &depth);
		if (r)
			return r;
	}
	if (c->json && depth == 1 && !strcmp(comp[0], "pools")) {
		r = pools_json(c, &o);
		if (!r)
			print_json(o);
		return r;
	}
	if (c->json && depth == 1 && !strcmp(comp[0], "volumes")) {
		r = volumes_json(c, &o);
		if (!r)
			print_json(o);
		return r;
	}
	snprintf(name, sizeof(name), "%s", depth ? comp[depth - 1] : "/");
	if (c->json) {
		print_json(json_tree(c, comp, depth, name, ""));
		return 0;
	}
	return ls_tree(c, comp, depth, name, "", "", true, true);
}

/* ---- root verbs ---- */

static int do_version(struct ctx *c)
{
	struct cairn_info info;
	struct cairn_nl *nl;
	int r;

	if (nl_get(c, &nl))
		return 1;
	r = cairn_nl_get_info(nl, &info);
	if (r < 0)
		return err_nl(c, "version", r);
	if (c->json) {
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

static int print_event(const struct cairn_event_desc *ev, void *arg)
{
	struct ctx *c = arg;

	if (c->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "pool", json_object_new_string(ev->pool));
		json_object_object_add(o, "event",
				       json_object_new_string(cairn_event_name(ev->event)));
		json_object_object_add(o, "value", json_object_new_int64(ev->value));
		json_object_object_add(o, "capacity",
				       json_object_new_int64(ev->capacity));
		json_object_object_add(o, "allocated",
				       json_object_new_int64(ev->allocated));
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

static int do_events(struct ctx *c)
{
	struct cairn_nl *nl;
	int r;

	if (nl_get(c, &nl))
		return 1;
	r = cairn_nl_events(nl, print_event, c);
	return r < 0 ? err_nl(c, "events", r) : 0;
}

static int do_saveconfig(struct ctx *c)
{
	if (cfg_save(c))
		return 1;
	printf("Saved the configuration to %s.\n", cairn_config_path());
	return 0;
}

static void restore_log(int prio, const char *msg, void *arg)
{
	fprintf(prio <= LOG_ERR ? stderr : stdout, "%s\n", msg);
}

static int do_restoreconfig(struct ctx *c)
{
	struct cairn_config *cfg;
	char err[512];
	int r;

	if (cfg_get(c, &cfg))
		return 1;
	r = cairn_kmod_load_all(true, err, sizeof(err));
	if (r)
		return err_msg("%s", err);
	r = cairn_restore(cfg, restore_log, NULL);
	if (r)
		return err_msg("restore: %d object%s could not be restored", r,
			       r == 1 ? "" : "s");
	printf("Restored the configuration from %s.\n", cairn_config_path());
	return 0;
}

static int do_cd(struct ctx *c);
static int do_help(struct ctx *c);

/* ---- the command table ---- */

#define ANY "**"	/* a node pattern matching every node */

static const struct command generic_commands[] = {
	{ ANY, "ls", do_ls, "list the tree below a node (here by default)",
	  { { "path", "the node to list", P_POSITIONAL } } },
	{ ANY, "cd", do_cd, "move to a node (interactive shell)",
	  { { "path", "the node to move to (default /)", P_POSITIONAL } } },
	{ ANY, "help", do_help, "the verbs of a node, or one verb's parameters",
	  { { "verb", "the verb to explain", P_POSITIONAL } } },
	{ "/", "version", do_version, "versions of cairnctl and cairn.ko" },
	{ "/", "saveconfig", do_saveconfig,
	  "save pools, volumes and exports to the configuration file "
	  "(done after every change anyway)" },
	{ "/", "restoreconfig", do_restoreconfig,
	  "load the modules and bring pools, volumes and exports back from "
	  "the configuration file (what cairnd does at start)" },
	{ "/", "events", do_events,
	  "print the kernel's pool events as they come (until interrupted)" },
};

struct table {
	const struct command *cmds;
	const unsigned int *nr;
};

static const unsigned int nr_generic = ARRAY_SIZE(generic_commands);

static const struct table tables[] = {
	{ generic_commands, &nr_generic },
	{ storage_commands, &nr_storage_commands },
	{ export_commands, &nr_export_commands },
};

/*
 * Does pattern @node match the path @comp[0..depth-1]?  "*" matches any
 * one name; "|" separates alternatives.
 */
static bool node_match(const char *node, comp_t *comp,
		       unsigned int depth)
{
	char buf[256], *alt, *asave = NULL, *tok, *save;
	unsigned int d;

	if (!strcmp(node, ANY))
		return true;
	snprintf(buf, sizeof(buf), "%s", node);
	for (alt = strtok_r(buf, "|", &asave); alt;
	     alt = strtok_r(NULL, "|", &asave)) {
		save = NULL;
		d = 0;
		for (tok = strtok_r(alt, "/", &save); tok;
		     tok = strtok_r(NULL, "/", &save)) {
			if (d == depth || (strcmp(tok, "*") && strcmp(tok, comp[d])))
				break;
			d++;
		}
		if (!tok && d == depth)
			return true;
	}
	return false;
}

static const struct command *find_command(comp_t *comp,
					  unsigned int depth, const char *verb)
{
	unsigned int t, i;

	for (t = 0; t < ARRAY_SIZE(tables); t++)
		for (i = 0; i < *tables[t].nr; i++)
			if (!strcmp(tables[t].cmds[i].verb, verb) &&
			    node_match(tables[t].cmds[i].node, comp, depth))
				return &tables[t].cmds[i];
	return NULL;
}

static unsigned int nr_params(const struct command *cmd)
{
	unsigned int n = 0;

	while (n < ARRAY_SIZE(cmd->params) && cmd->params[n].key)
		n++;
	return n;
}

static void list_verbs(comp_t *comp, unsigned int depth,
		       FILE *f)
{
	unsigned int t, i;

	for (t = 0; t < ARRAY_SIZE(tables); t++)
		for (i = 0; i < *tables[t].nr; i++)
			if (node_match(tables[t].cmds[i].node, comp, depth))
				fprintf(f, "  %-14s %s\n", tables[t].cmds[i].verb,
					tables[t].cmds[i].summary);
}

static void verb_usage(const struct command *cmd, FILE *f)
{
	unsigned int i, n = nr_params(cmd);

	fprintf(f, "%s %s", strcmp(cmd->node, ANY) ? cmd->node : "[PATH]",
		cmd->verb);
	for (i = 0; i < n; i++) {
		const struct param *p = &cmd->params[i];
		bool req = p->flags & P_REQUIRED;

		if (p->flags & P_POSITIONAL)
			fprintf(f, " %s[%s=]%s%s", req ? "" : "[", p->key,
				p->key, req ? "" : "]");
		else
			fprintf(f, " %s%s=VALUE%s", req ? "" : "[", p->key,
				req ? "" : "]");
	}
	fprintf(f, "\n  %s\n", cmd->summary);
	for (i = 0; i < n; i++)
		fprintf(f, "    %-16s %s%s\n", cmd->params[i].key,
			cmd->params[i].help,
			cmd->params[i].flags & P_REQUIRED ? " (required)" : "");
}

static int do_help(struct ctx *c)
{
	const char *verb = arg(c, "verb");
	const struct command *cmd;
	char where[2048];

	path_str(c->path, c->depth, where, sizeof(where));
	if (verb) {
		cmd = find_command(c->path, c->depth, verb);
		if (!cmd)
			return err_msg("%s: no verb '%s' here (try: help)", where,
				       verb);
		verb_usage(cmd, stdout);
		return 0;
	}
	printf("Verbs at %s:\n", where);
	list_verbs(c->path, c->depth, stdout);
	printf("Arguments are key=value; `help VERB` lists a verb's parameters.\n");
	return 0;
}

/* The shell's current node. */
static char cwd_comp[MAX_DEPTH][CAIRN_WWN_LEN];
static unsigned int cwd_depth;

static int do_cd(struct ctx *c)
{
	if (!c->interactive)
		return err_msg("cd only means something in the interactive shell");
	/* The path was resolved like any other: the node exists. */
	memcpy(cwd_comp, c->path, sizeof(cwd_comp));
	cwd_depth = c->path_given ? c->depth : 0;
	if (arg(c, "path")) {
		char where[2048];
		unsigned int d;

		path_str(c->path, c->depth, where, sizeof(where));
		if (resolve(c, where, arg(c, "path"), cwd_comp, &d))
			return 1;
		cwd_depth = d;
	}
	return 0;
}

/* A path, absolute or relative ("..", "p0/", "acls/iqn..."), not a verb. */
static bool is_path(const char *w)
{
	return w[0] == '/' || w[0] == '.' || strchr(w, '/');
}

/*
 * Run one command: words[0] may be a path; then the verb and its
 * arguments.  Returns the exit status.
 */
static int run(struct ctx *c, int argc, char **argv)
{
	const struct command *cmd;
	char where[2048];
	unsigned int i, n;
	int r, a = 0;

	memcpy(c->path, cwd_comp, sizeof(c->path));
	c->depth = cwd_depth;
	memset(c->val, 0, sizeof(c->val));
	c->path_given = false;
	if (argc && is_path(argv[0])) {
		path_str(cwd_comp, cwd_depth, where, sizeof(where));
		if (resolve(c, where, argv[0], c->path, &c->depth))
			return 1;
		c->path_given = true;
		a++;
	}
	path_str(c->path, c->depth, where, sizeof(where));
	if (a == argc) {	/* a path alone: cd there, or list it */
		cmd = find_command(c->path, c->depth,
				   c->interactive ? "cd" : "ls");
	} else {
		cmd = find_command(c->path, c->depth, argv[a]);
		if (!cmd) {
			err_msg("%s: no verb '%s' here; the verbs are:", where,
				argv[a]);
			list_verbs(c->path, c->depth, stderr);
			return 2;
		}
		a++;
		/* help PATH [VERB] */
		if (cmd->fn == do_help && a < argc &&
		    is_path(argv[a])) {
			if (resolve(c, where, argv[a], c->path, &c->depth))
				return 1;
			path_str(c->path, c->depth, where, sizeof(where));
			a++;
		}
	}
	c->cmd = cmd;
	n = nr_params(cmd);
	for (; a < argc; a++) {
		char *eq = strchr(argv[a], '=');

		for (i = 0; i < n; i++) {
			const char *k = cmd->params[i].key;

			if (eq ? (strlen(k) == (size_t)(eq - argv[a]) &&
				  !strncmp(k, argv[a], eq - argv[a])) :
			    (cmd->params[i].flags & P_POSITIONAL) && !c->val[i])
				break;
		}
		if (i == n) {
			err_msg("%s %s: unexpected argument '%s'", where,
				cmd->verb, argv[a]);
			verb_usage(cmd, stderr);
			return 2;
		}
		if (c->val[i]) {
			err_msg("%s %s: %s given twice", where, cmd->verb,
				cmd->params[i].key);
			return 2;
		}
		c->val[i] = eq ? eq + 1 : argv[a];
	}
	for (i = 0; i < n; i++) {
		if ((cmd->params[i].flags & P_REQUIRED) && !c->val[i]) {
			err_msg("%s %s: %s is required", where, cmd->verb,
				cmd->params[i].key);
			verb_usage(cmd, stderr);
			return 2;
		}
	}
	/* A configuration that cannot be saved refuses the change up front. */
	if (cmd->flags & C_CHANGES) {
		struct cairn_config *cfg;

		if (cfg_get(c, &cfg))
			return 1;
	}
	r = cmd->fn(c);
	if (!r && (cmd->flags & C_CHANGES))
		r = cfg_save(c);
	return r;
}

/* ---- the interactive shell ---- */

static struct ctx *shell_ctx;

static char **comp_list;
static unsigned int comp_n;

static void comp_add(const char *s)
{
	char **l = realloc(comp_list, (comp_n + 1) * sizeof(*l));

	if (!l)
		return;
	comp_list = l;
	comp_list[comp_n] = strdup(s);
	if (comp_list[comp_n])
		comp_n++;
}

static void comp_clear(void)
{
	while (comp_n)
		free(comp_list[--comp_n]);
}

/*
 * Block devices (and directories on the way to them) completing the path
 * at the end of @val, after its last comma when @list; each candidate is
 * printed after @pfx and the part of @val before the path.
 */
static void comp_devices(const char *pfx, const char *val, bool list)
{
	const char *last = list ? strrchr(val, ',') : NULL, *slash;
	char dir[2048], path[4096], buf[8192];
	struct dirent *e;
	struct stat st;
	DIR *dh;
	int keep;

	last = last ? last + 1 : val;
	keep = last - val;
	slash = strrchr(last, '/');
	if (!slash) {
		if (!strncmp("/dev/", last, strlen(last))) {
			snprintf(buf, sizeof(buf), "%s%.*s/dev/", pfx, keep, val);
			comp_add(buf);
		}
		return;
	}
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - last + 1), last);
	dh = opendir(dir);
	if (!dh)
		return;
	while ((e = readdir(dh))) {
		if (e->d_name[0] == '.' ||
		    strncmp(e->d_name, slash + 1, strlen(slash + 1)))
			continue;
		snprintf(path, sizeof(path), "%s%s", dir, e->d_name);
		if (stat(path, &st) || !(S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode)))
			continue;
		snprintf(buf, sizeof(buf), "%s%.*s%s%s", pfx, keep, val, path,
			 S_ISDIR(st.st_mode) ? "/" : "");
		comp_add(buf);
	}
	closedir(dh);
}

/*
 * Candidates for the value @val of parameter @p of @cmd at the node
 * @comp[0..d-1], each printed after @pfx: pool and volume names for pool=
 * and volume=, the names under the node for what delete removes, block
 * devices for device= and devices=.
 */
static void comp_values(const struct command *cmd, const struct param *p,
			comp_t *comp, unsigned int d, const char *pfx,
			const char *val)
{
	char node[1][CAIRN_WWN_LEN], buf[4096];
	struct child *ch = NULL;
	unsigned int i;

	if (!strcmp(p->key, "device") || !strcmp(p->key, "devices")) {
		comp_devices(pfx, val, !strcmp(p->key, "devices"));
		return;
	}
	if (!strcmp(p->key, "pool") || !strcmp(p->key, "volume")) {
		snprintf(node[0], sizeof(node[0]), "%ss", p->key);
		if (children(shell_ctx, node, 1, &ch))
			return;
	} else if (!strcmp(cmd->verb, "delete") && (p->flags & P_POSITIONAL)) {
		if (children(shell_ctx, comp, d, &ch))
			return;
	}
	for (i = 0; ch && ch[i].name[0]; i++) {
		if (strncmp(ch[i].name, val, strlen(val)))
			continue;
		snprintf(buf, sizeof(buf), "%s%s", pfx, ch[i].name);
		comp_add(buf);
	}
	free(ch);
}

/* Candidates for the word @text being typed after the words of @line. */
static void comp_fill(const char *line, int start, const char *text)
{
	char comp[MAX_DEPTH][CAIRN_WWN_LEN], buf[4096], where[2048];
	char *words[MAX_ARGS], *save = NULL, *tok;
	const struct command *cmd;
	unsigned int d, i, t, nw = 0;
	struct child *ch = NULL;
	size_t tl = strlen(text);
	bool bare = false;
	const char *eq;

	snprintf(buf, sizeof(buf), "%.*s", start, line);
	for (tok = strtok_r(buf, " \t", &save); tok && nw < MAX_ARGS;
	     tok = strtok_r(NULL, " \t", &save))
		words[nw++] = tok;
	memcpy(comp, cwd_comp, sizeof(comp));
	d = cwd_depth;
	path_str(cwd_comp, cwd_depth, where, sizeof(where));
	if (nw && is_path(words[0])) {
		if (resolve(shell_ctx, where, words[0], comp, &d))
			return;
		memmove(words, words + 1, --nw * sizeof(*words));
	}
	if (text[0] == '/' || text[0] == '.' ||
	    (nw == 1 && (!strcmp(words[0], "cd") || !strcmp(words[0], "ls")))) {
		/* A path: complete its last component. */
		const char *slash = strrchr(text, '/');
		char dir[2048], pfx[2048];
		unsigned int dd;

		snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - text) : 0,
			 text);
		if (slash && slash == text)
			snprintf(dir, sizeof(dir), "/");
		path_str(comp, d, where, sizeof(where));
		if (resolve(shell_ctx, where, slash ? dir : ".", comp, &dd))
			return;
		if (children(shell_ctx, comp, dd, &ch) || !ch)
			return;
		for (i = 0; ch[i].name[0]; i++) {
			const char *last = slash ? slash + 1 : text;

			if (strncmp(ch[i].name, last, strlen(last)))
				continue;
			snprintf(pfx, sizeof(pfx), "%.*s%s/",
				 slash ? (int)(slash - text + 1) : 0, text,
				 ch[i].name);
			comp_add(pfx);
		}
		free(ch);
		return;
	}
	if (!nw) {
		for (t = 0; t < ARRAY_SIZE(tables); t++)
			for (i = 0; i < *tables[t].nr; i++)
				if (node_match(tables[t].cmds[i].node, comp, d) &&
				    !strncmp(tables[t].cmds[i].verb, text, tl))
					comp_add(tables[t].cmds[i].verb);
		if (children(shell_ctx, comp, d, &ch) || !ch)
			return;
		for (i = 0; ch[i].name[0]; i++) {
			snprintf(buf, sizeof(buf), "%s/", ch[i].name);
			if (!strncmp(buf, text, tl))
				comp_add(buf);
		}
		free(ch);
		return;
	}
	cmd = find_command(comp, d, words[0]);
	if (!cmd)
		return;
	eq = strchr(text, '=');
	for (i = 0; i < nr_params(cmd); i++) {
		const struct param *p = &cmd->params[i];

		if (eq) {	/* key=value: complete the value */
			if (strlen(p->key) == (size_t)(eq - text) &&
			    !strncmp(p->key, text, eq - text)) {
				snprintf(buf, sizeof(buf), "%.*s", (int)(eq - text + 1),
					 text);
				comp_values(cmd, p, comp, d, buf, eq + 1);
			}
			continue;
		}
		snprintf(buf, sizeof(buf), "%s=", p->key);
		if (!strncmp(buf, text, tl))
			comp_add(buf);
		/* The first bare word is the positional parameter's value. */
		if ((p->flags & P_POSITIONAL) && !bare) {
			for (t = 1; t < nw && !strchr(words[t], '='); t++)
				;
			bare = true;
			if (t == nw)
				comp_values(cmd, p, comp, d, "", text);
		}
	}
}

static char *comp_gen(const char *text, int state)
{
	static unsigned int next;

	if (!state)
		next = 0;
	return next < comp_n ? strdup(comp_list[next++]) : NULL;
}

static char **complete(const char *text, int start, int end)
{
	comp_clear();
	shell_ctx->names_only = true;
	comp_fill(rl_line_buffer, start, text);
	shell_ctx->names_only = false;
	rl_attempted_completion_over = 1;
	if (comp_n == 1 && comp_list[0][strlen(comp_list[0]) - 1] == '/')
		rl_completion_append_character = '\0';
	else if (comp_n == 1 && comp_list[0][strlen(comp_list[0]) - 1] == '=')
		rl_completion_append_character = '\0';
	else
		rl_completion_append_character = ' ';
	return comp_n ? rl_completion_matches(text, comp_gen) : NULL;
}

static int shell(struct ctx *c)
{
	char hist[4096], prompt[2200], where[2048], *line;
	const char *home = getenv("HOME");
	int status = 0;

	shell_ctx = c;
	c->interactive = true;
	snprintf(hist, sizeof(hist), "%s/.cairnctl_history", home ? home : ".");
	using_history();
	read_history(hist);
	rl_attempted_completion_function = complete;
	rl_readline_name = "cairnctl";
	printf("cairnctl %s: `help` lists the verbs here, `exit` leaves.\n",
	       CAIRNCTL_VERSION);
	for (;;) {
		char *words[MAX_ARGS + 2], *save = NULL, *tok;
		int n = 0;

		path_str(cwd_comp, cwd_depth, where, sizeof(where));
		snprintf(prompt, sizeof(prompt), "cairn %s> ", where);
		line = readline(prompt);
		if (!line)
			break;
		if (*line)
			add_history(line);
		for (tok = strtok_r(line, " \t", &save); tok && n < MAX_ARGS + 2;
		     tok = strtok_r(NULL, " \t", &save))
			words[n++] = tok;
		if (n == 1 && (!strcmp(words[0], "exit") ||
			       !strcmp(words[0], "quit"))) {
			free(line);
			break;
		}
		if (n > MAX_ARGS + 1)
			status = err_msg("too many arguments");
		else if (n)
			status = run(c, n, words);
		free(line);
		/* The configuration is reread for the next command. */
		if (c->cfg_loaded) {
			cairn_config_free(&c->cfg);
			c->cfg_loaded = false;
		}
	}
	write_history(hist);
	comp_clear();
	free(comp_list);
	return status;
}

/*
 * cairnctl __complete [WORD...] CURRENT: the candidates for the word
 * CURRENT of a one-shot command after the words before it, one a line, as
 * the shell's tab completes them (for cairnctl.bash-completion; hidden
 * from the usage and the manual).
 */
static int complete_words(struct ctx *c, int argc, char **argv)
{
	static const char *const opts[] = { "-j", "--json", "--help", "--man" };
	char line[4096];
	const char *text;
	unsigned int i;
	int a = 0;
	size_t o = 0;

	if (argc < 1)
		return 0;
	text = argv[argc - 1];
	while (a < argc - 1 && (!strcmp(argv[a], "-j") || !strcmp(argv[a], "--json")))
		a++;
	if (a == argc - 1 && text[0] == '-') {
		for (i = 0; i < ARRAY_SIZE(opts); i++)
			if (!strncmp(opts[i], text, strlen(text)))
				puts(opts[i]);
		return 0;
	}
	line[0] = '\0';
	for (; a < argc - 1 && o < sizeof(line); a++)
		o += snprintf(line + o, sizeof(line) - o, "%s ", argv[a]);
	if (o >= sizeof(line))
		return 2;
	shell_ctx = c;
	c->names_only = true;
	comp_fill(line, o, text);
	for (i = 0; i < comp_n; i++)
		puts(comp_list[i]);
	comp_clear();
	free(comp_list);
	return 0;
}

/* ---- the manual page, from the command table ---- */

static void man_text(const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", stdout);
		else if (*s == '-')
			fputs("\\-", stdout);
		else
			putchar(*s);
	}
}

static void man(void)
{
	static const char *const head[] = {
		".TH CAIRNCTL 8 \"2026-11\" \"cairn " CAIRNCTL_VERSION "\" \"Cairn\"",
		".SH NAME",
		"cairnctl \\- manage Cairn pools, thin volumes and their iSCSI and "
		"loopback exports",
		".SH SYNOPSIS",
		".B cairnctl",
		"[\\fB\\-j\\fR] [\\fIPATH\\fR] \\fIVERB\\fR "
		"[\\fIKEY\\fB=\\fIVALUE\\fR...]",
		".br",
		".B cairnctl",
		".SH DESCRIPTION",
		"cairnctl drives cairn.ko (pools and thin volumes, over generic "
		"netlink), device\\-mapper (the volumes' block devices "
		"/dev/mapper/cairn\\-POOL\\-VOLUME) and the kernel's LIO target "
		"(iSCSI and tcm_loop exports, through configfs in the layout "
		"targetcli writes, so \\fBtargetcli ls\\fR shows them).",
		".PP",
		"Without arguments it is an interactive shell over a tree "
		"(history; tab completes paths, verbs and parameters); with "
		"arguments it runs one command and exits, for scripts. A path "
		"alone lists (or, in the shell, moves to) that node.",
		".PP",
		"The tree: \\fB/pools\\fR, \\fB/pools/\\fIPOOL\\fR; "
		"\\fB/volumes\\fR, \\fB/volumes/\\fIVOLUME\\fR (volume names "
		"are unique across pools); \\fB/iscsi/\\fIIQN\\fB/tpg1/luns\\fR, "
		"\\fB.../acls\\fR, \\fB.../acls/\\fIINITIATOR\\fR, "
		"\\fB.../portals\\fR; \\fB/loopback/\\fINAA\\fB/luns\\fR.",
		".PP",
		"Sizes are given as bytes or with a suffix K, M, G, T, P, E "
		"(powers of 1024; \"1.5T\" works) and printed in binary units. "
		"After every change cairnctl prints one line saying what it did "
		"and saves the configuration file, which \\fBcairnd\\fR(8) "
		"restores at boot.",
		".SH OPTIONS",
		".TP",
		".B \\-j, \\-\\-json",
		"JSON instead of text for listings, status and confirmations.",
		".TP",
		".B \\-h, \\-\\-help",
		"Usage.",
		".TP",
		".B \\-\\-man",
		"This page, generated from the command table.",
	};
	static const char *const tail[] = {
		".SH ENVIRONMENT",
		".TP",
		".B CAIRN_CONFIG",
		"The configuration file (default /etc/cairn/cairn.json).",
		".SH EXIT STATUS",
		"0 on success; 1 when a request failed, after one message on "
		"standard error (the kernel's own where it comes from the "
		"kernel); 2 on bad usage.",
		".SH EXAMPLES",
		".nf",
		"cairnctl /pools create name=p0 devices=/dev/vdb,/dev/vdc chunk=1M",
		"cairnctl /volumes create pool=p0 name=vm01 size=2T",
		"cairnctl /iscsi create iqn.2026\\-11.org.example:vm01",
		"cairnctl /iscsi/iqn.2026\\-11.org.example:vm01/tpg1/luns create volume=vm01",
		"cairnctl /iscsi/iqn.2026\\-11.org.example:vm01/tpg1/acls create \\e",
		"    iqn.1993\\-08.org.debian:01:host1 userid=host1 password=secret123456",
		"cairnctl ls",
		"cairnctl /pools/p0 status",
		".fi",
		".SH FILES",
		"/etc/cairn/cairn.json",
		".SH SEE ALSO",
		"\\fBcairnd\\fR(8), \\fBcairn\\-check\\fR(8), "
		"\\fBtargetcli\\fR(8), \\fBdmsetup\\fR(8)",
	};

	unsigned int t, i, k;

	for (i = 0; i < ARRAY_SIZE(head); i++)
		puts(head[i]);
	puts(".SH COMMANDS");
	for (t = 0; t < ARRAY_SIZE(tables); t++) {
		for (i = 0; i < *tables[t].nr; i++) {
			const struct command *cmd = &tables[t].cmds[i];

			printf(".TP\n.B \"");
			man_text(strcmp(cmd->node, ANY) ? cmd->node : "[PATH]");
			printf(" %s\"", cmd->verb);
			for (k = 0; k < nr_params(cmd); k++) {
				printf(" \"%s", cmd->params[k].flags & P_REQUIRED ? "" : "[");
				man_text(cmd->params[k].key);
				printf("=%s\"", cmd->params[k].flags & P_REQUIRED ? "" : "]");
			}
			printf("\n");
			man_text(cmd->summary);
			printf(".\n");
			for (k = 0; k < nr_params(cmd); k++) {
				printf(".br\n\\fB");
				man_text(cmd->params[k].key);
				printf("\\fR: ");
				man_text(cmd->params[k].help);
				printf("%s\n", cmd->params[k].flags & P_REQUIRED ?
				       " (required)" : "");
			}
		}
	}
	for (i = 0; i < ARRAY_SIZE(tail); i++)
		puts(tail[i]);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cairnctl [-j] [PATH] VERB [KEY=VALUE...]   one command\n"
		"       cairnctl                                   interactive shell\n"
		"       cairnctl help [PATH] [VERB]                what a node or verb takes\n"
		"  -j, --json    JSON output\n"
		"  --man         print the manual page\n"
		"The tree: /pools /volumes /iscsi /loopback (see `cairnctl ls`).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "man", no_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctx c = { 0 };
	int ch, r;

	if (argc > 1 && !strcmp(argv[1], "__complete")) {
		r = complete_words(&c, argc - 2, argv + 2);
		goto out;
	}
	while ((ch = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			c.json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'm':
			man();
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind == argc)
		r = isatty(0) ? shell(&c) : (usage(stderr), 2);
	else if (argc - optind > MAX_ARGS + 1)
		r = err_msg("too many arguments") + 1;
	else
		r = run(&c, argc - optind, argv + optind);
out:
	if (c.nl)
		cairn_nl_close(c.nl);
	if (c.cfg_loaded)
		cairn_config_free(&c.cfg);
	return r;
}
