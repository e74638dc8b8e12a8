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

#endif /* CAIRND_H */
