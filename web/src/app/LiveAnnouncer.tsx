import { useAnnouncement } from "../lib/announcer";

/** A polite live region: incoming messages are read out by screen readers. */
export function LiveAnnouncer() {
  const message = useAnnouncement();
  return (
    <div aria-live="polite" aria-atomic="true" className="sr-only">
      {message}
    </div>
  );
}
