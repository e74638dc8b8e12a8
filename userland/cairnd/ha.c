// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cairnd: high availability - the heartbeat, the witness and automatic
 * failover of mirrored volumes.
 *
 * The protocol is libcairn's quorum.c (its top says why two primaries are
 * impossible); this file runs it over UDP and makes the kernel and LIO do
 * what it decides.  The configuration's "ha" names the witness (one of the
 * peers) and the heartbeat's interval and timeout.
 *
 * Transport
 * ---------
 * One UDP socket on cairnd's peer port (the TCP listener's number).  Each
 * mirrored volume whose peer is configured has its own quorum node: its
 * pings go to the peer over the replication network (the peer's address)
 * and to the witness (a second path), every interval.  Datagrams are
 * authenticated with HMAC-SHA256 under the secret the two ends share (the
 * peers' secret files: hb.c); one that fails is dropped and counted.
 * Nodes send to the configured addresses; the witness answers where a
 * datagram came from.  Every datagram carries its sender's interval and
 * timeout: a node ignores a peer whose timeout differs from its own (a
 * lease must never outlast its giver's wait), and the witness waits the
 * longest timeout either node of a pair uses.  Stamps are this process's clock: CLOCK_MONOTONIC
 * plus the wall clock at start, so that they grow across a restart (the
 * witness ignores votes older than the newest it saw).
 *
 * Driving the kernel (node role)
 * ------------------------------
 * After every tick and every message the volume's quorum state is applied:
 *
 *   primary    the lease's end (less HA_MARGIN_MS, on CLOCK_MONOTONIC, which
 *              the kernel reads when it takes the request: a cairnd
 *              delayed between deciding and asking gains nothing) goes to
 *              the kernel with MIRROR_QUORUM before anything else, so the
 *              kernel stops serving no later than the protocol says; a
 *              volume the kernel has as secondary is promoted after that
 *              (a failover: a link that still shows the old primary is
 *              dropped first, its lease is over); ALONE follows the
 *              witness's OUTDATED.
 *   fenced     the kernel's lease runs out by itself (all I/O fails); a
 *              primary the kernel serves without any lease (HA was just
 *              turned on) gets one that has lapsed already, so that it
 *              serves only once a lease has been granted.  (At boot the kernel brings
 *              every mirrored volume back secondary: the quorum elects.)
 *   secondary, candidate
 *              a volume the kernel has as primary is demoted (the peer or
 *              the witness said the peer is primary).
 *
 * LIO follows (cairn_alua_set(), for the targets both nodes serve): the
 * primary's target port group active/optimized and the other standby;
 * both unavailable on a fenced node.  After a reload they are set again.
 *
 * UPTODATE (the peer is in sync again: the witness may vote for it) is
 * sent only after the kernel was told ALONE 0 and a fresh look at the
 * kernel still shows the peer in sync: a write acknowledged alone in
 * between would otherwise be lost to a peer the witness trusts again.
 *
 * Every change of quorum state is logged with its reason and runs the
 * hooks of "quorum-<state>" (CAIRN_REASON says why); a promotion by the
 * witness's vote is also "failover".  The state of every volume is
 * written to cairn_ha_status_path() (JSON) for cairnctl.
 *
 * Witness role (cairnd --witness)
 * --------------------------------
 * Answers the nodes of any pair that authenticates as two of its peers.
 * Its per-volume outdated flags are kept in a JSON file, written (fsync,
 * rename) before OUTDATED is answered, and read back at start.
 *
 * Threads: one, this file's; it reads the configuration under
 * rcu_read_lock() only to copy it (at start and after ha_reload()).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <json-c/json.h>
#include <urcu.h>

#include "cairnd.h"
#include "quorum.h"
#include "uapi/cairn_nl.h"

#define HA_MAX_VOLS	256
#define HA_MAX_PEERS	32
#define HA_SCAN_MS	50	/* the kernel's mirror state, at most this often */
#define HA_MARGIN_MS	5	/* the kernel's lease ends this much earlier */
#define HA_STATUS_MS	1000
#define HA_RETRY_MS	1000	/* a kernel action that failed */
#define HA_ALUA_RETRY_MS 2000	/* a volume not exported by both nodes */

struct hpeer {
	char name[CAIRN_NAME_LEN];
	struct sockaddr_in6 sa;		/* v4 mapped for IPv4 */
	bool resolved;
	uint8_t key[CAIRN_SECRET_MAX];
	int keylen;			/* < 0: the secret could not be read */
};

/* What LIO was told of a volume's paired targets (cairn_alua_set()). */
enum ha_alua { ALUA_UNKNOWN, ALUA_SELF, ALUA_PEER, ALUA_NONE };

struct hvol {
	char pool[CAIRN_NAME_LEN];
	char name[CAIRN_NAME_LEN];
	char peer[CAIRN_NAME_LEN];
	uint8_t uuid[16];
	char node[2][CAIRN_NAME_LEN];	/* A, B */
	struct cairn_q_node q;
	struct cairn_volume_desc d;	/* the kernel's, last seen */
	bool present;
	enum cairn_q_state shown;	/* the state last reported */
	uint64_t since;			/* ... since then (wall clock, ms) */
	uint64_t pushed_until;		/* the lease the kernel was given */
	enum ha_alua alua;
	uint64_t alua_retry;		/* no look at the exports before */
	uint64_t retry;			/* no kernel action before */
	uint64_t failover_at;		/* wall clock, ms; 0 = never */
	bool promoted;			/* the kernel was primary in this term */
	unsigned long rx_peer, rx_witness, tx;	/* datagrams */
	char failover_why[160];
};

struct wvol {
	uint8_t uuid[16];
	char node[2][CAIRN_NAME_LEN];
	struct cairn_q_witness w;
};

static struct {
	pthread_t thread;
	bool started, witness;
	int stop_fd;
	bool reload;			/* atomic */
	const char *state_path;		/* the witness's flags */
	/* The thread's own, after the last reload. */
	char self[CAIRN_NAME_LEN];
	char wname[CAIRN_NAME_LEN];	/* the witness, "" = HA off */
	struct cairn_q_timing t;
	unsigned int port;
	unsigned int nr_peers;
	struct hpeer peers[HA_MAX_PEERS];
	unsigned int nr_vols;
	struct hvol vols[HA_MAX_VOLS];
	unsigned int nr_wvols;
	struct wvol wvols[HA_MAX_VOLS];
	int fd;
	struct cairn_nl *nl;
	uint64_t base;			/* wall clock - monotonic, ms */
	uint64_t next_scan, next_status;
	unsigned long bad_mac, bad_dgram, bad_timing;
	bool status_dirty;
} ha = { .stop_fd = -1, .fd = -1 };

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The protocol's clock. */
static uint64_t hb_now(void)
{
	return ha.base + mono_ms();
}

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- configuration ---- */

static struct hpeer *peer_by_name(const char *name)
{
	unsigned int i;

	for (i = 0; i < ha.nr_peers; i++)
		if (!strcmp(ha.peers[i].name, name))
			return &ha.peers[i];
	return NULL;
}

static void peer_resolve(struct hpeer *hp, const char *address,
			 unsigned int port)
{
	struct addrinfo hints = {
		.ai_family = AF_INET6,
		.ai_socktype = SOCK_DGRAM,
		.ai_flags = AI_V4MAPPED | AI_ALL,
	};
	struct addrinfo *res;
	char sport[8];
	int r;

	snprintf(sport, sizeof(sport), "%u", port);
	r = getaddrinfo(address, sport, &hints, &res);
	if (r) {
		syslog(LOG_ERR, "heartbeat: peer %s: address %s: %s", hp->name,
		       address, gai_strerror(r));
		return;
	}
	memcpy(&hp->sa, res->ai_addr, sizeof(hp->sa));
	hp->resolved = true;
	freeaddrinfo(res);
}

/* Copy what the thread needs from the configuration. */
static void ha_load(void)
{
	struct cairn_config *cfg;
	struct cairn_cfg_peer copy[HA_MAX_PEERS];
	uint32_t interval = 0, timeout = 0;
	unsigned int i, n = 0;
	const char *why = NULL;
	char err[400];

	memset(copy, 0, sizeof(copy));
	rcu_read_lock();
	cfg = rcu_dereference(cfg_rcu);
	if (cfg) {
		cairn_config_node(cfg, ha.self, sizeof(ha.self));
		snprintf(ha.wname, sizeof(ha.wname), "%s", cfg->ha.witness);
		why = cairn_config_ha_check(&cfg->ha, &interval, &timeout);
		n = cfg->nr_peers < HA_MAX_PEERS ? cfg->nr_peers : HA_MAX_PEERS;
		memcpy(copy, cfg->peers, n * sizeof(*copy));
		ha.port = cairn_config_port(cfg);
	}
	rcu_read_unlock();
	if (why) {
		syslog(LOG_ERR, "heartbeat: %s; automatic failover is off", why);
		ha.wname[0] = '\0';
	}
	ha.t.interval = interval;
	ha.t.timeout = timeout;
	ha.nr_peers = n;
	for (i = 0; i < n; i++) {
		struct hpeer *hp = &ha.peers[i];

		memset(hp, 0, sizeof(*hp));
		memcpy(hp->name, copy[i].name, sizeof(hp->name));
		hp->keylen = cairn_secret_load(copy[i].secret_file, hp->key, err,
					       sizeof(err));
		if (hp->keylen < 0)
			syslog(LOG_ERR, "heartbeat: peer %s: %s", hp->name, err);
		peer_resolve(hp, copy[i].address, copy[i].port);
	}
	if (!ha.witness && ha.wname[0] && !peer_by_name(ha.wname)) {
		syslog(LOG_ERR, "heartbeat: the witness %s is not a peer", ha.wname);
		ha.wname[0] = '\0';
	}
	for (i = 0; i < ha.nr_vols; i++) {
		ha.vols[i].q.t = ha.t;
		ha.vols[i].alua = ALUA_UNKNOWN;	/* exports may have changed */
		ha.vols[i].alua_retry = 0;
	}
}

/* ---- sending ---- */

static void hb_send(struct hpeer *hp, const struct sockaddr_in6 *to,
		    const uint8_t *uuid, const char (*node)[CAIRN_NAME_LEN],
		    const struct cairn_q_msg *m)
{
	uint8_t buf[CAIRN_HB_MAX];
	struct cairn_hb h;
	int len;

	if (!hp || hp->keylen < 0 || (!to && !hp->resolved))
		return;
	memset(&h, 0, sizeof(h));
	h.m = *m;
	memcpy(h.uuid, uuid, 16);
	snprintf(h.sender, sizeof(h.sender), "%.64s", ha.self);
	snprintf(h.node[0], sizeof(h.node[0]), "%s", node[0]);
	snprintf(h.node[1], sizeof(h.node[1]), "%s", node[1]);
	h.interval = ha.t.interval;
	h.timeout = ha.t.timeout;
	len = cairn_hb_encode(&h, hp->key, hp->keylen, buf);
	if (len < 0)
		return;
	/* Lost datagrams are the protocol's business, not an error. */
	sendto(ha.fd, buf, len, MSG_DONTWAIT, (const struct sockaddr *)
	       (to ? to : &hp->sa), sizeof(struct sockaddr_in6));
}

static void node_send(struct hvol *v, const struct cairn_q_msg *m)
{
	struct hpeer *hp = peer_by_name(m->to == CAIRN_Q_W ? ha.wname : v->peer);

	v->tx++;
	hb_send(hp, NULL, v->uuid, (const char (*)[CAIRN_NAME_LEN])v->node, m);
}

/* ---- the node: kernel, LIO, log ---- */

static void ha_event(const struct hvol *v, const char *event, const char *why)
{
	cairnd_event(v->pool, v->name, event, why);
}

static bool peer_in_sync(const struct cairn_volume_desc *d)
{
	return d->mirror.link == CAIRN_LINK_CONNECTED && !d->mirror.oos &&
	       d->mirror.peer_disk == CAIRN_MDISK_CONSISTENT &&
	       d->mirror.peer_role == CAIRN_ROLE_SECONDARY;
}

static void state_report(struct hvol *v)
{
	enum cairn_q_state s = v->q.state;
	char ev[32];

	if (s == v->shown)
		return;
	/* A secondary asking in vain while the link is cut: every timeout. */
	syslog((s == CAIRN_QS_CANDIDATE || s == CAIRN_QS_SECONDARY) &&
	       (v->shown == CAIRN_QS_CANDIDATE || v->shown == CAIRN_QS_SECONDARY) ?
	       LOG_INFO : s == CAIRN_QS_PRIMARY || s == CAIRN_QS_SECONDARY ?
	       LOG_NOTICE : LOG_WARNING, "volume %s/%s: quorum %s -> %s: %s",
	       v->pool, v->name, cairn_q_state_name(v->shown),
	       cairn_q_state_name(s), v->q.why);
	if (s == CAIRN_QS_PRIMARY && v->shown == CAIRN_QS_CANDIDATE) {
		v->failover_at = wall_ms();
		snprintf(v->failover_why, sizeof(v->failover_why),
			 "took over from %s: %s", v->peer, v->q.why);
		syslog(LOG_WARNING, "volume %s/%s: failover: this node takes over from %s",
		       v->pool, v->name, v->peer);
		ha_event(v, "failover", v->failover_why);
	}
	snprintf(ev, sizeof(ev), "quorum-%s", cairn_q_state_name(s));
	ha_event(v, ev, v->q.why);
	v->shown = s;
	v->since = wall_ms();
	ha.status_dirty = true;
}

static bool nl_ready(void)
{
	if (!ha.nl && cairn_nl_open(&ha.nl))
		ha.nl = NULL;
	return ha.nl;
}

static const char *nl_why(int r)
{
	const char *m = ha.nl ? cairn_nl_error(ha.nl) : NULL;

	return m && *m ? m : strerror(r < 0 ? -r : r);
}

/*
 * The lease (and ALONE) to the kernel, as its end on CLOCK_MONOTONIC (the
 * protocol's clock less ha.base), HA_MARGIN_MS early; 0 or -errno.
 */
static int push_lease(struct hvol *v)
{
	uint64_t end = v->q.lease_until - ha.base - HA_MARGIN_MS;
	int r;

	r = cairn_nl_mirror_quorum_until(ha.nl, v->pool, v->name,
					 end * 1000000, v->q.alone_ok, &v->d);
	if (r) {
		syslog(LOG_ERR, "volume %s/%s: giving the kernel its lease: %s",
		       v->pool, v->name, nl_why(r));
		return r;
	}
	v->pushed_until = v->q.lease_until;
	return 0;
}

static int set_role(struct hvol *v, uint32_t role)
{
	int r = cairn_nl_mirror_set(ha.nl, v->pool, v->name, role, NULL, false,
				    &v->d);

	if (r)
		syslog(LOG_ERR, "volume %s/%s: %s: %s", v->pool, v->name,
		       role == CAIRN_ROLE_PRIMARY ? "promotion" : "demotion",
		       nl_why(r));
	else
		syslog(LOG_NOTICE, "volume %s/%s: %s by the quorum (%s)", v->pool,
		       v->name, role == CAIRN_ROLE_PRIMARY ? "promoted" : "demoted",
		       v->q.why);
	return r;
}

/*
 * The ALUA states of the volume's targets served by both nodes: this
 * node's port group active/optimized (@want ALUA_SELF), the peer's
 * (ALUA_PEER: this one standby), or both unavailable (ALUA_NONE: fenced).
 */
static void set_alua(struct hvol *v, enum ha_alua want)
{
	const char *primary = want == ALUA_SELF ? ha.self :
			      want == ALUA_PEER ? v->peer : NULL;
	struct cairn_config cfg;
	uint64_t now = hb_now();
	char err[400] = "";
	int r;

	if (v->alua == want || now < v->alua_retry)
		return;
	/*
	 * The file, not cfg_rcu: cairnctl makes exports in LIO itself and
	 * does not always reload cairnd.
	 */
	r = cairn_config_load(config_file, &cfg, err, sizeof(err));
	if (!r) {
		r = cairn_alua_set(&cfg, v->pool, v->name, primary, err,
				   sizeof(err));
		cairn_config_free(&cfg);
	}
	if (r <= 0) {
		/* No export of the volume by both nodes (yet), or a failure. */
		if (r < 0)
			syslog(LOG_ERR, "volume %s/%s: ALUA: %s", v->pool, v->name,
			       err);
		v->alua_retry = now + HA_ALUA_RETRY_MS;
		return;
	}
	syslog(LOG_NOTICE, "volume %s/%s: ALUA: %s on %d target(s)", v->pool,
	       v->name, primary ? "active/optimized through this node" : "unavailable",
	       r);
	if (want == ALUA_PEER)
		syslog(LOG_NOTICE, "volume %s/%s: ALUA: standby here, %s active/optimized",
		       v->pool, v->name, v->peer);
	v->alua = want;
}

static void node_send(struct hvol *v, const struct cairn_q_msg *m);

/*
 * The kernel's volume was demoted by hand (cairnctl demote) while this
 * node held the quorum's primary: a planned switch-over.  The volume
 * serves nothing any more (the demotion waited for its writes), so the
 * quorum hands over to the peer at once (RELEASE, quorum.c) rather than
 * promoting this node again.
 */
static void node_handover(struct hvol *v, uint64_t now)
{
	struct cairn_q_msg out[2];
	unsigned int i, n;

	v->promoted = false;
	n = cairn_q_node_release(&v->q, now, out);
	syslog(LOG_NOTICE, "volume %s/%s: demoted by hand: switch-over, %s takes over",
	       v->pool, v->name, v->peer);
	for (i = 0; i < n; i++)
		node_send(v, &out[i]);
	ha.status_dirty = true;
}

static void node_apply(struct hvol *v)
{
	uint64_t now = hb_now();
	bool kprimary = v->d.mirror.role == CAIRN_ROLE_PRIMARY;

	state_report(v);
	if (now < v->retry)
		return;
	if (kprimary && (v->q.state == CAIRN_QS_PRIMARY ||
			 v->q.state == CAIRN_QS_FENCED))
		v->promoted = true;
	else if (v->promoted && v->d.mirror.role == CAIRN_ROLE_SECONDARY &&
		 (v->q.state == CAIRN_QS_PRIMARY || v->q.state == CAIRN_QS_FENCED))
		node_handover(v, now);
	switch (v->q.state) {
	case CAIRN_QS_PRIMARY:
		if ((v->q.lease_until != v->pushed_until ||
		     v->q.alone_ok != !!v->d.mirror.alone || !v->d.mirror.lease) &&
		    push_lease(v))
			v->retry = now + HA_RETRY_MS;
		if (!kprimary && v->pushed_until == v->q.lease_until) {
			/*
			 * The witness voted: the old primary's leases have
			 * lapsed, whatever the kernel's link still thinks.
			 */
			if (cairn_mirror_link_up(&v->d.mirror) &&
			    v->d.mirror.peer_role == CAIRN_ROLE_PRIMARY)
				cairn_nl_mirror_disconnect(ha.nl, v->pool, v->name);
			if (set_role(v, CAIRN_ROLE_PRIMARY))
				v->retry = now + HA_RETRY_MS;
		}
		if (v->d.mirror.role == CAIRN_ROLE_PRIMARY)
			set_alua(v, ALUA_SELF);
		break;
	case CAIRN_QS_FENCED:
		if (kprimary && !v->d.mirror.lease &&
		    cairn_nl_mirror_quorum_until(ha.nl, v->pool, v->name, 0, 0, &v->d))
			v->retry = now + HA_RETRY_MS;
		set_alua(v, ALUA_NONE);
		break;
	default:
		v->promoted = false;
		if (kprimary && set_role(v, CAIRN_ROLE_SECONDARY))
			v->retry = now + HA_RETRY_MS;
		if (v->d.mirror.role == CAIRN_ROLE_SECONDARY)
			set_alua(v, ALUA_PEER);
		break;
	}
}

/* Send what a tick or a message produced (see UPTODATE at the top). */
static void node_out(struct hvol *v, struct cairn_q_msg *out, unsigned int n)
{
	unsigned int i;

	node_apply(v);
	for (i = 0; i < n; i++) {
		if (out[i].type == CAIRN_QM_UPTODATE) {
			if (v->d.mirror.alone ||
			    cairn_nl_volume_get(ha.nl, v->pool, v->name, &v->d) ||
			    !peer_in_sync(&v->d) || v->d.mirror.alone) {
				v->q.uptodate_due = true;
				continue;
			}
		}
		node_send(v, &out[i]);
	}
}

static void node_tick(struct hvol *v, uint64_t now)
{
	struct cairn_q_msg out[3];
	unsigned int n;

	v->q.in_sync = peer_in_sync(&v->d);
	v->q.data_ok = v->d.mirror.disk == CAIRN_MDISK_CONSISTENT;
	n = cairn_q_node_tick(&v->q, now, out);
	node_out(v, out, n);
}

static struct hvol *vol_by_uuid(const uint8_t *uuid)
{
	unsigned int i;

	for (i = 0; i < ha.nr_vols; i++)
		if (!memcmp(ha.vols[i].uuid, uuid, 16))
			return &ha.vols[i];
	return NULL;
}

static int scan_cb(const struct cairn_volume_desc *d, void *arg)
{
	struct hvol *v;

	if (!d->mirror.mirrored || !peer_by_name(d->mirror.peer))
		return 0;
	v = vol_by_uuid(d->uuid);
	if (!v) {
		uint64_t now = hb_now();
		bool a;

		if (ha.nr_vols == HA_MAX_VOLS)
			return 0;
		v = &ha.vols[ha.nr_vols++];
		memset(v, 0, sizeof(*v));
		snprintf(v->pool, sizeof(v->pool), "%s", d->pool);
		snprintf(v->name, sizeof(v->name), "%s", d->name);
		snprintf(v->peer, sizeof(v->peer), "%s", d->mirror.peer);
		memcpy(v->uuid, d->uuid, 16);
		a = strcmp(ha.self, v->peer) < 0;
		memcpy(v->node[0], a ? ha.self : v->peer, CAIRN_NAME_LEN);
		memcpy(v->node[1], a ? v->peer : ha.self, CAIRN_NAME_LEN);
		cairn_q_node_init(&v->q, &ha.t, a ? CAIRN_Q_A : CAIRN_Q_B,
				  d->mirror.role == CAIRN_ROLE_PRIMARY, now);
		v->shown = v->q.state;
		v->since = wall_ms();
		syslog(LOG_NOTICE,
		       "volume %s/%s: heartbeat with %s, witness %s (every %u ms, timeout %u ms); starts %s",
		       v->pool, v->name, v->peer, ha.wname, ha.t.interval,
		       ha.t.timeout, cairn_q_state_name(v->q.state));
		ha.status_dirty = true;
	}
	v->d = *d;
	v->present = true;
	return 0;
}

static void node_scan(void)
{
	unsigned int i, j;

	if (!nl_ready())
		return;
	for (i = 0; i < ha.nr_vols; i++)
		ha.vols[i].present = false;
	if (ha.wname[0] && cairn_nl_volume_list(ha.nl, NULL, scan_cb, NULL)) {
		cairn_nl_close(ha.nl);	/* cairn.ko went away: reopen later */
		ha.nl = NULL;
		return;
	}
	for (i = j = 0; i < ha.nr_vols; i++) {
		struct hvol *v = &ha.vols[i];

		if (!v->present) {
			/* HA off, or no longer mirrored: no lease any more. */
			if (v->d.mirror.role == CAIRN_ROLE_PRIMARY && v->d.mirror.lease)
				cairn_nl_mirror_quorum(ha.nl, v->pool, v->name, 0, 0, NULL);
			syslog(LOG_NOTICE, "volume %s/%s: heartbeat stopped", v->pool,
			       v->name);
			ha.status_dirty = true;
			continue;
		}
		if (i != j)
			ha.vols[j] = *v;
		j++;
	}
	ha.nr_vols = j;
}

/* A datagram for a node: from its peer or the witness. */
static void node_recv(const struct cairn_hb *h)
{
	struct cairn_q_msg out[1];
	struct hvol *v = vol_by_uuid(h->uuid);
	const char *want;
	unsigned int n;

	if (!v || strcmp(h->node[0], v->node[0]) || strcmp(h->node[1], v->node[1]))
		return;
	want = h->m.from == CAIRN_Q_W ? ha.wname :
	       h->m.from == v->q.peer ? v->peer : NULL;
	if (!want || strcmp(want, h->sender) || h->m.to != v->q.me)
		return;
	/* A lease is never longer than its giver's timeout: see the top. */
	if (h->m.from != CAIRN_Q_W && h->timeout != ha.t.timeout) {
		if (!(ha.bad_timing++ % 100))
			syslog(LOG_ERR,
			       "heartbeat: %s's timeout is %u ms, this node's %u ms: ignored until they agree",
			       h->sender, h->timeout, ha.t.timeout);
		return;
	}
	if (h->m.from == CAIRN_Q_W)
		v->rx_witness++;
	else
		v->rx_peer++;
	n = cairn_q_node_recv(&v->q, hb_now(), &h->m, out);
	node_out(v, out, n);
}

/* ---- the status file ---- */

static void status_write(void)
{
	struct json_object *top = json_object_new_object(), *arr, *o;
	uint64_t now = hb_now();
	char tmp[300], us[40];
	const char *path = cairn_ha_status_path();
	unsigned int i;
	int fd;

	json_object_object_add(top, "node", json_object_new_string(ha.self));
	json_object_object_add(top, "role", json_object_new_string(ha.witness ?
			       "witness" : "node"));
	json_object_object_add(top, "witness", json_object_new_string(ha.wname));
	json_object_object_add(top, "interval_ms", json_object_new_int(ha.t.interval));
	json_object_object_add(top, "timeout_ms", json_object_new_int(ha.t.timeout));
	json_object_object_add(top, "bad_mac", json_object_new_int64(ha.bad_mac));
	json_object_object_add(top, "bad_datagrams",
			       json_object_new_int64(ha.bad_dgram));
	json_object_object_add(top, "updated_ms", json_object_new_int64(wall_ms()));
	arr = json_object_new_array();
	for (i = 0; i < ha.nr_vols; i++) {
		const struct hvol *v = &ha.vols[i];

		o = json_object_new_object();
		cairn_uuid_str(v->uuid, us);
		json_object_object_add(o, "pool", json_object_new_string(v->pool));
		json_object_object_add(o, "volume", json_object_new_string(v->name));
		json_object_object_add(o, "uuid", json_object_new_string(us));
		json_object_object_add(o, "peer", json_object_new_string(v->peer));
		json_object_object_add(o, "state",
				       json_object_new_string(cairn_q_state_name(v->q.state)));
		json_object_object_add(o, "why", json_object_new_string(v->q.why));
		json_object_object_add(o, "since_ms", json_object_new_int64(v->since));
		json_object_object_add(o, "peer_heard_ms",
				       json_object_new_int64(now - v->q.peer_rx));
		json_object_object_add(o, "witness_heard_ms", v->q.w_rx ?
				       json_object_new_int64(now - v->q.w_rx) : NULL);
		json_object_object_add(o, "lease_left_ms",
				       json_object_new_int64(v->q.lease_until > now ?
							     v->q.lease_until - now : 0));
		json_object_object_add(o, "peer_outdated",
				       json_object_new_boolean(v->q.alone_ok));
		json_object_object_add(o, "serving",
				       json_object_new_boolean(cairn_q_node_serving(&v->q, now)));
		json_object_object_add(o, "sent", json_object_new_int64(v->tx));
		json_object_object_add(o, "from_peer", json_object_new_int64(v->rx_peer));
		json_object_object_add(o, "from_witness",
				       json_object_new_int64(v->rx_witness));
		json_object_object_add(o, "last_failover_ms", v->failover_at ?
				       json_object_new_int64(v->failover_at) : NULL);
		json_object_object_add(o, "last_failover", v->failover_at ?
				       json_object_new_string(v->failover_why) : NULL);
		json_object_array_add(arr, o);
	}
	json_object_object_add(top, "volumes", arr);
	for (i = 0; ha.witness && i < ha.nr_wvols; i++) {
		const struct wvol *w = &ha.wvols[i];

		if (!i) {
			arr = json_object_new_array();
			json_object_object_add(top, "pairs", arr);
		}
		o = json_object_new_object();
		cairn_uuid_str(w->uuid, us);
		json_object_object_add(o, "uuid", json_object_new_string(us));
		json_object_object_add(o, "node_a", json_object_new_string(w->node[0]));
		json_object_object_add(o, "node_b", json_object_new_string(w->node[1]));
		json_object_object_add(o, "holder", w->w.holder <= CAIRN_Q_B ?
				       json_object_new_string(w->node[w->w.holder]) : NULL);
		json_object_object_add(o, "outdated_a",
				       json_object_new_boolean(w->w.outdated[0]));
		json_object_object_add(o, "outdated_b",
				       json_object_new_boolean(w->w.outdated[1]));
		json_object_array_add(arr, o);
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		const char *s = json_object_to_json_string_ext(top,
					JSON_C_TO_STRING_PRETTY);
		size_t len = strlen(s);

		if (write(fd, s, len) == (ssize_t)len && !close(fd))
			rename(tmp, path);
		else
			unlink(tmp);
	}
	json_object_put(top);
	ha.status_dirty = false;
}

/* ---- the witness ---- */

static int flags_save(void)
{
	struct json_object *top = json_object_new_object(), *vols, *o, *a;
	char tmp[512], us[40];
	const char *s;
	unsigned int i;
	size_t len;
	int fd, r = 0;

	vols = json_object_new_object();
	for (i = 0; i < ha.nr_wvols; i++) {
		const struct wvol *w = &ha.wvols[i];

		o = json_object_new_object();
		a = json_object_new_array();
		json_object_array_add(a, json_object_new_string(w->node[0]));
		json_object_array_add(a, json_object_new_string(w->node[1]));
		json_object_object_add(o, "nodes", a);
		a = json_object_new_array();
		json_object_array_add(a, json_object_new_boolean(w->w.outdated[0]));
		json_object_array_add(a, json_object_new_boolean(w->w.outdated[1]));
		json_object_object_add(o, "outdated", a);
		cairn_uuid_str(w->uuid, us);
		json_object_object_add(vols, us, o);
	}
	json_object_object_add(top, "version", json_object_new_int(1));
	json_object_object_add(top, "volumes", vols);
	s = json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY);
	len = strlen(s);
	snprintf(tmp, sizeof(tmp), "%s.tmp", ha.state_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, s, len) != (ssize_t)len || fsync(fd) ||
	    rename(tmp, ha.state_path))
		r = -errno;
	if (fd >= 0)
		close(fd);
	json_object_put(top);
	if (!r) {
		char dir[512], *slash;

		snprintf(dir, sizeof(dir), "%s", ha.state_path);
		slash = strrchr(dir, '/');
		if (slash)
			*(slash == dir ? slash + 1 : slash) = '\0';
		fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
	} else {
		syslog(LOG_ERR, "witness: cannot save %s: %s", ha.state_path,
		       strerror(-r));
		unlink(tmp);
	}
	return r;
}

/* The flags kept for @uuid, false if none. */
static void flags_load(const uint8_t *uuid, const char (*node)[CAIRN_NAME_LEN],
		       bool *outdated)
{
	struct json_object *top, *vols, *o, *a, *e;
	char us[40];
	int i;

	outdated[0] = false;
	outdated[1] = false;
	top = json_object_from_file(ha.state_path);
	if (!top)
		return;
	cairn_uuid_str(uuid, us);
	if (json_object_object_get_ex(top, "volumes", &vols) &&
	    json_object_object_get_ex(vols, us, &o) &&
	    json_object_object_get_ex(o, "nodes", &a) &&
	    json_object_array_length(a) == 2 &&
	    !strcmp(json_object_get_string(json_object_array_get_idx(a, 0)) ?: "", node[0]) &&
	    !strcmp(json_object_get_string(json_object_array_get_idx(a, 1)) ?: "", node[1]) &&
	    json_object_object_get_ex(o, "outdated", &a) &&
	    json_object_array_length(a) == 2) {
		for (i = 0; i < 2; i++) {
			e = json_object_array_get_idx(a, i);
			outdated[i] = json_object_get_boolean(e);
		}
	}
	json_object_put(top);
}

static void witness_recv(const struct cairn_hb *h, const struct sockaddr_in6 *src)
{
	struct cairn_q_msg out[1];
	struct wvol *w = NULL;
	uint8_t holder;
	bool before[2];
	unsigned int i, n;

	if (h->m.from > CAIRN_Q_B || h->m.to != CAIRN_Q_W || !h->timeout ||
	    strcmp(h->node[h->m.from], h->sender) ||
	    strcmp(h->node[0], h->node[1]) >= 0)
		return;
	for (i = 0; i < ha.nr_wvols; i++)
		if (!memcmp(ha.wvols[i].uuid, h->uuid, 16))
			w = &ha.wvols[i];
	if (w && (strcmp(w->node[0], h->node[0]) || strcmp(w->node[1], h->node[1]))) {
		ha.bad_dgram++;
		return;		/* another pair claims the volume */
	}
	if (!w) {
		struct cairn_q_timing t;
		bool flags[2];

		if (ha.nr_wvols == HA_MAX_VOLS)
			return;
		w = &ha.wvols[ha.nr_wvols++];
		memset(w, 0, sizeof(*w));
		memcpy(w->uuid, h->uuid, 16);
		snprintf(w->node[0], sizeof(w->node[0]), "%s", h->node[0]);
		snprintf(w->node[1], sizeof(w->node[1]), "%s", h->node[1]);
		flags_load(w->uuid, (const char (*)[CAIRN_NAME_LEN])w->node, flags);
		t.interval = h->interval;
		t.timeout = h->timeout;
		cairn_q_witness_init(&w->w, &t, flags, hb_now());
		syslog(LOG_NOTICE, "witness: pair %s and %s%s%s", w->node[0], w->node[1],
		       flags[0] ? "; " : "", flags[0] ? "A outdated" :
		       flags[1] ? "; B outdated" : "");
		ha.status_dirty = true;
	}
	if (h->timeout > w->w.t.timeout) {
		/* The longest lease a node of the pair asks for sets the wait. */
		w->w.t.timeout = h->timeout;
		w->w.t.interval = h->interval;
	}
	holder = w->w.holder;
	before[0] = w->w.outdated[0];
	before[1] = w->w.outdated[1];
	n = cairn_q_witness_recv(&w->w, hb_now(), &h->m, out);
	if (before[0] != w->w.outdated[0] || before[1] != w->w.outdated[1]) {
		for (i = 0; i < 2; i++)
			if (before[i] != w->w.outdated[i])
				syslog(LOG_NOTICE, "witness: %s %s (said %s)", w->node[i],
				       w->w.outdated[i] ? "outdated" : "up to date again",
				       h->sender);
		ha.status_dirty = true;
		if (flags_save())
			return;	/* unsaved: not answered */
	}
	if (holder != w->w.holder) {
		syslog(LOG_NOTICE, "witness: %s holds %s primary", w->node[0],
		       w->w.holder <= CAIRN_Q_B ? w->node[w->w.holder] : "nobody");
		ha.status_dirty = true;
	}
	for (i = 0; i < n; i++)
		hb_send(peer_by_name(h->sender), src, w->uuid,
			(const char (*)[CAIRN_NAME_LEN])w->node, &out[i]);
}

/* ---- the loop ---- */

static void dgram_recv(void)
{
	uint8_t buf[CAIRN_HB_MAX + 1];
	struct sockaddr_in6 src;
	char sender[CAIRN_HB_NAME];
	struct cairn_hb h;
	struct hpeer *hp;
	socklen_t slen;
	ssize_t n;
	int r;

	for (;;) {
		slen = sizeof(src);
		n = recvfrom(ha.fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&src, &slen);
		if (n < 0)
			return;
		if (cairn_hb_sender(buf, n, sender)) {
			ha.bad_dgram++;
			continue;
		}
		hp = peer_by_name(sender);
		if (!hp || hp->keylen < 0) {
			ha.bad_dgram++;
			continue;
		}
		r = cairn_hb_decode(buf, n, hp->key, hp->keylen, &h);
		if (r) {
			if (r == -EACCES && !(ha.bad_mac++ % 100))
				syslog(LOG_WARNING,
				       "heartbeat: a datagram from %s failed authentication (wrong secret there?)",
				       sender);
			else if (r != -EACCES)
				ha.bad_dgram++;
			continue;
		}
		if (ha.witness)
			witness_recv(&h, &src);
		else
			node_recv(&h);
	}
}

static int open_socket(void)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	int zero = 0, one = 1, fd;

	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin6_port = htons(ha.port);
	sa.sin6_addr = in6addr_any;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

static void *ha_thread(void *arg)
{
	unsigned int i;
	uint64_t now, wait;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = ha.stop_fd, .events = POLLIN },
			{ .fd = ha.fd, .events = POLLIN },
		};

		if (__atomic_exchange_n(&ha.reload, false, __ATOMIC_ACQ_REL)) {
			ha_load();
			ha.status_dirty = true;
			ha.next_scan = 0;
		}
		now = hb_now();
		if (!ha.witness && now >= ha.next_scan) {
			node_scan();
			/* A volume the scan found starts at a later reading. */
			now = hb_now();
			ha.next_scan = now + HA_SCAN_MS;
		}
		for (i = 0; i < ha.nr_vols; i++)
			node_tick(&ha.vols[i], now);
		if (ha.status_dirty || now >= ha.next_status) {
			status_write();
			ha.next_status = now + HA_STATUS_MS;
		}
		wait = ha.witness ? HA_STATUS_MS : HA_SCAN_MS;
		for (i = 0; i < ha.nr_vols; i++)
			if (ha.vols[i].q.next_ping > now &&
			    ha.vols[i].q.next_ping - now < wait)
				wait = ha.vols[i].q.next_ping - now;
		if (poll(p, 2, wait) < 0)
			continue;
		if (p[0].revents)
			break;
		if (p[1].revents)
			dgram_recv();
	}
	return NULL;
}

int ha_start(bool witness, const char *state_path)
{
	int r;

	ha.witness = witness;
	ha.state_path = state_path ? state_path : CAIRN_WITNESS_STATE_PATH;
	ha.base = wall_ms() - mono_ms();
	ha_load();
	if (witness && !ha.t.interval) {
		ha.t.interval = CAIRN_HA_INTERVAL_MS;
		ha.t.timeout = CAIRN_HA_TIMEOUT_MS;
	}
	ha.stop_fd = eventfd(0, EFD_CLOEXEC);
	if (ha.stop_fd < 0)
		return -errno;
	ha.fd = open_socket();
	if (ha.fd < 0) {
		r = ha.fd;
		syslog(LOG_ERR, "heartbeat: cannot bind UDP port %u: %s", ha.port,
		       strerror(-r));
		close(ha.stop_fd);
		return r;
	}
	r = pthread_create(&ha.thread, NULL, ha_thread, NULL);
	if (r) {
		close(ha.fd);
		close(ha.stop_fd);
		return -r;
	}
	ha.started = true;
	return 0;
}

void ha_reload(void)
{
	__atomic_store_n(&ha.reload, true, __ATOMIC_RELEASE);
}

void ha_stop(void)
{
	uint64_t one = 1;

	if (!ha.started)
		return;
	if (write(ha.stop_fd, &one, sizeof(one)) != sizeof(one))
		syslog(LOG_ERR, "cannot stop the heartbeat thread: %m");
	pthread_join(ha.thread, NULL);
	close(ha.fd);
	close(ha.stop_fd);
	if (ha.nl)
		cairn_nl_close(ha.nl);
	unlink(cairn_ha_status_path());
	ha.started = false;
}
