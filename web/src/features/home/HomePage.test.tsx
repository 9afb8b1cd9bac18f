import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { meQueryKey } from "../auth/queries";
import { renderApp } from "../../test/render";
import { apiError, json, makeMe, makeUser, mockApi, noContent, notSignedIn, type Handler } from "../../test/server";

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

const bob = makeUser({ id: 2, username: "bob", display_name: "Bob Builder", online: true, last_seen_at: null });
const carol = makeUser({ id: 3, username: "carol", display_name: null, online: false, last_seen_at: minutesAgo(5) });
const dave = makeUser({ id: 4, username: "dave", display_name: "Dave", role: "admin" });

function signedInApi(overrides: Record<string, Handler> = {}) {
  return mockApi({
    "GET /api/auth/me": () => json(200, makeMe()),
    "GET /api/users": ({ url }) => {
      const q = url.searchParams.get("q") ?? "";
      const users = [bob, carol, dave].filter((u) => u.username.startsWith(q));
      return json(200, { users, next_cursor: null });
    },
    "POST /api/auth/logout": noContent,
    ...overrides,
  });
}

describe("HomePage", () => {
  it("shows who is signed in and the people list", async () => {
    signedInApi();
    renderApp("/");

    expect(await screen.findByText("Signed in as Alice Liddell")).toBeInTheDocument();
    expect(screen.getByText("VaultRoom")).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "People" })).toBeInTheDocument();
    expect(screen.getByText(/conversations are coming/i)).toBeInTheDocument();

    const list = await screen.findByRole("list", { name: "People" });
    const rows = within(list).getAllByRole("listitem");
    expect(rows).toHaveLength(3);

    const [bobRow, carolRow, daveRow] = rows as [HTMLElement, HTMLElement, HTMLElement];
    expect(within(bobRow).getByText("Bob Builder")).toBeInTheDocument();
    expect(within(bobRow).getByText("@bob")).toBeInTheDocument();
    expect(within(bobRow).getByText("Online")).toBeInTheDocument();
    expect(within(bobRow).getByTestId("presence-dot")).toHaveAttribute("data-online", "true");

    // No display name: the username stands in.
    expect(within(carolRow).getByText("carol")).toBeInTheDocument();
    expect(within(carolRow).getByText("Last seen 5 minutes ago")).toBeInTheDocument();
    expect(within(carolRow).getByTestId("presence-dot")).toHaveAttribute("data-online", "false");

    expect(within(daveRow).getByText("Admin")).toBeInTheDocument();
    expect(within(daveRow).getByText("Offline")).toBeInTheDocument();
  });

  it("uses the username when the signed-in user has no display name", async () => {
    signedInApi({ "GET /api/auth/me": () => json(200, makeMe({ display_name: null })) });
    renderApp("/");
    expect(await screen.findByText("Signed in as alice")).toBeInTheDocument();
  });

  it("renders names as text, never as HTML", async () => {
    const sneaky = makeUser({ id: 9, username: "eve", display_name: '<img src=x onerror="alert(1)">' });
    signedInApi({ "GET /api/users": () => json(200, { users: [sneaky], next_cursor: null }) });
    const { container } = renderApp("/");

    expect(await screen.findByText('<img src=x onerror="alert(1)">')).toBeInTheDocument();
    expect(container.querySelector("img")).toBeNull();
  });

  it("searches people by username prefix with q", async () => {
    const server = signedInApi();
    const { user } = renderApp("/");
    await screen.findByRole("list", { name: "People" });

    await user.type(screen.getByRole("searchbox", { name: "Search people" }), "Ca");

    await waitFor(() =>
      expect(server.to("GET /api/users").some((r) => r.url.searchParams.get("q") === "ca")).toBe(true),
    );
    await waitFor(() => expect(within(screen.getByRole("list", { name: "People" })).getAllByRole("listitem")).toHaveLength(1));
    expect(screen.getByText("@carol")).toBeInTheDocument();
  });

  it("says so when nobody matches", async () => {
    signedInApi();
    const { user } = renderApp("/");
    await screen.findByRole("list", { name: "People" });

    await user.type(screen.getByRole("searchbox", { name: "Search people" }), "zed");

    expect(await screen.findByText(/No one matches/)).toHaveTextContent("No one matches “zed”.");
  });

  it("shows an empty state when there is nobody else", async () => {
    signedInApi({ "GET /api/users": () => json(200, { users: [], next_cursor: null }) });
    renderApp("/");
    expect(await screen.findByText(/No one else is here yet/)).toBeInTheDocument();
  });

  it("loads more people with the next cursor", async () => {
    const server = signedInApi({
      "GET /api/users": ({ url }) =>
        url.searchParams.get("cursor") === "page-2"
          ? json(200, { users: [dave], next_cursor: null })
          : json(200, { users: [bob, carol], next_cursor: "page-2" }),
    });
    const { user } = renderApp("/");
    const list = await screen.findByRole("list", { name: "People" });
    expect(within(list).getAllByRole("listitem")).toHaveLength(2);

    await user.click(screen.getByRole("button", { name: "Load more" }));

    await waitFor(() => expect(within(list).getAllByRole("listitem")).toHaveLength(3));
    expect(server.to("GET /api/users").at(-1)?.url.searchParams.get("cursor")).toBe("page-2");
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
  });

  it("shows a toast and a retry button when the people list fails", async () => {
    let fail = true;
    signedInApi({
      "GET /api/users": () =>
        fail ? apiError(500, "internal_error", "Database unavailable.") : json(200, { users: [bob], next_cursor: null }),
    });
    const { user } = renderApp("/");

    expect(await screen.findByText("Database unavailable.")).toBeInTheDocument();
    fail = false;
    await user.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByText("@bob")).toBeInTheDocument();
  });

  it("signs out: calls logout, forgets cached data and returns to the sign-in page", async () => {
    const server = signedInApi();
    const { user, router, queryClient } = renderApp("/");
    await screen.findByText("Signed in as Alice Liddell");

    await user.click(screen.getByRole("button", { name: "Sign out" }));

    expect(await screen.findByRole("button", { name: "Sign in" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/login");
    expect(server.to("POST /api/auth/logout")).toHaveLength(1);
    expect(server.to("POST /api/auth/logout")[0]?.init?.credentials).toBe("same-origin");
    await waitFor(() => expect(queryClient.getQueryData(meQueryKey)).toBeUndefined());
    expect(queryClient.getQueryCache().getAll()).toHaveLength(0);
  });

  it("returns to sign-in when the session has expired", async () => {
    let expired = false;
    signedInApi({
      "GET /api/auth/me": (request) => (expired ? notSignedIn(request) : json(200, makeMe())),
      "GET /api/users": (request) => (expired ? notSignedIn(request) : json(200, { users: [bob], next_cursor: null })),
    });
    const { user, router } = renderApp("/");
    await screen.findByText("@bob");

    expired = true;
    await user.type(screen.getByRole("searchbox", { name: "Search people" }), "b");

    expect(await screen.findByRole("button", { name: "Sign in" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/login");
  });
});
