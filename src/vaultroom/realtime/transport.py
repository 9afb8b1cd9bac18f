"""Engine.IO's WebSocket loop without an asyncio task and a timer per packet.

python-engineio (4.15) runs each WebSocket with two loops. The writer waits for
every outgoing packet with ``asyncio.wait_for(queue.get(), ...)``, which on
Python 3.11 wraps the ``get`` in a new task and arms a timer, even when packets
are already queued; the reader wraps every incoming packet's wait in a new task
and a ``wait_for``. On 100 pairs those were a tenth of the event loop's busy time
(py-spy, 2026-12-03), and they are paid per packet whatever the load, so they
weigh most at low rates, where no wake-up serves several packets.

:class:`LeanSocket` keeps engine.io's behaviour (the same packets, the same close
paths, a WebSocket idle in either direction for a ping cycle closed) with no
task and no timer per packet: a packet already queued is taken without waiting,
and one watchdog timer per socket, re-armed once per ping cycle, does what the
two per-packet timeouts did (``asyncio.timeout`` per packet, tried first, still
cost 6 % of the server's time in cProfile at 100 pairs). It is installed per
server (``use_lean_websockets``): the WebSocket driver of that server turns each
engine.io socket into a ``LeanSocket`` as its WebSocket starts; long-polling is
untouched. The handler below is engine.io's own ``_websocket_handler`` (MIT
licence) with only those waits changed. ``test_lean_websocket.py`` checks the
watchdog; ``tests/integration/realtime`` runs the whole protocol through it.

The same server also gives its sockets a :class:`PacketQueue` instead of an
``asyncio.Queue``: about 3 KB less per connection (40.9 KB each at 15,000, from
43 to 45; docs/performance.md).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import engineio
from engineio import exceptions, packet
from engineio.async_drivers import asgi
from engineio.async_socket import AsyncSocket

# The scope extension under which VaultRoom's WebSocket protocol puts itself.
PROTOCOL_EXTENSION = "vaultroom.websocket"


class PacketQueue:
    """What engine.io uses of an ``asyncio.Queue`` for a socket's outgoing packets,
    in a fraction of its memory.

    An ``asyncio.Queue`` is four deques and an ``Event`` (about 3 KB, tracemalloc)
    whether or not anything waits; this one is a list and, only while someone waits,
    a future. Unbounded, like the queue engine.io creates; ``join`` and ``task_done``
    as in asyncio. Items are taken from a moving head (the list is cut when the head
    has passed half of it), so taking each of N queued items costs O(1), not O(N):
    a client decides how many small messages one read of its socket queues.
    """

    __slots__ = ("_getters", "_head", "_items", "_joiners", "_unfinished")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._head = 0  # index of the next item to take
        self._getters: list[asyncio.Future[None]] | None = None
        self._joiners: list[asyncio.Future[None]] | None = None
        self._unfinished = 0

    def empty(self) -> bool:
        return self._head >= len(self._items)

    def qsize(self) -> int:
        return len(self._items) - self._head

    def _take(self) -> Any:
        items, head = self._items, self._head
        item = items[head]
        head += 1
        if head == len(items):
            items.clear()
            head = 0
        elif head >= 64 and 2 * head >= len(items):
            del items[:head]
            head = 0
        else:
            items[head - 1] = None  # not kept alive by the queue
        self._head = head
        return item

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        self._unfinished += 1
        self._wake_next_getter()

    async def put(self, item: Any) -> None:
        self.put_nowait(item)

    def get_nowait(self) -> Any:
        if self.empty():
            raise asyncio.QueueEmpty
        return self._take()

    async def get(self) -> Any:
        while self.empty():
            getter = asyncio.get_running_loop().create_future()
            if self._getters is None:
                self._getters = []
            self._getters.append(getter)
            try:
                await getter
            except BaseException:
                if getter in self._getters:
                    self._getters.remove(getter)
                elif not self.empty():  # woken and cancelled at once: pass the wake-up on
                    self._wake_next_getter()
                raise
        return self._take()

    def _wake_next_getter(self) -> None:
        while self._getters:
            getter = self._getters.pop(0)
            if not getter.done():
                getter.set_result(None)
                return

    def task_done(self) -> None:
        if self._unfinished <= 0:
            raise ValueError("task_done() called too many times")
        self._unfinished -= 1
        if self._unfinished == 0 and self._joiners:
            joiners, self._joiners = self._joiners, None
            for joiner in joiners:
                if not joiner.done():
                    joiner.set_result(None)

    async def join(self) -> None:
        if self._unfinished:
            joiner = asyncio.get_running_loop().create_future()
            if self._joiners is None:
                self._joiners = []
            self._joiners.append(joiner)
            await joiner


class LeanSocket(AsyncSocket):  # type: ignore[misc]  # engineio is untyped
    """An engine.io socket whose WebSocket loops create no task or timer per packet."""

    async def poll(self) -> list[Any]:
        """The queued packets, waiting (up to a ping cycle) only if there are none.

        Long-polling's wait (a socket whose upgrade failed); the WebSocket writer
        uses ``_take_packets`` under the socket's watchdog instead."""
        if self.queue.empty():
            try:
                async with asyncio.timeout(self.server.ping_interval + self.server.ping_timeout):
                    first = await self.queue.get()
            except (TimeoutError, asyncio.CancelledError):
                # As engine.io: the writer ends (and closes the WebSocket).
                raise exceptions.QueueEmpty() from None
        else:
            first = self.queue.get_nowait()
        return self._with_queued(first)

    async def _take_packets(self) -> list[Any]:
        """The queued packets, waiting for one if there are none (no timer: the
        watchdog of ``_websocket_handler`` ends a WebSocket idle for a ping cycle)."""
        queue = self.queue
        return self._with_queued(await queue.get() if queue.empty() else queue.get_nowait())

    def _with_queued(self, first: Any) -> list[Any]:
        """``first`` and every packet queued behind it (``[]``: the end, ``None`` queued)."""
        queue = self.queue
        queue.task_done()
        if first is None:
            return []
        packets = [first]
        while not queue.empty():
            pkt = queue.get_nowait()
            queue.task_done()
            if pkt is None:
                queue.put_nowait(None)  # seen again by the next take: the end
                break
            packets.append(pkt)
        return packets

    # The WebSocket's immediate write (``send_text_now``) while the WebSocket
    # loop runs, else None; and whether its writer task holds packets it has taken
    # and not yet written. Class defaults: engine.io makes the socket, and it
    # becomes a LeanSocket only when its WebSocket starts.
    _direct: Callable[[str], bool] | None = None
    _writer_busy = False
    _last_write = 0.0  # loop time of the last packet written or taken to write

    async def send(self, pkt: Any) -> None:
        """Send a packet to the client (engine.io's ``send`` without its debug log).

        With nothing queued before it, it is written at once from here, which
        spares a wake-up of the socket's writer task per packet; else it is
        queued for the writer, which keeps the order."""
        if await self.check_ping_timeout():
            direct = self._direct
            if direct is not None and not self._writer_busy and self.queue.empty():
                encoded = pkt.encode()
                if isinstance(encoded, str) and direct(encoded):
                    self._last_write = asyncio.get_running_loop().time()
                    return
            self.queue.put_nowait(pkt)

    async def _websocket_handler(self, ws: Any) -> None:
        """Engine.IO's handler for the WebSocket transport (see the module's text)."""
        server = self.server

        async def websocket_wait() -> Any:
            data = await ws.wait()
            if data and len(data) > server.max_http_buffer_size:
                raise ValueError("packet is too large")
            return data

        if self.connected:  # type: ignore[has-type]  # set by engine.io's socket
            # the socket was already connected, so this is an upgrade
            self.upgrading = True  # hold packet sends during the upgrade
            try:
                pkt = await websocket_wait()
            except OSError:  # pragma: no cover
                return
            decoded_pkt = packet.Packet(encoded_packet=pkt)
            if decoded_pkt.packet_type != packet.PING or decoded_pkt.data != "probe":
                self.upgrading = False
                return
            await ws.send(packet.Packet(packet.PONG, data="probe").encode())
            self.queue.put_nowait(packet.Packet(packet.NOOP))  # end poll
            try:
                pkt = await websocket_wait()
            except OSError:  # pragma: no cover
                self.upgrading = False
                return
            decoded_pkt = packet.Packet(encoded_packet=pkt)
            if decoded_pkt.packet_type != packet.UPGRADE:
                self.upgraded = False
                self.upgrading = False
                return
            self.upgraded = True
            self.upgrading = False
        else:
            self.connected = True
            self.upgraded = True

        loop = asyncio.get_running_loop()
        idle_limit = server.ping_interval + server.ping_timeout
        # When a packet was last read (and, in _last_write, last written or taken
        # to be written).
        last_read = self._last_write = loop.time()
        timer: asyncio.TimerHandle | None = None

        def watchdog() -> None:
            # engine.io's timeouts, checked once per ping cycle instead of armed per
            # packet: nothing read, or nothing to write, for a whole ping cycle (the
            # server pings every ping_interval) ends the writer, which closes the
            # WebSocket; the reader then sees it closed.
            nonlocal timer
            oldest = min(last_read, self._last_write)
            if loop.time() - oldest >= idle_limit:
                self.queue.put_nowait(None)
                if self._writer_busy and abort is not None:
                    # The writer waits for a client that stopped reading: the
                    # end of the queue would never reach it. Drop the connection.
                    abort()
            else:
                timer = loop.call_at(oldest + idle_limit, watchdog)

        timer = loop.call_at(loop.time() + idle_limit, watchdog)

        direct: Callable[[str], bool] | None = getattr(ws, "send_text_now", None)
        abort: Callable[[], None] | None = getattr(ws, "abort", None)

        async def writer() -> None:
            try:
                while True:
                    packets = await self._take_packets()
                    if not packets:
                        break  # connection closed
                    self._last_write = loop.time()
                    self._writer_busy = True
                    for pkt in packets:
                        encoded = pkt.encode()
                        if direct is None or not isinstance(encoded, str) or not direct(encoded):
                            await ws.send(encoded)
                    self._writer_busy = False
            except BaseException:  # noqa: S110  # cancelled or a failed send: as engine.io,
                pass  # the writer ends and closes the WebSocket
            self._direct = None
            await ws.close()

        writer_task = asyncio.ensure_future(writer())
        self._direct = direct
        try:
            while True:
                try:
                    p = await websocket_wait()
                except BaseException:  # cancelled, closed, too large: as engine.io
                    break
                if p is None:
                    break  # connection closed by client
                last_read = loop.time()
                try:
                    await self.receive(packet.Packet(encoded_packet=p))
                except exceptions.UnknownPacketError:  # pragma: no cover
                    pass
                except exceptions.SocketIsClosedError:  # pragma: no cover
                    break
                except asyncio.CancelledError:  # pragma: no cover
                    break
                except Exception:  # pragma: no cover
                    server.logger.exception("Unknown receive error")
        finally:
            self._direct = None
            timer.cancel()  # the one armed last (cancelling a fired one does nothing)
            # Whatever ended the reader (a cancellation included), the socket is closed
            # and its disconnect reported, as engine.io's handler does.
            self.queue.put_nowait(None)  # unlock the writer task so it can exit
            with contextlib.suppress(BaseException):
                await writer_task
            await self.close(wait=False, abort=True, reason=server.reason.TRANSPORT_CLOSE)


class _LeanWebSocket(asgi.WebSocket):  # type: ignore[misc]
    """engine.io's ASGI WebSocket that runs the socket as a :class:`LeanSocket`,
    with the immediate write of VaultRoom's WebSocket protocol when the
    connection has it (``realtime/wsprotocol.py``)."""

    send_text_now: Callable[[str], bool] | None = None
    abort: Callable[[], None] | None = None  # drops the connection at once
    # The environ keys kept for the WebSocket's life (None: all); set per server.
    environ_keys: frozenset[str] | None = None

    def __init__(self, handler: Any, server: Any) -> None:
        socket: Any = getattr(handler, "__self__", None)
        if type(socket) is AsyncSocket:
            socket.__class__ = LeanSocket  # same attributes, cheaper loops
            handler = socket._websocket_handler
        super().__init__(handler, server)

    async def __call__(self, environ: dict[str, Any]) -> str:
        """engine.io's (accept, then run the handler), after letting go of what
        only the handshake needed: the request lives as long as the WebSocket."""
        self.asgi_receive = environ["asgi.receive"]
        self.asgi_send = environ["asgi.send"]
        scope = environ.get("asgi.scope") or {}
        protocol = (scope.get("extensions") or {}).get(PROTOCOL_EXTENSION)
        if protocol is not None:
            self.send_text_now = protocol.send_text_now
            self.abort = protocol.abort
        if "headers" in scope:
            scope["headers"] = []  # translated into the environ's HTTP_* keys
        if self.environ_keys is not None:
            # python-socketio keeps this environ for the socket's namespace
            # connects (after this: their packets come over the WebSocket).
            for key in [key for key in environ if key not in self.environ_keys]:
                del environ[key]
        await self.asgi_send({"type": "websocket.accept"})
        await self.handler(self)
        return ""


def use_lean_websockets(
    eio: engineio.AsyncServer, environ_keys: frozenset[str] | None = None
) -> None:
    """Make this engine.io server run its WebSockets with :class:`LeanSocket`, and
    give its sockets a :class:`PacketQueue` (engine.io makes each with ``create_queue``).

    ``environ_keys``: the keys of a WebSocket request's environ that its
    Socket.IO connect handlers read; the others are dropped once the WebSocket
    is accepted (engine.io's own, ``asgi.*``, are kept)."""
    websocket: type[_LeanWebSocket] = _LeanWebSocket
    if environ_keys is not None:
        kept = environ_keys | {"asgi.receive", "asgi.send", "asgi.scope"}
        websocket = type("_LeanWebSocket", (_LeanWebSocket,), {"environ_keys": kept})
    eio._async = {**eio._async, "websocket": websocket}  # this server's own copy
    eio.create_queue = PacketQueue  # this server's sockets only (an instance attribute)
