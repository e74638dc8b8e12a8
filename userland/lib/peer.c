// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libcairn: the peer control protocol, between the cairnd of two nodes
 * (and cairnctl, which talks to the partner's cairnd directly).
 *
 * Framing
 * -------
 * Every message is one frame: a 12-byte header, then the body.
 *
 *   0  magic    "CRNP"
 *   4  version  1
 *   5  type     enum cairn_peer_type
 *   6  reserved 0 (u16)
 *   8  length   of the body, big-endian u32, at most CAIRN_PEER_BODY_MAX
 *
 * Bodies are fixed sequences of fields per type: integers big-endian,
 * strings as a length byte and that many bytes (no NUL inside), binary
 * fields (nonces, MACs, UUIDs) at their fixed size.  The decoder trusts no
 * length: a field past the end, a string too long for its buffer, or
 * bytes left over make the frame -EPROTO.
 *
 * Authentication
 * --------------
 * Both nodes hold the same secret (a file of 16 to 4096 bytes).  The
 * client speaks first; nothing but the nonces is exchanged before the
 * client has proved the secret, and the server proves it in turn:
 *
 *   client -> HELLO      its name Nc, nonce Rc (32 random bytes)
 *   server -> CHALLENGE  its name Ns, nonce Rs
 *             (or REPLY with an error: Nc is not a peer of the server)
 *   client -> AUTH       HMAC-SHA256(secret, "cairn-peer-v1 client" |
 *                        Rc | Rs | Nc | Ns)
 *   server -> AUTH_OK    HMAC-SHA256(secret, "cairn-peer-v1 server" | ...)
 *             (or REPLY "authentication failed", and the server closes)
 *
 * Names enter the MAC with their length byte, so no two name pairs give
 * the same input; the direction label keeps one side's answer from being
 * replayed as the other's.  Each read has a deadline, so a silent peer
 * costs a bounded wait.
 *
 * Requests
 * --------
 * After that the client sends requests, each answered by a REPLY (status
 * 0 or an errno, and a message for the user):
 *   NOP             nothing (cairnctl /peers/NAME status)
 *   CREATE_REPLICA  pool, volume, uuid, size: make the mirror's replica
 *   LINK            uuid, kind: this socket is the data ('D') or meta
 *                   ('M') socket of that volume's link; after an OK reply
 *                   both ends hand it to the kernel and no frame follows
 *   RETRY           uuid: try that volume's link again (the listening side
 *                   tells the connecting side that something changed)
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "libcairn.h"

#define PEER_MAGIC	"CRNP"
#define PEER_VERSION	1
#define CONNECT_TIMEOUT_MS 3000

/* ---- frames ---- */

struct wbuf {
	uint8_t *p;
	size_t o;
};

static void put_u8(struct wbuf *w, uint8_t v)
{
	w->p[w->o++] = v;
}

static void put_u32(struct wbuf *w, uint32_t v)
{
	put_u8(w, v >> 24);
	put_u8(w, v >> 16);
	put_u8(w, v >> 8);
	put_u8(w, v);
}

static void put_u64(struct wbuf *w, uint64_t v)
{
	put_u32(w, v >> 32);
	put_u32(w, (uint32_t)v);
}

static void put_bin(struct wbuf *w, const void *v, size_t n)
{
	memcpy(w->p + w->o, v, n);
	w->o += n;
}

static void put_str(struct wbuf *w, const char *s)
{
	size_t n = strlen(s);

	if (n > 255)
		n = 255;

	put_u8(w, n);
	put_bin(w, s, n);
}

size_t cairn_peer_encode(const struct cairn_peer_msg *m, uint8_t *buf)
{
	struct wbuf w = { .p = buf, .o = CAIRN_PEER_HDR };
	size_t len;

	switch (m->type) {
	case CAIRN_PEER_HELLO:
	case CAIRN_PEER_CHALLENGE:
		put_str(&w, m->node);
		put_bin(&w, m->nonce, sizeof(m->nonce));
		break;
	case CAIRN_PEER_AUTH:
	case CAIRN_PEER_AUTH_OK:
		put_bin(&w, m->mac, sizeof(m->mac));
		break;
	case CAIRN_PEER_REPLY:
		put_u32(&w, m->status);
		put_str(&w, m->message);
		break;
	case CAIRN_PEER_CREATE_REPLICA:
		put_str(&w, m->pool);
		put_str(&w, m->volume);
		put_bin(&w, m->uuid, sizeof(m->uuid));
		put_u64(&w, m->size);
		break;
	case CAIRN_PEER_LINK:
		put_bin(&w, m->uuid, sizeof(m->uuid));
		put_u8(&w, m->kind);
		break;
	case CAIRN_PEER_RETRY:
		put_bin(&w, m->uuid, sizeof(m->uuid));
		break;
	}
	len = w.o - CAIRN_PEER_HDR;
	memcpy(buf, PEER_MAGIC, 4);
	buf[4] = PEER_VERSION;
	buf[5] = m->type;
	buf[6] = 0;
	buf[7] = 0;
	w.o = 8;
	put_u32(&w, len);
	return CAIRN_PEER_HDR + len;
}

int cairn_peer_frame_len(const uint8_t *hdr)
{
	uint32_t len = (uint32_t)hdr[8] << 24 | (uint32_t)hdr[9] << 16 |
		       (uint32_t)hdr[10] << 8 | hdr[11];

	if (memcmp(hdr, PEER_MAGIC, 4) || hdr[4] != PEER_VERSION ||
	    !hdr[5] || hdr[5] >= __CAIRN_PEER_TYPE_MAX || hdr[6] || hdr[7] ||
	    len > CAIRN_PEER_BODY_MAX)
		return -EPROTO;
	return CAIRN_PEER_HDR + len;
}

struct rbuf {
	const uint8_t *p;
	size_t o, len;
	bool bad;
};

static const uint8_t *take(struct rbuf *r, size_t n)
{
	const uint8_t *p = r->p + r->o;

	if (r->bad || n > r->len - r->o) {
		r->bad = true;
		return NULL;
	}
	r->o += n;
	return p;
}

static uint64_t get_n(struct rbuf *r, unsigned int bytes)
{
	const uint8_t *p = take(r, bytes);
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; p && i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

static void get_bin(struct rbuf *r, void *out, size_t n)
{
	const uint8_t *p = take(r, n);

	if (p)
		memcpy(out, p, n);
}

/* A string into @out of @size bytes (with its NUL). */
static void get_str(struct rbuf *r, char *out, size_t size)
{
	size_t n = get_n(r, 1);
	const uint8_t *p = take(r, n);

	if (!p || n >= size || memchr(p, 0, n)) {
		r->bad = true;
		return;
	}
	memcpy(out, p, n);
	out[n] = '\0';
}

int cairn_peer_decode(const uint8_t *buf, size_t len, struct cairn_peer_msg *m)
{
	struct rbuf r = { .p = buf, .o = CAIRN_PEER_HDR, .len = len };
	int flen;

	memset(m, 0, sizeof(*m));
	if (len < CAIRN_PEER_HDR)
		return -EPROTO;
	flen = cairn_peer_frame_len(buf);
	if (flen < 0 || (size_t)flen != len)
		return -EPROTO;
	m->type = buf[5];
	switch (m->type) {
	case CAIRN_PEER_HELLO:
	case CAIRN_PEER_CHALLENGE:
		get_str(&r, m->node, sizeof(m->node));
		get_bin(&r, m->nonce, sizeof(m->nonce));
		break;
	case CAIRN_PEER_AUTH:
	case CAIRN_PEER_AUTH_OK:
		get_bin(&r, m->mac, sizeof(m->mac));
		break;
	case CAIRN_PEER_REPLY:
		m->status = get_n(&r, 4);
		get_str(&r, m->message, sizeof(m->message));
		break;
	case CAIRN_PEER_CREATE_REPLICA:
		get_str(&r, m->pool, sizeof(m->pool));
		get_str(&r, m->volume, sizeof(m->volume));
		get_bin(&r, m->uuid, sizeof(m->uuid));
		m->size = get_n(&r, 8);
		break;
	case CAIRN_PEER_LINK:
		get_bin(&r, m->uuid, sizeof(m->uuid));
		m->kind = get_n(&r, 1);
		if (m->kind != 'D' && m->kind != 'M')
			r.bad = true;
		break;
	case CAIRN_PEER_RETRY:
		get_bin(&r, m->uuid, sizeof(m->uuid));
		break;
	}
	if (r.bad || r.o != r.len)
		return -EPROTO;
	return 0;
}

/* ---- the socket ---- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read exactly @n bytes before @deadline (ms). */
static int read_full(int fd, uint8_t *buf, size_t n, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t got;
	int64_t left;

	while (n) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!p.revents)
			continue;
		got = recv(fd, buf, n, MSG_DONTWAIT);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got < 0)
			return -errno;
		if (!got)
			return -ECONNRESET;
		buf += got;
		n -= got;
	}
	return 0;
}

int cairn_peer_send(int fd, const struct cairn_peer_msg *m)
{
	uint8_t buf[CAIRN_PEER_HDR + CAIRN_PEER_BODY_MAX];
	size_t len = cairn_peer_encode(m, buf), o = 0;
	ssize_t n;

	while (o < len) {
		n = send(fd, buf + o, len - o, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		o += n;
	}
	return 0;
}

int cairn_peer_recv(int fd, struct cairn_peer_msg *m, int timeout_ms)
{
	uint8_t buf[CAIRN_PEER_HDR + CAIRN_PEER_BODY_MAX];
	int64_t deadline = now_ms() + timeout_ms;
	int r, len;

	r = read_full(fd, buf, CAIRN_PEER_HDR, deadline);
	if (r)
		return r;
	len = cairn_peer_frame_len(buf);
	if (len < 0)
		return len;
	r = read_full(fd, buf + CAIRN_PEER_HDR, len - CAIRN_PEER_HDR, deadline);
	if (r)
		return r;
	return cairn_peer_decode(buf, len, m);
}

int cairn_peer_reply(int fd, uint32_t status, const char *fmt, ...)
{
	struct cairn_peer_msg m = { .type = CAIRN_PEER_REPLY, .status = status };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m.message, sizeof(m.message), fmt, ap);
	va_end(ap);
	return cairn_peer_send(fd, &m);
}

int cairn_peer_request(int fd, const struct cairn_peer_msg *req,
		       struct cairn_peer_msg *reply, int timeout_ms)
{
	int r = cairn_peer_send(fd, req);

	if (!r)
		r = cairn_peer_recv(fd, reply, timeout_ms);
	if (!r && reply->type != CAIRN_PEER_REPLY)
		r = -EPROTO;
	return r;
}

/* ---- the secret ---- */

int cairn_secret_load(const char *path, uint8_t *key, char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "secret file %s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st)) {
		r = -errno;
		snprintf(err, errlen, "secret file %s: %s", path, strerror(-r));
		goto out;
	}
	r = -EINVAL;
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "secret file %s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & 0044) {
		snprintf(err, errlen, "secret file %s: readable by group or others "
			 "(mode %03o): chmod 600 it", path,
			 (unsigned int)st.st_mode & 0777);
		goto out;
	}
	if (st.st_size < CAIRN_SECRET_MIN || st.st_size > CAIRN_SECRET_MAX) {
		snprintf(err, errlen, "secret file %s: %lld bytes; a secret has "
			 "%d to %d", path, (long long)st.st_size,
			 CAIRN_SECRET_MIN, CAIRN_SECRET_MAX);
		goto out;
	}
	n = read(fd, key, st.st_size);
	if (n != st.st_size) {
		r = n < 0 ? -errno : -EIO;
		snprintf(err, errlen, "secret file %s: %s", path,
			 n < 0 ? strerror(errno) : "changed while read");
		goto out;
	}
	r = (int)n;
out:
	close(fd);
	return r;
}

/* ---- authentication ---- */

static void peer_mac(const uint8_t *key, int keylen, const char *label,
		     const uint8_t *nc, const uint8_t *ns, const char *name_c,
		     const char *name_s, uint8_t *out)
{
	uint8_t in[64 + 2 * CAIRN_PEER_NONCE + 2 * CAIRN_NAME_LEN];
	struct wbuf w = { .p = in };
	unsigned int len = CAIRN_PEER_MAC;

	put_bin(&w, label, strlen(label));
	put_bin(&w, nc, CAIRN_PEER_NONCE);
	put_bin(&w, ns, CAIRN_PEER_NONCE);
	put_str(&w, name_c);
	put_str(&w, name_s);
	if (!HMAC(EVP_sha256(), key, keylen, in, w.o, out, &len))
		memset(out, 0, CAIRN_PEER_MAC);	/* never matches a real one */
}

static int nonce(uint8_t *n)
{
	return getrandom(n, CAIRN_PEER_NONCE, 0) == CAIRN_PEER_NONCE ? 0 : -EIO;
}

static void sock_opts(int fd)
{
	struct timeval tv = { .tv_sec = CAIRN_PEER_TIMEOUT_MS / 1000 };
	int one = 1;

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* A TCP connection to @host:@port within CONNECT_TIMEOUT_MS. */
static int tcp_connect(const char *host, unsigned int port, char *err,
		       size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char service[16];
	int fd = -1, r, e = ECONNREFUSED;
	socklen_t elen;

	snprintf(service, sizeof(service), "%u", port);
	r = getaddrinfo(host, service, &hints, &res);
	if (r) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(r));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		struct pollfd p = { .events = POLLOUT };

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
			    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		p.fd = fd;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS) {
			e = errno;
		} else if (poll(&p, 1, CONNECT_TIMEOUT_MS) <= 0) {
			e = ETIMEDOUT;
		} else {
			elen = sizeof(e);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen))
				e = errno;
			if (!e)
				break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "%s port %u: %s", host, port, strerror(e));
		return -EHOSTUNREACH;
	}
	/* Blocking again: sends are bounded by SO_SNDTIMEO, reads by poll. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	sock_opts(fd);
	return fd;
}

static const char *proto_err(int r)
{
	return r == -ETIMEDOUT ? "no answer in time" :
	       r == -ECONNRESET ? "connection closed" :
	       r == -EPROTO ? "not the Cairn peer protocol" : strerror(-r);
}

int cairn_peer_connect(const struct cairn_cfg_peer *p, const char *self,
		       char *err, size_t errlen)
{
	struct cairn_peer_msg m = { .type = CAIRN_PEER_HELLO }, in;
	uint8_t key[CAIRN_SECRET_MAX], nc[CAIRN_PEER_NONCE], mac[CAIRN_PEER_MAC];
	char why[300];
	int keylen, fd, r;

	keylen = cairn_secret_load(p->secret_file, key, why, sizeof(why));
	if (keylen < 0) {
		snprintf(err, errlen, "peer %s: %s", p->name, why);
		return keylen;
	}
	fd = tcp_connect(p->address, p->port, why, sizeof(why));
	if (fd < 0) {
		snprintf(err, errlen, "peer %s unreachable: %s", p->name, why);
		r = fd;
		goto out_key;
	}
	r = nonce(nc);
	if (r)
		goto fail_io;
	snprintf(m.node, sizeof(m.node), "%s", self);
	memcpy(m.nonce, nc, sizeof(nc));
	r = cairn_peer_send(fd, &m);
	if (!r)
		r = cairn_peer_recv(fd, &in, CAIRN_PEER_TIMEOUT_MS);
	if (r)
		goto fail_io;
	if (in.type == CAIRN_PEER_REPLY) {
		snprintf(err, errlen, "peer %s: unknown peer name: %s", p->name,
			 in.message);
		r = -ENOENT;
		goto fail;
	}
	if (in.type != CAIRN_PEER_CHALLENGE) {
		r = -EPROTO;
		goto fail_io;
	}
	if (strcmp(in.node, p->name)) {
		snprintf(err, errlen, "peer %s: unknown peer name: the node at %s "
			 "port %u calls itself %s", p->name, p->address, p->port,
			 in.node);
		r = -ENOENT;
		goto fail;
	}
	memset(&m, 0, sizeof(m));
	m.type = CAIRN_PEER_AUTH;
	peer_mac(key, keylen, "cairn-peer-v1 client", nc, in.nonce, self,
		 p->name, m.mac);
	peer_mac(key, keylen, "cairn-peer-v1 server", nc, in.nonce, self,
		 p->name, mac);
	r = cairn_peer_send(fd, &m);
	if (!r)
		r = cairn_peer_recv(fd, &in, CAIRN_PEER_TIMEOUT_MS);
	if (r == -ECONNRESET || (!r && in.type == CAIRN_PEER_REPLY)) {
		snprintf(err, errlen, "peer %s: authentication failed: wrong "
			 "secret (the peer refused this node's proof: %s)", p->name,
			 r ? "connection closed" : in.message);
		r = -EACCES;
		goto fail;
	}
	if (r || in.type != CAIRN_PEER_AUTH_OK) {
		r = r ? r : -EPROTO;
		goto fail_io;
	}
	if (CRYPTO_memcmp(in.mac, mac, sizeof(mac))) {
		snprintf(err, errlen, "peer %s: authentication failed: the peer "
			 "did not prove the shared secret (wrong secret there?)",
			 p->name);
		r = -EACCES;
		goto fail;
	}
	OPENSSL_cleanse(key, sizeof(key));
	return fd;

fail_io:
	snprintf(err, errlen, "peer %s (%s port %u): %s", p->name, p->address,
		 p->port, proto_err(r));
fail:
	close(fd);
out_key:
	OPENSSL_cleanse(key, sizeof(key));
	return r;
}

int cairn_peer_accept(int fd, const char *self,
		      int (*secret_path)(const char *peer, char *path,
					 size_t len, void *arg),
		      void *arg, char *peer, char *err, size_t errlen)
{
	struct cairn_peer_msg m, out = { .type = CAIRN_PEER_CHALLENGE };
	uint8_t key[CAIRN_SECRET_MAX], mac[CAIRN_PEER_MAC], ns[CAIRN_PEER_NONCE];
	char path[256], why[300];
	int keylen = 0, r;

	sock_opts(fd);
	peer[0] = '\0';
	r = cairn_peer_recv(fd, &m, CAIRN_PEER_TIMEOUT_MS);
	if (!r && m.type != CAIRN_PEER_HELLO)
		r = -EPROTO;
	if (r) {
		snprintf(err, errlen, "no valid HELLO: %s", proto_err(r));
		return r;
	}
	if (!cairn_valid_name(m.node) || secret_path(m.node, path, sizeof(path), arg)) {
		snprintf(err, errlen, "node %s is not a configured peer", m.node);
		cairn_peer_reply(fd, ENOENT, "%s does not know a peer called %s",
				 self, m.node);
		return -ENOENT;
	}
	keylen = cairn_secret_load(path, key, why, sizeof(why));
	if (keylen < 0) {
		snprintf(err, errlen, "peer %s: %s", m.node, why);
		cairn_peer_reply(fd, EIO, "%s cannot read its secret for %s",
				 self, m.node);
		return keylen;
	}
	snprintf(out.node, sizeof(out.node), "%s", self);
	r = nonce(ns);
	memcpy(out.nonce, ns, sizeof(ns));
	if (!r)
		r = cairn_peer_send(fd, &out);
	if (!r) {
		struct cairn_peer_msg auth;

		r = cairn_peer_recv(fd, &auth, CAIRN_PEER_TIMEOUT_MS);
		if (!r && auth.type != CAIRN_PEER_AUTH)
			r = -EPROTO;
		if (!r)
			memcpy(mac, auth.mac, sizeof(mac));
	}
	if (r) {
		snprintf(err, errlen, "peer %s: %s during authentication", m.node,
			 proto_err(r));
		goto out;
	}
	peer_mac(key, keylen, "cairn-peer-v1 client", m.nonce, ns, m.node, self,
		 out.mac);
	if (CRYPTO_memcmp(out.mac, mac, sizeof(mac))) {
		snprintf(err, errlen, "peer %s: authentication failed (wrong secret)",
			 m.node);
		cairn_peer_reply(fd, EACCES, "authentication failed");
		r = -EACCES;
		goto out;
	}
	memset(&out, 0, sizeof(out));
	out.type = CAIRN_PEER_AUTH_OK;
	peer_mac(key, keylen, "cairn-peer-v1 server", m.nonce, ns, m.node, self,
		 out.mac);
	r = cairn_peer_send(fd, &out);
	if (r)
		snprintf(err, errlen, "peer %s: %s", m.node, proto_err(r));
	else
		snprintf(peer, CAIRN_NAME_LEN, "%s", m.node);
out:
	OPENSSL_cleanse(key, sizeof(key));
	return r;
}
