/**
 * Pure updates of the conversation list (the `["conversations"]` query data)
 * from Socket.IO events, and the helpers that describe a conversation.
 */
import type { PresenceEvent, ReadMarkerEvent } from "../../lib/events";
import type { Conversation, ConversationState, Message, User } from "../../lib/types";

/** When the conversation last saw activity (its last message, else its creation). */
export function activityTime(conversation: ConversationState): number {
  const iso = conversation.last_message?.created_at ?? conversation.created_at;
  const time = Date.parse(iso);
  return Number.isNaN(time) ? 0 : time;
}

/** Most recent activity first (ties: the higher id first). */
export function sortConversations(list: readonly Conversation[]): Conversation[] {
  return [...list].sort((a, b) => activityTime(b) - activityTime(a) || b.id - a.id);
}

/** Inserts or refreshes the shared state of a conversation, keeping our own marker and unread count. */
export function upsertConversation(
  list: readonly Conversation[],
  state: ConversationState | Conversation,
  meId: number,
): Conversation[] {
  const existing = list.find((c) => c.id === state.id);
  const own = state.memberships.find((m) => m.user_id === meId);
  let next: Conversation;
  if ("unread_count" in state) {
    next = state;
  } else if (existing) {
    next = {
      ...state,
      // A newer message may already be held than the event's snapshot.
      last_message: newerLastMessage(existing.last_message, state.last_message),
      last_seq: Math.max(existing.last_seq, state.last_seq),
      last_read_seq: Math.max(existing.last_read_seq, own?.last_read_seq ?? 0),
      unread_count: existing.unread_count,
    };
  } else {
    next = { ...state, last_read_seq: own?.last_read_seq ?? state.last_seq, unread_count: 0 };
  }
  return sortConversations([...list.filter((c) => c.id !== state.id), next]);
}

function newerLastMessage(a: Message | null, b: Message | null): Message | null {
  if (!a) return b;
  if (!b) return a;
  if (a.seq !== b.seq) return a.seq > b.seq ? a : b;
  return b.change_seq >= a.change_seq ? b : a;
}

export function removeConversation(list: readonly Conversation[], id: number): Conversation[] {
  return list.filter((c) => c.id !== id);
}

/**
 * A new message: it becomes the last message, and counts as unread unless it
 * is ours or the conversation is on screen (`visible`).
 */
export function applyNewMessage(
  list: readonly Conversation[],
  message: Message,
  meId: number,
  visible: boolean,
): Conversation[] {
  const conversation = list.find((c) => c.id === message.conversation_id);
  if (!conversation || message.seq <= conversation.last_seq) {
    return conversation ? applyUpdatedMessage(list, message) : (list as Conversation[]);
  }
  const counts = message.sender_id !== meId && !message.deleted && !visible && message.seq > conversation.last_read_seq;
  const next: Conversation = {
    ...conversation,
    last_message: message,
    last_seq: message.seq,
    unread_count: conversation.unread_count + (counts ? 1 : 0),
  };
  return sortConversations(list.map((c) => (c.id === next.id ? next : c)));
}

/** An edit or delete: refresh the preview if it is the last message. */
export function applyUpdatedMessage(list: readonly Conversation[], message: Message): Conversation[] {
  let changed = false;
  const next = list.map((c) => {
    const last = c.last_message;
    if (c.id !== message.conversation_id || !last || last.seq !== message.seq) return c;
    if (message.change_seq < last.change_seq) return c;
    changed = true;
    return { ...c, last_message: message };
  });
  return changed ? next : (list as Conversation[]);
}

/** Someone's read marker moved; ours also brings our unread count. */
export function applyReadMarker(list: readonly Conversation[], event: ReadMarkerEvent, meId: number): Conversation[] {
  return list.map((c) => {
    if (c.id !== event.conversation_id) return c;
    const memberships = c.memberships.map((m) =>
      m.user_id === event.user_id && event.seq > m.last_read_seq ? { ...m, last_read_seq: event.seq } : m,
    );
    if (event.user_id !== meId) return { ...c, memberships };
    const moved = event.seq >= c.last_read_seq;
    return {
      ...c,
      memberships,
      last_read_seq: Math.max(c.last_read_seq, event.seq),
      unread_count: moved && event.unread_count !== null ? event.unread_count : c.unread_count,
    };
  });
}

/** Our own marker moved locally (we read up to `seq`). */
export function applyOwnRead(
  list: readonly Conversation[],
  conversationId: number,
  seq: number,
  unreadCount: number,
): Conversation[] {
  return list.map((c) =>
    c.id === conversationId && seq >= c.last_read_seq ? { ...c, last_read_seq: seq, unread_count: unreadCount } : c,
  );
}

export function applyPresenceToUser<T extends User>(user: T, event: PresenceEvent): T {
  if (user.id !== event.user_id) return user;
  if (user.online === event.online && user.last_seen_at === event.last_seen_at) return user;
  return { ...user, online: event.online, last_seen_at: event.last_seen_at };
}

export function applyPresence(list: readonly Conversation[], event: PresenceEvent): Conversation[] {
  return list.map((c) =>
    c.members.some((m) => m.id === event.user_id)
      ? { ...c, members: c.members.map((m) => applyPresenceToUser(m, event)) }
      : c,
  );
}

export function displayName(user: Pick<User, "display_name" | "username">): string {
  return user.display_name?.trim() || user.username;
}

/** The other member of a direct conversation (ourselves for a conversation with oneself). */
export function otherMember(conversation: ConversationState, meId: number): User | undefined {
  return conversation.members.find((m) => m.id !== meId) ?? conversation.members[0];
}

/** The group title, or the other member's name. */
export function conversationTitle(conversation: ConversationState, meId: number): string {
  if (conversation.kind === "group") return conversation.title ?? "";
  const other = otherMember(conversation, meId);
  return other ? displayName(other) : "";
}

export type ListChange = "upsert" | "removed";

/**
 * The list fetched by a resync, merged with what events brought while it was
 * on its way (`changes`: conversations added or updated, or removed, by events
 * meanwhile): a newer last message (and its unread count) or a read marker
 * further on is kept, a conversation added meanwhile stays, one removed
 * meanwhile does not come back.
 */
export function mergeFreshList(
  held: readonly Conversation[] | undefined,
  fresh: readonly Conversation[],
  changes: ReadonlyMap<number, ListChange> = new Map(),
): Conversation[] {
  const byId = new Map((held ?? []).map((c) => [c.id, c]));
  const freshIds = new Set(fresh.map((c) => c.id));
  const merged = fresh
    .filter((c) => changes.get(c.id) !== "removed")
    .map((c) => {
      const old = byId.get(c.id);
      if (!old) return c;
      let next = c;
      if (old.last_seq > c.last_seq) {
        next = { ...next, last_message: old.last_message, last_seq: old.last_seq, unread_count: old.unread_count };
      }
      if (old.last_read_seq > next.last_read_seq) {
        next = { ...next, last_read_seq: old.last_read_seq, unread_count: Math.min(next.unread_count, old.unread_count) };
      }
      if (changes.get(c.id) === "upsert") {
        next = { ...next, title: old.title, members: old.members, memberships: old.memberships };
      }
      return next;
    });
  for (const [id, change] of changes) {
    const old = byId.get(id);
    if (change === "upsert" && old && !freshIds.has(id)) merged.push(old);
  }
  return sortConversations(merged);
}
