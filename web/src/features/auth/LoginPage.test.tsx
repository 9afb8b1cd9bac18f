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

  describe("with two-factor sign-in", () => {
    const signedInAs = (username: string) =>
      json(200, { user: makeUser({ username }), token: "secret", expires_at: "2030-01-01T00:00:00Z" });
    const challenge = () =>
      json(202, { two_factor_required: true, challenge: "chal-1", expires_at: "2030-01-01T00:05:00Z" });

    async function passwordStep(user: ReturnType<typeof renderApp>["user"]) {
      await user.type(screen.getByLabelText("Username or email"), "alice");
      await user.type(screen.getByLabelText("Password"), "correct horse battery staple");
      await user.click(screen.getByRole("button", { name: "Sign in" }));
      return screen.findByLabelText("Two-factor code");
    }

    it("asks for the code after the password, keeps the step on a wrong code, then signs in", async () => {
      let signedIn = false;
      const server = mockApi({
        "POST /api/auth/login": challenge,
        "POST /api/auth/login/2fa": ({ body }) => {
          if ((body as { code: string }).code !== "654321") {
            return apiError(401, "invalid_code", "That code is not valid.", { code: "That code is not valid." });
          }
          signedIn = true;
          return signedInAs("alice");
        },
        "GET /api/auth/me": (request) => (signedIn ? json(200, makeMe()) : notSignedIn(request)),
        "GET /api/users": () => json(200, { users: [], next_cursor: null }),
      });
      const { user, router, queryClient } = renderApp("/login");

      const code = await passwordStep(user);
      expect(screen.getByRole("heading", { name: "Two-factor sign-in" })).toBeInTheDocument();
      await waitFor(() =>
        expect(JSON.stringify(queryClient.getMutationCache().getAll().map((m) => m.state.variables))).not.toContain(
          "correct horse",
        ),
      );
      expect(code).toHaveFocus();
      expect(code).toHaveAttribute("autocomplete", "one-time-code");
      expect(code).toHaveAttribute("inputmode", "numeric");
      // The password is gone with its step: no field, and no copy in the page.
      expect(screen.queryByLabelText("Password")).toBeNull();
      expect(document.body.innerHTML).not.toContain("correct horse battery staple");
      expect(router.state.location.pathname).toBe("/login");

      await user.type(code, "123456");
      await user.click(screen.getByRole("button", { name: "Verify" }));
      const field = screen.getByLabelText("Two-factor code");
      await waitFor(() =>
        expect(field).toHaveAccessibleDescription("That code isn't right. Enter the one your app shows now."),
      );
      expect(field).toHaveAttribute("aria-invalid", "true");

      await user.clear(field);
      await user.type(field, "654 321");
      await user.click(screen.getByRole("button", { name: "Verify" }));

      expect(await screen.findByText("Signed in as Alice Liddell")).toBeInTheDocument();
      expect(router.state.location.pathname).toBe("/");
      expect(server.to("POST /api/auth/login/2fa").map((r) => r.body)).toEqual([
        { challenge: "chal-1", code: "123456" },
        { challenge: "chal-1", code: "654321" },
      ]);
      expect(localStorage.length + sessionStorage.length).toBe(0);
    });

    it("takes a recovery code in the same field", async () => {
      let signedIn = false;
      const server = mockApi({
        "POST /api/auth/login": challenge,
        "POST /api/auth/login/2fa": () => {
          signedIn = true;
          return signedInAs("alice");
        },
        "GET /api/auth/me": (request) => (signedIn ? json(200, makeMe()) : notSignedIn(request)),
        "GET /api/users": () => json(200, { users: [], next_cursor: null }),
      });
      const { user } = renderApp("/login");

      await passwordStep(user);
      await user.click(screen.getByRole("button", { name: "Use a recovery code" }));
      const field = screen.getByLabelText("Recovery code");
      expect(field).toHaveFocus();
      expect(field).not.toHaveAttribute("autocomplete", "one-time-code");
      await user.click(screen.getByRole("button", { name: "Verify" }));
      expect(field).toHaveAccessibleDescription("Enter a recovery code.");
      expect(server.to("POST /api/auth/login/2fa")).toHaveLength(0);

      await user.type(field, "abcde-fghij");
      await user.click(screen.getByRole("button", { name: "Verify" }));
      expect(await screen.findByText("Signed in as Alice Liddell")).toBeInTheDocument();
      expect(server.to("POST /api/auth/login/2fa")[0]?.body).toEqual({ challenge: "chal-1", code: "abcde-fghij" });
    });

    it("goes back to the password step when the challenge expired", async () => {
      const server = mockApi({
        "POST /api/auth/login": challenge,
        "POST /api/auth/login/2fa": () => apiError(401, "challenge_expired", "Sign in again."),
      });
      const { user } = renderApp("/login");

      const code = await passwordStep(user);
      await user.type(code, "123456");
      await user.click(screen.getByRole("button", { name: "Verify" }));

      expect(await screen.findByRole("alert")).toHaveTextContent(
        "Your sign-in took too long or had too many wrong codes. Enter your password again.",
      );
      expect(screen.queryByLabelText("Two-factor code")).toBeNull();
      expect(screen.getByLabelText("Username or email")).toHaveValue("alice");
      expect(screen.getByLabelText("Password")).toHaveValue("");
      expect(screen.getByLabelText("Password")).toHaveFocus();
      expect(server.to("POST /api/auth/login")).toHaveLength(1);
    });

    it("starts over on demand, and shows rate limiting on the code step", async () => {
      mockApi({
        "POST /api/auth/login": challenge,
        "POST /api/auth/login/2fa": () =>
          json(429, { error: { code: "rate_limited", message: "Too many attempts. Try again in 30 seconds." } }, { "Retry-After": "30" }),
      });
      const { user } = renderApp("/login");

      const code = await passwordStep(user);
      await user.type(code, "123456");
      await user.click(screen.getByRole("button", { name: "Verify" }));
      expect(await screen.findByRole("alert")).toHaveTextContent("Too many attempts. Try again in 30 seconds.");
      expect(screen.getByLabelText("Two-factor code")).toBeInTheDocument();

      await user.click(screen.getByRole("button", { name: "Start over" }));
      expect(screen.getByRole("heading", { name: "Welcome back" })).toBeInTheDocument();
      expect(screen.queryByRole("alert")).toBeNull();
      expect(screen.getByLabelText("Password")).toHaveValue("");
    });
  });
});
