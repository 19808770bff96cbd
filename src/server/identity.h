/* SPDX-License-Identifier: ISC */
/* identity: what the person running tlschatd reads out to those who join: the
 * words of the server's public key, its join address (and, with --qr, the
 * address as a QR code), and a warning when the certificate is near expiry. */
#ifndef TLSCHAT_SERVER_IDENTITY_H
#define TLSCHAT_SERVER_IDENTITY_H

struct server;

/* At start (after listening) and after each SIGHUP reload. */
void identity_announce(struct server *s);

#endif
