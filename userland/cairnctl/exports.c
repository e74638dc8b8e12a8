// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cairnctl: /iscsi, /loopback and /fc - exports of volumes through LIO.
 *
 * The configuration file is the record of what Cairn exports; configfs is
 * changed first and the record after, so a refused change leaves both as
 * they were.  A volume is exported through one iblock backstore named
 * after it, made with its first LUN and removed with its last.
 *
 * Secure by default: a TPG has no demo mode, so an initiator without an
 * ACL cannot log in; once one ACL of a target has CHAP credentials, the
 * TPG requires CHAP, and every ACL of that target must have them.
 *
 * Fibre Channel goes through tcm_fc, on this node's FCoE ports: /fc lists
 * them, a target is made on one of them and named by its WWPN.  tcm_fc has
 * no demo mode and no CHAP: an initiator (its WWPN) needs an ACL.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cairnctl.h"
#include "uapi/cairn_nl.h"

#define MAX_LUN 255
#define DEFAULT_PORT 3260

static const char *fabric_name(enum cairn_fabric f)
{
	return f == CAIRN_FABRIC_ISCSI ? "iscsi" :
	       f == CAIRN_FABRIC_FC ? "fc" : "loopback";
}

static enum cairn_fabric comp_fabric(const char *top)
{
	if (!strcmp(top, "iscsi"))
		return CAIRN_FABRIC_ISCSI;
	if (!strcmp(top, "fc"))
		return CAIRN_FABRIC_FC;
	return CAIRN_FABRIC_LOOPBACK;
}

static enum cairn_fabric path_fabric(struct ctx *c)
{
	return comp_fabric(c->path[0]);
}

/* The target named by the command's path, which resolve() checked. */
static struct cairn_cfg_target *path_target(struct ctx *c)
{
	struct cairn_config *cfg;

	if (cfg_get(c, &cfg))
		return NULL;
	return cairn_config_target(cfg, path_fabric(c), c->path[1]);
}

const char *volume_export(struct ctx *c, const char *volume, char *buf,
			  size_t len)
{
	struct cairn_config *cfg;
	unsigned int i, j;

	if (cfg_get(c, &cfg))
		return NULL;
	for (i = 0; i < cfg->nr_targets; i++) {
		const struct cairn_cfg_target *t = &cfg->targets[i];

		for (j = 0; j < t->nr_luns; j++) {
			if (strcmp(t->luns[j].volume, volume))
				continue;
			snprintf(buf, len, "%s/%s%s/lun%u", fabric_name(t->fabric),
				 t->wwn, t->fabric == CAIRN_FABRIC_ISCSI ?
				 "/tpg1" : "", t->luns[j].lun);
			return buf;
		}
	}
	return NULL;
}

/* The tag of this node's TPG: 1, or 2 for the second node of a pair. */
static unsigned int local_tag(struct ctx *c, const struct cairn_cfg_target *t)
{
	struct cairn_config *cfg;
	int self;

	if (cfg_get(c, &cfg))
		return 1;
	self = cairn_alua_self(cfg, t);
	return self < 0 ? 1 : self + 1;
}

static bool has_chap(const struct cairn_cfg_target *t)
{
	unsigned int i;

	for (i = 0; i < t->nr_acls; i++)
		if (t->acls[i].userid[0])
			return true;
	return false;
}

/* ---- the tree ---- */

static int add(struct child **arr, unsigned int *n, const char *name,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int add(struct child **arr, unsigned int *n, const char *name,
	       const char *fmt, ...)
{
	struct child *a = realloc(*arr, (*n + 2) * sizeof(**arr));
	va_list ap;

	if (!a)
		return err_msg("out of memory");
	*arr = a;
	snprintf(a[*n].name, sizeof(a[*n].name), "%s", name);
	va_start(ap, fmt);
	vsnprintf(a[*n].summary, sizeof(a[*n].summary), fmt, ap);
	va_end(ap);
	a[++*n].name[0] = '\0';
	return 0;
}

static const char *live(enum cairn_fabric f, const char *wwn)
{
	return cairn_lio_target_exists(f, wwn) > 0 ? "" : ", not in the kernel";
}

static int luns_children(const struct cairn_cfg_target *t, struct child **out)
{
	unsigned int i, n = 0;
	char name[16];

	for (i = 0; i < t->nr_luns; i++) {
		snprintf(name, sizeof(name), "lun%u", t->luns[i].lun);
		if (add(out, &n, name, "volume %s%s", t->luns[i].volume,
			cairn_lio_backstore_exists(t->luns[i].volume) > 0 ? "" :
			", no backstore"))
			return 1;
	}
	if (!n)
		*out = calloc(1, sizeof(**out));
	return *out ? 0 : err_msg("out of memory");
}

static int acls_children(const struct cairn_cfg_target *t, struct child **out)
{
	unsigned int i, n = 0;

	for (i = 0; i < t->nr_acls; i++) {
		const struct cairn_cfg_acl *a = &t->acls[i];

		if (t->fabric == CAIRN_FABRIC_FC ?
		    add(out, &n, a->initiator, "%u mapped LUN%s", t->nr_luns,
			t->nr_luns == 1 ? "" : "s") :
		    add(out, &n, a->initiator, "%s%s%s, %u mapped LUN%s",
			a->userid[0] ? "CHAP user " : "no CHAP",
			a->userid, a->mutual_userid[0] ? ", mutual" : "",
			t->nr_luns, t->nr_luns == 1 ? "" : "s"))
			return 1;
	}
	if (!n)
		*out = calloc(1, sizeof(**out));
	return *out ? 0 : err_msg("out of memory");
}

/* The ports of a paired target's LUNs; NULL, after a message, on ENOMEM. */
static struct cairn_alua_port *alua_ports(struct ctx *c,
					  const struct cairn_cfg_target *t,
					  int *n)
{
	struct cairn_alua_port *ports;
	struct cairn_config *cfg;

	if (cfg_get(c, &cfg))
		return NULL;
	ports = calloc(CAIRN_ALUA_NODES * t->nr_luns + 1, sizeof(*ports));
	if (!ports) {
		err_msg("out of memory");
		return NULL;
	}
	*n = cairn_alua_get(cfg, t, ports);
	return ports;
}

/* "group 1 active/optimized, relative port 1" */
static void port_text(const struct cairn_alua_port *p, char *buf, size_t len)
{
	char rtpi[32] = "no port";

	if (p->rtpi >= 0)
		snprintf(rtpi, sizeof(rtpi), "relative port %d", p->rtpi);
	if (p->group_id < 0)
		snprintf(buf, len, "no group cairn_%s, %s", p->node, rtpi);
	else
		snprintf(buf, len, "group %d %s, %s", p->group_id,
			 cairn_alua_state_name(p->state), rtpi);
}

/* /iscsi/<iqn>/alua: one child per node, its TPG and its ports' states. */
static int alua_children(struct ctx *c, const struct cairn_cfg_target *t,
			 struct child **out)
{
	struct cairn_alua_port *ports;
	char sum[320], one[96];
	unsigned int k, n = 0;
	int i, np = 0, r = 0;
	size_t o;

	ports = alua_ports(c, t, &np);
	if (!ports)
		return 1;
	for (k = 0; k < CAIRN_ALUA_NODES && !r; k++) {
		o = snprintf(sum, sizeof(sum), "tpgt_%u%s", k + 1,
			     local_tag(c, t) == k + 1 ? ", this node" : "");
		for (i = 0; i < np; i++) {
			if (ports[i].tag != k + 1)
				continue;
			port_text(&ports[i], one, sizeof(one));
			o += snprintf(sum + o, o < sizeof(sum) ? sizeof(sum) - o : 0,
				      "; lun%u: %s", ports[i].lun, one);
		}
		r = add(out, &n, t->nodes[k], "%s", sum);
	}
	free(ports);
	return r;
}

/*
 * /fc: the FCoE ports of this node, exported or not, and the targets of
 * the configuration whose port is not there (yet).
 */
static int fc_children(struct ctx *c, struct cairn_config *cfg,
		       struct child **out)
{
	struct cairn_fc_port *ports = NULL;
	struct cairn_cfg_target *t;
	unsigned int i, n = 0;
	char err[256];
	int np, j, r = 0;

	np = c->names_only ? 0 : cairn_lio_fc_ports(&ports, err, sizeof(err));
	if (np < 0)
		return err_msg("%s", err);
	for (j = 0; j < np && !r; j++) {
		t = cairn_config_target(cfg, CAIRN_FABRIC_FC, ports[j].wwpn);
		if (t)
			r = add(out, &n, t->wwn, "%s, %s; %u LUN%s, %u ACL%s%s",
				ports[j].symbolic[0] ? ports[j].symbolic :
				ports[j].host, ports[j].state, t->nr_luns,
				t->nr_luns == 1 ? "" : "s", t->nr_acls,
				t->nr_acls == 1 ? "" : "s",
				live(CAIRN_FABRIC_FC, t->wwn));
		else
			r = add(out, &n, ports[j].wwpn, "%s, %s; not exported",
				ports[j].symbolic[0] ? ports[j].symbolic :
				ports[j].host, ports[j].state);
	}
	for (i = 0; i < cfg->nr_targets && !r; i++) {
		bool seen = false;

		t = &cfg->targets[i];
		if (t->fabric != CAIRN_FABRIC_FC)
			continue;
		for (j = 0; j < np && !seen; j++)
			seen = !strcmp(ports[j].wwpn, t->wwn);
		if (!seen)
			r = add(out, &n, t->wwn, "%u LUN%s, %u ACL%s; %s%s",
				t->nr_luns, t->nr_luns == 1 ? "" : "s",
				t->nr_acls, t->nr_acls == 1 ? "" : "s",
				c->names_only ? "" : "no such FCoE port now",
				live(CAIRN_FABRIC_FC, t->wwn));
	}
	free(ports);
	if (!n && !r)
		*out = calloc(1, sizeof(**out));
	return r ? r : *out ? 0 : err_msg("out of memory");
}

int exports_children(struct ctx *c, comp_t *comp,
		     unsigned int depth, struct child **out)
{
	enum cairn_fabric f = comp_fabric(comp[0]);
	struct cairn_cfg_target *t;
	struct cairn_config *cfg;
	unsigned int i, n = 0;
	int r = 0;

	*out = NULL;
	if (cfg_get(c, &cfg))
		return 1;
	if (depth == 1 && f == CAIRN_FABRIC_FC)
		return fc_children(c, cfg, out);
	if (depth == 1) {
		for (i = 0; i < cfg->nr_targets && !r; i++) {
			t = &cfg->targets[i];
			if (t->fabric != f)
				continue;
			r = add(out, &n, t->wwn, "%u LUN%s%s%s%s%s%s", t->nr_luns,
				t->nr_luns == 1 ? "" : "s",
				t->nodes[0][0] ? ", nodes " : "", t->nodes[0],
				t->nodes[0][0] ? "," : "", t->nodes[1],
				live(f, t->wwn));
		}
		if (!n && !r)
			*out = calloc(1, sizeof(**out));
		return r ? r : *out ? 0 : err_msg("out of memory");
	}
	t = cairn_config_target(cfg, f, comp[1]);
	if (!t)
		return 0;
	if (f == CAIRN_FABRIC_LOOPBACK) {
		if (depth == 2)
			return add(out, &n, "luns", "%u LUN%s", t->nr_luns,
				   t->nr_luns == 1 ? "" : "s");
		if (depth == 3 && !strcmp(comp[2], "luns"))
			return luns_children(t, out);
		return 0;
	}
	if (f == CAIRN_FABRIC_FC) {
		if (depth == 2) {
			r = add(out, &n, "acls", "%u ACL%s", t->nr_acls,
				t->nr_acls == 1 ? "" : "s");
			if (!r)
				r = add(out, &n, "luns", "%u LUN%s", t->nr_luns,
					t->nr_luns == 1 ? "" : "s");
			return r;
		}
		if (depth == 3 && !strcmp(comp[2], "luns"))
			return luns_children(t, out);
		if (depth == 3 && !strcmp(comp[2], "acls"))
			return acls_children(t, out);
		return 0;
	}
	if (depth == 2) {
		r = add(out, &n, "tpg1", "%s%s",
			has_chap(t) ? "CHAP required" : "no CHAP",
			live(f, t->wwn));
		if (!r && t->nodes[0][0])
			r = add(out, &n, "alua", "nodes %s (tpgt_1), %s (tpgt_2); "
				"this node's TPG is tpgt_%u", t->nodes[0],
				t->nodes[1], local_tag(c, t));
		return r;
	}
	if (depth == 3 && !strcmp(comp[2], "alua") && t->nodes[0][0])
		return alua_children(c, t, out);
	if (depth == 3 && !strcmp(comp[2], "tpg1")) {
		r = add(out, &n, "acls", "%u ACL%s", t->nr_acls,
			t->nr_acls == 1 ? "" : "s");
		if (!r)
			r = add(out, &n, "luns", "%u LUN%s", t->nr_luns,
				t->nr_luns == 1 ? "" : "s");
		if (!r)
			r = add(out, &n, "portals", "%u portal%s", t->nr_portals,
				t->nr_portals == 1 ? "" : "s");
		return r;
	}
	if (depth == 4 && !strcmp(comp[3], "luns"))
		return luns_children(t, out);
	if (depth == 4 && !strcmp(comp[3], "acls"))
		return acls_children(t, out);
	if (depth == 4 && !strcmp(comp[3], "portals")) {
		char name[96];

		for (i = 0; i < t->nr_portals && !r; i++) {
			snprintf(name, sizeof(name), "%s:%u", t->portals[i].ip,
				 t->portals[i].port);
			r = add(out, &n, name, "iSCSI over TCP");
		}
		if (!n && !r)
			*out = calloc(1, sizeof(**out));
		return r ? r : *out ? 0 : err_msg("out of memory");
	}
	return 0;
}

/* ---- targets ---- */

/*
 * nodes=A,B: the two nodes that serve an iSCSI target, this node one of
 * them, into @nodes; 0 when not given, or EXIT_USAGE after the message.
 */
static int nodes_arg(struct ctx *c, struct cairn_config *cfg,
		     char nodes[CAIRN_ALUA_NODES][CAIRN_NAME_LEN], bool *given)
{
	const char *v = arg(c, "nodes"), *list[CAIRN_ALUA_NODES], *why, *comma;
	char self[CAIRN_NAME_LEN];
	size_t n;

	*given = false;
	if (!v)
		return 0;
	comma = strchr(v, ',');
	if (!comma || strchr(comma + 1, ','))
		return err_usage("nodes: '%s' is not two node names separated by a comma "
				 "(nodes=node-a,node-b)", v);
	n = comma - v;
	if (n >= CAIRN_NAME_LEN || strlen(comma + 1) >= CAIRN_NAME_LEN)
		return err_usage("nodes: a node name is 1-64 of A-Z a-z 0-9 . _ -");
	snprintf(nodes[0], CAIRN_NAME_LEN, "%.*s", (int)n, v);
	snprintf(nodes[1], CAIRN_NAME_LEN, "%s", comma + 1);
	list[0] = nodes[0];
	list[1] = nodes[1];
	cairn_config_node(cfg, self, sizeof(self));
	why = cairn_alua_nodes_problem(list, self);
	if (why)
		return err_usage("nodes: %s,%s: %s%s%s%s", nodes[0], nodes[1], why,
				 strstr(why, "this node") ? " (this node is " : "",
				 strstr(why, "this node") ? self : "",
				 strstr(why, "this node") ? ")" : "");
	*given = true;
	return 0;
}

static int target_create(struct ctx *c, enum cairn_fabric f, const char *wwn)
{
	char nodes[CAIRN_ALUA_NODES][CAIRN_NAME_LEN] = { "", "" };
	struct cairn_cfg_target *t;
	struct cairn_cfg_portal *p;
	struct cairn_config *cfg;
	unsigned int tag = 1;
	char err[512];
	bool pair;
	int r;

	if (cfg_get(c, &cfg))
		return 1;
	if (!cairn_lio_valid_wwn(f, wwn, err, sizeof(err)))
		return err_usage("%s", err);
	r = nodes_arg(c, cfg, nodes, &pair);
	if (r)
		return r;
	if (pair) {
		char self[CAIRN_NAME_LEN];

		cairn_config_node(cfg, self, sizeof(self));
		tag = strcmp(nodes[0], self) ? 2 : 1;
	}
	if (cairn_config_target(cfg, f, wwn))
		return err_msg("%s target %s already exists", fabric_name(f), wwn);
	/* LIO only: a target needs no pool, nor cairn.ko. */
	if (cairn_kmod_load_lio(err, sizeof(err)))
		return err_msg("%s", err);
	if (cairn_lio_target_exists(f, wwn) > 0)
		return err_msg("%s target %s already exists in LIO (made by another tool)",
			       fabric_name(f), wwn);
	r = pair ? cairn_lio_target_create_pair(wwn, err, sizeof(err)) :
	    cairn_lio_target_create(f, wwn, err, sizeof(err));
	if (!r && f == CAIRN_FABRIC_ISCSI)
		r = cairn_lio_tpg_portal_create(wwn, tag, "0.0.0.0", DEFAULT_PORT,
						err, sizeof(err));
	if (!r)
		r = cairn_lio_tpg_enable(f, wwn, tag, true, err, sizeof(err));
	if (r) {
		char err2[256];

		cairn_lio_target_delete(f, wwn, err2, sizeof(err2));
		return err_msg("%s", err);
	}
	t = cairn_config_add_target(cfg);
	if (!t)
		return err_msg("out of memory");
	t->fabric = f;
	snprintf(t->wwn, sizeof(t->wwn), "%s", wwn);
	memcpy(t->nodes, nodes, sizeof(t->nodes));
	if (f == CAIRN_FABRIC_ISCSI) {
		p = cairn_config_add_portal(t);
		if (!p)
			return err_msg("out of memory");
		snprintf(p->ip, sizeof(p->ip), "0.0.0.0");
		p->port = DEFAULT_PORT;
		if (pair)
			printf("Created iSCSI target %s for nodes %s (tpgt_1) and %s (tpgt_2); "
			       "this node's tpgt_%u has portal 0.0.0.0:%u "
			       "(no ACLs yet, so no initiator can log in).\n",
			       wwn, nodes[0], nodes[1], tag, DEFAULT_PORT);
		else
			printf("Created iSCSI target %s (tpg1, portal 0.0.0.0:%u; "
			       "no ACLs yet, so no initiator can log in).\n",
			       wwn, DEFAULT_PORT);
	} else if (f == CAIRN_FABRIC_FC) {
		printf("Created FC target %s (no ACLs yet, so no initiator can log in).\n",
		       wwn);
	} else {
		printf("Created loopback target %s.\n", wwn);
	}
	return 0;
}

/* Drop the backstore of @volume if no LUN in the configuration uses it. */
static void release_backstore(struct ctx *c, const char *volume)
{
	char err[256], exp[512];

	if (!volume_export(c, volume, exp, sizeof(exp)) &&
	    cairn_lio_backstore_exists(volume) > 0 &&
	    cairn_lio_backstore_delete(volume, err, sizeof(err)))
		err_msg("warning: %s", err);
}

static int target_delete(struct ctx *c, enum cairn_fabric f, const char *wwn)
{
	char err[512], (*vols)[CAIRN_NAME_LEN] = NULL;
	struct cairn_cfg_target *t;
	struct cairn_config *cfg;
	unsigned int i, n;

	if (cfg_get(c, &cfg))
		return 1;
	t = cairn_config_target(cfg, f, wwn);
	if (!t)
		return err_msg("no %s target %s", fabric_name(f), wwn);
	if (cairn_lio_target_exists(f, wwn) > 0 &&
	    cairn_lio_target_delete(f, wwn, err, sizeof(err)))
		return err_msg("%s", err);
	n = t->nr_luns;
	vols = calloc(n + 1, sizeof(*vols));
	if (!vols)
		return err_msg("out of memory");
	for (i = 0; i < n; i++)
		snprintf(vols[i], sizeof(vols[i]), "%s", t->luns[i].volume);
	cairn_config_del_target(cfg, t);
	for (i = 0; i < n; i++)
		release_backstore(c, vols[i]);
	free(vols);
	printf("Deleted %s target %s.\n", fabric_name(f), wwn);
	return 0;
}

static int iscsi_create(struct ctx *c)
{
	return target_create(c, CAIRN_FABRIC_ISCSI, arg(c, "wwn"));
}

static int iscsi_delete(struct ctx *c)
{
	return target_delete(c, CAIRN_FABRIC_ISCSI, arg(c, "wwn"));
}

static int loopback_create(struct ctx *c)
{
	const char *wwn = arg(c, "wwn");
	char gen[32];
	uint64_t rnd;

	if (!wwn) {
		/* As targetcli does: the LIO OUI, then random digits. */
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			return err_msg("no random numbers: %s", strerror(errno));
		snprintf(gen, sizeof(gen), "naa.5001405%09llx",
			 (unsigned long long)(rnd & 0xfffffffffULL));
		wwn = gen;
	}
	return target_create(c, CAIRN_FABRIC_LOOPBACK, wwn);
}

static int loopback_delete(struct ctx *c)
{
	return target_delete(c, CAIRN_FABRIC_LOOPBACK, arg(c, "wwn"));
}

/* An FC port name in Cairn's form (naa.<16 hex>), or exit 2. */
static int fc_name(const char *what, const char *in, char *out, size_t len)
{
	char err[512];

	if (cairn_lio_fc_wwn(in, out, len, err, sizeof(err)))
		return err_usage("%s: %s", what, err);
	return 0;
}

static int fc_create(struct ctx *c)
{
	struct cairn_fc_port *ports;
	char wwn[32], err[512], list[512];
	size_t o = 0;
	int n, i, r;

	r = fc_name("wwpn", arg(c, "wwpn"), wwn, sizeof(wwn));
	if (r)
		return r;
	n = cairn_lio_fc_ports(&ports, err, sizeof(err));
	if (n < 0)
		return err_msg("%s", err);
	list[0] = '\0';
	for (i = 0; i < n; i++) {
		if (!strcmp(ports[i].wwpn, wwn))
			break;
		o += snprintf(list + o, o < sizeof(list) ? sizeof(list) - o : 0,
			      "%s%s", i ? ", " : "", ports[i].wwpn);
	}
	free(ports);
	if (i == n)
		return err_msg("no FCoE port %s on this node (%s%s); "
			       "an FCoE interface makes one (fcoeadm -c, or "
			       "/sys/bus/fcoe/ctlr_create)", wwn,
			       n ? "its ports: " : "it has none", list);
	return target_create(c, CAIRN_FABRIC_FC, wwn);
}

static int fc_delete(struct ctx *c)
{
	char wwn[32];
	int r;

	r = fc_name("wwpn", arg(c, "wwpn"), wwn, sizeof(wwn));
	return r ? r : target_delete(c, CAIRN_FABRIC_FC, wwn);
}

/* ---- LUNs ---- */

static int parse_lun(const char *s, uint32_t *lun)
{
	unsigned long v;

	if (!strncmp(s, "lun", 3))
		s += 3;
	if (parse_uint(s, MAX_LUN, &v))
		return err_usage("lun: '%s' is not a LUN number (0-%d)", s,
				 MAX_LUN);
	*lun = v;
	return 0;
}

static struct cairn_cfg_lun *find_lun(struct cairn_cfg_target *t, uint32_t lun)
{
	unsigned int i;

	for (i = 0; i < t->nr_luns; i++)
		if (t->luns[i].lun == lun)
			return &t->luns[i];
	return NULL;
}

/* Make the backstore of @v if it does not exist yet. */
static int ensure_backstore(struct ctx *c, const struct cairn_volume_desc *v)
{
	struct cairn_lio_backstore bs;
	struct cairn_pool_desc *d;
	char dm[200], dev[256], err[512];
	struct cairn_nl *nl;
	int r;

	if (cairn_lio_backstore_exists(v->name) > 0)
		return 0;
	if (!cairn_dm_exists(v->pool, v->name))
		return err_msg("volume %s is not active: activate it first", v->name);
	if (nl_get(c, &nl))
		return 1;
	d = calloc(1, sizeof(*d));
	if (!d)
		return err_msg("out of memory");
	r = cairn_nl_pool_get(nl, v->pool, d);
	if (r) {
		free(d);
		return err_nl(c, "lun create", r);
	}
	cairn_dm_name(v->pool, v->name, dm, sizeof(dm));
	snprintf(dev, sizeof(dev), "/dev/mapper/%s", dm);
	bs.name = v->name;
	bs.device = dev;
	bs.uuid = v->uuid;
	bs.granularity = d->chunk_size;
	free(d);
	if (cairn_lio_backstore_create(&bs, err, sizeof(err)))
		return err_msg("%s", err);
	return 0;
}

/*
 * A volume exported by a target with nodes has no other export: LIO
 * numbers a backstore's ports in the order they are made, and a port of
 * another target would shift them on one node and not on the other.
 */
static int pair_export_check(struct ctx *c, const struct cairn_cfg_target *t,
			     const char *volume)
{
	struct cairn_config *cfg;
	unsigned int i, j;

	if (cfg_get(c, &cfg))
		return EXIT_REFUSED;
	for (i = 0; i < cfg->nr_targets; i++) {
		const struct cairn_cfg_target *u = &cfg->targets[i];

		if (u == t || (!t->nodes[0][0] && !u->nodes[0][0]))
			continue;
		for (j = 0; j < u->nr_luns; j++)
			if (!strcmp(u->luns[j].volume, volume))
				return err_msg("%s: volume %s is LUN %u of %s target %s; a volume "
					       "of a target with nodes has no other export "
					       "(its port ids would differ between the nodes); "
					       "nothing changed", t->wwn, volume,
					       u->luns[j].lun, fabric_name(u->fabric),
					       u->wwn);
	}
	return 0;
}

/*
 * The new LUN's ports into their nodes' ALUA groups.  Groups made now get
 * the volume's role: this node's group active/optimized when the volume
 * is primary or not mirrored, standby when secondary; the peer's the
 * opposite.  A port id other than the TPG's tag is worth a warning.
 */
static int pair_attach(struct ctx *c, const struct cairn_cfg_target *t,
		       uint32_t lun, const struct cairn_volume_desc *v)
{
	const char *nodes[CAIRN_ALUA_NODES] = { t->nodes[0], t->nodes[1] };
	struct cairn_config *cfg;
	uint32_t rtpi;
	unsigned int k, prim;
	char err[512];
	int r, self;

	if (cfg_get(c, &cfg))
		return EXIT_REFUSED;
	self = cairn_alua_self(cfg, t);
	if (self < 0)
		return err_msg("%s: this node is not one of its nodes (%s, %s)",
			       t->wwn, t->nodes[0], t->nodes[1]);
	r = cairn_lio_alua_attach(t->wwn, lun, nodes, err, sizeof(err));
	if (r < 0)
		return err_msg("%s", err);
	if (r > 0) {
		prim = self;
		if (v->mirror.mirrored && v->mirror.role == CAIRN_ROLE_SECONDARY)
			prim = !self;
		r = cairn_lio_alua_set_state(v->name, nodes[!prim],
					     CAIRN_ALUA_STANDBY, err, sizeof(err));
		if (!r)
			r = cairn_lio_alua_set_state(v->name, nodes[prim],
						     CAIRN_ALUA_OPTIMIZED, err,
						     sizeof(err));
		if (r)
			return err_msg("%s", err);
	}
	for (k = 0; k < CAIRN_ALUA_NODES; k++)
		if (!cairn_lio_lun_rtpi(CAIRN_FABRIC_ISCSI, t->wwn, k + 1, lun,
					&rtpi) && rtpi != k + 1)
			err_msg("warning: %s: LUN %u: the port of tpgt_%u is relative port %u, "
				"not %u (its backstore had other ports): the nodes' port ids differ",
				t->wwn, lun, k + 1, rtpi, k + 1);
	return 0;
}

static int luns_create(struct ctx *c)
{
	struct cairn_cfg_target *t = path_target(c);
	enum cairn_fabric f = path_fabric(c);
	struct cairn_volume_desc v;
	struct cairn_cfg_lun *l;
	char err[512];
	unsigned int i;
	bool made;
	uint32_t lun = 0;
	int r;

	if (!t)
		return EXIT_REFUSED;
	if (arg(c, "lun")) {
		r = parse_lun(arg(c, "lun"), &lun);
		if (r)
			return r;
		if (find_lun(t, lun))
			return err_msg("%s: LUN %u already exists", t->wwn, lun);
	} else {
		while (find_lun(t, lun) && lun <= MAX_LUN)
			lun++;
		if (lun > MAX_LUN)
			return err_msg("%s: no free LUN number", t->wwn);
	}
	if (find_volume(c, arg(c, "volume"), &v))
		return EXIT_REFUSED;
	/* One volume, one LUN of a target: a second would be the same disk. */
	for (i = 0; i < t->nr_luns; i++)
		if (!strcmp(t->luns[i].volume, v.name))
			return err_msg("%s: volume %s is already LUN %u "
				       "(lun%u); nothing changed", t->wwn,
				       v.name, t->luns[i].lun, t->luns[i].lun);
	r = pair_export_check(c, t, v.name);
	if (r)
		return r;
	if (cairn_lio_target_exists(f, t->wwn) <= 0)
		return err_msg("%s target %s is not in the kernel: run restoreconfig",
			       fabric_name(f), t->wwn);
	made = cairn_lio_backstore_exists(v.name) <= 0;
	if (ensure_backstore(c, &v))
		return 1;
	if (cairn_lio_lun_create(f, t->wwn, lun, v.name, err, sizeof(err))) {
		if (made)
			release_backstore(c, v.name);
		return err_msg("%s", err);
	}
	if (t->nodes[0][0]) {
		r = pair_attach(c, t, lun, &v);
		if (r) {
			cairn_lio_lun_delete(f, t->wwn, lun, err, sizeof(err));
			if (made)
				release_backstore(c, v.name);
			return r;
		}
	}
	l = cairn_config_add_lun(t);
	if (!l)
		return err_msg("out of memory");
	l->lun = lun;
	snprintf(l->volume, sizeof(l->volume), "%s", v.name);
	printf("Created LUN %u on %s: volume %s%s.\n", lun, t->wwn, v.name,
	       f != CAIRN_FABRIC_LOOPBACK && t->nr_acls ?
	       ", mapped into every ACL" : "");
	return 0;
}

static int luns_delete(struct ctx *c)
{
	struct cairn_cfg_target *t = path_target(c);
	char err[512], vol[CAIRN_NAME_LEN];
	struct cairn_cfg_lun *l;
	uint32_t lun;
	int r;

	if (!t)
		return EXIT_REFUSED;
	r = parse_lun(arg(c, "lun"), &lun);
	if (r)
		return r;
	l = find_lun(t, lun);
	if (!l)
		return err_msg("%s: no LUN %u", t->wwn, lun);
	if (cairn_lio_lun_delete(path_fabric(c), t->wwn, lun, err, sizeof(err)))
		return err_msg("%s", err);
	snprintf(vol, sizeof(vol), "%s", l->volume);
	cairn_config_del_lun(t, l);
	release_backstore(c, vol);
	printf("Deleted LUN %u (volume %s) from %s.\n", lun, vol, t->wwn);
	return 0;
}

/* ---- ACLs and CHAP ---- */

static int check_secret(const char *what, const char *s, size_t min)
{
	const char *p;

	if (strlen(s) < min || strlen(s) >= CAIRN_SECRET_LEN)
		return err_usage("%s: %zu to %d characters", what, min,
				 CAIRN_SECRET_LEN - 1);
	for (p = s; *p; p++)
		if (*p <= ' ' || *p > '~')
			return err_usage("%s: printable characters without spaces only",
					 what);
	return 0;
}

/*
 * Fill @a's credentials from the arguments over what it has, and check
 * them: userid and password together, a password of 12 characters at
 * least (RFC 3720 wants 96 bits; Windows insists on 12-16), mutual CHAP
 * only on top of CHAP and with a different secret.
 */
static int acl_creds(struct ctx *c, struct cairn_cfg_acl *a)
{
	static const struct {
		const char *key;
		size_t off, min;
	} k[] = {
		{ "userid", offsetof(struct cairn_cfg_acl, userid), 1 },
		{ "password", offsetof(struct cairn_cfg_acl, password), 12 },
		{ "mutual_userid", offsetof(struct cairn_cfg_acl, mutual_userid), 1 },
		{ "mutual_password", offsetof(struct cairn_cfg_acl, mutual_password), 12 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(k); i++) {
		const char *v = arg(c, k[i].key);

		if (!v)
			continue;
		if (*v && check_secret(k[i].key, v, k[i].min))
			return EXIT_USAGE;
		snprintf((char *)a + k[i].off, CAIRN_SECRET_LEN, "%s", v);
	}
	if (!a->userid[0] != !a->password[0])
		return err_usage("CHAP needs both userid= and password=");
	if (!a->mutual_userid[0] != !a->mutual_password[0])
		return err_usage("mutual CHAP needs both mutual_userid= and mutual_password=");
	if (a->mutual_userid[0] && !a->userid[0])
		return err_usage("mutual CHAP needs CHAP (userid=, password=) too");
	if (a->mutual_password[0] && !strcmp(a->password, a->mutual_password))
		return err_usage("mutual_password must differ from password");
	return 0;
}

static struct cairn_cfg_acl *find_acl(struct cairn_cfg_target *t,
				      const char *initiator)
{
	unsigned int i;

	for (i = 0; i < t->nr_acls; i++)
		if (!strcmp(t->acls[i].initiator, initiator))
			return &t->acls[i];
	return NULL;
}

/* Every ACL of a target has CHAP, or none has. */
static int chap_consistent(struct cairn_cfg_target *t,
			   const struct cairn_cfg_acl *a,
			   const struct cairn_cfg_acl *skip)
{
	unsigned int i;

	for (i = 0; i < t->nr_acls; i++) {
		if (&t->acls[i] == skip)
			continue;
		if (!t->acls[i].userid[0] != !a->userid[0])
			return err_msg("%s: %s uses CHAP%s; "
				       "every ACL of a target has CHAP or none has",
				       t->wwn,
				       t->acls[i].userid[0] ? t->acls[i].initiator :
				       a->initiator,
				       t->acls[i].userid[0] ? "" : " but others do not");
	}
	return 0;
}

/* The initiator argument; FC port names in Cairn's form. */
static int initiator_arg(struct ctx *c, char *out, size_t len)
{
	const char *v = arg(c, "initiator");
	char err[512];

	if (path_fabric(c) == CAIRN_FABRIC_FC)
		return fc_name("initiator", v, out, len);
	if (!cairn_lio_valid_wwn(CAIRN_FABRIC_ISCSI, v, err, sizeof(err)))
		return err_usage("initiator: %s", err);
	snprintf(out, len, "%s", v);
	return 0;
}

static int acls_create(struct ctx *c)
{
	struct cairn_cfg_target *t = path_target(c);
	struct cairn_cfg_acl acl = { 0 }, *a;
	enum cairn_fabric f = path_fabric(c);
	char err[512];
	int r;

	if (!t)
		return EXIT_REFUSED;
	r = initiator_arg(c, acl.initiator, sizeof(acl.initiator));
	if (r)
		return r;
	if (find_acl(t, acl.initiator))
		return err_msg("%s: an ACL for %s already exists", t->wwn,
			       acl.initiator);
	r = acl_creds(c, &acl);
	if (!r)
		r = chap_consistent(t, &acl, NULL);
	if (r)
		return r;
	if (cairn_lio_target_exists(f, t->wwn) <= 0)
		return err_msg("%s target %s is not in the kernel: run restoreconfig",
			       fabric_name(f), t->wwn);
	/* CHAP is required before an ACL with a secret exists. */
	if (acl.userid[0] && !has_chap(t) &&
	    cairn_lio_set_chap_required(t->wwn, true, err, sizeof(err)))
		return err_msg("%s", err);
	r = cairn_lio_acl_create(f, t->wwn, &acl, err, sizeof(err));
	if (r) {
		if (acl.userid[0] && !has_chap(t))
			cairn_lio_set_chap_required(t->wwn, false, err, 0);
		return err_msg("%s", err);
	}
	a = cairn_config_add_acl(t);
	if (!a)
		return err_msg("out of memory");
	*a = acl;
	printf("Created ACL for %s on %s (%s%u mapped LUN%s).\n", acl.initiator,
	       t->wwn, f == CAIRN_FABRIC_FC ? "" : acl.mutual_userid[0] ?
	       "mutual CHAP, " : acl.userid[0] ? "CHAP, " : "no CHAP, ",
	       t->nr_luns, t->nr_luns == 1 ? "" : "s");
	return 0;
}

static int acls_delete(struct ctx *c)
{
	struct cairn_cfg_target *t = path_target(c);
	enum cairn_fabric f = path_fabric(c);
	char err[512], init[CAIRN_WWN_LEN];
	struct cairn_cfg_acl *a;
	int r;

	if (!t)
		return 1;
	r = initiator_arg(c, init, sizeof(init));
	if (r)
		return r;
	a = find_acl(t, init);
	if (!a)
		return err_msg("%s: no ACL for %s", t->wwn, init);
	if (cairn_lio_acl_delete(f, t->wwn, a->initiator, err, sizeof(err)))
		return err_msg("%s", err);
	cairn_config_del_acl(t, a);
	if (f == CAIRN_FABRIC_ISCSI && !t->nr_acls &&
	    cairn_lio_set_chap_required(t->wwn, false, err, sizeof(err)))
		err_msg("warning: %s", err);
	printf("Deleted the ACL for %s from %s.\n", init, t->wwn);
	return 0;
}

/* "userid host1 -> h2, password changed" (secrets are not shown). */
static void acl_changes(const struct cairn_cfg_acl *was,
			const struct cairn_cfg_acl *now, char *buf, size_t len)
{
	static const struct {
		const char *name;
		size_t off;
		bool secret;
	} k[] = {
		{ "userid", offsetof(struct cairn_cfg_acl, userid), false },
		{ "password", offsetof(struct cairn_cfg_acl, password), true },
		{ "mutual_userid", offsetof(struct cairn_cfg_acl, mutual_userid), false },
		{ "mutual_password", offsetof(struct cairn_cfg_acl, mutual_password), true },
	};
	unsigned int i;
	size_t o = 0;

	snprintf(buf, len, "nothing changed");
	for (i = 0; i < ARRAY_SIZE(k) && o < len; i++) {
		const char *a = (const char *)was + k[i].off;
		const char *b = (const char *)now + k[i].off;

		if (!strcmp(a, b))
			continue;
		if (k[i].secret)
			o += snprintf(buf + o, len - o, "%s%s %s", o ? ", " : "",
				      k[i].name, *b ? "changed" : "cleared");
		else
			o += snprintf(buf + o, len - o, "%s%s %s -> %s",
				      o ? ", " : "", k[i].name,
				      *a ? a : "(none)", *b ? b : "(none)");
	}
}

static int acl_set(struct ctx *c)
{
	struct cairn_cfg_target *t = path_target(c);
	struct cairn_cfg_acl acl, *a;
	char err[512], what[600];
	int r;

	if (!t)
		return EXIT_REFUSED;
	a = find_acl(t, c->path[4]);
	if (!a)
		return err_msg("%s: no ACL for %s", t->wwn, c->path[4]);
	if (!arg(c, "userid") && !arg(c, "password") &&
	    !arg(c, "mutual_userid") && !arg(c, "mutual_password"))
		return err_usage("acl set: nothing to set (userid=, password=, "
				 "mutual_userid=, mutual_password=)");
	acl = *a;
	r = acl_creds(c, &acl);
	if (!r)
		r = chap_consistent(t, &acl, a);
	if (r)
		return r;
	if (cairn_lio_acl_set_auth(t->wwn, &acl, err, sizeof(err)))
		return err_msg("%s", err);
	acl_changes(a, &acl, what, sizeof(what));
	*a = acl;
	printf("Updated the CHAP credentials of %s on %s: %s.\n", a->initiator,
	       t->wwn, what);
	return 0;
}

static int acl_get(struct ctx *c)
{
	struct cairn_cfg_target *t = path_target(c);
	struct cairn_cfg_acl *a;

	if (!t)
		return 1;
	a = find_acl(t, c->path[4]);
	if (!a)
		return err_msg("%s: no ACL for %s", t->wwn, c->path[4]);
	if (c->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "initiator",
				       json_object_new_string(a->initiator));
		json_object_object_add(o, "userid",
				       json_object_new_string(a->userid));
		json_object_object_add(o, "password_set",
				       json_object_new_boolean(a->password[0]));
		json_object_object_add(o, "mutual_userid",
				       json_object_new_string(a->mutual_userid));
		json_object_object_add(o, "mutual_password_set",
				       json_object_new_boolean(a->mutual_password[0]));
		print_json(o);
		return 0;
	}
	/* Secrets stay in the configuration file (mode 0600). */
	printf("initiator=%s\nuserid=%s\npassword=%s\nmutual_userid=%s\nmutual_password=%s\n",
	       a->initiator, a->userid, a->password[0] ? "(set)" : "",
	       a->mutual_userid, a->mutual_password[0] ? "(set)" : "");
	return 0;
}

/* ---- portals ---- */

static int portal_args(struct ctx *c, char *ip, size_t len, uint16_t *port)
{
	const char *v = arg(c, "ip");
	unsigned long p = DEFAULT_PORT;
	unsigned char buf[16];
	char bare[64];

	if (strlen(v) >= len || strlen(v) < 2)
		return err_usage("ip: '%s' is not an IP address", v);
	snprintf(bare, sizeof(bare), "%s", v);
	if (v[0] == '[') {
		snprintf(bare, sizeof(bare), "%.*s", (int)strlen(v) - 2, v + 1);
		if (v[strlen(v) - 1] != ']' ||
		    inet_pton(AF_INET6, bare, buf) != 1)
			return err_usage("ip: '%s' is not an IPv6 address in brackets",
					 v);
	} else if (inet_pton(AF_INET, bare, buf) != 1) {
		return err_usage("ip: '%s' is not an IPv4 address ([...] for IPv6)",
				 v);
	}
	if (arg(c, "port") && (parse_uint(arg(c, "port"), 65535, &p) || !p))
		return err_usage("port: '%s' is not a TCP port", arg(c, "port"));
	snprintf(ip, len, "%s", v);
	*port = p;
	return 0;
}

static struct cairn_cfg_portal *find_portal(struct cairn_cfg_target *t,
					    const char *ip, uint16_t port)
{
	unsigned int i;

	for (i = 0; i < t->nr_portals; i++)
		if (!strcmp(t->portals[i].ip, ip) && t->portals[i].port == port)
			return &t->portals[i];
	return NULL;
}

static int portals_create(struct ctx *c)
{
	struct cairn_cfg_target *t = path_target(c);
	struct cairn_cfg_portal *p;
	char ip[64], err[512];
	uint16_t port;
	int r;

	if (!t)
		return EXIT_REFUSED;
	r = portal_args(c, ip, sizeof(ip), &port);
	if (r)
		return r;
	if (find_portal(t, ip, port))
		return err_msg("%s: portal %s:%u already exists", t->wwn, ip, port);
	if (cairn_lio_tpg_portal_create(t->wwn, local_tag(c, t), ip, port, err,
					sizeof(err)))
		return err_msg("%s", err);
	p = cairn_config_add_portal(t);
	if (!p)
		return err_msg("out of memory");
	snprintf(p->ip, sizeof(p->ip), "%s", ip);
	p->port = port;
	printf("Created portal %s:%u on %s.\n", ip, port, t->wwn);
	return 0;
}

static int portals_delete(struct ctx *c)
{
	struct cairn_cfg_target *t = path_target(c);
	struct cairn_cfg_portal *p;
	char ip[64], err[512];
	uint16_t port;
	int r;

	if (!t)
		return EXIT_REFUSED;
	r = portal_args(c, ip, sizeof(ip), &port);
	if (r)
		return r;
	p = find_portal(t, ip, port);
	if (!p)
		return err_msg("%s: no portal %s:%u", t->wwn, ip, port);
	if (cairn_lio_tpg_portal_delete(t->wwn, local_tag(c, t), ip, port, err,
					sizeof(err)))
		return err_msg("%s", err);
	cairn_config_del_portal(t, p);
	printf("Deleted portal %s:%u from %s.\n", ip, port, t->wwn);
	return 0;
}

/* ---- ALUA of a target served by two nodes ---- */

static int alua_show(struct ctx *c, const struct cairn_cfg_target *t)
{
	struct cairn_alua_port *ports;
	struct json_object *arr, *o;
	char text[96];
	int i, np = 0;

	ports = alua_ports(c, t, &np);
	if (!ports)
		return EXIT_REFUSED;
	arr = c->json ? json_object_new_array() : NULL;
	for (i = 0; i < np; i++) {
		const struct cairn_alua_port *p = &ports[i];

		if (!arr) {
			port_text(p, text, sizeof(text));
			printf("lun%u %s %s tpgt_%u%s: %s\n", p->lun, p->volume,
			       p->node, p->tag, p->local ? " (this node)" : "",
			       text);
			continue;
		}
		o = json_object_new_object();
		json_object_object_add(o, "lun", json_object_new_int(p->lun));
		json_object_object_add(o, "volume", json_object_new_string(p->volume));
		json_object_object_add(o, "node", json_object_new_string(p->node));
		json_object_object_add(o, "tpgt", json_object_new_int(p->tag));
		json_object_object_add(o, "local", json_object_new_boolean(p->local));
		json_object_object_add(o, "group_id", json_object_new_int(p->group_id));
		json_object_object_add(o, "state", json_object_new_string(p->state < 0 ?
				       "" : cairn_alua_state_name(p->state)));
		json_object_object_add(o, "rtpi", json_object_new_int(p->rtpi));
		json_object_array_add(arr, o);
	}
	if (arr)
		print_json(arr);
	free(ports);
	return 0;
}

/*
 * alua [primary=NODE|none]: show the ALUA state of each port of the
 * target's LUNs, or set it by hand as cairnd does on failover (the state
 * is not saved: cairnd and restore decide it from the mirror's roles).
 */
static int target_alua(struct ctx *c)
{
	struct cairn_cfg_target *t = path_target(c);
	const char *prim = arg(c, "primary");
	struct cairn_config *cfg;
	char err[512];
	unsigned int i, j;
	int r;

	if (!t || cfg_get(c, &cfg))
		return EXIT_REFUSED;
	if (!t->nodes[0][0])
		return err_msg("%s: a target without nodes has no ALUA groups "
			       "(iscsi create ... nodes=A,B)", t->wwn);
	if (!prim)
		return alua_show(c, t);
	if (!strcmp(prim, "none"))
		prim = NULL;
	else if (strcmp(prim, t->nodes[0]) && strcmp(prim, t->nodes[1]))
		return err_usage("primary: %s is not one of the nodes of %s (%s, %s), nor none",
				 prim, t->wwn, t->nodes[0], t->nodes[1]);
	/* Every volume checked before the first is changed. */
	for (i = 0; i < t->nr_luns; i++) {
		uint32_t id;
		int state;

		for (j = 0; j < CAIRN_ALUA_NODES; j++)
			if (cairn_lio_alua_get(t->luns[i].volume, t->nodes[j], &id,
					       &state, err, sizeof(err)))
				return err_msg("%s; nothing changed", err);
	}
	for (i = 0; i < t->nr_luns; i++) {
		r = cairn_alua_set(cfg, NULL, t->luns[i].volume, prim, err,
				   sizeof(err));
		if (r < 0)
			return err_msg("%s", err);
	}
	if (prim)
		printf("ALUA of %s: %s active/optimized, %s standby (%u LUN%s).\n",
		       t->wwn, prim, strcmp(prim, t->nodes[0]) ? t->nodes[0] :
		       t->nodes[1], t->nr_luns, t->nr_luns == 1 ? "" : "s");
	else
		printf("ALUA of %s: %s and %s unavailable (%u LUN%s).\n", t->wwn,
		       t->nodes[0], t->nodes[1], t->nr_luns,
		       t->nr_luns == 1 ? "" : "s");
	return 0;
}

const struct command export_commands[] = {
	{ "/iscsi", "create", iscsi_create,
	  "make an iSCSI target with tpg1 and a portal on 0.0.0.0:3260",
	  { { "wwn", "the target's iSCSI name (iqn.YYYY-MM.domain:name)",
	      P_REQUIRED | P_POSITIONAL },
	    { "nodes", "NODE1,NODE2: served by two nodes (this one among them) "
	      "as one LU over ALUA; the same order on both" } }, C_CHANGES },
	{ "/iscsi/*", "alua", target_alua,
	  "show the ALUA group and state of each port of a target with nodes, "
	  "or set them by hand as a failover does (not saved)",
	  { { "primary", "NODE: its group active/optimized, the other standby; "
	      "none: both unavailable (fenced)" } } },
	{ "/iscsi", "delete", iscsi_delete,
	  "remove an iSCSI target with its LUNs, ACLs and portals",
	  { { "wwn", "the target", P_REQUIRED | P_POSITIONAL } }, C_CHANGES },
	{ "/iscsi/*/tpg1/luns|/loopback/*/luns|/fc/*/luns", "create", luns_create,
	  "export a volume as a LUN (on iSCSI, mapped into every ACL)",
	  { { "volume", "the volume", P_REQUIRED | P_POSITIONAL },
	    { "lun", "the LUN number, 0-255 (default: the lowest free)" } },
	  C_CHANGES },
	{ "/iscsi/*/tpg1/luns|/loopback/*/luns|/fc/*/luns", "delete", luns_delete,
	  "remove a LUN (the volume stays)",
	  { { "lun", "the LUN number (0 or lun0)", P_REQUIRED | P_POSITIONAL } },
	  C_CHANGES },
	{ "/iscsi/*/tpg1/acls", "create", acls_create,
	  "let an initiator log in and see every LUN of the target",
	  { { "initiator", "the initiator's iSCSI name",
	      P_REQUIRED | P_POSITIONAL },
	    { "userid", "CHAP user name the initiator logs in with" },
	    { "password", "CHAP secret, 12 characters or more" },
	    { "mutual_userid", "mutual CHAP: the target's user name" },
	    { "mutual_password", "mutual CHAP: the target's secret" } }, C_CHANGES },
	{ "/iscsi/*/tpg1/acls", "delete", acls_delete, "remove an initiator's ACL",
	  { { "initiator", "the initiator's iSCSI name",
	      P_REQUIRED | P_POSITIONAL } }, C_CHANGES },
	{ "/iscsi/*/tpg1/acls/*", "set", acl_set,
	  "change CHAP credentials (an empty value clears)",
	  { { "userid", "CHAP user name the initiator logs in with" },
	    { "password", "CHAP secret, 12 characters or more" },
	    { "mutual_userid", "mutual CHAP: the target's user name" },
	    { "mutual_password", "mutual CHAP: the target's secret" } }, C_CHANGES },
	{ "/iscsi/*/tpg1/acls/*", "get", acl_get,
	  "print the ACL's CHAP user names (secrets are not shown)" },
	{ "/iscsi/*/tpg1/portals", "create", portals_create,
	  "listen on another address",
	  { { "ip", "IPv4 address, or [IPv6]", P_REQUIRED | P_POSITIONAL },
	    { "port", "TCP port (default 3260)" } }, C_CHANGES },
	{ "/iscsi/*/tpg1/portals", "delete", portals_delete,
	  "stop listening on an address",
	  { { "ip", "the portal's address", P_REQUIRED | P_POSITIONAL },
	    { "port", "its TCP port (default 3260)" } }, C_CHANGES },
	{ "/loopback", "create", loopback_create,
	  "make a tcm_loop target: its LUNs become local SCSI disks",
	  { { "wwn", "naa. name (default: generated)", P_POSITIONAL } },
	  C_CHANGES },
	{ "/loopback", "delete", loopback_delete,
	  "remove a loopback target and its LUNs",
	  { { "wwn", "the target", P_REQUIRED | P_POSITIONAL } }, C_CHANGES },
	{ "/fc", "create", fc_create,
	  "export through tcm_fc on one of this node's FCoE ports",
	  { { "wwpn", "the port's WWPN (naa.2000... or 20:00:...)",
	      P_REQUIRED | P_POSITIONAL } }, C_CHANGES },
	{ "/fc", "delete", fc_delete,
	  "remove an FC target with its LUNs and ACLs",
	  { { "wwpn", "the target's WWPN", P_REQUIRED | P_POSITIONAL } },
	  C_CHANGES },
	{ "/fc/*/acls", "create", acls_create,
	  "let an initiator port log in and see every LUN of the target",
	  { { "initiator", "the initiator's WWPN (naa.2000... or 20:00:...)",
	      P_REQUIRED | P_POSITIONAL } }, C_CHANGES },
	{ "/fc/*/acls", "delete", acls_delete, "remove an initiator's ACL",
	  { { "initiator", "the initiator's WWPN", P_REQUIRED | P_POSITIONAL } },
	  C_CHANGES },
};

const unsigned int nr_export_commands = ARRAY_SIZE(export_commands);
