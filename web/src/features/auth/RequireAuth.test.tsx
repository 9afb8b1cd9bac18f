import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { renderApp } from "../../test/render";
import { apiError, json, makeMe, makeUser, mockApi, notSignedIn } from "../../test/server";

describe("RequireAuth", () => {
  it("redirects to /login when /api/auth/me answers 401, and comes back after signing in", async () => {
    let signedIn = false;
    const server = mockApi({
      "GET /api/auth/me": (request) => (signedIn ? json(200, makeMe()) : notSignedIn(request)),
      "POST /api/auth/login": () => {
        signedIn = true;
        return json(200, { user: makeUser(), token: "secret", expires_at: "2030-01-01T00:00:00Z" });
      },
      "GET /api/users": () => json(200, { users: [], next_cursor: null }),
    });
    const { user, router } = renderApp("/");

    expect(await screen.findByRole("button", { name: "Sign in" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/login");
    expect(server.to("GET /api/users")).toHaveLength(0);

    await user.type(screen.getByLabelText("Username or email"), "alice");
    await user.type(screen.getByLabelText("Password"), "correct horse battery staple");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByText("Signed in as Alice Liddell")).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/");
  });

  it("offers a retry when the session check fails for another reason", async () => {
    let healthy = false;
    mockApi({
      "GET /api/auth/me": () => (healthy ? json(200, makeMe()) : apiError(503, "unavailable", "Server is starting up.")),
      "GET /api/users": () => json(200, { users: [], next_cursor: null }),
    });
    const { user, router } = renderApp("/");

    expect(await screen.findByRole("heading", { name: "Couldn't load VaultRoom" })).toBeInTheDocument();
    expect(screen.getAllByText("Server is starting up.").length).toBeGreaterThan(0);
    expect(router.state.location.pathname).toBe("/");

    healthy = true;
    await user.click(screen.getByRole("button", { name: "Try again" }));

    expect(await screen.findByText("Signed in as Alice Liddell")).toBeInTheDocument();
  });

  it("shows a not-found page for unknown addresses", async () => {
    mockApi({});
    renderApp("/no/such/page");
    expect(await screen.findByRole("heading", { name: "Page not found" })).toBeInTheDocument();
  });
});
