/**
 * Messages per conversation live in the query cache under `["messages", id]`
 * as a MessagesState. The first load fetches the latest page; after that the
 * state only changes through the pure functions of messageState.ts (events,
 * acks, older pages, gap fills and resyncs), never by a refetch.
 */
import { useQuery, type QueryClient } from "@tanstack/react-query";
import { api } from "../../lib/api";
import type { Message } from "../../lib/types";
import { getConversations } from "../conversations/queries";
import {
  applyMessages,
  applyOlderPage,
  contiguousEnd,
  hasSendingMessages,
  type MessagesState,
} from "./messageState";

export const PAGE_SIZE = 50;
const SYNC_PAGE_SIZE = 200;

export const messagesKey = (conversationId: number) => ["messages", conversationId] as const;

export function getMessages(queryClient: QueryClient, conversationId: number): MessagesState | undefined {
  return queryClient.getQueryData<MessagesState>(messagesKey(conversationId));
}

/** Applies `update` to a conversation's messages, if they are loaded. */
export function updateMessages(
  queryClient: QueryClient,
  conversationId: number,
  update: (state: MessagesState) => MessagesState,
): void {
  queryClient.setQueryData<MessagesState>(messagesKey(conversationId), (state) => (state ? update(state) : state));
}

/** The ids of the conversations whose messages are held. */
export function loadedConversationIds(queryClient: QueryClient): number[] {
  return queryClient
    .getQueryCache()
    .findAll({ queryKey: ["messages"] })
    .filter((query) => query.state.data !== undefined)
    .map((query) => query.queryKey[1])
    .filter((id): id is number => typeof id === "number");
}

async function loadLatest(queryClient: QueryClient, conversationId: number, signal: AbortSignal): Promise<MessagesState> {
  // What the list says about edits so far is our baseline for later `changed_after` fetches:
  // it was received before this page is asked for, so the page holds every change up to it.
  const known = getConversations(queryClient)?.find((c) => c.id === conversationId);
  const changeSeq = known?.last_change_seq ?? (await api.getConversation(conversationId, signal)).last_change_seq;
  const page = await api.listMessages(conversationId, { limit: PAGE_SIZE }, signal);
  // Anything that arrived by event while the page was on its way is merged, not lost.
  const previous = getMessages(queryClient, conversationId);
  const base: MessagesState = previous ?? { messages: [], hasOlder: page.has_more, changeSeq, pending: [] };
  return { ...applyMessages(base, page.messages), hasOlder: page.has_more };
}

export function useMessages(conversationId: number) {
  return useQuery({
    queryKey: messagesKey(conversationId),
    queryFn: ({ client, signal }) => loadLatest(client, conversationId, signal),
    staleTime: Infinity,
    gcTime: Infinity,
    refetchOnWindowFocus: false,
    refetchOnReconnect: false,
    meta: { silent: true },
  });
}

const olderInFlight = new Map<number, Promise<void>>();

/** Fetches the page before the oldest message held. */
export function loadOlder(queryClient: QueryClient, conversationId: number): Promise<void> {
  const running = olderInFlight.get(conversationId);
  if (running) return running;
  const task = (async () => {
    const state = getMessages(queryClient, conversationId);
    const oldest = state?.messages[0];
    if (!state || !state.hasOlder || !oldest) return;
    const page = await api.listMessages(conversationId, { before_seq: oldest.seq, limit: PAGE_SIZE });
    updateMessages(queryClient, conversationId, (s) => applyOlderPage(s, page.messages, page.has_more));
  })().finally(() => olderInFlight.delete(conversationId));
  olderInFlight.set(conversationId, task);
  return task;
}

const fillInFlight = new Map<number, Promise<void>>();
const fillAgain = new Set<number>();

/**
 * Fetches every message after the unbroken run we hold, `after_seq` page by
 * page until `has_more` is false. Single-flight per conversation; a call made
 * while one runs makes it run once more.
 */
export function fillAfter(queryClient: QueryClient, conversationId: number): Promise<void> {
  const running = fillInFlight.get(conversationId);
  if (running) {
    fillAgain.add(conversationId);
    return running;
  }
  const task = (async () => {
    do {
      fillAgain.delete(conversationId);
      for (;;) {
        const state = getMessages(queryClient, conversationId);
        if (!state) return;
        const after = contiguousEnd(state.messages);
        const page = await api.listMessages(conversationId, { after_seq: after, limit: SYNC_PAGE_SIZE });
        updateMessages(queryClient, conversationId, (s) => applyMessages(s, page.messages));
        if (!page.has_more || page.messages.length === 0) break;
      }
    } while (fillAgain.has(conversationId));
  })().finally(() => fillInFlight.delete(conversationId));
  fillInFlight.set(conversationId, task);
  return task;
}

/** Fetches the edits and deletes made after the change count we hold, up to `target`. */
export async function fetchChanges(queryClient: QueryClient, conversationId: number, target: number): Promise<void> {
  const state = getMessages(queryClient, conversationId);
  if (!state || target <= state.changeSeq) return;
  let after = state.changeSeq;
  for (;;) {
    const page = await api.listMessages(conversationId, { changed_after: after, limit: SYNC_PAGE_SIZE });
    // Only copies of messages we hold matter; an older one is fetched with its page later, current.
    updateMessages(queryClient, conversationId, (s) => applyMessages(s, heldOnly(s, page.messages)));
    const last = page.messages.at(-1);
    if (!page.has_more || !last) break;
    after = last.change_seq;
  }
  updateMessages(queryClient, conversationId, (s) => (target > s.changeSeq ? { ...s, changeSeq: target } : s));
}

function heldOnly(state: MessagesState, messages: readonly Message[]): Message[] {
  const first = state.messages[0]?.seq ?? Infinity;
  return messages.filter((m) => m.seq >= first);
}

/**
 * After a `message:new`: fill a gap if one opened, unless our own sends are
 * still unacknowledged (the gap is then probably them; their acks re-check).
 */
export function checkGap(queryClient: QueryClient, conversationId: number): void {
  const state = getMessages(queryClient, conversationId);
  if (!state || hasSendingMessages(state)) return;
  const last = state.messages.at(-1)?.seq ?? 0;
  if (contiguousEnd(state.messages) < last) void fillAfter(queryClient, conversationId).catch(() => undefined);
}
