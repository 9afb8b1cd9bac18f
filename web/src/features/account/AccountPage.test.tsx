import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { i18n, LANGUAGE_STORAGE_KEY } from "../../i18n";
import { meQueryKey } from "../auth/queries";
import { chatApi } from "../../test/chatApi";
import { renderApp } from "../../test/render";
import { apiError, json, noContent } from "../../test/server";

const sessions = [
  { id: 1, created_at: "2024-06-01T00:00:00Z", last_used_at: new Date().toISOString(), expires_at: "2030-01-01T00:00:00Z", user_agent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36", ip: "127.0.0.1", current: true },
  { id: 2, created_at: "2024-06-01T00:00:00Z", last_used_at: "2024-06-02T00:00:00Z", expires_at: "2030-01-01T00:00:00Z", user_agent: null, ip: null, current: false },
];

const activity = [
  { id: 9, user_id: 1, kind: "login_failure", created_at: new Date().toISOString(), ip: "203.0.113.7", user_agent: "Mozilla/5.0 (Windows NT 10.0) Firefox/131.0", details: {} },
  { id: 8, user_id: 1, kind: "login_success", created_at: "2024-06-02T00:00:00Z", ip: "127.0.0.1", user_agent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36", details: { session_id: 1 } },
  { id: 3, user_id: 1, kind: "register", created_at: "2024-06-01T00:00:00Z", ip: null, user_agent: null, details: {} },
];

function accountApi() {
  let list = sessions;
  return chatApi([], {}, {
    "GET /api/auth/audit": ({ url }) =>
      url.searchParams.get("cursor") === "8"
        ? json(200, { events: activity.slice(2), next_cursor: null })
        : json(200, { events: activity.slice(0, 2), next_cursor: "8" }),
    "GET /api/auth/sessions": () => json(200, { sessions: list }),
    "GET /api/auth/2fa": () => json(200, { enabled: false, enabled_at: null, recovery_codes_left: 0 }),
    "DELETE /api/auth/sessions/2": () => {
      list = list.filter((s) => s.id !== 2);
      return noContent();
    },
    "POST /api/auth/password": ({ body }) =>
      (body as { current_password: string }).current_password === "right password"
        ? noContent()
        : apiError(422, "wrong_password", "The current password is wrong."),
  });
}

describe("AccountPage", () => {
  it("lists sessions and revokes another one", async () => {
    const server = accountApi();
    const { user } = renderApp("/account");
    expect(await screen.findByRole("heading", { name: "Account" })).toBeInTheDocument();
    await waitFor(() => expect(screen.getAllByTestId("session-item")).toHaveLength(2));
    const [current, other] = screen.getAllByTestId("session-item") as [HTMLElement, HTMLElement];
    expect(within(current).getByText("This device")).toBeInTheDocument();
    expect(within(current).queryByRole("button", { name: "Revoke" })).toBeNull();

    await user.click(within(other).getByRole("button", { name: "Revoke" }));
    await waitFor(() => expect(screen.getAllByTestId("session-item")).toHaveLength(1));
    expect(server.to("DELETE /api/auth/sessions/2")).toHaveLength(1);
  });

  it("shows the security activity: what, from which device and address, older on demand", async () => {
    const server = accountApi();
    const { user } = renderApp("/account");
    expect(await screen.findByRole("heading", { name: "Security activity" })).toBeInTheDocument();
    await waitFor(() => expect(screen.getAllByTestId("activity-item")).toHaveLength(2));
    const [failure, success] = screen.getAllByTestId("activity-item") as [HTMLElement, HTMLElement];
    expect(within(failure).getByText("Failed sign-in")).toBeInTheDocument();
    expect(within(failure).getByText("Firefox · Windows · From 203.0.113.7")).toBeInTheDocument();
    expect(within(success).getByText("Signed in")).toBeInTheDocument();
    expect(within(success).getByText("Chrome · Linux · From 127.0.0.1")).toBeInTheDocument();
    expect(within(success).getByRole("time")).toHaveAttribute("datetime", "2024-06-02T00:00:00Z");

    await user.click(screen.getByRole("button", { name: "Show older activity" }));
    await waitFor(() => expect(screen.getAllByTestId("activity-item")).toHaveLength(3));
    const oldest = screen.getAllByTestId("activity-item")[2] as HTMLElement;
    expect(within(oldest).getByText("Account created")).toBeInTheDocument();
    expect(within(oldest).getByText("Unknown device")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Show older activity" })).toBeNull();
    expect(server.to("GET /api/auth/audit").map((call) => call.url.searchParams.get("cursor"))).toEqual([null, "8"]);
  });

  it("names the two-factor events, with what their details tell", async () => {
    const server = accountApi();
    const event = (id: number, kind: string, details: Record<string, string | number> = {}) => ({
      id, user_id: 1, kind, created_at: "2024-06-02T00:00:00Z", ip: null, user_agent: null, details,
    });
    server.use({
      "GET /api/auth/audit": () =>
        json(200, {
          events: [
            event(6, "two_factor_disabled", { via: "cli" }),
            event(5, "two_factor_disabled", { with: "totp" }),
            event(4, "recovery_codes_renewed", { with: "recovery_code" }),
            event(3, "recovery_code_used", { codes_left: 9 }),
            event(2, "login_failure", { reason: "two_factor_code" }),
            event(1, "two_factor_enabled"),
          ],
          next_cursor: null,
        }),
    });
    renderApp("/account");
    await waitFor(() => expect(screen.getAllByTestId("activity-item")).toHaveLength(6));
    expect(screen.getAllByTestId("activity-item").map((item) => item.querySelector("p")?.textContent)).toEqual([
      "Two-factor sign-in turned off by an administrator",
      "Two-factor sign-in turned off",
      "New recovery codes created",
      "Recovery code used",
      "Failed sign-in: wrong two-factor code",
      "Two-factor sign-in turned on",
    ]);
  });

  it("shows the security activity in French", async () => {
    accountApi();
    await i18n.changeLanguage("fr");
    try {
      renderApp("/account");
      expect(await screen.findByRole("heading", { name: "Activité de sécurité" })).toBeInTheDocument();
      expect(await screen.findByText("Échec de connexion")).toBeInTheDocument();
      expect(screen.getByText("Firefox · Windows · Depuis 203.0.113.7")).toBeInTheDocument();
    } finally {
      await i18n.changeLanguage("en");
    }
  });

  it("changes the password, showing a wrong current password inline", async () => {
    const server = accountApi();
    const { user } = renderApp("/account");
    await user.type(await screen.findByLabelText("Current password"), "wrong");
    await user.type(screen.getByLabelText("New password"), "a new long passphrase");
    await user.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByText("The current password is wrong.")).toBeInTheDocument();

    await user.clear(screen.getByLabelText("Current password"));
    await user.type(screen.getByLabelText("Current password"), "right password");
    await user.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByText("Password changed. Your other sessions were signed out.")).toBeInTheDocument();
    expect(server.to("POST /api/auth/password").at(-1)?.body).toEqual({
      current_password: "right password",
      new_password: "a new long passphrase",
    });
  });

  it("switches to French and remembers only the language", async () => {
    accountApi();
    const { user } = renderApp("/account");
    await user.selectOptions(await screen.findByLabelText("Language"), "Français");
    expect(await screen.findByRole("heading", { name: "Compte" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Personnes" })).toBeInTheDocument();
    expect(document.documentElement.lang).toBe("fr");
    expect(localStorage.getItem(LANGUAGE_STORAGE_KEY)).toBe("fr");
    expect(Object.keys(localStorage)).toEqual([LANGUAGE_STORAGE_KEY]);
    await i18n.changeLanguage("en");
  });

  it("signs out: forgets cached data and returns to the sign-in page", async () => {
    const server = accountApi();
    const { user, router, queryClient } = renderApp("/account");
    await user.click(await screen.findByRole("button", { name: "Sign out" }));
    expect(await screen.findByRole("button", { name: "Sign in" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/login");
    expect(server.to("POST /api/auth/logout")).toHaveLength(1);
    await waitFor(() => expect(queryClient.getQueryData(meQueryKey)).toBeUndefined());
  });
});
