// SPDX-License-Identifier: GPL-2.0
/*
 * Quorum and failover: two nodes (A, B) and a witness (W).
 *
 * What must hold
 * --------------
 * 1. Never two primaries: at no instant may both nodes acknowledge writes.
 * 2. Nothing acknowledged is lost: a node that takes over has every write
 *    the other acknowledged.
 * 3. A node that dies, or is cut off from both others, is taken over by
 *    the other with the witness's vote; the witness dying alone, or the
 *    link between the nodes failing alone, fails nothing over.
 *
 * Leases (for 1)
 * --------------
 * A primary acknowledges writes only while it holds a lease.  It pings its
 * peer and the witness every interval, stamping each ping with its own
 * clock; an answer that grants a lease (PONG with lease) extends it to the
 * ping's stamp plus timeout -- measured from when the ping left, so a late
 * answer extends nothing it should not.  A party grants leases only to the
 * one it takes for primary: the peer while it is a plain secondary, the
 * witness to its holder.  Having granted one at its time r, a party helps
 * no other node to primary before r + wait (timeout plus 1% for the two
 * clocks' rates: cairn_q_wait()); the lease it granted ended before that.
 *
 * Failover: a secondary that hears no ping from a primary for timeout
 * (none at all, or only pings of a peer that is not primary: two
 * secondaries, after both restarted, elect one this way) becomes a
 * candidate: from then on it grants no lease, and once wait has
 * passed since the last one it granted, it asks the witness (VOTE).  The
 * witness grants (and holds the candidate primary from then on) only if
 * it gave the old holder no lease for wait either.  So when the candidate
 * starts serving, the old primary's leases from both parties have lapsed;
 * a primary that lost both parties has fenced itself (FENCED: it serves
 * nothing) when its lease ran out.  Votes carry a stamp: the witness
 * ignores one older than the last it saw from that node, so a candidate
 * that got a DENY for its latest vote knows no earlier one can still be
 * granted, and may grant leases again (a short cut between the nodes then
 * fails nothing over: the witness holds the primary, which it still hears).
 *
 * Outdating (for 2)
 * -----------------
 * A primary whose peer is not in sync (link down, or resyncing) may not
 * acknowledge a write the peer lacks until the witness recorded the peer
 * as outdated (OUTDATE, answered by OUTDATED; the witness takes it from
 * its holder only).  The witness never votes for, nor gives a lease to, an
 * outdated node; the flags survive its restart (it keeps them on disk).
 * Once the peer is in sync again the primary clears the flag (UPTODATE).
 * Both carry the primary's stamp and the witness applies only the newest,
 * and the primary trusts only the answer to its latest OUTDATE.  UPTODATE
 * is not answered, and the primary may never have heard that an OUTDATE
 * of its took effect (the answer lost, or an older one applied while the
 * newest was lost), so the witness's PONG to a node names that node's
 * peer (subject) while it holds the peer outdated: a primary whose peer is
 * in sync then sends UPTODATE again.  A lost message leaves the peer
 * outdated for a ping or two, not until the next outage.  A node
 * also asks for a vote only with consistent data of its own.
 *
 * Switch-over (RELEASE): the operator demotes the primary.  Its caller
 * stopped it serving first (the kernel's volume demoted: every write
 * completed or failed), so its leases no longer matter: it tells its peer
 * and the witness.  The witness holds nobody from then on, and ignores
 * that node's pings stamped before the RELEASE (sent earlier, arriving
 * late, they must not make it the holder again); the peer becomes a
 * candidate at once, without waiting out the leases it gave, and is voted
 * for if it has consistent data and is not outdated.  The released node
 * stands back for two timeouts before it may become a candidate itself,
 * so that the peer wins; if the peer can not take over, the released node
 * is elected again, never nobody.  A lost RELEASE costs time only: the
 * peer hears no primary for timeout and takes over as after a failure.
 *
 * A candidate asks only a witness it heard within timeout; until it sent
 * a vote, a ping of the primary makes it a plain secondary again.  One
 * that sent a vote waits for the answer (a vote may arrive late and be
 * granted): with the witness gone as well, the pair then stops rather than
 * risk two primaries.
 *
 * A restarted witness holds nobody for wait (it may have granted a lease
 * just before); a restarted node starts secondary and counts as having
 * just granted a lease.  The caller feeds the time (a monotonic clock, in
 * ms) and the messages; the messages may be lost, late or reordered.
 */
#include <string.h>

#include "quorum.h"

static struct cairn_q_msg *q_msg(struct cairn_q_msg *m, uint8_t type,
				 uint8_t from, uint8_t to)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->from = from;
	m->to = to;
	m->holder = CAIRN_Q_NONE;
	m->subject = CAIRN_Q_NONE;
	return m;
}

static void q_state(struct cairn_q_node *n, enum cairn_q_state s,
		    const char *why)
{
	n->state = s;
	n->why = why;
}

void cairn_q_node_init(struct cairn_q_node *n, const struct cairn_q_timing *t,
		       uint8_t me, bool primary, uint64_t now)
{
	memset(n, 0, sizeof(*n));
	n->t = *t;
	n->me = me;
	n->peer = me == CAIRN_Q_A ? CAIRN_Q_B : CAIRN_Q_A;
	n->auto_failover = true;
	n->data_ok = true;
	/* As if a lease had just been given, and a primary just heard. */
	n->lease_given = now;
	n->peer_rx = now;
	n->primary_rx = now;
	n->next_ping = now;
	if (primary)
		q_state(n, CAIRN_QS_FENCED, "started primary: no lease yet");
	else
		q_state(n, CAIRN_QS_SECONDARY, "started secondary");
}

/*
 * Time since @then: 0 if @then is later than @now.  A caller may read its
 * clock before a state is made with a later reading (cairnd's loop before a
 * volume scan did): an unsigned now - then would wrap and say "silent for
 * ages" of a peer heard a moment ago.
 */
static uint64_t q_since(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

static bool q_primaryish(const struct cairn_q_node *n)
{
	return n->state == CAIRN_QS_PRIMARY || n->state == CAIRN_QS_FENCED;
}

bool cairn_q_node_serving(const struct cairn_q_node *n, uint64_t now)
{
	return n->state == CAIRN_QS_PRIMARY && now < n->lease_until &&
	       (n->in_sync || n->alone_ok);
}

unsigned int cairn_q_node_tick(struct cairn_q_node *n, uint64_t now,
			       struct cairn_q_msg *out)
{
	unsigned int k = 0;
	struct cairn_q_msg *m;

	if (n->state == CAIRN_QS_PRIMARY && now >= n->lease_until)
		q_state(n, CAIRN_QS_FENCED,
			"lease lapsed: no answer from the peer or the witness");
	if (n->state == CAIRN_QS_SECONDARY && n->auto_failover &&
	    q_since(now, n->primary_rx) > n->t.timeout &&
	    now >= n->held_off_until) {
		q_state(n, CAIRN_QS_CANDIDATE, q_since(now, n->peer_rx) > n->t.timeout ?
			"the primary is silent" : "no primary: the peer is secondary too");
		n->candidate_at = now;
	}

	if (n->state == CAIRN_QS_PRIMARY) {
		if (n->in_sync) {
			/* The peer has everything: it may be voted for again. */
			if (n->alone_ok)
				n->uptodate_due = true;
			n->alone_ok = false;
		}
		if (n->uptodate_due && n->in_sync) {
			m = q_msg(&out[k++], CAIRN_QM_UPTODATE, n->me, CAIRN_Q_W);
			m->subject = n->peer;
			m->stamp = now;
			n->uptodate_due = false;
			n->outdate_stamp = 0;	/* answers to older ones: void */
		} else if (!n->in_sync && !n->alone_ok && now >= n->next_outdate) {
			m = q_msg(&out[k++], CAIRN_QM_OUTDATE, n->me, CAIRN_Q_W);
			m->subject = n->peer;
			m->stamp = now;
			n->outdate_stamp = now;
			n->next_outdate = now + n->t.interval;
		}
	}
	if (now >= n->next_ping) {
		n->next_ping = now + n->t.interval;
		m = q_msg(&out[k++], CAIRN_QM_PING, n->me, n->peer);
		m->primary = q_primaryish(n);
		m->stamp = now;
		m = q_msg(&out[k++], CAIRN_QM_PING, n->me, CAIRN_Q_W);
		m->primary = q_primaryish(n);
		m->stamp = now;
	}
	if (n->state == CAIRN_QS_CANDIDATE && n->data_ok && k < 3 &&
	    q_since(now, n->lease_given) > cairn_q_wait(&n->t) && now >= n->next_vote &&
	    n->w_rx && q_since(now, n->w_rx) < n->t.timeout) {
		n->next_vote = now + n->t.interval;
		n->vote_stamp = now;
		m = q_msg(&out[k++], CAIRN_QM_VOTE, n->me, CAIRN_Q_W);
		m->stamp = now;
	}
	return k;
}

unsigned int cairn_q_node_release(struct cairn_q_node *n, uint64_t now,
				  struct cairn_q_msg *out)
{
	struct cairn_q_msg *m;

	if (!q_primaryish(n))
		return 0;
	q_state(n, CAIRN_QS_SECONDARY, "switch-over: stepped down for the peer");
	n->lease_until = 0;
	n->alone_ok = false;
	n->uptodate_due = false;
	n->held_off_until = now + 2 * (uint64_t)n->t.timeout;
	n->primary_rx = now;	/* as if a primary were just heard */
	m = q_msg(&out[0], CAIRN_QM_RELEASE, n->me, n->peer);
	m->stamp = now;
	m = q_msg(&out[1], CAIRN_QM_RELEASE, n->me, CAIRN_Q_W);
	m->stamp = now;
	return 2;
}

/* A lease answered for the ping stamped @stamp. */
static void q_renew(struct cairn_q_node *n, uint64_t now, uint64_t stamp)
{
	uint64_t until = stamp + n->t.timeout;

	if (!q_primaryish(n) || until <= now)
		return;
	if (until > n->lease_until)
		n->lease_until = until;
	if (n->state == CAIRN_QS_FENCED)
		q_state(n, CAIRN_QS_PRIMARY, "lease renewed");
}

unsigned int cairn_q_node_recv(struct cairn_q_node *n, uint64_t now,
			       const struct cairn_q_msg *m,
			       struct cairn_q_msg *out)
{
	struct cairn_q_msg *r;
	bool primary;

	if (m->to != n->me)
		return 0;
	switch (m->type) {
	case CAIRN_QM_PING:
		if (m->from != n->peer)
			return 0;
		n->peer_rx = now;
		/*
		 * A primary that counts: not a ping sent before the peer's
		 * RELEASE, nor one of a peer the witness holds outdated (a
		 * fenced old primary that lacks writes: vouched for, it would
		 * keep this node from taking over, and serve nothing itself).
		 */
		primary = m->primary && m->stamp > n->peer_released &&
			  !n->peer_outdated;
		if (primary)
			n->primary_rx = now;
		if (primary && n->state == CAIRN_QS_CANDIDATE &&
		    n->vote_stamp < n->candidate_at)
			q_state(n, CAIRN_QS_SECONDARY, "the primary is heard again");
		r = q_msg(out, CAIRN_QM_PONG, n->me, n->peer);
		r->stamp = m->stamp;
		/* Serving, not fenced: two fenced nodes must not both yield. */
		r->primary = n->state == CAIRN_QS_PRIMARY;
		/* Only a plain secondary vouches for the primary. */
		if (primary && n->state == CAIRN_QS_SECONDARY) {
			r->lease = 1;
			n->lease_given = now;
		}
		return 1;
	case CAIRN_QM_PONG:
		if (m->from == CAIRN_Q_W) {
			n->w_rx = now;
			n->peer_outdated = m->subject == n->peer;
		}
		/* The witness holds the peer outdated, though it is in sync. */
		if (m->from == CAIRN_Q_W && m->subject == n->peer &&
		    n->state == CAIRN_QS_PRIMARY && n->in_sync)
			n->uptodate_due = true;
		if (m->from == n->peer && m->primary && q_primaryish(n)) {
			/* The peer serves: never two. */
			q_state(n, CAIRN_QS_SECONDARY, "the peer is primary");
			return 0;
		}
		if (m->from == CAIRN_Q_W && m->holder != n->me &&
		    m->holder != CAIRN_Q_NONE && q_primaryish(n)) {
			q_state(n, CAIRN_QS_SECONDARY,
				"the witness holds the peer primary");
			return 0;
		}
		if (m->lease)
			q_renew(n, now, m->stamp);
		return 0;
	case CAIRN_QM_GRANT:
		/* Any of its votes: it granted no lease since the first. */
		if (m->from != CAIRN_Q_W || n->state != CAIRN_QS_CANDIDATE ||
		    m->stamp < n->candidate_at || !n->data_ok)
			return 0;
		q_state(n, CAIRN_QS_PRIMARY, "the witness voted for this node");
		n->lease_until = m->stamp + n->t.timeout;
		/* The old primary may hold writes: alone only once it is outdated. */
		n->alone_ok = false;
		n->next_outdate = now;
		return 0;
	case CAIRN_QM_DENY:
		if (m->from == CAIRN_Q_W && n->state == CAIRN_QS_CANDIDATE &&
		    m->stamp == n->vote_stamp) {
			/* No older vote can be granted now: vouch again. */
			q_state(n, CAIRN_QS_SECONDARY,
				"the witness still holds the primary");
			n->peer_rx = now;
			n->primary_rx = now;
		}
		return 0;
	case CAIRN_QM_RELEASE:
		/*
		 * The primary stepped down (it serves nothing): a candidate
		 * at once, its leases no reason to wait.
		 */
		if (m->from != n->peer || m->stamp <= n->peer_released)
			return 0;
		n->peer_released = m->stamp;
		if (n->state != CAIRN_QS_SECONDARY || !n->auto_failover)
			return 0;
		q_state(n, CAIRN_QS_CANDIDATE, "switch-over: the primary stepped down");
		n->candidate_at = now;
		n->lease_given = 0;
		n->next_vote = now;
		return 0;
	case CAIRN_QM_OUTDATED:
		if (m->from == CAIRN_Q_W && n->state == CAIRN_QS_PRIMARY &&
		    m->subject == n->peer && n->outdate_stamp &&
		    m->stamp == n->outdate_stamp)
			n->alone_ok = true;
		return 0;
	}
	return 0;
}

void cairn_q_witness_init(struct cairn_q_witness *w,
			  const struct cairn_q_timing *t, const bool outdated[2],
			  uint64_t now)
{
	memset(w, 0, sizeof(*w));
	w->t = *t;
	w->holder = CAIRN_Q_NONE;
	w->quiet_until = now + cairn_q_wait(t);
	w->flag_by[0] = CAIRN_Q_NONE;
	w->flag_by[1] = CAIRN_Q_NONE;
	w->outdated[0] = outdated[0];
	w->outdated[1] = outdated[1];
}

/* May node @x be held primary now? */
static bool q_may_hold(const struct cairn_q_witness *w, uint8_t x, uint64_t now)
{
	if (w->outdated[x] || now < w->quiet_until)
		return false;
	return w->holder == x || w->holder == CAIRN_Q_NONE ||
	       q_since(now, w->holder_given) > cairn_q_wait(&w->t);
}

/* Is @m the newest word of holder @x on its subject?  Then it counts. */
static bool q_flag(struct cairn_q_witness *w, uint8_t x,
		   const struct cairn_q_msg *m)
{
	uint8_t s = m->subject;

	if (w->flag_by[s] == x && m->stamp <= w->flag_stamp[s])
		return false;
	w->flag_by[s] = x;
	w->flag_stamp[s] = m->stamp;
	return true;
}

unsigned int cairn_q_witness_recv(struct cairn_q_witness *w, uint64_t now,
				  const struct cairn_q_msg *m,
				  struct cairn_q_msg *out)
{
	uint8_t x = m->from;
	struct cairn_q_msg *r;

	if (m->to != CAIRN_Q_W || x > CAIRN_Q_B)
		return 0;
	switch (m->type) {
	case CAIRN_QM_PING:
		r = q_msg(out, CAIRN_QM_PONG, CAIRN_Q_W, x);
		r->stamp = m->stamp;
		if (w->outdated[1 - x])
			r->subject = 1 - x;	/* its peer, held outdated */
		/* Not a ping sent before its RELEASE. */
		if (m->primary && m->stamp > w->released[x] &&
		    q_may_hold(w, x, now)) {
			w->holder = x;
			w->holder_given = now;
			r->lease = 1;
		}
		r->holder = w->holder;
		return 1;
	case CAIRN_QM_VOTE:
		if (m->stamp <= w->last_vote[x])
			return 0;	/* stale: a newer one was answered */
		w->last_vote[x] = m->stamp;
		if (q_may_hold(w, x, now)) {
			w->holder = x;
			w->holder_given = now;
			r = q_msg(out, CAIRN_QM_GRANT, CAIRN_Q_W, x);
		} else {
			r = q_msg(out, CAIRN_QM_DENY, CAIRN_Q_W, x);
		}
		r->stamp = m->stamp;
		r->holder = w->holder;
		return 1;
	case CAIRN_QM_OUTDATE:
		if (w->holder != x || m->subject > CAIRN_Q_B || m->subject == x) {
			r = q_msg(out, CAIRN_QM_PONG, CAIRN_Q_W, x);
			r->holder = w->holder;
			return 1;
		}
		if (!q_flag(w, x, m))
			return 0;
		w->outdated[m->subject] = true;
		r = q_msg(out, CAIRN_QM_OUTDATED, CAIRN_Q_W, x);
		r->subject = m->subject;
		r->stamp = m->stamp;
		r->holder = w->holder;
		return 1;
	case CAIRN_QM_UPTODATE:
		if (w->holder == x && m->subject <= CAIRN_Q_B &&
		    m->subject != x && q_flag(w, x, m))
			w->outdated[m->subject] = false;
		return 0;
	case CAIRN_QM_RELEASE:
		/* Its holder stepped down, serving nothing: nobody held. */
		if (m->stamp <= w->released[x])
			return 0;
		w->released[x] = m->stamp;
		if (w->holder == x)
			w->holder = CAIRN_Q_NONE;
		return 0;
	}
	return 0;
}

const char *cairn_q_state_name(enum cairn_q_state s)
{
	static const char *const names[] = {
		[CAIRN_QS_SECONDARY] = "secondary",
		[CAIRN_QS_CANDIDATE] = "candidate",
		[CAIRN_QS_PRIMARY] = "primary",
		[CAIRN_QS_FENCED] = "fenced",
	};

	return s <= CAIRN_QS_FENCED ? names[s] : "unknown";
}
