// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libcairn: the heartbeat's datagrams (see quorum.h for the layout).
 *
 * Every field is bounds-checked before it is read; a datagram is accepted
 * only whole, with nothing left over, and with the MAC of the secret its
 * sender shares with this node.  The MAC is compared in constant time.
 * Replays: an old datagram replayed can only repeat what its sender said
 * then; the quorum protocol ignores answers to stamps it no longer waits
 * for and votes older than the newest seen (quorum.c), so a replay can
 * delay a failover (a replayed ping looks like a live primary) but never
 * make a second primary.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "quorum.h"

#define HB_MAGIC	"CRNH"
#define HB_VERSION	1
#define HB_MAC		32
#define HB_FIXED	(4 + 1 + 7 + 8 + 8 + 16)

static int put_name(uint8_t *buf, size_t *o, const char *s)
{
	size_t n = strnlen(s, CAIRN_HB_NAME);

	if (!n || n >= CAIRN_HB_NAME)
		return -EINVAL;
	buf[(*o)++] = n;
	memcpy(buf + *o, s, n);
	*o += n;
	return 0;
}

static int get_name(const uint8_t *buf, size_t len, size_t *o, char *s)
{
	size_t n;

	if (*o >= len)
		return -EPROTO;
	n = buf[(*o)++];
	if (!n || n >= CAIRN_HB_NAME || len - *o < n || memchr(buf + *o, 0, n))
		return -EPROTO;
	memcpy(s, buf + *o, n);
	s[n] = '\0';
	*o += n;
	return 0;
}

static void hb_mac(const uint8_t *key, int keylen, const uint8_t *buf,
		   size_t len, uint8_t *out)
{
	unsigned int n = HB_MAC;

	if (!HMAC(EVP_sha256(), key, keylen, buf, len, out, &n))
		memset(out, 0, HB_MAC);
}

int cairn_hb_encode(const struct cairn_hb *h, const uint8_t *key,
		    int keylen, uint8_t *buf)
{
	const struct cairn_q_msg *m = &h->m;
	size_t o = 0;
	int i;

	memcpy(buf, HB_MAGIC, 4);
	o = 4;
	buf[o++] = HB_VERSION;
	buf[o++] = m->type;
	buf[o++] = m->from;
	buf[o++] = m->to;
	buf[o++] = m->primary;
	buf[o++] = m->lease;
	buf[o++] = m->holder;
	buf[o++] = m->subject;
	for (i = 7; i >= 0; i--)
		buf[o++] = m->stamp >> (8 * i);
	for (i = 3; i >= 0; i--)
		buf[o++] = h->interval >> (8 * i);
	for (i = 3; i >= 0; i--)
		buf[o++] = h->timeout >> (8 * i);
	memcpy(buf + o, h->uuid, 16);
	o += 16;
	if (put_name(buf, &o, h->sender) || put_name(buf, &o, h->node[0]) ||
	    put_name(buf, &o, h->node[1]))
		return -EINVAL;
	hb_mac(key, keylen, buf, o, buf + o);
	return o + HB_MAC;
}

/* The sender's name sits after the fixed part. */
int cairn_hb_sender(const uint8_t *buf, size_t len, char *sender)
{
	size_t o = HB_FIXED;

	if (len < HB_FIXED + HB_MAC || memcmp(buf, HB_MAGIC, 4) ||
	    buf[4] != HB_VERSION)
		return -EPROTO;
	return get_name(buf, len - HB_MAC, &o, sender);
}

int cairn_hb_decode(const uint8_t *buf, size_t len, const uint8_t *key,
		    int keylen, struct cairn_hb *h)
{
	struct cairn_q_msg *m = &h->m;
	uint8_t mac[HB_MAC];
	size_t o = 5, body;
	int i;

	memset(h, 0, sizeof(*h));
	if (len > CAIRN_HB_MAX || cairn_hb_sender(buf, len, h->sender))
		return -EPROTO;
	body = len - HB_MAC;
	m->type = buf[o++];
	m->from = buf[o++];
	m->to = buf[o++];
	m->primary = buf[o++];
	m->lease = buf[o++];
	m->holder = buf[o++];
	m->subject = buf[o++];
	for (i = 0; i < 8; i++)
		m->stamp = m->stamp << 8 | buf[o++];
	for (i = 0; i < 4; i++)
		h->interval = h->interval << 8 | buf[o++];
	for (i = 0; i < 4; i++)
		h->timeout = h->timeout << 8 | buf[o++];
	memcpy(h->uuid, buf + o, 16);
	o += 16;
	if (get_name(buf, body, &o, h->sender) ||
	    get_name(buf, body, &o, h->node[0]) ||
	    get_name(buf, body, &o, h->node[1]) || o != body)
		return -EPROTO;
	if (m->type < CAIRN_QM_PING || m->type > CAIRN_QM_RELEASE ||
	    m->from > CAIRN_Q_W || m->to > CAIRN_Q_W || m->primary > 1 ||
	    m->lease > 1 || (m->holder > CAIRN_Q_B && m->holder != CAIRN_Q_NONE) ||
	    (m->subject > CAIRN_Q_B && m->subject != CAIRN_Q_NONE))
		return -EPROTO;
	hb_mac(key, keylen, buf, body, mac);
	if (CRYPTO_memcmp(mac, buf + body, HB_MAC))
		return -EACCES;
	return 0;
}
