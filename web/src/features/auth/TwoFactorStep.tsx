import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { Button } from "../../components/ui/Button";
import { TextField } from "../../components/ui/TextField";
import { isApiError } from "../../lib/api";
import { AuthLayout, FormAlert, authLinkClass } from "./AuthLayout";
import { fieldErrorsFrom } from "./formErrors";
import { useLoginTwoFactor } from "./queries";

const CODE_ID = "login-code";

type Mode = "app" | "recovery";

interface TwoFactorStepProps {
  /** From the password step's 202 answer. */
  challenge: string;
  onSignedIn: () => void;
  /** Back to the password step, with a message to show there (or none). */
  onStartOver: (message: string | null) => void;
}

/** Codes are typed or pasted with spaces now and then ("123 456"); the server wants none. */
export function normalizeCode(code: string): string {
  return code.replace(/\s+/g, "");
}

function focusCode(select = false): void {
  const input = document.getElementById(CODE_ID);
  if (!(input instanceof HTMLInputElement)) return;
  input.focus();
  if (select) input.select();
}

/** The sign-in's second step: a code from the authenticator app, or a recovery code. */
export function TwoFactorStep({ challenge, onSignedIn, onStartOver }: TwoFactorStepProps) {
  const { t } = useTranslation();
  const verify = useLoginTwoFactor();
  const [mode, setMode] = useState<Mode>("app");
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [formError, setFormError] = useState<string | null>(null);
  const recovery = mode === "recovery";

  const switchMode = () => {
    setMode(recovery ? "app" : "recovery");
    setCode("");
    setError(undefined);
    setFormError(null);
    focusCode();
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (verify.isPending) return;
    setFormError(null);
    const value = normalizeCode(code);
    if (!value) {
      setError(t(recovery ? "auth.enterRecoveryCode" : "auth.enterCode"));
      focusCode();
      return;
    }
    verify.mutate(
      { challenge, code: value },
      {
        onSuccess: onSignedIn,
        onError: (failure) => {
          if (isApiError(failure) && failure.code === "challenge_expired") {
            onStartOver(t("auth.challengeExpired"));
            return;
          }
          if (isApiError(failure) && failure.code === "invalid_code") {
            setError(t(recovery ? "auth.invalidRecoveryCode" : "auth.invalidCode"));
            focusCode(true);
            return;
          }
          if (isApiError(failure) && (failure.status === 401 || failure.status === 429)) {
            setFormError(failure.message);
            return;
          }
          const inline = fieldErrorsFrom(failure, ["code"] as const);
          if (inline.code) {
            setError(inline.code);
            focusCode(true);
          }
        },
      },
    );
  };

  return (
    <AuthLayout
      title={t("auth.twoFactorTitle")}
      subtitle={t(recovery ? "auth.recoverySubtitle" : "auth.twoFactorSubtitle")}
      footer={
        <button type="button" className={authLinkClass} onClick={() => onStartOver(null)}>
          {t("auth.startOver")}
        </button>
      }
    >
      <form noValidate onSubmit={onSubmit} className="space-y-5" aria-describedby={formError ? "login-code-form-error" : undefined}>
        {formError && <FormAlert id="login-code-form-error">{formError}</FormAlert>}
        <TextField
          id={CODE_ID}
          name="code"
          label={t(recovery ? "auth.recoveryCode" : "auth.twoFactorCode")}
          hint={t(recovery ? "auth.recoveryCodeHint" : "auth.twoFactorCodeHint")}
          autoComplete={recovery ? "off" : "one-time-code"}
          inputMode={recovery ? "text" : "numeric"}
          autoCapitalize="none"
          autoCorrect="off"
          spellCheck={false}
          autoFocus
          value={code}
          onChange={(event) => {
            setCode(event.target.value);
            setError(undefined);
            setFormError(null);
          }}
          error={error}
        />
        <Button type="submit" size="lg" className="w-full" loading={verify.isPending}>
          {t("auth.verify")}
        </Button>
        <p className="text-center text-sm">
          <button type="button" className={authLinkClass} onClick={switchMode}>
            {t(recovery ? "auth.useAuthenticator" : "auth.useRecoveryCode")}
          </button>
        </p>
      </form>
    </AuthLayout>
  );
}
