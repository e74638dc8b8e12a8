// SPDX-License-Identifier: GPL-2.0
/*
 * mlink - drive a volume's mirror through libcairn, for the in-VM tests of
 * the kernel's mirror that need what cairnd does not offer (a false peer,
 * a link by hand, a kill in the middle of a step): connect the two
 * TCP sockets of a link (one node listens, the other connects; a tag byte
 * says which is the data socket and which the meta socket) and hand them
 * to the module, set roles, print the state.
 *
 *   mlink create POOL VOL SIZE UUID        a volume with the given UUID
 *   mlink set POOL VOL ROLE [force] [peer=NAME]
 *   mlink connect POOL VOL listen PORT | connect ADDR PORT [TIMEOUT_MS]
 *   mlink disconnect POOL VOL
 *   mlink quorum POOL VOL LEASE_MS [alone|notalone]  cairnd's lease, by hand
 *   mlink status POOL VOL                  key=value on one line
 *   mlink wait POOL VOL KEY=VALUE SECONDS  until the status shows it
 *   mlink uuid POOL VOL                    the volume's UUID, in hex
 *   mlink peer PORT UUID SIZE CASE         a false peer (see fake_peer())
 *
 * Exit status: 0, 1 refused (the kernel's message on stderr), 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netdb.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "core/wire.h"
/* libcairn counts the NUL in its CAIRN_NAME_LEN; core does not. */
#undef CAIRN_NAME_LEN
#include "libcairn.h"
#include "uapi/cairn_nl.h"

static struct cairn_nl *nl;

static int usage(void)
{
	fprintf(stderr, "usage: mlink create|set|connect|disconnect|quorum|status|wait|uuid POOL VOL ...\n");
	return 2;
}

static int refused(const char *what, int r)
{
	const char *msg = cairn_nl_error(nl);

	fprintf(stderr, "mlink: %s: %s\n", what,
		msg && *msg ? msg : strerror(-r));
	return 1;
}

static int status_line(const char *pool, const char *vol, char *buf, size_t len)
{
	struct cairn_volume_desc v;
	const struct cairn_mirror_desc *m = &v.mirror;
	int r = cairn_nl_volume_get(nl, pool, vol, &v);

	if (r)
		return r;
	if (!m->mirrored) {
		snprintf(buf, len, "role=off mapped=%llu",
			 (unsigned long long)v.mapped);
		return 0;
	}
	snprintf(buf, len,
		 "role=%s link=%s disk=%s peer_role=%s peer_disk=%s oos=%llu resynced=%llu sent=%llu grain=%u mapped=%llu lease=%s alone=%u held=%u al=%llu tx_batches=%llu tx_msgs=%llu tx_rides=%llu tx_copied=%llu",
		 cairn_mirror_role_name(m->role), cairn_mirror_link_name(m->link),
		 cairn_mirror_disk_name(m->disk),
		 cairn_mirror_link_up(m) ? cairn_mirror_role_name(m->peer_role) : "-",
		 cairn_mirror_link_up(m) ? cairn_mirror_disk_name(m->peer_disk) : "-",
		 (unsigned long long)m->oos, (unsigned long long)m->resynced,
		 (unsigned long long)m->sent, m->grain,
		 (unsigned long long)v.mapped,
		 m->lease == 1 ? "held" : m->lease == 2 ? "lapsed" : "none",
		 m->alone, m->held, (unsigned long long)m->activity,
		 (unsigned long long)m->tx_batches, (unsigned long long)m->tx_msgs,
		 (unsigned long long)m->tx_rides, (unsigned long long)m->tx_copied);
	return 0;
}

/*
 * Two connections to ADDR:PORT, or two accepted on PORT.  The connecting
 * side writes a tag byte on each ('D' data, 'M' meta) and the accepting
 * side reads it, so the two are never taken for each other whatever the
 * order of the accepts.
 */
static int link_sockets(int listen_mode, const char *addr, const char *port,
			int fds[2])
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	static const char tags[2] = { 'D', 'M' };
	int one = 1, i, s;
	char tag;

	sin.sin_port = htons(atoi(port));
	if (listen_mode) {
		s = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) || listen(s, 2)) {
			perror("mlink: listen");
			return -1;
		}
		fds[0] = fds[1] = -1;
		for (i = 0; i < 2; i++) {
			int fd = accept(s, NULL, NULL);

			if (fd < 0 || read(fd, &tag, 1) != 1 ||
			    (tag != 'D' && tag != 'M') || fds[tag == 'M'] >= 0) {
				fprintf(stderr, "mlink: a connection without its tag\n");
				return -1;
			}
			fds[tag == 'M'] = fd;
		}
		close(s);
		return 0;
	}
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "mlink: bad address %s\n", addr);
		return -1;
	}
	for (i = 0; i < 2; i++) {
		int tries;

		for (tries = 0; tries < 300; tries++) {
			fds[i] = socket(AF_INET, SOCK_STREAM, 0);
			if (!connect(fds[i], (struct sockaddr *)&sin, sizeof(sin)))
				break;
			close(fds[i]);
			usleep(100000);
		}
		if (tries == 300) {
			perror("mlink: connect");
			return -1;
		}
		if (write(fds[i], &tags[i], 1) != 1) {
			perror("mlink: tag");
			return -1;
		}
	}
	return 0;
}

static int parse_uuid(const char *hex, uint8_t *uuid)
{
	unsigned int i, b;

	for (i = 0; i < 16; i++) {
		while (*hex == '-')
			hex++;
		if (sscanf(hex, "%2x", &b) != 1)
			return -1;
		uuid[i] = b;
		hex += 2;
	}
	return *hex ? -1 : 0;
}

static int send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int send_msg(int fd, const struct cairn_wire_msg *m)
{
	uint8_t buf[CAIRN_WIRE_HDR_SIZE + CAIRN_WIRE_BODY_MAX];

	return send_all(fd, buf, cairn_wire_encode(buf, m));
}

/* The next message on @fd within @ms: 1, 0 at EOF or timeout, -1 bad. */
static int recv_msg(int fd, struct cairn_wire_msg *m, int ms)
{
	uint8_t hdr[CAIRN_WIRE_HDR_SIZE], body[CAIRN_WIRE_MAX_BODY];
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 };
	const char *why;
	size_t want, got;
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (got = 0; got < sizeof(hdr); got += n) {
		n = read(fd, hdr + got, sizeof(hdr) - got);
		if (n <= 0)
			return 0;
	}
	if (cairn_wire_decode_header(hdr, m, &why))
		return -1;
	want = m->length;
	if (want > sizeof(body))
		return -1;
	for (got = 0; got < want; got += n) {
		n = read(fd, body + got, want - got);
		if (n <= 0)
			return 0;
	}
	return cairn_wire_decode_body(body, m, &why) ? -1 : 1;
}

/*
 * "stale": link 1 carries a write and goes at once, while the write is
 * still being applied (the test slows the member); link 2 follows.  The
 * write's ack belongs to link 1: on link 2 it would complete whatever
 * request of the new link has its cookie.  Pings of link 2 are answered;
 * an ack of cookie 1 there within 6 s is reported (exit 1).
 */
static int fake_stale(const char *port, struct cairn_wire_msg *hello)
{
	uint8_t data[4096], junk[4096];
	struct cairn_wire_msg m;
	int fds[2], i, r;

	memset(data, 0x5a, sizeof(data));
	hello->hello.role = CAIRN_WIRE_PRIMARY;
	if (link_sockets(1, NULL, port, fds))
		return 1;
	send_msg(fds[0], hello);
	usleep(300000);
	memset(&m, 0, sizeof(m));
	m.cmd = CAIRN_W_DATA;
	m.data.cookie = 1;
	m.data.seq = 1;
	m.data.size = sizeof(data);
	m.payload = sizeof(data);
	send_msg(fds[0], &m);
	send_all(fds[0], data, sizeof(data));
	usleep(100000);
	close(fds[0]);
	close(fds[1]);

	if (link_sockets(1, NULL, port, fds))
		return 1;
	send_msg(fds[0], hello);
	for (i = 0; i < 60; i++) {
		r = recv_msg(fds[1], &m, 100);
		/* The module's data socket: read and dropped. */
		while (recv(fds[0], junk, sizeof(junk), MSG_DONTWAIT) > 0)
			;
		if (r < 0) {
			fprintf(stderr, "mlink: a bad message on link 2's meta socket\n");
			return 1;
		}
		if (!r)
			continue;
		if (m.cmd == CAIRN_W_PING) {
			m.cmd = CAIRN_W_PING_ACK;
			send_msg(fds[1], &m);
		} else if (m.cmd == CAIRN_W_WRITE_ACK || m.cmd == CAIRN_W_NEG_ACK) {
			fprintf(stderr, "mlink: link 2 got the ack of link 1's write (cookie %llu)\n",
				(unsigned long long)m.ack.cookie);
			return 1;
		}
	}
	printf("no ack of link 1's write on link 2\n");
	close(fds[0]);
	close(fds[1]);
	return 0;
}

/*
 * A false peer on PORT for the bad-input tests: it accepts the two
 * connections of a link and then, per CASE:
 *   garbage      random bytes where HELLO belongs
 *   uuid, size   a HELLO for another volume
 *   primary      a HELLO as primary (to a primary)
 *   truncated    a good HELLO (secondary), then half a header, then closes
 *   hugelen      a good HELLO (primary), then a DATA header of 4 GiB
 *   pastend      a good HELLO (primary), then DATA past the volume's end
 *   badack       a good HELLO (secondary), then an ack of nothing sent
 *   ackless      a good HELLO (secondary), then never an ack
 *   rsreq        a good HELLO (secondary), then an RS_REQUEST (to a primary)
 *   unasked      a good HELLO (secondary), then resync DATA not pulled
 *   bitmap       a good HELLO (primary), then a BITMAP not from bit 0
 *   zeroes       a good HELLO (primary), then WRITE_ZEROES over two chunks
 *   stale        two links in turn (see fake_stale())
 *   silent       nothing at all (the handshake waits for a HELLO)
 * and reads what comes until the module closes the link.
 */
static int fake_peer(const char *port, const char *uuid_hex, uint64_t size,
		     const char *what)
{
	struct cairn_wire_msg m = { .cmd = CAIRN_W_HELLO };
	uint8_t junk[4096];
	int fds[2];
	unsigned int i;

	memset(&m, 0, sizeof(m));
	m.cmd = CAIRN_W_HELLO;
	if (parse_uuid(uuid_hex, m.hello.uuid))
		return usage();
	strcpy(m.hello.name, "fake");
	m.hello.size = size;
	m.hello.grain_shift = 16;
	m.hello.role = CAIRN_WIRE_SECONDARY;
	m.hello.disk = CAIRN_WIRE_CONSISTENT;
	if (!strcmp(what, "stale"))
		return fake_stale(port, &m);
	if (link_sockets(1, NULL, port, fds))
		return 1;
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = random();
	if (!strcmp(what, "garbage")) {
		send_all(fds[0], junk, 64);
	} else if (!strcmp(what, "uuid")) {
		m.hello.uuid[0] ^= 1;
		send_msg(fds[0], &m);
	} else if (!strcmp(what, "size")) {
		m.hello.size += 4096;
		send_msg(fds[0], &m);
	} else if (!strcmp(what, "primary")) {
		m.hello.role = CAIRN_WIRE_PRIMARY;
		send_msg(fds[0], &m);
	} else if (!strcmp(what, "truncated")) {
		send_msg(fds[0], &m);
		sleep(1);
		send_all(fds[0], junk, 8);
	} else if (!strcmp(what, "badack")) {
		send_msg(fds[0], &m);
		sleep(1);
		memset(&m, 0, sizeof(m));
		m.cmd = CAIRN_W_WRITE_ACK;
		m.ack.cookie = 12345;
		m.ack.seq = 12345;
		send_msg(fds[1], &m);
	} else if (!strcmp(what, "ackless")) {
		send_msg(fds[0], &m);
	} else if (!strcmp(what, "rsreq") || !strcmp(what, "unasked")) {
		send_msg(fds[0], &m);
		sleep(1);
		memset(&m, 0, sizeof(m));
		m.cmd = CAIRN_W_RS_REQUEST;
		m.data.cookie = 1;
		m.data.size = 65536;
		if (!strcmp(what, "unasked")) {
			m.cmd = CAIRN_W_DATA;
			m.data.seq = 1;
			m.data.flags = CAIRN_WF_RESYNC | CAIRN_WF_UNMAPPED;
		}
		send_msg(fds[0], &m);
	} else if (!strcmp(what, "bitmap")) {
		m.hello.role = CAIRN_WIRE_PRIMARY;
		send_msg(fds[0], &m);
		sleep(1);
		memset(&m, 0, sizeof(m));
		m.cmd = CAIRN_W_BITMAP;
		m.bitmap.first = 8;
		m.bitmap.nbits = 8;
		m.payload = 1;
		send_msg(fds[0], &m);
		send_all(fds[0], junk, 1);
	} else if (!strcmp(what, "zeroes")) {
		/* WRITE_ZEROES over two 64 KiB chunks, from 1984 KiB. */
		m.hello.role = CAIRN_WIRE_PRIMARY;
		send_msg(fds[0], &m);
		sleep(1);
		memset(&m, 0, sizeof(m));
		m.cmd = CAIRN_W_DATA;
		m.data.sector = (1984 << 10) >> 9;
		m.data.cookie = 1;
		m.data.seq = 1;
		m.data.flags = CAIRN_WF_ZEROES;
		m.data.size = 128 << 10;
		send_msg(fds[0], &m);
	} else if (!strcmp(what, "silent")) {
		/* the module's HELLO is read below, and never answered */
	} else if (!strcmp(what, "hugelen") || !strcmp(what, "pastend")) {
		uint8_t hdr[CAIRN_WIRE_HDR_SIZE];

		m.hello.role = CAIRN_WIRE_PRIMARY;
		m.hello.dirty_bits = 0;
		send_msg(fds[0], &m);
		sleep(1);
		memset(&m, 0, sizeof(m));
		m.cmd = CAIRN_W_DATA;
		m.data.sector = size >> 9;
		m.data.cookie = 1;
		m.data.seq = 1;
		m.data.size = 4096;
		m.payload = 4096;
		if (!strcmp(what, "hugelen")) {
			cairn_wire_encode(hdr, &m);
			memset(hdr + 8, 0xff, 4);
			send_all(fds[0], hdr, sizeof(hdr));
		} else {
			send_msg(fds[0], &m);
			send_all(fds[0], junk, 4096);
		}
	} else {
		return usage();
	}
	/* Until the module drops the link. */
	while (read(fds[0], junk, sizeof(junk)) > 0)
		;
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd, *pool, *vol;
	char line[512];
	int r, fds[2];

	if (argc == 6 && !strcmp(argv[1], "peer"))
		return fake_peer(argv[2], argv[3], strtoull(argv[4], NULL, 0),
				 argv[5]);
	if (argc < 4)
		return usage();
	cmd = argv[1];
	pool = argv[2];
	vol = argv[3];
	r = cairn_nl_open(&nl);
	if (r) {
		fprintf(stderr, "mlink: no cairn module: %s\n", strerror(-r));
		return 1;
	}
	if (!strcmp(cmd, "create") && argc == 6) {
		uint8_t uuid[16];

		if (parse_uuid(argv[5], uuid))
			return usage();
		r = cairn_nl_volume_create_uuid(nl, pool, vol,
						strtoull(argv[4], NULL, 0), uuid,
						NULL);
		return r ? refused("create", r) : 0;
	}
	if (!strcmp(cmd, "uuid")) {
		struct cairn_volume_desc v;
		int i;

		r = cairn_nl_volume_get(nl, pool, vol, &v);
		if (r)
			return refused("uuid", r);
		for (i = 0; i < 16; i++)
			printf("%02x", v.uuid[i]);
		printf("\n");
		return 0;
	}
	if (!strcmp(cmd, "set") && argc >= 5) {
		const char *peer = NULL;
		uint32_t role;
		int force = 0, i;

		if (!strcmp(argv[4], "primary"))
			role = CAIRN_ROLE_PRIMARY;
		else if (!strcmp(argv[4], "secondary"))
			role = CAIRN_ROLE_SECONDARY;
		else if (!strcmp(argv[4], "off"))
			role = CAIRN_ROLE_OFF;
		else
			return usage();
		for (i = 5; i < argc; i++) {
			if (!strcmp(argv[i], "force"))
				force = 1;
			else if (!strncmp(argv[i], "peer=", 5))
				peer = argv[i] + 5;
			else
				return usage();
		}
		r = cairn_nl_mirror_set(nl, pool, vol, role, peer, force, NULL);
		return r ? refused("set", r) : 0;
	}
	if (!strcmp(cmd, "connect") && argc >= 6) {
		int listen_mode = !strcmp(argv[4], "listen");
		uint32_t timeout = 0;

		if (listen_mode ? argc > 7 : argc < 7)
			return usage();
		if (argc == (listen_mode ? 7 : 8))
			timeout = atoi(argv[argc - 1]);
		if (link_sockets(listen_mode, listen_mode ? NULL : argv[5],
				 argv[listen_mode ? 5 : 6], fds))
			return 1;
		r = cairn_nl_mirror_connect(nl, pool, vol, fds[0], fds[1], 0,
					    timeout, NULL);
		close(fds[0]);
		close(fds[1]);
		return r ? refused("connect", r) : 0;
	}
	if (!strcmp(cmd, "quorum") && (argc == 5 || argc == 6)) {
		int alone = -1;

		if (argc == 6 && strcmp(argv[5], "alone") && strcmp(argv[5], "notalone"))
			return usage();
		if (argc == 6)
			alone = !strcmp(argv[5], "alone");
		r = cairn_nl_mirror_quorum(nl, pool, vol, strtoul(argv[4], NULL, 10),
					   alone, NULL);
		return r ? refused("quorum", r) : 0;
	}
	if (!strcmp(cmd, "disconnect")) {
		r = cairn_nl_mirror_disconnect(nl, pool, vol);
		return r ? refused("disconnect", r) : 0;
	}
	if (!strcmp(cmd, "status")) {
		r = status_line(pool, vol, line, sizeof(line));
		if (r)
			return refused("status", r);
		printf("%s\n", line);
		return 0;
	}
	if (!strcmp(cmd, "wait") && argc == 6) {
		int tenths = atoi(argv[5]) * 10;
		char want[128];

		snprintf(want, sizeof(want), " %s ", argv[4]);
		while (tenths-- > 0) {
			char padded[520];

			r = status_line(pool, vol, line, sizeof(line));
			if (r)
				return refused("status", r);
			snprintf(padded, sizeof(padded), " %s ", line);
			if (strstr(padded, want))
				return 0;
			usleep(100000);
		}
		fprintf(stderr, "mlink: %s not reached: %s\n", argv[4], line);
		return 1;
	}
	return usage();
}
