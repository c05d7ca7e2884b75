"""Writing one pre-encoded WebSocket frame to many sockets.

Why this exists: one update goes to thousands of screens. Through plain ASGI every delivery is a coroutine, and
the server frames the same text again for every connection. A server-to-client frame is not masked, so its bytes
are identical for every screen: the hub encodes it once and writes those bytes to each socket, which costs about
as much as the bare socket write. For that the app must know which socket belongs to which page:
``SamenWebSocketProtocol`` (a thin subclass of uvicorn's sans-I/O WebSocket protocol, selected with
``--ws app.live.wire:SamenWebSocketProtocol``) puts a ``Wire`` in the ASGI scope's extensions. Without it
(Starlette's TestClient, another ASGI server) the live layer falls back to ordinary ASGI sends.

The protocol also ends a connection whose peer stopped answering pings with an abort (a TCP reset), not a
polite close: a close frame queued behind data the peer never reads would never be seen, and the buffered
data would stay in memory until the kernel gave up.

Probes: a page that stops reading is caught fast only while updates flow to it (an idle page holds nothing).
So an update written to a page carries a ping in the same system call (``PING_FRAME``, two bytes), at most
every ``PROBE_EVERY`` seconds per page; a page that has not answered within ``PROBE_TIMEOUT`` is aborted by
the hub. Without probes only a full send buffer showed it, after the page's and the kernel's buffers had
filled: about 40 s at 200 votes/s (docs/performance.md). Idle pages keep uvicorn's slower keepalive.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

log = logging.getLogger("samen.live")

EXTENSION = "samen.wire"

# How uvicorn must run the app, in one place (``samen serve``, the Procfile, benchmarks and browser tests):
# compression off (it forbids encode-once), a 64 KiB frame cap, and keepalive pings that find dead peers
# among idle pages. They are not what catches a page that stopped reading while updates flow (the probes below
# do), and each costs a timer, a write and a parsed pong per socket: at 10,000 idle screens every 20 s that
# was 9% of a core on the benchmark machine (docs/performance.md). Every 45 s stays below the idle timeouts
# of common proxies (55-60 s), so an idle page behind one is not cut off.
PING_INTERVAL = 45.0
PING_TIMEOUT = 20.0
# Probes that ride along with updates (see above): one per page per PROBE_EVERY while updates flow, so a page
# that stopped reading is closed at most PROBE_EVERY + PROBE_TIMEOUT after it stopped.
PROBE_EVERY = 5.0
PROBE_TIMEOUT = 10.0
PING_FRAME = b"\x89\x00"  # FIN + ping, unmasked, empty payload: answered by an empty pong
# The kernel's send buffer per socket. Left alone, Linux grows it to megabytes on a fast link, and a page that
# stopped reading would absorb that much (and minutes) before the hub noticed; updates are a few KiB.
SEND_BUFFER = 64 * 1024
UVICORN_OPTIONS: dict[str, object] = {
    "ws": "app.live.wire:SamenWebSocketProtocol",
    "ws_per_message_deflate": False,
    "ws_max_size": 64 * 1024,
    "ws_ping_interval": PING_INTERVAL,
    "ws_ping_timeout": PING_TIMEOUT,
}


def uvicorn_flags() -> list[str]:
    """UVICORN_OPTIONS as command-line flags."""
    flags = []
    for name, value in UVICORN_OPTIONS.items():
        flags += ["--" + name.replace("_", "-"), str(value).lower() if isinstance(value, bool) else str(value)]
    return flags


def encode_text_frame(text: str) -> bytes:
    """A final, unmasked text frame (RFC 6455 section 5.2), as a server sends it."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x81, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, size)
    else:
        header = struct.pack("!BBQ", 0x81, 127, size)
    return header + payload


def reset(transport) -> None:
    """Abort with a TCP reset. A plain close leaves what the peer never read in the kernel, behind a FIN the
    peer never sees (its window is shut): the socket lingers for minutes, holding the memory, and the peer
    believes it is still connected. With SO_LINGER 0 the kernel drops the data and tells the peer at once."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class Wire:
    """The socket of one accepted WebSocket, for writing frames the hub encoded once."""

    __slots__ = ("_protocol",)

    def __init__(self, protocol: WebSocketsSansIOProtocol) -> None:
        self._protocol = protocol

    def is_open(self) -> bool:
        protocol = self._protocol
        return (protocol.handshake_complete and not protocol.close_sent and not protocol.disconnected
                and not protocol.transport.is_closing())

    def buffered(self) -> int:
        """Bytes written but not yet taken by the kernel (the peer is slow or stopped reading)."""
        return self._protocol.transport.get_write_buffer_size()

    def write(self, frame: bytes, now: float = 0.0) -> bool:
        """Write a frame; True if a probe rode along (then ``probe_age`` says when it is overdue)."""
        protocol = self._protocol
        if now and protocol.probe_sent_at is None and now - protocol.last_probe_at >= PROBE_EVERY:
            protocol.probe_sent_at = protocol.last_probe_at = now
            protocol.transport.write(frame + PING_FRAME)
            return True
        protocol.transport.write(frame)
        return False

    def probe_age(self, now: float) -> float | None:
        """Seconds the last probe has gone unanswered, or None once answered."""
        sent = self._protocol.probe_sent_at
        return None if sent is None else now - sent

    def abort(self) -> None:
        """Drop the connection at once, with whatever is still buffered (the page reconnects)."""
        reset(self._protocol.transport)


class SamenWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol, plus a ``Wire`` in the scope and an abort when pings go unanswered."""

    probe_sent_at: float | None = None  # a probe (see Wire.write) not answered yet
    last_probe_at: float = float("-inf")

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # A handshake the websockets library refused before it became a request (a request or header line over
        # its limits, too many headers): the answer (414/431) is prepared, but uvicorn neither sends it nor
        # closes, so the connection would stay open for as long as the client likes (found by bench/frame_flood).
        if not self.handshake_initiated and self.conn.handshake_exc is not None and not self.transport.is_closing():
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.transport.close()

    def handle_connect(self, event) -> None:  #  (a websockets Request)
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:  # None when the handshake was refused before the app was called
            scope["extensions"][EXTENSION] = Wire(self)

    def handle_pong(self, event) -> None:  #  (a websockets Frame)
        if not event.data and self.probe_sent_at is not None:  # our probe's answer (uvicorn's pings carry 4 bytes)
            self.probe_sent_at = None
            return
        super().handle_pong(event)

    def keepalive_timeout(self) -> None:
        log.info("aborting a WebSocket whose peer stopped answering pings")
        self.stop_keepalive()
        reset(self.transport)
