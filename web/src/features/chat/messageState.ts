/**
 * The messages held for one conversation, and the pure functions that change
 * them. Messages are keyed by seq: a seq is held once, and a copy replaces the
 * held one only if its change_seq is not lower (so an old copy never undoes an
 * edit or a delete), whatever the source (pages, events, acks).
 */
import type { Message } from "../../lib/types";

export type PendingStatus = "sending" | "failed";

/** A message of ours not yet acknowledged by the server. */
export interface PendingMessage {
  client_msg_id: string;
  conversation_id: number;
  body: string;
  created_at: string;
  status: PendingStatus;
}

export interface MessagesState {
  /** Ascending by seq, each seq once. */
  messages: Message[];
  /** Older messages exist before `messages[0]`. */
  hasOlder: boolean;
  /** The conversation's `last_change_seq` these messages are known to be up to date with. */
  changeSeq: number;
  /** Our sends awaiting an ack (or failed), in send order. */
  pending: PendingMessage[];
}

export function emptyState(changeSeq = 0): MessagesState {
  return { messages: [], hasOlder: false, changeSeq, pending: [] };
}

/** Merges `incoming` into `held` by seq; returns `held` itself when nothing changed. */
export function mergeMessages(held: readonly Message[], incoming: readonly Message[]): Message[] {
  if (incoming.length === 0) return held as Message[];
  const bySeq = new Map<number, Message>();
  for (const message of held) bySeq.set(message.seq, message);
  let changed = false;
  for (const message of incoming) {
    const current = bySeq.get(message.seq);
    if (current === undefined || message.change_seq > current.change_seq) {
      bySeq.set(message.seq, message);
      changed = true;
    } else if (message.change_seq === current.change_seq && !sameMessage(current, message)) {
      // Equal change_seq: "not lower" wins, but keep the held object when identical.
      bySeq.set(message.seq, message);
      changed = true;
    }
  }
  if (!changed) return held as Message[];
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

function sameMessage(a: Message, b: Message): boolean {
  return (
    a.id === b.id &&
    a.body === b.body &&
    a.deleted === b.deleted &&
    a.edited_at === b.edited_at &&
    a.created_at === b.created_at
  );
}

/** Adds messages (from any source) and drops the pending sends they confirm. */
export function applyMessages(state: MessagesState, incoming: readonly Message[]): MessagesState {
  const messages = mergeMessages(state.messages, incoming);
  const confirmed = new Set(incoming.map((m) => m.client_msg_id));
  const pending = state.pending.filter((p) => !confirmed.has(p.client_msg_id));
  if (messages === state.messages && pending.length === state.pending.length) return state;
  return { ...state, messages, pending };
}

/** Adds an older page in front (from `before_seq`). */
export function applyOlderPage(state: MessagesState, page: readonly Message[], hasMore: boolean): MessagesState {
  return { ...applyMessages(state, page), hasOlder: hasMore };
}

/** The highest seq held (0 when none). */
export function lastSeq(state: Pick<MessagesState, "messages">): number {
  return state.messages.at(-1)?.seq ?? 0;
}

/**
 * The last seq of the unbroken run that starts at the oldest held message:
 * everything after it may be missing. Equals `lastSeq` when there is no gap.
 */
export function contiguousEnd(messages: readonly Message[]): number {
  const first = messages[0];
  if (!first) return 0;
  let end = first.seq;
  for (let i = 1; i < messages.length; i += 1) {
    const seq = messages[i]?.seq ?? end;
    if (seq !== end + 1) break;
    end = seq;
  }
  return end;
}

export function hasGap(messages: readonly Message[]): boolean {
  return contiguousEnd(messages) !== (messages.at(-1)?.seq ?? 0);
}

export function addPending(state: MessagesState, pending: PendingMessage): MessagesState {
  const others = state.pending.filter((p) => p.client_msg_id !== pending.client_msg_id);
  return { ...state, pending: [...others, pending] };
}

export function setPendingStatus(state: MessagesState, clientMsgId: string, status: PendingStatus): MessagesState {
  let changed = false;
  const pending = state.pending.map((p) => {
    if (p.client_msg_id !== clientMsgId || p.status === status) return p;
    changed = true;
    return { ...p, status };
  });
  return changed ? { ...state, pending } : state;
}

export function removePending(state: MessagesState, clientMsgId: string): MessagesState {
  const pending = state.pending.filter((p) => p.client_msg_id !== clientMsgId);
  return pending.length === state.pending.length ? state : { ...state, pending };
}

export function hasSendingMessages(state: MessagesState): boolean {
  return state.pending.some((p) => p.status === "sending");
}
