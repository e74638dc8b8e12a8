// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cairnd: the peers - the listener for partner nodes and the mirror link
 * manager.  The protocol (framing, authentication, requests) is libcairn's
 * (userland/lib/peer.c).
 *
 * Threads:
 *
 *   listener  accepts on the peer port (top-level "port", default 7788)
 *             and starts a connection thread for each, at most
 *             MAX_CONNS at once.
 *   conn      authenticates its peer (every read bounded by
 *             CAIRN_PEER_TIMEOUT_MS), then serves requests: NOP,
 *             CREATE_REPLICA (a replica volume: same UUID and size,
 *             secondary, saved in the configuration), LINK (the socket
 *             is one of a volume's two link sockets; once both arrived
 *             they go to the kernel with MIRROR_CONNECT), RETRY.
 *   linker    for every configured mirror for which this node is the
 *             connecting side (its name sorts before the peer's), while
 *             the kernel shows the link down: connects two sockets,
 *             authenticates each, sends LINK on each and hands its own
 *             ends to the kernel.  Failures back off from 1 s, doubling,
 *             to 10 s; each distinct failure is logged once.  A link the
 *             kernel refuses (split brain, another volume, two
 *             primaries) is not tried again until the volume's role
 *             changes or the configuration is reloaded.  On the listening
 *             side, a role change sends RETRY to the peer so that its
 *             linker tries again.
 *
 * Connection threads read the configuration under rcu_read_lock() only
 * to copy what they need; no read-side section spans network I/O.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <urcu.h>

#include "cairnd.h"
#include "uapi/cairn_nl.h"

#define MAX_CONNS	16
#define MAX_LINKS	256
#define BACKOFF_MIN_MS	1000
#define BACKOFF_MAX_MS	10000
#define PENDING_MAX_MS	15000	/* half a link waits this long for the rest */
#define IDLE_MS		30000	/* a connection's wait for its next request */

static int stop_fd = -1;
static pthread_t listener, linker;
static bool started;
static int nr_conns;			/* atomic */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void self_name(char *out)
{
	struct cairn_config *cfg;

	rcu_read_lock();
	cfg = rcu_dereference(cfg_rcu);
	if (cfg)
		cairn_config_node(cfg, out, CAIRN_NAME_LEN);
	else
		out[0] = '\0';
	rcu_read_unlock();
}

/* ---- per-volume link state (linker, events thread, conn threads) ---- */

struct vstate {
	char pool[CAIRN_NAME_LEN];
	char name[CAIRN_NAME_LEN];
	bool blocked;			/* refused by the kernel: wait */
	bool notify;			/* listening side: send RETRY */
	bool up;			/* last seen connected */
	unsigned int delay_ms;
	int64_t next;			/* no attempt before */
	char last[300];			/* the failure last logged */
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop, kick;
	unsigned int n;
	struct vstate v[MAX_LINKS];
} lk = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

/* lk.lock held. */
static struct vstate *vstate(const char *pool, const char *name, bool create)
{
	struct vstate *v;
	unsigned int i;

	for (i = 0; i < lk.n; i++)
		if (!strcmp(lk.v[i].pool, pool) && !strcmp(lk.v[i].name, name))
			return &lk.v[i];
	if (!create || lk.n == MAX_LINKS)
		return NULL;
	v = &lk.v[lk.n++];
	memset(v, 0, sizeof(*v));
	snprintf(v->pool, sizeof(v->pool), "%s", pool);
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->delay_ms = BACKOFF_MIN_MS;
	return v;
}

static void kick(void)
{
	lk.kick = true;
	pthread_cond_signal(&lk.cond);
}

void peers_event(const struct cairn_event_desc *ev)
{
	struct vstate *v;

	if (!ev->volume[0])
		return;
	pthread_mutex_lock(&lk.lock);
	switch (ev->event) {
	case CAIRN_EVENT_LINK_DOWN:
		v = vstate(ev->pool, ev->volume, false);
		if (v) {
			v->next = 0;
			v->delay_ms = BACKOFF_MIN_MS;
			kick();
		}
		break;
	case CAIRN_EVENT_ROLE_CHANGED:
		v = vstate(ev->pool, ev->volume, true);
		if (v) {
			v->blocked = false;
			v->notify = true;
			v->next = 0;
			v->delay_ms = BACKOFF_MIN_MS;
			kick();
		}
		break;
	}
	pthread_mutex_unlock(&lk.lock);
}

void peers_reload(void)
{
	unsigned int i;

	pthread_mutex_lock(&lk.lock);
	for (i = 0; i < lk.n; i++) {
		if (lk.v[i].blocked)
			lk.v[i].notify = true;
		lk.v[i].blocked = false;
		lk.v[i].next = 0;
		lk.v[i].delay_ms = BACKOFF_MIN_MS;
	}
	kick();
	pthread_mutex_unlock(&lk.lock);
}

/* ---- half-arrived links (listening side) ---- */

struct pending {
	uint8_t uuid[16];
	int fd[2];			/* data, meta */
	int64_t since[2];
};

static struct {
	pthread_mutex_t lock;
	struct pending p[MAX_CONNS];
} pend = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void pending_init(void)
{
	unsigned int i;

	for (i = 0; i < MAX_CONNS; i++) {
		pend.p[i].fd[0] = -1;
		pend.p[i].fd[1] = -1;
	}
}

/*
 * File @fd as the @kind socket of @uuid's link; when the other one is
 * there too, both are returned in @fds (1), else 0 (the table keeps @fd).
 */
static int pending_add(const uint8_t *uuid, int kind, int fd, int fds[2])
{
	struct pending *p = NULL, *free_slot = NULL;
	int64_t now = now_ms();
	unsigned int i, k;
	int r = 0;

	pthread_mutex_lock(&pend.lock);
	for (i = 0; i < MAX_CONNS; i++) {
		struct pending *q = &pend.p[i];

		for (k = 0; k < 2; k++) {	/* drop what waited too long */
			if (q->fd[k] >= 0 && now - q->since[k] > PENDING_MAX_MS) {
				close(q->fd[k]);
				q->fd[k] = -1;
			}
		}
		if (q->fd[0] < 0 && q->fd[1] < 0) {
			if (!free_slot)
				free_slot = q;
		} else if (!memcmp(q->uuid, uuid, 16)) {
			p = q;
		}
	}
	if (!p)
		p = free_slot;
	if (!p) {
		close(fd);
		goto out;
	}
	memcpy(p->uuid, uuid, 16);
	if (p->fd[kind] >= 0)
		close(p->fd[kind]);	/* replaced by a newer attempt */
	p->fd[kind] = fd;
	p->since[kind] = now;
	if (p->fd[!kind] >= 0) {
		fds[0] = p->fd[0];
		fds[1] = p->fd[1];
		p->fd[0] = -1;
		p->fd[1] = -1;
		r = 1;
	}
out:
	pthread_mutex_unlock(&pend.lock);
	return r;
}

/* ---- serving a peer ---- */

static int secret_path(const char *peer, char *path, size_t len, void *arg)
{
	struct cairn_config *cfg;
	struct cairn_cfg_peer *p;
	int r = -ENOENT;

	rcu_read_lock();
	cfg = rcu_dereference(cfg_rcu);
	p = cfg ? cairn_config_peer(cfg, peer) : NULL;
	if (p) {
		snprintf(path, len, "%s", p->secret_file);
		r = 0;
	}
	rcu_read_unlock();
	return r;
}

/* The configured mirrored volume with @uuid: its pool, name and peer. */
static int cfg_mirror_by_uuid(const uint8_t *uuid, char *pool, char *name,
			      char *peer)
{
	struct cairn_config *cfg;
	unsigned int i;
	char us[40];
	int r = -ENOENT;

	cairn_uuid_str(uuid, us);
	rcu_read_lock();
	cfg = rcu_dereference(cfg_rcu);
	for (i = 0; cfg && i < cfg->nr_volumes; i++) {
		const struct cairn_cfg_volume *v = &cfg->volumes[i];

		if (strcasecmp(v->uuid, us) || !v->mirror.peer[0])
			continue;
		snprintf(pool, CAIRN_NAME_LEN, "%s", v->pool);
		snprintf(name, CAIRN_NAME_LEN, "%s", v->name);
		snprintf(peer, CAIRN_NAME_LEN, "%s", v->mirror.peer);
		r = 0;
		break;
	}
	rcu_read_unlock();
	return r;
}

static const char *nl_why(struct cairn_nl *nl, int r)
{
	const char *m = nl ? cairn_nl_error(nl) : NULL;

	return m && *m ? m : strerror(-r);
}

struct vol_find {
	const char *name;
	const uint8_t *uuid;
	struct cairn_volume_desc found;
	bool hit;
};

static int vol_find_cb(const struct cairn_volume_desc *v, void *arg)
{
	struct vol_find *f = arg;

	if (!strcmp(v->name, f->name) || !memcmp(v->uuid, f->uuid, 16)) {
		f->found = *v;
		f->hit = true;
		return 1;
	}
	return 0;
}

/* Add the replica to the configuration file and save it. */
static int replica_save(const struct cairn_volume_desc *v, const char *peer,
			char *err, size_t errlen)
{
	struct cairn_config cfg;
	struct cairn_cfg_volume *cv;
	char e[512];
	int r;

	r = cairn_config_load(config_file, &cfg, e, sizeof(e));
	if (r) {
		snprintf(err, errlen, "%s", e);
		return r;
	}
	r = -ENOENT;
	if (!cairn_config_pool(&cfg, v->pool)) {
		snprintf(err, errlen, "pool %s is not in the configuration", v->pool);
		goto out;
	}
	if (!cairn_config_peer(&cfg, peer)) {
		snprintf(err, errlen, "peer %s is not in the configuration", peer);
		goto out;
	}
	r = -ENOMEM;
	cv = cairn_config_add_volume(&cfg);
	if (!cv) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	snprintf(cv->pool, sizeof(cv->pool), "%s", v->pool);
	snprintf(cv->name, sizeof(cv->name), "%s", v->name);
	cairn_uuid_str(v->uuid, cv->uuid);
	cv->size = v->size;
	snprintf(cv->mirror.peer, sizeof(cv->mirror.peer), "%s", peer);
	cv->mirror.role = CAIRN_ROLE_SECONDARY;
	r = cairn_config_save(config_file, &cfg, e, sizeof(e));
	if (r)
		snprintf(err, errlen, "saving the configuration: %.400s", e);
out:
	cairn_config_free(&cfg);
	return r;
}

static void create_replica(int fd, const char *self, const char *peer,
			   const struct cairn_peer_msg *m)
{
	struct vol_find f = { .name = m->volume, .uuid = m->uuid };
	struct cairn_pool_desc *pd = NULL;
	struct cairn_volume_desc v;
	struct cairn_nl *nl = NULL;
	char err[512], size[32];
	int r;

	if (!cairn_valid_name(m->pool) || !cairn_valid_name(m->volume) ||
	    !m->size) {
		cairn_peer_reply(fd, EINVAL, "bad replica request");
		return;
	}
	r = cairn_nl_open(&nl);
	if (r) {
		cairn_peer_reply(fd, -r, "%s: cairn.ko: %s", self, strerror(-r));
		return;
	}
	pd = malloc(sizeof(*pd));
	r = pd ? cairn_nl_pool_get(nl, m->pool, pd) : -ENOMEM;
	if (r) {
		cairn_peer_reply(fd, -r, "%s has no pool %s", self, m->pool);
		goto out;
	}
	r = cairn_nl_volume_list(nl, NULL, vol_find_cb, &f);
	if (r < 0) {
		cairn_peer_reply(fd, -r, "%s: listing volumes: %s", self,
				 nl_why(nl, r));
		goto out;
	}
	if (f.hit) {
		cairn_peer_reply(fd, EEXIST, "%s already has a volume %s (pool %s)",
				 self, f.found.name, f.found.pool);
		goto out;
	}
	r = cairn_nl_volume_create_uuid(nl, m->pool, m->volume, m->size, m->uuid,
					&v);
	if (r) {
		cairn_peer_reply(fd, -r, "%s: creating %s in pool %s: %s", self,
				 m->volume, m->pool, nl_why(nl, r));
		goto out;
	}
	r = cairn_nl_mirror_set(nl, v.pool, v.name, CAIRN_ROLE_SECONDARY, peer,
				false, NULL);
	if (r) {
		snprintf(err, sizeof(err), "mirror set: %s", nl_why(nl, r));
		goto undo;
	}
	r = cairn_dm_activate(v.pool, v.name, v.size, err, sizeof(err));
	if (r)
		goto undo_mirror;
	r = replica_save(&v, peer, err, sizeof(err));
	if (r) {
		cairn_dm_deactivate(v.pool, v.name, NULL, 0);
		goto undo_mirror;
	}
	cairn_human_size(v.size, size, sizeof(size));
	syslog(LOG_NOTICE, "volume %s/%s: replica created for peer %s (%s), secondary",
	       v.pool, v.name, peer, size);
	cairn_peer_reply(fd, 0, "replica %s (%s) made in pool %s on %s, secondary",
			 v.name, size, v.pool, self);
	kill(getpid(), SIGHUP);		/* main reloads the configuration */
	goto out;
undo_mirror:
	cairn_nl_mirror_set(nl, v.pool, v.name, CAIRN_ROLE_OFF, NULL, false, NULL);
undo:
	cairn_nl_volume_delete(nl, v.pool, v.name);
	syslog(LOG_ERR, "volume %s/%s: replica for peer %s not made: %s",
	       m->pool, m->volume, peer, err);
	cairn_peer_reply(fd, EIO, "%s: replica not made: %s", self, err);
out:
	free(pd);
	cairn_nl_close(nl);
}

static void mirror_connect(const char *pool, const char *name,
			   const char *peer, int fds[2])
{
	struct cairn_nl *nl;
	int r;

	r = cairn_nl_open(&nl);
	if (!r) {
		r = cairn_nl_mirror_connect(nl, pool, name, fds[0], fds[1], 0, 0,
					    NULL);
		if (r)
			syslog(LOG_WARNING, "volume %s/%s: link from peer %s not taken: %s",
			       pool, name, peer, nl_why(nl, r));
		else
			syslog(LOG_NOTICE, "volume %s/%s: link from peer %s connected",
			       pool, name, peer);
		cairn_nl_close(nl);
	}
	close(fds[0]);
	close(fds[1]);
}

/* LINK: 1 if @fd now belongs to the link (or was handed over). */
static int link_request(int fd, const char *peer, const struct cairn_peer_msg *m)
{
	char pool[CAIRN_NAME_LEN], name[CAIRN_NAME_LEN], mpeer[CAIRN_NAME_LEN];
	struct cairn_volume_desc v;
	struct cairn_nl *nl;
	int fds[2], r;

	if (cfg_mirror_by_uuid(m->uuid, pool, name, mpeer) || strcmp(mpeer, peer)) {
		cairn_peer_reply(fd, ENOENT, "no volume here is mirrored with %s "
				 "under that UUID", peer);
		return 0;
	}
	r = cairn_nl_open(&nl);
	if (!r) {
		r = cairn_nl_volume_get(nl, pool, name, &v);
		cairn_nl_close(nl);
	}
	if (r || !v.mirror.mirrored) {
		cairn_peer_reply(fd, r ? -r : EINVAL, "volume %s is not mirrored "
				 "in the kernel here", name);
		return 0;
	}
	if (v.mirror.link != CAIRN_LINK_STANDALONE) {
		cairn_peer_reply(fd, EBUSY, "volume %s is still %s here", name,
				 cairn_mirror_link_up(&v.mirror) ? "connected" :
				 "connecting");
		return 0;
	}
	if (cairn_peer_reply(fd, 0, "ok"))
		return 0;
	/* From here on the socket is the link's: no more frames. */
	if (pending_add(m->uuid, m->kind == 'M', fd, fds))
		mirror_connect(pool, name, peer, fds);
	return 1;
}

static void retry_request(int fd, const char *peer, const struct cairn_peer_msg *m)
{
	char pool[CAIRN_NAME_LEN], name[CAIRN_NAME_LEN], mpeer[CAIRN_NAME_LEN];
	struct vstate *v;

	if (cfg_mirror_by_uuid(m->uuid, pool, name, mpeer) || strcmp(mpeer, peer)) {
		cairn_peer_reply(fd, ENOENT, "no such mirror");
		return;
	}
	pthread_mutex_lock(&lk.lock);
	v = vstate(pool, name, true);
	if (v) {
		v->blocked = false;
		v->next = 0;
		v->delay_ms = BACKOFF_MIN_MS;
		kick();
	}
	pthread_mutex_unlock(&lk.lock);
	cairn_peer_reply(fd, 0, "ok");
}

/* The last failure logged for incoming connections: said once a minute. */
static struct {
	pthread_mutex_t lock;
	char last[400];
	int64_t when;
	unsigned int repeats;
} inlog = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void in_fail(const char *addr, const char *msg)
{
	char line[400];
	int64_t now = now_ms();

	snprintf(line, sizeof(line), "peer connection from %s: %s", addr, msg);
	pthread_mutex_lock(&inlog.lock);
	if (strcmp(line, inlog.last) || now - inlog.when > 60000) {
		if (inlog.repeats)
			syslog(LOG_WARNING, "(the last message repeated %u times)",
			       inlog.repeats);
		syslog(LOG_WARNING, "%s", line);
		snprintf(inlog.last, sizeof(inlog.last), "%s", line);
		inlog.when = now;
		inlog.repeats = 0;
	} else {
		inlog.repeats++;
	}
	pthread_mutex_unlock(&inlog.lock);
}

struct conn {
	int fd;
	char addr[64];
};

static void *conn_thread(void *arg)
{
	struct conn *c = arg;
	char self[CAIRN_NAME_LEN], peer[CAIRN_NAME_LEN], err[400];
	struct cairn_peer_msg m;
	int r, owned = 0;

	rcu_register_thread();
	self_name(self);
	r = cairn_peer_accept(c->fd, self, secret_path, NULL, peer, err,
			      sizeof(err));
	if (r) {
		in_fail(c->addr, err);
		goto out;
	}
	while (!owned) {
		r = cairn_peer_recv(c->fd, &m, IDLE_MS);
		if (r) {
			if (r != -ECONNRESET)
				in_fail(c->addr, r == -ETIMEDOUT ? "idle too long" :
					"a malformed request");
			break;
		}
		switch (m.type) {
		case CAIRN_PEER_NOP:
			cairn_peer_reply(c->fd, 0, "authenticated: %s knows %s",
					 self, peer);
			break;
		case CAIRN_PEER_CREATE_REPLICA:
			create_replica(c->fd, self, peer, &m);
			break;
		case CAIRN_PEER_LINK:
			owned = link_request(c->fd, peer, &m);
			break;
		case CAIRN_PEER_RETRY:
			retry_request(c->fd, peer, &m);
			break;
		default:
			cairn_peer_reply(c->fd, EPROTO, "unexpected message");
			goto out;
		}
	}
out:
	if (!owned)
		close(c->fd);
	free(c);
	__atomic_sub_fetch(&nr_conns, 1, __ATOMIC_SEQ_CST);
	rcu_unregister_thread();
	return NULL;
}

static int listen_on(unsigned int port, char *err, size_t errlen)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, zero = 0, fd;

	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (!bind(fd, (struct sockaddr *)&a6, sizeof(a6)) && !listen(fd, 16))
			return fd;
		close(fd);
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a4, sizeof(a4)) || listen(fd, 16)) {
		snprintf(err, errlen, "port %u: %s", port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void addr_str(const struct sockaddr_storage *ss, char *out, size_t len)
{
	char host[64] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		if (!strncmp(host, "::ffff:", 7))
			memmove(host, host + 7, strlen(host + 7) + 1);
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
	}
	snprintf(out, len, "%s", host);
}

static void *listener_thread(void *arg)
{
	unsigned int port = (uintptr_t)arg;
	struct pollfd p[2] = { { .events = POLLIN }, { .fd = stop_fd, .events = POLLIN } };
	char err[256];
	bool told = false;
	int lfd = -1;

	for (;;) {
		if (lfd < 0) {
			lfd = listen_on(port, err, sizeof(err));
			if (lfd < 0) {
				if (!told)
					syslog(LOG_ERR, "cannot listen for peers: %s; "
					       "retrying every 5 s", err);
				told = true;
				if (poll(&p[1], 1, 5000) > 0)
					break;
				continue;
			}
			syslog(LOG_INFO, "listening for peers on port %u", port);
			p[0].fd = lfd;
		}
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (p[0].revents) {
			struct sockaddr_storage ss;
			socklen_t sl = sizeof(ss);
			struct conn *c;
			pthread_attr_t at;
			pthread_t t;
			int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);

			if (fd < 0)
				continue;
			c = NULL;
			if (__atomic_add_fetch(&nr_conns, 1, __ATOMIC_SEQ_CST) <= MAX_CONNS)
				c = calloc(1, sizeof(*c));
			if (!c) {
				__atomic_sub_fetch(&nr_conns, 1, __ATOMIC_SEQ_CST);
				close(fd);
				continue;
			}
			c->fd = fd;
			addr_str(&ss, c->addr, sizeof(c->addr));
			pthread_attr_init(&at);
			pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
			if (pthread_create(&t, &at, conn_thread, c)) {
				__atomic_sub_fetch(&nr_conns, 1, __ATOMIC_SEQ_CST);
				close(fd);
				free(c);
			}
			pthread_attr_destroy(&at);
		}
	}
	if (lfd >= 0)
		close(lfd);
	return NULL;
}

/* ---- the link manager (connecting side) ---- */

struct job {
	char pool[CAIRN_NAME_LEN];
	char name[CAIRN_NAME_LEN];
	uint8_t uuid[16];
	struct cairn_cfg_peer peer;
	bool connects;			/* this node's name sorts first */
};

static int parse_uuid(const char *s, uint8_t *out)
{
	unsigned int i, b;

	for (i = 0; i < 16; i++) {
		if (*s == '-')
			s++;
		if (sscanf(s, "%2x", &b) != 1)
			return -1;
		out[i] = b;
		s += 2;
	}
	return 0;
}

/* The configured mirrors, copied out of the configuration. */
static unsigned int jobs_get(struct job *jobs, char *self)
{
	struct cairn_config *cfg;
	unsigned int i, n = 0;

	rcu_read_lock();
	cfg = rcu_dereference(cfg_rcu);
	if (cfg)
		cairn_config_node(cfg, self, CAIRN_NAME_LEN);
	for (i = 0; cfg && i < cfg->nr_volumes && n < MAX_LINKS; i++) {
		const struct cairn_cfg_volume *v = &cfg->volumes[i];
		struct cairn_cfg_peer *p = cairn_config_peer(cfg, v->mirror.peer);
		struct job *j = &jobs[n];

		if (!v->mirror.peer[0] || !p || parse_uuid(v->uuid, j->uuid))
			continue;
		snprintf(j->pool, sizeof(j->pool), "%s", v->pool);
		snprintf(j->name, sizeof(j->name), "%s", v->name);
		j->peer = *p;
		j->connects = strcmp(self, p->name) < 0;
		n++;
	}
	rcu_read_unlock();
	return n;
}

/* One socket of the link: connected, authenticated, LINK accepted. */
static int link_socket(const struct job *j, const char *self, char kind,
		       char *err, size_t errlen)
{
	struct cairn_peer_msg m = { .type = CAIRN_PEER_LINK, .kind = kind }, rep;
	int fd, r;

	fd = cairn_peer_connect(&j->peer, self, err, errlen);
	if (fd < 0)
		return fd;
	memcpy(m.uuid, j->uuid, 16);
	r = cairn_peer_request(fd, &m, &rep, CAIRN_PEER_TIMEOUT_MS);
	if (r) {
		snprintf(err, errlen, "peer %s: no answer to LINK: %s", j->peer.name,
			 strerror(-r));
	} else if (rep.status) {
		snprintf(err, errlen, "peer %s: %s", j->peer.name, rep.message);
		r = -(int)rep.status;
	}
	if (r) {
		close(fd);
		return r;
	}
	return fd;
}

/* Refusals that another attempt would meet again. */
static bool refusal(int r)
{
	return r == -EINVAL || r == -EBUSY || r == -ESTALE || r == -EUCLEAN ||
	       r == -EPROTO;
}

/* Returns 0 (connected) or a negative errno, the reason in @err. */
static int link_attempt(struct cairn_nl *nl, const struct job *j,
			const char *self, bool *refused, char *err, size_t errlen)
{
	int dfd, mfd, r;

	*refused = false;
	dfd = link_socket(j, self, 'D', err, errlen);
	if (dfd < 0)
		return dfd;
	mfd = link_socket(j, self, 'M', err, errlen);
	if (mfd < 0) {
		close(dfd);
		return mfd;
	}
	r = cairn_nl_mirror_connect(nl, j->pool, j->name, dfd, mfd, 0, 0, NULL);
	if (r) {
		snprintf(err, errlen, "the kernel refused the link: %s",
			 nl_why(nl, r));
		*refused = refusal(r);
	}
	close(dfd);
	close(mfd);
	return r;
}

static void notify_peer(const struct job *j, const char *self)
{
	struct cairn_peer_msg m = { .type = CAIRN_PEER_RETRY }, rep;
	char err[300];
	int fd;

	fd = cairn_peer_connect(&j->peer, self, err, sizeof(err));
	if (fd < 0)
		return;		/* it retries on its own anyway */
	memcpy(m.uuid, j->uuid, 16);
	cairn_peer_request(fd, &m, &rep, CAIRN_PEER_TIMEOUT_MS);
	close(fd);
}

static void link_one(struct cairn_nl *nl, const struct job *j, const char *self)
{
	struct cairn_volume_desc v;
	struct vstate *s;
	bool refused, notify;
	char err[300];
	int r;

	pthread_mutex_lock(&lk.lock);
	s = vstate(j->pool, j->name, true);
	notify = s && s->notify;
	if (s)
		s->notify = false;
	if (!s || s->blocked || (j->connects && now_ms() < s->next)) {
		pthread_mutex_unlock(&lk.lock);
		return;
	}
	pthread_mutex_unlock(&lk.lock);
	if (!j->connects) {
		if (notify)
			notify_peer(j, self);
		return;
	}
	r = cairn_nl_volume_get(nl, j->pool, j->name, &v);
	if (r || !v.mirror.mirrored)
		return;		/* restore reports it */
	if (v.mirror.link == CAIRN_LINK_CONNECTING)
		return;		/* the peer's link request is being taken */
	pthread_mutex_lock(&lk.lock);
	if (v.mirror.link != CAIRN_LINK_STANDALONE) {
		s->up = true;
		s->last[0] = '\0';
		s->delay_ms = BACKOFF_MIN_MS;
		pthread_mutex_unlock(&lk.lock);
		return;
	}
	if (s->up)
		syslog(LOG_WARNING, "volume %s/%s: link to peer %s is down; reconnecting",
		       j->pool, j->name, j->peer.name);
	s->up = false;
	pthread_mutex_unlock(&lk.lock);

	r = link_attempt(nl, j, self, &refused, err, sizeof(err));

	pthread_mutex_lock(&lk.lock);
	if (!r) {
		syslog(LOG_NOTICE, "volume %s/%s: link to peer %s connected",
		       j->pool, j->name, j->peer.name);
		s->up = true;
		s->last[0] = '\0';
		s->delay_ms = BACKOFF_MIN_MS;
	} else if (refused) {
		syslog(LOG_ERR, "volume %s/%s: link to peer %s: %s; not retried "
		       "until the volume's role changes or cairnd reloads",
		       j->pool, j->name, j->peer.name, err);
		s->blocked = true;
		s->last[0] = '\0';
	} else {
		if (strcmp(s->last, err))
			syslog(LOG_WARNING, "volume %s/%s: link to peer %s: %s; "
			       "retrying", j->pool, j->name, j->peer.name, err);
		snprintf(s->last, sizeof(s->last), "%s", err);
		s->next = now_ms() + s->delay_ms;
		s->delay_ms = s->delay_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
			      s->delay_ms * 2;
	}
	pthread_mutex_unlock(&lk.lock);
}

static void *linker_thread(void *arg)
{
	static struct job jobs[MAX_LINKS];
	char self[CAIRN_NAME_LEN];
	struct cairn_nl *nl = NULL;
	unsigned int i, n;
	struct timespec ts;

	rcu_register_thread();
	for (;;) {
		pthread_mutex_lock(&lk.lock);
		if (!lk.kick && !lk.stop) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&lk.cond, &lk.lock, &ts);
		}
		lk.kick = false;
		if (lk.stop) {
			pthread_mutex_unlock(&lk.lock);
			break;
		}
		pthread_mutex_unlock(&lk.lock);
		n = jobs_get(jobs, self);
		if (!n)
			continue;
		if (!nl && cairn_nl_open(&nl)) {
			nl = NULL;
			continue;
		}
		for (i = 0; i < n; i++)
			link_one(nl, &jobs[i], self);
	}
	if (nl)
		cairn_nl_close(nl);
	rcu_unregister_thread();
	return NULL;
}

int peers_start(unsigned int port)
{
	int r;

	pending_init();
	stop_fd = eventfd(0, EFD_CLOEXEC);
	if (stop_fd < 0)
		return -errno;
	r = pthread_create(&listener, NULL, listener_thread, (void *)(uintptr_t)port);
	if (r)
		return -r;
	r = pthread_create(&linker, NULL, linker_thread, NULL);
	if (r) {
		uint64_t one = 1;

		if (write(stop_fd, &one, sizeof(one)) == sizeof(one))
			pthread_join(listener, NULL);
		return -r;
	}
	started = true;
	return 0;
}

void peers_stop(void)
{
	uint64_t one = 1;

	if (!started)
		return;
	pthread_mutex_lock(&lk.lock);
	lk.stop = true;
	pthread_cond_signal(&lk.cond);
	pthread_mutex_unlock(&lk.lock);
	if (write(stop_fd, &one, sizeof(one)) != sizeof(one))
		syslog(LOG_ERR, "cannot stop the peer listener: %m");
	else
		pthread_join(listener, NULL);
	pthread_join(linker, NULL);
}
