/* SPDX-License-Identifier: ISC */
/* commands: the certificate commands that hints may name, so that every
 * program names them alike, and names the ones that exist where it runs:
 * `make install` builds with -DTLSCHAT_INSTALLED, and the scripts are then the
 * commands tlschat-gen-certs and tlschat-show-cert on PATH. */
#ifndef TLSCHAT_COMMANDS_H
#define TLSCHAT_COMMANDS_H

#ifdef TLSCHAT_INSTALLED
#define GEN_CERTS_COMMAND  "tlschat-gen-certs"
#define MAKE_CERTS_COMMAND "tlschat-gen-certs"
#define SHOW_CERT_COMMAND  "tlschat-show-cert"
#define ADD_NAME_COMMAND   "tlschat-gen-certs --san"
#define RENEW_COMMAND      "tlschat-gen-certs --renew"
#else
#define GEN_CERTS_COMMAND  "scripts/gen-certs.sh"
#define MAKE_CERTS_COMMAND "scripts/gen-certs.sh or 'make certs'"
#define SHOW_CERT_COMMAND  "scripts/show-cert.sh"
#define ADD_NAME_COMMAND   "scripts/gen-certs.sh --san"
#define RENEW_COMMAND      "scripts/gen-certs.sh --renew"
#endif

#endif
