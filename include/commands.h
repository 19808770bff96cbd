/* commands: the certificate commands that hints may name, so that every
 * program names them alike. */
#ifndef TLSCHAT_COMMANDS_H
#define TLSCHAT_COMMANDS_H

#define MAKE_CERTS_COMMAND "scripts/gen-certs.sh or 'make certs'"
#define SHOW_CERT_COMMAND  "scripts/show-cert.sh"
#define ADD_NAME_COMMAND   "gen-certs.sh --san"

#endif
