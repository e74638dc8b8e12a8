// SPDX-License-Identifier: GPL-2.0
/*
 * The quorum protocol (userland/lib/quorum.c) in a simulation: nodes A and
 * B and the witness W, each with its own clock (rates off by up to 300
 * ppm), a network that delays messages (some by several timeouts), loses
 * them on cut links (also one way only), and nodes killed and restarted.
 * A mirror is modelled by a write counter per node: a node that serves
 * writes one each tick, which reaches the peer only while the data link
 * (the kernel's, which may fail apart from the heartbeat's) is up and the
 * peer in sync; a primary resyncs a peer that lags once they are
 * connected.  Checked at every tick of real time:
 *   - never two nodes serving;
 *   - a node that serves holds every acknowledged write;
 * and, in the scripted cases, what must happen (a failover, or none) and
 * how soon.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "../../userland/lib/quorum.h"

#define TICK		5	/* ms of real time per step */
#define MAXQ		8192

struct sim {
	struct cairn_q_timing t;
	struct cairn_q_node n[2];
	struct cairn_q_witness w;
	bool alive[3];
	bool link[3][3];	/* [from][to] delivers */
	bool dlink;		/* the mirror's data link between A and B */
	uint32_t slow_vote;	/* ms more on every VOTE */
	/*
	 * The mirror does not see that the peer became primary (it would
	 * refuse the link): only the leases keep two primaries apart.
	 */
	bool blind;
	int64_t ppm[3];		/* clock rate error */
	uint64_t off[3];
	uint64_t real;
	struct {
		struct cairn_q_msg m;
		uint64_t at;
	} q[MAXQ];
	unsigned int nq;
	unsigned int late_pct;	/* messages delayed by up to 3 timeouts */
	unsigned int seed;
	uint64_t ver[2], acked;
	uint64_t resync_at[2];	/* a resync of the node ends then (0: none) */
	unsigned int violations;
	uint64_t writes;
};

static unsigned int rnd(struct sim *s)
{
	s->seed = s->seed * 1103515245u + 12345u;
	return (s->seed >> 8) & 0xffffff;
}

static uint64_t clk(const struct sim *s, int i)
{
	return s->off[i] + s->real + (int64_t)s->real * s->ppm[i] / 1000000;
}

static void send(struct sim *s, const struct cairn_q_msg *m)
{
	uint64_t d = 1 + rnd(s) % 20;

	if (s->late_pct && rnd(s) % 100 < s->late_pct)
		d = rnd(s) % (3 * s->t.timeout);
	if (m->type == CAIRN_QM_VOTE)
		d += s->slow_vote;
	if (s->nq == MAXQ)
		return;		/* a full network loses it */
	s->q[s->nq].m = *m;
	s->q[s->nq].at = s->real + d;
	s->nq++;
}

static void sim_init(struct sim *s, unsigned int seed)
{
	bool none[2] = { false, false };
	int i, j;

	memset(s, 0, sizeof(*s));
	s->seed = seed;
	s->t.interval = 200;
	s->t.timeout = 1000;
	s->dlink = true;
	for (i = 0; i < 3; i++) {
		s->alive[i] = true;
		s->ppm[i] = (int64_t)(rnd(s) % 601) - 300;
		s->off[i] = 100000 + rnd(s) % 100000;
		for (j = 0; j < 3; j++)
			s->link[i][j] = true;
	}
	cairn_q_node_init(&s->n[0], &s->t, CAIRN_Q_A, true, clk(s, 0));
	cairn_q_node_init(&s->n[1], &s->t, CAIRN_Q_B, false, clk(s, 1));
	cairn_q_witness_init(&s->w, &s->t, none, clk(s, 2));
}

/* Cut or heal a network link, both ways (between A and B: both links). */
static void cut(struct sim *s, int a, int b, bool up)
{
	s->link[a][b] = up;
	s->link[b][a] = up;
	if (a + b == CAIRN_Q_A + CAIRN_Q_B)
		s->dlink = up;
}

static void kill_node(struct sim *s, int i)
{
	s->alive[i] = false;
	if (i < 2)
		s->resync_at[i] = 0;
}

static void restart(struct sim *s, int i)
{
	bool kept[2];

	s->alive[i] = true;
	memcpy(kept, s->w.outdated, sizeof(kept));	/* on its disk */
	if (i == CAIRN_Q_W)
		cairn_q_witness_init(&s->w, &s->t, kept, clk(s, i));
	else
		cairn_q_node_init(&s->n[i], &s->t, i, false, clk(s, i));
}

static bool serving(struct sim *s, int i)
{
	return s->alive[i] && cairn_q_node_serving(&s->n[i], clk(s, i));
}

static bool primaryish(const struct cairn_q_node *n)
{
	return n->state == CAIRN_QS_PRIMARY || n->state == CAIRN_QS_FENCED;
}

/* The mirror: who may be in sync, resyncs, and the writes of this tick. */
static void mirror_step(struct sim *s)
{
	int i, p;

	for (i = 0; i < 2; i++) {
		p = 1 - i;
		if (s->resync_at[i] && s->real >= s->resync_at[i]) {
			s->resync_at[i] = 0;
			if (s->alive[i] && s->alive[p] && s->dlink &&
			    s->ver[i] != s->ver[p])
				s->ver[i] = s->ver[p];
		}
		s->n[i].data_ok = !s->resync_at[i];
	}
	for (p = 0; p < 2; p++) {
		i = 1 - p;
		s->n[p].in_sync = s->alive[p] && s->alive[i] && s->dlink &&
				  (s->blind || !primaryish(&s->n[i])) &&
				  !s->resync_at[i] && s->ver[i] == s->ver[p];
		/* A primary resyncs a connected peer that lags. */
		if (serving(s, p) && s->alive[i] && s->dlink &&
		    !primaryish(&s->n[i]) &&
		    s->ver[i] != s->ver[p] && !s->resync_at[i])
			s->resync_at[i] = s->real + 50;
	}
	for (p = 0; p < 2; p++) {
		if (!serving(s, p))
			continue;
		if (s->ver[p] != s->acked) {
			s->violations++;
			fprintf(stderr,
				"seed %u t=%llu: %c serves without acknowledged writes (%llu of %llu)\n",
				s->seed, (unsigned long long)s->real, 'A' + p,
				(unsigned long long)s->ver[p],
				(unsigned long long)s->acked);
			s->ver[p] = s->acked;	/* report it once */
		}
		s->ver[p]++;
		if (s->n[p].in_sync)
			s->ver[1 - p] = s->ver[p];
		s->acked = s->ver[p];
		s->writes++;
	}
}

static void step(struct sim *s)
{
	struct cairn_q_msg out[3];
	unsigned int i, k, j;
	int who;

	s->real += TICK;
	mirror_step(s);
	if (serving(s, 0) && serving(s, 1)) {
		s->violations++;
		fprintf(stderr, "seed %u t=%llu: two primaries\n", s->seed,
			(unsigned long long)s->real);
	}
	for (who = 0; who < 2; who++) {
		if (!s->alive[who])
			continue;
		k = cairn_q_node_tick(&s->n[who], clk(s, who), out);
		for (j = 0; j < k; j++)
			send(s, &out[j]);
	}
	for (i = 0; i < s->nq;) {
		struct cairn_q_msg m;

		if (s->q[i].at > s->real) {
			i++;
			continue;
		}
		m = s->q[i].m;
		s->q[i] = s->q[--s->nq];
		if (!s->alive[m.to] || !s->link[m.from][m.to])
			continue;
		if (m.to == CAIRN_Q_W)
			k = cairn_q_witness_recv(&s->w, clk(s, 2), &m, out);
		else
			k = cairn_q_node_recv(&s->n[m.to], clk(s, m.to), &m, out);
		for (j = 0; j < k; j++)
			send(s, &out[j]);
	}
}

/* Run until real time @until; returns the ms of it that @who served. */
static uint64_t run(struct sim *s, uint64_t until, int who)
{
	uint64_t served = 0;

	while (s->real < until) {
		step(s);
		if (who >= 0 && serving(s, who))
			served += TICK;
	}
	return served;
}

/* The first real time (up to @until) at which @who serves, or 0. */
static uint64_t run_until_serving(struct sim *s, uint64_t until, int who)
{
	while (s->real < until) {
		step(s);
		if (serving(s, who))
			return s->real;
	}
	return 0;
}

static void scripted(void)
{
	struct sim *s = calloc(1, sizeof(*s));
	uint64_t t;

	/* Start: A takes its lease, serves; B does not. */
	sim_init(s, 1);
	t = run_until_serving(s, 2000, 0);
	CHECK(t && t <= 1500);
	CHECK_EQ(run(s, 5000, 1), 0);
	CHECK(serving(s, 0));
	CHECK_EQ(s->ver[1], s->ver[0]);		/* B has every write */

	/* A dies: B takes over within timeout + wait + a few pings. */
	kill_node(s, CAIRN_Q_A);
	t = run_until_serving(s, 10000, 1);
	printf("failover after A's death: %llu ms (timeout %u ms)\n",
	       (unsigned long long)(t - 5000), s->t.timeout);
	CHECK(t && t - 5000 <= 3 * s->t.timeout);
	CHECK(s->w.outdated[CAIRN_Q_A]);	/* B wrote alone */
	/* A returns: secondary, resynced, up to date at the witness again. */
	restart(s, CAIRN_Q_A);
	CHECK_EQ(run(s, 16000, 0), 0);
	CHECK(serving(s, 1));
	CHECK_EQ(s->ver[0], s->ver[1]);
	CHECK(!s->w.outdated[CAIRN_Q_A]);
	CHECK_EQ(s->violations, 0);

	/* The witness dies alone: nothing fails over, A never pauses. */
	sim_init(s, 2);
	run(s, 5000, -1);
	kill_node(s, CAIRN_Q_W);
	CHECK_EQ(run(s, 15000, 0), 10000);
	CHECK(s->n[1].state == CAIRN_QS_SECONDARY);
	restart(s, CAIRN_Q_W);
	CHECK_EQ(run(s, 20000, 0), 5000);
	CHECK_EQ(s->violations, 0);

	/* A cut off from B and W: A fences itself, B takes over. */
	sim_init(s, 3);
	run(s, 5000, -1);
	cut(s, CAIRN_Q_A, CAIRN_Q_B, false);
	cut(s, CAIRN_Q_A, CAIRN_Q_W, false);
	run(s, 5000 + s->t.timeout + 10, -1);
	CHECK(!serving(s, 0));
	t = run_until_serving(s, 12000, 1);
	CHECK(t && t - 5000 <= 3 * s->t.timeout);
	/* Healed: A learns it is not primary; still one serving. */
	cut(s, CAIRN_Q_A, CAIRN_Q_B, true);
	cut(s, CAIRN_Q_A, CAIRN_Q_W, true);
	CHECK_EQ(run(s, 20000, 0), 0);
	CHECK(s->n[0].state == CAIRN_QS_SECONDARY);
	CHECK_EQ(s->ver[0], s->ver[1]);
	CHECK_EQ(s->violations, 0);

	/*
	 * B cut off from A and W: A goes on (once B is outdated), B never
	 * serves; and with A dead too, B still does not: it lacks writes.
	 */
	sim_init(s, 4);
	run(s, 5000, -1);
	cut(s, CAIRN_Q_B, CAIRN_Q_A, false);
	cut(s, CAIRN_Q_B, CAIRN_Q_W, false);
	t = run(s, 10000, 0);
	printf("A's pause while B is outdated: %llu ms\n",
	       (unsigned long long)(5000 - t));
	CHECK(t >= 5000 - 3 * s->t.timeout);
	CHECK(s->w.outdated[CAIRN_Q_B]);
	kill_node(s, CAIRN_Q_A);
	cut(s, CAIRN_Q_B, CAIRN_Q_W, true);
	CHECK_EQ(run(s, 20000, 1), 0);
	CHECK_EQ(s->violations, 0);

	/*
	 * Only the link between A and B fails: nothing fails over; healed,
	 * B is resynced and up to date, and takes over when A dies later.
	 */
	sim_init(s, 5);
	run(s, 5000, -1);
	cut(s, CAIRN_Q_A, CAIRN_Q_B, false);
	CHECK_EQ(run(s, 8000, 1), 0);
	CHECK(s->n[1].state != CAIRN_QS_PRIMARY);
	cut(s, CAIRN_Q_A, CAIRN_Q_B, true);
	run(s, 12000, -1);
	CHECK(serving(s, 0));
	CHECK(s->n[1].state == CAIRN_QS_SECONDARY);
	CHECK_EQ(s->ver[1], s->ver[0]);
	CHECK(!s->w.outdated[CAIRN_Q_B]);
	kill_node(s, CAIRN_Q_A);
	t = run_until_serving(s, 20000, 1);
	CHECK(t && t - 12000 <= 3 * s->t.timeout);
	CHECK_EQ(s->violations, 0);

	/*
	 * The edges of the leases, with the data link up (B in sync, never
	 * outdated).  B hears nothing from A (one way) and A is then cut off
	 * from W: W may vote for B only once A's lease from W ran out.
	 */
	sim_init(s, 6);
	s->blind = true;
	run(s, 5000, -1);
	s->link[CAIRN_Q_A][CAIRN_Q_B] = false;
	while (s->n[1].state != CAIRN_QS_CANDIDATE && s->real < 8000)
		step(s);
	while (s->n[1].state == CAIRN_QS_CANDIDATE && s->real < 8000)
		step(s);
	CHECK(serving(s, 0));		/* W denied B: it holds A */
	t = s->real;			/* B votes again in about timeout */
	cut(s, CAIRN_Q_A, CAIRN_Q_W, false);
	t = run_until_serving(s, 12000, 1) - t;
	CHECK(t <= 3 * s->t.timeout);
	CHECK_EQ(s->violations, 0);

	/*
	 * A cut off from W, and its pings lost to B for a while (the data
	 * link up): B, a candidate, grants no lease even when A's pings come
	 * back, so A fences itself before W votes for B.
	 */
	sim_init(s, 7);
	s->blind = true;
	run(s, 5000, -1);
	cut(s, CAIRN_Q_A, CAIRN_Q_W, false);
	s->link[CAIRN_Q_A][CAIRN_Q_B] = false;
	s->slow_vote = 1500;		/* B's vote arrives late */
	while (s->n[1].state != CAIRN_QS_CANDIDATE && s->real < 8000)
		step(s);
	run(s, s->real + 400, -1);
	CHECK(s->n[1].vote_stamp != 0);
	s->link[CAIRN_Q_A][CAIRN_Q_B] = true;
	t = run_until_serving(s, 12000, 1);
	CHECK(t != 0);
	CHECK(!serving(s, 0));
	CHECK_EQ(s->violations, 0);

	/*
	 * B's vote (A's pings lost to B, the data link up) arrives late at
	 * W, shortly after W's last lease to A: W must still refuse it.
	 */
	sim_init(s, 8);
	s->blind = true;
	s->slow_vote = 1500;
	run(s, 5000, -1);
	s->link[CAIRN_Q_A][CAIRN_Q_B] = false;
	while (!s->n[1].vote_stamp && s->real < 8000)
		step(s);
	run(s, s->real + 900, -1);
	cut(s, CAIRN_Q_A, CAIRN_Q_W, false);	/* the vote lands 600 ms later */
	t = s->real;
	t = run_until_serving(s, 15000, 1) - t;
	CHECK(t < 5 * s->t.timeout);
	CHECK_EQ(s->violations, 0);

	/*
	 * A outdates B (the data link down) and W takes it, but W's answers
	 * never reach A (that one way cut).  Once B is in sync again and W
	 * is heard, A clears the flag all the same, and B can take over when
	 * A dies.  (It used to stay set: A sent UPTODATE only after an
	 * answer to its OUTDATE, and B was never voted for again.)
	 */
	sim_init(s, 9);
	run(s, 5000, -1);
	s->link[CAIRN_Q_W][CAIRN_Q_A] = false;
	s->dlink = false;
	run(s, 7000, -1);
	CHECK(s->w.outdated[CAIRN_Q_B]);
	CHECK(!s->n[0].alone_ok);
	s->dlink = true;
	run(s, 8000, -1);
	CHECK(s->n[0].in_sync);
	s->link[CAIRN_Q_W][CAIRN_Q_A] = true;
	run(s, 9000, -1);
	CHECK(!s->w.outdated[CAIRN_Q_B]);
	kill_node(s, CAIRN_Q_A);
	t = run_until_serving(s, 15000, 1);
	CHECK(t && t - 9000 <= 3 * s->t.timeout);
	CHECK_EQ(s->violations, 0);
	free(s);
}

/* Random cuts (both ways and one way), deaths, restarts and late messages. */
/* A planned switch-over on @i (its volume demoted first): RELEASE sent. */
static bool release(struct sim *s, int i)
{
	struct cairn_q_msg out[2];
	unsigned int k, j;

	if (!s->alive[i])
		return false;
	k = cairn_q_node_release(&s->n[i], clk(s, i), out);
	for (j = 0; j < k; j++)
		send(s, &out[j]);
	return k;
}

/*
 * Switch-over and election: the primary steps down and the peer serves
 * at once, the old one never again meanwhile; with the RELEASE lost, the
 * peer takes over as after a failure; two secondaries (a cold start of
 * both) elect one; a peer that can not take over leaves the old primary
 * elected again -- never nobody for good.
 */
static void switchover(void)
{
	struct sim *s = calloc(1, sizeof(*s));
	uint64_t t, t0;

	sim_init(s, 7);
	CHECK(run_until_serving(s, 2000, 0));
	run(s, 4000, -1);
	t0 = s->real;
	CHECK(release(s, 0));
	t = run_until_serving(s, t0 + 5000, 1);
	printf("switch-over: B serves %llu ms after A stepped down\n",
	       (unsigned long long)(t - t0));
	CHECK(t && t - t0 <= 3 * s->t.interval);
	CHECK_EQ(run(s, t + 10000, 0), 0);	/* A is not elected back */
	CHECK(serving(s, 1));
	CHECK_EQ(s->violations, 0);

	/* The RELEASE lost: B takes over once no primary is heard. */
	sim_init(s, 8);
	CHECK(run_until_serving(s, 2000, 0));
	run(s, 4000, -1);
	t0 = s->real;
	{
		struct cairn_q_msg out[2];

		CHECK_EQ(cairn_q_node_release(&s->n[0], clk(s, 0), out), 2);
	}
	t = run_until_serving(s, t0 + 10000, 1);
	printf("switch-over, RELEASE lost: B serves after %llu ms\n",
	       (unsigned long long)(t - t0));
	CHECK(t && t - t0 <= 4 * s->t.timeout);
	CHECK_EQ(s->violations, 0);

	/* Both start secondary: one is elected. */
	sim_init(s, 9);
	restart(s, 0);
	restart(s, 1);
	t0 = s->real;
	run(s, t0 + 6000, -1);
	CHECK(serving(s, 0) != serving(s, 1));
	CHECK_EQ(s->violations, 0);

	/* B can not take over (resyncing): A is elected again. */
	sim_init(s, 10);
	CHECK(run_until_serving(s, 2000, 0));
	run(s, 4000, -1);
	s->resync_at[1] = s->real + 60000;	/* B's data stays inconsistent */
	CHECK(release(s, 0));
	t = run_until_serving(s, s->real + 10000, 0);
	CHECK(t);
	CHECK(!serving(s, 1));
	CHECK_EQ(s->violations, 0);
	free(s);
}

static void randomized(unsigned int runs)
{
	struct sim *s = calloc(1, sizeof(*s));
	unsigned int r, bad = 0, failovers = 0, last;
	uint64_t writes = 0;

	for (r = 0; r < runs; r++) {
		sim_init(s, 1000 + r);
		s->late_pct = 2;
		s->blind = r & 1;
		last = 0;
		while (s->real < 60000) {
			unsigned int e = rnd(s) % 100, a = rnd(s) % 3, b;

			run(s, s->real + 250, -1);
			b = (a + 1 + rnd(s) % 2) % 3;
			if (e < 8) {
				cut(s, a, b, !s->link[a][b]);
			} else if (e < 14) {
				s->link[a][b] = !s->link[a][b];
			} else if (e < 17 && s->alive[a]) {
				kill_node(s, a);
			} else if (e < 33 && !s->alive[a]) {
				restart(s, a);
			} else if (e < 40) {
				s->dlink = !s->dlink;
			} else if (e < 43) {	/* heal everything */
				memset(s->link, 1, sizeof(s->link));
				s->dlink = true;
			} else if (e < 46) {	/* a switch-over */
				release(s, a % 2);
			}
			if (serving(s, 1) && last == 0)
				failovers++;
			last = serving(s, 1);
		}
		/* Healed and all up: somebody serves, never nobody for good. */
		memset(s->link, 1, sizeof(s->link));
		s->dlink = true;
		for (last = 0; last < 3; last++)
			if (!s->alive[last])
				restart(s, last);
		run(s, s->real + 15000, -1);
		if (!serving(s, 0) && !serving(s, 1)) {
			fprintf(stderr, "run %u: healed, nobody serves: A %s, B %s, W holds %d\n",
				r, cairn_q_state_name(s->n[0].state),
				cairn_q_state_name(s->n[1].state), s->w.holder);
			s->violations++;
		}
		bad += s->violations;
		writes += s->writes;
	}
	printf("random: %u runs of 60 s, %llu writes, %u failovers to B, %u violations\n",
	       runs, (unsigned long long)writes, failovers, bad);
	CHECK_EQ(bad, 0);
	CHECK(writes > 0);
	CHECK(failovers > 0);
	free(s);
}

/* The heartbeat's datagrams (hb.c): round trip, tampering, truncation. */
static void wire(void)
{
	static const uint8_t key[] = "a-shared-secret-of-the-pair";
	static const uint8_t other[] = "another-secret-of-some-pair";
	uint8_t buf[CAIRN_HB_MAX], bad[CAIRN_HB_MAX];
	struct cairn_hb h = { 0 }, out;
	char sender[CAIRN_HB_NAME];
	int len, i;

	h.m.type = CAIRN_QM_PONG;
	h.m.from = CAIRN_Q_W;
	h.m.to = CAIRN_Q_B;
	h.m.lease = 1;
	h.m.holder = CAIRN_Q_B;
	h.m.subject = CAIRN_Q_NONE;
	h.m.stamp = 0x0102030405060708ULL;
	h.interval = 500;
	h.timeout = 3000;
	memset(h.uuid, 0xab, 16);
	strcpy(h.sender, "witness");
	strcpy(h.node[0], "node-a");
	strcpy(h.node[1], "node-b");
	len = cairn_hb_encode(&h, key, sizeof(key), buf);
	CHECK(len > 0 && len <= CAIRN_HB_MAX);
	CHECK_EQ(cairn_hb_sender(buf, len, sender), 0);
	CHECK(!strcmp(sender, "witness"));
	CHECK_EQ(cairn_hb_decode(buf, len, key, sizeof(key), &out), 0);
	CHECK(!memcmp(&out.m, &h.m, sizeof(h.m)));
	CHECK(out.interval == 500 && out.timeout == 3000);
	CHECK(!memcmp(out.uuid, h.uuid, 16));
	CHECK(!strcmp(out.node[0], "node-a") && !strcmp(out.node[1], "node-b"));
	/* Another secret: refused. */
	CHECK_EQ(cairn_hb_decode(buf, len, other, sizeof(other), &out), -EACCES);
	/* Any byte changed: refused (the framing, or the MAC). */
	for (i = 0; i < len; i++) {
		memcpy(bad, buf, len);
		bad[i] ^= 0x20;
		CHECK(cairn_hb_decode(bad, len, key, sizeof(key), &out) < 0);
	}
	/* Cut short, or with a byte more: refused. */
	for (i = 0; i < len; i++)
		CHECK(cairn_hb_decode(buf, i, key, sizeof(key), &out) < 0);
	buf[len] = 0;
	CHECK(cairn_hb_decode(buf, len + 1, key, sizeof(key), &out) < 0);
	/* The longest name goes through; an empty one is not sent. */
	memset(h.sender, 'x', CAIRN_HB_NAME - 1);
	h.sender[CAIRN_HB_NAME - 1] = '\0';
	len = cairn_hb_encode(&h, key, sizeof(key), buf);
	CHECK(len > 0 && len <= CAIRN_HB_MAX);
	CHECK_EQ(cairn_hb_decode(buf, len, key, sizeof(key), &out), 0);
	CHECK_EQ(strlen(out.sender), CAIRN_HB_NAME - 1);
	h.sender[0] = '\0';
	CHECK_EQ(cairn_hb_encode(&h, key, sizeof(key), buf), -EINVAL);
}

/*
 * A clock read before the node's state was made (cairnd read it before its
 * volume scan): a tick at a time before the node's start is no silence,
 * and a node that just started secondary next to a pinging primary stays
 * secondary (issue 28, item 12: it became a candidate at once).
 */
static void early_clock(void)
{
	struct cairn_q_timing t = { .interval = 200, .timeout = 1000 };
	struct cairn_q_msg out[3];
	struct cairn_q_node n;

	cairn_q_node_init(&n, &t, CAIRN_Q_B, false, 100000);
	cairn_q_node_tick(&n, 99990, out);
	CHECK_EQ(n.state, CAIRN_QS_SECONDARY);
	cairn_q_node_tick(&n, 100500, out);
	CHECK_EQ(n.state, CAIRN_QS_SECONDARY);
	cairn_q_node_tick(&n, 101001, out);	/* silent for the timeout */
	CHECK_EQ(n.state, CAIRN_QS_CANDIDATE);
}

int main(void)
{
	early_clock();
	switchover();
	scripted();
	/* QUORUM_RUNS=N: more seeds, by hand. */
	randomized(getenv("QUORUM_RUNS") ? atoi(getenv("QUORUM_RUNS")) : 300);
	wire();
	return unit_finish("quorum");
}
