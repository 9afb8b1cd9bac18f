import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { Button } from "../../components/ui/Button";
import { PasswordField } from "../../components/ui/TextField";
import { errorMessage, isApiError } from "../../lib/api";
import { useChangePassword } from "./queries";

type Errors = { current_password?: string; new_password?: string };

export function PasswordForm() {
  const { t } = useTranslation();
  const change = useChangePassword();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [errors, setErrors] = useState<Errors>({});

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const found: Errors = {};
    if (!current) found.current_password = t("account.enterCurrent");
    if (next.length < 8) found.new_password = t("account.enterNew");
    setErrors(found);
    if (Object.keys(found).length) return;
    change.mutate(
      { current_password: current, new_password: next },
      {
        onSuccess: () => {
          setCurrent("");
          setNext("");
          toast.success(t("account.passwordChanged"));
        },
        onError: (error) => {
          if (isApiError(error) && error.code === "wrong_password") setErrors({ current_password: error.message });
          else if (isApiError(error) && error.hasFieldErrors) setErrors(error.fields);
          else toast.error(errorMessage(error));
        },
      },
    );
  };

  return (
    <form noValidate onSubmit={onSubmit} className="max-w-sm space-y-4">
      <PasswordField
        id="account-current-password"
        label={t("account.currentPassword")}
        autoComplete="current-password"
        value={current}
        onChange={(e) => setCurrent(e.target.value)}
        error={errors.current_password}
      />
      <PasswordField
        id="account-new-password"
        label={t("account.newPassword")}
        autoComplete="new-password"
        value={next}
        onChange={(e) => setNext(e.target.value)}
        error={errors.new_password}
        hint={t("account.newPasswordHint")}
      />
      <Button type="submit" loading={change.isPending}>
        {t("account.changePassword")}
      </Button>
    </form>
  );
}
