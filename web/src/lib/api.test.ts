import { describe, expect, it, vi } from "vitest";
import { apiError, json, makeMe, makeUser, mockApi, noContent } from "../test/server";
import { api, ApiError, errorFromResponse, GENERIC_ERROR_MESSAGE, NETWORK_ERROR_MESSAGE } from "./api";

async function caught(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error("expected the promise to reject");
}

describe("api client", () => {
  it("parses the server's error shape, fields included", async () => {
    mockApi({
      "POST /api/auth/register": () =>
        apiError(409, "username_taken", "That username is taken.", { username: "Already in use." }),
    });

    const error = await caught(api.register({ username: "bob", email: "b@example.com", password: "x".repeat(12) }));

    expect(error.status).toBe(409);
    expect(error.code).toBe("username_taken");
    expect(error.message).toBe("That username is taken.");
    expect(error.fields).toEqual({ username: "Already in use." });
    expect(error.hasFieldErrors).toBe(true);
  });

  it("falls back to a generic message when the error body is not JSON", async () => {
    mockApi({
      "GET /api/auth/me": () =>
        new Response("<html><body>502 Bad Gateway</body></html>", {
          status: 502,
          headers: { "Content-Type": "text/html" },
        }),
    });

    const error = await caught(api.me());

    expect(error.status).toBe(502);
    expect(error.code).toBe("http_502");
    expect(error.message).toBe("The server ran into a problem. Please try again.");
    expect(error.fields).toEqual({});
  });

  it("falls back when the JSON error body has an unexpected shape", async () => {
    const error = await errorFromResponse(json(400, { detail: "nope" }));
    expect(error.code).toBe("http_400");
    expect(error.message).toBe(GENERIC_ERROR_MESSAGE);
  });

  it("keeps only string field messages and reads Retry-After", async () => {
    const error = await errorFromResponse(
      json(
        429,
        { error: { code: "rate_limited", message: "Slow down.", fields: { login: "Too many tries", bad: 3 } } },
        { "Retry-After": "30" },
      ),
    );
    expect(error.fields).toEqual({ login: "Too many tries" });
    expect(error.retryAfter).toBe(30);
    expect(error.message).toBe("Slow down.");
  });

  it("turns a network failure into a friendly ApiError", async () => {
    vi.stubGlobal("fetch", vi.fn().mockRejectedValue(new TypeError("Failed to fetch")));

    const error = await caught(api.me());

    expect(error.status).toBe(0);
    expect(error.code).toBe("network_error");
    expect(error.message).toBe(NETWORK_ERROR_MESSAGE);
  });

  it("sends JSON with the same-origin session cookie", async () => {
    const server = mockApi({
      "POST /api/auth/login": () =>
        json(200, { user: makeUser({ username: "alice" }), token: "secret-token", expires_at: "2030-01-01T00:00:00Z" }),
    });

    await api.login({ login: "alice", password: "correct horse battery" });

    const [request] = server.to("POST /api/auth/login");
    expect(request?.init?.credentials).toBe("same-origin");
    expect(new Headers(request?.init?.headers).get("Content-Type")).toBe("application/json");
    expect(request?.body).toEqual({ login: "alice", password: "correct horse battery" });
  });

  it("returns the user but never keeps the session token", async () => {
    mockApi({
      "POST /api/auth/login": () =>
        json(200, { user: makeUser({ username: "alice" }), token: "secret-token", expires_at: "2030-01-01T00:00:00Z" }),
      "POST /api/auth/register": () => json(201, { user: makeUser({ username: "bob" }), token: "other-token" }),
    });

    const signedIn = await api.login({ login: "alice", password: "correct horse battery" });
    const registered = await api.register({ username: "bob", email: "bob@example.com", password: "x".repeat(12) });

    expect(signedIn).toMatchObject({ two_factor_required: false, user: { username: "alice" } });
    expect(registered.username).toBe("bob");
    expect(JSON.stringify([signedIn, registered])).not.toContain("token");
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.length).toBe(0);
    expect(document.cookie).not.toContain("token");
  });

  it("returns the challenge when the account asks for a second factor (202), then signs in with a code", async () => {
    const server = mockApi({
      "POST /api/auth/login": () =>
        json(202, { two_factor_required: true, challenge: "the-challenge", expires_at: "2030-01-01T00:05:00Z" }),
      "POST /api/auth/login/2fa": () =>
        json(200, { user: makeUser({ username: "alice" }), token: "secret-token", expires_at: "2030-01-01T00:00:00Z" }),
    });

    const first = await api.login({ login: "alice", password: "correct horse battery" });
    expect(first).toEqual({ two_factor_required: true, challenge: "the-challenge", expires_at: "2030-01-01T00:05:00Z" });

    const user = await api.loginTwoFactor({ challenge: "the-challenge", code: "123456" });
    expect(user.username).toBe("alice");
    expect(JSON.stringify(user)).not.toContain("token");
    expect(server.to("POST /api/auth/login/2fa")[0]?.body).toEqual({ challenge: "the-challenge", code: "123456" });
  });

  it("builds the users query string and handles 204 on logout", async () => {
    const server = mockApi({
      "GET /api/users": () => json(200, { users: [], next_cursor: null }),
      "GET /api/auth/me": () => json(200, makeMe()),
      "POST /api/auth/logout": noContent,
    });

    await api.listUsers({ q: "al", limit: 20, cursor: "abc" });
    await api.listUsers();
    await expect(api.logout()).resolves.toBeUndefined();
    await expect(api.me()).resolves.toMatchObject({ username: "alice", email: "alice@example.com" });

    const [first, second] = server.to("GET /api/users");
    expect(first?.url.searchParams.get("q")).toBe("al");
    expect(first?.url.searchParams.get("limit")).toBe("20");
    expect(first?.url.searchParams.get("cursor")).toBe("abc");
    expect(second?.url.search).toBe("");
  });
});
