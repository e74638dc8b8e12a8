/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Cairn generic netlink interface.
 *
 * This header is the single source of the ABI between cairn.ko and userland
 * (libcairn, cairnctl, cairnd).  Family name CAIRN_GENL_NAME, version
 * CAIRN_GENL_VERSION; every command requires CAP_NET_ADMIN and every refusal
 * carries an extack message.
 *
 * Commands (attributes in brackets are optional):
 *   GET_INFO          reply: MODULE_VERSION, GENL_VERSION, TARGET_VERSION
 *                     ("major.minor.patch"), POOL_COUNT
 *   POOL_CREATE       POOL_NAME, DEVICES, [CHUNK_SIZE] (bytes, default 1 MiB),
 *                     [THRESHOLD], [NOSPACE_POLICY], [NOSPACE_TIMEOUT];
 *                     formats the devices; reply as POOL_GET
 *   POOL_OPEN         DEVICES (every member, any order); reply as POOL_GET
 *   POOL_CLOSE        POOL_NAME
 *   POOL_ADD_MEMBER   POOL_NAME, DEVICES (one)
 *   POOL_SET          POOL_NAME, [THRESHOLD], [NOSPACE_POLICY],
 *                     [NOSPACE_TIMEOUT]
 *   POOL_GET          POOL_NAME, or dump: POOL_NAME, POOL_UUID, CHUNK_SIZE,
 *                     CAPACITY, ALLOCATED, FREE (bytes), MODE, THRESHOLD,
 *                     NOSPACE_POLICY, NOSPACE_TIMEOUT, VOLUME_COUNT, MEMBERS,
 *                     COUNTERS
 *   VOLUME_CREATE     POOL_NAME, VOLUME_NAME, SIZE, [VOLUME_UUID]; durable
 *                     on reply, which is as VOLUME_GET
 *   VOLUME_DELETE     POOL_NAME, VOLUME_NAME; refused while a device-mapper
 *                     table uses the volume
 *   VOLUME_RESIZE     POOL_NAME, VOLUME_NAME, SIZE (grow only)
 *   VOLUME_GET        POOL_NAME, VOLUME_NAME, or dump ([POOL_NAME] filters):
 *                     POOL_NAME, VOLUME_NAME, VOLUME_UUID, SIZE, MAPPED,
 *                     [MIRROR] (a mirrored volume's state)
 *   MIRROR_SET        POOL_NAME, VOLUME_NAME, ROLE, [PEER_NAME], [FORCE]:
 *                     makes the volume mirrored (PRIMARY: everything it
 *                     holds is out of sync until a peer has it; SECONDARY:
 *                     its device refuses I/O), changes its role (promotion
 *                     of data not known to be consistent needs FORCE), or
 *                     with ROLE OFF makes it a plain volume again (refused
 *                     while connected or used by a table)
 *   MIRROR_CONNECT    POOL_NAME, VOLUME_NAME, SOCK_DATA, SOCK_META (file
 *                     descriptors of connected, authenticated TCP sockets,
 *                     the NBD way), [PING_MS], [TIMEOUT_MS]: the module
 *                     takes the sockets and replies at once (as
 *                     VOLUME_GET: link CONNECTING, MIRROR_CONNECT_SEQ
 *                     numbers this attempt); a worker then exchanges
 *                     HELLO with the peer (same UUID and size, not both
 *                     primary) and the bitmaps, and brings the link up or
 *                     refuses it: LINK_UP or LINK_REFUSED, and
 *                     MIRROR_CONNECT_DONE/ERR/WHY in VOLUME_GET.  A
 *                     disconnect, a role change or a detach ends a
 *                     handshake under way (ECANCELED)
 *   MIRROR_DISCONNECT POOL_NAME, VOLUME_NAME: drops the link
 *   CACHE_SET         CACHE_BUDGET: the node's RAM cache budget in bytes (a
 *                     MiB multiple, at most half the RAM; 0: none, refused
 *                     while a volume has a cache); it shrinks by giving up
 *                     clean blocks, refused below what is dirty
 *   CACHE_GET         reply: CACHE_BUDGET, CACHE (nest: the node's totals)
 *   VOLUME_CACHE      POOL_NAME, VOLUME_NAME, CACHE_MODE, [CACHE_FLUSH],
 *                     [CACHE_SEQ_CUTOFF]: turns the volume's RAM cache on
 *                     (needs a budget) or off (drains it first: returns
 *                     once every dirty block is on the members), or
 *                     changes its flush semantics; reply as VOLUME_GET,
 *                     which carries [CACHE] for a volume with a cache
 *
 * Multicast group CAIRN_GENL_MCAST_EVENTS carries CAIRN_CMD_EVENT messages:
 * POOL_NAME, EVENT, EVENT_VALUE, CAPACITY, ALLOCATED, and VOLUME_NAME for
 * the mirror's events.
 */
#ifndef _UAPI_CAIRN_NL_H
#define _UAPI_CAIRN_NL_H

#define CAIRN_GENL_NAME		"cairn"
#define CAIRN_GENL_VERSION	1
#define CAIRN_GENL_MCAST_EVENTS	"events"

/* Limits of string attributes, including the terminating NUL. */
#define CAIRN_NAME_MAX		65

enum cairn_cmd {
	CAIRN_CMD_UNSPEC,
	CAIRN_CMD_GET_INFO,
	CAIRN_CMD_EVENT,
	CAIRN_CMD_POOL_CREATE,
	CAIRN_CMD_POOL_OPEN,
	CAIRN_CMD_POOL_CLOSE,
	CAIRN_CMD_POOL_ADD_MEMBER,
	CAIRN_CMD_POOL_SET,
	CAIRN_CMD_POOL_GET,
	CAIRN_CMD_VOLUME_CREATE,
	CAIRN_CMD_VOLUME_DELETE,
	CAIRN_CMD_VOLUME_RESIZE,
	CAIRN_CMD_VOLUME_GET,
	CAIRN_CMD_MIRROR_SET,
	CAIRN_CMD_MIRROR_CONNECT,
	CAIRN_CMD_MIRROR_DISCONNECT,
	CAIRN_CMD_MIRROR_QUORUM,	/* cairnd's lease and fencing: LEASE_MS, ALONE */
	CAIRN_CMD_CACHE_SET,
	CAIRN_CMD_CACHE_GET,
	CAIRN_CMD_VOLUME_CACHE,

	__CAIRN_CMD_MAX,
};

#define CAIRN_CMD_MAX (__CAIRN_CMD_MAX - 1)

enum cairn_attr {
	CAIRN_ATTR_UNSPEC,
	CAIRN_ATTR_MODULE_VERSION,	/* string */
	CAIRN_ATTR_GENL_VERSION,	/* u32 */
	CAIRN_ATTR_TARGET_VERSION,	/* string, "major.minor.patch" */
	CAIRN_ATTR_POOL_COUNT,		/* u32 */
	CAIRN_ATTR_POOL_NAME,		/* string, 1-64 of [A-Za-z0-9._-] */
	CAIRN_ATTR_POOL_UUID,		/* binary, 16 bytes */
	CAIRN_ATTR_DEVICES,		/* nest of CAIRN_DEV_PATH */
	CAIRN_ATTR_CHUNK_SIZE,		/* u32, bytes: power of 2, 64 KiB-16 MiB */
	CAIRN_ATTR_THRESHOLD,		/* u32, percent of capacity, 0 = none */
	CAIRN_ATTR_NOSPACE_POLICY,	/* u32, enum cairn_nospace */
	CAIRN_ATTR_NOSPACE_TIMEOUT,	/* u32, seconds to queue, 1-86400 */
	CAIRN_ATTR_CAPACITY,		/* u64, bytes */
	CAIRN_ATTR_ALLOCATED,		/* u64, bytes */
	CAIRN_ATTR_FREE,		/* u64, bytes */
	CAIRN_ATTR_MODE,		/* u32, enum cairn_pool_mode */
	CAIRN_ATTR_VOLUME_COUNT,	/* u32 */
	CAIRN_ATTR_MEMBERS,		/* nest of CAIRN_ATTR_MEMBER */
	CAIRN_ATTR_MEMBER,		/* nest: CAIRN_MEMBER_* */
	CAIRN_ATTR_EVENT,		/* u32, enum cairn_nl_event */
	CAIRN_ATTR_EVENT_VALUE,		/* u64 */
	CAIRN_ATTR_PAD,
	CAIRN_ATTR_VOLUME_NAME,		/* string, 1-64 of [A-Za-z0-9._-] */
	CAIRN_ATTR_VOLUME_UUID,		/* binary, 16 bytes */
	CAIRN_ATTR_SIZE,		/* u64, bytes: nominal size, 4 KiB multiple */
	CAIRN_ATTR_MAPPED,		/* u64, bytes */
	CAIRN_ATTR_COUNTERS,		/* nest of CAIRN_CNT_* (u64) */
	CAIRN_ATTR_ROLE,		/* u32, enum cairn_mirror_role */
	CAIRN_ATTR_PEER_NAME,		/* string, 1-64 of [A-Za-z0-9._-] */
	CAIRN_ATTR_FORCE,		/* flag */
	CAIRN_ATTR_SOCK_DATA,		/* u32, a file descriptor */
	CAIRN_ATTR_SOCK_META,		/* u32, a file descriptor */
	CAIRN_ATTR_PING_MS,		/* u32, 100-60000, default 1000 */
	CAIRN_ATTR_TIMEOUT_MS,		/* u32, 500-300000, default 5000 */
	CAIRN_ATTR_MIRROR,		/* nest of CAIRN_MIRROR_* */
	/*
	 * MIRROR_QUORUM: the primary serves for LEASE_MS more (0: no lease,
	 * no fencing); with a lease, a write or flush its peer did not get
	 * is held until ALONE says the peer is outdated (1), or fails when
	 * the lease lapses; all I/O fails once it lapsed.
	 */
	CAIRN_ATTR_LEASE_MS,		/* u32, 0 or 100-600000 */
	CAIRN_ATTR_ALONE,		/* u32, 0 or 1 */
	/*
	 * MIRROR_QUORUM, instead of LEASE_MS: the lease ends at this
	 * CLOCK_MONOTONIC time (ns), at most 600 s ahead; one already past
	 * has lapsed.  The kernel reads its clock when it takes the request,
	 * so a caller delayed between deciding and asking gains nothing.
	 */
	CAIRN_ATTR_LEASE_UNTIL_NS,	/* u64 */
	CAIRN_ATTR_CACHE_BUDGET,	/* u64, bytes */
	CAIRN_ATTR_CACHE_MODE,		/* u32, enum cairn_cache_mode */
	CAIRN_ATTR_CACHE_FLUSH,		/* u32, enum cairn_cache_flush */
	CAIRN_ATTR_CACHE_SEQ_CUTOFF,	/* u32, bytes, 0 = none; default 1 MiB */
	CAIRN_ATTR_CACHE,		/* nest of CAIRN_CACHE_* */

	__CAIRN_ATTR_MAX,
};

#define CAIRN_ATTR_MAX (__CAIRN_ATTR_MAX - 1)

/* Inside CAIRN_ATTR_DEVICES. */
enum cairn_dev_attr {
	CAIRN_DEV_UNSPEC,
	CAIRN_DEV_PATH,			/* string, a block device path */

	__CAIRN_DEV_MAX,
};

#define CAIRN_DEV_MAX (__CAIRN_DEV_MAX - 1)
#define CAIRN_PATH_MAX		256

/* Inside CAIRN_ATTR_MEMBER. */
enum cairn_member_attr {
	CAIRN_MEMBER_UNSPEC,
	CAIRN_MEMBER_INDEX,		/* u32 */
	CAIRN_MEMBER_DEVICE,		/* string, as given when opened */
	CAIRN_MEMBER_UUID,		/* binary, 16 bytes */
	CAIRN_MEMBER_SIZE,		/* u64, bytes */
	CAIRN_MEMBER_CHUNKS,		/* u64 */
	CAIRN_MEMBER_USED,		/* u64, chunks */
	CAIRN_MEMBER_PAD,

	__CAIRN_MEMBER_MAX,
};

#define CAIRN_MEMBER_MAX (__CAIRN_MEMBER_MAX - 1)

/* Inside CAIRN_ATTR_COUNTERS: since the pool was opened. */
enum cairn_counter {
	CAIRN_CNT_UNSPEC,
	CAIRN_CNT_READS,		/* bios remapped to a member */
	CAIRN_CNT_WRITES,
	CAIRN_CNT_ZERO_READS,		/* reads of unmapped chunks */
	CAIRN_CNT_PROVISIONS,		/* chunks allocated */
	CAIRN_CNT_DISCARDS,		/* chunks unmapped by discards */
	CAIRN_CNT_FLUSHES,		/* flushes (completed by a commit) */
	CAIRN_CNT_NOSPACE,		/* writes that found no space */
	CAIRN_CNT_IO_ERRORS,		/* member I/O errors */
	CAIRN_CNT_PAD,
	CAIRN_CNT_COMMITS,		/* metadata commits (flushes share them) */
	CAIRN_CNT_MEMBER_FLUSHES,	/* commits that flushed the members */

	__CAIRN_CNT_MAX,
};

#define CAIRN_CNT_MAX (__CAIRN_CNT_MAX - 1)

/* Inside CAIRN_ATTR_MIRROR. */
enum cairn_mirror_attr {
	CAIRN_MIRROR_UNSPEC,
	CAIRN_MIRROR_ROLE,		/* u32, enum cairn_mirror_role */
	CAIRN_MIRROR_PEER,		/* string: the peer's name */
	CAIRN_MIRROR_LINK,		/* u32, enum cairn_mirror_link */
	CAIRN_MIRROR_DISK,		/* u32, enum cairn_mirror_disk: ours */
	CAIRN_MIRROR_PEER_ROLE,		/* u32, when connected */
	CAIRN_MIRROR_PEER_DISK,		/* u32, when connected */
	CAIRN_MIRROR_OOS,		/* u64, bytes out of sync (primary) */
	CAIRN_MIRROR_GRAIN,		/* u32, bytes per bitmap bit */
	CAIRN_MIRROR_SENT,		/* u64, bytes of host writes sent */
	CAIRN_MIRROR_RESYNCED,		/* u64, bytes sent by resync */
	CAIRN_MIRROR_PAD,
	CAIRN_MIRROR_LEASE,		/* u32: 0 no lease, 1 held, 2 lapsed */
	CAIRN_MIRROR_ALONE,		/* u32, 0 or 1 */
	CAIRN_MIRROR_HELD,		/* u32, writes held for want of a peer */
	/*
	 * u64: bytes of the regions the slot on disk holds dirty, which a
	 * restart of this node resyncs at most (its activity log)
	 */
	CAIRN_MIRROR_ACTIVITY,
	/*
	 * MIRROR_CONNECT's handshake runs after its reply: u32 CONNECT_SEQ
	 * numbers the connects taken, CONNECT_DONE is the last one finished,
	 * CONNECT_ERR its errno (0: the link came up), CONNECT_WHY (string)
	 * why it was refused
	 */
	CAIRN_MIRROR_CONNECT_SEQ,
	CAIRN_MIRROR_CONNECT_DONE,
	CAIRN_MIRROR_CONNECT_ERR,
	CAIRN_MIRROR_CONNECT_WHY,
	/*
	 * The primary's sender, u64 counters since the mirror was set up:
	 * batches it handed TCP, messages in them, writes queued without
	 * waking it (sent with the batch after the next ack), and bytes it
	 * copied into the stream rather than sending their pages by reference
	 */
	CAIRN_MIRROR_TX_BATCHES,
	CAIRN_MIRROR_TX_MESSAGES,
	CAIRN_MIRROR_TX_RIDES,
	CAIRN_MIRROR_TX_COPIED,

	__CAIRN_MIRROR_MAX,
};

#define CAIRN_MIRROR_MAX (__CAIRN_MIRROR_MAX - 1)

/*
 * Inside CAIRN_ATTR_CACHE: of a volume (VOLUME_GET) or the node's sums
 * (CACHE_GET: BLOCKS, DIRTY and the counters; VOLUMES).  Counters count
 * since the cache was enabled (a volume) or the module was loaded.
 */
enum cairn_cache_attr {
	CAIRN_CACHE_UNSPEC,
	CAIRN_CACHE_MODE,		/* u32, enum cairn_cache_mode: as set */
	CAIRN_CACHE_FLUSH,		/* u32, enum cairn_cache_flush */
	CAIRN_CACHE_WRITE_BACK,		/* u32, 1: writes are acknowledged from RAM now */
	CAIRN_CACHE_SEQ_CUTOFF,		/* u32, bytes */
	CAIRN_CACHE_BLOCKS,		/* u64, 4 KiB blocks held */
	CAIRN_CACHE_DIRTY,		/* u64, blocks not yet on the members */
	CAIRN_CACHE_READ_HITS,		/* u64, reads served from RAM */
	CAIRN_CACHE_READ_MISSES,	/* u64 */
	CAIRN_CACHE_WRITE_HITS,		/* u64, writes acknowledged from RAM */
	CAIRN_CACHE_BYPASSED,		/* u64, writes sent on (FUA, sequential, ...) */
	CAIRN_CACHE_DESTAGE_WRITES,	/* u64, writes to the layer below */
	CAIRN_CACHE_DESTAGED,		/* u64, blocks they carried */
	CAIRN_CACHE_EVICTIONS,		/* u64, clean blocks given up */
	CAIRN_CACHE_VOLUMES,		/* u32, volumes with a cache (CACHE_GET) */
	CAIRN_CACHE_PAD,
	CAIRN_CACHE_PEAK,		/* u64, most blocks held at once */

	__CAIRN_CACHE_MAX,
};

#define CAIRN_CACHE_MAX (__CAIRN_CACHE_MAX - 1)

enum cairn_cache_mode {
	CAIRN_CACHE_OFF = 0,
	CAIRN_CACHE_WRITETHROUGH = 1,	/* a read cache; writes go through */
	CAIRN_CACHE_WRITEBACK = 2,
};

enum cairn_cache_flush {
	/* FLUSH: everything written before it is on the members, committed */
	CAIRN_CACHE_FLUSH_DISK = 0,
	/*
	 * FLUSH: in both nodes' RAM (the mirror sends every write to the
	 * peer's cache); only while the mirror is connected and in sync,
	 * write-through otherwise.
	 */
	CAIRN_CACHE_FLUSH_MIRROR = 1,
};

enum cairn_mirror_role {
	CAIRN_ROLE_OFF = 0,		/* MIRROR_SET only: not mirrored */
	CAIRN_ROLE_PRIMARY = 1,	/* serves I/O, sends every write */
	CAIRN_ROLE_SECONDARY = 2,	/* receives; its device refuses I/O */
};

enum cairn_mirror_link {
	CAIRN_LINK_STANDALONE,		/* no peer connected */
	CAIRN_LINK_CONNECTED,		/* in sync */
	CAIRN_LINK_SYNC_SOURCE,		/* connected, sending the bitmap */
	CAIRN_LINK_SYNC_TARGET,		/* connected, receiving a resync */
	CAIRN_LINK_CONNECTING,		/* MIRROR_CONNECT's handshake under way */
};

enum cairn_mirror_disk {
	CAIRN_MDISK_INCONSISTENT,	/* never synced, or half way */
	CAIRN_MDISK_OUTDATED,		/* consistent, known to be behind */
	CAIRN_MDISK_CONSISTENT,		/* consistent; the newest as far as known */
};

enum cairn_nospace {
	CAIRN_NOSPACE_ERROR = 0,	/* fail writes at once */
	CAIRN_NOSPACE_WAIT = 1,		/* queue them for NOSPACE_TIMEOUT */
};

enum cairn_pool_mode {
	CAIRN_POOL_WRITE,
	CAIRN_POOL_OUT_OF_SPACE,
	CAIRN_POOL_READ_ONLY,
	CAIRN_POOL_FAILED,
};

enum cairn_nl_event {
	CAIRN_EVENT_POOL_CREATED = 1,
	CAIRN_EVENT_POOL_OPENED,
	CAIRN_EVENT_POOL_CLOSED,
	CAIRN_EVENT_THRESHOLD_UP,	/* allocation crossed the threshold */
	CAIRN_EVENT_THRESHOLD_DOWN,
	CAIRN_EVENT_MODE_CHANGED,	/* value: enum cairn_pool_mode */
	CAIRN_EVENT_OUT_OF_SPACE,
	CAIRN_EVENT_METADATA_ERROR,	/* value: errno */
	CAIRN_EVENT_MEMBER_ADDED,	/* value: member index */
	CAIRN_EVENT_MEMBER_IO_ERROR,	/* value: member index */
	CAIRN_EVENT_LINK_UP,		/* VOLUME_NAME; value: enum cairn_mirror_link */
	CAIRN_EVENT_LINK_DOWN,		/* VOLUME_NAME; value: errno */
	CAIRN_EVENT_LINK_REFUSED,	/* VOLUME_NAME; value: errno */
	CAIRN_EVENT_RESYNC_DONE,	/* VOLUME_NAME; value: bytes resynced */
	CAIRN_EVENT_ROLE_CHANGED,	/* VOLUME_NAME; value: enum cairn_mirror_role */
};

#endif /* _UAPI_CAIRN_NL_H */
