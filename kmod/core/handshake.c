// SPDX-License-Identifier: GPL-2.0
/*
 * The mirror's handshake: a decision table, as DRBD's drbd_uuid_compare().
 *
 * A node's data is named by generations (cairn_mirror.c, "Generations"):
 * gen_current (0: unknown, never synced), gen_bitmap (the generation its
 * out-of-sync bits count from, set when a primary wrote what its peer did
 * not get) and gen_history (the bitmap generations of earlier resyncs).
 * Its out-of-sync bits are where its data may differ from the peer's: the
 * regions of writes the peer missed, and of writes in flight when it
 * crashed (its activity log).  Both nodes decide alike, each from its
 * side, from the two HELLOs, whatever their roles:
 *
 *   both primary                                  refused (-EBUSY)
 *   a primary P and a secondary S:
 *     P not consistent (it pulls): S consistent   P's bits; all if P.cur 0
 *                                  otherwise      refused (-ENODATA)
 *     S.cur 0, or one of P's history              every bit (full resync)
 *     S.cur == P.cur or P.bitmap                  S's bits go to P
 *     P.cur == S.bitmap                           refused: S is newer (-ESTALE)
 *     anything else                               split brain (-EUCLEAN)
 *   two secondaries X and Y:
 *     X.cur == Y.cur                              bits exchanged (both)
 *     X.cur 0                                     every bit
 *     X.cur == Y.bitmap                           bits exchanged; X outdated
 *     X.cur one of Y's history                    every bit; X outdated
 *     anything else                               split brain (-EUCLEAN)
 *
 * "X outdated": X lacks what Y wrote alone, so X may not be promoted
 * without force (a consistent Y is the reference; an inconsistent one is
 * no better than X, and outdates nothing).  "Bits exchanged": each takes
 * the other's into its own, so whichever is promoted later resyncs every
 * region where either may differ -- the activity log of one that crashed,
 * the writes one made alone -- and no promotion merges anything silently.
 * Two secondaries that both send do it in an order both know (the lower
 * pool UUID first), so neither waits on a full socket of the other.
 *
 * A connected secondary whose peer becomes primary checks once more
 * (cairn_hs_promoted()): the new primary's data must descend from its
 * own, and the primary must know every bit it has; otherwise the link is
 * dropped (split brain), or made again so the handshake moves the bits.
 */
#include "handshake.h"

static bool cairn_hs_in_history(const struct cairn_wire_hello *n, u64 gen)
{
	return gen && (gen == n->gen_history[0] || gen == n->gen_history[1]);
}

static int cairn_hs_refuse(struct cairn_hs_decision *d, int err,
			   const char *why)
{
	d->err = err;
	d->why = why;
	return err;
}

/* A primary @p and a secondary @s; @me_primary says which one is me. */
static int cairn_hs_primary(const struct cairn_wire_hello *p,
			    const struct cairn_wire_hello *s, bool me_primary,
			    struct cairn_hs_decision *d)
{
	/* The secondary that knows where it differs tells the primary. */
	if (me_primary)
		d->recv_bits = s->dirty_bits != 0;
	else
		d->send_bits = s->dirty_bits != 0;
	if (p->disk != CAIRN_WIRE_CONSISTENT) {
		/* It pulls from a consistent secondary. */
		if (s->disk != CAIRN_WIRE_CONSISTENT)
			return cairn_hs_refuse(d, -ENODATA,
				"neither node's data is consistent: promote the one to keep with force");
		d->all_bits = !p->gen_current;
		return 0;
	}
	if (!s->gen_current || cairn_hs_in_history(p, s->gen_current)) {
		d->all_bits = true;	/* no telling what the target holds */
		return 0;
	}
	if (s->gen_current == p->gen_current ||
	    (p->gen_bitmap && s->gen_current == p->gen_bitmap))
		return 0;
	if (s->gen_bitmap && p->gen_current == s->gen_bitmap)
		return cairn_hs_refuse(d, -ESTALE, me_primary ?
				       "the peer has newer data than this primary" :
				       "this node has newer data than the primary");
	return cairn_hs_refuse(d, -EUCLEAN,
			       "split brain: discard one side's writes (demote it with force)");
}

/*
 * Is @x behind @y: 0 no (the same data, or @y behind), 1 @y's bitmap
 * counts from @x's data, 2 only a full resync tells, -1 unrelated.
 */
static int cairn_hs_behind(const struct cairn_wire_hello *x,
			   const struct cairn_wire_hello *y)
{
	if (x->gen_current == y->gen_current)
		return 0;
	if (!x->gen_current)
		return 2;
	if (y->gen_bitmap && x->gen_current == y->gen_bitmap)
		return 1;
	if (cairn_hs_in_history(y, x->gen_current))
		return 2;
	return -1;
}

static int cairn_hs_secondaries(const struct cairn_wire_hello *me,
				const struct cairn_wire_hello *peer,
				struct cairn_hs_decision *d)
{
	int mine = cairn_hs_behind(me, peer), theirs = cairn_hs_behind(peer, me);
	int cmp;

	if (mine < 0 && theirs < 0)
		return cairn_hs_refuse(d, -EUCLEAN,
				       "split brain: discard one side's writes (demote it with force)");
	d->all_bits = mine == 2 || theirs == 2 ||
		      (!me->gen_current && !peer->gen_current);
	/* Behind a consistent peer: what it wrote alone, we lack. */
	d->outdate = mine > 0 && me->disk == CAIRN_WIRE_CONSISTENT &&
		     peer->disk == CAIRN_WIRE_CONSISTENT;
	if (d->all_bits)
		return 0;
	d->send_bits = me->dirty_bits != 0;
	d->recv_bits = peer->dirty_bits != 0;
	if (d->send_bits && d->recv_bits) {
		cmp = memcmp(me->node_uuid, peer->node_uuid,
			     sizeof(me->node_uuid));
		if (!cmp)
			return cairn_hs_refuse(d, -EINVAL,
					       "the peer's pool has this pool's UUID");
		d->send_first = cmp < 0;
	}
	return 0;
}

int cairn_hs_decide(const struct cairn_wire_hello *me,
		    const struct cairn_wire_hello *peer,
		    struct cairn_hs_decision *d)
{
	memset(d, 0, sizeof(*d));
	if (me->role == CAIRN_WIRE_PRIMARY && peer->role == CAIRN_WIRE_PRIMARY)
		return cairn_hs_refuse(d, -EBUSY,
				       "both nodes are primary (split brain)");
	if (me->role == CAIRN_WIRE_PRIMARY)
		return cairn_hs_primary(me, peer, true, d);
	if (peer->role == CAIRN_WIRE_PRIMARY)
		return cairn_hs_primary(peer, me, false, d);
	return cairn_hs_secondaries(me, peer, d);
}

int cairn_hs_promoted(const struct cairn_wire_hello *me,
		      const struct cairn_wire_hello *peer, const char **why)
{
	if (peer->disk != CAIRN_WIRE_CONSISTENT ||
	    me->disk == CAIRN_WIRE_INCONSISTENT || !me->gen_current)
		return 0;	/* it pulls from us, or we are its target */
	if (me->gen_current != peer->gen_current &&
	    (!peer->gen_bitmap || me->gen_current != peer->gen_bitmap) &&
	    !cairn_hs_in_history(peer, me->gen_current)) {
		*why = "split brain: the new primary's data does not descend from this node's";
		return -EUCLEAN;
	}
	if (me->dirty_bits && !peer->dirty_bits) {
		*why =
		"the new primary lacks this node's out-of-sync bits: connect again to send them";
		return -EAGAIN;
	}
	return 0;
}
