/* SPDX-License-Identifier: ISC */
/* tlschatd: the chat server. */
#include "options.h"
#include "server.h"

int main(int argc, char **argv)
{
    struct server_options opt;
    int rc = server_options_parse(&opt, argc, argv);
    if (rc == 1)
        return 0;
    if (rc == 2)
        return 2;
    if (server_options_locate(&opt) < 0)
        return 1;
    return server_run(&opt);
}
