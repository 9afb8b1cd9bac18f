import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { chatApi } from "../../test/chatApi";
import { makeConversation, makeMessage, me } from "../../test/fixtures";
import { renderApp } from "../../test/render";
import { json, makeUser } from "../../test/server";
import { currentSocket } from "../../test/socket";
import type { Message } from "../../lib/types";

const bob = makeUser({ id: 2, username: "bob", display_name: "Bob Builder", online: true });
const msg = (seq: number, extra: Partial<Message> = {}) =>
  makeMessage({ seq, id: seq, conversation_id: 10, sender_id: bob.id, client_msg_id: `c${seq}`, ...extra });
const history = Array.from({ length: 60 }, (_, i) => msg(i + 1));
const direct = makeConversation({ id: 10, members: [me, bob], last_message: history[59] ?? null, last_seq: 60 });

async function openConversation(messages: Message[] = history) {
  const server = chatApi([{ ...direct, last_message: messages.at(-1) ?? null, last_seq: messages.at(-1)?.seq ?? 0 }], {
    10: messages,
  });
  const view = renderApp("/c/10");
  const socket = await waitFor(() => currentSocket());
  act(() => socket.serverConnect());
  await waitFor(() => expect(screen.getAllByTestId("message").length).toBeGreaterThan(0));
  return { ...view, server, socket };
}

const messageNodes = () => screen.getAllByTestId("message");

describe("ConversationPage", () => {
  it("opens at the latest page, with the other member's presence", async () => {
    await openConversation();
    expect(messageNodes()).toHaveLength(50);
    expect(messageNodes()[0]).toHaveAttribute("data-seq", "11");
    expect(messageNodes().at(-1)).toHaveAttribute("data-seq", "60");
    const header = screen.getByTestId("conversation-header");
    expect(within(header).getByText("Bob Builder")).toBeInTheDocument();
    expect(within(header).getByTestId("header-presence")).toHaveAttribute("data-online", "true");
    expect(screen.getByRole("log", { name: "Messages" })).toBe(screen.getByTestId("message-scroller"));
  });

  it("loads the previous page when scrolled to the top", async () => {
    const { server } = await openConversation();
    const scroller = screen.getByTestId("message-scroller");
    scroller.scrollTop = 0;
    fireEvent.scroll(scroller);
    await waitFor(() => expect(messageNodes()).toHaveLength(60));
    expect(messageNodes()[0]).toHaveAttribute("data-seq", "1");
    expect(server.to("GET /api/conversations/10/messages").at(-1)?.url.searchParams.get("before_seq")).toBe("11");
    expect(await screen.findByText("This is the beginning of the conversation.")).toBeInTheDocument();
  });

  it("sends optimistically: sending, then sent with its seq", async () => {
    const { user, socket } = await openConversation();
    let ack: (answer: unknown) => void = () => undefined;
    socket.handle("message:send", () => new Promise((resolve) => (ack = resolve)));

    await user.type(screen.getByRole("textbox", { name: "Message" }), "Hello{Shift>}{Enter}{/Shift}there{Enter}");

    const sending = messageNodes().at(-1);
    expect(sending).toHaveAttribute("data-status", "sending");
    expect(sending).not.toHaveAttribute("data-seq");
    expect(within(sending as HTMLElement).getByTestId("message-body").textContent).toBe("Hello\nthere");
    const [payload] = socket.sent("message:send") as { client_msg_id: string; body: string }[];
    expect(payload?.body).toBe("Hello\nthere");
    expect(screen.getByRole("textbox", { name: "Message" })).toHaveValue("");

    act(() =>
      ack({ ok: true, message: msg(61, { sender_id: me.id, client_msg_id: payload?.client_msg_id, body: "Hello\nthere" }) }),
    );
    await waitFor(() => expect(messageNodes().at(-1)).toHaveAttribute("data-status", "sent"));
    expect(messageNodes().at(-1)).toHaveAttribute("data-seq", "61");
    expect(messageNodes().at(-1)).toHaveAttribute("data-mine", "true");
    expect(messageNodes()).toHaveLength(51);
  });

  it("marks a failed send and retries it with the same client_msg_id", async () => {
    const { user, socket } = await openConversation();
    socket.handle("message:send", () => ({ ok: false, error: { code: "invalid_input", message: "Not now." } }));

    await user.type(screen.getByRole("textbox", { name: "Message" }), "are you there?{Enter}");
    await waitFor(() => expect(messageNodes().at(-1)).toHaveAttribute("data-status", "failed"));
    const firstId = messageNodes().at(-1)?.getAttribute("data-client-msg-id");

    socket.handle("message:send", (payload) => ({
      ok: true,
      message: msg(61, { sender_id: me.id, ...(payload as { client_msg_id: string; body: string }) }),
    }));
    await user.click(screen.getByRole("button", { name: "Retry" }));

    await waitFor(() => expect(messageNodes().at(-1)).toHaveAttribute("data-status", "sent"));
    const ids = (socket.sent("message:send") as { client_msg_id: string }[]).map((p) => p.client_msg_id);
    expect(ids).toEqual([firstId, firstId]);
    expect(screen.queryByRole("button", { name: "Retry" })).not.toBeInTheDocument();
  });

  it("sends again by itself, once, when the server is briefly unavailable", async () => {
    const { user, socket } = await openConversation();
    let calls = 0;
    socket.handle("message:send", (payload) =>
      ++calls === 1
        ? { ok: false, error: { code: "unavailable", message: "Busy." } }
        : { ok: true, message: msg(61, { sender_id: me.id, ...(payload as { client_msg_id: string; body: string }) }) },
    );
    await user.type(screen.getByRole("textbox", { name: "Message" }), "persist{Enter}");
    await waitFor(() => expect(messageNodes().at(-1)).toHaveAttribute("data-status", "sent"));
    const ids = (socket.sent("message:send") as { client_msg_id: string }[]).map((p) => p.client_msg_id);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(ids[1]);
  });

  it("shows incoming messages, typing and 'seen' live, and renders text as text", async () => {
    const { socket, container } = await openConversation([msg(1), msg(2, { sender_id: me.id })]);

    act(() => socket.serverEmit("typing", { conversation_id: 10, user_id: bob.id }));
    expect(screen.getByTestId("typing-indicator")).toHaveTextContent("Bob Builder is typing");

    act(() => socket.serverEmit("message:new", { message: msg(3, { body: "<img src=x onerror=alert(1)>" }) }));
    expect(await screen.findByText("<img src=x onerror=alert(1)>")).toBeInTheDocument();
    expect(container.querySelector("[data-testid=message] img")).toBeNull();
    expect(screen.queryByTestId("typing-indicator")).not.toBeInTheDocument();

    // We read it (the page is visible): our marker moves.
    await waitFor(() => expect(socket.sent("conversation:read")).toContainEqual({ conversation_id: 10, seq: 3 }));

    expect(screen.queryByTestId("seen-indicator")).not.toBeInTheDocument();
    act(() =>
      socket.serverEmit("conversation:read", { conversation_id: 10, user_id: bob.id, seq: 2, unread_count: null }),
    );
    const seen = await screen.findByTestId("seen-indicator");
    expect(seen).toHaveTextContent("Seen");
    expect(seen.closest("[data-testid=message]")).toHaveAttribute("data-seq", "2");
  });

  it("fills a gap when a message arrives past the last seq held", async () => {
    const messages = [msg(1), msg(2), msg(3), msg(4)];
    const { socket } = await openConversation(messages.slice(0, 2));
    // 3 and 4 are stored, but only 4's event reaches us.
    const server = chatApi([direct], { 10: messages });
    act(() => socket.serverEmit("message:new", { message: msg(4) }));
    await waitFor(() => expect(messageNodes().map((n) => n.dataset.seq)).toEqual(["1", "2", "3", "4"]));
    expect(server.to("GET /api/conversations/10/messages")[0]?.url.searchParams.get("after_seq")).toBe("2");
  });

  it("shows 'Reconnecting…' while disconnected and resyncs on reconnect, with no duplicates", async () => {
    const messages = [msg(1), msg(2)];
    const { socket } = await openConversation(messages);
    expect(screen.queryByTestId("connection-banner")).not.toBeInTheDocument();

    act(() => socket.serverDisconnect());
    expect(screen.getByTestId("connection-banner")).toHaveTextContent("Reconnecting…");
    expect(screen.getByTestId("connection-banner")).toHaveAttribute("role", "status");

    // Sent while we were away; 3 also arrives as an event right after reconnecting.
    const later = [...messages, msg(3), msg(4, { body: "missed" })];
    chatApi([{ ...direct, last_message: msg(4), last_seq: 4 }], { 10: later });
    act(() => socket.serverConnect());
    act(() => socket.serverEmit("message:new", { message: msg(3) }));

    expect(await screen.findByText("missed")).toBeInTheDocument();
    expect(screen.queryByTestId("connection-banner")).not.toBeInTheDocument();
    expect(messageNodes().map((n) => n.dataset.seq)).toEqual(["1", "2", "3", "4"]);
  });

  it("edits and deletes our own messages", async () => {
    const mine = msg(2, { sender_id: me.id, body: "typo" });
    const { user, socket } = await openConversation([msg(1), mine]);
    socket.handle("message:edit", (p) => ({
      ok: true,
      message: { ...mine, body: (p as { body: string }).body, edited_at: "2024-06-15T13:00:00Z", change_seq: 1 },
    }));
    socket.handle("message:delete", () => ({ ok: true, message: { ...mine, body: "", deleted: true, change_seq: 2 } }));
    const own = messageNodes()[1] as HTMLElement;
    expect(within(messageNodes()[0] as HTMLElement).queryByRole("button", { name: "Edit message" })).toBeNull();

    await user.click(within(own).getByRole("button", { name: "Edit message" }));
    const box = screen.getByRole("textbox", { name: "Edit your message" });
    await user.clear(box);
    await user.type(box, "fixed");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(within(messageNodes()[1] as HTMLElement).getByTestId("message-body")).toHaveTextContent("fixed"));
    expect(socket.sent("message:edit")).toEqual([{ message_id: 2, body: "fixed" }]);

    // Deleting asks first; cancelling sends nothing.
    await user.click(within(messageNodes()[1] as HTMLElement).getByRole("button", { name: "Delete message" }));
    const dialog = screen.getByRole("dialog", { name: "Delete message" });
    expect(dialog).toHaveTextContent("Delete this message for everyone?");
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(socket.sent("message:delete")).toEqual([]);

    await user.click(within(messageNodes()[1] as HTMLElement).getByRole("button", { name: "Delete message" }));
    await user.click(within(screen.getByRole("dialog", { name: "Delete message" })).getByRole("button", { name: "Delete" }));
    expect(socket.sent("message:delete")).toEqual([{ message_id: 2 }]);
    await waitFor(() =>
      expect(within(messageNodes()[1] as HTMLElement).getByTestId("message-body")).toHaveTextContent("Message deleted"),
    );
  });

  it("names the authors of messages who have left the group", async () => {
    const carol = makeUser({ id: 3, username: "carol", display_name: "Carol Former" });
    const group = makeConversation({ id: 11, kind: "group", title: "Team", members: [me, bob] });
    const messages = [
      makeMessage({ seq: 1, id: 101, conversation_id: 11, sender_id: carol.id, body: "bye all" }),
      makeMessage({ seq: 2, id: 102, conversation_id: 11, sender_id: bob.id, body: "bye carol" }),
    ];
    const server = chatApi([{ ...group, last_message: messages[1] ?? null, last_seq: 2 }], { 11: messages }, {
      "GET /api/users/3": () => json(200, carol),
    });
    renderApp("/c/11");
    const socket = await waitFor(() => currentSocket());
    act(() => socket.serverConnect());
    await waitFor(() => expect(screen.getAllByTestId("message")).toHaveLength(2));
    expect(await within(messageNodes()[0] as HTMLElement).findByText("Carol Former")).toBeInTheDocument();
    expect(within(messageNodes()[1] as HTMLElement).getByText("Bob Builder")).toBeInTheDocument();
    expect(server.to("GET /api/users/3")).toHaveLength(1);
  });
});
