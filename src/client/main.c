/* SPDX-License-Identifier: ISC */
/* tlschat: the chat client. */
#include "client.h"
#include "options.h"
#include "trust.h"

int main(int argc, char **argv)
{
    struct client_options opt;
    int rc = client_options_parse(&opt, argc, argv);
    if (rc == 1)
        return 0;
    if (rc == 2)
        return 2;
    if (client_options_locate(&opt) < 0)
        return 1;
    if (opt.show_cert)
        return trust_show_cert(&opt);
    if (opt.forget)
        return trust_forget(&opt);
    return client_run(&opt);
}
