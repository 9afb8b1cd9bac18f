/** Which conversation is on screen, so incoming messages there don't count as unread. */
let active: number | null = null;

export function setActiveConversation(id: number | null): void {
  active = id;
}

export function getActiveConversation(): number | null {
  return active;
}

/** The conversation is open and the page is in front of the person. */
export function isConversationVisible(id: number): boolean {
  return active === id && (typeof document === "undefined" || document.visibilityState !== "hidden");
}
