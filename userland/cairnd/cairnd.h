/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cairnd - what cairnd.c (configuration, events, hooks) shares with
 * peers.c (the peer listener and the mirror link manager).
 */
#ifndef CAIRND_H
#define CAIRND_H

#include "libcairn.h"

/* The configuration, RCU-protected (see the top of cairnd.c). */
extern struct cairn_config *cfg_rcu;
/* -c PATH, or NULL for cairn_config_path(). */
extern const char *config_file;

/* Start the listener on @port and the link manager; 0 or -errno. */
int peers_start(unsigned int port);
void peers_stop(void);
/* A kernel event (events thread): LINK_DOWN, ROLE_CHANGED. */
void peers_event(const struct cairn_event_desc *ev);
/* After a reload: refused links are tried again. */
void peers_reload(void);

/* One of cairnd's own events: log is the caller's; runs its hooks. */
void cairnd_event(const char *pool, const char *volume, const char *name,
		  const char *reason);

/*
 * The heartbeat (ha.c): a node's quorum and failover, or the witness
 * (@witness, its flags kept in @state_path, NULL for the default).
 */
int ha_start(bool witness, const char *state_path);
void ha_reload(void);
void ha_stop(void);

#endif /* CAIRND_H */
