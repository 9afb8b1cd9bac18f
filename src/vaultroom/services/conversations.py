"""Conversations: the list, direct and group conversations, membership, read markers.

Every call checks that the caller is a member; to a non-member a conversation
does not exist (404), so its existence never leaks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vaultroom.db import Database
from vaultroom.fanout import Delivery, Fanout
from vaultroom.models import (
    AuditKind,
    Conversation,
    ConversationKind,
    ConversationMember,
    MemberRole,
)
from vaultroom.models.base import utcnow
from vaultroom.models.conversation import direct_key
from vaultroom.schemas.conversations import (
    TITLE_MAX,
    ConversationOut,
    ConversationState,
    ReadMarkerOut,
)
from vaultroom.schemas.events import (
    ConversationEvent,
    ConversationRemovedEvent,
    ReadMarkerEvent,
)
from vaultroom.schemas.text import clean_name
from vaultroom.services import audit
from vaultroom.services.conversation_views import ConversationViews
from vaultroom.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from vaultroom.services.sessions import ClientInfo
from vaultroom.settings import Settings
from vaultroom.store import conversations as conversations_store
from vaultroom.store import users as users_store

NO_SUCH_CONVERSATION = "No such conversation."
MANAGERS = frozenset({MemberRole.OWNER.value, MemberRole.ADMIN.value})


@dataclass(frozen=True)
class _Change:
    """A conversation after a change: as all members see it, and as the caller does."""

    shared: ConversationState
    mine: ConversationOut | None


def _mine(change: _Change) -> ConversationOut:
    """The caller's view of a change they are still a member after."""
    if change.mine is None:  # pragma: no cover - every caller of this is a member
        raise NotFound(NO_SUCH_CONVERSATION)
    return change.mine


async def require_member(
    session: AsyncSession, conversation_id: int, user_id: int, *, lock: bool = False
) -> tuple[Conversation, ConversationMember]:
    """The conversation and the caller's membership, or ``NotFound`` for non-members."""
    conversation = await conversations_store.get_conversation(session, conversation_id, lock=lock)
    member = (
        await conversations_store.get_membership(session, conversation_id, user_id)
        if conversation is not None
        else None
    )
    if conversation is None or member is None:
        raise NotFound(NO_SUCH_CONVERSATION)
    return conversation, member


def clean_title(title: str) -> str:
    """A group title: 1 to 100 characters, no control characters."""
    try:
        title = clean_name(title)
    except ValueError as exc:
        raise InvalidInput(str(exc), fields={"title": str(exc)}) from None
    if not 1 <= len(title) <= TITLE_MAX:
        message = f"Use 1 to {TITLE_MAX} characters."
        raise InvalidInput(message, fields={"title": message})
    return title


def _require_group_manager(conversation: Conversation, member: ConversationMember) -> None:
    if conversation.kind != ConversationKind.GROUP.value:
        raise Conflict("A direct conversation has fixed members and no title.", code="not_a_group")
    if member.role not in MANAGERS:
        raise Forbidden("Only the group's owner or admins can do that.")


class ConversationService:
    """Use cases on conversations; events go to fan-out after each commit."""

    def __init__(
        self, db: Database, views: ConversationViews, fanout: Fanout, settings: Settings
    ) -> None:
        self._db = db
        self._views = views
        self._fanout = fanout
        self._settings = settings

    async def list_for(self, user_id: int) -> list[ConversationOut]:
        """The caller's conversations, most recent activity first."""
        async with self._db.snapshot() as session:
            rows = await conversations_store.user_conversations(session, user_id)
            return await self._views.for_viewer(session, user_id, rows)

    async def get(self, user_id: int, conversation_id: int) -> ConversationOut:
        """One conversation of the caller."""
        async with self._db.snapshot() as session:
            conversation, member = await require_member(session, conversation_id, user_id)
            (view,) = await self._views.for_viewer(session, user_id, [(conversation, member)])
            return view

    async def open_direct(self, user_id: int, other_id: int) -> tuple[ConversationOut, bool]:
        """The one direct conversation of the pair, created on first use; whether it was."""
        key = direct_key(user_id, other_id)
        async with self._db.snapshot() as session:
            existing = await conversations_store.find_direct(session, key)
        if existing is not None:
            return await self.get(user_id, existing.id), False
        try:
            async with self._db.transaction() as session:
                if await users_store.get_user(session, other_id) is None:
                    raise NotFound("No such user.")
                conversation = await conversations_store.insert_conversation(
                    session,
                    kind=ConversationKind.DIRECT.value,
                    title=None,
                    direct_key=key,
                    created_by=user_id,
                    members=[(i, MemberRole.MEMBER.value) for i in sorted({user_id, other_id})],
                    now=utcnow(),
                )
                change = await self._change(session, conversation, user_id)
        except IntegrityError:
            # The other user opened it at the same moment: theirs is the one.
            async with self._db.snapshot() as session:
                existing = await conversations_store.find_direct(session, key)
            if existing is None:
                raise
            return await self.get(user_id, existing.id), False
        await self._announce(change)
        return _mine(change), True

    async def create_group(
        self, user_id: int, title: str, member_ids: Iterable[int]
    ) -> ConversationOut:
        """A new group owned by the caller, with the given members."""
        title = clean_title(title)
        others = sorted(set(member_ids) - {user_id})
        if len(others) + 1 > self._settings.max_group_members:
            message = f"A group has at most {self._settings.max_group_members} members."
            raise InvalidInput(message, fields={"member_ids": message})
        async with self._db.transaction() as session:
            known = await users_store.existing_ids(session, others)
            if unknown := [str(i) for i in others if i not in known]:
                message = f"No such user: {', '.join(unknown[:10])}."
                raise InvalidInput(message, fields={"member_ids": message})
            owner = [(user_id, MemberRole.OWNER.value)]
            conversation = await conversations_store.insert_conversation(
                session,
                kind=ConversationKind.GROUP.value,
                title=title,
                direct_key=None,
                created_by=user_id,
                members=owner + [(i, MemberRole.MEMBER.value) for i in others],
                now=utcnow(),
            )
            change = await self._change(session, conversation, user_id)
        await self._announce(change)
        return _mine(change)

    async def rename(self, user_id: int, conversation_id: int, title: str) -> ConversationOut:
        """Give a group a new title (owner or admin)."""
        title = clean_title(title)
        async with self._db.transaction() as session:
            conversation, member = await require_member(
                session, conversation_id, user_id, lock=True
            )
            _require_group_manager(conversation, member)
            if conversation.title == title:
                (view,) = await self._views.for_viewer(session, user_id, [(conversation, member)])
                return view
            conversation.title = title
            await session.flush()
            change = await self._change(session, conversation, user_id)
        await self._announce(change)
        return _mine(change)

    async def add_member(
        self, user_id: int, conversation_id: int, new_member_id: int
    ) -> ConversationOut:
        """Add a user to a group (owner or admin); adding a member again changes nothing."""
        async with self._db.transaction() as session:
            conversation, member = await require_member(
                session, conversation_id, user_id, lock=True
            )
            _require_group_manager(conversation, member)
            if await users_store.get_user(session, new_member_id) is None:
                raise NotFound("No such user.")
            current = await conversations_store.member_ids(session, [conversation_id])
            if new_member_id in current[conversation_id]:
                (view,) = await self._views.for_viewer(session, user_id, [(conversation, member)])
                return view
            if len(current[conversation_id]) >= self._settings.max_group_members:
                raise Conflict(
                    f"A group has at most {self._settings.max_group_members} members.",
                    code="group_full",
                )
            # A new member sees the history but starts with nothing unread.
            await conversations_store.add_members(
                session,
                conversation_id,
                [(new_member_id, MemberRole.MEMBER.value)],
                last_read_seq=conversation.last_seq,
                now=utcnow(),
            )
            change = await self._change(session, conversation, user_id)
        await self._announce(change)
        return _mine(change)

    async def remove_member(self, user_id: int, conversation_id: int, target_id: int) -> None:
        """Remove a member (owner: anyone; admin: plain members) or leave (anyone, themselves)."""
        async with self._db.transaction() as session:
            conversation, member = await require_member(
                session, conversation_id, user_id, lock=True
            )
            if conversation.kind != ConversationKind.GROUP.value:
                raise Conflict("A direct conversation cannot be left.", code="not_a_group")
            if target_id == user_id:
                target = member
            else:
                _require_group_manager(conversation, member)
                found = await conversations_store.get_membership(
                    session, conversation_id, target_id
                )
                if found is None:
                    raise NotFound("That user is not a member of this conversation.")
                target = found
                if member.role != MemberRole.OWNER.value and target.role in MANAGERS:
                    raise Forbidden("Only the owner can remove the owner or an admin.")
            await conversations_store.remove_member(session, conversation_id, target_id)
            if target.role == MemberRole.OWNER.value:
                await self._hand_over_ownership(session, conversation_id)
            change = await self._change(session, conversation, user_id)
        removed = ConversationRemovedEvent(conversation_id=conversation_id)
        await self._fanout.publish([Delivery("conversation:removed", removed, [target_id])])
        await self._announce(change)

    async def set_role(
        self,
        user_id: int,
        conversation_id: int,
        target_id: int,
        role: str,
        client: ClientInfo | None = None,
    ) -> ConversationOut:
        """The owner makes a member an admin or a plain member again."""
        if role not in {MemberRole.ADMIN.value, MemberRole.MEMBER.value}:
            message = "The role is 'admin' or 'member'."
            raise InvalidInput(message, fields={"role": message})
        async with self._db.transaction() as session:
            conversation, member = await require_member(
                session, conversation_id, user_id, lock=True
            )
            _require_group_manager(conversation, member)
            if member.role != MemberRole.OWNER.value:
                raise Forbidden("Only the owner can change roles.")
            target = await conversations_store.get_membership(session, conversation_id, target_id)
            if target is None:
                raise NotFound("That user is not a member of this conversation.")
            if target.user_id == user_id:
                raise Conflict("The owner's role cannot be changed.", code="owner_role")
            if target.role == role:
                (view,) = await self._views.for_viewer(session, user_id, [(conversation, member)])
                return view
            previous_role, target.role = target.role, role
            await session.flush()
            await audit.record(
                session,
                AuditKind.ROLE_CHANGE,
                user_id=user_id,
                client=client,
                details={
                    "conversation_id": conversation_id,
                    "member_id": target_id,
                    "from": previous_role,
                    "to": role,
                },
            )
            change = await self._change(session, conversation, user_id)
        await self._announce(change)
        return _mine(change)

    async def mark_read(self, user_id: int, conversation_id: int, seq: int) -> ReadMarkerOut:
        """Move the caller's read marker forward (never back, never past the last message)."""
        async with self._db.transaction() as session:
            conversation, member = await require_member(session, conversation_id, user_id)
            target = min(seq, conversation.last_seq)
            moved = await conversations_store.advance_read_marker(
                session, conversation_id, user_id, target
            )
            marker = max(member.last_read_seq, target)
            unread = await conversations_store.unread_counts(session, user_id, [conversation_id])
            members = await conversations_store.member_ids(session, [conversation_id])
        result = ReadMarkerOut(
            conversation_id=conversation_id,
            last_read_seq=marker,
            unread_count=unread.get(conversation_id, 0),
        )
        if moved:
            others = members[conversation_id] - {user_id}
            event = ReadMarkerEvent(conversation_id=conversation_id, user_id=user_id, seq=marker)
            own = event.model_copy(update={"unread_count": result.unread_count})
            await self._fanout.publish(
                [
                    Delivery("conversation:read", event, others),
                    Delivery("conversation:read", own, [user_id]),
                ]
            )
        return result

    async def _hand_over_ownership(self, session: AsyncSession, conversation_id: int) -> None:
        """The owner left: the longest-serving admin, else member, becomes owner."""
        rows = await conversations_store.memberships_with_users(session, [conversation_id])
        if not rows:
            return
        successor = next((m for m, _u in rows if m.role == MemberRole.ADMIN.value), rows[0][0])
        successor.role = MemberRole.OWNER.value
        await session.flush()

    async def _change(
        self, session: AsyncSession, conversation: Conversation, caller_id: int
    ) -> _Change:
        """The changed conversation for everyone, and as the caller sees it."""
        shared = await self._views.shared(session, conversation)
        return _Change(shared, await self._views.seen_by(session, shared, caller_id))

    async def _announce(self, change: _Change) -> None:
        """``conversation:updated`` to every member: one payload, encoded once (one
        payload per member would cost O(members^2) to build and encode)."""
        members = [membership.user_id for membership in change.shared.memberships]
        event = ConversationEvent(conversation=change.shared)
        await self._fanout.publish([Delivery("conversation:updated", event, members)])
