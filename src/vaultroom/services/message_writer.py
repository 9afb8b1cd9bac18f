"""The message writer: group commit of concurrent sends, gap-free seqs, idempotent retries.

Every send of this node goes through one writer task. Sends that arrive while a
transaction is running wait for the next one, so under load many messages share
one commit (group commit) instead of queueing for a transaction each. Inside the
transaction each conversation's row is locked, its next seqs are taken in order,
the messages are inserted; after the commit the senders are answered and the
``message:new`` events go to fan-out, in seq order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vaultroom.db import Database, database_unavailable
from vaultroom.fanout import Delivery, Fanout
from vaultroom.models import Message
from vaultroom.models.base import utcnow
from vaultroom.schemas.events import MessageEvent
from vaultroom.schemas.messages import MessageOut
from vaultroom.services.errors import Conflict, NotFound, ServiceError, Unavailable
from vaultroom.store import conversations as conversations_store
from vaultroom.store import messages as messages_store
from vaultroom.store import sqlite_batch

logger = logging.getLogger(__name__)

# A unique violation means another node stored one of the batch's keys at the
# same moment; the batch is retried and then finds that row.
ATTEMPTS_ON_CONFLICT = 3

NOT_A_MEMBER = "No such conversation."
RETRY_MESSAGE = "The message could not be stored; send it again with the same client_msg_id."


@dataclass(frozen=True)
class SendRequest:
    """A validated message to store. ``skip_sid`` is the socket that gets the ack."""

    sender_id: int
    conversation_id: int
    client_msg_id: str
    body: str
    skip_sid: str | None = None

    @property
    def key(self) -> tuple[int, str]:
        """What makes a send idempotent."""
        return (self.sender_id, self.client_msg_id)


@dataclass(frozen=True)
class SendResult:
    """The stored message and whether this call created it (``False``: a retry)."""

    message: MessageOut
    created: bool

    @cached_property
    def message_json(self) -> dict[str, Any]:
        """``message`` in its JSON form, made once (the ack and the event share it)."""
        return self.message.model_dump(mode="json")


@dataclass
class _Batch:
    outcomes: dict[tuple[int, str], SendResult | ServiceError] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)


def retry_result(request: SendRequest, message: MessageOut) -> SendResult:
    """The answer to a send whose key is already stored (``Conflict`` if it was used
    for another conversation)."""
    if message.conversation_id != request.conversation_id:
        raise Conflict("This client_msg_id was already used for another message.")
    return SendResult(message=message, created=False)


class MessageWriter:
    """Stores sends in batches; ``send`` returns once the message is committed."""

    def __init__(
        self, db: Database, fanout: Fanout, *, batch_max: int, queue_max: int = 10_000
    ) -> None:
        self._db = db
        self._fanout = fanout
        self._batch_max = batch_max
        self._queue_max = queue_max
        self._queue: list[tuple[SendRequest, asyncio.Future[SendResult]]] = []
        self._in_flight: dict[tuple[int, str], asyncio.Future[SendResult]] = {}
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.batches_committed = 0  # observability: sends per commit = sends / batches

    def start(self) -> None:
        """Start the writer task (in the running event loop)."""
        self._task = asyncio.create_task(self._run(), name="message-writer")

    async def stop(self) -> None:
        """Finish what is queued, then stop."""
        if self._task is None:
            return
        self._stopping = True
        self._wakeup.set()
        await self._task
        self._task = None

    async def send(self, request: SendRequest) -> SendResult:
        """Store the message (or find it stored); raises a ``ServiceError`` on refusal."""
        earlier = self._in_flight.get(request.key)
        if earlier is not None:
            # The same send is being written right now: answer with its outcome.
            return retry_result(request, (await asyncio.shield(earlier)).message)
        if self._task is None or self._task.done() or self._stopping:
            raise Unavailable("The server is shutting down; send it again.")
        if len(self._queue) >= self._queue_max:
            raise Unavailable("The server is busy; send it again in a moment.")
        future: asyncio.Future[SendResult] = asyncio.get_running_loop().create_future()
        # If every caller went away, nobody reads a failure: mark it read.
        future.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._in_flight[request.key] = future
        self._queue.append((request, future))
        self._wakeup.set()
        # Shielded: a caller that goes away does not cancel a write others may await.
        return await asyncio.shield(future)

    def is_in_flight(self, key: tuple[int, str]) -> bool:
        """Whether a send with this ``(sender_id, client_msg_id)`` is being written."""
        return key in self._in_flight

    async def _run(self) -> None:
        batch: list[tuple[SendRequest, asyncio.Future[SendResult]]] = []
        try:
            while True:
                await self._wakeup.wait()
                self._wakeup.clear()
                while self._queue:
                    batch = self._queue[: self._batch_max]
                    del self._queue[: self._batch_max]
                    try:
                        await self._write(batch)
                    except Exception:  # the writer must outlive any one batch
                        logger.exception("message writer failed a batch")
                        self._fail(batch)
                if self._stopping:
                    return
        finally:  # cancelled or stopped: nobody may wait forever
            self._fail(batch + self._queue)
            self._queue.clear()

    def _fail(self, entries: list[tuple[SendRequest, asyncio.Future[SendResult]]]) -> None:
        """Answer these sends ``unavailable`` (they may be sent again)."""
        for request, future in entries:
            self._in_flight.pop(request.key, None)
            if not future.done():
                future.set_exception(Unavailable(RETRY_MESSAGE))

    async def _write(self, batch: list[tuple[SendRequest, asyncio.Future[SendResult]]]) -> None:
        requests = [request for request, _future in batch]
        try:
            written = await self._commit(requests)
        except Exception as exc:
            if database_unavailable(exc):
                logger.warning("message batch failed: %s", type(exc).__name__)
                # Those queued behind would each wait out the same failure: answer
                # them now, their clients retry with the same client_msg_id.
                self._fail(self._queue)
                self._queue.clear()
            else:
                logger.exception("message batch failed")
            failure = Unavailable(RETRY_MESSAGE)
            written = _Batch(outcomes={request.key: failure for request in requests})
        for request, future in batch:
            self._in_flight.pop(request.key, None)
            outcome = written.outcomes[request.key]
            if isinstance(outcome, ServiceError):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
        await self._fanout.publish(written.deliveries)

    async def _commit(self, requests: Sequence[SendRequest]) -> _Batch:
        if self._db.is_sqlite:
            # SQLite has one writer (this node's), so no other node can store the same
            # key meanwhile: no retry on conflict is needed.
            written = await _store_batch_sqlite(self._db, requests, utcnow())
            self.batches_committed += 1
            return written
        for attempt in range(1, ATTEMPTS_ON_CONFLICT + 1):
            try:
                async with self._db.transaction() as session:
                    written = await _store_batch(session, requests, utcnow())
                self.batches_committed += 1
                return written
            except IntegrityError:
                if attempt == ATTEMPTS_ON_CONFLICT:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover


async def _store_batch(
    session: AsyncSession, requests: Sequence[SendRequest], now: datetime
) -> _Batch:
    """Insert the batch's new messages in one transaction; decide every request's outcome."""
    batch = _Batch()
    fresh = await _answer_retries(session, requests, batch)
    last_seqs = await messages_store.lock_conversations(
        session, {request.conversation_id for request in fresh}
    )
    # Read after the lock, in a statement of its own: under READ COMMITTED it sees
    # any membership change that committed while this batch waited for the lock
    # (joined into the locking query, it would see the rows from before the wait).
    members = await conversations_store.member_ids(session, last_seqs.keys())
    rows: list[dict[str, object]] = []
    accepted: list[SendRequest] = []
    for request in fresh:
        if request.sender_id not in members.get(request.conversation_id, ()):
            batch.outcomes[request.key] = NotFound(NOT_A_MEMBER)
            continue
        last_seqs[request.conversation_id] += 1
        accepted.append(request)
        rows.append(
            {
                "conversation_id": request.conversation_id,
                "seq": last_seqs[request.conversation_id],
                "sender_id": request.sender_id,
                "client_msg_id": request.client_msg_id,
                "body": request.body,
                "created_at": now,
                "change_seq": 0,
            }
        )
    touched = {request.conversation_id for request in accepted}
    await messages_store.set_last_seqs(session, {c: last_seqs[c] for c in touched}, now)
    inserted = await messages_store.insert_messages(session, rows)
    for request, row in zip(accepted, inserted, strict=True):
        message = MessageOut.of(row)
        batch.outcomes[request.key] = SendResult(message=message, created=True)
        event = MessageEvent(message=message)
        recipients = members[request.conversation_id]
        batch.deliveries.append(Delivery("message:new", event, recipients, request.skip_sid))
    return batch


async def _store_batch_sqlite(
    db: Database, requests: Sequence[SendRequest], now: datetime
) -> _Batch:
    """``_store_batch`` on SQLite: the transaction is one call in the database thread
    (``store/sqlite_batch.py`` says why); the answers are made here."""
    sends = [(r.sender_id, r.conversation_id, r.client_msg_id, r.body) for r in requests]
    stored = await db.run_sqlite_write(
        sqlite_batch.store_batch, sends, sqlite_batch.datetime_to_text(now)
    )
    batch = _Batch()
    for index, request in enumerate(requests):
        row = stored.stored.get(index)
        if row is not None:
            try:
                batch.outcomes[request.key] = retry_result(request, _message_of_row(row))
            except ServiceError as refusal:
                batch.outcomes[request.key] = refusal
            continue
        position = stored.inserted.get(index)
        if position is None:
            batch.outcomes[request.key] = NotFound(NOT_A_MEMBER)
            continue
        message_id, seq = position
        # Built without validation: every value is the request's (validated) or
        # the database's.
        message = MessageOut.model_construct(
            id=message_id,
            conversation_id=request.conversation_id,
            seq=seq,
            sender_id=request.sender_id,
            client_msg_id=request.client_msg_id,
            body=request.body,
            created_at=now,
            edited_at=None,
            deleted=False,
            change_seq=0,
        )
        result = SendResult(message=message, created=True)
        batch.outcomes[request.key] = result
        recipients = stored.members[request.conversation_id]
        event = {"message": result.message_json}  # MessageEvent's JSON form
        batch.deliveries.append(Delivery("message:new", event, recipients, request.skip_sid))
    return batch


def _message_of_row(row: tuple[Any, ...]) -> MessageOut:
    """A stored message read by ``sqlite_batch``, through ``MessageOut.of`` as any row."""
    values = dict(zip(sqlite_batch.MESSAGE_COLUMNS, row, strict=True))
    for name in ("created_at", "edited_at", "deleted_at"):
        values[name] = sqlite_batch.text_to_datetime(values[name])
    return MessageOut.of(Message(**values))  # a transient row, in no session


async def _answer_retries(
    session: AsyncSession, requests: Sequence[SendRequest], batch: _Batch
) -> list[SendRequest]:
    """Answer the requests whose key is stored already; the others (to insert)."""
    stored = await messages_store.find_by_client_ids(session, [r.key for r in requests])
    fresh: list[SendRequest] = []
    for request in requests:
        if request.key not in stored:
            fresh.append(request)
            continue
        try:
            batch.outcomes[request.key] = retry_result(request, MessageOut.of(stored[request.key]))
        except ServiceError as refusal:
            batch.outcomes[request.key] = refusal
    return fresh
