# SPDX-License-Identifier: ISC
# capture_udp.sh - the UDP half of the Wireshark lab (scripts/capture.sh --udp).
# Sourced by capture.sh once its options, prerequisites, certificates and
# helpers (start_capture, stop_capture, stop, open_log, tshark_to, ...) are
# set; ends the script. The tutorials' UDP example runs twice on loopback:
# plain UDP, then DTLS 1.2 (udp-server --dtls, udp-client --dtls with a key
# log in SSLKEYLOGFILE); dumpcap records each; the report shows what an
# eavesdropper reads in each, and the DTLS capture decrypted with the key log.
# Writes udp-plain.pcapng, dtls.pcapng, dtls-keys.log, dtls-decrypted.pcapng.
# shellcheck shell=bash

UDP_SERVER=$BUILD/examples/udp-server
UDP_CLIENT=$BUILD/examples/udp-client

# start_udp_server NAME LOG PORT ARGS...: sets server_pid, server_port, server_log.
start_udp_server() {
    local name=$1 log=$2 port=$3
    shift 3
    open_log "$log"
    server_log=/proc/$$/fd/$log_fd
    "$UDP_SERVER" --host 127.0.0.1 --port "$port" "$@" </dev/null >&"$log_fd" 2>&1 &
    server_pid=$!
    pid_what[$server_pid]="udp-server ($name)"
    await_listening "udp-server ($name)" "$port" "$log"
}

# udp_converse NAME PORT ARGS...: udp-client sends the three lines, each after
# the answer to the one before, then "close"; the server then ends by itself.
udp_converse() {
    local name=$1 port=$2 pid end rc
    shift 2
    printf '%s\n' "${lines[@]}" >"$work/$name.in"
    "$UDP_CLIENT" --host 127.0.0.1 --port "$port" "$@" <"$work/$name.in" >"$work/$name.out" 2>"$work/$name.err" &
    pid=$!
    pid_what[$pid]="udp-client ($name)"
    end=$((SECONDS + 4 * REPLY_TIMEOUT))
    while pid_running "$pid" && ((SECONDS < end)); do
        sleep 0.02
    done
    stop "$pid" TERM
    rc=$?
    if ((rc != 0)) || [[ $(grep -c '^received: accepted$' "$work/$name.out") != 3 ]] ||
        ! grep -q '^received: closed$' "$work/$name.out"; then
        die 1 "udp-client ($name) failed (status $rc): $(grep -v -e '^WARNING' -e '^DTLS with' -e '^[[:space:]]*$' "$work/$name.err" | tail -n 1)"
    fi
}

# udp_server_done PID NAME: the server ends after "closed"; wait for it.
udp_server_done() {
    local pid=$1 end
    end=$((SECONDS + REPLY_TIMEOUT))
    while pid_running "$pid" && ((SECONDS < end)); do
        sleep 0.02
    done
    stop "$pid" TERM || die 1 "udp-server ($2) did not end cleanly after the conversation."
}

plain_base=${base_port:-0}
dtls_base=0
[[ -n $base_port ]] && dtls_base=$((base_port + 1))
[[ -n $tls_port_wanted ]] && dtls_base=$tls_port_wanted
udp_filter='udp && !(frame contains "tlschat-capture-end-")'

start_udp_server plain "$work/udp-server-plain.log" "$plain_base"
plain_pid=$server_pid
plain_port=$server_port
note "plain UDP run: udp-server on 127.0.0.1:$plain_port, capturing"
start_capture "$plain_port" "$work/udp-plain.raw.pcapng"
udp_converse plain "$plain_port"
udp_server_done "$plain_pid" plain
stop_capture "$plain_port" "$work/udp-plain.raw.pcapng" "$work/udp-plain.pcapng" "$udp_filter"

start_udp_server DTLS "$work/udp-server-dtls.log" "$dtls_base" --dtls \
    --cert "$certs/server.crt" --key "$certs/server.key"
dtls_pid=$server_pid
dtls_port=$server_port
note "DTLS run: udp-server --dtls on 127.0.0.1:$dtls_port, capturing"
start_capture "$dtls_port" "$work/dtls.raw.pcapng"
# The key log of the client's DTLS session: the examples write one where
# SSLKEYLOGFILE says (a new file of its own, mode 600).
SSLKEYLOGFILE=$work/dtls-keys.log udp_converse dtls "$dtls_port" --dtls --ca "$certs/ca.crt" --servername localhost
udp_server_done "$dtls_pid" DTLS
stop_capture "$dtls_port" "$work/dtls.raw.pcapng" "$work/dtls.pcapng" "$udp_filter"

[[ -s $work/dtls-keys.log ]] || die 1 "udp-client wrote no keys into its key log."
"$EDITCAP" --inject-secrets "tls,$work/dtls-keys.log" "$work/dtls.pcapng" "$work/dtls-decrypted.pcapng" \
    >"$work/editcap.err" 2>&1 || die 1 "editcap could not embed the key log: $(head -n 1 "$work/editcap.err")"

# ---------------------------------------------------------------------------
# What the eavesdropper sees

# udp_tshark OUT ARGS...: tshark with no key log of the user's, no name
# lookups; its output into OUT.
udp_tshark() {
    local out=$1
    shift
    "$TSHARK" -n -o tls.keylog_file: "$@" >"$out" 2>"$work/tshark.err" ||
        die 1 "tshark failed: $(grep -v '^Running as user' "$work/tshark.err" | head -n 1)"
}

udp_tshark "$work/udp-plain.tsv" -r "$work/udp-plain.pcapng" -Y 'udp.length > 8' -T fields -E separator=/t \
    -e frame.time_relative -e udp.srcport -e udp.dstport -e udp.length -e udp.payload
udp_tshark "$work/dtls.tsv" -r "$work/dtls.pcapng" -d "udp.port==$dtls_port,dtls" -Y dtls -T fields \
    -E separator=/t -E occurrence=a -E aggregator=, \
    -e frame.time_relative -e udp.srcport -e udp.dstport -e dtls.record.content_type -e dtls.record.length \
    -e dtls.handshake.type
udp_tshark "$work/dtls-decrypted.tsv" -r "$work/dtls-decrypted.pcapng" -d "udp.port==$dtls_port,dtls" -Y data \
    -T fields -E separator=/t -e frame.time_relative -e udp.srcport -e udp.dstport -e data.data

header() {
    say
    say "$1"
    printf '%s\n' "$1" | sed 's/./-/g'
}

# who PORT-SRC PORT-DST SERVER-PORT: "client -> server" or the other way.
direction() { [[ $1 == "$3" ]] && printf 'server -> client' || printf 'client -> server'; }

# Hex to text, as read off the wire: printable bytes, \n for a newline.
hex_text() {
    local text
    text=$(printf '%b' "$(sed 's/[0-9a-fA-F][0-9a-fA-F]/\\x&/g' <<<"$1")"; printf x)
    text=${text%x}
    printf '%s' "${text//$'\n'/\\n}"
}

say "tlschat Wireshark lab, UDP: the tutorials' UDP example, secret message \"$message\""
say "  plain UDP: udp-server on 127.0.0.1:$plain_port -> $show_dir/udp-plain.pcapng"
say "  DTLS 1.2:  udp-server --dtls on 127.0.0.1:$dtls_port -> $show_dir/dtls.pcapng"
say "             its key log: $show_dir/dtls-keys.log; keys embedded: $show_dir/dtls-decrypted.pcapng"
say "  conversation: the client sends \"hi\", the secret, a 100-character line, \"close\"; the server"
say "  answers \"accepted\" to each and \"closed\" to close: one datagram each, no connection"

header "1. Plain UDP (udp-plain.pcapng): the eavesdropper reads every datagram"
say "  time (s)  from -> to       bytes  payload, as read off the wire"
while IFS=$'\t' read -r t sp dp len hex; do
    printf '  %8.4f  %-16s %5d  %s\n' "$t" "$(direction "$sp" "$dp" "$plain_port")" "$((len - 8))" "$(hex_text "$hex")"
done <"$work/udp-plain.tsv"

# DTLS handshake types by number (RFC 6347): 3 is the cookie.
hs_name() {
    case $1 in
        1) printf 'ClientHello' ;; 2) printf 'ServerHello' ;; 3) printf 'HelloVerifyRequest (the cookie)' ;;
        11) printf 'Certificate' ;; 12) printf 'ServerKeyExchange' ;; 13) printf 'CertificateRequest' ;;
        14) printf 'ServerHelloDone' ;; 16) printf 'ClientKeyExchange' ;; 20) printf 'Finished' ;;
        *) printf 'handshake %s' "$1" ;;
    esac
}
ct_name() {
    case $1 in
        20) printf 'change_cipher_spec' ;; 21) printf 'alert' ;; 22) printf 'handshake' ;;
        23) printf 'application_data' ;; *) printf 'type %s' "$1" ;;
    esac
}

header "2. DTLS run (dtls.pcapng): record types and sizes only"
say "  time (s)  from -> to       DTLS record type         bytes"
while IFS=$'\t' read -r t sp dp types lens hss; do
    IFS=, read -r -a ta <<<"$types"
    IFS=, read -r -a la <<<"$lens"
    IFS=, read -r -a ha <<<"$hss"
    h=0
    for i in "${!ta[@]}"; do
        note_text=
        if [[ ${ta[$i]} == 22 && $h -lt ${#ha[@]} ]]; then
            note_text="  $(hs_name "${ha[$h]}")"
            h=$((h + 1))
        elif [[ ${ta[$i]} == 22 ]]; then
            note_text="  encrypted (Finished)"
        elif [[ ${ta[$i]} == 23 || ${ta[$i]} == 21 ]]; then
            note_text="  encrypted"
        fi
        printf '  %8.4f  %-16s %-24s %5s%s\n' "$t" "$(direction "$sp" "$dp" "$dtls_port")" \
            "$(ct_name "${ta[$i]}") (${ta[$i]})" "${la[$i]}" "$note_text"
    done
done <"$work/dtls.tsv"

header "3. What DTLS hides, and what it does not"
hvr=$(awk -F '\t' -v p="$dtls_port" '$2 == p && $6 ~ /(^|,)3(,|$)/ { split($5, l, ","); print l[1]; exit }' "$work/dtls.tsv")
hello=$(awk -F '\t' '$6 ~ /(^|,)1(,|$)/ { split($5, l, ","); print l[1]; exit }' "$work/dtls.tsv")
if grep -aqF -- "$message" "$work/dtls.pcapng"; then
    die 1 "the secret message is readable in dtls.pcapng: DTLS did not encrypt it."
fi
in_plain="nowhere"
grep -aqF -- "$message" "$work/udp-plain.pcapng" && in_plain="in clear"
say "  - the messages: only application_data records of a size travel; the secret is nowhere"
say "    in dtls.pcapng, while udp-plain.pcapng has it $in_plain"
say "  - the cookie: the server answered the first ClientHello ($hello bytes) with a"
say "    HelloVerifyRequest of ${hvr:-?} bytes and sent its certificate only when the client came back"
say "    with the cookie, proving it receives at its address: a forged source address gets no"
say "    more than it sent, so the server cannot be used to flood someone else"
say "  - message lengths: each record is the message plus a fixed overhead (DTLS 1.2 has no padding)"
say "  - who talks to whom, when, and the server name (SNI) in the ClientHello, as for TLS"

header "4. The DTLS run decrypted with its key log (dtls-decrypted.pcapng)"
say "  time (s)  from -> to       decrypted payload"
while IFS=$'\t' read -r t sp dp hex; do
    printf '  %8.4f  %-16s %s\n' "$t" "$(direction "$sp" "$dp" "$dtls_port")" "$(hex_text "$hex")"
done <"$work/dtls-decrypted.tsv"

q_dir=$(printf '%q' "$show_dir")
header "5. Look for yourself"
cat <<EOF
  Plain UDP: every datagram's payload, as text:
    tshark -r $q_dir/udp-plain.pcapng -Y data -T fields -e udp.srcport -e data.text -o data.show_as_text:TRUE
  DTLS: the port is not DTLS's usual one, so Decode As: -d udp.port==$dtls_port,dtls (Wireshark:
  Analyze > Decode As..., "UDP port", $dtls_port, "DTLS"):
    tshark -r $q_dir/dtls.pcapng -d udp.port==$dtls_port,dtls -T fields -e dtls.record.content_type -e dtls.record.length -e dtls.handshake.type
  Decrypted with the key log (DTLS reads the TLS key log setting):
    tshark -r $q_dir/dtls.pcapng -d udp.port==$dtls_port,dtls -o tls.keylog_file:$q_dir/dtls-keys.log -Y data -T fields -e data.data
  The copy with the keys embedded needs only the Decode As:
    tshark -r $q_dir/dtls-decrypted.pcapng -d udp.port==$dtls_port,dtls -Y data -T fields -e data.data
EOF

# Files into place, as for the TCP lab: finished in the work directory, then moved.
owner=
if ((EUID == 0)) && [[ -n ${SUDO_UID:-} && -n ${SUDO_GID:-} ]]; then
    owner=$SUDO_UID:$SUDO_GID
fi
made=(udp-plain.pcapng dtls.pcapng dtls-keys.log dtls-decrypted.pcapng)
chmod 600 -- "$work/dtls-keys.log" "$work/dtls-decrypted.pcapng" || die 1 "cannot make the key log private."
if [[ -n $owner ]]; then
    chown -h -- "$owner" "${made[@]/#/$work/}" || die 1 "cannot hand the captures to user $SUDO_UID."
    ((made_dir)) && chown -h -- "$owner" "$dir"
fi
for f in "${made[@]}"; do
    mv -fT -- "$work/$f" "$dir/$f" || die 1 "cannot move $f into '$dir': check its permissions."
done

cat <<EOF

!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!! WARNING: $show_dir/dtls-keys.log holds this DTLS session's keys, and
!! $show_dir/dtls-decrypted.pcapng carries a copy of them: anyone who has
!! either file reads every message of the DTLS run. Delete both when done:
!!   rm $q_dir/dtls-keys.log $q_dir/dtls-decrypted.pcapng
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
EOF
[[ -t 1 ]] || note "WARNING: $show_dir/dtls-keys.log and $show_dir/dtls-decrypted.pcapng decrypt the DTLS run: delete them when done."
success=1
exit 0
