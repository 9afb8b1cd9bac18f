import { act, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { chatApi } from "../test/chatApi";
import { makeConversation, makeMessage, me } from "../test/fixtures";
import { renderApp } from "../test/render";
import { makeUser } from "../test/server";
import { currentSocket } from "../test/socket";

const bob = makeUser({ id: 2, username: "bob", display_name: "Bob Builder" });
const carol = makeUser({ id: 3, username: "carol" });
const withBob = makeConversation({
  id: 10,
  members: [me, bob],
  last_message: makeMessage({ seq: 1, conversation_id: 10, body: "old news", created_at: "2024-06-15T10:00:00Z" }),
});
const team = makeConversation({
  id: 11,
  kind: "group",
  title: "Team",
  members: [me, bob, carol],
  last_message: makeMessage({ seq: 4, conversation_id: 11, sender_id: me.id, body: "see you", created_at: "2024-06-15T11:00:00Z" }),
  unread_count: 2,
});

const items = () => within(screen.getByRole("navigation", { name: "Conversations" })).queryAllByTestId("conversation-item");

async function start() {
  const server = chatApi([team, withBob]);
  const view = renderApp("/");
  await waitFor(() => expect(items()).toHaveLength(2));
  const socket = currentSocket();
  act(() => socket.serverConnect());
  return { ...view, server, socket };
}

describe("the signed-in shell", () => {
  it("lists conversations with titles, previews and unread badges, and the app's sections", async () => {
    await start();
    const [first, second] = items() as [HTMLElement, HTMLElement];
    expect(first).toHaveAttribute("data-conversation-id", "11");
    expect(first).toHaveAttribute("href", "/c/11");
    expect(within(first).getByText("Team")).toBeInTheDocument();
    expect(within(first).getByText("You: see you")).toBeInTheDocument();
    expect(within(first).getByTestId("unread-badge")).toHaveTextContent("2");
    expect(within(second).getByText("Bob Builder")).toBeInTheDocument();
    expect(within(second).queryByTestId("unread-badge")).toBeNull();
    expect(screen.getByRole("link", { name: "People" })).toHaveAttribute("href", "/people");
    expect(screen.getByRole("link", { name: "New group" })).toHaveAttribute("href", "/new-group");
    expect(screen.getByRole("link", { name: "Account" })).toHaveAttribute("href", "/account");
    expect(screen.getByText("Signed in as Alice Liddell")).toBeInTheDocument();
  });

  it("moves a conversation up and counts unread messages live", async () => {
    const { socket } = await start();
    const message = makeMessage({ seq: 2, conversation_id: 10, sender_id: bob.id, body: "news!", created_at: "2024-06-15T12:00:00Z" });
    act(() => socket.serverEmit("message:new", { message }));

    await waitFor(() => expect(items()[0]).toHaveAttribute("data-conversation-id", "10"));
    const first = items()[0] as HTMLElement;
    expect(within(first).getByText("news!")).toBeInTheDocument();
    expect(within(first).getByTestId("unread-badge")).toHaveTextContent("1");

    act(() => socket.serverEmit("conversation:read", { conversation_id: 10, user_id: me.id, seq: 2, unread_count: 0 }));
    await waitFor(() => expect(within(items()[0] as HTMLElement).queryByTestId("unread-badge")).toBeNull());
  });

  it("adds, renames and drops conversations as membership changes", async () => {
    const { socket } = await start();
    const { last_read_seq: _r, unread_count: _u, ...state } = makeConversation({
      id: 12,
      kind: "group",
      title: "New crew",
      members: [me, carol],
      created_at: "2024-06-15T13:00:00Z",
    });
    act(() => socket.serverEmit("conversation:updated", { conversation: state }));
    await waitFor(() => expect(items()).toHaveLength(3));
    expect(within(items()[0] as HTMLElement).getByText("New crew")).toBeInTheDocument();

    act(() => socket.serverEmit("conversation:updated", { conversation: { ...state, title: "Renamed" } }));
    expect(await screen.findByText("Renamed")).toBeInTheDocument();

    act(() => socket.serverEmit("conversation:removed", { conversation_id: 12 }));
    await waitFor(() => expect(items()).toHaveLength(2));
  });

  it("runs a resync when the server asks for one", async () => {
    const { socket, server } = await start();
    const before = server.to("GET /api/conversations").length;
    act(() => socket.serverEmit("resync", {}));
    await waitFor(() => expect(server.to("GET /api/conversations").length).toBe(before + 1));
  });

  it("goes to sign-in when the session is revoked", async () => {
    const { socket, router } = await start();
    act(() => socket.serverEmit("session:revoked", { session_id: 1 }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/login"));
    expect(await screen.findByText("Your session ended. Please sign in again.")).toBeInTheDocument();
  });

  it("tells what to do when there are no conversations", async () => {
    chatApi([]);
    renderApp("/");
    expect(await screen.findByText("No conversations yet")).toBeInTheDocument();
    expect(screen.getByText("Pick a conversation")).toBeInTheDocument();
  });
});
