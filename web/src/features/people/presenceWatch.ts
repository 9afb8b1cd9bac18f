/**
 * Which users' presence this socket receives: the people the app can show (the
 * members of our conversations, the people lists and users looked up by id), sent
 * as `presence:watch` after every (re)connect and whenever that set changes. The
 * server then sends `presence` only about them, so one user's client costs the
 * server in proportion to what it shows, not to the size of the deployment.
 */
import type { InfiniteData, QueryClient } from "@tanstack/react-query";
import type { PresenceEvent } from "../../lib/events";
import type { ChatSocket } from "../../lib/socket";
import type { UsersPage } from "../../lib/types";
import { getConversations } from "../conversations/queries";

/** The server's default VAULTROOM_PRESENCE_WATCH_MAX. */
export const WATCH_MAX = 1000;
const WATCH_DEBOUNCE_MS = 250;
const ACK_TIMEOUT_MS = 10_000;

/** Conversation members first (the sidebar and headers), then the people lists. */
export function watchedUserIds(queryClient: QueryClient, meId: number): number[] {
  const ids = new Set<number>();
  for (const conversation of getConversations(queryClient) ?? []) {
    for (const member of conversation.members) if (member.id !== meId) ids.add(member.id);
  }
  for (const [, data] of queryClient.getQueriesData<InfiniteData<UsersPage>>({ queryKey: ["users", "list"] })) {
    for (const page of data?.pages ?? []) for (const user of page.users) ids.add(user.id);
  }
  for (const [key] of queryClient.getQueriesData({ queryKey: ["users", "one"] })) {
    const id = key[2];
    if (typeof id === "number" && id !== meId) ids.add(id);
  }
  return [...ids].slice(0, WATCH_MAX).sort((a, b) => a - b);
}

/** Keeps the socket's watched set equal to `watchedUserIds`; returns the cleanup. */
export function keepPresenceWatched(
  queryClient: QueryClient,
  socket: ChatSocket,
  meId: number,
  apply: (state: PresenceEvent) => void,
): () => void {
  let sent: string | null = null; // the set the server has, as sent
  let timer: ReturnType<typeof setTimeout> | null = null;

  const sync = () => {
    if (!socket.connected) return;
    const ids = watchedUserIds(queryClient, meId);
    const key = ids.join(",");
    if (key === sent) return;
    sent = key;
    socket
      .timeout(ACK_TIMEOUT_MS)
      .emitWithAck("presence:watch", { user_ids: ids })
      .then((answer) => {
        if (answer.ok) for (const state of answer.presence) apply(state);
        else sent = null; // try again at the next change
      })
      .catch(() => {
        sent = null;
      });
  };
  const schedule = () => {
    if (timer === null) {
      timer = setTimeout(() => {
        timer = null;
        sync();
      }, WATCH_DEBOUNCE_MS);
    }
  };
  const onConnect = () => {
    sent = null; // a new socket on the server watches everyone again
    sync();
  };

  const unsubscribe = queryClient.getQueryCache().subscribe(schedule);
  socket.on("connect", onConnect);
  if (socket.connected) sync();
  return () => {
    unsubscribe();
    socket.off("connect", onConnect);
    if (timer !== null) clearTimeout(timer);
  };
}
