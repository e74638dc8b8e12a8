/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Quorum and failover for a pair of nodes and a witness: the state
 * machines of cairnd's heartbeat, without sockets or clocks (the caller
 * feeds the time and the messages), so that they can be checked in a
 * simulation.  The protocol and why two primaries are impossible are
 * written up at the top of quorum.c.
 */
#ifndef CAIRN_QUORUM_H
#define CAIRN_QUORUM_H

#include <stdbool.h>
#include <stdint.h>

/* The three parties of a pair. */
#define CAIRN_Q_A	0
#define CAIRN_Q_B	1
#define CAIRN_Q_W	2		/* the witness */
#define CAIRN_Q_NONE	0xff

enum cairn_q_type {
	CAIRN_QM_PING = 1,	/* node -> peer, witness: stamp, primary */
	CAIRN_QM_PONG,		/* the answer: stamp echoed, lease, holder */
	CAIRN_QM_VOTE,		/* candidate -> witness: may I take over? */
	CAIRN_QM_GRANT,		/* witness -> candidate: yes (stamp echoed) */
	CAIRN_QM_DENY,		/* witness -> candidate: no (stamp echoed) */
	CAIRN_QM_OUTDATE,	/* holder -> witness: subject lacks my writes */
	CAIRN_QM_OUTDATED,	/* witness -> holder: recorded */
	CAIRN_QM_UPTODATE,	/* holder -> witness: subject resynced */
	CAIRN_QM_RELEASE,	/* primary -> peer, witness: stepped down */
};

struct cairn_q_msg {
	uint8_t type;
	uint8_t from, to;
	/* PING: the sender is or wants to be primary; PONG: it serves. */
	uint8_t primary;
	uint8_t lease;		/* PONG: it renews the receiver's lease */
	uint8_t holder;		/* from the witness: whom it holds primary */
	/*
	 * OUTDATE, OUTDATED, UPTODATE: the node concerned; a PONG from the
	 * witness: the receiver's peer while the witness holds it outdated.
	 */
	uint8_t subject;
	/* PING, VOTE, OUTDATE, UPTODATE: the sender's clock; echoed. */
	uint64_t stamp;
};

/* Milliseconds. */
struct cairn_q_timing {
	uint32_t interval;	/* between pings */
	uint32_t timeout;	/* a lease lasts this long from its ping */
};

/*
 * How long a party that renewed a lease waits before it helps another
 * node to primary: the lease, plus 1% for the two clocks' rates.
 */
static inline uint64_t cairn_q_wait(const struct cairn_q_timing *t)
{
	return (uint64_t)t->timeout + t->timeout / 100 + 1;
}

enum cairn_q_state {
	CAIRN_QS_SECONDARY,	/* answers the primary's pings with leases */
	CAIRN_QS_CANDIDATE,	/* the primary is silent: asks the witness */
	CAIRN_QS_PRIMARY,	/* serves while its lease lasts */
	CAIRN_QS_FENCED,	/* its lease lapsed: serves nothing */
};

struct cairn_q_node {
	struct cairn_q_timing t;
	uint8_t me, peer;
	enum cairn_q_state state;
	bool auto_failover;	/* a silent primary is taken over */
	/* Inputs, from the mirror (the caller sets them). */
	bool in_sync;		/* primary: the link is up, the peer has all */
	bool data_ok;		/* this node's data is consistent */
	/* What the protocol keeps. */
	uint64_t lease_until;	/* primary: serves until then */
	uint64_t peer_rx;	/* the last PING from the peer */
	uint64_t primary_rx;	/* the last PING of the peer as primary */
	uint64_t peer_released;	/* stamp of the peer's last RELEASE */
	uint64_t held_off_until; /* released: no candidacy before then */
	uint64_t w_rx;		/* the last answer of the witness */
	uint64_t candidate_at;	/* when it became a candidate */
	uint64_t lease_given;	/* the last lease given to the peer */
	uint64_t vote_stamp;	/* the last VOTE sent */
	uint64_t outdate_stamp;	/* the last OUTDATE sent */
	uint64_t next_ping, next_vote, next_outdate;
	bool alone_ok;		/* the witness has the peer outdated */
	bool peer_outdated;	/* the witness says so in its PONGs */
	bool uptodate_due;	/* tell the witness the peer is in sync */
	const char *why;	/* the reason of the last change of state */
};

struct cairn_q_witness {
	struct cairn_q_timing t;
	uint8_t holder;		/* the node it holds primary, or NONE */
	uint64_t holder_given;	/* the last lease given to the holder */
	uint64_t quiet_until;	/* after a start: no holder before then */
	uint64_t last_vote[2];	/* stamps: older votes are stale */
	uint64_t released[2];	/* stamps of RELEASEs: older PINGs are stale */
	bool outdated[2];	/* persistent: a node that lacks writes */
	/* The holder's last OUTDATE or UPTODATE of a node: older are stale. */
	uint64_t flag_stamp[2];
	uint8_t flag_by[2];
};

/* A node of the pair; @primary: it was primary (it still needs a lease). */
void cairn_q_node_init(struct cairn_q_node *n, const struct cairn_q_timing *t,
		       uint8_t me, bool primary, uint64_t now);
/* Time passes: messages to send into @out (at most 3); returns how many. */
unsigned int cairn_q_node_tick(struct cairn_q_node *n, uint64_t now,
			       struct cairn_q_msg *out);
/* A message for the node: replies into @out (at most 1). */
unsigned int cairn_q_node_recv(struct cairn_q_node *n, uint64_t now,
			       const struct cairn_q_msg *m,
			       struct cairn_q_msg *out);
/* May the node acknowledge a write now? */
bool cairn_q_node_serving(const struct cairn_q_node *n, uint64_t now);
/*
 * A planned switch-over: the primary steps down and hands over to its
 * peer.  The caller must have stopped it serving first (the kernel's
 * volume demoted).  Messages into @out (2); returns how many (0: it was
 * not primary).
 */
unsigned int cairn_q_node_release(struct cairn_q_node *n, uint64_t now,
				  struct cairn_q_msg *out);

/* The witness, (re)started: @outdated as it kept them on disk. */
void cairn_q_witness_init(struct cairn_q_witness *w,
			  const struct cairn_q_timing *t, const bool outdated[2],
			  uint64_t now);
unsigned int cairn_q_witness_recv(struct cairn_q_witness *w, uint64_t now,
				  const struct cairn_q_msg *m,
				  struct cairn_q_msg *out);

const char *cairn_q_state_name(enum cairn_q_state s);

/*
 * The heartbeat on the wire (hb.c): one UDP datagram per message, for one
 * mirrored volume, authenticated with HMAC-SHA256 under the secret the
 * sender shares with the receiver (the peers' secret files):
 *
 *   "CRNH" version(1) type from to primary lease holder subject
 *   stamp(8, big-endian) interval(4) timeout(4) uuid(16)
 *   len+sender len+node A len+node B
 *   HMAC-SHA256(secret, everything before it)
 *
 * Node A is the one of the pair whose name sorts first.
 */
#define CAIRN_HB_MAX	320
#define CAIRN_HB_NAME	65

struct cairn_hb {
	struct cairn_q_msg m;
	uint32_t interval, timeout;	/* the sender's, ms */
	uint8_t uuid[16];
	char sender[CAIRN_HB_NAME];
	char node[2][CAIRN_HB_NAME];	/* A, B */
};

/* Into @buf (CAIRN_HB_MAX bytes): its length, or -EINVAL. */
int cairn_hb_encode(const struct cairn_hb *h, const uint8_t *key,
		    int keylen, uint8_t *buf);
/* The sender's name, to find the key: 0, or -EPROTO if malformed. */
int cairn_hb_sender(const uint8_t *buf, size_t len, char *sender);
/* Checks the framing and the MAC: 0, -EPROTO (malformed), -EACCES (MAC). */
int cairn_hb_decode(const uint8_t *buf, size_t len, const uint8_t *key,
		    int keylen, struct cairn_hb *h);

#endif /* CAIRN_QUORUM_H */
