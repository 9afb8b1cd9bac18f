import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { chatApi } from "../../test/chatApi";
import { makeConversation, me } from "../../test/fixtures";
import { renderApp } from "../../test/render";
import { json, makeUser, noContent } from "../../test/server";
import type { Conversation } from "../../lib/types";

const bob = makeUser({ id: 2, username: "bob" });
const carol = makeUser({ id: 3, username: "carol" });
const users = () => json(200, { users: [bob, carol], next_cursor: null });

function group(overrides: Partial<Conversation> = {}): Conversation {
  const base = makeConversation({ id: 20, kind: "group", title: "Team", members: [me, bob], ...overrides });
  return {
    ...base,
    memberships: base.members.map((m) => ({
      user_id: m.id,
      role: m.id === me.id ? "owner" : "member",
      last_read_seq: 0,
      joined_at: "2024-01-01T00:00:00Z",
    })),
  };
}

describe("groups", () => {
  it("creates a group with a title and members", async () => {
    const created = group({ members: [me, bob, carol] });
    const server = chatApi([], {}, {
      "GET /api/users": users,
      "POST /api/conversations/group": () => json(201, created),
      "GET /api/conversations/20": () => json(200, created),
      "GET /api/conversations/20/messages": () => json(200, { messages: [], has_more: false }),
    });
    const { user, router } = renderApp("/new-group");

    await user.click(await screen.findByRole("button", { name: "Create group" }));
    expect(await screen.findByText("Give the group a name.")).toBeInTheDocument();

    await user.type(screen.getByLabelText("Group name"), "Team");
    await user.click(await screen.findByRole("checkbox", { name: "bob" }));
    await user.click(screen.getByRole("checkbox", { name: "carol" }));
    await user.click(screen.getByRole("button", { name: "Create group" }));

    await waitFor(() => expect(router.state.location.pathname).toBe("/c/20"));
    expect(server.to("POST /api/conversations/group")[0]?.body).toEqual({ title: "Team", member_ids: [2, 3] });
    expect(await screen.findByText("No messages yet. Say hello!")).toBeInTheDocument();
  });

  it("renames, adds and removes members, and leaves", async () => {
    let current = group();
    const server = chatApi([current], { 20: [] }, {
      "GET /api/users": users,
      "PATCH /api/conversations/20": ({ body }) => {
        current = { ...current, title: (body as { title: string }).title };
        return json(200, current);
      },
      "POST /api/conversations/20/members": () => {
        current = group({ title: current.title, members: [me, bob, carol] });
        return json(200, current);
      },
      "DELETE /api/conversations/20/members/2": noContent,
      "DELETE /api/conversations/20/members/1": noContent,
    });
    const { user, router } = renderApp("/c/20");

    await user.click(await screen.findByRole("button", { name: "Group settings" }));
    const dialog = await screen.findByRole("dialog", { name: "Group settings" });
    const name = within(dialog).getByLabelText("Group name");
    await user.clear(name);
    await user.type(name, "Dream team");
    await user.click(within(dialog).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(within(screen.getByTestId("conversation-header")).getByText("Dream team")).toBeInTheDocument());

    await user.type(within(dialog).getByLabelText("Add members"), "c");
    await user.click(await within(dialog).findByRole("button", { name: "carol" }));
    await waitFor(() => expect(within(dialog).getAllByTestId("member-item")).toHaveLength(3));

    await user.click(within(dialog).getByRole("button", { name: "Remove bob" }));
    await waitFor(() => expect(within(dialog).getAllByTestId("member-item")).toHaveLength(2));
    expect(server.to("DELETE /api/conversations/20/members/2")).toHaveLength(1);

    await user.click(within(dialog).getByRole("button", { name: "Leave group" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/"));
    expect(screen.queryByTestId("conversation-item")).not.toBeInTheDocument();
  });
});
