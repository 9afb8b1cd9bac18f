import { describe, expect, it } from "vitest";
import { makeMessage } from "../../test/fixtures";
import { emptyState } from "./messageState";
import { buildTimeline, seenSeq } from "./timeline";

const at = (iso: string, seq: number, sender: number) => makeMessage({ seq, sender_id: sender, created_at: iso });

describe("buildTimeline", () => {
  it("separates days and groups consecutive messages by sender", () => {
    const messages = [
      at("2024-06-14T10:00:00", 1, 2),
      at("2024-06-15T10:00:00", 2, 2),
      at("2024-06-15T10:01:00", 3, 2),
      at("2024-06-15T10:02:00", 4, 1),
      at("2024-06-15T10:30:00", 5, 1), // same sender, but long after: a new group
    ];
    const rows = buildTimeline({ ...emptyState(), messages }, 1);
    expect(rows.map((r) => r.type)).toEqual(["day", "item", "day", "item", "item", "item", "item"]);
    const items = rows.filter((r) => r.type === "item");
    expect(items.map((r) => r.startsGroup)).toEqual([true, true, false, true, true]);
    expect(items.map((r) => r.endsGroup)).toEqual([true, false, true, true, true]);
  });

  it("puts our pending sends last, as ours", () => {
    const rows = buildTimeline(
      {
        messages: [at("2024-06-15T10:00:00", 1, 2)],
        pending: [{ client_msg_id: "p", conversation_id: 10, body: "x", created_at: "2024-06-15T10:00:30", status: "sending" }],
      },
      1,
    );
    const last = rows.at(-1);
    expect(last?.type === "item" && last.item.kind).toBe("pending");
    expect(last?.type === "item" && last.senderId).toBe(1);
  });
});

describe("seenSeq", () => {
  it("is our latest message the other member has read", () => {
    const messages = [at("2024-06-15T10:00:00", 1, 1), at("2024-06-15T10:00:01", 2, 2), at("2024-06-15T10:00:02", 3, 1)];
    expect(seenSeq(messages, 1, 2)).toBe(1);
    expect(seenSeq(messages, 1, 3)).toBe(3);
    expect(seenSeq(messages, 1, 0)).toBeNull();
  });
});
