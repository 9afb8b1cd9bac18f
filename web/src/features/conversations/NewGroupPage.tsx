import { useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";
import { toast } from "sonner";
import { Button } from "../../components/ui/Button";
import { TextField } from "../../components/ui/TextField";
import { api, errorMessage, isApiError } from "../../lib/api";
import { useDocumentTitle } from "../../lib/hooks";
import type { Me, User } from "../../lib/types";
import { useMe } from "../auth/queries";
import { PeoplePicker } from "../people/PeoplePicker";
import { PageHeader } from "./PageHeader";
import { displayName } from "./conversationList";
import { storeConversation } from "./queries";

export function NewGroupPage() {
  const { data: me } = useMe();
  return me ? <NewGroupForm me={me} /> : null;
}

function NewGroupForm({ me }: { me: Me }) {
  const { t } = useTranslation();
  useDocumentTitle(t("group.newTitle"));
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [title, setTitle] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [selected, setSelected] = useState<Map<number, User>>(new Map());
  const [saving, setSaving] = useState(false);

  const toggle = (user: User) =>
    setSelected((current) => {
      const next = new Map(current);
      if (next.has(user.id)) next.delete(user.id);
      else next.set(user.id, user);
      return next;
    });

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const name = title.trim();
    if (!name) return setError(t("group.nameRequired"));
    if (name.length > 100) return setError(t("group.nameTooLong"));
    setSaving(true);
    try {
      const conversation = await api.createGroup(name, [...selected.keys()]);
      storeConversation(queryClient, conversation, me.id);
      toast.success(t("group.created", { title: name }));
      void navigate(`/c/${conversation.id}`);
    } catch (err) {
      if (isApiError(err) && err.fields.title) setError(err.fields.title);
      else toast.error(`${t("group.createFailed")} ${errorMessage(err)}`);
    } finally {
      setSaving(false);
    }
  };

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <PageHeader title={t("group.newTitle")} />
      <div className="min-h-0 flex-1 overflow-y-auto">
        <form noValidate onSubmit={(e) => void onSubmit(e)} className="mx-auto max-w-lg space-y-5 px-4 py-6">
          <p className="text-sm text-slate-600 dark:text-slate-400">{t("group.newSubtitle")}</p>
          <TextField
            id="new-group-title"
            label={t("group.name")}
            value={title}
            maxLength={100}
            autoFocus
            onChange={(e) => {
              setTitle(e.target.value);
              setError(undefined);
            }}
            error={error}
          />
          <PeoplePicker label={t("group.addMembers")} selected={new Set(selected.keys())} onToggle={toggle} />
          {selected.size > 0 && (
            <p className="text-sm text-slate-600 dark:text-slate-400">
              {t("group.selected", { count: selected.size })}:{" "}
              {[...selected.values()].map((u) => displayName(u)).join(", ")}
            </p>
          )}
          <Button type="submit" size="lg" className="w-full" loading={saving}>
            {t("group.create")}
          </Button>
        </form>
      </div>
    </div>
  );
}
