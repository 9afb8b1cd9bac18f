import { screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { i18n } from "../../i18n";
import { chatApi } from "../../test/chatApi";
import { renderApp } from "../../test/render";
import { apiError, json, noContent } from "../../test/server";
import { groupSecret, svgDataUri } from "./TwoFactorSection";

const PASSWORD = "right password";
const SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
// Markup that must never reach the page as elements: only inside the image.
const QR_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 21 21" data-qr="yes"><path d="M0 0h7v7H0z"/></svg>';
const codes = (prefix: string) => Array.from({ length: 10 }, (_, i) => `${prefix}${i}aaa-bbbbb`);

/** A signed-in fake API whose two-factor state follows the requests. */
function twoFactorApi(initial: { enabled: boolean; left?: number } = { enabled: false }) {
  const state = {
    enabled: initial.enabled,
    enabledAt: initial.enabled ? "2024-06-01T10:00:00Z" : null,
    left: initial.left ?? (initial.enabled ? 10 : 0),
    settingUp: false,
  };
  const confirm = (body: unknown) => {
    const { password, code } = body as { password: string; code: string };
    if (password !== PASSWORD) return apiError(400, "wrong_password", "Wrong password.", { password: "Wrong password." });
    if (code !== "123456" && code !== "zzzzz-zzzzz") return apiError(400, "invalid_code", "Invalid code.", { code: "Invalid code." });
    if (!state.enabled) return apiError(409, "two_factor_not_enabled", "Two-factor sign-in is not on.");
    return null;
  };
  return chatApi([], {}, {
    "GET /api/auth/audit": () => json(200, { events: [], next_cursor: null }),
    "GET /api/auth/sessions": () => json(200, { sessions: [] }),
    "GET /api/auth/2fa": () =>
      json(200, { enabled: state.enabled, enabled_at: state.enabledAt, recovery_codes_left: state.left }),
    "POST /api/auth/2fa/setup": ({ body }) => {
      if ((body as { password: string }).password !== PASSWORD) {
        return apiError(400, "wrong_password", "Wrong password.", { password: "Wrong password." });
      }
      state.settingUp = true;
      return json(200, { secret: SECRET, otpauth_uri: `otpauth://totp/VaultRoom:alice?secret=${SECRET}&issuer=VaultRoom`, qr_svg: QR_SVG });
    },
    "POST /api/auth/2fa/enable": ({ body }) => {
      if (!state.settingUp) return apiError(409, "two_factor_not_set_up", "Start the setup first.");
      if ((body as { code: string }).code !== "123456") return apiError(400, "invalid_code", "Invalid code.", { code: "Invalid code." });
      Object.assign(state, { enabled: true, enabledAt: "2024-06-15T12:00:00Z", left: 10, settingUp: false });
      return json(200, { recovery_codes: codes("a") });
    },
    "POST /api/auth/2fa/disable": ({ body }) => {
      const refused = confirm(body);
      if (refused) return refused;
      Object.assign(state, { enabled: false, enabledAt: null, left: 0 });
      return noContent();
    },
    "POST /api/auth/2fa/recovery-codes": ({ body }) => {
      const refused = confirm(body);
      if (refused) return refused;
      state.left = 10;
      return json(200, { recovery_codes: codes("n") });
    },
  });
}

async function section() {
  const heading = await screen.findByRole("heading", { name: "Two-factor sign-in" });
  return heading.closest("section") as HTMLElement;
}

describe("TwoFactorSection", () => {
  // jsdom has no object URLs; the download button makes one.
  const createObjectURL = vi.fn((_blob: Blob) => "blob:recovery-codes");
  beforeEach(() => {
    Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() });
  });
  afterEach(() => {
    const urls = URL as unknown as Record<string, unknown>;
    delete urls.createObjectURL;
    delete urls.revokeObjectURL;
    createObjectURL.mockClear();
  });

  it("sets up two-factor sign-in: password, QR code and key, first code, then the recovery codes once", async () => {
    const server = twoFactorApi();
    const { user, container } = renderApp("/account");
    const box = await section();
    expect(await within(box).findByText("Two-factor sign-in is off.")).toBeInTheDocument();

    await user.click(within(box).getByRole("button", { name: "Set up two-factor sign-in" }));
    const password = within(box).getByLabelText("Your password");
    expect(password).toHaveFocus();
    await user.type(password, "wrong");
    await user.click(within(box).getByRole("button", { name: "Continue" }));
    await waitFor(() => expect(password).toHaveAccessibleDescription("That password isn't right."));

    await user.clear(password);
    await user.type(password, PASSWORD);
    await user.click(within(box).getByRole("button", { name: "Continue" }));

    const qr = await within(box).findByRole("img", { name: "QR code for your authenticator app" });
    expect(qr).toHaveAttribute("src", svgDataUri(QR_SVG));
    const src = qr.getAttribute("src") ?? "";
    expect(atob(src.replace("data:image/svg+xml;base64,", ""))).toBe(QR_SVG);
    expect(container.querySelector("[data-qr]")).toBeNull(); // shown as an image, never as markup
    expect(within(box).getByTestId("two-factor-secret")).toHaveTextContent("JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP");
    await user.click(within(box).getByRole("button", { name: "Copy key" }));
    expect(await navigator.clipboard.readText()).toBe(SECRET);
    expect(server.to("POST /api/auth/2fa/setup").at(-1)?.body).toEqual({ password: PASSWORD });
    expect(screen.queryByLabelText("Your password")).toBeNull();

    const code = within(box).getByLabelText("Code from your app");
    expect(code).toHaveAttribute("autocomplete", "one-time-code");
    await user.type(code, "12");
    await user.click(within(box).getByRole("button", { name: "Turn on" }));
    expect(code).toHaveAccessibleDescription("Enter the 6-digit code from your app.");
    await user.clear(code);
    await user.type(code, "999999");
    await user.click(within(box).getByRole("button", { name: "Turn on" }));
    await waitFor(() =>
      expect(code).toHaveAccessibleDescription("That code isn't right. Enter the one your app shows now."),
    );

    const auditCalls = server.to("GET /api/auth/audit").length;
    await user.clear(code);
    await user.type(code, "123 456");
    await user.click(within(box).getByRole("button", { name: "Turn on" }));

    const list = await within(box).findByRole("list", { name: "Recovery codes" });
    expect(within(list).getAllByRole("listitem").map((item) => item.textContent)).toEqual(codes("a"));
    expect(server.to("POST /api/auth/2fa/enable").at(-1)?.body).toEqual({ code: "123456" });
    expect(within(box).queryByRole("img")).toBeNull();
    expect(await within(box).findByText("Two-factor sign-in is on.")).toBeInTheDocument();
    expect(within(box).getByText(/10 recovery codes left/)).toBeInTheDocument();
    await waitFor(() => expect(server.to("GET /api/auth/audit").length).toBeGreaterThan(auditCalls));

    await user.click(within(box).getByRole("button", { name: "Copy codes" }));
    expect(await navigator.clipboard.readText()).toBe(codes("a").join("\n"));
    const clicked: HTMLAnchorElement[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this); // jsdom cannot download
    });
    await user.click(within(box).getByRole("button", { name: "Download (.txt)" }));
    expect(createObjectURL).toHaveBeenCalledTimes(1);
    expect(clicked.map((link) => [link.download, link.href])).toEqual([["vaultroom-recovery-codes.txt", "blob:recovery-codes"]]);
    const file = await (createObjectURL.mock.calls[0]?.[0] as Blob).text();
    expect(file).toContain("VaultRoom recovery codes for alice");
    for (const recovery of codes("a")) expect(file).toContain(recovery);

    await user.click(within(box).getByRole("button", { name: "I have saved them" }));
    expect(within(box).queryByRole("list", { name: "Recovery codes" })).toBeNull();
    expect(within(box).getByRole("button", { name: "New recovery codes" })).toHaveFocus();
    expect(within(box).getByRole("button", { name: "Turn off" })).toBeInTheDocument();
    expect(within(box).getByRole("button", { name: "New recovery codes" })).toBeInTheDocument();
  });

  it("turns two-factor sign-in off with the password and a code, warning first when codes run low", async () => {
    const server = twoFactorApi({ enabled: true, left: 2 });
    const { user } = renderApp("/account");
    const box = await section();
    expect(await within(box).findByText("Two-factor sign-in is on.")).toBeInTheDocument();
    expect(
      within(box).getByText("2 recovery codes left. Create new ones so you can still sign in if you lose your phone."),
    ).toBeInTheDocument();

    await user.click(within(box).getByRole("button", { name: "Turn off" }));
    const submit = within(box).getByRole("button", { name: "Turn off two-factor sign-in" });
    await user.click(submit);
    expect(within(box).getByLabelText("Your password")).toHaveAccessibleDescription("Enter your password.");
    expect(within(box).getByLabelText("Code from your app or a recovery code")).toHaveAccessibleDescription(
      "Enter a code from your app or a recovery code.",
    );
    expect(server.to("POST /api/auth/2fa/disable")).toHaveLength(0);

    await user.type(within(box).getByLabelText("Your password"), PASSWORD);
    await user.type(within(box).getByLabelText("Code from your app or a recovery code"), "000000");
    await user.click(submit);
    await waitFor(() =>
      expect(within(box).getByLabelText("Code from your app or a recovery code")).toHaveAccessibleDescription(
        "That code isn't right. Enter the one your app shows now.",
      ),
    );

    const auditCalls = server.to("GET /api/auth/audit").length;
    await user.clear(within(box).getByLabelText("Code from your app or a recovery code"));
    await user.type(within(box).getByLabelText("Code from your app or a recovery code"), "zzzzz-zzzzz");
    await user.click(submit);

    expect(await within(box).findByText("Two-factor sign-in is off.")).toBeInTheDocument();
    expect(within(box).getByRole("button", { name: "Set up two-factor sign-in" })).toBeInTheDocument();
    expect(server.to("POST /api/auth/2fa/disable").at(-1)?.body).toEqual({ password: PASSWORD, code: "zzzzz-zzzzz" });
    expect(server.to("GET /api/auth/audit").length).toBeGreaterThan(auditCalls);
  });

  it("makes new recovery codes and shows them once", async () => {
    const server = twoFactorApi({ enabled: true, left: 3 });
    const { user } = renderApp("/account");
    const box = await section();
    await user.click(await within(box).findByRole("button", { name: "New recovery codes" }));
    await user.type(within(box).getByLabelText("Your password"), "wrong");
    await user.type(within(box).getByLabelText("Code from your app or a recovery code"), "123456");
    await user.click(within(box).getByRole("button", { name: "Create new codes" }));
    await waitFor(() =>
      expect(within(box).getByLabelText("Your password")).toHaveAccessibleDescription("That password isn't right."),
    );
    expect(within(box).getByLabelText("Your password")).toHaveFocus();

    await user.clear(within(box).getByLabelText("Your password"));
    await user.type(within(box).getByLabelText("Your password"), PASSWORD);
    await user.click(within(box).getByRole("button", { name: "Create new codes" }));
    const list = await within(box).findByRole("list", { name: "Recovery codes" });
    expect(within(list).getAllByRole("listitem").map((item) => item.textContent)).toEqual(codes("n"));
    expect(await within(box).findByText("10 recovery codes left.")).toBeInTheDocument();
    expect(server.to("POST /api/auth/2fa/recovery-codes").at(-1)?.body).toEqual({ password: PASSWORD, code: "123456" });
  });

  it("shows what is true now when it changed meanwhile (409), and cancels back to the actions", async () => {
    const server = twoFactorApi({ enabled: false });
    const { user } = renderApp("/account");
    const box = await section();
    await user.click(await within(box).findByRole("button", { name: "Set up two-factor sign-in" }));
    await user.click(within(box).getByRole("button", { name: "Cancel" }));
    expect(within(box).getByRole("button", { name: "Set up two-factor sign-in" })).toHaveFocus();

    await user.click(within(box).getByRole("button", { name: "Set up two-factor sign-in" }));
    server.use({
      "POST /api/auth/2fa/setup": () => apiError(409, "two_factor_enabled", "Two-factor sign-in is already on."),
      "GET /api/auth/2fa": () => json(200, { enabled: true, enabled_at: "2024-06-15T12:00:00Z", recovery_codes_left: 10 }),
    });
    await user.type(within(box).getByLabelText("Your password"), PASSWORD);
    await user.click(within(box).getByRole("button", { name: "Continue" }));
    expect(await screen.findByText("Two-factor sign-in is already on.")).toBeInTheDocument();
    expect(await within(box).findByText("Two-factor sign-in is on.")).toBeInTheDocument();
    expect(within(box).queryByLabelText("Your password")).toBeNull();
  });

  it("speaks French", async () => {
    twoFactorApi({ enabled: true, left: 1 });
    await i18n.changeLanguage("fr");
    try {
      renderApp("/account");
      const heading = await screen.findByRole("heading", { name: "Connexion en deux étapes" });
      const box = heading.closest("section") as HTMLElement;
      expect(await within(box).findByText("La connexion en deux étapes est activée.")).toBeInTheDocument();
      expect(within(box).getByText(/1 code de secours restant\./)).toBeInTheDocument();
      expect(within(box).getByRole("button", { name: "Désactiver" })).toBeInTheDocument();
    } finally {
      await i18n.changeLanguage("en");
    }
  });

  it("groups the key in fours and encodes any SVG as a data URL", () => {
    expect(groupSecret("ABCDEFGHIJ")).toBe("ABCD EFGH IJ");
    expect(svgDataUri("<svg>é</svg>")).toBe(`data:image/svg+xml;base64,${btoa("<svg>\u00c3\u00a9</svg>")}`);
  });
});
