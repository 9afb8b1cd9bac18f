import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { renderApp } from "../../test/render";
import { apiError, json, makeMe, makeUser, mockApi, notSignedIn } from "../../test/server";

describe("LoginPage", () => {
  it("shows the server's message for wrong credentials", async () => {
    const server = mockApi({
      "POST /api/auth/login": () => apiError(401, "invalid_credentials", "Wrong username, email or password."),
    });
    const { user } = renderApp("/login");

    await user.type(screen.getByLabelText("Username or email"), "alice");
    await user.type(screen.getByLabelText("Password"), "not-my-password");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong username, email or password.");
    expect(server.to("POST /api/auth/login")[0]?.body).toEqual({ login: "alice", password: "not-my-password" });
    expect(screen.getByRole("button", { name: "Sign in" })).toBeEnabled();
  });

  it("shows 422 field messages inline", async () => {
    mockApi({
      "POST /api/auth/login": () =>
        apiError(422, "invalid_input", "Invalid input.", { login: "Enter a username or an email address." }),
    });
    const { user } = renderApp("/login");

    await user.type(screen.getByLabelText("Username or email"), "@@");
    await user.type(screen.getByLabelText("Password"), "whatever-it-is");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    const login = screen.getByLabelText("Username or email");
    await waitFor(() => expect(login).toHaveAccessibleDescription("Enter a username or an email address."));
    expect(login).toHaveAttribute("aria-invalid", "true");
  });

  it("asks for both fields before calling the server", async () => {
    const server = mockApi({});
    const { user } = renderApp("/login");

    await user.click(screen.getByRole("button", { name: "Sign in" }));

    expect(screen.getByLabelText("Username or email")).toHaveAccessibleDescription("Enter your username or email.");
    expect(screen.getByLabelText("Password")).toHaveAccessibleDescription("Enter your password.");
    expect(server.requests).toHaveLength(0);
  });

  it("signs in and goes to the home page", async () => {
    let signedIn = false;
    mockApi({
      "POST /api/auth/login": () => {
        signedIn = true;
        return json(200, { user: makeUser({ username: "alice" }), token: "secret", expires_at: "2030-01-01T00:00:00Z" });
      },
      "GET /api/auth/me": (request) => (signedIn ? json(200, makeMe()) : notSignedIn(request)),
      "GET /api/users": () => json(200, { users: [], next_cursor: null }),
    });
    const { user, router } = renderApp("/login");

    await user.type(screen.getByLabelText("Username or email"), "alice@example.com");
    await user.type(screen.getByLabelText("Password"), "correct horse battery staple");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByText("Signed in as Alice Liddell")).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/");
    expect(localStorage.length + sessionStorage.length).toBe(0);
  });

  it("links to the registration page", async () => {
    mockApi({});
    const { user, router } = renderApp("/login");

    await user.click(screen.getByRole("link", { name: "Create an account" }));

    expect(router.state.location.pathname).toBe("/register");
    expect(screen.getByLabelText("Username")).toBeInTheDocument();
  });
});
