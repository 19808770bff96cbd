-- SPDX-License-Identifier: ISC
-- tlschat.lua - a Wireshark dissector for the tlschat chat protocol.
--
-- The protocol is lines of UTF-8 text ending in "\n" (../README.md, the man
-- pages' PROTOCOL section). Each line becomes a "tlschat" item with fields:
--   tlschat.kind       chat, join, private, error, command, closed or other
--   tlschat.nick       who said it, or whom a join/leave/rename line is about
--   tlschat.text       what was said (the rest of the line)
--   tlschat.line       the whole line as it crossed the wire
--   tlschat.direction  "client -> server" or "server -> client"
--
-- Server lines: "<nick> text" (chat), "*private* <nick> text" (private),
-- "* ..." (join: joins, leaves, renames, the welcome and other notices),
-- "! ..." (error), "closed" (closed). Client lines: "/..." and "close" are
-- commands; anything else is chat text. A client's lines carry no nick on
-- the wire: the dissector fills in the nick this connection has, learnt from
-- the server's "* welcome, NICK: ..." and "* NICK is now NEW" on the same
-- connection, and marks it as generated ([nick] in Wireshark); it is empty
-- until then. So tlschat.nick == "alice" selects the lines alice sent and the
-- copies the server relayed to others.
--
-- Where it applies:
--   plaintext: TCP port 8443 (tlschatd's default) and the ports in the
--     preference "tlschat.tcp_ports"; any other with Decode As (tshark:
--     -d tcp.port==PORT,tlschat). TLS seen on one of these ports is handed
--     to the TLS dissector, so port 8443 works for both.
--   TLS: the application protocol (ALPN) tlschat/1, and TLS port 8443: once
--     TLS is decrypted (a key log), its records are read as tlschat.
--
-- Load it with: wireshark -X lua_script:scripts/tlschat.lua (or tshark),
-- or install it into a plugin folder (make install-dissector).

local tlschat = Proto("tlschat", "tlschat chat protocol")

local f_kind = ProtoField.string("tlschat.kind", "Kind")
local f_nick = ProtoField.string("tlschat.nick", "Nick")
local f_text = ProtoField.string("tlschat.text", "Text")
local f_line = ProtoField.string("tlschat.line", "Line")
local f_dir = ProtoField.string("tlschat.direction", "Direction")
tlschat.fields = { f_kind, f_nick, f_text, f_line, f_dir }

local DEFAULT_PORT = 8443
tlschat.prefs.tcp_ports = Pref.range("Plaintext TCP ports", tostring(DEFAULT_PORT),
    "TCP ports on which tlschatd --plain runs (the server's port)", 65535)

local tcp_stream = Field.new("tcp.stream")
local tls_handle = Dissector.get("tls")

-- Per TCP stream: the server's port, and the client's nick as it changed
-- (frame number -> nick), so that a second pass (Wireshark redraws) gives
-- each frame the nick it had then.
local streams = {}

function tlschat.init()
    streams = {}
end

local function stream_state(pinfo)
    local f = tcp_stream()
    local key = f and f.value or -1
    local s = streams[key]
    if not s then
        s = { server_port = nil, changes = {} }
        streams[key] = s
    end
    return s
end

local function nick_at(s, frame)
    local best, nick = -1, ""
    for f, n in pairs(s.changes) do
        if f <= frame and f > best then
            best, nick = f, n
        end
    end
    return nick
end

local function in_range(range, port)
    for _, r in ipairs(range or {}) do
        if type(r) == "table" and port >= r[1] and port <= r[2] then
            return true
        elseif type(r) == "number" and port == r then
            return true
        end
    end
    return false
end

-- Which end is the server: the port a port table matched us on (the Decode
-- As or preference port), else the one learnt for this stream, else the
-- port that is a listed server port, else the lower port.
local function from_server(pinfo, s)
    local src, dst = pinfo.src_port, pinfo.dst_port
    if not s.server_port then
        local m = pinfo.match_uint
        if m == src or m == dst then
            s.server_port = m
        elseif src == DEFAULT_PORT or dst == DEFAULT_PORT then
            s.server_port = DEFAULT_PORT
        elseif src < dst then
            s.server_port = src
        else
            s.server_port = dst
        end
    end
    return src == s.server_port
end

-- kind, nick, text of one line.
local function parse_server_line(line)
    local nick, text = line:match("^%*private%* <([^>]*)> (.*)$")
    if nick then
        return "private", nick, text
    end
    nick, text = line:match("^<([^>]*)> (.*)$")
    if nick then
        return "chat", nick, text
    end
    text = line:match("^%* (.*)$")
    if text then
        nick = text:match("^welcome, ([^:%s]+)") or text:match("^(%S+) joined$") or
            text:match("^(%S+) left") or text:match("^(%S+) is now %S+$") or ""
        return "join", nick, text
    end
    text = line:match("^! (.*)$")
    if text then
        return "error", "", text
    end
    if line == "closed" then
        return "closed", "", line
    end
    return "other", "", line
end

local function parse_client_line(line)
    if line:sub(1, 1) == "/" or line:lower() == "close" then
        return "command", line
    end
    return "chat", line
end

-- Learn the client's nick from what the server tells this connection.
local function learn_nick(pinfo, s, line)
    if pinfo.visited then
        return
    end
    local nick = line:match("^%* welcome, ([^:%s]+)")
    if not nick then
        local old, new = line:match("^%* (%S+) is now (%S+)$")
        if old and old == nick_at(s, pinfo.number) then
            nick = new
        end
    end
    if nick then
        s.changes[pinfo.number] = nick
    end
end

local function add_line(tree, pinfo, s, buf, offset, len, server)
    local range = buf(offset, len)
    local line = range:string(ENC_UTF_8)
    local shown = line:gsub("\n$", ""):gsub("\r$", "")
    local item = tree:add(tlschat, range)
    local kind, nick, text, generated = nil, "", nil, false
    if server then
        kind, nick, text = parse_server_line(shown)
        learn_nick(pinfo, s, shown)
    else
        kind, text = parse_client_line(shown)
        nick = nick_at(s, pinfo.number)
        generated = true
    end
    item:add(f_dir, server and "server -> client" or "client -> server"):set_generated()
    item:add(f_kind, kind):set_generated()
    local ni = item:add(f_nick, nick)
    if generated then
        ni:set_generated()
    end
    item:add(f_text, text):set_generated()
    item:add(f_line, range, shown)
    item:append_text(string.format(", %s%s: %s", kind, nick ~= "" and (" <" .. nick .. ">") or "", text))
    return kind, nick, text
end

local in_tls = false

local function looks_like_tls(buf)
    if buf:len() < 3 then
        return false
    end
    local t, major = buf(0, 1):uint(), buf(1, 1):uint()
    return t >= 20 and t <= 23 and major == 3
end

function tlschat.dissector(buf, pinfo, tree)
    local len = buf:len()
    if len == 0 then
        return 0
    end
    -- A port that carries TLS (8443 serves both): TLS's, once (the text
    -- inside TLS, handed back to us, never starts like a record: tlschat
    -- strips control characters).
    if looks_like_tls(buf) and tls_handle and not in_tls then
        in_tls = true
        local ok, n = pcall(function() return tls_handle:call(buf, pinfo, tree) end)
        in_tls = false
        if ok then
            return n
        end
        return 0
    end
    local s = stream_state(pinfo)
    local server = from_server(pinfo, s)
    local offset, summary, count = 0, {}, 0
    while offset < len do
        local nl = nil
        for i = offset, len - 1 do
            if buf(i, 1):uint() == 10 then
                nl = i
                break
            end
        end
        if not nl then
            -- The rest of a line comes in a later segment or record.
            pinfo.desegment_offset = offset
            pinfo.desegment_len = DESEGMENT_ONE_MORE_SEGMENT
            break
        end
        local kind, nick, text = add_line(tree, pinfo, s, buf, offset, nl - offset + 1, server)
        count = count + 1
        if count <= 3 then
            summary[#summary + 1] = nick ~= "" and string.format("<%s> %s", nick, text) or text
        end
        offset = nl + 1
    end
    if count > 0 then
        pinfo.cols.protocol = "tlschat"
        local info = (server and "S: " or "C: ") .. table.concat(summary, " | ")
        if count > 3 then
            info = info .. string.format(" (+%d lines)", count - 3)
        end
        pinfo.cols.info = info
    end
    return len
end

local tcp_table = DissectorTable.get("tcp.port")
local registered = nil

-- The plaintext ports of the preference: registered anew when it changes.
local function register_ports()
    if registered then
        tcp_table:remove(registered, tlschat)
    end
    registered = tlschat.prefs.tcp_ports
    tcp_table:add(registered, tlschat)
end

function tlschat.prefs_changed()
    register_ports()
end

-- Any other TCP port: a conservative guess, so that a capture of a server on
-- a port of its own reads as tlschat without Decode As. A segment counts
-- only if it is whole lines of text and its first line has a form only
-- tlschat uses (the welcome, a rename, a relayed or private line, a client's
-- /nick or /msg); the rest of its TCP connection then follows (in Wireshark,
-- or tshark -2, the lines before that segment too).
-- Each with the side that sends it, which tells which port is the server's.
local SIGNATURES = {
    { "^%* welcome, [^:%s]+: %d+ online", true }, { "^%* %S+ is now %S+\n", true },
    { "^%* %S+ joined\n", true }, { "^%*private%* <[^>]+> ", true }, { "^<[^>%s]+> [^\n]*\n", true },
    { "^/nick %S+\n", false }, { "^/msg %S+ ", false },
}

local function heuristic(buf, pinfo, tree)
    local len = buf:len()
    if len < 4 or len > 4096 or looks_like_tls(buf) or buf(len - 1, 1):uint() ~= 10 then
        return false
    end
    local text = buf:raw()
    if text:find("[%z\1-\8\11\12\14-\31\127]") then
        return false
    end
    for _, sig in ipairs(SIGNATURES) do
        if text:find(sig[1]) then
            local st = stream_state(pinfo)
            if not st.server_port then
                st.server_port = sig[2] and pinfo.src_port or pinfo.dst_port
            end
            pinfo.conversation = tlschat
            tlschat.dissector(buf, pinfo, tree)
            return true
        end
    end
    return false
end

register_ports()
tcp_table:add_for_decode_as(tlschat)
tlschat:register_heuristic("tcp", heuristic)
DissectorTable.get("tls.alpn"):add("tlschat/1", tlschat)
DissectorTable.get("tls.port"):add(DEFAULT_PORT, tlschat)
