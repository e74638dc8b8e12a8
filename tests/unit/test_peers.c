// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the peers: the configuration's node, port, peers and
 * mirror sections (load, validation with JSON paths, save/load round
 * trip), the peer protocol's frame decoder on garbage, truncated and huge
 * input, the secret file's checks, and the mutual authentication over a
 * loopback TCP connection (right secret, wrong secret, unknown name, a
 * node that is not who the client expects, a silent client).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "libcairn.h"
#include "uapi/cairn_nl.h"
#include "unit.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static char dir[sizeof("/tmp/cairn-test-peers-XXXXXX")];

static void write_file(const char *name, const char *text, mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static int load_text(const char *text, struct cairn_config *cfg, char *err,
		     size_t len)
{
	char path[256];

	write_file("cairn.json", text, 0600);
	snprintf(path, sizeof(path), "%s/cairn.json", dir);
	return cairn_config_load(path, cfg, err, len);
}

#define POOL "\"pools\": [ { \"name\": \"p0\", " \
	"\"uuid\": \"00112233-4455-6677-8899-aabbccddeeff\", " \
	"\"members\": [ { \"device\": \"/dev/vda\", " \
	"\"uuid\": \"00112233-4455-6677-8899-aabbccddeef0\" } ] } ]"
#define PEER "\"peers\": [ { \"name\": \"node-b\", \"address\": \"10.77.0.2\", " \
	"\"secret_file\": \"/etc/cairn/peer.key\" } ]"
#define VOL(mirror) "\"volumes\": [ { \"pool\": \"p0\", \"name\": \"vm01\", " \
	"\"uuid\": \"00112233-4455-6677-8899-aabbccddee01\", \"size\": 1073741824" \
	mirror " } ]"

static void test_config(void)
{
	struct cairn_config cfg, again;
	char err[512], path[256], name[CAIRN_NAME_LEN];
	int r;

	r = load_text("{ \"version\": 1, \"node\": \"node-a\", \"port\": 7799, "
		      POOL ", " PEER ", " VOL(", \"mirror\": { \"peer\": \"node-b\", "
		      "\"role\": \"primary\" }") " }", &cfg, err, sizeof(err));
	CHECK_EQ(r, 0);
	if (r)
		fprintf(stderr, "%s\n", err);
	CHECK(!strcmp(cfg.node, "node-a"));
	CHECK_EQ(cairn_config_port(&cfg), 7799);
	CHECK_EQ(cfg.nr_peers, 1);
	CHECK(cfg.nr_peers && cfg.peers[0].port == CAIRN_PEER_PORT);
	CHECK(cfg.nr_peers && !strcmp(cfg.peers[0].secret_file, "/etc/cairn/peer.key"));
	CHECK(cfg.nr_volumes && !strcmp(cfg.volumes[0].mirror.peer, "node-b"));
	CHECK(cfg.nr_volumes && cfg.volumes[0].mirror.role == CAIRN_ROLE_PRIMARY);
	cairn_config_node(&cfg, name, sizeof(name));
	CHECK(!strcmp(name, "node-a"));

	/* Round trip. */
	snprintf(path, sizeof(path), "%s/saved.json", dir);
	CHECK_EQ(cairn_config_save(path, &cfg, err, sizeof(err)), 0);
	CHECK_EQ(cairn_config_load(path, &again, err, sizeof(err)), 0);
	CHECK(!strcmp(again.node, cfg.node));
	CHECK_EQ(again.port, cfg.port);
	CHECK_EQ(again.nr_peers, 1);
	CHECK(again.nr_peers && !memcmp(&again.peers[0], &cfg.peers[0],
					sizeof(cfg.peers[0])));
	CHECK(again.nr_volumes == 1 &&
	      !memcmp(&again.volumes[0].mirror, &cfg.volumes[0].mirror,
		      sizeof(cfg.volumes[0].mirror)));
	cairn_config_free(&again);

	/* The heartbeat: the witness, the timing; saved and loaded back. */
	cairn_config_free(&cfg);
	r = load_text("{ \"version\": 1, " PEER ", \"ha\": { \"witness\": \"node-b\", "
		      "\"interval_ms\": 500, \"timeout_ms\": 3000 } }", &cfg, err,
		      sizeof(err));
	CHECK_EQ(r, 0);
	CHECK(!strcmp(cfg.ha.witness, "node-b"));
	CHECK(cfg.ha.interval_ms == 500 && cfg.ha.timeout_ms == 3000);
	CHECK_EQ(cairn_config_save(path, &cfg, err, sizeof(err)), 0);
	CHECK_EQ(cairn_config_load(path, &again, err, sizeof(err)), 0);
	CHECK(!memcmp(&again.ha, &cfg.ha, sizeof(cfg.ha)));
	cairn_config_free(&again);

	/* A secondary, and no node: the host's name. */
	cairn_config_free(&cfg);
	r = load_text("{ \"version\": 1, " POOL ", " PEER ", "
		      VOL(", \"mirror\": { \"peer\": \"node-b\", \"role\": \"secondary\" }")
		      " }", &cfg, err, sizeof(err));
	CHECK_EQ(r, 0);
	CHECK(cfg.nr_volumes && cfg.volumes[0].mirror.role == CAIRN_ROLE_SECONDARY);
	cairn_config_node(&cfg, name, sizeof(name));
	CHECK(name[0] && !strchr(name, '.'));
	CHECK_EQ(cairn_config_port(&cfg), CAIRN_PEER_PORT);
	cairn_config_free(&cfg);

	/* Without peers nothing new is written. */
	memset(&cfg, 0, sizeof(cfg));
	CHECK_EQ(cairn_config_save(path, &cfg, err, sizeof(err)), 0);
	{
		char text[4096] = "";
		FILE *f = fopen(path, "r");
		size_t n = fread(text, 1, sizeof(text) - 1, f);

		fclose(f);
		text[n] = '\0';
		CHECK(!strstr(text, "peers") && !strstr(text, "node"));
	}
}

/* Each bad file is refused with the JSON path of the bad element. */
static void test_config_errors(void)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "{ \"version\": 1, \"peers\": [ { \"name\": \"b\", \"address\": \"x\" } ] }",
		  "peers[0].secret_file: missing" },
		{ "{ \"version\": 1, \"peers\": [ { \"name\": \"b c\", \"address\": \"x\", "
		  "\"secret_file\": \"/k\" } ] }", "peers[0].name: b c" },
		{ "{ \"version\": 1, \"peers\": [ { \"name\": \"b\", \"address\": \"x\", "
		  "\"secret_file\": \"k\" } ] }", "peers[0].secret_file: k: not an absolute path" },
		{ "{ \"version\": 1, \"peers\": [ { \"name\": \"b\", \"address\": \"x\", "
		  "\"port\": 70000, \"secret_file\": \"/k\" } ] }", "peers[0].port: out of range" },
		{ "{ \"version\": 1, \"peers\": [ { \"name\": \"b\", \"address\": \"x\", "
		  "\"secret_file\": \"/k\", \"colour\": 1 } ] }", "peers[0].colour: unknown key" },
		{ "{ \"version\": 1, \"peers\": [ { \"name\": \"b\", \"address\": \"x\", "
		  "\"secret_file\": \"/k\" }, { \"name\": \"b\", \"address\": \"y\", "
		  "\"secret_file\": \"/k\" } ] }", "peers[1].name: peer b listed twice" },
		{ "{ \"version\": 1, \"node\": \"b\", \"peers\": [ { \"name\": \"b\", "
		  "\"address\": \"x\", \"secret_file\": \"/k\" } ] }",
		  "peers[0].name: peer b is this node's own name" },
		{ "{ \"version\": 1, \"port\": 0 }", "port: port 0" },
		{ "{ \"version\": 1, \"node\": \"\" }", "node: must not be empty" },
		{ "{ \"version\": 1, " POOL ", "
		  VOL(", \"mirror\": { \"peer\": \"node-b\", \"role\": \"primary\" }") " }",
		  "volumes[0].mirror.peer: no peer node-b in this file" },
		{ "{ \"version\": 1, " POOL ", " PEER ", "
		  VOL(", \"mirror\": { \"peer\": \"node-b\", \"role\": \"boss\" }") " }",
		  "volumes[0].mirror.role: role boss: primary or secondary" },
		{ "{ \"version\": 1, " POOL ", " PEER ", "
		  VOL(", \"mirror\": { \"peer\": \"node-b\" }") " }",
		  "volumes[0].mirror.role: missing" },
		{ "{ \"version\": 1, " POOL ", " PEER ", "
		  VOL(", \"mirror\": \"node-b\"") " }", "volumes[0].mirror: expected an object" },
		{ "{ \"version\": 1, " PEER ", \"ha\": { \"witness\": \"w\" } }",
		  "ha.witness: w: not one of the peers" },
		{ "{ \"version\": 1, " PEER ", \"ha\": { } }", "ha.witness: missing" },
		{ "{ \"version\": 1, " PEER ", \"ha\": { \"witness\": \"node-b\", "
		  "\"interval_ms\": 1000, \"timeout_ms\": 2000 } }",
		  "ha: the heartbeat timeout must be at least 3 intervals" },
		{ "{ \"version\": 1, " PEER ", \"ha\": { \"witness\": \"node-b\", "
		  "\"interval_ms\": 10 } }", "ha: the heartbeat interval is 50 to 60000 ms" },
		{ "{ \"version\": 1, " PEER ", \"ha\": { \"witness\": \"node-b\", "
		  "\"timeout_ms\": 600001 } }", "ha: the heartbeat timeout is at most 600000 ms" },
		{ "{ \"version\": 1, " PEER ", \"ha\": { \"witness\": \"node-b\", "
		  "\"every\": 1 } }", "ha.every: unknown key" },
		{ "{ \"version\": 1, " PEER ", \"ha\": \"node-b\" }", "ha: expected an object" },
	};
	struct cairn_config cfg;
	char err[512];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		CHECK_EQ(load_text(bad[i].text, &cfg, err, sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i].msg)) {
			unit_failed++;
			fprintf(stderr, "case %u: \"%s\" lacks \"%s\"\n", i, err,
				bad[i].msg);
		}
	}
}

static void test_frames(void)
{
	uint8_t buf[CAIRN_PEER_HDR + CAIRN_PEER_BODY_MAX], junk[4096];
	struct cairn_peer_msg m = { .type = CAIRN_PEER_CREATE_REPLICA }, out;
	unsigned int i, seed = 1, accepted = 0;
	size_t len, cut;

	strcpy(m.pool, "p0");
	strcpy(m.volume, "vm01");
	memset(m.uuid, 0xab, sizeof(m.uuid));
	m.size = 1ULL << 40;
	len = cairn_peer_encode(&m, buf);
	CHECK_EQ(cairn_peer_frame_len(buf), (long long)len);
	CHECK_EQ(cairn_peer_decode(buf, len, &out), 0);
	CHECK(!strcmp(out.pool, "p0") && !strcmp(out.volume, "vm01"));
	CHECK(out.size == m.size && !memcmp(out.uuid, m.uuid, 16));

	/* Every truncation, and one byte too many, is refused. */
	for (cut = 0; cut < len; cut++)
		CHECK_EQ(cairn_peer_decode(buf, cut, &out), -EPROTO);
	buf[len] = 0;
	CHECK_EQ(cairn_peer_decode(buf, len + 1, &out), -EPROTO);

	/* A huge length, a bad magic, version, type, reserved bits. */
	memcpy(junk, buf, len);
	junk[8] = 0xff;
	CHECK_EQ(cairn_peer_frame_len(junk), -EPROTO);
	memcpy(junk, buf, len);
	junk[0] = 'X';
	CHECK_EQ(cairn_peer_decode(junk, len, &out), -EPROTO);
	memcpy(junk, buf, len);
	junk[4] = 2;
	CHECK_EQ(cairn_peer_decode(junk, len, &out), -EPROTO);
	memcpy(junk, buf, len);
	junk[5] = __CAIRN_PEER_TYPE_MAX;
	CHECK_EQ(cairn_peer_decode(junk, len, &out), -EPROTO);
	memcpy(junk, buf, len);
	junk[7] = 1;
	CHECK_EQ(cairn_peer_decode(junk, len, &out), -EPROTO);
	/* A string longer than its field, and one with a NUL inside. */
	memcpy(junk, buf, len);
	junk[CAIRN_PEER_HDR] = 200;
	CHECK_EQ(cairn_peer_decode(junk, len, &out), -EPROTO);
	memcpy(junk, buf, len);
	junk[CAIRN_PEER_HDR + 2] = 0;
	CHECK_EQ(cairn_peer_decode(junk, len, &out), -EPROTO);
	/* LINK with a kind other than D or M. */
	memset(&m, 0, sizeof(m));
	m.type = CAIRN_PEER_LINK;
	m.kind = 'X';
	len = cairn_peer_encode(&m, buf);
	CHECK_EQ(cairn_peer_decode(buf, len, &out), -EPROTO);
	m.kind = 'M';
	len = cairn_peer_encode(&m, buf);
	CHECK_EQ(cairn_peer_decode(buf, len, &out), 0);

	/* Random bytes behind a valid header: decoded or refused, no more. */
	for (i = 0; i < 20000; i++) {
		size_t n, k;

		n = rand_r(&seed) % 80;
		for (k = 0; k < CAIRN_PEER_HDR + n; k++)
			junk[k] = rand_r(&seed);
		memcpy(junk, "CRNP\1", 5);
		junk[5] = 1 + rand_r(&seed) % (__CAIRN_PEER_TYPE_MAX - 1);
		memset(junk + 6, 0, 5);
		junk[11] = n;
		if (!cairn_peer_decode(junk, CAIRN_PEER_HDR + n, &out)) {
			accepted++;
			CHECK(out.node[sizeof(out.node) - 1] == '\0');
			CHECK(strlen(out.message) < sizeof(out.message));
		}
	}
	printf("frames: %u of 20000 random bodies decoded\n", accepted);
}

static void test_secret(void)
{
	uint8_t key[CAIRN_SECRET_MAX];
	char path[256], err[400];
	char big[CAIRN_SECRET_MAX + 2];

	write_file("ok.key", "0123456789abcdef", 0600);
	snprintf(path, sizeof(path), "%s/ok.key", dir);
	CHECK_EQ(cairn_secret_load(path, key, err, sizeof(err)), 16);
	write_file("short.key", "0123456789abcde", 0600);
	snprintf(path, sizeof(path), "%s/short.key", dir);
	CHECK_EQ(cairn_secret_load(path, key, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "15 bytes"));
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	write_file("big.key", big, 0600);
	snprintf(path, sizeof(path), "%s/big.key", dir);
	CHECK_EQ(cairn_secret_load(path, key, err, sizeof(err)), -EINVAL);
	write_file("open.key", "0123456789abcdef", 0640);
	snprintf(path, sizeof(path), "%s/open.key", dir);
	CHECK_EQ(cairn_secret_load(path, key, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "readable by group or others"));
	snprintf(path, sizeof(path), "%s/none.key", dir);
	CHECK_EQ(cairn_secret_load(path, key, err, sizeof(err)), -ENOENT);
	CHECK_EQ(cairn_secret_load(dir, key, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "not a regular file"));
}

/* ---- authentication over loopback TCP ---- */

struct server {
	int lfd;
	const char *self;
	const char *known;	/* the one peer it knows */
	const char *secret;	/* its secret file */
	bool silent_client;
	int r;
	char peer[CAIRN_NAME_LEN];
};

static int server_secret(const char *peer, char *path, size_t len, void *arg)
{
	struct server *s = arg;

	if (strcmp(peer, s->known))
		return -ENOENT;
	snprintf(path, len, "%s/%s", dir, s->secret);
	return 0;
}

static void *server_thread(void *arg)
{
	struct server *s = arg;
	char err[400];
	int fd = accept(s->lfd, NULL, NULL);

	s->r = cairn_peer_accept(fd, s->self, server_secret, s, s->peer, err,
				 sizeof(err));
	if (!s->r) {
		struct cairn_peer_msg m;

		if (!cairn_peer_recv(fd, &m, 2000) && m.type == CAIRN_PEER_NOP)
			cairn_peer_reply(fd, 0, "hello %s", s->peer);
	}
	close(fd);
	return NULL;
}

/* One client connection against a server; returns the client's result. */
static int auth_case(const char *client, const char *client_secret,
		     const char *expect_name, struct server *s, char *err)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct cairn_cfg_peer p = { 0 };
	socklen_t sl = sizeof(sin);
	pthread_t t;
	int fd, r;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	bind(s->lfd, (struct sockaddr *)&sin, sizeof(sin));
	listen(s->lfd, 1);
	getsockname(s->lfd, (struct sockaddr *)&sin, &sl);
	pthread_create(&t, NULL, server_thread, s);
	snprintf(p.name, sizeof(p.name), "%s", expect_name);
	snprintf(p.address, sizeof(p.address), "127.0.0.1");
	p.port = ntohs(sin.sin_port);
	snprintf(p.secret_file, sizeof(p.secret_file), "%s/%s", dir, client_secret);
	if (s->silent_client) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		connect(fd, (struct sockaddr *)&sin, sizeof(sin));
		pthread_join(t, NULL);
		close(fd);
		close(s->lfd);
		return 0;
	}
	fd = cairn_peer_connect(&p, client, err, 400);
	r = fd < 0 ? fd : 0;
	if (fd >= 0) {
		struct cairn_peer_msg req = { .type = CAIRN_PEER_NOP }, rep;

		r = cairn_peer_request(fd, &req, &rep, 2000);
		if (!r && strcmp(rep.message, "hello a"))
			r = -EPROTO;
		close(fd);
	}
	pthread_join(t, NULL);
	close(s->lfd);
	return r;
}

static void test_auth(void)
{
	struct server s = { .self = "b", .known = "a", .secret = "s1.key" };
	char err[400];
	time_t t0;

	write_file("s1.key", "the-shared-secret-0123", 0600);
	write_file("s2.key", "the-shared-secret-0123", 0600);
	write_file("other.key", "another-secret-0123456", 0600);

	CHECK_EQ(auth_case("a", "s2.key", "b", &s, err), 0);
	CHECK_EQ(s.r, 0);
	CHECK(!strcmp(s.peer, "a"));

	err[0] = '\0';
	CHECK_EQ(auth_case("a", "other.key", "b", &s, err), -EACCES);
	CHECK_EQ(s.r, -EACCES);
	CHECK(strstr(err, "authentication failed: wrong secret"));
	CHECK(!s.peer[0]);

	/* The server has the wrong one: the client notices it. */
	s.secret = "other.key";
	CHECK_EQ(auth_case("a", "s2.key", "b", &s, err), -EACCES);
	s.secret = "s1.key";

	CHECK_EQ(auth_case("x", "s2.key", "b", &s, err), -ENOENT);
	CHECK(strstr(err, "unknown peer name"));
	CHECK_EQ(s.r, -ENOENT);

	/* The node at the address is not the one the client expects. */
	CHECK_EQ(auth_case("a", "s2.key", "c", &s, err), -ENOENT);
	CHECK(strstr(err, "calls itself b"));

	/* Unreachable: nothing listens there. */
	{
		struct cairn_cfg_peer p = { .port = 1 };

		snprintf(p.name, sizeof(p.name), "b");
		snprintf(p.address, sizeof(p.address), "127.0.0.1");
		snprintf(p.secret_file, sizeof(p.secret_file), "%s/s2.key", dir);
		CHECK_EQ(cairn_peer_connect(&p, "a", err, sizeof(err)), -EHOSTUNREACH);
		CHECK(strstr(err, "unreachable"));
	}

	/* A client that says nothing costs the server one timeout. */
	s.silent_client = true;
	t0 = time(NULL);
	auth_case("a", "s2.key", "b", &s, err);
	CHECK_EQ(s.r, -ETIMEDOUT);
	CHECK(time(NULL) - t0 <= CAIRN_PEER_TIMEOUT_MS / 1000 + 2);
}

int main(void)
{
	if (unit_tmpdir(dir, sizeof(dir), "peers"))
		return 1;
	test_config();
	test_config_errors();
	test_frames();
	test_secret();
	test_auth();
	unit_tmpdir_done(dir);
	return unit_finish("peers");
}
