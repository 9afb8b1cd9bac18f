import { useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";
import { toast } from "sonner";
import { Avatar } from "../../components/ui/Avatar";
import { Button } from "../../components/ui/Button";
import { Dialog } from "../../components/ui/Dialog";
import { TextField } from "../../components/ui/TextField";
import { api, errorMessage } from "../../lib/api";
import type { Conversation, Me, User } from "../../lib/types";
import { PeoplePicker } from "../people/PeoplePicker";
import { displayName, removeConversation } from "./conversationList";
import { storeConversation, updateConversations } from "./queries";

interface GroupSettingsProps {
  conversation: Conversation;
  me: Me;
  onClose: () => void;
}

export function GroupSettings({ conversation, me, onClose }: GroupSettingsProps) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const nameId = useId();
  const [title, setTitle] = useState(conversation.title ?? "");
  const [busy, setBusy] = useState<string | null>(null);
  const myRole = conversation.memberships.find((m) => m.user_id === me.id)?.role ?? "member";
  const canManage = myRole === "owner" || myRole === "admin";
  const roles = new Map(conversation.memberships.map((m) => [m.user_id, m.role]));
  const memberIds = new Set(conversation.members.map((m) => m.id));

  const run = async (key: string, action: () => Promise<void>) => {
    setBusy(key);
    try {
      await action();
    } catch (error) {
      toast.error(`${t("group.actionFailed")} ${errorMessage(error)}`);
    } finally {
      setBusy(null);
    }
  };

  const rename = (event: FormEvent) => {
    event.preventDefault();
    const next = title.trim();
    if (!next || next === conversation.title) return;
    void run("rename", async () => {
      storeConversation(queryClient, await api.renameGroup(conversation.id, next), me.id);
      toast.success(t("group.renamed"));
    });
  };
  const add = (user: User) =>
    void run(`add-${user.id}`, async () => {
      storeConversation(queryClient, await api.addMember(conversation.id, user.id), me.id);
      toast.success(t("group.added", { name: displayName(user) }));
    });
  const remove = (user: User) =>
    void run(`remove-${user.id}`, async () => {
      await api.removeMember(conversation.id, user.id);
      updateConversations(queryClient, (list) =>
        list.map((c) =>
          c.id === conversation.id
            ? {
                ...c,
                members: c.members.filter((m) => m.id !== user.id),
                memberships: c.memberships.filter((m) => m.user_id !== user.id),
              }
            : c,
        ),
      );
      toast.success(t("group.removed", { name: displayName(user) }));
    });
  const leave = () =>
    void run("leave", async () => {
      await api.removeMember(conversation.id, me.id);
      // Leave the page first, so that nothing on it asks for the conversation again.
      onClose();
      await navigate("/", { replace: true, flushSync: true });
      updateConversations(queryClient, (list) => removeConversation(list, conversation.id));
      toast.success(t("group.left", { title: conversation.title ?? "" }));
    });

  const canRemove = (userId: number) =>
    userId !== me.id && (myRole === "owner" || (myRole === "admin" && roles.get(userId) === "member"));

  return (
    <Dialog title={t("group.settings")} onClose={onClose}>
      <div className="space-y-6">
        {canManage ? (
          <form onSubmit={rename} className="flex items-end gap-2">
            <TextField id={nameId} label={t("group.name")} value={title} maxLength={100} onChange={(e) => setTitle(e.target.value)} className="flex-1" />
            <Button type="submit" loading={busy === "rename"} disabled={!title.trim() || title.trim() === conversation.title}>
              {t("common.save")}
            </Button>
          </form>
        ) : (
          <p className="text-sm text-slate-500 dark:text-slate-400">{t("group.onlyAdmins")}</p>
        )}

        <section>
          <h3 className="mb-2 text-sm font-semibold text-slate-900 dark:text-white">
            {t("group.members")} ({conversation.members.length})
          </h3>
          <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200 dark:divide-slate-800 dark:border-slate-800">
            {conversation.members.map((member) => (
              <li key={member.id} data-testid="member-item" data-username={member.username} className="flex items-center gap-3 px-3 py-2">
                <Avatar name={displayName(member)} seed={member.id} className="size-8 text-xs" />
                <span className="min-w-0 flex-1">
                  <span className="block truncate text-sm font-medium text-slate-900 dark:text-white">
                    {displayName(member)} {member.id === me.id && <span className="text-slate-500">({t("common.you")})</span>}
                  </span>
                  <span className="block truncate text-xs text-slate-500 dark:text-slate-400">
                    @{member.username}
                    {roles.get(member.id) === "owner" && ` · ${t("common.owner")}`}
                    {roles.get(member.id) === "admin" && ` · ${t("common.admin")}`}
                  </span>
                </span>
                {canRemove(member.id) && (
                  <Button variant="ghost" size="sm" loading={busy === `remove-${member.id}`} onClick={() => remove(member)} aria-label={t("group.remove", { username: member.username })}>
                    <span aria-hidden="true">✕</span>
                  </Button>
                )}
              </li>
            ))}
          </ul>
        </section>

        {canManage && (
          <PeoplePicker label={t("group.addMembers")} exclude={memberIds} onToggle={add} disabled={busy !== null} />
        )}

        <div className="border-t border-slate-200 pt-4 dark:border-slate-800">
          <Button variant="secondary" className="w-full text-red-600 dark:text-red-400" loading={busy === "leave"} onClick={leave}>
            {t("group.leave")}
          </Button>
        </div>
      </div>
    </Dialog>
  );
}
