// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libcairn: the configuration file, /etc/cairn/cairn.json (json-c).
 *
 * The file records what cairnd restores at boot:
 *
 *   {
 *     "version": 1,
 *     "pools": [ { "name": "p0", "uuid": "...",
 *                  "members": [ { "device": "/dev/vdb", "uuid": "..." } ] } ],
 *     "volumes": [ { "pool": "p0", "name": "vm01", "uuid": "...",
 *                    "size": 2199023255552 } ],
 *     "iscsi": [ { "wwn": "iqn.2026-11.org.example:vm01",
 *                  "portals": [ { "ip": "0.0.0.0", "port": 3260 } ],
 *                  "luns": [ { "lun": 0, "volume": "vm01" } ],
 *                  "acls": [ { "initiator": "iqn...", "userid": "...",
 *                              "password": "...", "mutual_userid": "",
 *                              "mutual_password": "" } ] } ],
 *     "loopback": [ { "wwn": "naa.5001405...", "luns": [ ... ] } ],
 *     "fc": [ { "wwn": "naa.2000525400770002", "luns": [ ... ],
 *               "acls": [ { "initiator": "naa.2000525400770001" } ] } ],
 *     "hooks": [ { "event": "out-of-space", "command": "..." } ],
 *     "node": "node-a",
 *     "port": 7788,
 *     "peers": [ { "name": "node-b", "address": "10.77.0.2", "port": 7788,
 *                  "secret_file": "/etc/cairn/peer.key" } ]
 *     "ha": { "witness": "w", "interval_ms": 1000, "timeout_ms": 5000 },
 *     "cache": { "budget": 268435456 }
 *   }
 *
 * "ha" turns on cairnd's heartbeat and automatic failover for the mirrored
 * volumes (userland/cairnd/ha.c): "witness" names one of "peers", the
 * interval and timeout are optional (defaults 1000 and 5000 ms).
 *
 * An iSCSI target served by two nodes (one LUN identity over implicit
 * ALUA, see cairn_alua_set()) has "nodes": [ "node-a", "node-b" ]: two
 * distinct node names, this node one of them; the order gives node i
 * tpgt_<i+1> and target port group id i + 1 on both nodes, so it must be
 * the same in both nodes' files.  Without "nodes" the target has tpgt_1
 * alone.
 *
 * "cache" is the node's RAM cache budget in bytes (CACHE_SET); a volume
 * with a RAM cache has "cache": { "mode": "writeback", "flush": "disk",
 * "seq_cutoff": 1048576 } (mode writethrough or writeback, flush disk or
 * mirror; flush and seq_cutoff optional, default disk and 1 MiB).  Both
 * are optional and written only when set; restore applies the budget
 * before the volumes' caches.
 *
 * A mirrored volume has "mirror": { "peer": "node-b", "role": "primary" }
 * (or "secondary"), naming one of "peers".  "node" (this node's name for
 * its peers; default the host name), "port" (where cairnd listens for its
 * peers; default 7788), "peers" and "fc" are optional and written only when
 * set.
 *
 * Loading is strict: an unknown key, a wrong type, an overlong string or a
 * duplicate name is an error naming the element ("volumes[2].size: ...").
 * The file holds CHAP secrets, so it is written mode 0600.  Saving writes a
 * temporary file in the same directory, fsyncs it, renames it over the old
 * one and fsyncs the directory: a crash leaves the old or the new file.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "libcairn.h"
#include "uapi/cairn_nl.h"

#define CAIRN_CONFIG_VERSION 1

const char *cairn_config_path(void)
{
	const char *p = getenv("CAIRN_CONFIG");

	return p && *p ? p : CAIRN_CONFIG_PATH;
}

const char *cairn_ha_status_path(void)
{
	const char *p = getenv("CAIRN_HA_STATUS");

	return p && *p ? p : CAIRN_HA_STATUS_PATH;
}

const char *cairn_pidfile_path(void)
{
	const char *p = getenv("CAIRN_PIDFILE");

	return p && *p ? p : CAIRN_PIDFILE_PATH;
}

/* The lock's holder is the running cairnd (F_GETLK names it). */
int cairn_daemon_reload(void)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = open(cairn_pidfile_path(), O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fcntl(fd, F_GETLK, &fl))
		r = -errno;
	else if (fl.l_type != F_UNLCK && fl.l_pid > 0)
		r = kill(fl.l_pid, SIGHUP) ? -errno : 1;
	close(fd);
	return r;
}

/* Append one zeroed element to *@arr (of *@nr elements of @size). */
static void *grow(void *arrp, unsigned int *nr, size_t size)
{
	void **arr = arrp;
	char *n = realloc(*arr, (*nr + 1) * size);

	if (!n)
		return NULL;
	*arr = n;
	memset(n + *nr * size, 0, size);
	return n + (*nr)++ * size;
}

/* Remove element @elem from *@arr. */
static void shrink(void *arr, unsigned int *nr, size_t size, void *elem)
{
	char *a = arr, *e = elem;
	size_t i = (e - a) / size;

	memmove(e, e + size, (*nr - i - 1) * size);
	(*nr)--;
}

struct cairn_cfg_pool *cairn_config_add_pool(struct cairn_config *cfg)
{
	return grow(&cfg->pools, &cfg->nr_pools, sizeof(*cfg->pools));
}

struct cairn_cfg_volume *cairn_config_add_volume(struct cairn_config *cfg)
{
	return grow(&cfg->volumes, &cfg->nr_volumes, sizeof(*cfg->volumes));
}

struct cairn_cfg_target *cairn_config_add_target(struct cairn_config *cfg)
{
	return grow(&cfg->targets, &cfg->nr_targets, sizeof(*cfg->targets));
}

struct cairn_cfg_lun *cairn_config_add_lun(struct cairn_cfg_target *t)
{
	return grow(&t->luns, &t->nr_luns, sizeof(*t->luns));
}

struct cairn_cfg_acl *cairn_config_add_acl(struct cairn_cfg_target *t)
{
	return grow(&t->acls, &t->nr_acls, sizeof(*t->acls));
}

struct cairn_cfg_portal *cairn_config_add_portal(struct cairn_cfg_target *t)
{
	return grow(&t->portals, &t->nr_portals, sizeof(*t->portals));
}

struct cairn_cfg_peer *cairn_config_add_peer(struct cairn_config *cfg)
{
	return grow(&cfg->peers, &cfg->nr_peers, sizeof(*cfg->peers));
}

void cairn_config_del_peer(struct cairn_config *cfg, struct cairn_cfg_peer *p)
{
	shrink(cfg->peers, &cfg->nr_peers, sizeof(*p), p);
}

struct cairn_cfg_peer *cairn_config_peer(struct cairn_config *cfg,
					 const char *name)
{
	unsigned int i;

	for (i = 0; i < cfg->nr_peers; i++)
		if (!strcmp(cfg->peers[i].name, name))
			return &cfg->peers[i];
	return NULL;
}

void cairn_config_node(const struct cairn_config *cfg, char *out, size_t len)
{
	char host[256], *dot;

	if (cfg->node[0]) {
		snprintf(out, len, "%s", cfg->node);
		return;
	}
	if (gethostname(host, sizeof(host)))
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	dot = strchr(host, '.');
	if (dot)
		*dot = '\0';
	snprintf(out, len, "%s", host);
}

const char *cairn_config_ha_check(const struct cairn_cfg_ha *ha,
				  uint32_t *interval, uint32_t *timeout)
{
	uint32_t i = ha->interval_ms ? ha->interval_ms : CAIRN_HA_INTERVAL_MS;
	uint32_t t = ha->timeout_ms ? ha->timeout_ms : CAIRN_HA_TIMEOUT_MS;

	if (interval)
		*interval = i;
	if (timeout)
		*timeout = t;
	if (i < 50 || i > 60000)
		return "the heartbeat interval is 50 to 60000 ms";
	if (t > 600000)
		return "the heartbeat timeout is at most 600000 ms";
	if (t < 3 * i)
		return "the heartbeat timeout must be at least 3 intervals";
	return NULL;
}

unsigned int cairn_config_port(const struct cairn_config *cfg)
{
	return cfg->port ? cfg->port : CAIRN_PEER_PORT;
}

bool cairn_valid_name(const char *name)
{
	static const char ok[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
	size_t n = strlen(name);

	return n && n < CAIRN_NAME_LEN && strspn(name, ok) == n;
}

static struct cairn_cfg_hook *add_hook(struct cairn_config *cfg)
{
	return grow(&cfg->hooks, &cfg->nr_hooks, sizeof(*cfg->hooks));
}

void cairn_config_del_pool(struct cairn_config *cfg, struct cairn_cfg_pool *p)
{
	free(p->members);
	shrink(cfg->pools, &cfg->nr_pools, sizeof(*p), p);
}

void cairn_config_del_volume(struct cairn_config *cfg,
			     struct cairn_cfg_volume *v)
{
	shrink(cfg->volumes, &cfg->nr_volumes, sizeof(*v), v);
}

static void target_free(struct cairn_cfg_target *t)
{
	free(t->luns);
	free(t->acls);
	free(t->portals);
}

void cairn_config_del_target(struct cairn_config *cfg,
			     struct cairn_cfg_target *t)
{
	target_free(t);
	shrink(cfg->targets, &cfg->nr_targets, sizeof(*t), t);
}

void cairn_config_del_lun(struct cairn_cfg_target *t, struct cairn_cfg_lun *l)
{
	shrink(t->luns, &t->nr_luns, sizeof(*l), l);
}

void cairn_config_del_acl(struct cairn_cfg_target *t, struct cairn_cfg_acl *a)
{
	shrink(t->acls, &t->nr_acls, sizeof(*a), a);
}

void cairn_config_del_portal(struct cairn_cfg_target *t,
			     struct cairn_cfg_portal *p)
{
	shrink(t->portals, &t->nr_portals, sizeof(*p), p);
}

void cairn_config_free(struct cairn_config *cfg)
{
	unsigned int i;

	for (i = 0; i < cfg->nr_pools; i++)
		free(cfg->pools[i].members);
	for (i = 0; i < cfg->nr_targets; i++)
		target_free(&cfg->targets[i]);
	free(cfg->pools);
	free(cfg->volumes);
	free(cfg->targets);
	free(cfg->hooks);
	free(cfg->peers);
	memset(cfg, 0, sizeof(*cfg));
}

struct cairn_cfg_pool *cairn_config_pool(struct cairn_config *cfg,
					 const char *name)
{
	unsigned int i;

	for (i = 0; i < cfg->nr_pools; i++)
		if (!strcmp(cfg->pools[i].name, name))
			return &cfg->pools[i];
	return NULL;
}

struct cairn_cfg_volume *cairn_config_volume(struct cairn_config *cfg,
					     const char *name)
{
	unsigned int i;

	for (i = 0; i < cfg->nr_volumes; i++)
		if (!strcmp(cfg->volumes[i].name, name))
			return &cfg->volumes[i];
	return NULL;
}

struct cairn_cfg_target *cairn_config_target(struct cairn_config *cfg,
					     enum cairn_fabric fabric,
					     const char *wwn)
{
	unsigned int i;

	for (i = 0; i < cfg->nr_targets; i++)
		if (cfg->targets[i].fabric == fabric &&
		    !strcmp(cfg->targets[i].wwn, wwn))
			return &cfg->targets[i];
	return NULL;
}

/* ---- loading ---- */

struct loader {
	char *err;
	size_t errlen;
	char path[512];		/* JSON path of the element being read */
};

static int bad(struct loader *l, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(l->err, l->errlen, "%s: %s", l->path, msg);
	return -EINVAL;
}

/* Set l->path to "@parent.@key" (or "@parent[@i]" when @key is NULL). */
static void at(struct loader *l, const char *parent, const char *key,
	       unsigned int i)
{
	if (key)
		snprintf(l->path, sizeof(l->path), "%s%s%s", parent,
			 *parent ? "." : "", key);
	else
		snprintf(l->path, sizeof(l->path), "%s[%u]", parent, i);
}

static int get_string(struct loader *l, struct json_object *o, char *out,
		      size_t len, bool empty_ok)
{
	const char *s;

	if (!json_object_is_type(o, json_type_string))
		return bad(l, "expected a string");
	s = json_object_get_string(o);
	if (strlen(s) >= len)
		return bad(l, "longer than %zu bytes", len - 1);
	if (!empty_ok && !*s)
		return bad(l, "must not be empty");
	strcpy(out, s);
	return 0;
}

static int get_u64(struct loader *l, struct json_object *o, uint64_t max,
		   uint64_t *out)
{
	int64_t v;

	if (!json_object_is_type(o, json_type_int))
		return bad(l, "expected an integer");
	errno = 0;
	v = json_object_get_int64(o);
	if (v < 0 || errno || (uint64_t)v > max)
		return bad(l, "out of range (0 to %" PRIu64 ")", max);
	*out = (uint64_t)v;
	return 0;
}

static int is_uuid(const char *s)
{
	unsigned int i;

	if (strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!strchr("0123456789abcdef", s[i])) {
			return 0;
		}
	}
	return 1;
}

static int get_uuid(struct loader *l, struct json_object *o, char *out)
{
	int r = get_string(l, o, out, 37, false);

	if (!r && !is_uuid(out))
		return bad(l, "not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
	return r;
}

/*
 * One member of an object: @keys lists the allowed keys, NULL-terminated;
 * the parser for each is the caller's switch on the returned index.
 */
static int check_keys(struct loader *l, const char *parent,
		      struct json_object *o, const char *const *keys)
{
	unsigned int i;

	if (!json_object_is_type(o, json_type_object)) {
		snprintf(l->path, sizeof(l->path), "%s", *parent ? parent : "(top)");
		return bad(l, "expected an object");
	}
	json_object_object_foreach(o, key, val) {
		(void)val;
		for (i = 0; keys[i]; i++)
			if (!strcmp(keys[i], key))
				break;
		if (!keys[i]) {
			at(l, parent, key, 0);
			return bad(l, "unknown key");
		}
	}
	return 0;
}

/* Fetch @key of @o, which must exist unless @optional. */
static int field(struct loader *l, const char *parent, struct json_object *o,
		 const char *key, bool optional, struct json_object **val)
{
	at(l, parent, key, 0);
	*val = NULL;
	if (!json_object_object_get_ex(o, key, val)) {
		if (optional)
			return 1;
		return bad(l, "missing");
	}
	return 0;
}

static int get_array(struct loader *l, const char *parent,
		     struct json_object *o, const char *key,
		     struct json_object **arr, size_t *n)
{
	int r = field(l, parent, o, key, true, arr);

	*n = 0;
	if (r)
		return r < 0 ? r : 0;
	if (!json_object_is_type(*arr, json_type_array))
		return bad(l, "expected an array");
	*n = json_object_array_length(*arr);
	return 0;
}

static int load_members(struct loader *l, const char *parent,
			struct json_object *o, struct cairn_cfg_pool *p)
{
	static const char *const keys[] = { "device", "uuid", NULL };
	struct json_object *arr, *e, *v;
	char base[256], me[320];
	size_t i, n;
	int r;

	snprintf(base, sizeof(base), "%s", parent);
	r = get_array(l, base, o, "members", &arr, &n);
	if (r)
		return r;
	if (!n)
		return bad(l, "a pool needs at least one member");
	if (n > CAIRN_MAX_DEVICES)
		return bad(l, "more than %d members", CAIRN_MAX_DEVICES);
	p->members = calloc(n, sizeof(*p->members));
	if (!p->members)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		snprintf(me, sizeof(me), "%s.members[%zu]", base, i);
		e = json_object_array_get_idx(arr, i);
		r = check_keys(l, me, e, keys);
		if (!r)
			r = field(l, me, e, "device", false, &v);
		if (!r)
			r = get_string(l, v, p->members[i].device,
				       sizeof(p->members[i].device), false);
		if (!r)
			r = field(l, me, e, "uuid", false, &v);
		if (!r)
			r = get_uuid(l, v, p->members[i].uuid);
		if (r)
			return r;
		p->nr_members++;
	}
	return 0;
}

static int load_pools(struct loader *l, struct json_object *top,
		      struct cairn_config *cfg)
{
	static const char *const keys[] = { "name", "uuid", "members", NULL };
	struct json_object *arr, *e, *v;
	struct cairn_cfg_pool *p;
	char me[256];
	size_t i, n;
	int r;

	r = get_array(l, "", top, "pools", &arr, &n);
	for (i = 0; !r && i < n; i++) {
		snprintf(me, sizeof(me), "pools[%zu]", i);
		e = json_object_array_get_idx(arr, i);
		p = cairn_config_add_pool(cfg);
		if (!p)
			return -ENOMEM;
		r = check_keys(l, me, e, keys);
		if (!r)
			r = field(l, me, e, "name", false, &v);
		if (!r)
			r = get_string(l, v, p->name, sizeof(p->name), false);
		if (!r && cairn_config_pool(cfg, p->name) != p)
			r = bad(l, "pool %s listed twice", p->name);
		if (!r)
			r = field(l, me, e, "uuid", false, &v);
		if (!r)
			r = get_uuid(l, v, p->uuid);
		if (!r)
			r = load_members(l, me, e, p);
	}
	return r;
}

static int load_mirror(struct loader *l, const char *parent,
		       struct json_object *o, struct cairn_config *cfg,
		       struct cairn_cfg_volume *vol)
{
	static const char *const keys[] = { "peer", "role", NULL };
	struct json_object *m, *v;
	char me[320], role[16];
	int r;

	r = field(l, parent, o, "mirror", true, &m);
	if (r)
		return r < 0 ? r : 0;
	snprintf(me, sizeof(me), "%s.mirror", parent);
	r = check_keys(l, me, m, keys);
	if (!r)
		r = field(l, me, m, "peer", false, &v);
	if (!r)
		r = get_string(l, v, vol->mirror.peer, sizeof(vol->mirror.peer),
			       false);
	if (!r && !cairn_config_peer(cfg, vol->mirror.peer))
		r = bad(l, "no peer %s in this file", vol->mirror.peer);
	if (!r)
		r = field(l, me, m, "role", false, &v);
	if (!r)
		r = get_string(l, v, role, sizeof(role), false);
	if (r)
		return r;
	if (!strcmp(role, "primary"))
		vol->mirror.role = CAIRN_ROLE_PRIMARY;
	else if (!strcmp(role, "secondary"))
		vol->mirror.role = CAIRN_ROLE_SECONDARY;
	else
		return bad(l, "role %s: primary or secondary", role);
	return 0;
}

/* A volume's "cache": mode (off is as good as no "cache"), flush, cutoff. */
static int load_vol_cache(struct loader *l, const char *parent,
			  struct json_object *o, struct cairn_cfg_volume *vol)
{
	static const char *const keys[] = { "mode", "flush", "seq_cutoff", NULL };
	struct cairn_cfg_cache *cc = &vol->cache;
	struct json_object *m, *v;
	char me[320], word[32];
	uint64_t n;
	int r, k;

	r = field(l, parent, o, "cache", true, &m);
	if (r)
		return r < 0 ? r : 0;
	snprintf(me, sizeof(me), "%s.cache", parent);
	r = check_keys(l, me, m, keys);
	if (!r)
		r = field(l, me, m, "mode", false, &v);
	if (!r)
		r = get_string(l, v, word, sizeof(word), false);
	if (r)
		return r;
	k = cairn_cache_mode_from_name(word);
	if (k < 0)
		return bad(l, "mode %s: off, writethrough or writeback", word);
	cc->mode = k;
	cc->flush = CAIRN_CACHE_FLUSH_DISK;
	cc->seq_cutoff = 1 << 20;
	if (field(l, me, m, "flush", true, &v) == 0) {
		r = get_string(l, v, word, sizeof(word), false);
		if (r)
			return r;
		k = cairn_cache_flush_from_name(word);
		if (k < 0)
			return bad(l, "flush %s: disk or mirror", word);
		cc->flush = k;
	}
	if (field(l, me, m, "seq_cutoff", true, &v) == 0) {
		r = get_u64(l, v, UINT32_MAX, &n);
		cc->seq_cutoff = n;
	}
	if (cc->mode == CAIRN_CACHE_OFF)
		memset(cc, 0, sizeof(*cc));
	return r;
}

static int load_cache(struct loader *l, struct json_object *top,
		      struct cairn_config *cfg)
{
	static const char *const keys[] = { "budget", NULL };
	struct json_object *o, *v;
	int r;

	r = field(l, "", top, "cache", true, &o);
	if (r)
		return r < 0 ? r : 0;
	r = check_keys(l, "cache", o, keys);
	if (!r)
		r = field(l, "cache", o, "budget", false, &v);
	if (!r)
		r = get_u64(l, v, INT64_MAX, &cfg->cache_budget);
	return r;
}

static int load_peers(struct loader *l, struct json_object *top,
		      struct cairn_config *cfg)
{
	static const char *const keys[] = {
		"name", "address", "port", "secret_file", NULL
	};
	struct json_object *arr, *e, *v;
	struct cairn_cfg_peer *p;
	uint64_t port;
	char me[256];
	size_t i, n;
	int r;

	r = get_array(l, "", top, "peers", &arr, &n);
	for (i = 0; !r && i < n; i++) {
		snprintf(me, sizeof(me), "peers[%zu]", i);
		e = json_object_array_get_idx(arr, i);
		p = cairn_config_add_peer(cfg);
		if (!p)
			return -ENOMEM;
		r = check_keys(l, me, e, keys);
		if (!r)
			r = field(l, me, e, "name", false, &v);
		if (!r)
			r = get_string(l, v, p->name, sizeof(p->name), false);
		if (!r && !cairn_valid_name(p->name))
			r = bad(l, "%s: 1-64 of A-Z a-z 0-9 . _ -", p->name);
		if (!r && cairn_config_peer(cfg, p->name) != p)
			r = bad(l, "peer %s listed twice", p->name);
		if (!r && !strcmp(p->name, cfg->node))
			r = bad(l, "peer %s is this node's own name", p->name);
		if (!r)
			r = field(l, me, e, "address", false, &v);
		if (!r)
			r = get_string(l, v, p->address, sizeof(p->address), false);
		p->port = CAIRN_PEER_PORT;
		if (!r && field(l, me, e, "port", true, &v) == 0) {
			r = get_u64(l, v, 65535, &port);
			if (!r && !port)
				r = bad(l, "port 0");
			p->port = port;
		}
		if (!r)
			r = field(l, me, e, "secret_file", false, &v);
		if (!r)
			r = get_string(l, v, p->secret_file,
				       sizeof(p->secret_file), false);
		if (!r && p->secret_file[0] != '/')
			r = bad(l, "%s: not an absolute path", p->secret_file);
	}
	return r;
}

static int load_ha(struct loader *l, struct json_object *top,
		   struct cairn_config *cfg)
{
	static const char *const keys[] = {
		"witness", "interval_ms", "timeout_ms", NULL
	};
	struct cairn_cfg_ha *ha = &cfg->ha;
	struct json_object *o, *v;
	const char *why;
	uint64_t n;
	int r;

	r = field(l, "", top, "ha", true, &o);
	if (r)
		return r < 0 ? r : 0;
	if (!json_object_is_type(o, json_type_object))
		return bad(l, "expected an object");
	r = check_keys(l, "ha", o, keys);
	if (!r)
		r = field(l, "ha", o, "witness", false, &v);
	if (!r)
		r = get_string(l, v, ha->witness, sizeof(ha->witness), false);
	if (!r && !cairn_config_peer(cfg, ha->witness))
		r = bad(l, "%s: not one of the peers", ha->witness);
	if (!r && field(l, "ha", o, "interval_ms", true, &v) == 0) {
		r = get_u64(l, v, UINT32_MAX, &n);
		ha->interval_ms = n;
	}
	if (!r && field(l, "ha", o, "timeout_ms", true, &v) == 0) {
		r = get_u64(l, v, UINT32_MAX, &n);
		ha->timeout_ms = n;
	}
	if (!r) {
		why = cairn_config_ha_check(ha, NULL, NULL);
		if (why) {
			at(l, "", "ha", 0);
			r = bad(l, "%s", why);
		}
	}
	return r;
}

static int load_volumes(struct loader *l, struct json_object *top,
			struct cairn_config *cfg)
{
	static const char *const keys[] = {
		"pool", "name", "uuid", "size", "mirror", "cache", NULL
	};
	struct json_object *arr, *e, *v;
	struct cairn_cfg_volume *vol;
	char me[256];
	size_t i, n;
	int r;

	r = get_array(l, "", top, "volumes", &arr, &n);
	for (i = 0; !r && i < n; i++) {
		snprintf(me, sizeof(me), "volumes[%zu]", i);
		e = json_object_array_get_idx(arr, i);
		vol = cairn_config_add_volume(cfg);
		if (!vol)
			return -ENOMEM;
		r = check_keys(l, me, e, keys);
		if (!r)
			r = field(l, me, e, "pool", false, &v);
		if (!r)
			r = get_string(l, v, vol->pool, sizeof(vol->pool), false);
		if (!r && !cairn_config_pool(cfg, vol->pool))
			r = bad(l, "no pool %s in this file", vol->pool);
		if (!r)
			r = field(l, me, e, "name", false, &v);
		if (!r)
			r = get_string(l, v, vol->name, sizeof(vol->name), false);
		if (!r && cairn_config_volume(cfg, vol->name) != vol)
			r = bad(l, "volume %s listed twice", vol->name);
		if (!r)
			r = field(l, me, e, "uuid", false, &v);
		if (!r)
			r = get_uuid(l, v, vol->uuid);
		if (!r)
			r = field(l, me, e, "size", false, &v);
		if (!r)
			r = get_u64(l, v, INT64_MAX, &vol->size);
		if (!r)
			r = load_mirror(l, me, e, cfg, vol);
		if (!r)
			r = load_vol_cache(l, me, e, vol);
	}
	return r;
}

static int load_luns(struct loader *l, const char *parent,
		     struct json_object *o, struct cairn_config *cfg,
		     struct cairn_cfg_target *t)
{
	static const char *const keys[] = { "lun", "volume", NULL };
	struct json_object *arr, *e, *v;
	struct cairn_cfg_lun *lun;
	uint64_t num;
	char me[320];
	size_t i, n, j;
	int r;

	r = get_array(l, parent, o, "luns", &arr, &n);
	for (i = 0; !r && i < n; i++) {
		snprintf(me, sizeof(me), "%s.luns[%zu]", parent, i);
		e = json_object_array_get_idx(arr, i);
		lun = cairn_config_add_lun(t);
		if (!lun)
			return -ENOMEM;
		r = check_keys(l, me, e, keys);
		if (!r)
			r = field(l, me, e, "lun", false, &v);
		if (!r)
			r = get_u64(l, v, 65535, &num);
		for (j = 0; !r && j + 1 < t->nr_luns; j++)
			if (t->luns[j].lun == num)
				r = bad(l, "LUN %" PRIu64 " listed twice", num);
		lun->lun = num;
		if (!r)
			r = field(l, me, e, "volume", false, &v);
		if (!r)
			r = get_string(l, v, lun->volume, sizeof(lun->volume),
				       false);
		if (!r && !cairn_config_volume(cfg, lun->volume))
			r = bad(l, "no volume %s in this file", lun->volume);
	}
	return r;
}

static int load_acls(struct loader *l, const char *parent,
		     struct json_object *o, struct cairn_cfg_target *t)
{
	static const char *const keys[] = {
		"initiator", "userid", "password", "mutual_userid",
		"mutual_password", NULL
	};
	static const char *const fc_keys[] = { "initiator", NULL };
	struct json_object *arr, *e, *v;
	struct cairn_cfg_acl *a;
	char me[320];
	size_t i, n, j;
	int r;

	r = get_array(l, parent, o, "acls", &arr, &n);
	for (i = 0; !r && i < n; i++) {
		snprintf(me, sizeof(me), "%s.acls[%zu]", parent, i);
		e = json_object_array_get_idx(arr, i);
		a = cairn_config_add_acl(t);
		if (!a)
			return -ENOMEM;
		r = check_keys(l, me, e, t->fabric == CAIRN_FABRIC_FC ?
			       fc_keys : keys);
		if (!r)
			r = field(l, me, e, "initiator", false, &v);
		if (!r)
			r = get_string(l, v, a->initiator, sizeof(a->initiator),
				       false);
		if (!r && !cairn_lio_valid_wwn(t->fabric, a->initiator, NULL, 0))
			r = bad(l, "not an %s name: %s", t->fabric == CAIRN_FABRIC_FC ?
				"FC port" : "iSCSI", a->initiator);
		for (j = 0; !r && j + 1 < t->nr_acls; j++)
			if (!strcmp(t->acls[j].initiator, a->initiator))
				r = bad(l, "initiator listed twice");
		if (!r && field(l, me, e, "userid", true, &v) == 0)
			r = get_string(l, v, a->userid, sizeof(a->userid), true);
		if (!r && field(l, me, e, "password", true, &v) == 0)
			r = get_string(l, v, a->password, sizeof(a->password),
				       true);
		if (!r && field(l, me, e, "mutual_userid", true, &v) == 0)
			r = get_string(l, v, a->mutual_userid,
				       sizeof(a->mutual_userid), true);
		if (!r && field(l, me, e, "mutual_password", true, &v) == 0)
			r = get_string(l, v, a->mutual_password,
				       sizeof(a->mutual_password), true);
		if (!r && !*a->userid != !*a->password)
			r = bad(l, "userid and password go together");
		if (!r && !*a->mutual_userid != !*a->mutual_password)
			r = bad(l, "mutual_userid and mutual_password go together");
		if (!r && *a->mutual_userid && !*a->userid)
			r = bad(l, "mutual CHAP needs CHAP");
	}
	return r;
}

static int load_portals(struct loader *l, const char *parent,
			struct json_object *o, struct cairn_cfg_target *t)
{
	static const char *const keys[] = { "ip", "port", NULL };
	struct json_object *arr, *e, *v;
	struct cairn_cfg_portal *p;
	uint64_t port;
	char me[320];
	size_t i, n;
	int r;

	r = get_array(l, parent, o, "portals", &arr, &n);
	for (i = 0; !r && i < n; i++) {
		snprintf(me, sizeof(me), "%s.portals[%zu]", parent, i);
		e = json_object_array_get_idx(arr, i);
		p = cairn_config_add_portal(t);
		if (!p)
			return -ENOMEM;
		r = check_keys(l, me, e, keys);
		if (!r)
			r = field(l, me, e, "ip", false, &v);
		if (!r)
			r = get_string(l, v, p->ip, sizeof(p->ip), false);
		if (!r)
			r = field(l, me, e, "port", false, &v);
		if (!r)
			r = get_u64(l, v, 65535, &port);
		if (!r && !port)
			r = bad(l, "port 0");
		p->port = port;
	}
	return r;
}

/*
 * "nodes": the two nodes that serve an iSCSI target (ALUA), distinct valid
 * names.  Whether this node is one of them is restore's to check: the
 * node's name may come from the host name.
 */
static int load_nodes(struct loader *l, const char *parent,
		      struct json_object *o, struct cairn_cfg_target *t)
{
	const char *nodes[CAIRN_ALUA_NODES], *why;
	struct json_object *arr;
	char me[320];
	size_t i, n;
	int r;

	r = get_array(l, parent, o, "nodes", &arr, &n);
	if (r || !arr)
		return r;
	if (n != CAIRN_ALUA_NODES)
		return bad(l, "%zu nodes: a target has two nodes or no \"nodes\"", n);
	for (i = 0; !r && i < n; i++) {
		snprintf(me, sizeof(me), "%s.nodes", parent);
		at(l, me, NULL, i);
		r = get_string(l, json_object_array_get_idx(arr, i), t->nodes[i],
			       sizeof(t->nodes[i]), false);
		nodes[i] = t->nodes[i];
	}
	if (r)
		return r;
	at(l, parent, "nodes", 0);
	why = cairn_alua_nodes_problem(nodes, NULL);
	return why ? bad(l, "%s", why) : 0;
}

static int load_targets(struct loader *l, struct json_object *top,
			struct cairn_config *cfg, enum cairn_fabric fabric)
{
	static const char *const iscsi_keys[] = {
		"wwn", "portals", "luns", "acls", "nodes", NULL
	};
	static const char *const loop_keys[] = { "wwn", "luns", NULL };
	static const char *const fc_keys[] = { "wwn", "luns", "acls", NULL };
	const char *key = fabric == CAIRN_FABRIC_ISCSI ? "iscsi" :
			  fabric == CAIRN_FABRIC_FC ? "fc" : "loopback";
	struct json_object *arr, *e, *v;
	struct cairn_cfg_target *t;
	char me[256];
	size_t i, n;
	int r;

	r = get_array(l, "", top, key, &arr, &n);
	for (i = 0; !r && i < n; i++) {
		snprintf(me, sizeof(me), "%s[%zu]", key, i);
		e = json_object_array_get_idx(arr, i);
		t = cairn_config_add_target(cfg);
		if (!t)
			return -ENOMEM;
		t->fabric = fabric;
		r = check_keys(l, me, e, fabric == CAIRN_FABRIC_ISCSI ?
			       iscsi_keys : fabric == CAIRN_FABRIC_FC ? fc_keys :
			       loop_keys);
		if (!r)
			r = field(l, me, e, "wwn", false, &v);
		if (!r)
			r = get_string(l, v, t->wwn, sizeof(t->wwn), false);
		if (!r && !cairn_lio_valid_wwn(fabric, t->wwn, NULL, 0))
			r = bad(l, "not a valid %s name: %s", key, t->wwn);
		if (!r && cairn_config_target(cfg, fabric, t->wwn) != t)
			r = bad(l, "target %s listed twice", t->wwn);
		if (!r)
			r = load_luns(l, me, e, cfg, t);
		if (!r && fabric == CAIRN_FABRIC_ISCSI)
			r = load_portals(l, me, e, t);
		if (!r && fabric != CAIRN_FABRIC_LOOPBACK)
			r = load_acls(l, me, e, t);
		if (!r && fabric == CAIRN_FABRIC_ISCSI)
			r = load_nodes(l, me, e, t);
	}
	return r;
}

static int load_hooks(struct loader *l, struct json_object *top,
		      struct cairn_config *cfg)
{
	static const char *const keys[] = { "event", "command", NULL };
	struct json_object *arr, *e, *v;
	struct cairn_cfg_hook *h;
	char me[256];
	size_t i, n;
	int r;

	r = get_array(l, "", top, "hooks", &arr, &n);
	for (i = 0; !r && i < n; i++) {
		snprintf(me, sizeof(me), "hooks[%zu]", i);
		e = json_object_array_get_idx(arr, i);
		h = add_hook(cfg);
		if (!h)
			return -ENOMEM;
		r = check_keys(l, me, e, keys);
		if (!r)
			r = field(l, me, e, "event", false, &v);
		if (!r)
			r = get_string(l, v, h->event, sizeof(h->event), false);
		if (!r && strcmp(h->event, "*") &&
		    cairn_event_from_name(h->event) < 0)
			r = bad(l, "unknown event %s", h->event);
		if (!r)
			r = field(l, me, e, "command", false, &v);
		if (!r)
			r = get_string(l, v, h->command, sizeof(h->command),
				       false);
	}
	return r;
}

int cairn_config_load(const char *path, struct cairn_config *cfg,
		      char *err, size_t errlen)
{
	static const char *const keys[] = {
		"version", "pools", "volumes", "iscsi", "loopback", "fc",
		"hooks", "node", "port", "peers", "ha", "cache", NULL
	};
	struct loader l = { .err = err, .errlen = errlen };
	struct json_object *top, *v;
	uint64_t version, port;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	if (!path)
		path = cairn_config_path();
	if (access(path, F_OK) && errno == ENOENT)
		return 0;
	top = json_object_from_file(path);
	if (!top) {
		snprintf(err, errlen, "%s: %s", path,
			 json_util_get_last_err() ? json_util_get_last_err() :
			 "not valid JSON");
		return -EINVAL;
	}
	r = check_keys(&l, "", top, keys);
	if (!r)
		r = field(&l, "", top, "version", false, &v);
	if (!r)
		r = get_u64(&l, v, UINT32_MAX, &version);
	if (!r && version != CAIRN_CONFIG_VERSION)
		r = bad(&l, "version %" PRIu64 " (this is version %d)", version,
			CAIRN_CONFIG_VERSION);
	if (!r && field(&l, "", top, "node", true, &v) == 0) {
		r = get_string(&l, v, cfg->node, sizeof(cfg->node), false);
		if (!r && !cairn_valid_name(cfg->node))
			r = bad(&l, "%s: 1-64 of A-Z a-z 0-9 . _ -", cfg->node);
	}
	if (!r && field(&l, "", top, "port", true, &v) == 0) {
		r = get_u64(&l, v, 65535, &port);
		if (!r && !port)
			r = bad(&l, "port 0");
		cfg->port = port;
	}
	if (!r)
		r = load_pools(&l, top, cfg);
	if (!r)
		r = load_peers(&l, top, cfg);
	if (!r)
		r = load_ha(&l, top, cfg);
	if (!r)
		r = load_cache(&l, top, cfg);
	if (!r)
		r = load_volumes(&l, top, cfg);
	if (!r)
		r = load_targets(&l, top, cfg, CAIRN_FABRIC_ISCSI);
	if (!r)
		r = load_targets(&l, top, cfg, CAIRN_FABRIC_LOOPBACK);
	if (!r)
		r = load_targets(&l, top, cfg, CAIRN_FABRIC_FC);
	if (!r)
		r = load_hooks(&l, top, cfg);
	json_object_put(top);
	if (r) {
		if (r == -ENOMEM) {
			snprintf(err, errlen, "%s: out of memory", path);
		} else if (r == -EINVAL) {
			char tmp[512];

			snprintf(tmp, sizeof(tmp), "%s: %s", path, err);
			snprintf(err, errlen, "%s", tmp);
		}
		cairn_config_free(cfg);
	}
	return r;
}

/* ---- saving ---- */

static void add_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

static void add_int(struct json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

static struct json_object *luns_json(const struct cairn_cfg_target *t)
{
	struct json_object *arr = json_object_new_array(), *e;
	unsigned int i;

	for (i = 0; i < t->nr_luns; i++) {
		e = json_object_new_object();
		add_int(e, "lun", t->luns[i].lun);
		add_str(e, "volume", t->luns[i].volume);
		json_object_array_add(arr, e);
	}
	return arr;
}

static struct json_object *target_json(const struct cairn_cfg_target *t)
{
	struct json_object *o = json_object_new_object(), *arr, *e;
	const struct cairn_cfg_acl *a;
	unsigned int i;

	add_str(o, "wwn", t->wwn);
	if (t->fabric == CAIRN_FABRIC_ISCSI) {
		arr = json_object_new_array();
		for (i = 0; i < t->nr_portals; i++) {
			e = json_object_new_object();
			add_str(e, "ip", t->portals[i].ip);
			add_int(e, "port", t->portals[i].port);
			json_object_array_add(arr, e);
		}
		json_object_object_add(o, "portals", arr);
	}
	json_object_object_add(o, "luns", luns_json(t));
	if (t->fabric == CAIRN_FABRIC_ISCSI && t->nodes[0][0]) {
		arr = json_object_new_array();
		for (i = 0; i < CAIRN_ALUA_NODES; i++)
			json_object_array_add(arr, json_object_new_string(t->nodes[i]));
		json_object_object_add(o, "nodes", arr);
	}
	if (t->fabric == CAIRN_FABRIC_FC) {
		arr = json_object_new_array();
		for (i = 0; i < t->nr_acls; i++) {
			e = json_object_new_object();
			add_str(e, "initiator", t->acls[i].initiator);
			json_object_array_add(arr, e);
		}
		json_object_object_add(o, "acls", arr);
	}
	if (t->fabric == CAIRN_FABRIC_ISCSI) {
		arr = json_object_new_array();
		for (i = 0; i < t->nr_acls; i++) {
			a = &t->acls[i];
			e = json_object_new_object();
			add_str(e, "initiator", a->initiator);
			add_str(e, "userid", a->userid);
			add_str(e, "password", a->password);
			add_str(e, "mutual_userid", a->mutual_userid);
			add_str(e, "mutual_password", a->mutual_password);
			json_object_array_add(arr, e);
		}
		json_object_object_add(o, "acls", arr);
	}
	return o;
}

static struct json_object *config_json(const struct cairn_config *cfg)
{
	struct json_object *top = json_object_new_object(), *arr, *e, *ms, *m;
	struct json_object *iscsi, *loop, *fc;
	unsigned int i, j;

	add_int(top, "version", CAIRN_CONFIG_VERSION);
	arr = json_object_new_array();
	for (i = 0; i < cfg->nr_pools; i++) {
		e = json_object_new_object();
		add_str(e, "name", cfg->pools[i].name);
		add_str(e, "uuid", cfg->pools[i].uuid);
		ms = json_object_new_array();
		for (j = 0; j < cfg->pools[i].nr_members; j++) {
			m = json_object_new_object();
			add_str(m, "device", cfg->pools[i].members[j].device);
			add_str(m, "uuid", cfg->pools[i].members[j].uuid);
			json_object_array_add(ms, m);
		}
		json_object_object_add(e, "members", ms);
		json_object_array_add(arr, e);
	}
	json_object_object_add(top, "pools", arr);
	arr = json_object_new_array();
	for (i = 0; i < cfg->nr_volumes; i++) {
		e = json_object_new_object();
		add_str(e, "pool", cfg->volumes[i].pool);
		add_str(e, "name", cfg->volumes[i].name);
		add_str(e, "uuid", cfg->volumes[i].uuid);
		add_int(e, "size", (int64_t)cfg->volumes[i].size);
		if (cfg->volumes[i].mirror.peer[0]) {
			m = json_object_new_object();
			add_str(m, "peer", cfg->volumes[i].mirror.peer);
			add_str(m, "role", cfg->volumes[i].mirror.role ==
				CAIRN_ROLE_PRIMARY ? "primary" : "secondary");
			json_object_object_add(e, "mirror", m);
		}
		if (cfg->volumes[i].cache.mode != CAIRN_CACHE_OFF) {
			const struct cairn_cfg_cache *cc = &cfg->volumes[i].cache;

			m = json_object_new_object();
			add_str(m, "mode", cairn_cache_mode_name(cc->mode));
			add_str(m, "flush", cairn_cache_flush_name(cc->flush));
			add_int(m, "seq_cutoff", cc->seq_cutoff);
			json_object_object_add(e, "cache", m);
		}
		json_object_array_add(arr, e);
	}
	json_object_object_add(top, "volumes", arr);
	iscsi = json_object_new_array();
	loop = json_object_new_array();
	fc = json_object_new_array();
	for (i = 0; i < cfg->nr_targets; i++) {
		enum cairn_fabric f = cfg->targets[i].fabric;

		json_object_array_add(f == CAIRN_FABRIC_ISCSI ? iscsi :
				      f == CAIRN_FABRIC_FC ? fc : loop,
				      target_json(&cfg->targets[i]));
	}
	json_object_object_add(top, "iscsi", iscsi);
	json_object_object_add(top, "loopback", loop);
	if (json_object_array_length(fc))
		json_object_object_add(top, "fc", fc);
	else
		json_object_put(fc);
	arr = json_object_new_array();
	for (i = 0; i < cfg->nr_hooks; i++) {
		e = json_object_new_object();
		add_str(e, "event", cfg->hooks[i].event);
		add_str(e, "command", cfg->hooks[i].command);
		json_object_array_add(arr, e);
	}
	json_object_object_add(top, "hooks", arr);
	if (cfg->node[0])
		add_str(top, "node", cfg->node);
	if (cfg->port)
		add_int(top, "port", cfg->port);
	if (cfg->ha.witness[0]) {
		e = json_object_new_object();
		add_str(e, "witness", cfg->ha.witness);
		if (cfg->ha.interval_ms)
			add_int(e, "interval_ms", cfg->ha.interval_ms);
		if (cfg->ha.timeout_ms)
			add_int(e, "timeout_ms", cfg->ha.timeout_ms);
		json_object_object_add(top, "ha", e);
	}
	if (cfg->cache_budget) {
		e = json_object_new_object();
		add_int(e, "budget", (int64_t)cfg->cache_budget);
		json_object_object_add(top, "cache", e);
	}
	if (!cfg->nr_peers)
		return top;
	arr = json_object_new_array();
	for (i = 0; i < cfg->nr_peers; i++) {
		e = json_object_new_object();
		add_str(e, "name", cfg->peers[i].name);
		add_str(e, "address", cfg->peers[i].address);
		add_int(e, "port", cfg->peers[i].port);
		add_str(e, "secret_file", cfg->peers[i].secret_file);
		json_object_array_add(arr, e);
	}
	json_object_object_add(top, "peers", arr);
	return top;
}

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

int cairn_config_save(const char *path, const struct cairn_config *cfg,
		      char *err, size_t errlen)
{
	struct json_object *top;
	char tmp[4200], dir[4096];
	const char *text;
	int fd, dfd, r;

	if (!path)
		path = cairn_config_path();
	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(dir, sizeof(dir), "%s", dirname(tmp));
	/* Only root may enter, as the package makes /etc/cairn: secrets. */
	if (mkdir(dir, 0700) && errno != EEXIST) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(-r));
		return r;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(-r));
		return r;
	}
	top = config_json(cfg);
	text = json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_SPACED |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	r = write_all(fd, text, strlen(text));
	if (!r)
		r = write_all(fd, "\n", 1);
	json_object_put(top);
	if (!r && fsync(fd))
		r = -errno;
	if (close(fd) && !r)
		r = -errno;
	if (!r && rename(tmp, path))
		r = -errno;
	if (r) {
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		unlink(tmp);
		return r;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (fsync(dfd))
			r = -errno;
		close(dfd);
	}
	if (r)
		snprintf(err, errlen, "%s: %s", dir, strerror(-r));
	return r;
}
