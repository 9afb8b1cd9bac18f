import { screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { renderApp } from "../../test/render";
import { apiError, json, makeMe, makeUser, mockApi, notSignedIn } from "../../test/server";

// The real meter lazy-loads zxcvbn; keep these tests about the form itself.
vi.mock("./passwordStrength", async (importOriginal) => ({
  ...(await importOriginal<typeof import("./passwordStrength")>()),
  loadStrengthChecker: () => Promise.resolve(() => 3 as const),
}));

const GOOD_PASSWORD = "violet-harbour-lantern-42";

async function fillForm(user: ReturnType<typeof renderApp>["user"], values: Partial<Record<string, string>> = {}) {
  const { username = "bob", email = "bob@example.com", displayName = "", password = GOOD_PASSWORD } = values;
  if (username) await user.type(screen.getByLabelText("Username"), username);
  if (email) await user.type(screen.getByLabelText("Email"), email);
  if (displayName) await user.type(screen.getByLabelText("Display name (optional)"), displayName);
  if (password) await user.type(screen.getByLabelText("Password"), password);
}

describe("RegisterPage", () => {
  beforeEach(() => {
    document.title = "VaultRoom";
  });

  it("shows a 409 username_taken message inline under Username", async () => {
    const server = mockApi({
      "POST /api/auth/register": () =>
        apiError(409, "username_taken", "That username is already taken.", {
          username: "This username is already taken.",
        }),
    });
    const { user } = renderApp("/register");

    await fillForm(user);
    await user.click(screen.getByRole("button", { name: "Create account" }));

    const username = screen.getByLabelText("Username");
    await waitFor(() => expect(username).toHaveAttribute("aria-invalid", "true"));
    expect(username).toHaveAccessibleDescription("This username is already taken.");
    expect(username).toHaveFocus();
    expect(screen.getByLabelText("Email")).not.toHaveAttribute("aria-invalid");
    expect(server.to("POST /api/auth/register")).toHaveLength(1);

    // Editing the field clears its server error.
    await user.type(username, "by");
    expect(username).not.toHaveAttribute("aria-invalid");
    expect(screen.queryByText("This username is already taken.")).not.toBeInTheDocument();
  });

  it("shows 409 email_taken under Email", async () => {
    mockApi({
      "POST /api/auth/register": () =>
        apiError(409, "email_taken", "That email is already registered.", {
          email: "An account with this email already exists.",
        }),
    });
    const { user } = renderApp("/register");

    await fillForm(user);
    await user.click(screen.getByRole("button", { name: "Create account" }));

    expect(await screen.findByText("An account with this email already exists.")).toBeInTheDocument();
    expect(screen.getByLabelText("Email")).toHaveAccessibleDescription("An account with this email already exists.");
  });

  it("shows 422 invalid_input field messages under each field", async () => {
    mockApi({
      "POST /api/auth/register": () =>
        apiError(422, "invalid_input", "Some fields are invalid.", {
          password: "This password is too easy to guess.",
          display_name: "Display name contains invalid characters.",
        }),
    });
    const { user } = renderApp("/register");

    await fillForm(user, { displayName: "Bobby" });
    await user.click(screen.getByRole("button", { name: "Create account" }));

    const password = screen.getByLabelText("Password");
    await waitFor(() => expect(password).toHaveAttribute("aria-invalid", "true"));
    expect(password).toHaveAccessibleDescription("This password is too easy to guess.");
    const displayName = screen.getByLabelText("Display name (optional)");
    expect(displayName).toHaveAttribute("aria-invalid", "true");
    expect(displayName).toHaveAccessibleDescription("Display name contains invalid characters.");
    // Focus goes to the first invalid field in form order.
    expect(displayName).toHaveFocus();
  });

  it("shows other errors in a toast", async () => {
    mockApi({
      "POST /api/auth/register": () => apiError(429, "rate_limited", "Too many sign-ups from your network."),
    });
    const { user } = renderApp("/register");

    await fillForm(user);
    await user.click(screen.getByRole("button", { name: "Create account" }));

    expect(await screen.findByText("Too many sign-ups from your network.")).toBeInTheDocument();
    expect(screen.getByLabelText("Username")).not.toHaveAttribute("aria-invalid");
  });

  it("checks obvious mistakes before calling the server", async () => {
    const server = mockApi({});
    const { user } = renderApp("/register");

    await fillForm(user, { username: "a!", email: "not-an-email", password: "short" });
    await user.click(screen.getByRole("button", { name: "Create account" }));

    expect(screen.getByLabelText("Username")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("Email")).toHaveAccessibleDescription("Enter a valid email address.");
    expect(screen.getByLabelText("Password")).toHaveAccessibleDescription("Use at least 8 characters.");
    expect(server.requests).toHaveLength(0);
  });

  it("creates the account, then lands on the home page", async () => {
    const me = makeMe({ username: "bob", display_name: "Bobby Tables", email: "bob@example.com" });
    let signedIn = false;
    const server = mockApi({
      "POST /api/auth/register": () => {
        signedIn = true;
        return json(201, { user: makeUser({ username: "bob", display_name: "Bobby Tables" }), token: "t0k3n" });
      },
      "GET /api/auth/me": (request) => (signedIn ? json(200, me) : notSignedIn(request)),
      "GET /api/users": () => json(200, { users: [], next_cursor: null }),
    });
    const { user, router } = renderApp("/register");

    await fillForm(user, { username: "Bob", displayName: "  Bobby Tables " });
    await user.click(screen.getByRole("button", { name: "Create account" }));

    expect(await screen.findByText("Signed in as Bobby Tables")).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/");
    expect(server.to("POST /api/auth/register")[0]?.body).toEqual({
      username: "Bob",
      email: "bob@example.com",
      password: GOOD_PASSWORD,
      display_name: "Bobby Tables",
    });
    expect(localStorage.length + sessionStorage.length).toBe(0);
  });

  it("leaves out an empty display name and links to sign in", async () => {
    const server = mockApi({
      "POST /api/auth/register": () => apiError(500, "internal_error", "Internal error."),
    });
    const { user, router } = renderApp("/register");

    await fillForm(user);
    await user.click(screen.getByRole("button", { name: "Create account" }));
    await screen.findByText("Internal error.");
    expect(server.to("POST /api/auth/register")[0]?.body).not.toHaveProperty("display_name");

    await user.click(within(screen.getByText(/already have an account/i)).getByRole("link", { name: "Sign in" }));
    expect(router.state.location.pathname).toBe("/login");
  });

  it("shows a password strength meter while typing", async () => {
    mockApi({});
    const { user } = renderApp("/register");

    await user.type(screen.getByLabelText("Password"), "something");

    expect(await screen.findByText("Good")).toBeInTheDocument();
    expect(screen.getByText(/Password strength/)).toBeInTheDocument();
  });
});
