/**
 * The rows of a conversation's timeline: day separators, then messages grouped
 * by sender (consecutive messages of one person within a few minutes), with
 * our pending sends last.
 */
import { dayKey } from "../../lib/time";
import type { Message } from "../../lib/types";
import type { MessagesState, PendingMessage } from "./messageState";

const GROUP_GAP_MS = 5 * 60_000;

export type TimelineItem =
  | { kind: "message"; message: Message; pending?: undefined }
  | { kind: "pending"; pending: PendingMessage; message?: undefined };

export type TimelineRow =
  | { type: "day"; key: string; iso: string }
  | { type: "item"; key: string; item: TimelineItem; senderId: number; startsGroup: boolean; endsGroup: boolean };

function itemTime(item: TimelineItem): string {
  return item.kind === "message" ? item.message.created_at : item.pending.created_at;
}

export function buildTimeline(state: Pick<MessagesState, "messages" | "pending">, meId: number): TimelineRow[] {
  const items: TimelineItem[] = [
    ...state.messages.map((message): TimelineItem => ({ kind: "message", message })),
    ...state.pending.map((pending): TimelineItem => ({ kind: "pending", pending })),
  ];
  const rows: TimelineRow[] = [];
  let previousDay: string | null = null;
  let previous: { senderId: number; time: number } | null = null;
  let lastItemRow: Extract<TimelineRow, { type: "item" }> | null = null;

  for (const item of items) {
    const iso = itemTime(item);
    const day = dayKey(iso);
    if (day !== previousDay) {
      rows.push({ type: "day", key: `day-${day}`, iso });
      previousDay = day;
      previous = null;
    }
    const senderId = item.kind === "message" ? item.message.sender_id : meId;
    const time = Date.parse(iso);
    const startsGroup = previous === null || previous.senderId !== senderId || time - previous.time > GROUP_GAP_MS;
    if (startsGroup && lastItemRow) lastItemRow.endsGroup = true;
    const key = item.kind === "message" ? `m-${item.message.client_msg_id}-${item.message.seq}` : `p-${item.pending.client_msg_id}`;
    const row: Extract<TimelineRow, { type: "item" }> = { type: "item", key, item, senderId, startsGroup, endsGroup: false };
    rows.push(row);
    lastItemRow = row;
    previous = { senderId, time };
  }
  if (lastItemRow) lastItemRow.endsGroup = true;
  return rows;
}

/** The seq of our latest message that `readSeq` covers (for "Seen"), or null. */
export function seenSeq(messages: readonly Message[], meId: number, readSeq: number): number | null {
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const message = messages[i];
    if (message && message.sender_id === meId && message.seq <= readSeq && !message.deleted) return message.seq;
  }
  return null;
}
