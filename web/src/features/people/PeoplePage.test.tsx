import { act, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { chatApi } from "../../test/chatApi";
import { makeConversation, me } from "../../test/fixtures";
import { renderApp } from "../../test/render";
import { apiError, json, makeUser, notSignedIn, type Handler } from "../../test/server";
import { currentSocket } from "../../test/socket";

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

const bob = makeUser({ id: 2, username: "bob", display_name: "Bob Builder", online: true, last_seen_at: null });
const carol = makeUser({ id: 3, username: "carol", display_name: null, online: false, last_seen_at: minutesAgo(5) });
const dave = makeUser({ id: 4, username: "dave", display_name: "Dave", role: "admin" });

function peopleApi(overrides: Record<string, Handler> = {}) {
  return chatApi([], {}, {
    "GET /api/users": ({ url }) => {
      const q = url.searchParams.get("q") ?? "";
      return json(200, { users: [bob, carol, dave].filter((u) => u.username.startsWith(q)), next_cursor: null });
    },
    ...overrides,
  });
}

const rows = () => within(screen.getByRole("list", { name: "People" })).getAllByTestId("person-item");

describe("PeoplePage", () => {
  it("lists everyone with presence, last seen and roles", async () => {
    peopleApi();
    renderApp("/people");
    expect(await screen.findByRole("heading", { name: "People" })).toBeInTheDocument();
    await waitFor(() => expect(rows()).toHaveLength(3));

    const [bobRow, carolRow, daveRow] = rows() as [HTMLElement, HTMLElement, HTMLElement];
    expect(bobRow).toHaveAttribute("data-username", "bob");
    expect(within(bobRow).getByText("Bob Builder")).toBeInTheDocument();
    expect(within(bobRow).getByText("Online")).toBeInTheDocument();
    expect(within(bobRow).getByTestId("presence-dot")).toHaveAttribute("data-online", "true");
    expect(within(carolRow).getByText("carol")).toBeInTheDocument();
    expect(within(carolRow).getByText("Last seen 5 minutes ago")).toBeInTheDocument();
    expect(within(carolRow).getByTestId("presence-dot")).toHaveAttribute("data-online", "false");
    expect(within(daveRow).getByText("Admin")).toBeInTheDocument();
    expect(within(daveRow).getByText("Offline")).toBeInTheDocument();
  });

  it("updates presence dots live", async () => {
    peopleApi();
    renderApp("/people");
    await waitFor(() => expect(rows()).toHaveLength(3));
    act(() => currentSocket().serverEmit("presence", { user_id: 3, online: true, last_seen_at: null }));
    await waitFor(() => expect(within(rows()[1] as HTMLElement).getByTestId("presence-dot")).toHaveAttribute("data-online", "true"));
  });

  it("watches the presence of the people it shows, and applies the states the server acks", async () => {
    const dm = makeConversation({ id: 20, members: [me, makeUser({ id: 7, username: "gina" })] });
    const erin = makeUser({ id: 5, username: "erin", online: false, last_seen_at: minutesAgo(9) });
    chatApi([dm], {}, {
      "GET /api/users": ({ url }) =>
        json(200, { users: url.searchParams.get("q") === "er" ? [erin] : [bob, carol, dave], next_cursor: null }),
    });
    const { user } = renderApp("/people");
    const socket = await waitFor(() => currentSocket());
    // Erin is online by the time she is watched: only the ack says so.
    socket.handle("presence:watch", (payload) => ({
      ok: true,
      presence: (payload as { user_ids: number[] }).user_ids.includes(5)
        ? [{ user_id: 5, online: true, last_seen_at: null }]
        : [],
    }));
    act(() => socket.serverConnect());
    await waitFor(() => expect(rows()).toHaveLength(3));

    // Conversation members and the listed people, once the list is loaded.
    await waitFor(() => expect(socket.sent("presence:watch").at(-1)).toEqual({ user_ids: [2, 3, 4, 7] }));
    await user.type(screen.getByRole("searchbox", { name: "Search people" }), "er");
    await waitFor(() => expect(rows()).toHaveLength(1));
    await waitFor(() => expect(socket.sent("presence:watch").at(-1)).toEqual({ user_ids: [2, 3, 4, 5, 7] }));
    await waitFor(() =>
      expect(within(rows()[0] as HTMLElement).getByTestId("presence-dot")).toHaveAttribute("data-online", "true"),
    );
    const sentBefore = socket.sent("presence:watch").length;

    // A new socket on the server watches everyone again: the set is sent after every reconnect.
    act(() => socket.serverDisconnect());
    act(() => socket.serverConnect());
    await waitFor(() => expect(socket.sent("presence:watch").length).toBeGreaterThan(sentBefore));
    expect(socket.sent("presence:watch").at(-1)).toEqual({ user_ids: [2, 3, 4, 5, 7] });
  });

  it("renders names as text, never as HTML", async () => {
    const sneaky = makeUser({ id: 9, username: "eve", display_name: '<img src=x onerror="alert(1)">' });
    peopleApi({ "GET /api/users": () => json(200, { users: [sneaky], next_cursor: null }) });
    const { container } = renderApp("/people");
    expect(await screen.findByText('<img src=x onerror="alert(1)">')).toBeInTheDocument();
    expect(container.querySelector("img")).toBeNull();
  });

  it("searches by username prefix, and says so when nobody matches", async () => {
    const server = peopleApi();
    const { user } = renderApp("/people");
    await waitFor(() => expect(rows()).toHaveLength(3));

    await user.type(screen.getByRole("searchbox", { name: "Search people" }), "Ca");
    await waitFor(() => expect(server.to("GET /api/users").some((r) => r.url.searchParams.get("q") === "ca")).toBe(true));
    await waitFor(() => expect(rows()).toHaveLength(1));

    await user.clear(screen.getByRole("searchbox", { name: "Search people" }));
    await user.type(screen.getByRole("searchbox", { name: "Search people" }), "zed");
    expect(await screen.findByText(/No one matches/)).toHaveTextContent("No one matches “zed”.");
  });

  it("shows an empty state, pages with the cursor, and retries after an error", async () => {
    let fail = true;
    peopleApi({
      "GET /api/users": ({ url }) =>
        fail
          ? apiError(500, "internal_error", "Database unavailable.")
          : url.searchParams.get("cursor") === "page-2"
            ? json(200, { users: [dave], next_cursor: null })
            : json(200, { users: [bob, carol], next_cursor: "page-2" }),
    });
    const { user } = renderApp("/people");
    expect(await screen.findByText("Database unavailable.")).toBeInTheDocument();
    fail = false;
    await user.click(screen.getByRole("button", { name: "Try again" }));
    await waitFor(() => expect(rows()).toHaveLength(2));
    await user.click(screen.getByRole("button", { name: "Load more" }));
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
  });

  it("opens the direct conversation with anyone, online or not", async () => {
    const conversation = makeConversation({ id: 33, members: [me, carol] });
    const server = peopleApi({ "POST /api/conversations/direct": () => json(201, conversation) });
    const { user, router } = renderApp("/people");
    await waitFor(() => expect(rows()).toHaveLength(3));

    await user.click(screen.getByRole("button", { name: "Message carol" }));

    await waitFor(() => expect(router.state.location.pathname).toBe("/c/33"));
    expect(server.to("POST /api/conversations/direct")[0]?.body).toEqual({ user_id: 3 });
    const item = await screen.findByTestId("conversation-item");
    expect(item).toHaveAttribute("data-conversation-id", "33");
  });

  it("returns to sign-in when the session has expired", async () => {
    let expired = false;
    peopleApi({
      "GET /api/auth/me": (request) => (expired ? notSignedIn(request) : json(200, me)),
      "GET /api/users": (request) => (expired ? notSignedIn(request) : json(200, { users: [bob], next_cursor: null })),
    });
    const { user, router } = renderApp("/people");
    await waitFor(() => expect(rows()).toHaveLength(1));
    expired = true;
    await user.type(screen.getByRole("searchbox", { name: "Search people" }), "b");
    expect(await screen.findByRole("button", { name: "Sign in" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/login");
  });
});
