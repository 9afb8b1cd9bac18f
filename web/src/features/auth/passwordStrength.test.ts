import { describe, expect, it } from "vitest";
import { loadStrengthChecker } from "./passwordStrength";

describe("password strength", () => {
  it("rates common passwords weak and long random ones strong", async () => {
    const check = await loadStrengthChecker();
    expect(check("password")).toBe(0);
    expect(check("alice2024", ["alice"])).toBeLessThanOrEqual(2);
    expect(check("t7#Qv!m2Zr$8pLw@")).toBe(4);
  });

  it("loads zxcvbn only once", async () => {
    expect(loadStrengthChecker()).toBe(loadStrengthChecker());
  });
});
