/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The mirror's handshake as pure logic: what two nodes that meet do about
 * their data (generations, bitmaps, data states), whatever their roles.
 * cairn.ko decides with it at every connect and when a connected peer
 * becomes primary; tests/unit/test_handshake.c checks it against a model
 * of two nodes, every event sequence up to a depth.  The table is in
 * handshake.c.
 */
#ifndef CAIRN_CORE_HANDSHAKE_H
#define CAIRN_CORE_HANDSHAKE_H

#include "wire.h"

/* What a node does at a connect, decided alike on both from each side. */
struct cairn_hs_decision {
	int err;		/* 0, or refused: -EBUSY, -ENODATA, -ESTALE, -EUCLEAN */
	const char *why;	/* refused: the reason, for the log and extack */
	bool send_bits;		/* send this node's bitmap to the peer */
	bool recv_bits;		/* take the peer's bitmap into this node's */
	bool send_first;	/* both send: this node sends before it takes */
	bool all_bits;		/* the sync target may hold anything: every bit */
	bool outdate;		/* this node's data is behind the peer's */
};

/*
 * Decide the connect of @me (this node's HELLO) with @peer (the peer's):
 * fills @d; returns d->err.  Pure: reads nothing else, changes nothing.
 */
int cairn_hs_decide(const struct cairn_wire_hello *me,
		    const struct cairn_wire_hello *peer,
		    struct cairn_hs_decision *d);

/*
 * A connected secondary @me hears that @peer became primary (its HELLO):
 * 0 if the peer's data descends from ours as the connect decided, or
 * refused (-EUCLEAN, or -EAGAIN: a bitmap the primary does not have yet,
 * the link must be made again) with *@why set.
 */
int cairn_hs_promoted(const struct cairn_wire_hello *me,
		      const struct cairn_wire_hello *peer, const char **why);

#endif /* CAIRN_CORE_HANDSHAKE_H */
