"""A loopback TCP proxy that can be told to misbehave, put in front of moto or MongoDB in tests.

Modes: ``pass`` (forward), ``down`` (nothing listens: connections are refused), ``blackhole``
(connections are accepted and never answered), ``reset`` (accepted, then reset), ``http_status``
(every HTTP request answered with one status, e.g. 503 SlowDown for throttling), ``drip`` (forwarded
a few bytes at a time, slowly), ``hold_reply`` (MongoDB wire protocol: everything is forwarded, but
the server's reply to chosen commands is held back, see :meth:`FaultProxy.hold_reply`). Every
connection it holds is closed when the mode changes.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from devservers.ports import free_port

S3_SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)


OP_MSG = 2013


@dataclass
class HeldReply:
    """Hold the reply to the next ``times`` commands ``{command: collection, ...}`` for ``seconds``."""

    command: str
    collection: str
    seconds: float
    times: int = 1
    held: int = 0


def _command_of(message: bytes) -> tuple[str, object] | None:
    """(command name, its value) of an OP_MSG request, from its body section; None for anything else."""
    import bson

    if len(message) < 21 or struct.unpack_from("<i", message, 12)[0] != OP_MSG or message[20] != 0:
        return None
    length = struct.unpack_from("<i", message, 21)[0]
    body = bson.decode(message[21 : 21 + length])
    if not body:
        return None
    name = next(iter(body))
    return name, body[name]


def _messages(source: socket.socket) -> Iterator[bytes]:
    """Whole MongoDB wire messages (each starts with its own int32 length) as they arrive."""
    buffer = b""
    while True:
        data = source.recv(65536)
        if not data:
            return
        buffer += data
        while len(buffer) >= 4:
            length = struct.unpack_from("<i", buffer)[0]
            if len(buffer) < length:
                break
            yield buffer[:length]
            buffer = buffer[length:]


class FaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int, port: int | None = None) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = port or free_port()
        self.mode = "pass"
        self.status = 503
        self.status_body = S3_SLOW_DOWN
        self.drip_bytes = 16
        self.drip_delay = 0.05
        self.connections = 0
        self.held_reply: HeldReply | None = None
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopped = False

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        self._listen()
        return self

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept_loop, args=(listener,), daemon=True).start()

    def set_mode(self, mode: str) -> None:
        """Switch behaviour; every connection held so far is dropped, as a real outage would."""
        assert mode in ("pass", "down", "blackhole", "reset", "http_status", "drip", "hold_reply"), mode
        previous, self.mode = self.mode, mode
        self.drop_connections()
        if mode == "down" and self._listener is not None:
            self._close_listener()
        elif previous == "down" and mode != "down":
            self._listen()

    def hold_reply(self, command: str, collection: str, seconds: float, times: int = 1) -> HeldReply:
        """Switch to ``hold_reply``: the server applies the next ``times`` ``command`` on ``collection``
        as usual, but its reply reaches the client only after ``seconds`` (by then the client has
        timed out and closed the connection: an applied-but-unacknowledged write)."""
        self.held_reply = HeldReply(command=command, collection=collection, seconds=seconds, times=times)
        self.set_mode("hold_reply")
        return self.held_reply

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()

    def drop_connections(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def stop(self) -> None:
        self._stopped = True
        self._close_listener()
        self.drop_connections()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._stopped:
            try:
                client, _address = listener.accept()
            except OSError:
                return
            self.connections += 1
            self._track(client)
            threading.Thread(target=self._handle, args=(client, self.mode), daemon=True).start()

    def _handle(self, client: socket.socket, mode: str) -> None:
        try:
            if mode == "blackhole":
                while client.recv(65536):
                    pass
            elif mode == "reset":
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                client.close()
            elif mode == "http_status":
                self._answer_status(client)
            elif mode == "hold_reply":
                self._forward_holding(client)
            else:
                self._forward(client, drip=mode == "drip")
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                client.close()

    def _answer_status(self, client: socket.socket) -> None:
        buffer = b""
        while True:
            data = client.recv(65536)
            if not data:
                return
            buffer += data
            if b"\r\n\r\n" not in buffer:
                continue
            # Answer each request and keep the connection, as S3 does when throttling.
            reason = {500: b"Internal Server Error", 503: b"Slow Down"}.get(self.status, b"Error")
            client.sendall(
                b"HTTP/1.1 %d %s\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n\r\n%s"
                % (self.status, reason, len(self.status_body), self.status_body)
            )
            buffer = b""

    def _forward(self, client: socket.socket, drip: bool) -> None:
        upstream = socket.create_connection(self.upstream, timeout=10)
        upstream.settimeout(None)
        self._track(upstream)

        def pump(source: socket.socket, target: socket.socket, slow: bool) -> None:
            try:
                while True:
                    data = source.recv(self.drip_bytes if slow else 65536)
                    if not data:
                        break
                    target.sendall(data)
                    if slow:
                        time.sleep(self.drip_delay)
            except OSError:
                pass
            finally:
                with contextlib.suppress(OSError):
                    target.shutdown(socket.SHUT_WR)

        back = threading.Thread(target=pump, args=(upstream, client, drip), daemon=True)
        back.start()
        pump(client, upstream, drip)
        back.join()
        upstream.close()

    def _forward_holding(self, client: socket.socket) -> None:
        upstream = socket.create_connection(self.upstream, timeout=10)
        upstream.settimeout(None)
        self._track(upstream)
        held_ids: set[int] = set()

        def requests() -> None:
            try:
                for message in _messages(client):
                    rule = self.held_reply
                    command = _command_of(message)
                    if rule is not None and rule.times > 0 and command == (rule.command, rule.collection):
                        rule.times -= 1
                        held_ids.add(struct.unpack_from("<i", message, 4)[0])
                    upstream.sendall(message)
            except OSError:
                pass
            finally:
                with contextlib.suppress(OSError):
                    upstream.shutdown(socket.SHUT_WR)

        forward = threading.Thread(target=requests, daemon=True)
        forward.start()
        try:
            for message in _messages(upstream):
                if struct.unpack_from("<i", message, 8)[0] in held_ids and self.held_reply is not None:
                    self.held_reply.held += 1
                    time.sleep(self.held_reply.seconds)
                client.sendall(message)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_WR)
        forward.join()
        upstream.close()
