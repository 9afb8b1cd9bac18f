import { afterEach, describe, expect, it, vi } from "vitest";
import { detectLanguage, LANGUAGE_STORAGE_KEY } from ".";
import { en } from "./en";
import { fr } from "./fr";

function keys(value: object, prefix = ""): string[] {
  return Object.entries(value).flatMap(([key, inner]) =>
    typeof inner === "string" ? [`${prefix}${key}`] : keys(inner as object, `${prefix}${key}.`),
  );
}

describe("i18n", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("has every English text in French", () => {
    expect(keys(fr).sort()).toEqual(keys(en).sort());
  });

  it("follows the browser's languages unless a choice was saved", () => {
    vi.stubGlobal("navigator", { languages: ["de-DE", "fr-CA"], language: "de-DE" });
    expect(detectLanguage()).toBe("fr");
    vi.stubGlobal("navigator", { languages: ["de-DE"], language: "de-DE" });
    expect(detectLanguage()).toBe("en");
    localStorage.setItem(LANGUAGE_STORAGE_KEY, "fr");
    expect(detectLanguage()).toBe("fr");
  });
});
