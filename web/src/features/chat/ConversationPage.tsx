import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import { toast } from "sonner";
import { Button } from "../../components/ui/Button";
import { Dialog } from "../../components/ui/Dialog";
import { Spinner } from "../../components/ui/Spinner";
import { errorMessage } from "../../lib/api";
import { useDocumentTitle } from "../../lib/hooks";
import type { Conversation, Me, Message, User } from "../../lib/types";
import { useMe } from "../auth/queries";
import { conversationTitle } from "../conversations/conversationList";
import { GroupSettings } from "../conversations/GroupSettings";
import { useConversation } from "../conversations/queries";
import { deleteMessage, editMessage, retryMessage, sendMessage } from "./actions";
import { setActiveConversation } from "./activeConversation";
import { Composer } from "./Composer";
import { BackLink, ConversationHeader } from "./ConversationHeader";
import { emitTyping, useCatchUp, useMarkRead, useTypingUsers } from "./hooks";
import { MessageList } from "./MessageList";
import { loadOlder, useMessages } from "./queries";
import { TypingIndicator } from "./TypingIndicator";

export function ConversationPage() {
  const { t } = useTranslation();
  const params = useParams();
  const id = Number(params.conversationId);
  const { data: me } = useMe();
  const meId = me?.id ?? 0;
  const { conversation, isError, missing, retry } = useConversation(id, meId);

  useEffect(() => {
    setActiveConversation(id);
    return () => setActiveConversation(null);
  }, [id]);

  if (!me) return null;
  if (missing) {
    return (
      <Placeholder>
        <p className="text-sm text-slate-600 dark:text-slate-400">{t("conversation.notFound")}</p>
        <Link to="/" className="text-sm font-medium text-brand-600 hover:underline dark:text-brand-400">
          {t("conversation.backToList")}
        </Link>
      </Placeholder>
    );
  }
  if (!conversation) {
    return (
      <Placeholder>
        {isError ? (
          <Button variant="secondary" size="sm" onClick={retry}>
            {t("common.tryAgain")}
          </Button>
        ) : (
          <Spinner className="size-6" label={t("conversation.loading")} />
        )}
      </Placeholder>
    );
  }
  return <ConversationView key={conversation.id} conversation={conversation} me={me} />;
}

function Placeholder({ children }: { children: ReactNode }) {
  return (
    <div className="flex flex-1 flex-col">
      <div className="flex h-14 items-center border-b border-slate-200 px-2 md:hidden dark:border-slate-800">
        <BackLink />
      </div>
      <div className="flex flex-1 flex-col items-center justify-center gap-3 px-6 text-center">{children}</div>
    </div>
  );
}

function ConversationView({ conversation, me }: { conversation: Conversation; me: Me }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const messages = useMessages(conversation.id);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const typingIds = useTypingUsers(conversation.id, me.id);
  const id = conversation.id;
  useDocumentTitle(conversationTitle(conversation, me.id));
  useMarkRead(conversation, messages.data);
  useCatchUp(conversation, messages.data);

  const typingUsers = useMemo(
    () => typingIds.map((uid) => conversation.members.find((m) => m.id === uid)).filter((u): u is User => !!u),
    [typingIds, conversation.members],
  );

  const onSend = useCallback((body: string) => sendMessage(queryClient, id, body, me.id), [queryClient, id, me.id]);
  const onRetry = useCallback((clientMsgId: string) => retryMessage(queryClient, id, clientMsgId, me.id), [queryClient, id, me.id]);
  const onEdit = useCallback(
    async (message: Message, body: string) => {
      try {
        await editMessage(queryClient, message, body);
        return true;
      } catch (error) {
        toast.error(`${t("message.editFailed")} ${errorMessage(error)}`);
        return false;
      }
    },
    [queryClient, t],
  );
  // Deleting is for everyone and cannot be undone: it is confirmed first.
  const [toDelete, setToDelete] = useState<Message | null>(null);
  const onDelete = useCallback((message: Message) => setToDelete(message), []);
  const confirmDelete = useCallback(() => {
    if (!toDelete) return;
    setToDelete(null);
    deleteMessage(queryClient, toDelete).catch((error: unknown) =>
      toast.error(`${t("message.deleteFailed")} ${errorMessage(error)}`),
    );
  }, [queryClient, t, toDelete]);
  const onLoadOlder = useCallback(() => loadOlder(queryClient, id), [queryClient, id]);

  return (
    <div className="flex min-h-0 flex-1 flex-col bg-slate-50 dark:bg-slate-950">
      <ConversationHeader conversation={conversation} meId={me.id} onOpenSettings={() => setSettingsOpen(true)} />
      {messages.data ? (
        <MessageList
          conversation={conversation}
          meId={me.id}
          state={messages.data}
          onLoadOlder={onLoadOlder}
          onRetry={onRetry}
          onEdit={onEdit}
          onDelete={onDelete}
        />
      ) : messages.isError ? (
        <div className="flex flex-1 flex-col items-center justify-center gap-3 px-6 text-center">
          <p className="text-sm text-slate-600 dark:text-slate-400">{t("conversation.loadError")}</p>
          <p className="text-sm text-slate-500">{errorMessage(messages.error)}</p>
          <Button variant="secondary" size="sm" onClick={() => void messages.refetch()} loading={messages.isFetching}>
            {t("common.tryAgain")}
          </Button>
        </div>
      ) : (
        <div className="flex flex-1 items-center justify-center">
          <Spinner className="size-6 text-brand-600" label={t("conversation.loading")} />
        </div>
      )}
      <TypingIndicator users={typingUsers} />
      <Composer onSend={onSend} onTyping={() => emitTyping(id)} />
      {toDelete && (
        <Dialog title={t("message.delete")} onClose={() => setToDelete(null)}>
          <p className="text-sm text-slate-700 dark:text-slate-300">{t("message.confirmDelete")}</p>
          <div className="mt-4 flex justify-end gap-2">
            <Button variant="secondary" size="sm" onClick={() => setToDelete(null)}>
              {t("common.cancel")}
            </Button>
            <Button size="sm" onClick={confirmDelete}>
              {t("message.confirmDeleteButton")}
            </Button>
          </div>
        </Dialog>
      )}
      {settingsOpen && conversation.kind === "group" && (
        <GroupSettings conversation={conversation} me={me} onClose={() => setSettingsOpen(false)} />
      )}
    </div>
  );
}
