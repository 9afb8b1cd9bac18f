import { describe, expect, it } from "vitest";
import { makeConversation, makeMessage, me } from "../../test/fixtures";
import { makeUser } from "../../test/server";
import {
  applyNewMessage,
  applyPresence,
  applyReadMarker,
  conversationTitle,
  mergeFreshList,
  upsertConversation,
} from "./conversationList";

const bob = makeUser({ id: 2, username: "bob", display_name: "Bob" });
const carol = makeUser({ id: 3, username: "carol" });
const older = makeConversation({ id: 1, members: [me, bob], last_message: makeMessage({ seq: 1, conversation_id: 1, created_at: "2024-06-15T10:00:00Z" }) });
const newer = makeConversation({ id: 2, members: [me, carol], last_message: makeMessage({ seq: 1, conversation_id: 2, created_at: "2024-06-15T11:00:00Z" }) });

describe("conversation list updates", () => {
  it("moves a conversation to the top and counts a message from someone else as unread", () => {
    const message = makeMessage({ seq: 2, conversation_id: 1, sender_id: 2, created_at: "2024-06-15T12:00:00Z" });
    const list = applyNewMessage([newer, older], message, me.id, false);
    expect(list.map((c) => c.id)).toEqual([1, 2]);
    expect(list[0]).toMatchObject({ last_seq: 2, unread_count: 1, last_message: message });
    // Not on screen: counts. On screen, or ours: doesn't. A repeat changes nothing.
    expect(applyNewMessage(list, message, me.id, false)[0]?.unread_count).toBe(1);
    const mine = makeMessage({ seq: 3, conversation_id: 1, sender_id: me.id, created_at: "2024-06-15T12:01:00Z" });
    expect(applyNewMessage(list, mine, me.id, false)[0]?.unread_count).toBe(1);
  });

  it("takes unread counts from our own read markers and 'seen' from the others'", () => {
    const list = [{ ...older, unread_count: 3, last_seq: 5 }];
    const mine = applyReadMarker(list, { conversation_id: 1, user_id: me.id, seq: 5, unread_count: 0 }, me.id);
    expect(mine[0]).toMatchObject({ last_read_seq: 5, unread_count: 0 });
    const theirs = applyReadMarker(list, { conversation_id: 1, user_id: 2, seq: 4, unread_count: null }, me.id);
    expect(theirs[0]?.memberships.find((m) => m.user_id === 2)?.last_read_seq).toBe(4);
    expect(theirs[0]?.unread_count).toBe(3);
  });

  it("merges conversation:updated without touching our unread count", () => {
    const list = [{ ...older, unread_count: 2 }];
    const { last_read_seq: _r, unread_count: _u, ...state } = { ...older, title: "renamed", members: [me, bob, carol] };
    const next = upsertConversation(list, state, me.id);
    expect(next[0]).toMatchObject({ unread_count: 2 });
    expect(next[0]?.members).toHaveLength(3);
    const added = upsertConversation([], { ...state, id: 9 }, me.id);
    expect(added[0]).toMatchObject({ id: 9, unread_count: 0 });
  });

  it("updates presence dots of members", () => {
    const list = applyPresence([older], { user_id: 2, online: true, last_seen_at: null });
    expect(list[0]?.members.find((m) => m.id === 2)?.online).toBe(true);
  });

  it("keeps what events brought while a resync's list was on its way", () => {
    const message = makeMessage({ seq: 2, conversation_id: 1, sender_id: 2, created_at: "2024-06-15T12:00:00Z" });
    const held = applyNewMessage([older], message, me.id, false);
    const merged = mergeFreshList(held, [older]);
    expect(merged[0]).toMatchObject({ last_seq: 2, unread_count: 1 });
  });

  it("titles direct conversations by the other member and groups by title", () => {
    expect(conversationTitle(older, me.id)).toBe("Bob");
    expect(conversationTitle({ ...older, kind: "group", title: "Team" }, me.id)).toBe("Team");
  });
});
