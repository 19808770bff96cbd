# SPDX-License-Identifier: ISC
# tlschat: a TLS chat server and client in C on OpenSSL.
# make | make run | make test | make asan | make certs | make bench | make install
# make lint | make fuzz

CC         ?= cc
PKG_CONFIG ?= pkg-config
PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
UNITDIR    ?= $(PREFIX)/lib/systemd/system
# The Wireshark dissector (scripts/tlschat.lua). PREFIX=~/.local makes this
# Wireshark's personal Lua plugin folder, which it loads by itself; for all
# users: WIRESHARK_PLUGINDIR=/usr/lib/x86_64-linux-gnu/wireshark/plugins
# (tshark -G folders names both).
WIRESHARK_PLUGINDIR ?= $(PREFIX)/lib/wireshark/plugins
BUILD      ?= build
CFLAGS     ?= -O2 -g
LDFLAGS    ?=
PORT       ?= 8443
LISTEN     ?= localhost

OPENSSL_CFLAGS := $(shell $(PKG_CONFIG) --cflags openssl 2>/dev/null)
OPENSSL_LIBS   := $(shell $(PKG_CONFIG) --libs openssl 2>/dev/null || echo -lssl -lcrypto)
CMOCKA_LIBS    := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)
# tlschat's terminal interface (src/client/tui.c) only: ncursesw (MIT-style licence).
NCURSES_CFLAGS := $(shell $(PKG_CONFIG) --cflags ncursesw 2>/dev/null)
NCURSES_LIBS   := $(shell $(PKG_CONFIG) --libs ncursesw 2>/dev/null || echo -lncursesw -ltinfo)

WARN     := -std=c11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes
ALL_CFLAGS = $(WARN) -Iinclude $(OPENSSL_CFLAGS) $(DEFS) $(CFLAGS) -MMD -MP
LIBS       = $(OPENSSL_LIBS)

LIB_SRC    := $(wildcard src/lib/*.c)
LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB        := $(BUILD)/libtlschat.a

SERVER_SRC := $(wildcard src/server/*.c)
CLIENT_SRC := $(wildcard src/client/*.c)
BENCH_SRC  := $(wildcard src/bench/*.c)
EXAMPLES   := $(patsubst src/examples/%.c,$(BUILD)/examples/%,$(wildcard src/examples/*.c))
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNITS      := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
# The server's parts but main: unit tests link them (chat.c is pure logic).
SERVER_PARTS := $(filter-out $(BUILD)/obj/src/server/main.o,$(SERVER_SRC:%.c=$(BUILD)/obj/%.o))
# The client's pure logic (no terminal, no sockets), for the unit tests too.
CLIENT_PURE  := $(addprefix $(BUILD)/obj/src/client/,nick.o tui_input.o tui_room.o tui_wrap.o)

PROGRAMS   := $(BUILD)/tlschatd $(BUILD)/tlschat
ifneq ($(BENCH_SRC),)
PROGRAMS   += $(BUILD)/tlschat-bench
endif

.PHONY: all run test asan certs bench fuzz fuzz-build install uninstall clean lint

# Keep every object file: none of them is a throw-away intermediate.
.SECONDARY:

all: $(PROGRAMS) $(EXAMPLES) $(UNITS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# Unit tests reach into the server's pure parts (chat, outq) and the library's
# internal headers.
$(BUILD)/obj/tests/%.o: ALL_CFLAGS += -Isrc/server -Isrc/lib -Isrc/client
$(BUILD)/obj/src/client/tui.o $(BUILD)/obj/src/client/tui_signals.o: ALL_CFLAGS += $(NCURSES_CFLAGS)

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BUILD)/tlschatd: $(SERVER_SRC:%.c=$(BUILD)/obj/%.o) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tlschat: $(CLIENT_SRC:%.c=$(BUILD)/obj/%.o) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) $(NCURSES_LIBS)

$(BUILD)/tlschat-bench: $(BENCH_SRC:%.c=$(BUILD)/obj/%.o) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/examples/%: $(BUILD)/obj/src/examples/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(SERVER_PARTS) $(CLIENT_PURE) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) $(CMOCKA_LIBS)

certs/ca.crt certs/server.crt:
	scripts/gen-certs.sh --dir certs

certs: certs/server.crt

# Build, make certificates if there are none, start the server (LISTEN, PORT).
run: all certs
	$(BUILD)/tlschatd --listen $(LISTEN) --port $(PORT)

test: all
	BUILD=$(BUILD) tests/run.sh

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer.
asan:
	$(MAKE) --no-print-directory BUILD=build/asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" test

# Coverage-guided fuzzing (clang's libFuzzer) of what a client can send: line
# framing + chat room, and text sanitizing. Each tests/fuzz/fuzz_NAME.c is a
# target, linked with what the unit tests link (the library and the server's
# parts, from the lists above) built for fuzzing; make fuzz runs each for
# FUZZ_SECONDS on its corpus ($(BUILD)/fuzz/corpus-NAME); make fuzz-build only builds.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   := -std=c11 -g -O1 -fsanitize=address,undefined -Iinclude -Isrc/server $(OPENSSL_CFLAGS)
FUZZERS      := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_OBJ     := $(patsubst $(BUILD)/obj/%,$(BUILD)/fuzz/obj/%,$(LIB_OBJ) $(SERVER_PARTS))

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(BUILD)/fuzz/libtlschat.a: $(FUZZ_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(BUILD)/fuzz/libtlschat.a
	@mkdir -p $(BUILD)/fuzz/obj
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -MMD -MP -MF $(BUILD)/fuzz/obj/fuzz_$*.d -MT $@ -o $@ $< $(BUILD)/fuzz/libtlschat.a $(LIBS)

fuzz-build: $(FUZZERS)

fuzz: $(FUZZERS)
	@for f in $(FUZZERS); do \
	  corpus=$(BUILD)/fuzz/corpus-$${f##*/fuzz_}; mkdir -p $$corpus; \
	  echo "== $$f: $(FUZZ_SECONDS) s on $$corpus"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -artifact_prefix=$(BUILD)/fuzz/ $$corpus || exit 1; \
	done

bench: all
	BUILD=$(BUILD) scripts/bench.sh

# Static analysis of all our C: both must stay quiet (.clang-tidy holds the
# checks), and so does make lint: it prints nothing when there is nothing to say.
# clang-tidy's "N warnings generated." counts the warnings it suppressed in
# headers outside the project: that line alone is dropped, nothing else.
lint:
	@cppcheck --quiet --error-exitcode=1 --enable=warning,style,performance,portability \
	  --inline-suppr --suppress=missingIncludeSystem -Iinclude -Isrc/server src tests/unit
	@out=$$(clang-tidy --quiet --warnings-as-errors='*' $(wildcard src/*/*.c) -- \
	  -std=c11 -Iinclude -Isrc/server $(OPENSSL_CFLAGS) -D_GNU_SOURCE 2>&1); rc=$$?; \
	  out=$$(printf '%s\n' "$$out" | grep -Ev '^[0-9]+ warnings? generated\.$$'); \
	  [ -z "$$out" ] || printf '%s\n' "$$out"; \
	  [ $$rc -eq 0 ] || echo "make lint: clang-tidy failed (status $$rc)"; exit $$rc

# The installed programs are built apart, in $(BUILD)/installed, with
# -DTLSCHAT_INSTALLED: their hints name the commands installed beside them
# (tlschat-gen-certs), not the source tree's scripts/gen-certs.sh. The scripts
# become those commands the same way: installed=0 turns into installed=1.
# tlschat-bench is a measuring tool for the source tree and is not installed.
INSTALLED := $(BUILD)/installed

install:
	$(MAKE) --no-print-directory BUILD=$(INSTALLED) DEFS=-DTLSCHAT_INSTALLED $(INSTALLED)/tlschatd $(INSTALLED)/tlschat
	sed 's/^installed=0$$/installed=1/' scripts/gen-certs.sh >$(INSTALLED)/tlschat-gen-certs
	sed 's/^installed=0$$/installed=1/' scripts/show-cert.sh >$(INSTALLED)/tlschat-show-cert
	sed 's|@BINDIR@|$(BINDIR)|g' src/server/tlschatd.service >$(INSTALLED)/tlschatd.service
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(WIRESHARK_PLUGINDIR)
	install -m 0755 $(addprefix $(INSTALLED)/,tlschatd tlschat tlschat-gen-certs tlschat-show-cert) $(DESTDIR)$(BINDIR)/
	install -m 0644 src/server/tlschatd.1 src/client/tlschat.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(INSTALLED)/tlschatd.service $(DESTDIR)$(UNITDIR)/
	install -m 0644 scripts/tlschat.lua $(DESTDIR)$(WIRESHARK_PLUGINDIR)/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,tlschatd tlschat tlschat-gen-certs tlschat-show-cert) \
	  $(DESTDIR)$(MANDIR)/man1/tlschatd.1 $(DESTDIR)$(MANDIR)/man1/tlschat.1 \
	  $(DESTDIR)$(UNITDIR)/tlschatd.service $(DESTDIR)$(WIRESHARK_PLUGINDIR)/tlschat.lua

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj $(BUILD)/fuzz/obj -name '*.d' 2>/dev/null)
