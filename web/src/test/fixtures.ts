import type { Conversation, Message, User } from "../lib/types";
import { makeUser } from "./server";

let nextMessageId = 1000;

export function makeMessage(overrides: Partial<Message> & { seq: number }): Message {
  const id = overrides.id ?? nextMessageId++;
  return {
    id,
    conversation_id: 10,
    sender_id: 2,
    client_msg_id: `cmid-${id}`,
    body: `message ${overrides.seq}`,
    created_at: new Date(Date.UTC(2024, 5, 15, 12, 0, overrides.seq)).toISOString(),
    edited_at: null,
    deleted: false,
    change_seq: 0,
    ...overrides,
  };
}

export const me: User = makeUser({ id: 1, username: "alice", display_name: "Alice Liddell", online: true });

export function makeConversation(overrides: Partial<Conversation> & { id: number; members: User[] }): Conversation {
  const last = overrides.last_message ?? null;
  return {
    kind: "direct",
    title: null,
    memberships: overrides.members.map((m) => ({
      user_id: m.id,
      role: "member",
      last_read_seq: 0,
      joined_at: "2024-01-01T00:00:00Z",
    })),
    last_message: last,
    last_seq: last?.seq ?? 0,
    last_change_seq: 0,
    last_read_seq: 0,
    unread_count: 0,
    created_at: "2024-01-01T00:00:00Z",
    ...overrides,
  };
}
