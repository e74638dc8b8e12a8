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
 * Send @n vectors of @len bytes in all, with one call into TCP; @more:
 * more follows at once (MSG_MORE).  The bytes are copied: the pages may
 * be reused once it returned.
 */
int cairn_link_send_vec(struct socket *sock, struct bio_vec *vecs,
			unsigned int n, size_t len, bool more)
{
	struct msghdr msg = {
		.msg_flags = MSG_NOSIGNAL | (more ? MSG_MORE : 0)
	};

	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, vecs, n, len);
	return cairn_link_sendmsg(sock, &msg);
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
