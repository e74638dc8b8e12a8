// SPDX-License-Identifier: GPL-2.0
/*
 * The replication link's sockets: taking over the TCP sockets cairnd
 * connected and authenticated (the NBD model), and sending and receiving
 * the messages of core/wire.h on them.
 *
 * Sends and receives run in the module's own threads and workers, never in
 * the I/O submitter's context.  The sockets allocate with GFP_NOIO and the
 * calls run with PF_MEMALLOC_NOIO set, so memory reclaim that writes to a
 * Cairn volume can never wait for the link that carries its write.
 */
#include <linux/net.h>
#include <linux/file.h>
#include <linux/sched/mm.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "cairn.h"

/*
 * The connected TCP socket behind file descriptor @fd of the caller, with a
 * reference (sockfd_put()), or NULL with *@why set.
 */
struct socket *cairn_link_sock_get(int fd, const char **why)
{
	struct socket *sock;
	int err;

	sock = sockfd_lookup(fd, &err);
	if (!sock) {
		*why = "socket descriptor is not an open socket";
		return NULL;
	}
	if (sock->type != SOCK_STREAM || !sock->sk ||
	    sock->sk->sk_protocol != IPPROTO_TCP ||
	    (sock->sk->sk_family != AF_INET && sock->sk->sk_family != AF_INET6)) {
		*why = "socket descriptor is not a TCP socket";
		goto out_put;
	}
	if (sock->sk->sk_state != TCP_ESTABLISHED) {
		*why = "socket is not connected";
		goto out_put;
	}
	return sock;

out_put:
	sockfd_put(sock);
	return NULL;
}

/* Settings for a socket the module now owns. */
void cairn_link_sock_setup(struct socket *sock, unsigned int timeout_ms)
{
	struct sock *sk = sock->sk;

	lock_sock(sk);
	sk->sk_allocation = GFP_NOIO | __GFP_MEMALLOC;
	sk->sk_sndtimeo = msecs_to_jiffies(timeout_ms);
	sk->sk_rcvtimeo = MAX_SCHEDULE_TIMEOUT;
	release_sock(sk);
	tcp_sock_set_nodelay(sk);
}

/* Bytes already received on @sock and not yet read (a hint: no lock). */
bool cairn_link_sock_pending(struct socket *sock)
{
	return tcp_inq(sock->sk) > 0;
}

/* Wait at most @ms for the next receive (the handshake); 0 for no limit. */
void cairn_link_sock_rcvtimeo(struct socket *sock, unsigned int ms)
{
	lock_sock(sock->sk);
	sock->sk->sk_rcvtimeo = ms ? msecs_to_jiffies(ms) : MAX_SCHEDULE_TIMEOUT;
	release_sock(sock->sk);
}

/* Send all of @msg's iterator.  Returns 0 or a negative errno. */
static int cairn_link_sendmsg(struct socket *sock, struct msghdr *msg)
{
	unsigned int noio = memalloc_noio_save();
	int r = 0;

	while (msg_data_left(msg)) {
		r = sock_sendmsg(sock, msg);
		if (r <= 0) {
			r = r ?: -EPIPE;
			break;
		}
		r = 0;
	}
	memalloc_noio_restore(noio);
	return r;
}

/* Send @len bytes at @buf; @more: more follows at once (MSG_MORE). */
int cairn_link_send(struct socket *sock, const void *buf, size_t len,
		    bool more)
{
	struct kvec vec = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL | (more ? MSG_MORE : 0) };

	iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, &vec, 1, len);
	return cairn_link_sendmsg(sock, &msg);
}

/*
 * A batch of messages, sent under one hold of the socket's lock rather
 * than one per call, and pushed to the wire at its end rather than after
 * each call, so that its segments leave together (and the peer's receive
 * offload merges them).  Everything goes by reference, zero-copy, as
 * nvme-tcp and DRBD send: the skb holds the page until TCP is done with
 * it.  The sender then neither copies the data nor has TCP clear a fresh
 * page to copy it into, which is most of what a copying send costs per
 * write.  A header is copied into a piece of the link's page fragment
 * cache (@frags) first, since its slot is reused by the next batch.  What
 * TCP may not hold (a payload page in slab memory), or a header when no
 * piece can be had, is copied into the stream instead (tx->vecs).
 *
 * Sending by reference is safe because the pages do not change while the
 * peer may still need them: a host write's bio completes only when the
 * peer acknowledged it, and the peer's TCP has every byte before that, so
 * what TCP might send again later it drops as a duplicate.  When the link
 * fails instead, cairn_link_sock_abort() stops the socket before the writes
 * it carried complete; only what a network device already holds can still
 * leave, as for any zero-copy sender.
 */
#define CAIRN_TX_NOTLAST	(MSG_MORE | MSG_SENDPAGE_NOTLAST)

void cairn_link_tx_begin(struct cairn_tx *tx, struct socket *sock,
			 struct bio_vec *vecs, unsigned int max,
			 struct page_frag_cache *frags)
{
	tx->sock = sock;
	tx->vecs = vecs;
	tx->max = max;
	tx->nv = 0;
	tx->len = 0;
	tx->page.bv_len = 0;
	tx->frags = frags;
	tx->nheld = 0;
	tx->error = 0;
	tx->copied = 0;
	tx->noio = memalloc_noio_save();
	lock_sock(sock->sk);
}

/* Send the bytes gathered to copy; @flags: MSG_MORE or 0. */
static void cairn_tx_push_copy(struct cairn_tx *tx, int flags)
{
	struct sock *sk = tx->sock->sk;
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL | flags };
	int r;

	if (!tx->nv)
		return;
	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, tx->vecs, tx->nv, tx->len);
	tx->nv = 0;
	tx->len = 0;
	while (!tx->error && msg_data_left(&msg)) {
		r = tx->sock->ops->sendmsg_locked(sk, &msg, msg_data_left(&msg));
		if (r <= 0)
			tx->error = r ?: -EPIPE;
	}
}

/* Send the page held back, by reference; @flags: as for sendpage. */
static void cairn_tx_push_page(struct cairn_tx *tx, int flags)
{
	struct bio_vec *bv = &tx->page;
	int r;

	while (!tx->error && bv->bv_len) {
		r = kernel_sendpage_locked(tx->sock->sk, bv->bv_page,
					   bv->bv_offset, bv->bv_len,
					   MSG_NOSIGNAL | flags);
		if (r <= 0) {
			tx->error = r ?: -EPIPE;
			break;
		}
		bv->bv_offset += r;
		bv->bv_len -= r;
	}
	bv->bv_len = 0;
}

/* Copy @len bytes of @page at @offset into the stream, next. */
static void cairn_tx_copy(struct cairn_tx *tx, struct page *page,
			  unsigned int offset, unsigned int len)
{
	cairn_tx_push_page(tx, CAIRN_TX_NOTLAST);
	if (tx->nv == tx->max)
		cairn_tx_push_copy(tx, MSG_MORE);
	tx->vecs[tx->nv].bv_page = page;
	tx->vecs[tx->nv].bv_offset = offset;
	tx->vecs[tx->nv++].bv_len = len;
	tx->len += len;
	tx->copied += len;
}

/*
 * A payload segment, next: by reference if TCP may hold its page.  It is
 * held back until what follows is known, so that the last call of the
 * batch is the one that pushes.
 */
void cairn_link_tx_page(struct cairn_tx *tx, const struct bio_vec *bv)
{
	if (!sendpage_ok(bv->bv_page)) {
		cairn_tx_copy(tx, bv->bv_page, bv->bv_offset, bv->bv_len);
		return;
	}
	cairn_tx_push_copy(tx, MSG_MORE);
	cairn_tx_push_page(tx, CAIRN_TX_NOTLAST);
	tx->page = *bv;
}

/*
 * @len bytes at @buf (a header, at most 256), next.  A piece of a power of
 * two, aligned to its size, never spans two pages of the cache's compound
 * page.
 */
void cairn_link_tx_bytes(struct cairn_tx *tx, const void *buf,
			 unsigned int len)
{
	unsigned int sz = roundup_pow_of_two(len);
	struct bio_vec bv;
	void *p = NULL;

	if (tx->frags && tx->nheld < CAIRN_TX_HELD && sz <= 256)
		p = page_frag_alloc_align(tx->frags, sz,
					  GFP_NOIO | __GFP_NOWARN, ~(sz - 1));
	if (!p) {
		cairn_tx_copy(tx, virt_to_page(buf), offset_in_page(buf), len);
		return;
	}
	memcpy(p, buf, len);
	tx->held[tx->nheld++] = p;
	bv.bv_page = virt_to_page(p);
	bv.bv_offset = offset_in_page(p);
	bv.bv_len = len;
	cairn_link_tx_page(tx, &bv);
}

/*
 * Send what is left; @more: more follows at once (MSG_MORE).  Returns 0 or
 * the batch's first error.
 */
int cairn_link_tx_end(struct cairn_tx *tx, bool more)
{
	int flags = more ? MSG_MORE : 0;

	if (tx->page.bv_len)
		cairn_tx_push_page(tx, flags);
	else
		cairn_tx_push_copy(tx, flags);
	release_sock(tx->sock->sk);
	memalloc_noio_restore(tx->noio);
	/* TCP holds its own reference on the pieces it still needs. */
	while (tx->nheld)
		page_frag_free(tx->held[--tx->nheld]);
	return tx->error;
}

/* Give back what is left of a page fragment cache. */
void cairn_link_frags_drain(struct page_frag_cache *frags)
{
	if (!frags->va)
		return;
	__page_frag_cache_drain(virt_to_head_page(frags->va),
				frags->pagecnt_bias);
	frags->va = NULL;
}

/*
 * Stop @sock for good before the writes it carried complete without the
 * peer: it sends a reset, and nothing of its queue leaves any more, so no
 * page sent by reference goes out after its write completed (and the page
 * perhaps changed).
 */
void cairn_link_sock_abort(struct socket *sock)
{
	tcp_abort(sock->sk, ECONNABORTED);
}

/*
 * Receive exactly @len bytes into @buf.  Returns 0, -ECONNRESET when the
 * peer closed the connection, or another negative errno (-EAGAIN: the
 * receive timeout passed).
 */
int cairn_link_recv(struct socket *sock, void *buf, size_t len)
{
	unsigned int noio = memalloc_noio_save();
	struct kvec vec;
	struct msghdr msg;
	int r = 0;

	while (len) {
		vec.iov_base = buf;
		vec.iov_len = len;
		memset(&msg, 0, sizeof(msg));
		msg.msg_flags = MSG_NOSIGNAL;
		r = kernel_recvmsg(sock, &msg, &vec, 1, len, MSG_WAITALL);
		if (r <= 0) {
			r = r ?: -ECONNRESET;
			break;
		}
		buf += r;
		len -= r;
		r = 0;
	}
	memalloc_noio_restore(noio);
	return r;
}

/*
 * One receive of at most @len bytes, whatever is there (at least one
 * byte): their count, or a negative errno as for cairn_link_recv().
 */
static int cairn_link_recv_some(struct socket *sock, void *buf, size_t len)
{
	unsigned int noio = memalloc_noio_save();
	struct kvec vec = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	int r;

	r = kernel_recvmsg(sock, &msg, &vec, 1, len, 0);
	memalloc_noio_restore(noio);
	return r ?: -ECONNRESET;
}

/* Exactly @len bytes: what @rb holds first, then @rb refilled. */
static int cairn_link_recv_buf(struct socket *sock, struct cairn_rxbuf *rb,
			       void *buf, size_t len)
{
	size_t n;
	int r;

	while (len) {
		if (rb->head == rb->tail) {
			r = cairn_link_recv_some(sock, rb->buf, sizeof(rb->buf));
			if (r < 0)
				return r;
			rb->head = 0;
			rb->tail = r;
		}
		n = min_t(size_t, len, rb->tail - rb->head);
		memcpy(buf, rb->buf + rb->head, n);
		rb->head += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * Receive one message's header and fixed body into @m (@body: room for the
 * largest fixed body).  The payload, m->payload bytes, is still on the
 * socket.  With @rb (a socket whose messages have no payload: the meta
 * socket), the socket is read through it: as much as is there in one
 * receive, so that a burst of acks takes one call into TCP, not two per
 * ack.  Returns 0, -EPROTO with *@why set, or a link error.
 */
int cairn_link_recv_msg(struct socket *sock, struct cairn_rxbuf *rb,
			struct cairn_wire_msg *m, void *body, const char **why)
{
	u8 hdr[CAIRN_WIRE_HDR_SIZE];
	unsigned int size;
	int r;

	r = rb ? cairn_link_recv_buf(sock, rb, hdr, sizeof(hdr)) :
		 cairn_link_recv(sock, hdr, sizeof(hdr));
	if (r)
		return r;
	r = cairn_wire_decode_header(hdr, m, why);
	if (r)
		return r;
	size = cairn_wire_body_size(m->cmd);
	r = rb ? cairn_link_recv_buf(sock, rb, body, size) :
		 cairn_link_recv(sock, body, size);
	if (r)
		return r;
	return cairn_wire_decode_body(body, m, why);
}

/* Encode and send @m's header and fixed body (the payload follows). */
int cairn_link_send_msg(struct socket *sock, const struct cairn_wire_msg *m,
			bool more)
{
	u8 buf[CAIRN_WIRE_HDR_SIZE + CAIRN_WIRE_BODY_MAX];
	unsigned int n = cairn_wire_encode(buf, m);

	return cairn_link_send(sock, buf, n, more);
}
