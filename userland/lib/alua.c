// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libcairn: one LUN identity on the two nodes of a pair, over implicit
 * ALUA (the LIO side is in target-fabric/lio.c, cairn_lio_alua_*()).
 *
 * An iSCSI target whose configuration names two nodes ("nodes": [a, b])
 * is made alike on both of them: same IQN, tpgt_1 (node a's) and tpgt_2
 * (node b's), each LUN made in tpgt_1 and then in tpgt_2 so that a fresh
 * backstore gives them the relative target port identifiers 1 and 2, and
 * on each backstore the target port groups cairn_a (id 1, tpgt_1's port)
 * and cairn_b (id 2, tpgt_2's port).  Only this node's TPG is enabled and
 * has portals; the peer's exists so that ports, RTPIs and groups match.
 * The unit serial (the volume's UUID, from which LIO derives the NAA),
 * vendor, product (the volume's name), LUN number and size are the same
 * on both nodes, so an initiator that logs in to both sees one LU through
 * two target ports, and REPORT TARGET PORT GROUPS tells it which one to
 * use.
 *
 * The states are this node's view, set on both groups of the local LIO:
 * the primary's group active/optimized, the other standby; a fenced node
 * (or one that knows no primary) reports both unavailable, so that an
 * initiator still logged in to it fails over at once.  Nothing of this is
 * saved: cairnd decides it from the mirror's roles (restore sets it from
 * the kernel's role when it makes the groups; cairn_alua_set() on every
 * promotion, demotion and fence).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "libcairn.h"

const char *cairn_alua_nodes_problem(const char *const nodes[CAIRN_ALUA_NODES],
				     const char *self)
{
	unsigned int i;

	for (i = 0; i < CAIRN_ALUA_NODES; i++)
		if (!nodes[i] || !cairn_valid_name(nodes[i]))
			return "a node name is 1-64 of A-Z a-z 0-9 . _ -";
	if (!strcmp(nodes[0], nodes[1]))
		return "the two nodes must differ";
	if (self && strcmp(nodes[0], self) && strcmp(nodes[1], self))
		return "this node is not one of the two";
	return NULL;
}

int cairn_alua_self(const struct cairn_config *cfg,
		    const struct cairn_cfg_target *t)
{
	char self[CAIRN_NAME_LEN];
	unsigned int i;

	if (t->fabric != CAIRN_FABRIC_ISCSI || !t->nodes[0][0])
		return -1;
	cairn_config_node(cfg, self, sizeof(self));
	for (i = 0; i < CAIRN_ALUA_NODES; i++)
		if (!strcmp(t->nodes[i], self))
			return i;
	return -1;
}

/* Whether target @t exports @volume (of @pool, when the file says). */
static bool exports(const struct cairn_config *cfg,
		    const struct cairn_cfg_target *t, const char *pool,
		    const char *volume)
{
	unsigned int i;

	if (t->fabric != CAIRN_FABRIC_ISCSI || !t->nodes[0][0])
		return false;
	for (i = 0; i < t->nr_luns; i++)
		if (!strcmp(t->luns[i].volume, volume))
			break;
	if (i == t->nr_luns)
		return false;
	for (i = 0; pool && i < cfg->nr_volumes; i++)
		if (!strcmp(cfg->volumes[i].name, volume))
			return !strcmp(cfg->volumes[i].pool, pool);
	return true;
}

int cairn_alua_set(const struct cairn_config *cfg, const char *pool,
		   const char *volume, const char *primary_node,
		   char *err, size_t errlen)
{
	const struct cairn_cfg_target *t;
	unsigned int i, k, n = 0;
	uint32_t id;
	int r, state;

	if (!volume || !*volume) {
		cairn_seterr(err, errlen, "no volume given");
		return -EINVAL;
	}
	/* Check everything first: a refusal changes nothing. */
	for (i = 0; i < cfg->nr_targets; i++) {
		t = &cfg->targets[i];
		if (!exports(cfg, t, pool, volume))
			continue;
		if (primary_node && strcmp(primary_node, t->nodes[0]) &&
		    strcmp(primary_node, t->nodes[1])) {
			cairn_seterr(err, errlen,
				     "volume %s: node %s is not one of the nodes of iscsi target %s (%s, %s)",
				     volume, primary_node, t->wwn, t->nodes[0],
				     t->nodes[1]);
			return -EINVAL;
		}
		for (k = 0; k < CAIRN_ALUA_NODES; k++) {
			r = cairn_lio_alua_get(volume, t->nodes[k], &id, &state,
					       err, errlen);
			if (r)
				return r;
			if (id != k + 1) {
				cairn_seterr(err, errlen,
					     "volume %s: ALUA group cairn_%s has id %u, iscsi target %s wants %u",
					     volume, t->nodes[k], id, t->wwn, k + 1);
				return -EINVAL;
			}
		}
		n++;
	}
	if (!n)
		return 0;
	/*
	 * The groups belong to the backstore (one per volume), so one pass
	 * over the first target's nodes sets them for every target.  The
	 * demotion first: never two active groups, not even for a moment.
	 */
	for (i = 0; i < cfg->nr_targets; i++) {
		t = &cfg->targets[i];
		if (exports(cfg, t, pool, volume))
			break;
	}
	for (k = 0; k < CAIRN_ALUA_NODES; k++) {
		if (primary_node && !strcmp(primary_node, t->nodes[k]))
			continue;
		r = cairn_lio_alua_set_state(volume, t->nodes[k],
					     primary_node ? CAIRN_ALUA_STANDBY :
					     CAIRN_ALUA_UNAVAILABLE, err, errlen);
		if (r)
			return r;
	}
	if (primary_node) {
		r = cairn_lio_alua_set_state(volume, primary_node,
					     CAIRN_ALUA_OPTIMIZED, err, errlen);
		if (r)
			return r;
	}
	return n;
}

int cairn_alua_get(const struct cairn_config *cfg,
		   const struct cairn_cfg_target *t, struct cairn_alua_port *out)
{
	int self = cairn_alua_self(cfg, t);
	unsigned int i, k, n = 0;
	uint32_t id, rtpi;
	int state;

	if (t->fabric != CAIRN_FABRIC_ISCSI || !t->nodes[0][0])
		return -EINVAL;
	for (i = 0; i < t->nr_luns; i++) {
		for (k = 0; k < CAIRN_ALUA_NODES; k++) {
			struct cairn_alua_port *p = &out[n++];

			memset(p, 0, sizeof(*p));
			p->lun = t->luns[i].lun;
			snprintf(p->volume, sizeof(p->volume), "%s",
				 t->luns[i].volume);
			snprintf(p->node, sizeof(p->node), "%s", t->nodes[k]);
			p->tag = k + 1;
			p->local = self == (int)k;
			p->group_id = -1;
			p->state = -1;
			p->rtpi = -1;
			if (!cairn_lio_alua_get(t->luns[i].volume, t->nodes[k],
						&id, &state, NULL, 0)) {
				p->group_id = id;
				p->state = state;
			}
			if (!cairn_lio_lun_rtpi(CAIRN_FABRIC_ISCSI, t->wwn, k + 1,
						t->luns[i].lun, &rtpi))
				p->rtpi = rtpi;
		}
	}
	return n;
}
