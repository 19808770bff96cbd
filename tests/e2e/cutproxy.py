# SPDX-License-Identifier: ISC
"""A cutting proxy for the resume tests: a TCP relay on loopback between
clients and one server that, when told, resets the connections it carries
(both sides, or only the client's, leaving the server a stale one) and refuses
new ones for a while. Threads, bounded: every socket has a deadline, and
close() ends it all."""
import socket
import struct
import threading

from harness import TIMEOUT


def _reset(sock):
    """Close with a TCP reset (SO_LINGER 0), as a dropped Wi-Fi link looks to
    whoever writes next."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # Wakes a relaying thread blocked reading it (sending nothing), so that
        # the close below is the last reference and goes out as a reset.
        sock.shutdown(socket.SHUT_RD)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class CutProxy:
    def __init__(self, server_port, host="127.0.0.1"):
        self.target = (host, server_port)
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((host, 0))
        self.lsock.listen(16)
        self.lsock.settimeout(0.2)
        self.port = self.lsock.getsockname()[1]
        self.lock = threading.Lock()
        self.pairs = []       # [client_sock, server_sock] being relayed
        self.stale = []       # server sides kept open after a client-only cut
        self.refusing = False
        self.accepted = 0     # connections relayed so far
        self.refused = 0
        self.cond = threading.Condition(self.lock)
        self.stopped = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopped:
            try:
                c, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                refusing = self.refusing
            if refusing:
                _reset(c)
                with self.cond:
                    self.refused += 1
                    self.cond.notify_all()
                continue
            try:
                s = socket.create_connection(self.target, timeout=TIMEOUT)
            except OSError:
                _reset(c)
                continue
            pair = [c, s]
            with self.cond:
                self.pairs.append(pair)
                self.accepted += 1
                self.cond.notify_all()
            for a, b in ((c, s), (s, c)):
                threading.Thread(target=self._pump, args=(pair, a, b), daemon=True).start()

    def _pump(self, pair, src, dst):
        src.settimeout(None)
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            try:
                dst.sendall(data)
            except OSError:
                break
        with self.lock:
            if pair in self.pairs:  # the other side ended: end this one too
                self.pairs.remove(pair)
            else:
                return
        for sock in pair:
            _reset(sock)

    def cut(self, client_only=False):
        """Reset every relayed connection. client_only: the server's side stays
        open and silent, as when a phone walks out of Wi-Fi range."""
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for c, s in pairs:
            if client_only:
                self.stale.append(s)  # its relaying thread ends at the server's next line
            else:
                _reset(s)
            _reset(c)
        return len(pairs)

    def refuse(self, on):
        with self.lock:
            self.refusing = on

    def wait_accepted(self, n, timeout=TIMEOUT):
        with self.cond:
            if not self.cond.wait_for(lambda: self.accepted >= n, timeout):
                raise AssertionError(f"the proxy relayed {self.accepted} connections, not {n}, in {timeout}s")

    def wait_refused(self, n, timeout=TIMEOUT):
        with self.cond:
            if not self.cond.wait_for(lambda: self.refused >= n, timeout):
                raise AssertionError(f"the proxy refused {self.refused} connections, not {n}, in {timeout}s")

    def close(self):
        self.stopped = True
        try:
            self.lsock.close()
        except OSError:
            pass
        self.cut()
        for s in self.stale:
            _reset(s)
        self.thread.join(TIMEOUT)
