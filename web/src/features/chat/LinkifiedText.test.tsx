import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { LinkifiedText, splitLinks } from "./LinkifiedText";

describe("LinkifiedText", () => {
  it("makes only http(s) links clickable, safely", () => {
    const { container } = render(
      <p>
        <LinkifiedText text="see https://example.com/a?b=1, javascript:alert(1) and <img src=x onerror=alert(1)>" />
      </p>,
    );
    const link = screen.getByRole("link", { name: "https://example.com/a?b=1" });
    expect(link).toHaveAttribute("href", "https://example.com/a?b=1");
    expect(link).toHaveAttribute("rel", "noopener noreferrer");
    expect(link).toHaveAttribute("target", "_blank");
    expect(screen.getAllByRole("link")).toHaveLength(1);
    expect(container.querySelector("img")).toBeNull();
    expect(container.textContent).toContain("<img src=x onerror=alert(1)>");
  });

  it("leaves trailing punctuation out of links", () => {
    expect(splitLinks("go to http://a.example/x.")).toEqual([
      { text: "go to " },
      { text: "http://a.example/x", href: "http://a.example/x" },
      { text: "." },
    ]);
  });
});
