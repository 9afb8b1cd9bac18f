import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it, vi } from "vitest";
import { makeConversation, makeMessage, me } from "../../test/fixtures";
import { json, makeUser, mockApi } from "../../test/server";
import { conversationsKey } from "../conversations/queries";
import { emptyState, type MessagesState } from "./messageState";
import { messagesKey } from "./queries";
import { noteConversationChange, resync, resyncOnce } from "./resync";

const bob = makeUser({ id: 2, username: "bob" });
const msg = (seq: number, extra: Partial<ReturnType<typeof makeMessage>> = {}) =>
  makeMessage({ seq, id: seq, conversation_id: 10, client_msg_id: `c${seq}`, ...extra });

function setup(held: MessagesState) {
  const queryClient = new QueryClient();
  queryClient.setQueryData(conversationsKey, [
    makeConversation({ id: 10, members: [me, bob], last_message: msg(3), last_change_seq: 1 }),
    makeConversation({ id: 11, members: [me, bob], kind: "group", title: "Gone" }),
  ]);
  queryClient.setQueryData(messagesKey(10), held);
  queryClient.setQueryData(messagesKey(11), emptyState());
  return queryClient;
}

describe("resync", () => {
  it("fetches what was missed after the last seq held and the edits past the known change count", async () => {
    // While offline: messages 4..7 were sent (two after_seq pages), message 2 was edited
    // (change 2) and message 3 deleted (change 3); we were removed from conversation 11.
    const server = mockApi({
      "GET /api/conversations": () =>
        json(200, {
          conversations: [
            makeConversation({ id: 10, members: [me, bob], last_message: msg(7), last_change_seq: 3, unread_count: 4 }),
          ],
        }),
      "GET /api/conversations/10/messages": ({ url }) => {
        const p = url.searchParams;
        if (p.get("after_seq") === "3") return json(200, { messages: [msg(4), msg(5)], has_more: true });
        if (p.get("after_seq") === "5") return json(200, { messages: [msg(6), msg(7)], has_more: false });
        if (p.get("changed_after") === "1")
          return json(200, { messages: [msg(2, { body: "edited", change_seq: 2 })], has_more: true });
        if (p.get("changed_after") === "2")
          return json(200, { messages: [msg(3, { body: "", deleted: true, change_seq: 3 })], has_more: false });
        return json(400, { error: { code: "invalid_input", message: `unexpected ${url.search}` } });
      },
    });
    const queryClient = setup({ ...emptyState(1), messages: [msg(1), msg(2), msg(3)] });

    await resyncOnce(queryClient);

    const state = queryClient.getQueryData<MessagesState>(messagesKey(10));
    expect(state?.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(state?.messages[1]?.body).toBe("edited");
    expect(state?.messages[2]?.deleted).toBe(true);
    expect(state?.changeSeq).toBe(3);
    expect(queryClient.getQueryData(messagesKey(11))).toBeUndefined();
    expect(queryClient.getQueryData<{ id: number }[]>(conversationsKey)?.map((c) => c.id)).toEqual([10]);
    expect(server.to("GET /api/conversations/10/messages").map((r) => r.url.search)).toEqual([
      "?after_seq=3&limit=200",
      "?after_seq=5&limit=200",
      "?changed_after=1&limit=200",
      "?changed_after=2&limit=200",
    ]);
  });

  it("merges events that arrive during the resync without duplicates", async () => {
    const queryClient = setup({ ...emptyState(1), messages: [msg(1), msg(2), msg(3)] });
    mockApi({
      "GET /api/conversations": () =>
        json(200, { conversations: [makeConversation({ id: 10, members: [me, bob], last_message: msg(5), last_change_seq: 1 })] }),
      "GET /api/conversations/10/messages": () => {
        // message:new for seq 4 lands while the page is on its way
        queryClient.setQueryData<MessagesState>(messagesKey(10), (s) => s && { ...s, messages: [...s.messages, msg(4)] });
        return json(200, { messages: [msg(4), msg(5)], has_more: false });
      },
    });

    await resyncOnce(queryClient);

    const seqs = queryClient.getQueryData<MessagesState>(messagesKey(10))?.messages.map((m) => m.seq);
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
  });

  it("keeps a conversation added, and drops one removed, by events while the list was on its way", async () => {
    const queryClient = setup(emptyState());
    const added = makeConversation({ id: 12, members: [me, bob], kind: "group", title: "Added meanwhile" });
    mockApi({
      "GET /api/conversations": () => {
        // The server's snapshot predates both events.
        queryClient.setQueryData(conversationsKey, (list: unknown[] | undefined) => [...(list ?? []), added]);
        noteConversationChange(12, "upsert");
        noteConversationChange(11, "removed");
        return json(200, {
          conversations: [makeConversation({ id: 10, members: [me, bob] }), makeConversation({ id: 11, members: [me, bob] })],
        });
      },
      "GET /api/conversations/10/messages": () => json(200, { messages: [], has_more: false }),
    });

    await resyncOnce(queryClient);

    const ids = queryClient.getQueryData<{ id: number }[]>(conversationsKey)?.map((c) => c.id);
    expect(ids?.sort()).toEqual([10, 12]);
  });

  it("runs once more when asked again while running, never twice at once", async () => {
    const queryClient = setup(emptyState());
    let release: () => void = () => undefined;
    const fetchConversations = vi.fn(
      () =>
        new Promise<never[]>((resolve) => {
          release = () => resolve([]);
        }),
    );
    const deps = { fetchConversations, fillAfter: vi.fn(), fetchChanges: vi.fn() };

    const first = resync(queryClient, deps);
    const second = resync(queryClient, deps);
    const third = resync(queryClient, deps);
    expect(fetchConversations).toHaveBeenCalledTimes(1);
    release();
    await vi.waitFor(() => expect(fetchConversations).toHaveBeenCalledTimes(2));
    release();
    await Promise.all([first, second, third]);
    expect(fetchConversations).toHaveBeenCalledTimes(2);
  });
});
