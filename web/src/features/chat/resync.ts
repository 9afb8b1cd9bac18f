/**
 * The resync of docs/protocol.md ("Delivery guarantees and resync"), run after
 * every (re)connect and when the server sends `resync`:
 *  1. GET /api/conversations (new ones, last_seq, unread counts, members);
 *  2. for each conversation whose messages we hold: fetch what is after the
 *     last seq held (`after_seq` pages until `has_more` is false);
 *  3. merge by seq (messageState.ts), so nothing shows twice;
 *  4. fetch edits and deletes past the `last_change_seq` we last knew.
 * Single-flight: a request made while one runs makes it run again afterwards.
 */
import type { QueryClient } from "@tanstack/react-query";
import type { Conversation } from "../../lib/types";
import { mergeFreshList, type ListChange } from "../conversations/conversationList";
import { conversationsKey, fetchConversations } from "../conversations/queries";
import { lastSeq } from "./messageState";
import { fetchChanges, fillAfter, getMessages, loadedConversationIds, messagesKey } from "./queries";

export interface ResyncDeps {
  fetchConversations: () => Promise<Conversation[]>;
  fillAfter: (queryClient: QueryClient, conversationId: number) => Promise<void>;
  fetchChanges: (queryClient: QueryClient, conversationId: number, target: number) => Promise<void>;
}

const defaultDeps: ResyncDeps = { fetchConversations: () => fetchConversations(), fillAfter, fetchChanges };

/** Conversation events seen while a resync's list is on its way (null when none is). */
let journal: Map<number, ListChange> | null = null;

/** Called by the event handlers: the list being fetched may predate this change. */
export function noteConversationChange(id: number, change: ListChange): void {
  journal?.set(id, change);
}

/** One pass of the resync; returns the fresh conversation list. */
export async function resyncOnce(queryClient: QueryClient, deps: ResyncDeps = defaultDeps): Promise<Conversation[]> {
  const changes = new Map<number, ListChange>();
  journal = changes;
  let conversations: Conversation[];
  try {
    conversations = await deps.fetchConversations();
  } finally {
    if (journal === changes) journal = null;
  }
  queryClient.setQueryData<Conversation[]>(conversationsKey, (held) => mergeFreshList(held, conversations, changes));
  // Conversations we no longer belong to: forget their messages.
  const current = new Set(
    (queryClient.getQueryData<Conversation[]>(conversationsKey) ?? conversations).map((c) => c.id),
  );
  const held = loadedConversationIds(queryClient);
  for (const id of held) {
    if (!current.has(id)) queryClient.removeQueries({ queryKey: messagesKey(id), exact: true });
  }
  await Promise.all(
    conversations
      .filter((c) => held.includes(c.id))
      .map(async (c) => {
        const state = getMessages(queryClient, c.id);
        if (!state) return;
        if (c.last_seq > lastSeq(state)) await deps.fillAfter(queryClient, c.id);
        if (c.last_change_seq > state.changeSeq) await deps.fetchChanges(queryClient, c.id, c.last_change_seq);
      }),
  );
  return conversations;
}

let running: Promise<void> | null = null;
let again = false;

/** Runs the resync, coalescing requests made while it runs into one more pass. */
export function resync(queryClient: QueryClient, deps: ResyncDeps = defaultDeps): Promise<void> {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    try {
      do {
        again = false;
        await resyncOnce(queryClient, deps);
      } while (again);
    } finally {
      running = null;
    }
  })();
  return running;
}
