// SPDX-License-Identifier: GPL-2.0
/*
 * The replication protocol's codec (kmod/core/wire.c): every message
 * round-trips, and every kind of malformed header or body is refused with
 * a reason.
 */
#include <string.h>

#include "core/wire.h"
#include "unit.h"

static u8 buf[CAIRN_WIRE_HDR_SIZE + 256];

/* Encode @m, decode it back into @out; returns the decoder's result. */
static int round_trip(const struct cairn_wire_msg *m,
		      struct cairn_wire_msg *out, const char **why)
{
	unsigned int n = cairn_wire_encode(buf, m);
	int r;

	*why = NULL;
	CHECK_EQ(n, CAIRN_WIRE_HDR_SIZE + cairn_wire_body_size(m->cmd));
	r = cairn_wire_decode_header(buf, out, why);
	if (r)
		return r;
	return cairn_wire_decode_body(buf + CAIRN_WIRE_HDR_SIZE, out, why);
}

/* @m must be refused, with a reason containing @want. */
static void refused(const struct cairn_wire_msg *m, const char *want)
{
	struct cairn_wire_msg out;
	const char *why;

	CHECK_EQ(round_trip(m, &out, &why), -EPROTO);
	CHECK(why && strstr(why, want));
	if (!why || !strstr(why, want))
		fprintf(stderr, "  wanted '%s', got '%s'\n", want,
			why ? why : "(none)");
}

static void test_hello(void)
{
	struct cairn_wire_msg m = { .cmd = CAIRN_W_HELLO }, out, bad;
	struct cairn_wire_hello *h = &m.hello;
	const char *why;

	memset(h->uuid, 0xa5, 16);
	memset(h->node_uuid, 0x5a, 16);
	strcpy(h->name, "vm01");
	h->size = 2ULL << 40;
	h->grain_shift = 20;
	h->role = CAIRN_WIRE_PRIMARY;
	h->disk = CAIRN_WIRE_CONSISTENT;
	h->gen_current = 0x1234567890abcdefULL;
	h->gen_bitmap = 7;
	h->gen_history[0] = 3;
	h->gen_history[1] = 1;
	h->dirty_bits = 2ULL << 20;
	h->mapped = 1ULL << 30;
	CHECK_EQ(round_trip(&m, &out, &why), 0);
	CHECK(!memcmp(&out.hello, h, sizeof(*h)));
	CHECK_EQ(out.payload, 0);

	bad = m;
	bad.hello.size = 1000;
	refused(&bad, "size");
	bad = m;
	bad.hello.grain_shift = 40;
	refused(&bad, "granularity");
	bad = m;
	bad.hello.role = 3;
	refused(&bad, "role");
	bad = m;
	bad.hello.disk = 3;
	refused(&bad, "disk state");
	bad = m;
	bad.hello.dirty_bits = (2ULL << 20) + 1;
	refused(&bad, "dirty bits");
	bad = m;
	bad.hello.mapped = h->size + 4096;
	refused(&bad, "mapped");
	bad = m;
	strcpy(bad.hello.name, "a/b");
	refused(&bad, "name");

	/* Garbage after the name's NUL would not encode back: refused. */
	cairn_wire_encode(buf, &m);
	buf[CAIRN_WIRE_HDR_SIZE + 32 + 10] = 'x';
	CHECK_EQ(cairn_wire_decode_header(buf, &out, &why), 0);
	CHECK_EQ(cairn_wire_decode_body(buf + CAIRN_WIRE_HDR_SIZE, &out, &why),
		 -EPROTO);
}

static void test_data(void)
{
	struct cairn_wire_msg m = { .cmd = CAIRN_W_DATA }, out, bad;
	const char *why;

	m.data.sector = 1ULL << 30;
	m.data.cookie = ~0ULL;
	m.data.seq = 42;
	m.data.flags = CAIRN_WF_FUA;
	m.data.size = 65536;
	m.payload = 65536;
	CHECK_EQ(round_trip(&m, &out, &why), 0);
	CHECK_EQ(out.payload, 65536);
	CHECK_EQ(out.length, 32 + 65536);
	CHECK(!memcmp(&out.data, &m.data, sizeof(m.data)));

	/* Range commands carry no payload. */
	m.data.flags = CAIRN_WF_DISCARD;
	m.data.size = 1U << 30;
	m.payload = 0;
	CHECK_EQ(round_trip(&m, &out, &why), 0);
	CHECK_EQ(out.payload, 0);
	m.data.flags = CAIRN_WF_RESYNC | CAIRN_WF_UNMAPPED;
	CHECK_EQ(round_trip(&m, &out, &why), 0);

	bad = m;
	bad.data.flags = CAIRN_WF_DISCARD;
	bad.payload = 512;
	refused(&bad, "payload on a range command");
	bad = m;
	bad.data.flags = CAIRN_WF_UNMAPPED;
	refused(&bad, "UNMAPPED without RESYNC");
	bad = m;
	bad.data.flags = CAIRN_WF_DISCARD | CAIRN_WF_ZEROES;
	refused(&bad, "conflicting");
	bad = m;
	bad.data.flags = 1U << 20;
	refused(&bad, "unknown flags");
	bad = m;
	bad.data.flags = CAIRN_WF_RESYNC | CAIRN_WF_FUA;
	bad.data.size = 4096;
	bad.payload = 4096;
	refused(&bad, "FUA on resync");
	bad = m;
	bad.data.flags = 0;
	bad.data.size = 4096;
	bad.payload = 4095;
	refused(&bad, "payload does not match");
	bad.data.size = 1000;
	bad.payload = 1000;
	refused(&bad, "multiple of 512");
	bad.data.size = 0;
	bad.payload = 0;
	refused(&bad, "multiple of 512");
	bad.data.size = 512;
	bad.payload = 512;
	bad.data.sector = (1ULL << 54) - 1;
	CHECK_EQ(round_trip(&bad, &out, &why), 0);
	bad.data.size = 1024;
	bad.payload = 1024;
	refused(&bad, "past the largest device");
	bad.data.sector = ~0ULL;
	refused(&bad, "past the largest device");
	bad.data.sector = 0;
	bad.data.size = CAIRN_WIRE_MAX_DATA + 512;
	bad.payload = bad.data.size;
	refused(&bad, "over the limit");
}

static void test_acks(void)
{
	static const unsigned int ok_cmds[] = {
		CAIRN_W_WRITE_ACK, CAIRN_W_FLUSH, CAIRN_W_FLUSH_ACK,
	};
	struct cairn_wire_msg m = { 0 }, out;
	const char *why;
	unsigned int i;

	m.ack.cookie = 99;
	m.ack.seq = 7;
	for (i = 0; i < ARRAY_SIZE(ok_cmds); i++) {
		m.cmd = ok_cmds[i];
		m.ack.status = 0;
		CHECK_EQ(round_trip(&m, &out, &why), 0);
		CHECK_EQ(out.ack.cookie, 99);
		CHECK_EQ(out.ack.seq, 7);
		m.ack.status = EIO;
		refused(&m, m.cmd == CAIRN_W_FLUSH ? "FLUSH" : "status");
	}
	m.cmd = CAIRN_W_NEG_ACK;
	m.ack.status = EIO;
	CHECK_EQ(round_trip(&m, &out, &why), 0);
	CHECK_EQ(out.ack.status, EIO);
	m.ack.status = 0;
	refused(&m, "status does not match");
	m.ack.status = 5000;
	refused(&m, "status out of range");

	m.cmd = CAIRN_W_PING;
	m.ack.seq = 0;
	m.ack.status = 0;
	CHECK_EQ(round_trip(&m, &out, &why), 0);
	CHECK_EQ(out.ack.cookie, 99);
	CHECK_EQ(out.length, 8);

	memset(&m, 0, sizeof(m));
	m.cmd = CAIRN_W_RS_REQUEST;
	m.data.sector = 2048;
	m.data.cookie = 5;
	m.data.size = 1 << 20;
	CHECK_EQ(round_trip(&m, &out, &why), 0);
	CHECK_EQ(out.data.sector, 2048);
	CHECK_EQ(out.data.size, 1 << 20);
	m.data.size = 0;
	refused(&m, "multiple of 512");
}

static void test_bitmap(void)
{
	struct cairn_wire_msg m = { .cmd = CAIRN_W_BITMAP }, out;
	const char *why;

	m.bitmap.first = 4096;
	m.bitmap.nbits = 1000;
	m.payload = 125;
	CHECK_EQ(round_trip(&m, &out, &why), 0);
	CHECK_EQ(out.payload, 125);
	m.payload = 126;
	refused(&m, "payload does not match");
	m.bitmap.nbits = 0;
	m.payload = 0;
	refused(&m, "bit count");
	m.bitmap.nbits = CAIRN_WIRE_MAX_BITS + 8;
	m.payload = m.bitmap.nbits / 8;
	refused(&m, "over the limit");
	m.bitmap.nbits = 8;
	m.payload = 1;
	m.bitmap.first = ~0ULL - 4;
	refused(&m, "past the largest device");
}

static void test_header(void)
{
	struct cairn_wire_msg m = { .cmd = CAIRN_W_PING }, out;
	const char *why;

	cairn_wire_encode(buf, &m);
	CHECK_EQ(cairn_wire_decode_header(buf, &out, &why), 0);

	buf[0] ^= 1;
	CHECK_EQ(cairn_wire_decode_header(buf, &out, &why), -EPROTO);
	CHECK(strstr(why, "magic"));
	buf[0] ^= 1;
	buf[5] = 2;
	CHECK_EQ(cairn_wire_decode_header(buf, &out, &why), -EPROTO);
	CHECK(strstr(why, "version"));
	buf[5] = 1;
	buf[7] = 0;
	CHECK_EQ(cairn_wire_decode_header(buf, &out, &why), -EPROTO);
	CHECK(strstr(why, "unknown command"));
	buf[7] = __CAIRN_W_MAX;
	CHECK_EQ(cairn_wire_decode_header(buf, &out, &why), -EPROTO);
	buf[7] = CAIRN_W_PING;
	buf[11] = 9;			/* a PING of 9 bytes */
	CHECK_EQ(cairn_wire_decode_header(buf, &out, &why), -EPROTO);
	CHECK(strstr(why, "length does not match"));
	buf[11] = 4;
	CHECK_EQ(cairn_wire_decode_header(buf, &out, &why), -EPROTO);
	CHECK(strstr(why, "shorter"));
	buf[11] = 8;
	buf[15] = 1;
	CHECK_EQ(cairn_wire_decode_header(buf, &out, &why), -EPROTO);
	CHECK(strstr(why, "reserved"));
	buf[15] = 0;

	/* A huge length is refused before anything is read or allocated. */
	m.cmd = CAIRN_W_DATA;
	cairn_wire_encode(buf, &m);
	buf[8] = 0xff;
	CHECK_EQ(cairn_wire_decode_header(buf, &out, &why), -EPROTO);
	CHECK(strstr(why, "over the limit"));

	CHECK(!strcmp(cairn_wire_cmd_name(CAIRN_W_FLUSH_ACK), "FLUSH_ACK"));
	CHECK(!strcmp(cairn_wire_cmd_name(0), "unknown"));
	CHECK(!strcmp(cairn_wire_cmd_name(1000), "unknown"));
}

int main(void)
{
	test_header();
	test_hello();
	test_data();
	test_acks();
	test_bitmap();
	return unit_finish("wire");
}
