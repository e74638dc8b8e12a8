// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cairnctl: /peers (partner nodes: where their cairnd listens, the shared
 * secret) and the mirror verbs of /volumes/VOLUME (mirror, promote,
 * demote).  Peers live in the configuration only; cairnd reads them, so
 * every change here is followed by a SIGHUP to the running cairnd.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cairnctl.h"
#include "uapi/cairn_nl.h"

int peers_children(struct ctx *c, struct child **out)
{
	struct cairn_config *cfg;
	struct child *a;
	unsigned int i, j, n;

	if (cfg_get(c, &cfg))
		return 1;
	a = calloc(cfg->nr_peers + 1, sizeof(*a));
	if (!a)
		return err_msg("out of memory");
	for (i = 0; i < cfg->nr_peers; i++) {
		const struct cairn_cfg_peer *p = &cfg->peers[i];

		for (j = n = 0; j < cfg->nr_volumes; j++)
			n += !strcmp(cfg->volumes[j].mirror.peer, p->name);
		snprintf(a[i].name, sizeof(a[i].name), "%s", p->name);
		snprintf(a[i].summary, sizeof(a[i].summary),
			 "%.200s port %u, %u mirrored volume%s", p->address, p->port,
			 n, n == 1 ? "" : "s");
	}
	*out = a;
	return 0;
}

/* yes/no for @key: 0 or 1, or -1 after a usage error. */
static int yes_no(struct ctx *c, const char *key)
{
	const char *v = arg(c, key);

	if (!v || !strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0"))
		return 0;
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1"))
		return 1;
	err_usage("%s: '%s' is not yes or no", key, v);
	return -1;
}

static void daemon_note(struct ctx *c)
{
	int r = cairn_daemon_reload();

	if (r < 0)
		fprintf(stderr, "cairnctl: cannot signal cairnd (%s): %s; "
			"reload it yourself (SIGHUP)\n", cairn_pidfile_path(),
			strerror(-r));
	else if (!r && !c->json)
		printf("cairnd is not running: it acts on this when it starts.\n");
}

/* ---- /peers ---- */

static int peers_create(struct ctx *c)
{
	const char *name = arg(c, "name"), *addr = arg(c, "address");
	const char *port = arg(c, "port"), *secret = arg(c, "secret_file");
	uint8_t key[CAIRN_SECRET_MAX];
	char self[CAIRN_NAME_LEN], err[400];
	struct cairn_config *cfg;
	struct cairn_cfg_peer *p;
	unsigned long pn = CAIRN_PEER_PORT;

	if (!cairn_valid_name(name))
		return err_usage("name: '%s': 1-64 of A-Z a-z 0-9 . _ -", name);
	if (!*addr || strlen(addr) >= CAIRN_ADDR_LEN)
		return err_usage("address: '%s' is not an address", addr);
	if (port && (parse_uint(port, 65535, &pn) || !pn))
		return err_usage("port: '%s' is not a port (1-65535)", port);
	if (secret[0] != '/' || strlen(secret) >= sizeof(p->secret_file))
		return err_usage("secret_file: '%s' is not an absolute path", secret);
	if (cfg_get(c, &cfg))
		return EXIT_REFUSED;
	cairn_config_node(cfg, self, sizeof(self));
	if (!strcmp(name, self))
		return err_msg("peer %s: that is this node's own name", name);
	if (cairn_config_peer(cfg, name))
		return err_msg("peer %s already exists", name);
	if (cairn_secret_load(secret, key, err, sizeof(err)) < 0)
		return err_msg("%s", err);
	memset(key, 0, sizeof(key));
	p = cairn_config_add_peer(cfg);
	if (!p)
		return err_msg("out of memory");
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->address, sizeof(p->address), "%s", addr);
	p->port = pn;
	snprintf(p->secret_file, sizeof(p->secret_file), "%s", secret);
	if (c->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "address", json_object_new_string(addr));
		json_object_object_add(o, "port", json_object_new_int(pn));
		json_object_object_add(o, "secret_file", json_object_new_string(secret));
		print_json(o);
	} else {
		printf("Created peer %s (%s port %lu, secret %s); this node is %s to it.\n",
		       name, addr, pn, secret, self);
	}
	return 0;
}

/* The volumes mirrored with @peer, in the configuration and the kernel. */
static int peer_users(struct ctx *c, const char *peer, char *buf, size_t len)
{
	struct cairn_config *cfg;
	unsigned int i, n = 0;
	size_t o = 0;

	buf[0] = '\0';
	if (cfg_get(c, &cfg))
		return -1;
	for (i = 0; i < cfg->nr_volumes; i++) {
		if (strcmp(cfg->volumes[i].mirror.peer, peer))
			continue;
		o += snprintf(buf + o, o < len ? len - o : 0, "%s%s", n++ ? ", " : "",
			      cfg->volumes[i].name);
	}
	return n;
}

static int peers_delete(struct ctx *c)
{
	const char *name = arg(c, "name");
	struct cairn_config *cfg;
	struct cairn_cfg_peer *p;
	char users[512];
	int n;

	if (cfg_get(c, &cfg))
		return EXIT_REFUSED;
	p = cairn_config_peer(cfg, name);
	if (!p)
		return err_msg("no peer %s", name);
	if (!strcmp(cfg->ha.witness, name))
		return err_msg("peer %s is the witness: turn failover off first "
			       "(/peers ha witness=none)", name);
	n = peer_users(c, name, users, sizeof(users));
	if (n < 0)
		return EXIT_REFUSED;
	if (n)
		return err_msg("peer %s mirrors volume%s %s: it stays while they do",
			       name, n == 1 ? "" : "s", users);
	cairn_config_del_peer(cfg, p);
	if (c->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "deleted", json_object_new_string(name));
		print_json(o);
	} else {
		printf("Deleted peer %s.\n", name);
	}
	return 0;
}

static int peer_status(struct ctx *c)
{
	struct cairn_peer_msg req = { .type = CAIRN_PEER_NOP }, rep;
	char self[CAIRN_NAME_LEN], err[400], users[512];
	struct cairn_config *cfg;
	struct cairn_cfg_peer *p;
	int fd, r, n;

	if (cfg_get(c, &cfg))
		return EXIT_REFUSED;
	p = cairn_config_peer(cfg, c->path[1]);
	if (!p)
		return err_msg("no peer %s", c->path[1]);
	cairn_config_node(cfg, self, sizeof(self));
	n = peer_users(c, p->name, users, sizeof(users));
	fd = cairn_peer_connect(p, self, err, sizeof(err));
	if (fd >= 0) {
		r = cairn_peer_request(fd, &req, &rep, CAIRN_PEER_TIMEOUT_MS);
		close(fd);
		if (r) {
			snprintf(err, sizeof(err), "peer %s: no answer after "
				 "authentication: %s", p->name, strerror(-r));
			fd = r;
		}
	}
	if (c->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(p->name));
		json_object_object_add(o, "address", json_object_new_string(p->address));
		json_object_object_add(o, "port", json_object_new_int(p->port));
		json_object_object_add(o, "secret_file",
				       json_object_new_string(p->secret_file));
		json_object_object_add(o, "node", json_object_new_string(self));
		json_object_object_add(o, "status", json_object_new_string(fd < 0 ?
				       "failed" : "authenticated"));
		json_object_object_add(o, "error", fd < 0 ?
				       json_object_new_string(err) : NULL);
		json_object_object_add(o, "mirrored_volumes", json_object_new_int(n));
		print_json(o);
	} else {
		printf("peer %s: %s port %u, secret %s\n  this node: %s\n",
		       p->name, p->address, p->port, p->secret_file, self);
		if (n > 0)
			printf("  mirrors %s\n", users);
		if (fd >= 0)
			printf("  authenticated (%s)\n", rep.message);
	}
	if (fd < 0)
		return err_msg("%s", err);
	return 0;
}

/* ---- /peers ha, heartbeat: automatic failover ---- */

static int peers_ha(struct ctx *c)
{
	const char *w = arg(c, "witness"), *iv = arg(c, "interval");
	const char *to = arg(c, "timeout"), *why;
	struct cairn_config *cfg;
	struct cairn_cfg_ha ha;
	unsigned long n;
	uint32_t ims, tms;

	if (cfg_get(c, &cfg))
		return EXIT_REFUSED;
	ha = cfg->ha;
	if (w && !strcmp(w, "none")) {
		memset(&ha, 0, sizeof(ha));
	} else if (w) {
		if (!cairn_valid_name(w))
			return err_usage("witness: '%s': 1-64 of A-Z a-z 0-9 . _ -", w);
		if (!cairn_config_peer(cfg, w))
			return err_msg("witness %s is not a peer: create it under /peers first", w);
		snprintf(ha.witness, sizeof(ha.witness), "%s", w);
	}
	if (iv) {
		if (parse_uint(iv, UINT32_MAX, &n))
			return err_usage("interval: '%s' is not a number of milliseconds", iv);
		ha.interval_ms = n;
	}
	if (to) {
		if (parse_uint(to, UINT32_MAX, &n))
			return err_usage("timeout: '%s' is not a number of milliseconds", to);
		ha.timeout_ms = n;
	}
	if (!ha.witness[0] && (iv || to))
		return err_msg("no witness: name one (witness=PEER) with the timing");
	why = cairn_config_ha_check(&ha, &ims, &tms);
	if (ha.witness[0] && why)
		return err_msg("%s", why);
	cfg->ha = ha;
	if (c->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "witness", ha.witness[0] ?
				       json_object_new_string(ha.witness) : NULL);
		json_object_object_add(o, "interval_ms", json_object_new_int64(ims));
		json_object_object_add(o, "timeout_ms", json_object_new_int64(tms));
		print_json(o);
	} else if (!ha.witness[0]) {
		printf("Automatic failover is off.\n");
	} else {
		printf("Automatic failover with witness %s: heartbeat every %u ms, "
		       "timeout %u ms.\n", ha.witness, ims, tms);
	}
	return 0;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ?
	       json_object_get_string(v) : NULL;
}

static bool jbool(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static int64_t jint(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ?
	       json_object_get_int64(v) : -1;
}

struct json_object *ha_volume_state(const char *pool, const char *name)
{
	struct json_object *top, *vols, *o, *found = NULL;
	size_t i, n;

	top = json_object_from_file(cairn_ha_status_path());
	if (!top)
		return NULL;
	if (json_object_object_get_ex(top, "volumes", &vols)) {
		n = json_object_array_length(vols);
		for (i = 0; i < n && !found; i++) {
			o = json_object_array_get_idx(vols, i);
			if (!strcmp(jstr(o, "pool") ?: "", pool) &&
			    !strcmp(jstr(o, "volume") ?: "", name))
				found = json_object_get(o);
		}
	}
	json_object_put(top);
	return found;
}

static int peers_heartbeat(struct ctx *c)
{
	const char *path = cairn_ha_status_path();
	struct json_object *top, *vols, *o;
	size_t i, n;

	top = json_object_from_file(path);
	if (!top)
		return err_msg("no heartbeat state in %s: cairnd is not running, "
			       "or runs without a witness", path);
	if (c->json) {
		print_json(top);
		return 0;
	}
	printf("node %s (%s), witness %s, heartbeat every %" PRId64 " ms, "
	       "timeout %" PRId64 " ms\n", jstr(top, "node") ?: "?",
	       jstr(top, "role") ?: "?", *(jstr(top, "witness") ?: "") ?
	       jstr(top, "witness") : "none", jint(top, "interval_ms"),
	       jint(top, "timeout_ms"));
	if (json_object_object_get_ex(top, "volumes", &vols)) {
		n = json_object_array_length(vols);
		for (i = 0; i < n; i++) {
			o = json_object_array_get_idx(vols, i);
			printf("  %s/%s with %s: %s (%s); peer heard %" PRId64
			       " ms ago, witness %s%s; lease %" PRId64 " ms%s\n",
			       jstr(o, "pool"), jstr(o, "volume"), jstr(o, "peer"),
			       jstr(o, "state"), jstr(o, "why"),
			       jint(o, "peer_heard_ms"),
			       jint(o, "witness_heard_ms") < 0 ? "never heard" : "",
			       jint(o, "witness_heard_ms") < 0 ? "" : "heard",
			       jint(o, "lease_left_ms"),
			       jbool(o, "peer_outdated") ? ", peer outdated" : "");
			if (jstr(o, "last_failover"))
				printf("    last failover: %s\n", jstr(o, "last_failover"));
		}
	}
	if (json_object_object_get_ex(top, "pairs", &vols)) {
		n = json_object_array_length(vols);
		for (i = 0; i < n; i++) {
			o = json_object_array_get_idx(vols, i);
			printf("  pair %s, %s (volume %s): holder %s%s%s\n",
			       jstr(o, "node_a"), jstr(o, "node_b"), jstr(o, "uuid"),
			       jstr(o, "holder") ?: "none",
			       jbool(o, "outdated_a") ? ", A outdated" : "",
			       jbool(o, "outdated_b") ? ", B outdated" : "");
		}
	}
	json_object_put(top);
	return 0;
}

/* ---- /volumes/VOLUME: mirror, promote, demote ---- */

static int volume_mirror(struct ctx *c)
{
	const char *peer = arg(c, "peer"), *pool = arg(c, "pool");
	struct cairn_peer_msg req = { .type = CAIRN_PEER_CREATE_REPLICA }, rep;
	char self[CAIRN_NAME_LEN], err[400], size[32];
	struct cairn_volume_desc v;
	struct cairn_config *cfg;
	struct cairn_cfg_peer *p;
	struct cairn_nl *nl;
	int fd, r;

	if (!cairn_valid_name(pool))
		return err_usage("pool: '%s': 1-64 of A-Z a-z 0-9 . _ -", pool);
	if (cfg_get(c, &cfg) || find_volume(c, c->path[1], &v) || nl_get(c, &nl))
		return EXIT_REFUSED;
	if (v.mirror.mirrored)
		return err_msg("volume %s is already mirrored (%s, peer %s)", v.name,
			       cairn_mirror_role_name(v.mirror.role), v.mirror.peer);
	p = cairn_config_peer(cfg, peer);
	if (!p)
		return err_msg("no peer %s (cairnctl /peers create name=%s ...)",
			       peer, peer);
	cairn_config_node(cfg, self, sizeof(self));
	fd = cairn_peer_connect(p, self, err, sizeof(err));
	if (fd < 0)
		return err_msg("%s", err);
	snprintf(req.pool, sizeof(req.pool), "%s", pool);
	snprintf(req.volume, sizeof(req.volume), "%s", v.name);
	memcpy(req.uuid, v.uuid, sizeof(req.uuid));
	req.size = v.size;
	/* The peer formats nothing, but a commit may wait on a slow disk. */
	r = cairn_peer_request(fd, &req, &rep, 60000);
	close(fd);
	if (r)
		return err_msg("peer %s: no answer to the replica request: %s",
			       peer, strerror(-r));
	if (rep.status)
		return err_msg("peer %s refused the replica: %s", peer, rep.message);
	r = cairn_nl_mirror_set(nl, v.pool, v.name, CAIRN_ROLE_PRIMARY, peer,
				false, &v);
	if (r) {
		err_nl(c, "mirror set", r);
		return err_msg("the replica on %s stays (%s); delete it there "
			       "before trying again", peer, rep.message);
	}
	if (c->json) {
		print_json(volume_json(&v));
	} else {
		cairn_human_size(v.size, size, sizeof(size));
		printf("Mirrored volume %s (%s) to peer %s: %s; this node is primary.\n",
		       v.name, size, peer, rep.message);
	}
	return 0;
}

static int set_role(struct ctx *c, uint32_t role, bool force)
{
	struct cairn_volume_desc v;
	struct cairn_nl *nl;
	int r;

	if (find_volume(c, c->path[1], &v) || nl_get(c, &nl))
		return EXIT_REFUSED;
	if (!v.mirror.mirrored)
		return err_msg("volume %s is not mirrored", v.name);
	r = cairn_nl_mirror_set(nl, v.pool, v.name, role, NULL, force, &v);
	if (r)
		return err_nl(c, role == CAIRN_ROLE_PRIMARY ? "promote" : "demote", r);
	if (c->json)
		print_json(volume_json(&v));
	else
		printf("Volume %s is %s now%s (peer %s).\n", v.name,
		       cairn_mirror_role_name(v.mirror.role),
		       role == CAIRN_ROLE_SECONDARY && force ?
		       "; its data is discarded: a full resync from the peer follows" : "",
		       v.mirror.peer);
	return 0;
}

static int volume_promote(struct ctx *c)
{
	int force = yes_no(c, "force");

	return force < 0 ? EXIT_USAGE : set_role(c, CAIRN_ROLE_PRIMARY, force);
}

static int volume_demote(struct ctx *c)
{
	int discard = yes_no(c, "discard");

	return discard < 0 ? EXIT_USAGE : set_role(c, CAIRN_ROLE_SECONDARY, discard);
}

/*
 * A plain volume again on this node: its link dropped (cairnd, told to
 * reload, stops keeping it up), its mirror state and slot forgotten.
 * The replica on the peer stays until unmirrored or deleted there.
 */
static int volume_unmirror(struct ctx *c)
{
	char peer[sizeof(((struct cairn_volume_desc *)0)->mirror.peer)];
	struct cairn_volume_desc v;
	struct cairn_config *cfg;
	struct cairn_nl *nl;
	unsigned int i;
	int r, tries;

	if (cfg_get(c, &cfg) || find_volume(c, c->path[1], &v) || nl_get(c, &nl))
		return EXIT_REFUSED;
	if (!v.mirror.mirrored)
		return err_msg("volume %s is not mirrored", v.name);
	snprintf(peer, sizeof(peer), "%s", v.mirror.peer);
	/* cairnd may reconnect between the two calls: a few tries. */
	for (tries = 0; tries < 5; tries++) {
		if (tries)
			usleep(200000);
		r = cairn_nl_mirror_disconnect(nl, v.pool, v.name);
		if (r)
			return err_nl(c, "unmirror", r);
		r = cairn_nl_mirror_set(nl, v.pool, v.name, CAIRN_ROLE_OFF,
					NULL, false, &v);
		if (r != -EBUSY || !strstr(cairn_nl_error(nl), "connected"))
			break;
	}
	if (r)
		return err_nl(c, "unmirror", r);
	/* Saved without it: a configured mirror would be restored. */
	for (i = 0; i < cfg->nr_volumes; i++)
		if (!strcmp(cfg->volumes[i].pool, v.pool) &&
		    !strcmp(cfg->volumes[i].name, v.name))
			memset(&cfg->volumes[i].mirror, 0,
			       sizeof(cfg->volumes[i].mirror));
	if (c->json)
		print_json(volume_json(&v));
	else
		printf("Volume %s is a plain volume now; its replica on %s stays "
		       "(unmirror or delete it there).\n", v.name, peer);
	return 0;
}

/* After a change cairnd acts on, it reloads. */
int peers_changed(struct ctx *c)
{
	daemon_note(c);
	return 0;
}

const struct command peer_commands[] = {
	{ "/peers", "create", peers_create,
	  "add a partner node: where its cairnd listens and the secret both share",
	  { { "name", "the peer's node name (its host name unless its "
	      "configuration says otherwise)", P_REQUIRED | P_POSITIONAL },
	    { "address", "its IPv4 or IPv6 address or host name", P_REQUIRED },
	    { "port", "its cairnd's peer port (default 7788)" },
	    { "secret_file", "a file of 16 to 4096 bytes, the same on both "
	      "nodes, readable by its owner only", P_REQUIRED, "secret-file" } },
	  C_CHANGES | C_DAEMON },
	{ "/peers", "delete", peers_delete,
	  "forget a peer (refused while a volume mirrors with it)",
	  { { "name", "the peer", P_REQUIRED | P_POSITIONAL } },
	  C_CHANGES | C_DAEMON },
	{ "/peers", "ha", peers_ha,
	  "automatic failover of the mirrored volumes: the witness (a peer "
	  "running cairnd --witness) and the heartbeat's timing",
	  { { "witness", "the witness peer, or none (failover off)" },
	    { "interval", "milliseconds between heartbeats (default 1000)" },
	    { "timeout", "milliseconds of silence before a failover, and a "
	      "primary's lease (default 5000; at least 3 intervals)" } },
	  C_CHANGES | C_DAEMON },
	{ "/peers", "heartbeat", peers_heartbeat,
	  "what cairnd's heartbeat sees: each mirrored volume's quorum state "
	  "and why, when the peer and the witness were last heard, the lease, "
	  "the last failover" },
	{ "/peers/*", "status", peer_status,
	  "connect to the peer's cairnd and authenticate both ways: "
	  "\"authenticated\", or what failed (unreachable, wrong secret, "
	  "unknown peer name)" },
	{ "/volumes/*", "mirror", volume_mirror,
	  "mirror the volume to a peer: the peer's cairnd makes the replica "
	  "(same UUID and size, secondary), this node becomes primary, and "
	  "the cairnd of both nodes keep the link up",
	  { { "peer", "the peer (see /peers)", P_REQUIRED },
	    { "pool", "the peer's pool for the replica", P_REQUIRED } },
	  C_CHANGES | C_DAEMON },
	{ "/volumes/*", "unmirror", volume_unmirror,
	  "make a mirrored volume a plain volume on this node (refused while "
	  "its device is active: deactivate it first); the peer's replica stays",
	  {}, C_CHANGES | C_DAEMON },
	{ "/volumes/*", "promote", volume_promote,
	  "make a mirrored volume primary here (refused while the peer is primary)",
	  { { "force", "yes: even if this node's data is not known to be "
	      "consistent (it becomes the reference)" } },
	  C_CHANGES | C_DAEMON },
	{ "/volumes/*", "demote", volume_demote,
	  "make a mirrored volume secondary here (its device refuses I/O)",
	  { { "discard", "yes: discard this node's changes to resolve a split "
	      "brain (disconnected only; a full resync from the peer follows)" } },
	  C_CHANGES | C_DAEMON },
};

const unsigned int nr_peer_commands = ARRAY_SIZE(peer_commands);
