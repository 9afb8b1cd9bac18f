/** Screen-reader announcements (read out by the LiveAnnouncer's polite live region). */
import { useSyncExternalStore } from "react";

let message = "";
const listeners = new Set<() => void>();

export function announce(text: string): void {
  // Toggle a trailing no-break space so that the same text twice is announced twice.
  message = message === text ? `${text}\u00a0` : text;
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useAnnouncement(): string {
  return useSyncExternalStore(
    subscribe,
    () => message,
    () => message,
  );
}
