/* SPDX-License-Identifier: ISC */
#ifndef TLSCHAT_VERSION_H
#define TLSCHAT_VERSION_H
#define TLSCHAT_VERSION "0.1.0"
#endif
