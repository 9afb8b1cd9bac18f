import { describe, expect, it } from "vitest";
import { makeMessage } from "../../test/fixtures";
import {
  addPending,
  applyMessages,
  applyOlderPage,
  contiguousEnd,
  emptyState,
  hasGap,
  lastSeq,
  mergeMessages,
  removePending,
  setPendingStatus,
  type PendingMessage,
} from "./messageState";

const m = (seq: number, extra: Parameters<typeof makeMessage>[0] extends infer T ? Partial<T> : never = {}) =>
  makeMessage({ seq, id: seq, client_msg_id: `c${seq}`, ...extra });

const pending = (id: string): PendingMessage => ({
  client_msg_id: id,
  conversation_id: 10,
  body: "hi",
  created_at: "2024-06-15T12:00:00Z",
  status: "sending",
});

describe("mergeMessages", () => {
  it("keeps one message per seq, ascending, whatever the arrival order", () => {
    const merged = mergeMessages([m(2), m(4)], [m(3), m(1), m(4), m(2)]);
    expect(merged.map((x) => x.seq)).toEqual([1, 2, 3, 4]);
  });

  it("returns the same array when nothing changed", () => {
    const held = [m(1), m(2)];
    expect(mergeMessages(held, [m(1), m(2)])).toBe(held);
    expect(mergeMessages(held, [])).toBe(held);
  });

  it("lets a copy replace the held one only if its change_seq is not lower", () => {
    const edited = m(2, { body: "edited", change_seq: 5, edited_at: "2024-06-15T12:05:00Z" });
    const stale = m(2, { body: "original", change_seq: 0 });
    const deleted = m(2, { body: "", deleted: true, change_seq: 7 });

    let held = mergeMessages([m(1)], [edited]);
    held = mergeMessages(held, [stale]); // an old page copy never undoes an edit
    expect(held[1]?.body).toBe("edited");
    held = mergeMessages(held, [deleted]);
    held = mergeMessages(held, [edited]); // nor undoes a delete
    expect(held[1]?.deleted).toBe(true);
  });
});

describe("gaps", () => {
  it("finds the end of the unbroken run", () => {
    expect(contiguousEnd([])).toBe(0);
    expect(contiguousEnd([m(5), m(6), m(7)])).toBe(7);
    expect(contiguousEnd([m(5), m(6), m(9)])).toBe(6);
    expect(hasGap([m(5), m(6), m(9)])).toBe(true);
    expect(hasGap([m(5), m(6)])).toBe(false);
    expect(lastSeq({ messages: [m(5), m(9)] })).toBe(9);
  });
});

describe("pending sends", () => {
  it("drops a pending send when its message arrives (ack, event or page)", () => {
    let state = addPending(emptyState(), pending("a"));
    state = addPending(state, pending("b"));
    state = applyMessages(state, [m(1, { client_msg_id: "a", sender_id: 1 })]);
    expect(state.pending.map((p) => p.client_msg_id)).toEqual(["b"]);
    expect(state.messages).toHaveLength(1);
  });

  it("marks a pending send failed, then sending again on retry, keeping its id", () => {
    let state = addPending(emptyState(), pending("a"));
    state = setPendingStatus(state, "a", "failed");
    expect(state.pending[0]?.status).toBe("failed");
    state = addPending(state, { ...pending("a"), status: "sending" });
    expect(state.pending).toHaveLength(1);
    expect(state.pending[0]).toMatchObject({ client_msg_id: "a", status: "sending" });
    expect(removePending(state, "a").pending).toEqual([]);
  });

  it("adds older pages in front and remembers whether more exist", () => {
    const state = applyOlderPage({ ...emptyState(), messages: [m(51), m(52)], hasOlder: true }, [m(49), m(50)], false);
    expect(state.messages.map((x) => x.seq)).toEqual([49, 50, 51, 52]);
    expect(state.hasOlder).toBe(false);
  });
});
