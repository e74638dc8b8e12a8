/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcairn - the userland side of Cairn's control plane, shared by cairnctl
 * and cairnd.
 *
 * Functions return 0 or a negative errno.  When the kernel refuses a request
 * with an extack message, cairn_nl_error() returns that message until the
 * next request on the same handle.
 */
#ifndef LIBCAIRN_H
#define LIBCAIRN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cairn_nl;

struct cairn_info {
	char module_version[65];
	char target_version[65];
	uint32_t genl_version;
	uint32_t pool_count;
	int family_id;
};

/*
 * Connect to the "cairn" generic netlink family; -ENOENT when the family
 * does not exist (cairn.ko not loaded).
 */
int cairn_nl_open(struct cairn_nl **nlp);
void cairn_nl_close(struct cairn_nl *nl);

/* The kernel's extack message for the last refusal, or "" if none. */
const char *cairn_nl_error(const struct cairn_nl *nl);

int cairn_nl_get_info(struct cairn_nl *nl, struct cairn_info *info);

#define CAIRN_MAX_DEVICES 64

struct cairn_member_desc {
	uint32_t index;
	char device[256];
	uint8_t uuid[16];
	uint64_t size;			/* bytes */
	uint64_t chunks;
	uint64_t used;			/* chunks */
};

struct cairn_pool_desc {
	char name[65];
	uint8_t uuid[16];
	uint32_t chunk_size;
	uint64_t capacity, allocated, free;	/* bytes */
	uint32_t mode;			/* enum cairn_pool_mode */
	uint32_t threshold;		/* percent, 0 = none */
	uint32_t nospace_policy;	/* enum cairn_nospace */
	uint32_t nospace_timeout;	/* seconds */
	uint32_t volume_count;
	unsigned int nr_members;
	struct cairn_member_desc members[CAIRN_MAX_DEVICES];
	uint64_t counters[16];		/* by enum cairn_counter */
};

/* Settings: a negative value (or 0 chunk_size) leaves it to the kernel. */
struct cairn_pool_opts {
	uint32_t chunk_size;
	int64_t threshold;
	int64_t nospace_policy;
	int64_t nospace_timeout;
};

struct cairn_event_desc {
	char pool[65];
	char volume[65];		/* the mirror's events; else empty */
	uint32_t event;			/* enum cairn_nl_event */
	uint64_t value, capacity, allocated;
};

int cairn_nl_pool_create(struct cairn_nl *nl, const char *name,
			 char *const *devices, unsigned int nr,
			 const struct cairn_pool_opts *opts,
			 struct cairn_pool_desc *out);
int cairn_nl_pool_open(struct cairn_nl *nl, char *const *devices,
		       unsigned int nr, struct cairn_pool_desc *out);
int cairn_nl_pool_close(struct cairn_nl *nl, const char *name);
int cairn_nl_pool_add_member(struct cairn_nl *nl, const char *name,
			     const char *device, struct cairn_pool_desc *out);
int cairn_nl_pool_set(struct cairn_nl *nl, const char *name,
		      const struct cairn_pool_opts *opts,
		      struct cairn_pool_desc *out);
int cairn_nl_pool_get(struct cairn_nl *nl, const char *name,
		      struct cairn_pool_desc *out);
/* Every open pool, one call of @cb each (a nonzero return stops). */
int cairn_nl_pool_list(struct cairn_nl *nl,
		       int (*cb)(const struct cairn_pool_desc *desc, void *arg),
		       void *arg);
/*
 * Join the events group now: events sent from then on wait in the socket
 * for cairn_nl_events() on the same handle (which joins by itself too).
 */
int cairn_nl_subscribe(struct cairn_nl *nl);
/*
 * Join the events group and call @cb for each event until it returns
 * nonzero (that value is returned) or an error occurs.
 */
int cairn_nl_events(struct cairn_nl *nl,
		    int (*cb)(const struct cairn_event_desc *ev, void *arg),
		    void *arg);

/* A mirrored volume's state (see enum cairn_mirror_* in the uapi). */
struct cairn_mirror_desc {
	bool mirrored;
	uint32_t role;			/* enum cairn_mirror_role */
	char peer[65];
	uint32_t link;			/* enum cairn_mirror_link */
	uint32_t disk;			/* enum cairn_mirror_disk */
	uint32_t peer_role, peer_disk;	/* when connected */
	uint32_t grain;			/* bytes per bitmap bit */
	uint64_t oos;			/* bytes out of sync */
	uint64_t sent, resynced;	/* bytes */
	uint32_t lease;			/* 0 none, 1 held, 2 lapsed */
	uint32_t alone;			/* the peer is outdated */
	uint32_t held;			/* writes held for want of a peer */
	uint64_t activity;		/* bytes a restart resyncs at most */
	/* MIRROR_CONNECT attempts: taken, finished, its errno and reason */
	uint32_t connect_seq, connect_done, connect_err;
	char connect_why[200];
	/* the primary's sender: batches, messages, rides, bytes copied */
	uint64_t tx_batches, tx_msgs, tx_rides, tx_copied;
};

/*
 * A RAM cache (CAIRN_CACHE_* of the uapi): a volume's, in VOLUME_GET
 * replies (present set for a volume with a cache), or the node's sums
 * (CACHE_GET: blocks, dirty, the counters and volumes; no mode).
 */
struct cairn_cache_desc {
	bool present;
	uint32_t mode;			/* enum cairn_cache_mode */
	uint32_t flush;			/* enum cairn_cache_flush */
	bool write_back;		/* writes acknowledged from RAM now */
	uint32_t seq_cutoff;		/* bytes, 0 = none */
	uint32_t volumes;		/* CACHE_GET: volumes with a cache */
	uint64_t blocks;		/* 4 KiB blocks held */
	uint64_t dirty;			/* blocks not yet on the members */
	uint64_t read_hits, read_misses;
	uint64_t write_hits;		/* writes acknowledged from RAM */
	uint64_t bypassed;		/* writes sent on */
	uint64_t destage_writes;	/* writes to the layer below */
	uint64_t destaged;		/* blocks they carried */
	uint64_t evictions;		/* clean blocks given up */
	uint64_t peak;			/* most blocks held at once */
};

#define CAIRN_CACHE_BLOCK 4096

struct cairn_volume_desc {
	char pool[65];
	char name[65];
	uint8_t uuid[16];
	uint64_t size;			/* bytes */
	uint64_t mapped;		/* bytes */
	struct cairn_mirror_desc mirror;
	struct cairn_cache_desc cache;
};

int cairn_nl_volume_create(struct cairn_nl *nl, const char *pool,
			   const char *name, uint64_t size,
			   struct cairn_volume_desc *out);
/* The same, with the volume's UUID given (a mirror's replica). */
int cairn_nl_volume_create_uuid(struct cairn_nl *nl, const char *pool,
				const char *name, uint64_t size,
				const uint8_t *uuid,
				struct cairn_volume_desc *out);
int cairn_nl_volume_delete(struct cairn_nl *nl, const char *pool,
			   const char *name);
int cairn_nl_volume_resize(struct cairn_nl *nl, const char *pool,
			   const char *name, uint64_t size,
			   struct cairn_volume_desc *out);
int cairn_nl_volume_get(struct cairn_nl *nl, const char *pool,
			const char *name, struct cairn_volume_desc *out);
/* Volumes of @pool (NULL: of every pool). */
int cairn_nl_volume_list(struct cairn_nl *nl, const char *pool,
			 int (*cb)(const struct cairn_volume_desc *v, void *arg),
			 void *arg);

/*
 * Mirroring (MIRROR_* of the uapi): make a volume mirrored or change its
 * role (@peer may be NULL), hand it the connected sockets of its link
 * (returns once the kernel's handshake brought the link up or refused it,
 * the reason in cairn_nl_error()), or drop the link.
 */
int cairn_nl_mirror_set(struct cairn_nl *nl, const char *pool,
			const char *name, uint32_t role, const char *peer,
			bool force, struct cairn_volume_desc *out);
int cairn_nl_mirror_connect(struct cairn_nl *nl, const char *pool,
			    const char *name, int data_fd, int meta_fd,
			    uint32_t ping_ms, uint32_t timeout_ms,
			    struct cairn_volume_desc *out);
int cairn_nl_mirror_disconnect(struct cairn_nl *nl, const char *pool,
			       const char *name);
/*
 * cairnd's quorum: a lease of @lease_ms (0: none), and whether the peer
 * is outdated (@alone 0 or 1; -1 unchanged).
 */
int cairn_nl_mirror_quorum(struct cairn_nl *nl, const char *pool,
			   const char *name, uint32_t lease_ms, int alone,
			   struct cairn_volume_desc *out);
/* The same with the lease's end, CLOCK_MONOTONIC ns (past: lapsed). */
int cairn_nl_mirror_quorum_until(struct cairn_nl *nl, const char *pool,
				 const char *name, uint64_t until_ns, int alone,
				 struct cairn_volume_desc *out);
/*
 * The node's RAM cache: its budget in bytes (0: none; the kernel wants a
 * MiB multiple, at most half the RAM, and no less than the volumes' caches
 * hold), and the budget with the node's totals.
 */
int cairn_nl_cache_set(struct cairn_nl *nl, uint64_t budget);
int cairn_nl_cache_get(struct cairn_nl *nl, uint64_t *budget,
		       struct cairn_cache_desc *totals);
/*
 * A volume's RAM cache: @mode (enum cairn_cache_mode; OFF drains it
 * first), @flush (enum cairn_cache_flush, or -1: the kernel's choice or
 * the current one), @seq_cutoff (bytes, 0 none; -1: unchanged/default).
 */
int cairn_nl_volume_cache(struct cairn_nl *nl, const char *pool,
			  const char *name, uint32_t mode, int flush,
			  int64_t seq_cutoff, struct cairn_volume_desc *out);
/* "off", "writethrough", "writeback"; "disk", "mirror"; else "unknown". */
const char *cairn_cache_mode_name(uint32_t mode);
const char *cairn_cache_flush_name(uint32_t flush);
/* The number for a name above, or -EINVAL. */
int cairn_cache_mode_from_name(const char *name);
int cairn_cache_flush_from_name(const char *name);
const char *cairn_mirror_role_name(uint32_t role);
const char *cairn_mirror_link_name(uint32_t link);
/* The link is up: connected, or a resync under way (not connecting). */
bool cairn_mirror_link_up(const struct cairn_mirror_desc *m);
const char *cairn_mirror_disk_name(uint32_t disk);

/*
 * The volume's block device, /dev/mapper/cairn-<pool>-<volume>, through
 * libdevmapper.  Errors: negative errno, with a message in @err.
 */
int cairn_dm_name(const char *pool, const char *volume, char *out, size_t len);
int cairn_dm_activate(const char *pool, const char *volume, uint64_t size,
		      char *err, size_t errlen);
int cairn_dm_resize(const char *pool, const char *volume, uint64_t size,
		    char *err, size_t errlen);
int cairn_dm_deactivate(const char *pool, const char *volume,
			char *err, size_t errlen);
/* 1 if the device exists, 0 if not. */
int cairn_dm_exists(const char *pool, const char *volume);

const char *cairn_mode_name(uint32_t mode);

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into @out (37 bytes). */
void cairn_uuid_str(const uint8_t *uuid, char *out);
/* A message into @err (@errlen bytes; nothing if @err is NULL). */
void cairn_seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "1.5 GiB" */
void cairn_human_size(uint64_t bytes, char *out, size_t len);
const char *cairn_event_name(uint32_t event);
/*
 * The event number for a cairn_event_name() (a kernel event), or
 * CAIRN_DAEMON_EVENT + i for cairnd's own (its heartbeat); -ENOENT.
 */
#define CAIRN_DAEMON_EVENT 1000
int cairn_event_from_name(const char *name);

/*
 * Configuration: /etc/cairn/cairn.json, the state cairnd restores at boot
 * (pools by UUID and members, volumes, exports, event hooks).  cairnctl
 * saves it after every change.  Strings are bounded; arrays are malloc'ed
 * and freed by cairn_config_free().
 */
#define CAIRN_CONFIG_PATH "/etc/cairn/cairn.json"
#define CAIRN_NAME_LEN 65		/* pool and volume names, with the NUL */
#define CAIRN_WWN_LEN 224		/* iqn.../naa... (RFC 3720: 223 bytes) */
#define CAIRN_SECRET_LEN 256

struct cairn_cfg_member {
	char device[256];		/* as last seen, e.g. /dev/vdb */
	char uuid[37];			/* member UUID */
};

struct cairn_cfg_pool {
	char name[CAIRN_NAME_LEN];
	char uuid[37];
	unsigned int nr_members;
	struct cairn_cfg_member *members;
};

/* A volume's mirror: its partner node and this node's role. */
struct cairn_cfg_mirror {
	char peer[CAIRN_NAME_LEN];	/* "" = not mirrored */
	uint32_t role;			/* enum cairn_mirror_role */
};

/* A volume's RAM cache; mode CAIRN_CACHE_OFF (0) = none configured. */
struct cairn_cfg_cache {
	uint32_t mode;			/* enum cairn_cache_mode */
	uint32_t flush;			/* enum cairn_cache_flush */
	uint32_t seq_cutoff;		/* bytes, 0 = none */
};

struct cairn_cfg_volume {
	char pool[CAIRN_NAME_LEN];
	char name[CAIRN_NAME_LEN];
	char uuid[37];
	uint64_t size;			/* bytes */
	struct cairn_cfg_mirror mirror;
	struct cairn_cfg_cache cache;
};

/* A partner node: its cairnd at address:port, the shared secret's file. */
#define CAIRN_PEER_PORT 7788
#define CAIRN_ADDR_LEN 256

struct cairn_cfg_peer {
	char name[CAIRN_NAME_LEN];
	char address[CAIRN_ADDR_LEN];	/* IPv4, IPv6 or a host name */
	uint16_t port;
	char secret_file[256];		/* absolute path */
};

struct cairn_cfg_lun {
	uint32_t lun;
	char volume[CAIRN_NAME_LEN];	/* volume names are unique */
};

struct cairn_cfg_acl {
	char initiator[CAIRN_WWN_LEN];
	char userid[CAIRN_SECRET_LEN];		/* CHAP; "" = none */
	char password[CAIRN_SECRET_LEN];
	char mutual_userid[CAIRN_SECRET_LEN];	/* mutual CHAP; "" = none */
	char mutual_password[CAIRN_SECRET_LEN];
};

struct cairn_cfg_portal {
	char ip[64];			/* "0.0.0.0", "192.0.2.1", "[::]" */
	uint16_t port;
};

enum cairn_fabric {
	CAIRN_FABRIC_ISCSI,
	CAIRN_FABRIC_LOOPBACK,
	CAIRN_FABRIC_FC,		/* tcm_fc: FCoE ports through libfc */
};

struct cairn_cfg_target {
	enum cairn_fabric fabric;
	char wwn[CAIRN_WWN_LEN];	/* iqn./eui./naa. (loopback, FC: naa.) */
	unsigned int nr_luns, nr_acls, nr_portals;
	struct cairn_cfg_lun *luns;
	struct cairn_cfg_acl *acls;		/* iSCSI, FC (no CHAP) */
	struct cairn_cfg_portal *portals;	/* iSCSI only */
	/*
	 * iSCSI: the two nodes that serve the target (ALUA), or "" "" for
	 * a target of this node alone (tpgt_1).
	 */
	char nodes[2][CAIRN_NAME_LEN];
};

struct cairn_cfg_hook {
	char event[32];			/* cairn_event_name(), or "*" */
	char command[512];		/* run with sh -c, CAIRN_* in env */
};

/*
 * High availability (cairnd's heartbeat and quorum, userland/cairnd/ha.c):
 * the witness is one of the peers; "" = no automatic failover.
 */
#define CAIRN_HA_INTERVAL_MS	1000
#define CAIRN_HA_TIMEOUT_MS	5000

struct cairn_cfg_ha {
	char witness[CAIRN_NAME_LEN];
	uint32_t interval_ms;		/* between heartbeats; 0 = default */
	uint32_t timeout_ms;		/* a lease, a silence; 0 = default */
};

struct cairn_config {
	char node[CAIRN_NAME_LEN];	/* this node's name; "" = hostname */
	uint16_t port;			/* cairnd's peer port; 0 = default */
	unsigned int nr_pools, nr_volumes, nr_targets, nr_hooks, nr_peers;
	struct cairn_cfg_pool *pools;
	struct cairn_cfg_volume *volumes;
	struct cairn_cfg_target *targets;
	struct cairn_cfg_hook *hooks;
	struct cairn_cfg_peer *peers;
	struct cairn_cfg_ha ha;
	uint64_t cache_budget;		/* bytes of RAM for caches; 0 = none */
};

/*
 * Load @path (NULL: $CAIRN_CONFIG or CAIRN_CONFIG_PATH).  A missing file
 * is an empty configuration; a malformed one is -EINVAL with the reason
 * (and the JSON path of the bad element) in @err.
 */
int cairn_config_load(const char *path, struct cairn_config *cfg,
		      char *err, size_t errlen);
/* Write to a temporary file in the same directory, fsync, rename, fsync. */
int cairn_config_save(const char *path, const struct cairn_config *cfg,
		      char *err, size_t errlen);
void cairn_config_free(struct cairn_config *cfg);
/* The path load/save use for NULL. */
const char *cairn_config_path(void);

/*
 * cairnd's pid file: $CAIRN_PIDFILE or CAIRN_PIDFILE_PATH, locked by the
 * running cairnd.  cairn_daemon_reload() sends SIGHUP to the cairnd that
 * holds the lock: 1 if one did, 0 if none runs, or a negative errno.
 */
#define CAIRN_PIDFILE_PATH "/run/cairnd.pid"
/* cairnd's heartbeat state (JSON): $CAIRN_HA_STATUS or this. */
#define CAIRN_HA_STATUS_PATH "/run/cairn-ha.json"
const char *cairn_ha_status_path(void);
/* cairnd --witness keeps its outdated flags here (unless told otherwise). */
#define CAIRN_WITNESS_STATE_PATH "/var/lib/cairn/witness.json"
const char *cairn_pidfile_path(void);
int cairn_daemon_reload(void);

struct cairn_cfg_pool *cairn_config_pool(struct cairn_config *cfg,
					 const char *name);
struct cairn_cfg_volume *cairn_config_volume(struct cairn_config *cfg,
					     const char *name);
struct cairn_cfg_target *cairn_config_target(struct cairn_config *cfg,
					     enum cairn_fabric fabric,
					     const char *wwn);
struct cairn_cfg_peer *cairn_config_peer(struct cairn_config *cfg,
					 const char *name);
/* This node's name: cfg->node, else the host name (short). */
void cairn_config_node(const struct cairn_config *cfg, char *out, size_t len);
/*
 * The heartbeat's interval and timeout with their defaults filled in; a
 * message naming the problem (0) if they do not fit together, else NULL.
 */
const char *cairn_config_ha_check(const struct cairn_cfg_ha *ha,
				  uint32_t *interval, uint32_t *timeout);
/* cairnd's peer port: cfg->port, else CAIRN_PEER_PORT. */
unsigned int cairn_config_port(const struct cairn_config *cfg);
/* 1-64 of [A-Za-z0-9._-]: pool, volume, node and peer names. */
bool cairn_valid_name(const char *name);
/* Append a zeroed element and return it (NULL on ENOMEM). */
struct cairn_cfg_pool *cairn_config_add_pool(struct cairn_config *cfg);
struct cairn_cfg_volume *cairn_config_add_volume(struct cairn_config *cfg);
struct cairn_cfg_target *cairn_config_add_target(struct cairn_config *cfg);
struct cairn_cfg_lun *cairn_config_add_lun(struct cairn_cfg_target *t);
struct cairn_cfg_acl *cairn_config_add_acl(struct cairn_cfg_target *t);
struct cairn_cfg_portal *cairn_config_add_portal(struct cairn_cfg_target *t);
struct cairn_cfg_peer *cairn_config_add_peer(struct cairn_config *cfg);
/* Remove by pointer (the element must belong to the array). */
void cairn_config_del_pool(struct cairn_config *cfg, struct cairn_cfg_pool *p);
void cairn_config_del_volume(struct cairn_config *cfg,
			     struct cairn_cfg_volume *v);
void cairn_config_del_target(struct cairn_config *cfg,
			     struct cairn_cfg_target *t);
void cairn_config_del_lun(struct cairn_cfg_target *t, struct cairn_cfg_lun *l);
void cairn_config_del_acl(struct cairn_cfg_target *t, struct cairn_cfg_acl *a);
void cairn_config_del_portal(struct cairn_cfg_target *t,
			     struct cairn_cfg_portal *p);
void cairn_config_del_peer(struct cairn_config *cfg, struct cairn_cfg_peer *p);

/*
 * Kernel modules through libkmod: load @name and its dependencies (a
 * module already loaded, or built in, is success).  -ENOENT when no such
 * module exists; the reason in @err.
 */
int cairn_kmod_load(const char *name, char *err, size_t errlen);
/*
 * dm-mod and cairn; with @exports also target_core_mod, target_core_iblock,
 * iscsi_target_mod and tcm_loop, with configfs mounted.
 */
int cairn_kmod_load_all(bool exports, char *err, size_t errlen);
/* The LIO modules of cairn_kmod_load_all() alone, with configfs mounted. */
int cairn_kmod_load_lio(char *err, size_t errlen);

/*
 * LIO, through configfs (/sys/kernel/config/target), in the layout
 * rtslib-fb (targetcli) writes, so `targetcli ls` shows it:
 *   core/iblock_N/<volume>            one HBA per backstore, as rtslib does
 *   iscsi/<iqn>/tpgt_1/{np,lun,acls}  one TPG per target (two for a
 *                                     target served by two nodes, below)
 *   loopback/<naa>/tpgt_1/{nexus,lun}
 *   fc/<xx:xx:xx:xx:xx:xx:xx:xx>/tpgt_1/{lun,acls}   tcm_fc; Cairn names
 *                                     the port naa.<16 hex> as rtslib does
 * All calls return 0 or a negative errno with a message in @err naming
 * the object; a failed create removes what it made.
 */
#define CAIRN_LIO_ROOT "/sys/kernel/config/target"

struct cairn_lio_backstore {
	const char *name;		/* the volume's name */
	const char *device;		/* /dev/mapper/cairn-<pool>-<volume> */
	const uint8_t *uuid;		/* the volume's UUID: serial and NAA */
	uint32_t granularity;		/* bytes: the pool's chunk */
};

/*
 * iSCSI names (iqn., eui., naa.) and loopback names (naa.) by RFC 3720;
 * FC port names as naa. and 16 hex digits.
 */
bool cairn_lio_valid_wwn(enum cairn_fabric fabric, const char *wwn,
			 char *err, size_t errlen);
/*
 * An FC port name as a user writes it (naa.2000..., 0x2000...,
 * 20:00:...) in Cairn's form, naa. and 16 lowercase hex digits; @len
 * is 21 at least.
 */
int cairn_lio_fc_wwn(const char *in, char *out, size_t len, char *err,
		     size_t errlen);

/*
 * The name of target or initiator @wwn in configfs: @wwn itself, but for
 * FC xx:xx:xx:xx:xx:xx:xx:xx in @buf (CAIRN_LIO_DIR_NAME_LEN bytes).
 */
#define CAIRN_LIO_DIR_NAME_LEN 24
const char *cairn_lio_dir_name(enum cairn_fabric fabric, const char *wwn,
			       char *buf);

/* A local FC port tcm_fc can serve (an FCoE port). */
struct cairn_fc_port {
	char wwpn[21];			/* naa.<16 hex> */
	char wwnn[21];
	char host[32];			/* hostN */
	char state[32];			/* Online, Linkdown, ... */
	char symbolic[128];		/* "fcoe v0.1 over eth1" */
};

/* The FCoE ports of this node in *@ports (free()); their number. */
int cairn_lio_fc_ports(struct cairn_fc_port **ports, char *err, size_t errlen);
int cairn_lio_backstore_create(const struct cairn_lio_backstore *bs,
			       char *err, size_t errlen);
int cairn_lio_backstore_delete(const char *name, char *err, size_t errlen);
/* 1 if it exists, 0 if not. */
int cairn_lio_backstore_exists(const char *name);
int cairn_lio_target_create(enum cairn_fabric fabric, const char *wwn,
			    char *err, size_t errlen);
/* Removes the target with everything under it (not the backstores). */
int cairn_lio_target_delete(enum cairn_fabric fabric, const char *wwn,
			    char *err, size_t errlen);
int cairn_lio_target_exists(enum cairn_fabric fabric, const char *wwn);
int cairn_lio_portal_create(const char *iqn, const char *ip,
			    unsigned int port, char *err, size_t errlen);
int cairn_lio_portal_delete(const char *iqn, const char *ip,
			    unsigned int port, char *err, size_t errlen);
/* The LUN is mapped (same number, read-write) into every ACL of the TPG. */
int cairn_lio_lun_create(enum cairn_fabric fabric, const char *wwn,
			 uint32_t lun, const char *backstore,
			 char *err, size_t errlen);
int cairn_lio_lun_delete(enum cairn_fabric fabric, const char *wwn,
			 uint32_t lun, char *err, size_t errlen);
/* Creates the ACL, maps every LUN of the TPG into it, sets its CHAP. */
int cairn_lio_acl_create(enum cairn_fabric fabric, const char *wwn,
			 const struct cairn_cfg_acl *acl, char *err,
			 size_t errlen);
int cairn_lio_acl_set_auth(const char *iqn, const struct cairn_cfg_acl *acl,
			   char *err, size_t errlen);
int cairn_lio_acl_delete(enum cairn_fabric fabric, const char *wwn,
			 const char *initiator, char *err, size_t errlen);
/* TPG attribute authentication: CHAP required for every login. */
int cairn_lio_set_chap_required(const char *iqn, bool on,
				char *err, size_t errlen);
/* Enable the TPG (logins possible); created disabled. */
int cairn_lio_target_enable(enum cairn_fabric fabric, const char *wwn,
			    bool on, char *err, size_t errlen);

/*
 * Two nodes, one LUN identity (implicit ALUA).  An iSCSI target with
 * nodes (struct cairn_cfg_target) has tpgt_1 and tpgt_2 on both nodes:
 * node i of its list owns tpgt_<i+1>, which is enabled and has the
 * portals only on that node.  LUNs and ACLs go into every TPG of a target,
 * tpgt_1 first, so that a fresh backstore numbers its ports (the relative
 * target port identifier) 1 and 2 on both nodes alike.  Each exported
 * backstore has one target port group per node, cairn_<node> with
 * tg_pt_gp_id i + 1, implicit ALUA; tpgt_<i+1>'s LUN is in it.
 */
#define CAIRN_ALUA_NODES 2

/* The asymmetric access states of SPC-4 (alua_access_state). */
enum cairn_alua_state {
	CAIRN_ALUA_OPTIMIZED = 0,
	CAIRN_ALUA_NONOPTIMIZED = 1,
	CAIRN_ALUA_STANDBY = 2,
	CAIRN_ALUA_UNAVAILABLE = 3,
	CAIRN_ALUA_OFFLINE = 14,
	CAIRN_ALUA_TRANSITION = 15,
};

const char *cairn_alua_state_name(int state);
/* An iSCSI target with tpgt_1 and tpgt_2, both disabled. */
int cairn_lio_target_create_pair(const char *iqn, char *err, size_t errlen);
/* Enable or disable TPG @tag (cairn_lio_target_enable() is tag 1). */
int cairn_lio_tpg_enable(enum cairn_fabric fabric, const char *wwn,
			 unsigned int tag, bool on, char *err, size_t errlen);
/* Portals of TPG @tag (cairn_lio_portal_*() are tag 1). */
int cairn_lio_tpg_portal_create(const char *iqn, unsigned int tag,
				const char *ip, unsigned int port, char *err,
				size_t errlen);
int cairn_lio_tpg_portal_delete(const char *iqn, unsigned int tag,
				const char *ip, unsigned int port, char *err,
				size_t errlen);
/*
 * Put LUN @lun of every TPG of @iqn into its node's target port group,
 * making the groups (id i + 1 for @nodes[i]) on the LUN's backstore if
 * they are missing.  1 if a group was made now (its state is then
 * active/optimized, LIO's default: the caller sets it), 0 if both were
 * there, or a negative errno.
 */
int cairn_lio_alua_attach(const char *iqn, uint32_t lun,
			  const char *const nodes[CAIRN_ALUA_NODES],
			  char *err, size_t errlen);
/* Set or read the state of group cairn_<node> of a backstore. */
int cairn_lio_alua_set_state(const char *backstore, const char *node,
			     int state, char *err, size_t errlen);
int cairn_lio_alua_get(const char *backstore, const char *node, uint32_t *id,
		       int *state, char *err, size_t errlen);
/* The relative target port identifier of LUN @lun of TPG @tag. */
int cairn_lio_lun_rtpi(enum cairn_fabric fabric, const char *wwn,
		       unsigned int tag, uint32_t lun, uint32_t *rtpi);

/*
 * The library entry point of failover (cairnd calls it on promote, demote
 * and fence): for every iSCSI target of @cfg with nodes that exports
 * @volume (of @pool), the group of @primary_node becomes active/optimized
 * and the other node's standby; @primary_node NULL (fenced, or no primary
 * known) makes both unavailable.  Demotions go before the promotion.
 * Idempotent.  Returns the number of targets set (0: the volume has no
 * export with nodes), or a negative errno with the reason in @err; a
 * refused request (a node not in a target's list, a backstore or group
 * missing) changes nothing.
 */
int cairn_alua_set(const struct cairn_config *cfg, const char *pool,
		   const char *volume, const char *primary_node,
		   char *err, size_t errlen);

/* One port of a paired target's LUN, as cairn_alua_get() reads it. */
struct cairn_alua_port {
	uint32_t lun;
	char volume[CAIRN_NAME_LEN];
	char node[CAIRN_NAME_LEN];
	unsigned int tag;		/* tpgt_<tag> */
	bool local;			/* this node's TPG */
	int group_id;			/* -1: no group in LIO */
	int state;			/* enum cairn_alua_state; -1 unknown */
	int rtpi;			/* -1 unknown */
};

/*
 * The ports of every LUN of @t (CAIRN_ALUA_NODES per LUN, in LUN order)
 * into @out, which has room for CAIRN_ALUA_NODES * t->nr_luns; their
 * number, or -EINVAL for a target without nodes.
 */
int cairn_alua_get(const struct cairn_config *cfg,
		   const struct cairn_cfg_target *t, struct cairn_alua_port *out);
/*
 * What is wrong with the nodes list @nodes of an iSCSI target on the node
 * called @self (two distinct valid names, one of them @self), or NULL.
 * @self NULL skips that check.
 */
const char *cairn_alua_nodes_problem(const char *const nodes[CAIRN_ALUA_NODES],
				     const char *self);
/* This node's index in t->nodes, or -1 (also for a target without). */
int cairn_alua_self(const struct cairn_config *cfg,
		    const struct cairn_cfg_target *t);

/*
 * Bring the kernel in line with @cfg: load modules, set the RAM cache
 * budget, open the pools not open yet (members found by scanning block
 * devices for the pool's UUID, so renamed devices do not matter), turn
 * the volumes' RAM caches on, activate their dm devices, recreate the
 * exports.  Each failure is reported through @log (one
 * message naming the object) and restore goes on with the rest; returns
 * the number of failures.
 */
int cairn_restore(const struct cairn_config *cfg,
		  void (*log)(int prio, const char *msg, void *arg), void *arg);

/*
 * Peers (userland/lib/peer.c): the control connection between the cairnd
 * of two nodes, TCP, authenticated both ways with a shared secret before
 * anything else is said.  See the top of peer.c for the protocol.
 */
#define CAIRN_PEER_NONCE 32
#define CAIRN_PEER_MAC 32		/* HMAC-SHA256 */
#define CAIRN_PEER_MSG_LEN 256
#define CAIRN_SECRET_MIN 16
#define CAIRN_SECRET_MAX 4096
#define CAIRN_PEER_TIMEOUT_MS 5000	/* each exchange of the control talk */

enum cairn_peer_type {
	CAIRN_PEER_HELLO = 1,		/* client: node, nonce */
	CAIRN_PEER_CHALLENGE,		/* server: node, nonce */
	CAIRN_PEER_AUTH,		/* client: mac */
	CAIRN_PEER_AUTH_OK,		/* server: mac */
	CAIRN_PEER_REPLY,		/* status, message */
	CAIRN_PEER_NOP,			/* a request that does nothing */
	CAIRN_PEER_CREATE_REPLICA,	/* pool, volume, uuid, size */
	CAIRN_PEER_LINK,		/* uuid, kind: the socket is the link's */
	CAIRN_PEER_RETRY,		/* uuid: try the link again */
	__CAIRN_PEER_TYPE_MAX,
};

struct cairn_peer_msg {
	uint8_t type;			/* enum cairn_peer_type */
	char node[CAIRN_NAME_LEN];
	uint8_t nonce[CAIRN_PEER_NONCE];
	uint8_t mac[CAIRN_PEER_MAC];
	uint32_t status;		/* REPLY: 0 or an errno */
	char message[CAIRN_PEER_MSG_LEN];
	char pool[CAIRN_NAME_LEN];
	char volume[CAIRN_NAME_LEN];
	uint8_t uuid[16];
	uint64_t size;
	uint8_t kind;			/* LINK: 'D' data or 'M' meta */
};

#define CAIRN_PEER_HDR 12
#define CAIRN_PEER_BODY_MAX 1024

/*
 * Frames: encode into @buf (CAIRN_PEER_HDR + CAIRN_PEER_BODY_MAX bytes)
 * and return the length.  Decode a whole frame of @len bytes: 0, or
 * -EPROTO for anything malformed (magic, version, type, length, a field
 * out of bounds, bytes left over).  cairn_peer_frame_len() reads a
 * header: the frame's total length, or -EPROTO.
 */
size_t cairn_peer_encode(const struct cairn_peer_msg *m, uint8_t *buf);
int cairn_peer_frame_len(const uint8_t *hdr);
int cairn_peer_decode(const uint8_t *buf, size_t len, struct cairn_peer_msg *m);

/*
 * Read the secret file @path: it must be a regular file that group and
 * others cannot read, of CAIRN_SECRET_MIN to CAIRN_SECRET_MAX bytes.
 * Returns the length, or a negative errno with the reason in @err.
 */
int cairn_secret_load(const char *path, uint8_t *key, char *err, size_t errlen);

/*
 * Send one message; receive one within @timeout_ms.  Negative errno:
 * -ETIMEDOUT, -ECONNRESET (closed), -EPROTO (a malformed frame).
 */
int cairn_peer_send(int fd, const struct cairn_peer_msg *m);
int cairn_peer_recv(int fd, struct cairn_peer_msg *m, int timeout_ms);

/*
 * Client: connect to @p's cairnd and authenticate as @self (both ways).
 * Returns the connected socket, or a negative errno with a message naming
 * the peer in @err: -EHOSTUNREACH (no connection), -EACCES (wrong
 * secret, on either side), -ENOENT (the peer does not know @self, or is
 * not the node called p->name), -EINVAL (our secret file is unusable),
 * -EPROTO or -ETIMEDOUT (the peer does not speak the protocol).
 */
int cairn_peer_connect(const struct cairn_cfg_peer *p, const char *self,
		       char *err, size_t errlen);

/*
 * Server: authenticate the client on @fd as @self.  @secret_path copies
 * the secret file's path for a peer name (0), or says it is no peer
 * (-ENOENT).  On success the peer's name is in @peer.  Nothing but the
 * nonce exchange is answered before the client proved the secret.
 */
int cairn_peer_accept(int fd, const char *self,
		      int (*secret_path)(const char *peer, char *path,
					 size_t len, void *arg),
		      void *arg, char *peer, char *err, size_t errlen);

/* Send @req and wait up to @timeout_ms for the REPLY in @reply. */
int cairn_peer_request(int fd, const struct cairn_peer_msg *req,
		       struct cairn_peer_msg *reply, int timeout_ms);
/* Send a REPLY. */
int cairn_peer_reply(int fd, uint32_t status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* LIBCAIRN_H */
