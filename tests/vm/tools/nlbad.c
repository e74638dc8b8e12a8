// SPDX-License-Identifier: GPL-2.0
/*
 * nlbad - send malformed requests to the "cairn" generic netlink family;
 * each must be refused.  Exit status 0 when every one was, 1 otherwise.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "uapi/cairn_nl.h"

static struct nl_sock *sk;
static int family, failures;

/* Send @msg; the kernel must answer with an error. */
static void expect_refused(const char *what, struct nl_msg *msg)
{
	int r;

	r = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	if (r >= 0)
		r = nl_wait_for_ack(sk);
	if (r >= 0) {
		printf("ACCEPTED: %s\n", what);
		failures++;
	} else {
		printf("refused: %s: %s\n", what, nl_geterror(r));
	}
}

static struct nl_msg *req(uint8_t cmd)
{
	struct nl_msg *msg = nlmsg_alloc();

	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_ACK, cmd,
		    CAIRN_GENL_VERSION);
	return msg;
}

static void put_devs(struct nl_msg *msg, const char *dev)
{
	struct nlattr *n = nla_nest_start(msg, CAIRN_ATTR_DEVICES);
	struct nlattr *d = nla_nest_start(msg, 1);

	nla_put_string(msg, CAIRN_DEV_PATH, dev);
	nla_nest_end(msg, d);
	nla_nest_end(msg, n);
}

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/vda";
	struct nl_msg *msg;
	uint32_t u = 7;

	sk = nl_socket_alloc();
	if (genl_connect(sk) || (family = genl_ctrl_resolve(sk, CAIRN_GENL_NAME)) < 0) {
		fprintf(stderr, "nlbad: no cairn family\n");
		return 2;
	}

	msg = req(CAIRN_CMD_POOL_CREATE);
	nla_put(msg, CAIRN_ATTR_POOL_NAME, 4, &u);	/* not a string */
	put_devs(msg, dev);
	expect_refused("pool name of the wrong type", msg);

	msg = req(CAIRN_CMD_POOL_CREATE);
	nla_put_string(msg, CAIRN_ATTR_POOL_NAME, "p0");
	put_devs(msg, dev);
	nla_put_u32(msg, CAIRN_ATTR_THRESHOLD, 200);
	expect_refused("threshold out of range", msg);

	msg = req(CAIRN_CMD_POOL_CREATE);
	nla_put_string(msg, CAIRN_ATTR_POOL_NAME, "p0");
	expect_refused("no device list", msg);

	msg = req(CAIRN_CMD_POOL_CREATE);
	nla_put_string(msg, CAIRN_ATTR_POOL_NAME, "p0");
	put_devs(msg, dev);
	nla_put_u32(msg, 200, 1);
	expect_refused("unknown attribute", msg);

	msg = req(CAIRN_CMD_POOL_CREATE);
	nla_put_string(msg, CAIRN_ATTR_POOL_NAME, "p0");
	put_devs(msg, dev);
	nla_put_string(msg, CAIRN_ATTR_CHUNK_SIZE, "1M");
	expect_refused("chunk size as a string", msg);

	msg = req(CAIRN_CMD_POOL_CREATE);
	nla_put_string(msg, CAIRN_ATTR_POOL_NAME, "p0");
	nla_put(msg, CAIRN_ATTR_DEVICES, 4, &u);	/* not a nest */
	expect_refused("device list not nested", msg);

	msg = req(CAIRN_CMD_POOL_CREATE);
	nla_put_string(msg, CAIRN_ATTR_POOL_NAME, "p0");
	put_devs(msg, dev);
	nla_put_u32(msg, CAIRN_ATTR_NOSPACE_TIMEOUT, 0);
	expect_refused("no-space timeout 0", msg);

	msg = req(CAIRN_CMD_POOL_GET);
	nla_put_string(msg, CAIRN_ATTR_POOL_NAME, "nosuchpool");
	expect_refused("unknown pool", msg);

	msg = req(CAIRN_CMD_VOLUME_CREATE);
	nla_put_string(msg, CAIRN_ATTR_POOL_NAME, "p0");
	nla_put_string(msg, CAIRN_ATTR_VOLUME_NAME, "v");
	nla_put_u32(msg, CAIRN_ATTR_SIZE, 4096);	/* u64 expected */
	expect_refused("volume size of the wrong length", msg);

	msg = req(CAIRN_CMD_POOL_CLOSE);
	expect_refused("close without a pool name", msg);

	msg = req(250);
	expect_refused("unknown command", msg);

	msg = req(CAIRN_CMD_CACHE_SET);
	expect_refused("cache budget missing", msg);

	msg = req(CAIRN_CMD_CACHE_SET);
	nla_put_u32(msg, CAIRN_ATTR_CACHE_BUDGET, 64);	/* u64 expected */
	expect_refused("cache budget of the wrong length", msg);

	msg = req(CAIRN_CMD_CACHE_SET);
	nla_put_u64(msg, CAIRN_ATTR_CACHE_BUDGET, 1ULL << 62);
	expect_refused("cache budget above half the RAM", msg);

	msg = req(CAIRN_CMD_VOLUME_CACHE);
	nla_put_string(msg, CAIRN_ATTR_POOL_NAME, "p0");
	nla_put_string(msg, CAIRN_ATTR_VOLUME_NAME, "v0");
	nla_put_u32(msg, CAIRN_ATTR_CACHE_MODE, 7);
	expect_refused("cache mode out of range", msg);

	msg = req(CAIRN_CMD_VOLUME_CACHE);
	nla_put_string(msg, CAIRN_ATTR_POOL_NAME, "p0");
	nla_put_string(msg, CAIRN_ATTR_VOLUME_NAME, "v0");
	nla_put_u32(msg, CAIRN_ATTR_CACHE_MODE, CAIRN_CACHE_WRITEBACK);
	nla_put_u32(msg, CAIRN_ATTR_CACHE_FLUSH, 9);
	expect_refused("cache flush mode out of range", msg);

	msg = req(CAIRN_CMD_VOLUME_CACHE);
	nla_put_string(msg, CAIRN_ATTR_POOL_NAME, "p0");
	nla_put_string(msg, CAIRN_ATTR_VOLUME_NAME, "v0");
	expect_refused("cache mode missing", msg);

	msg = req(CAIRN_CMD_VOLUME_CACHE);
	nla_put_string(msg, CAIRN_ATTR_POOL_NAME, "p0");
	nla_put_string(msg, CAIRN_ATTR_VOLUME_NAME, "v0");
	nla_put_u32(msg, CAIRN_ATTR_CACHE_MODE, CAIRN_CACHE_WRITEBACK);
	nla_put_u32(msg, CAIRN_ATTR_CACHE_SEQ_CUTOFF, 1000);
	expect_refused("sequential cutoff of no sector multiple", msg);

	nl_socket_free(sk);
	return failures ? 1 : 0;
}
