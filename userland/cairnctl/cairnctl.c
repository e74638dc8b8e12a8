// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cairnctl - the Cairn command line, in the manner of targetcli.
 *
 *   cairnctl [-j] [PATH] VERB [ARG...]     one command, for scripts
 *   cairnctl                               the interactive tree shell
 *   cairnctl <<EOF ... EOF                 the shell's commands, for scripts
 *
 * The tree:
 *   /pools                     storage pools (cairn.ko)
 *   /pools/<pool>
 *   /volumes                   thin volumes, one name space for all pools
 *   /volumes/<volume>
 *   /iscsi/<iqn>/tpg1/{luns,acls,portals}   iSCSI exports (LIO)
 *   /loopback/<naa>/luns       local SCSI disks through tcm_loop (LIO)
 *   /fc/<wwpn>/{luns,acls}     Fibre Channel (FCoE) through tcm_fc (LIO)
 *   /peers/<name>              partner nodes of mirrored volumes (cairnd)
 *   /cache                     the node's RAM cache budget and totals
 *
 * Every command is a verb on a node: ls, cd, create, delete, set, get,
 * status, help, and a few more where they mean something (open, close,
 * add, activate, deactivate; saveconfig, events, version at the root).
 * Arguments are key=value; a node's main parameter may also be given as
 * its first bare word (/iscsi create iqn...).  The command table below
 * carries the help text; `cairnctl --man` prints the manual page from it.
 *
 * Exit status (EXIT_* in cairnctl.h): 0 done; 1 refused or failed, the
 * command being well formed (an object named as a value is missing or
 * exists, the kernel or LIO refused, cairn.ko is not loaded), with one
 * message on stderr, the kernel's own when it comes from the kernel; 2 bad
 * usage, decided before anything is done (a path that does not exist, a
 * verb or parameter the node does not have, a malformed or out-of-range
 * value).  After every change the configuration (/etc/cairn/cairn.json,
 * or $CAIRN_CONFIG) is saved, so cairnd restores it at boot.
 *
 * On a pipe or a here-document the commands are read one per line, as in
 * the shell without prompts; the first failure ends the run.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <editline/readline.h>

#include "cairnctl.h"
#include "uapi/cairn_nl.h"

/* ---- helpers shared by the handlers ---- */

static void verr(const char *fmt, va_list ap)
{
	fputs("cairnctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int err_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(fmt, ap);
	va_end(ap);
	return EXIT_REFUSED;
}

int err_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
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
			return err_msg(NO_MODULE_MSG);
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

int cfg_save(struct ctx *c, bool after_change)
{
	struct cairn_config *cfg;
	char err[512];

	if (cfg_get(c, &cfg))
		return EXIT_REFUSED;
	/*
	 * Pools and volumes are recorded as the kernel has them.  Without
	 * cairn.ko no pool is open: after a change that did not need it (an
	 * iSCSI target) they stay as recorded; saveconfig needs it.
	 */
	if (c->nl || !after_change || cairn_nl_open(&c->nl) != -ENOENT) {
		if (capture_storage(c))
			return EXIT_REFUSED;
	}
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

int parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGTPE";
	uint64_t ip = 0, frac = 0, div = 1, mult = 1, v;
	const char *p = s, *u;
	unsigned int i;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++)
		if (__builtin_mul_overflow(ip, 10, &ip) ||
		    __builtin_add_overflow(ip, *p - '0', &ip))
			return -ERANGE;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -EINVAL;
		/* Nine digits are more than any unit needs. */
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (div < 1000000000ULL) {
				frac = frac * 10 + (*p - '0');
				div *= 10;
			}
		}
	}
	if (*p) {
		u = strchr(units, toupper((unsigned char)*p));
		if (!u)
			return -EINVAL;
		for (i = 0; i <= (unsigned int)(u - units); i++)
			mult <<= 10;
		p++;
		if (!strcasecmp(p, "iB"))
			p += 2;
		else if (!strcasecmp(p, "B"))
			p++;
		if (*p)
			return -EINVAL;
	}
	if (frac && mult == 1)
		return -EINVAL;		/* fractional bytes */
	/* frac < div <= 10^9 and mult <= 2^60: frac / div * mult, exactly. */
	if (__builtin_mul_overflow(ip, mult, &v) ||
	    __builtin_add_overflow(v, mult / div * frac +
				   mult % div * frac / div, &v))
		return -ERANGE;
	*out = v;
	return 0;
}

int size_arg(const char *key, const char *s, uint64_t *out)
{
	int r = parse_size(s, out);

	if (r == -ERANGE)
		return err_usage("%s: '%s' is too large (sizes stop below 16E)", key, s);
	if (r)
		return err_usage("%s: '%s' is not a size (e.g. 64K, 100G, 2T)",
				 key, s);
	return 0;
}

void exact_size(uint64_t bytes, char *out, size_t len)
{
	static const char *const unit[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"
	};
	unsigned int u = 0;

	while (bytes && !(bytes & 1023) && u < 6) {
		bytes >>= 10;
		u++;
	}
	snprintf(out, len, "%" PRIu64 " %s", bytes, unit[u]);
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
			{ "fc", "port" }, { "peers", "peer" }, { "cache", NULL },
		};
		unsigned int i, n = 0;

		for (i = 0; i < ARRAY_SIZE(top); i++) {
			char sub[1][CAIRN_WWN_LEN];

			if (c->names_only) {
				if (child_add(out, n++, top[i].name, ""))
					goto nomem;
				continue;
			}

			/* A leaf: its summary says how it is. */
			if (!top[i].what) {
				r = cache_summary(c, s, sizeof(s));
				if (r)
					goto fail;
				if (child_add(out, n++, top[i].name, s))
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
	if (!strcmp(comp[0], "iscsi") || !strcmp(comp[0], "loopback") ||
	    !strcmp(comp[0], "fc"))
		return exports_children(c, comp, depth, out);
	if (!strcmp(comp[0], "peers"))
		return depth == 1 ? peers_children(c, out) : 0;
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

/* Edit distance of @a and @b, stopping at 3 (enough to call it a typo). */
static unsigned int distance(const char *a, const char *b)
{
	unsigned int d[CAIRN_WWN_LEN + 1], i, j, diag, up;
	size_t la = strlen(a), lb = strlen(b);

	if (la > CAIRN_WWN_LEN || lb > CAIRN_WWN_LEN)
		return 3;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		diag = d[0];
		d[0] = i;
		for (j = 1; j <= lb; j++) {
			up = d[j];
			d[j] = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < d[j])
				d[j] = up + 1;
			if (d[j - 1] + 1 < d[j])
				d[j] = d[j - 1] + 1;
			diag = up;
		}
	}
	return d[lb] < 3 ? d[lb] : 3;
}

/*
 * What the user may have meant by @bad among the children @ch of @parent:
 * "did you mean /pools?" for a near miss, else the children there are.
 */
static void suggest(const struct child *ch, const char *parent,
		    const char *bad, char *out, size_t len)
{
	const char *sep = strcmp(parent, "/") ? "/" : "";
	unsigned int i, n = 0;
	size_t o = 0;

	out[0] = '\0';
	for (i = 0; ch && ch[i].name[0]; i++) {
		if (distance(bad, ch[i].name) > 2 &&
		    strncmp(bad, ch[i].name, strlen(bad)))
			continue;
		o += snprintf(out + o, o < len ? len - o : 0, "%s%s%s%s",
			      n++ ? " or " : "did you mean ", parent, sep,
			      ch[i].name);
	}
	if (n) {
		snprintf(out + o, o < len ? len - o : 0, "?");
		return;
	}
	if (!ch || !ch[0].name[0]) {
		snprintf(out, len, "%s is empty", parent);
		return;
	}
	o = snprintf(out, len, "%s has", parent);
	for (i = 0; ch[i].name[0] && o < len; i++)
		o += snprintf(out + o, len - o, "%s %s", i ? "," : "",
			      ch[i].name);
}

/*
 * Resolve @p (absolute, or relative to @cwd; "..", "." allowed) into
 * @comp, checking that every node exists.  Returns the exit status after
 * an error: EXIT_USAGE for a path that does not exist.
 */
static int resolve(struct ctx *c, const char *cwd, const char *p,
		   comp_t *comp, unsigned int *depth)
{
	static const char *const what[][2] = {
		{ "pools", "pool" }, { "volumes", "volume" },
		{ "iscsi", "iscsi target" }, { "loopback", "loopback target" },
		{ "fc", "FC target" }, { "peers", "peer" },
	};
	char buf[2048], *tok, *save = NULL, shown[2048], parent[2048];
	char hint[4096];
	bool names_only = c->names_only;
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
			return err_usage("no such path: %s", p);
		snprintf(comp[d++], CAIRN_WWN_LEN, "%s", tok);
	}
	for (k = 0; k < d; k++) {
		/* The top level is fixed: no kernel needed. */
		c->names_only = names_only || k == 0;
		r = children(c, comp, k, &ch);
		c->names_only = names_only;
		if (r)
			return r;
		for (i = 0; ch && ch[i].name[0]; i++)
			if (!strcmp(ch[i].name, comp[k]))
				break;
		if (ch && ch[i].name[0]) {
			free(ch);
			continue;
		}
		path_str(comp, k + 1, shown, sizeof(shown));
		path_str(comp, k, parent, sizeof(parent));
		suggest(ch, parent, comp[k], hint, sizeof(hint));
		free(ch);
		for (i = 0; k == 1 && i < ARRAY_SIZE(what); i++)
			if (!strcmp(comp[0], what[i][0]))
				return err_usage("no %s %s (no such path: %s; %s)",
						 what[i][1], comp[1], shown, hint);
		return err_usage("no such path: %s (%s)", shown, hint);
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

/* The listing of the node as JSON in *@out, or the exit status. */
static int json_tree(struct ctx *c, comp_t *comp, unsigned int depth,
		     const char *name, const char *summary,
		     struct json_object **out)
{
	struct json_object *o = json_object_new_object(), *arr, *sub;
	struct child *ch = NULL;
	unsigned int i;
	int r = 0;

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "status", json_object_new_string(summary));
	if (depth < MAX_DEPTH)
		r = children(c, comp, depth, &ch);
	if (!r && ch) {
		arr = json_object_new_array();
		json_object_object_add(o, "children", arr);
		for (i = 0; !r && ch[i].name[0]; i++) {
			snprintf(comp[depth], CAIRN_WWN_LEN, "%s", ch[i].name);
			r = json_tree(c, comp, depth + 1, ch[i].name,
				      ch[i].summary, &sub);
			if (!r)
				json_object_array_add(arr, sub);
		}
	}
	free(ch);
	if (r) {
		json_object_put(o);
		return r;
	}
	*out = o;
	return 0;
}

static int do_ls(struct ctx *c)
{
	char comp[MAX_DEPTH][CAIRN_WWN_LEN], cwd[2048], name[CAIRN_WWN_LEN];
	const char *p = arg(c, "path");
	struct json_object *o;
	struct cairn_nl *nl;
	unsigned int depth = c->depth;
	int r;

	memcpy(comp, c->path, sizeof(comp));
	if (p) {
		path_str(c->path, c->depth, cwd, sizeof(cwd));
		r = resolve(c, cwd, p, comp, &depth);
		if (r)
			return r;
	}
	/* Nothing is printed when the listing needs the kernel without it. */
	if ((!depth || !strcmp(comp[0], "pools") ||
	     !strcmp(comp[0], "volumes") || !strcmp(comp[0], "cache")) &&
	    nl_get(c, &nl))
		return EXIT_REFUSED;
	/* /cache has no children: listing it is its status. */
	if (depth == 1 && !strcmp(comp[0], "cache"))
		return cache_status(c);
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
		r = json_tree(c, comp, depth, name, "", &o);
		if (!r)
			print_json(o);
		return r;
	}
	return ls_tree(c, comp, depth, name, "", "", true, true);
}

/* ---- root verbs ---- */

static int do_version(struct ctx *c)
{
	struct json_object *o = NULL;
	struct cairn_info info;
	struct cairn_nl *nl;
	int r;

	/* cairnctl's own version, whether or not the module is there. */
	if (c->json) {
		o = json_object_new_object();
		json_object_object_add(o, "cairnctl",
				       json_object_new_string(CAIRNCTL_VERSION));
	} else {
		printf("cairnctl %s\n", CAIRNCTL_VERSION);
		fflush(stdout);
	}
	r = nl_get(c, &nl);
	if (!r) {
		r = cairn_nl_get_info(nl, &info);
		if (r < 0)
			r = err_nl(c, "version", r);
	}
	if (r) {
		if (o) {
			json_object_object_add(o, "module", NULL);
			print_json(o);
		}
		return r;
	}
	if (c->json) {
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
		printf("module cairn %s: netlink family cairn v%u (id %d), ",
		       info.module_version, info.genl_version, info.family_id);
		printf("dm target cairn v%s, %u pools\n",
		       info.target_version, info.pool_count);
	}
	return 0;
}

/*
 * One line per event.  Text: the local time it arrived, the pool, the
 * event, what it carries and the pool's allocation in binary units; JSON
 * keeps bytes and adds the time in seconds since the epoch.
 */
static int print_event(const struct cairn_event_desc *ev, void *arg)
{
	char when[64], alloc[32], cap[32], what[128] = "";
	struct ctx *c = arg;
	struct timespec ts;
	struct tm tm;
	int e;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (c->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "time", json_object_new_int64(ts.tv_sec));
		json_object_object_add(o, "pool", json_object_new_string(ev->pool));
		if (ev->volume[0])
			json_object_object_add(o, "volume",
					       json_object_new_string(ev->volume));
		json_object_object_add(o, "event",
				       json_object_new_string(cairn_event_name(ev->event)));
		json_object_object_add(o, "value", json_object_new_int64(ev->value));
		json_object_object_add(o, "capacity",
				       json_object_new_int64(ev->capacity));
		json_object_object_add(o, "allocated",
				       json_object_new_int64(ev->allocated));
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		fflush(stdout);
		return 0;
	}
	localtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", &tm);
	cairn_human_size(ev->allocated, alloc, sizeof(alloc));
	cairn_human_size(ev->capacity, cap, sizeof(cap));
	switch (ev->event) {
	case CAIRN_EVENT_MODE_CHANGED:
		snprintf(what, sizeof(what), " to %s", cairn_mode_name(ev->value));
		break;
	case CAIRN_EVENT_METADATA_ERROR:
		e = (int)ev->value;
		snprintf(what, sizeof(what), ": %s", strerror(e < 0 ? -e : e));
		break;
	case CAIRN_EVENT_MEMBER_ADDED:
	case CAIRN_EVENT_MEMBER_IO_ERROR:
		snprintf(what, sizeof(what), ": member %" PRIu64, ev->value);
		break;
	}
	if (ev->volume[0]) {		/* the mirror's: no pool figures */
		e = (int)ev->value;
		if (ev->event == CAIRN_EVENT_LINK_DOWN ||
		    ev->event == CAIRN_EVENT_LINK_REFUSED)
			snprintf(what, sizeof(what), ": %s", strerror(e));
		else if (ev->event == CAIRN_EVENT_ROLE_CHANGED)
			snprintf(what, sizeof(what), " to %s",
				 cairn_mirror_role_name(ev->value));
		if (ev->event == CAIRN_EVENT_RESYNC_DONE) {
			cairn_human_size(ev->value, alloc, sizeof(alloc));
			snprintf(what, sizeof(what), ": %s sent", alloc);
		}
		printf("%s %s/%s %s%s\n", when, ev->pool, ev->volume,
		       cairn_event_name(ev->event), what);
		fflush(stdout);
		return 0;
	}
	printf("%s %s %s%s, %s of %s allocated (%u%%)\n", when, ev->pool,
	       cairn_event_name(ev->event), what, alloc, cap,
	       ev->capacity ? (unsigned int)(ev->allocated * 100 / ev->capacity) : 0);
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
	if (cfg_save(c, false))
		return EXIT_REFUSED;
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
	{ peer_commands, &nr_peer_commands },
	{ cache_commands, &nr_cache_commands },
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
		fprintf(f, "    %-16s %s%s%s%s%s\n", cmd->params[i].key,
			cmd->params[i].help,
			cmd->params[i].alias ? " (also " : "",
			cmd->params[i].alias ? cmd->params[i].alias : "",
			cmd->params[i].alias ? "=)" : "",
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
			return err_usage("%s: no verb '%s' here (try: help)",
					 where, verb);
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
		return err_usage("cd only means something in the interactive shell");
	/* The path was resolved like any other: the node exists. */
	memcpy(cwd_comp, c->path, sizeof(cwd_comp));
	cwd_depth = c->path_given ? c->depth : 0;
	if (arg(c, "path")) {
		char where[2048];
		unsigned int d;

		int r;

		path_str(c->path, c->depth, where, sizeof(where));
		r = resolve(c, where, arg(c, "path"), cwd_comp, &d);
		if (r)
			return r;
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
 * Is @w, which is not a verb here, a child of the current node (the
 * shell's "vm01 status" at /volumes)?  Returns 0 (no), 1 (yes) or the
 * negated exit status after an error.
 */
static int is_child(struct ctx *c, const char *w)
{
	struct child *ch;
	unsigned int i;
	int r;

	c->names_only = true;
	r = children(c, cwd_comp, cwd_depth, &ch);
	c->names_only = false;
	if (r)
		return -r;
	for (i = 0; ch && ch[i].name[0]; i++)
		if (!strcmp(ch[i].name, w))
			break;
	r = ch && ch[i].name[0];
	free(ch);
	return r;
}

/*
 * A verb that is not at @comp: if the node one level up has it with a
 * positional parameter (/pools/p0 delete), say how to say it there.
 */
static int no_verb(comp_t *comp, unsigned int depth, const char *where,
		   const char *verb)
{
	const struct command *up;
	char parent[2048];

	up = depth ? find_command(comp, depth - 1, verb) : NULL;
	if (up && strcmp(up->node, ANY)) {
		path_str(comp, depth - 1, parent, sizeof(parent));
		if (!strcmp(verb, "delete"))
			return err_usage("%s: no verb 'delete' here; delete %s "
					 "from %s: cairnctl %s delete %s", where,
					 comp[depth - 1], parent, parent,
					 comp[depth - 1]);
		return err_usage("%s: no verb '%s' here; %s has it "
				 "(cairnctl help %s %s)", where, verb, parent,
				 parent, verb);
	}
	err_usage("%s: no verb '%s' here; the verbs are:", where, verb);
	list_verbs(comp, depth, stderr);
	return EXIT_USAGE;
}

/* Does argument @w ("key=value") name parameter @p (or its alias)? */
static bool param_is(const struct param *p, const char *w, const char *eq)
{
	size_t n = eq - w;

	return (strlen(p->key) == n && !strncmp(p->key, w, n)) ||
	       (p->alias && strlen(p->alias) == n && !strncmp(p->alias, w, n));
}

static void param_names(const struct command *cmd, char *buf, size_t len)
{
	unsigned int i, n = nr_params(cmd);
	size_t o = 0;

	buf[0] = '\0';
	for (i = 0; i < n && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
			      cmd->params[i].key);
}

/*
 * Run one command: words[0] may be a path; then the verb and its
 * arguments.  Returns the exit status.
 */
static int run(struct ctx *c, int argc, char **argv)
{
	const struct command *cmd;
	char where[2048], names[512];
	unsigned int i, n;
	int r, a = 0;

	memcpy(c->path, cwd_comp, sizeof(c->path));
	c->depth = cwd_depth;
	memset(c->val, 0, sizeof(c->val));
	c->path_given = false;
	if (argc && !is_path(argv[0]) &&
	    !find_command(cwd_comp, cwd_depth, argv[0])) {
		r = is_child(c, argv[0]);
		if (r < 0)
			return -r;
		c->path_given = r;
	}
	if (argc && (c->path_given || is_path(argv[0]))) {
		path_str(cwd_comp, cwd_depth, where, sizeof(where));
		r = resolve(c, where, argv[0], c->path, &c->depth);
		if (r)
			return r;
		c->path_given = true;
		a++;
	}
	path_str(c->path, c->depth, where, sizeof(where));
	if (a == argc) {	/* a path alone: cd there, or list it */
		cmd = find_command(c->path, c->depth,
				   c->interactive ? "cd" : "ls");
	} else {
		cmd = find_command(c->path, c->depth, argv[a]);
		if (!cmd)
			return no_verb(c->path, c->depth, where, argv[a]);
		a++;
		/* help PATH [VERB] */
		if (cmd->fn == do_help && a < argc &&
		    is_path(argv[a])) {
			r = resolve(c, where, argv[a], c->path, &c->depth);
			if (r)
				return r;
			path_str(c->path, c->depth, where, sizeof(where));
			a++;
		}
	}
	c->cmd = cmd;
	n = nr_params(cmd);
	for (; a < argc; a++) {
		char *eq = strchr(argv[a], '=');

		for (i = 0; i < n; i++) {
			if (eq ? param_is(&cmd->params[i], argv[a], eq) :
			    (cmd->params[i].flags & P_POSITIONAL) && !c->val[i])
				break;
		}
		if (i == n) {
			param_names(cmd, names, sizeof(names));
			return err_usage("%s %s: unexpected argument '%s' "
					 "(the parameters are: %s)", where,
					 cmd->verb, argv[a],
					 n ? names : "none");
		}
		if (c->val[i])
			return err_usage("%s %s: %s given twice", where,
					 cmd->verb, cmd->params[i].key);
		c->val[i] = eq ? eq + 1 : argv[a];
	}
	for (i = 0; i < n; i++) {
		if ((cmd->params[i].flags & P_REQUIRED) && !c->val[i]) {
			err_usage("%s %s: %s is required", where, cmd->verb,
				  cmd->params[i].key);
			verb_usage(cmd, stderr);
			return EXIT_USAGE;
		}
	}
	/* A configuration that cannot be saved refuses the change up front. */
	if (cmd->flags & C_CHANGES) {
		struct cairn_config *cfg;

		if (cfg_get(c, &cfg))
			return EXIT_REFUSED;
	}
	r = cmd->fn(c);
	if (!r && (cmd->flags & C_CHANGES))
		r = cfg_save(c, true);
	if (!r && (cmd->flags & C_DAEMON))
		r = peers_changed(c);
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
	/* alua primary=: the target's nodes, or none. */
	if (!strcmp(p->key, "primary") && d == 2 && !strcmp(comp[0], "iscsi")) {
		const struct cairn_cfg_target *t;
		struct cairn_config *cfg;
		const char *cand[3];

		if (cfg_get(shell_ctx, &cfg))
			return;
		t = cairn_config_target(cfg, CAIRN_FABRIC_ISCSI, comp[1]);
		if (!t || !t->nodes[0][0])
			return;
		cand[0] = t->nodes[0];
		cand[1] = t->nodes[1];
		cand[2] = "none";
		for (i = 0; i < ARRAY_SIZE(cand); i++) {
			if (strncmp(cand[i], val, strlen(val)))
				continue;
			snprintf(buf, sizeof(buf), "%s%s", pfx, cand[i]);
			comp_add(buf);
		}
		return;
	}
	/* The words of the cache's modes and flush semantics. */
	if (!strcmp(cmd->verb, "cache") &&
	    (!strcmp(p->key, "mode") || !strcmp(p->key, "flush"))) {
		static const char *const modes[] = {
			"off", "writethrough", "writeback", NULL
		};
		static const char *const flushes[] = { "disk", "mirror", NULL };
		const char *const *w = p->key[0] == 'm' ? modes : flushes;

		for (i = 0; w[i]; i++) {
			if (strncmp(w[i], val, strlen(val)))
				continue;
			snprintf(buf, sizeof(buf), "%s%s", pfx, w[i]);
			comp_add(buf);
		}
		return;
	}
	if (!strcmp(p->key, "pool") || !strcmp(p->key, "volume") ||
	    !strcmp(p->key, "peer")) {
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

/* Split @line into @words; returns how many, or -1 if too many. */
static int split(char *line, char **words)
{
	char *tok, *save = NULL;
	int n = 0;

	for (tok = strtok_r(line, " \t\r\n", &save); tok;
	     tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == MAX_ARGS + 1)
			return -1;
		words[n++] = tok;
	}
	return n;
}

/* Run one line of the shell; *@quit is set by exit or quit. */
static int shell_line(struct ctx *c, char *line, bool *quit)
{
	char *words[MAX_ARGS + 1];
	int n, r = 0;

	n = split(line, words);
	if (n < 0)
		return err_usage("too many arguments");
	if (n && words[0][0] == '#')
		return 0;
	if (n == 1 && (!strcmp(words[0], "exit") || !strcmp(words[0], "quit")))
		*quit = true;
	else if (n)
		r = run(c, n, words);
	/* The configuration is reread for the next command. */
	if (c->cfg_loaded) {
		cairn_config_free(&c->cfg);
		c->cfg_loaded = false;
	}
	return r;
}

/*
 * Commands from a pipe or a here-document, one per line, as in the
 * shell but without prompts: the first that fails ends the run with its
 * status; blank lines and # comments are skipped.
 */
static int script(struct ctx *c)
{
	size_t cap = 0;
	char *line = NULL;
	bool quit = false;
	int r = 0;

	c->interactive = true;
	while (!r && !quit && getline(&line, &cap, stdin) >= 0)
		r = shell_line(c, line, &quit);
	free(line);
	return r;
}

static int shell(struct ctx *c)
{
	char hist[4096], prompt[2200], where[2048], *line;
	const char *home = getenv("HOME");
	bool quit = false;

	shell_ctx = c;
	c->interactive = true;
	snprintf(hist, sizeof(hist), "%s/.cairnctl_history", home ? home : ".");
	using_history();
	read_history(hist);
	rl_attempted_completion_function = complete;
	rl_readline_name = "cairnctl";
	printf("cairnctl %s: `help` lists the verbs here, `exit` leaves.\n",
	       CAIRNCTL_VERSION);
	while (!quit) {
		path_str(cwd_comp, cwd_depth, where, sizeof(where));
		snprintf(prompt, sizeof(prompt), "cairn %s> ", where);
		line = readline(prompt);
		if (!line)
			break;
		if (*line)
			add_history(line);
		/* Each command said how it went; leaving is not a failure. */
		shell_line(c, line, &quit);
		free(line);
	}
	write_history(hist);
	comp_clear();
	free(comp_list);
	return 0;
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

static void man_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}

static void man(FILE *f)
{
	static const char *const head[] = {
		".TH CAIRNCTL 8 \"2026-11\" \"cairn " CAIRNCTL_VERSION "\" \"Cairn\"",
		".SH NAME",
		"cairnctl \\- manage Cairn pools, thin volumes and their iSCSI, "
		"FC and loopback exports",
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
		"(iSCSI, tcm_fc and tcm_loop exports, through configfs in the layout "
		"targetcli writes, so \\fBtargetcli ls\\fR shows them).",
		".PP",
		"Without arguments it is an interactive shell over a tree "
		"(history; tab completes paths, verbs and parameters); with "
		"arguments it runs one command and exits, for scripts. A path "
		"alone lists (or, in the shell, moves to) that node; in the "
		"shell a child of the current node may stand for the path "
		"(\\fBvm01 status\\fR at /volumes).",
		".PP",
		"When standard input is not a terminal (a pipe, a "
		"here\\-document), cairnctl reads commands from it, one per "
		"line, as the shell does but without prompts; blank lines and "
		"lines starting with # are skipped; the first command that "
		"fails ends the run with its exit status, and \\fBexit\\fR or "
		"\\fBquit\\fR ends it with 0.",
		".PP",
		"The tree: \\fB/pools\\fR, \\fB/pools/\\fIPOOL\\fR; "
		"\\fB/volumes\\fR, \\fB/volumes/\\fIVOLUME\\fR (volume names "
		"are unique across pools); \\fB/iscsi/\\fIIQN\\fB/tpg1/luns\\fR, "
		"\\fB.../acls\\fR, \\fB.../acls/\\fIINITIATOR\\fR, "
		"\\fB.../portals\\fR; \\fB/loopback/\\fINAA\\fB/luns\\fR; "
		"\\fB/fc\\fR (this node's FCoE ports, exported or not), "
		"\\fB/fc/\\fIWWPN\\fB/luns\\fR, \\fB.../acls\\fR (FC port "
		"names are written naa.2000525400770002 as targetcli does; "
		"20:00:52:54:00:77:00:02 is accepted too); "
		"\\fB/peers\\fR, \\fB/peers/\\fINAME\\fR (partner nodes of "
		"mirrored volumes); \\fB/cache\\fR (the node's RAM cache: its "
		"budget and totals; listing it is its status).",
		".PP",
		"RAM cache: \\fB/cache set budget=\\fISIZE\\fR gives the node "
		"RAM for caches (a MiB multiple, at most half the RAM; "
		"\\fBbudget=0\\fR releases it once no volume has a cache); "
		"\\fB/volumes/\\fIVOLUME\\fB cache mode=writeback\\fR "
		"(or \\fBwritethrough\\fR, a read cache) turns a volume's cache "
		"on, \\fBmode=off\\fR drains and removes it. "
		"\\fBflush=disk\\fR (the default): a FLUSH completes once every "
		"write before it is on the members, committed; "
		"\\fBflush=mirror\\fR: once it is in both nodes' RAM, which holds "
		"only while the mirror is connected and in sync (the volume writes "
		"through otherwise: \\fBstatus\\fR says whether it writes back "
		"now). Sequential writes of \\fBseq_cutoff\\fR bytes and more "
		"(default 1M, 0: none) bypass the cache. The budget and each "
		"volume's cache are saved in the configuration and restored by "
		"\\fBcairnd\\fR(8) at boot, the budget first.",
		".PP",
		"Mirroring: each node lists the other under /peers (its address, "
		"where its \\fBcairnd\\fR(8) listens, and a secret file of 16 to "
		"4096 bytes, the same on both nodes, readable by its owner only); "
		"\\fB/volumes/\\fIVOLUME\\fB mirror peer=\\fINODE\\fB pool=\\fIPOOL\\fR "
		"asks the peer's cairnd for the replica (same UUID and size, "
		"secondary) and makes this node primary; the cairnd of both nodes "
		"then keep the link up (the node whose name sorts first connects). "
		"Nodes authenticate each other (HMAC\\-SHA256 challenge\\-response "
		"over the secret) before anything else. This node's name for its "
		"peers is the configuration's \\fBnode\\fR, default the short "
		"host name. After a change to peers or mirrors cairnctl sends "
		"SIGHUP to the running cairnd (the one holding the lock on its pid "
		"file).",
		".PP",
		"Sizes are given as bytes or with a unit K, M, G, T, P or E in "
		"any case, optionally followed by B or iB (10g, 10G, 10GB and "
		"10GiB are the same; units are always powers of 1024, as in "
		"targetcli and lvm; \"1.5T\" works; exponents such as 1e3 do "
		"not); sizes stop below 16E. A volume's new size may be "
		"relative: \\fBsize=+1G\\fR grows it by 1 GiB. Sizes are printed "
		"in binary units. "
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
		"This page, generated from the command table: formatted through "
		"\\fBman\\fR(1) and its pager when standard output is a "
		"terminal, else the roff source.",
	};
	static const char *const tail[] = {
		".SH ENVIRONMENT",
		".TP",
		".B CAIRN_CONFIG",
		"The configuration file (default /etc/cairn/cairn.json).",
		".TP",
		".B CAIRN_PIDFILE",
		"The pid file of the cairnd to signal (default /run/cairnd.pid).",
		".SH EXIT STATUS",
		".TP",
		".B 0",
		"Done.",
		".TP",
		".B 1",
		"Refused or failed: the command was well formed, but what it "
		"asks cannot be done now (an object it names as a value does "
		"not exist or already exists, the kernel or LIO refused it, "
		"cairn.ko is not loaded). One message on standard error, the "
		"kernel's own where it comes from the kernel; nothing changed.",
		".TP",
		".B 2",
		"Bad usage: a path that does not exist (with the names there "
		"are), a verb the node does not have, an unknown or missing "
		"parameter, a value that is malformed or out of range (a size, "
		"a percentage, a name's syntax). Nothing is done.",
		".PP",
		"Every command that needs cairn.ko fails without it with status "
		"1 and the message \"cairn kernel module not loaded: run "
		"'modprobe cairn' or start cairnd\", in text and JSON mode "
		"alike (nothing on standard output); \\fBversion\\fR prints "
		"cairnctl's own version first.",
		".SH EXAMPLES",
		".nf",
		"modprobe cairn",
		"cairnctl /pools create name=p0 devices=/dev/vda,/dev/vdb chunk_size=1M",
		"cairnctl /volumes create pool=p0 name=vm01 size=2T",
		"cairnctl /iscsi create iqn.2026\\-11.org.example:vm01",
		"cairnctl /iscsi/iqn.2026\\-11.org.example:vm01/tpg1/luns create volume=vm01",
		"cairnctl /iscsi/iqn.2026\\-11.org.example:vm01/tpg1/acls create \\e",
		"    iqn.1993\\-08.org.debian:01:host1 userid=host1 password=secret123456",
		"cairnctl /fc create naa.2000525400770002",
		"cairnctl /fc/naa.2000525400770002/luns create volume=vm01",
		"cairnctl /fc/naa.2000525400770002/acls create 20:00:52:54:00:77:00:01",
		"cairnctl ls",
		"cairnctl /pools/p0 status",
		"cairnctl /peers create name=node\\-b address=10.77.0.2 "
		"secret_file=/etc/cairn/peer.key",
		"cairnctl /peers/node\\-b status",
		"cairnctl /volumes/vm01 mirror peer=node\\-b pool=p0",
		"cairnctl /volumes/vm01 status",
		"cairnctl /cache set budget=1G",
		"cairnctl /volumes/vm01 cache mode=writeback flush=mirror",
		"cairnctl /cache",
		"cairnctl <<EOF",
		"cd /volumes",
		"vm01 set size=+1G",
		"vm01 status",
		"EOF",
		".fi",
		".SH FILES",
		"/etc/cairn/cairn.json",
		".SH SEE ALSO",
		"\\fBcairnd\\fR(8), \\fBcairn\\-check\\fR(8), "
		"\\fBtargetcli\\fR(8), \\fBdmsetup\\fR(8)",
	};

	unsigned int t, i, k;

	for (i = 0; i < ARRAY_SIZE(head); i++)
		fprintf(f, "%s\n", head[i]);
	fputs(".SH COMMANDS\n", f);
	for (t = 0; t < ARRAY_SIZE(tables); t++) {
		for (i = 0; i < *tables[t].nr; i++) {
			const struct command *cmd = &tables[t].cmds[i];

			fprintf(f, ".TP\n.B \"");
			man_text(f, strcmp(cmd->node, ANY) ? cmd->node : "[PATH]");
			fprintf(f, " %s\"", cmd->verb);
			for (k = 0; k < nr_params(cmd); k++) {
				fprintf(f, " \"%s", cmd->params[k].flags & P_REQUIRED ? "" : "[");
				man_text(f, cmd->params[k].key);
				fprintf(f, "=%s\"", cmd->params[k].flags & P_REQUIRED ? "" : "]");
			}
			fprintf(f, "\n");
			man_text(f, cmd->summary);
			fprintf(f, ".\n");
			for (k = 0; k < nr_params(cmd); k++) {
				fprintf(f, ".br\n\\fB");
				man_text(f, cmd->params[k].key);
				fprintf(f, "\\fR: ");
				man_text(f, cmd->params[k].help);
				if (cmd->params[k].alias)
					fprintf(f, " (also %s=)", cmd->params[k].alias);
				fprintf(f, "%s\n", cmd->params[k].flags & P_REQUIRED ?
					" (required)" : "");
			}
		}
	}
	for (i = 0; i < ARRAY_SIZE(tail); i++)
		fprintf(f, "%s\n", tail[i]);
}

/*
 * --man: on a terminal, formatted by man(1) through its pager; else the
 * roff source (the build installs it as cairnctl.8).
 */
static int man_page(void)
{
	FILE *f = NULL;
	int r;

	fflush(stdout);
	if (isatty(1))
		f = popen("man -l - 2>/dev/null", "w");
	if (!f) {
		man(stdout);
		return 0;
	}
	man(f);
	r = pclose(f);
	if (r == -1 || !WIFEXITED(r) || WEXITSTATUS(r)) {
		/* No man(1): the source is better than nothing. */
		man(stdout);
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cairnctl [-j] [PATH] VERB [KEY=VALUE...]   one command\n"
		"       cairnctl                                   interactive shell\n"
		"       cairnctl <FILE                             the shell's commands, no prompts\n"
		"       cairnctl help [PATH] [VERB]                what a node or verb takes\n"
		"  -j, --json    JSON output\n"
		"  --man         print the manual page\n"
		"The tree: /pools /volumes /iscsi /loopback /fc /peers /cache (see `cairnctl ls`).\n"
		"Exit status: 0 done, 1 refused or failed, 2 bad usage.\n");
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
			return man_page();
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind == argc)
		r = isatty(0) ? shell(&c) : script(&c);
	else if (argc - optind > MAX_ARGS + 1)
		r = err_usage("too many arguments");
	else
		r = run(&c, argc - optind, argv + optind);
out:
	if (c.nl)
		cairn_nl_close(c.nl);
	if (c.cfg_loaded)
		cairn_config_free(&c.cfg);
	return r;
}
