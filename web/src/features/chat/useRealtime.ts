/**
 * Keeps the cached state live from the socket's events while signed in: opens
 * the one socket, registers the listeners (and always removes them), and runs
 * the resync after every (re)connect and on the server's `resync` request.
 */
import { useQueryClient, type InfiniteData, type QueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { useTranslation } from "react-i18next";
import { useLocation, useNavigate } from "react-router";
import { toast } from "sonner";
import { announce } from "../../lib/announcer";
import type {
  ConversationEvent,
  ConversationRemovedEvent,
  MessageEvent,
  PresenceEvent,
  ReadMarkerEvent,
} from "../../lib/events";
import { closeSocket, openSocket } from "../../lib/socket";
import type { Me, User, UsersPage } from "../../lib/types";
import { meQueryKey } from "../auth/queries";
import {
  applyPresence,
  applyPresenceToUser,
  applyReadMarker,
  applyUpdatedMessage,
  conversationTitle,
  displayName,
  removeConversation,
  upsertConversation,
} from "../conversations/conversationList";
import { getConversations, updateConversations } from "../conversations/queries";
import { keepPresenceWatched } from "../people/presenceWatch";
import { receiveMessage } from "./actions";
import { isConversationVisible } from "./activeConversation";
import { applyMessages } from "./messageState";
import { checkGap, messagesKey, updateMessages } from "./queries";
import { noteConversationChange, resync } from "./resync";

const RESYNC_RETRY_MS = 3000;

function applyPresenceEverywhere(queryClient: QueryClient, event: PresenceEvent): void {
  updateConversations(queryClient, (list) => applyPresence(list, event));
  queryClient.setQueriesData<InfiniteData<UsersPage>>({ queryKey: ["users", "list"] }, (data) =>
    data
      ? { ...data, pages: data.pages.map((p) => ({ ...p, users: p.users.map((u) => applyPresenceToUser(u, event)) })) }
      : data,
  );
  queryClient.setQueriesData<User>({ queryKey: ["users", "one", event.user_id] }, (user) =>
    user ? applyPresenceToUser(user, event) : user,
  );
}

export function useRealtime(me: Me): void {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const location = useLocation();
  const { t } = useTranslation();
  const pathRef = useRef(location.pathname);
  pathRef.current = location.pathname;
  const tRef = useRef(t);
  tRef.current = t;

  useEffect(() => {
    const socket = openSocket();
    const meId = me.id;
    let retryTimer: ReturnType<typeof setTimeout> | null = null;
    let disposed = false;

    const runResync = () => {
      if (retryTimer !== null) clearTimeout(retryTimer);
      retryTimer = null;
      resync(queryClient)
        .then(() => queryClient.invalidateQueries({ queryKey: ["users"] }))
        .catch(() => {
          if (!disposed && socket.connected) retryTimer = setTimeout(runResync, RESYNC_RETRY_MS);
        });
    };

    const onNew = ({ message }: MessageEvent) => {
      const known = getConversations(queryClient)?.some((c) => c.id === message.conversation_id);
      receiveMessage(queryClient, message, meId, isConversationVisible(message.conversation_id));
      checkGap(queryClient, message.conversation_id);
      if (!known) runResync(); // a conversation we haven't got yet
      if (message.sender_id !== meId && !message.deleted) {
        const conversation = getConversations(queryClient)?.find((c) => c.id === message.conversation_id);
        const sender = conversation?.members.find((m) => m.id === message.sender_id);
        const text = message.body.length > 140 ? `${message.body.slice(0, 140)}…` : message.body;
        announce(tRef.current("shell.newMessageFrom", { name: sender ? displayName(sender) : "", text }));
      }
    };
    const onUpdated = ({ message }: MessageEvent) => {
      updateMessages(queryClient, message.conversation_id, (s) => applyMessages(s, [message]));
      updateConversations(queryClient, (list) => applyUpdatedMessage(list, message));
    };
    const onConversation = ({ conversation }: ConversationEvent) => {
      noteConversationChange(conversation.id, "upsert");
      updateConversations(queryClient, (list) => upsertConversation(list, conversation, meId));
    };
    const onRemoved = ({ conversation_id: id }: ConversationRemovedEvent) => {
      const conversation = getConversations(queryClient)?.find((c) => c.id === id);
      noteConversationChange(id, "removed");
      const drop = () => {
        updateConversations(queryClient, (list) => removeConversation(list, id));
        queryClient.removeQueries({ queryKey: messagesKey(id), exact: true });
      };
      if (pathRef.current !== `/c/${id}`) return drop();
      toast.info(
        tRef.current("shell.removedFromConversation", {
          title: conversation ? conversationTitle(conversation, meId) : "",
        }),
      );
      // Leave the page first, so that nothing on it asks for the conversation again.
      void Promise.resolve(navigate("/", { replace: true, flushSync: true })).then(drop);
    };
    const onRead = (event: ReadMarkerEvent) => {
      updateConversations(queryClient, (list) => applyReadMarker(list, event, meId));
    };
    const onPresence = (event: PresenceEvent) => applyPresenceEverywhere(queryClient, event);
    const onRevoked = () => {
      closeSocket();
      toast.info(tRef.current("shell.sessionEnded"), { id: "session-ended" });
      void Promise.resolve(navigate("/login", { replace: true, flushSync: true })).then(() =>
        queryClient.removeQueries(),
      );
    };
    const onConnectError = (error: Error & { data?: unknown }) => {
      const data = error.data;
      if (typeof data === "object" && data !== null && "code" in data && data.code === "unauthorized") {
        void queryClient.invalidateQueries({ queryKey: meQueryKey });
      }
    };

    socket.on("connect", runResync);
    socket.on("resync", runResync);
    socket.on("message:new", onNew);
    socket.on("message:updated", onUpdated);
    socket.on("conversation:updated", onConversation);
    socket.on("conversation:removed", onRemoved);
    socket.on("conversation:read", onRead);
    socket.on("presence", onPresence);
    socket.on("session:revoked", onRevoked);
    socket.on("connect_error", onConnectError);
    if (socket.connected) runResync();
    const stopWatching = keepPresenceWatched(queryClient, socket, meId, onPresence);

    return () => {
      disposed = true;
      stopWatching();
      if (retryTimer !== null) clearTimeout(retryTimer);
      socket.off("connect", runResync);
      socket.off("resync", runResync);
      socket.off("message:new", onNew);
      socket.off("message:updated", onUpdated);
      socket.off("conversation:updated", onConversation);
      socket.off("conversation:removed", onRemoved);
      socket.off("conversation:read", onRead);
      socket.off("presence", onPresence);
      socket.off("session:revoked", onRevoked);
      socket.off("connect_error", onConnectError);
    };
  }, [queryClient, navigate, me.id]);
}
