import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach, vi } from "vitest";
import { closeSocket } from "../lib/socket";
import { sockets } from "./socket";

// The app's one socket is a fake the tests drive (see ./socket.ts).
vi.mock("socket.io-client", async () => {
  const fake = await import("./socket");
  return { io: fake.io };
});

// Generous ceiling for findBy/waitFor on a busy 2-core CI machine; passing
// tests return as soon as the UI is ready, so this never slows them down.
configure({ asyncUtilTimeout: 5000 });

// jsdom has no matchMedia; sonner's `theme="system"` asks it about dark mode.
if (typeof window.matchMedia !== "function") {
  Object.defineProperty(window, "matchMedia", {
    configurable: true,
    writable: true,
    value: (query: string): MediaQueryList =>
      ({
        matches: false,
        media: query,
        onchange: null,
        addListener: () => {},
        removeListener: () => {},
        addEventListener: () => {},
        removeEventListener: () => {},
        dispatchEvent: () => false,
      }) as MediaQueryList,
  });
}

afterEach(() => {
  cleanup();
  closeSocket();
  sockets.length = 0;
  localStorage.clear();
  sessionStorage.clear();
});
