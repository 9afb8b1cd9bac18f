import { describe, expect, it } from "vitest";
import { formatRelativeTime } from "./time";

const now = Date.parse("2024-06-15T12:00:00Z");
const ago = (seconds: number) => new Date(now - seconds * 1000).toISOString();

describe("formatRelativeTime", () => {
  it("describes recent and older times in words", () => {
    expect(formatRelativeTime(ago(10), now, "en")).toBe("just now");
    expect(formatRelativeTime(ago(5 * 60), now, "en")).toBe("5 minutes ago");
    expect(formatRelativeTime(ago(3 * 3600), now, "en")).toBe("3 hours ago");
    expect(formatRelativeTime(ago(26 * 3600), now, "en")).toBe("yesterday");
    expect(formatRelativeTime(ago(15 * 86400), now, "en")).toBe("2 weeks ago");
    expect(formatRelativeTime(ago(400 * 86400), now, "en")).toBe("last year");
  });

  it("returns null for missing or invalid times", () => {
    expect(formatRelativeTime(null, now)).toBeNull();
    expect(formatRelativeTime("not a date", now)).toBeNull();
  });
});
