import { useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import type { UseMutationResult } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { Button } from "../../components/ui/Button";
import { Spinner } from "../../components/ui/Spinner";
import { PasswordField, TextField } from "../../components/ui/TextField";
import { i18n, useLanguage } from "../../i18n";
import { isApiError, type ApiError } from "../../lib/api";
import { formatDateTime } from "../../lib/time";
import type { PasswordAndCode, TwoFactorSetup, TwoFactorStatus } from "../../lib/types";
import { useMe } from "../auth/queries";
import { fieldErrorsFrom, focusFirstInvalid } from "../auth/formErrors";
import { normalizeCode } from "../auth/TwoFactorStep";
import {
  useDisableTwoFactor,
  useEnableTwoFactor,
  useRegenerateRecoveryCodes,
  useSetupTwoFactor,
  useTwoFactorStatus,
} from "./queries";

/** At or below this many recovery codes left, the section warns. */
export const LOW_RECOVERY_CODES = 3;

const PASSWORD_ID = "two-factor-password";
const CODE_ID = "two-factor-code";
const FIELDS = ["password", "code"] as const;
type Field = (typeof FIELDS)[number];
type Errors = Partial<Record<Field, string>>;
const fieldId = (field: Field) => (field === "password" ? PASSWORD_ID : CODE_ID);

/** What the section shows under the status: nothing, or one step of a change. */
type Step =
  | { kind: "closed" }
  | { kind: "setup" }
  | { kind: "scan"; setup: TwoFactorSetup }
  | { kind: "disable" }
  | { kind: "regenerate" }
  | { kind: "codes"; codes: string[] };

/**
 * The QR code as an image: the server's SVG document goes in a data: URL
 * (allowed by the CSP's img-src), never into the page as markup.
 */
export function svgDataUri(svg: string): string {
  const bytes = new TextEncoder().encode(svg);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}

/** A base32 secret in groups of four, easier to type: "ABCD EFGH IJ". */
export function groupSecret(secret: string): string {
  return secret.match(/.{1,4}/g)?.join(" ") ?? secret;
}

async function copyText(text: string, done: string, failed: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    toast.success(done);
  } catch {
    toast.error(failed);
  }
}

function downloadText(filename: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * Splits a failed confirmation into inline messages; a 409 (already on, off,
 * or no enrolment) is handed to `onConflict` instead.
 */
function confirmationErrors(error: unknown, onConflict: (error: ApiError) => void): Errors {
  if (!isApiError(error)) return fieldErrorsFrom(error, FIELDS);
  if (error.code === "wrong_password") return { password: i18n.t("twoFactor.wrongPassword") };
  if (error.code === "invalid_code") return { code: i18n.t("twoFactor.invalidCode") };
  if (error.status === 409) {
    onConflict(error);
    return {};
  }
  return fieldErrorsFrom(error, FIELDS);
}

/** Two-factor sign-in: its status, and turning it on or off or renewing the recovery codes. */
export function TwoFactorSection() {
  const { t } = useTranslation();
  const status = useTwoFactorStatus();
  const [panel, setPanel] = useState<Step>({ kind: "closed" });
  const close = () => setPanel({ kind: "closed" });
  const actionsRef = useRef<HTMLDivElement>(null);
  const wasOpen = useRef(false);
  // Closing a step removes whatever had focus: give it back to the section's actions.
  useEffect(() => {
    if (panel.kind !== "closed") wasOpen.current = true;
    else if (wasOpen.current) {
      wasOpen.current = false;
      actionsRef.current?.querySelector("button")?.focus();
    }
  }, [panel.kind]);
  /** Someone changed it meanwhile (another tab): show what is true now. */
  const onConflict = (error: ApiError) => {
    toast.error(error.message);
    close();
    void status.refetch();
  };

  if (status.isPending) return <Spinner label={t("common.loading")} className="text-brand-600" />;
  if (status.isError) {
    return (
      <div className="flex items-center gap-3">
        <p className="text-sm text-slate-600 dark:text-slate-400">{t("twoFactor.loadError")}</p>
        <Button variant="secondary" size="sm" onClick={() => void status.refetch()}>
          {t("common.tryAgain")}
        </Button>
      </div>
    );
  }

  return (
    <div className="space-y-4">
      <StatusSummary status={status.data} />
      {panel.kind === "closed" && (
        <div ref={actionsRef} className="flex flex-wrap gap-2">
          {status.data.enabled ? (
            <>
              <Button variant="secondary" onClick={() => setPanel({ kind: "regenerate" })}>
                {t("twoFactor.newCodes")}
              </Button>
              <Button variant="secondary" onClick={() => setPanel({ kind: "disable" })}>
                {t("twoFactor.turnOff")}
              </Button>
            </>
          ) : (
            <Button onClick={() => setPanel({ kind: "setup" })}>{t("twoFactor.setUp")}</Button>
          )}
        </div>
      )}
      {panel.kind === "setup" && (
        <SetupPasswordForm onCancel={close} onStarted={(setup) => setPanel({ kind: "scan", setup })} onConflict={onConflict} />
      )}
      {panel.kind === "scan" && (
        <ScanForm
          setup={panel.setup}
          onCancel={close}
          onEnabled={(codes) => setPanel({ kind: "codes", codes })}
          onRestart={() => setPanel({ kind: "setup" })}
          onConflict={onConflict}
        />
      )}
      {panel.kind === "disable" && <DisableForm onCancel={close} onDone={close} onConflict={onConflict} />}
      {panel.kind === "regenerate" && (
        <RegenerateForm onCancel={close} onDone={(codes) => setPanel({ kind: "codes", codes })} onConflict={onConflict} />
      )}
      {panel.kind === "codes" && <RecoveryCodes codes={panel.codes} onDone={close} />}
    </div>
  );
}

function StatusSummary({ status }: { status: TwoFactorStatus }) {
  const { t } = useTranslation();
  const language = useLanguage();
  if (!status.enabled) {
    return (
      <div data-testid="two-factor-status" data-enabled="false">
        <p className="text-sm font-medium text-slate-900 dark:text-white">{t("twoFactor.off")}</p>
        <p className="text-sm text-slate-500 dark:text-slate-400">{t("twoFactor.offHelp")}</p>
      </div>
    );
  }
  const low = status.recovery_codes_left <= LOW_RECOVERY_CODES;
  return (
    <div data-testid="two-factor-status" data-enabled="true" className="space-y-0.5">
      <p className="flex items-center gap-2 text-sm font-medium text-slate-900 dark:text-white">
        <span className="rounded-full bg-emerald-50 px-2 py-0.5 text-[11px] font-medium text-emerald-700 ring-1 ring-emerald-600/20 dark:bg-emerald-500/15 dark:text-emerald-300">
          {t("twoFactor.onBadge")}
        </span>
        {t("twoFactor.on")}
      </p>
      {status.enabled_at && (
        <p className="text-sm text-slate-500 dark:text-slate-400">
          {t("twoFactor.enabledSince", { date: formatDateTime(status.enabled_at, language) })}
        </p>
      )}
      <p
        className={
          low ? "text-sm font-medium text-amber-700 dark:text-amber-300" : "text-sm text-slate-500 dark:text-slate-400"
        }
      >
        {t("twoFactor.codesLeft", { count: status.recovery_codes_left })}
        {low && ` ${t("twoFactor.codesLow")}`}
      </p>
    </div>
  );
}

/**
 * A bordered box for one step of a change. Focus moves to its heading, unless
 * the step starts with a field to type in (which then has autoFocus).
 */
function StepBox({ title, focusHeading = false, children }: { title: string; focusHeading?: boolean; children: ReactNode }) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (focusHeading) headingRef.current?.focus();
  }, [focusHeading]);
  return (
    <div className="rounded-xl border border-slate-200 p-4 dark:border-slate-800">
      <h3 ref={headingRef} tabIndex={-1} className="text-sm font-semibold text-slate-900 focus:outline-none dark:text-white">
        {title}
      </h3>
      <div className="mt-2 space-y-4">{children}</div>
    </div>
  );
}

/** A form's submit button and "Cancel". */
function FormActions({ pending, submitLabel, onCancel }: { pending: boolean; submitLabel: string; onCancel: () => void }) {
  const { t } = useTranslation();
  return (
    <div className="flex flex-wrap gap-2">
      <Button type="submit" loading={pending}>
        {submitLabel}
      </Button>
      <Button variant="secondary" onClick={onCancel}>
        {t("common.cancel")}
      </Button>
    </div>
  );
}

function Help({ children }: { children: ReactNode }) {
  return <p className="text-sm text-slate-600 dark:text-slate-400">{children}</p>;
}

function CodeField({ label, value, onChange, error, appOnly }: { label: string; value: string; onChange: (value: string) => void; error: string | undefined; appOnly: boolean }) {
  return (
    <TextField
      id={CODE_ID}
      label={label}
      autoComplete={appOnly ? "one-time-code" : "off"}
      inputMode={appOnly ? "numeric" : "text"}
      autoCapitalize="none"
      autoCorrect="off"
      spellCheck={false}
      value={value}
      onChange={(event) => onChange(event.target.value)}
      error={error}
    />
  );
}

interface StepProps {
  onCancel: () => void;
  onConflict: (error: ApiError) => void;
}

function SetupPasswordForm({ onCancel, onStarted, onConflict }: StepProps & { onStarted: (setup: TwoFactorSetup) => void }) {
  const { t } = useTranslation();
  const start = useSetupTwoFactor();
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<Errors>({});

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (start.isPending) return;
    if (!password) {
      setErrors({ password: t("twoFactor.enterPassword") });
      document.getElementById(PASSWORD_ID)?.focus();
      return;
    }
    start.mutate(password, {
      onSuccess: (setup) => {
        setPassword("");
        start.reset(); // nor keep the password in the mutation's state
        onStarted(setup);
      },
      onError: (error) => {
        const found = confirmationErrors(error, onConflict);
        setErrors(found);
        focusFirstInvalid(found, FIELDS, fieldId);
      },
    });
  };

  return (
    <StepBox title={t("twoFactor.setUpTitle")}>
      <Help>{t("twoFactor.setupIntro")}</Help>
      <form noValidate onSubmit={onSubmit} className="max-w-sm space-y-4">
        <PasswordField
          id={PASSWORD_ID}
          label={t("twoFactor.password")}
          autoComplete="current-password"
          autoFocus
          value={password}
          onChange={(event) => {
            setPassword(event.target.value);
            setErrors({});
          }}
          error={errors.password}
        />
        <FormActions pending={start.isPending} submitLabel={t("twoFactor.continue")} onCancel={onCancel} />
      </form>
    </StepBox>
  );
}

function ScanForm({
  setup,
  onCancel,
  onEnabled,
  onRestart,
  onConflict,
}: StepProps & { setup: TwoFactorSetup; onEnabled: (codes: string[]) => void; onRestart: () => void }) {
  const { t } = useTranslation();
  const enable = useEnableTwoFactor();
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | undefined>();

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (enable.isPending) return;
    const value = normalizeCode(code);
    if (!/^\d{6}$/.test(value)) {
      setError(t("twoFactor.enterAppCode"));
      document.getElementById(CODE_ID)?.focus();
      return;
    }
    enable.mutate(value, {
      onSuccess: (codes) => {
        toast.success(t("twoFactor.turnedOn"));
        onEnabled(codes);
      },
      onError: (failure) => {
        if (isApiError(failure) && failure.code === "two_factor_not_set_up") {
          toast.error(t("twoFactor.setupExpired"));
          onRestart();
          return;
        }
        const found = confirmationErrors(failure, onConflict);
        setError(found.code);
        if (found.code) document.getElementById(CODE_ID)?.focus();
      },
    });
  };

  return (
    <StepBox title={t("twoFactor.setUpTitle")} focusHeading>
      <Help>{t("twoFactor.scan")}</Help>
      <img
        src={svgDataUri(setup.qr_svg)}
        alt={t("twoFactor.qrAlt")}
        width={192}
        height={192}
        className="size-48 rounded-lg border border-slate-200 bg-white p-2 dark:border-slate-700"
      />
      <div className="space-y-1.5">
        <Help>{t("twoFactor.manual")}</Help>
        <div className="flex flex-wrap items-center gap-2">
          <code
            data-testid="two-factor-secret"
            aria-label={t("twoFactor.secretLabel")}
            className="rounded-md bg-slate-100 px-2 py-1 font-mono text-sm tracking-wider break-all text-slate-900 select-all dark:bg-slate-800 dark:text-slate-100"
          >
            {groupSecret(setup.secret)}
          </code>
          <Button
            variant="secondary"
            size="sm"
            onClick={() => void copyText(setup.secret, t("twoFactor.keyCopied"), t("twoFactor.copyFailed"))}
          >
            {t("twoFactor.copyKey")}
          </Button>
        </div>
        <a href={setup.otpauth_uri} className="inline-block text-sm font-medium text-brand-600 hover:underline dark:text-brand-400">
          {t("twoFactor.openInApp")}
        </a>
      </div>
      <form noValidate onSubmit={onSubmit} className="max-w-sm space-y-4">
        <Help>{t("twoFactor.enterFirstCode")}</Help>
        <CodeField
          label={t("twoFactor.appCode")}
          value={code}
          onChange={(value) => {
            setCode(value);
            setError(undefined);
          }}
          error={error}
          appOnly
        />
        <FormActions pending={enable.isPending} submitLabel={t("twoFactor.turnOn")} onCancel={onCancel} />
      </form>
    </StepBox>
  );
}

/** Password plus a code from the app or a recovery code, as turning off and new codes both ask. */
function useConfirmationForm() {
  const { t } = useTranslation();
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [errors, setErrors] = useState<Errors>({});

  /** The values to send, or null (with the errors shown) when something is missing. */
  const validate = (): { password: string; code: string } | null => {
    const found: Errors = {};
    if (!password) found.password = t("twoFactor.enterPassword");
    const value = normalizeCode(code);
    if (!value) found.code = t("twoFactor.enterCodeOrRecovery");
    setErrors(found);
    if (Object.keys(found).length) {
      focusFirstInvalid(found, FIELDS, fieldId);
      return null;
    }
    return { password, code: value };
  };

  const fields = (
    <>
      <PasswordField
        id={PASSWORD_ID}
        label={t("twoFactor.password")}
        autoComplete="current-password"
        autoFocus
        value={password}
        onChange={(event) => {
          setPassword(event.target.value);
          setErrors((e) => ({ ...e, password: undefined }));
        }}
        error={errors.password}
      />
      <CodeField
        label={t("twoFactor.codeOrRecovery")}
        value={code}
        onChange={(value) => {
          setCode(value);
          setErrors((e) => ({ ...e, code: undefined }));
        }}
        error={errors.code}
        appOnly={false}
      />
    </>
  );

  const showErrors = (found: Errors) => {
    setErrors(found);
    focusFirstInvalid(found, FIELDS, fieldId);
  };

  const clear = () => {
    setPassword("");
    setCode("");
  };

  return { fields, validate, showErrors, clear };
}

interface ConfirmedChangeProps<T> extends StepProps {
  mutation: UseMutationResult<T, Error, PasswordAndCode>;
  title: string;
  help: string;
  submitLabel: string;
  doneMessage: string;
  onDone: (result: T) => void;
}

/** A change that needs the password and a code: turning off, or new recovery codes. */
function ConfirmedChangeForm<T>({
  mutation,
  title,
  help,
  submitLabel,
  doneMessage,
  onCancel,
  onDone,
  onConflict,
}: ConfirmedChangeProps<T>) {
  const form = useConfirmationForm();

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (mutation.isPending) return;
    const input = form.validate();
    if (!input) return;
    mutation.mutate(input, {
      onSuccess: (result) => {
        form.clear();
        mutation.reset();
        toast.success(doneMessage);
        onDone(result);
      },
      onError: (error) => form.showErrors(confirmationErrors(error, onConflict)),
    });
  };

  return (
    <StepBox title={title}>
      <Help>{help}</Help>
      <form noValidate onSubmit={onSubmit} className="max-w-sm space-y-4">
        {form.fields}
        <FormActions pending={mutation.isPending} submitLabel={submitLabel} onCancel={onCancel} />
      </form>
    </StepBox>
  );
}

function DisableForm({ onCancel, onDone, onConflict }: StepProps & { onDone: () => void }) {
  const { t } = useTranslation();
  return (
    <ConfirmedChangeForm
      mutation={useDisableTwoFactor()}
      title={t("twoFactor.turnOffTitle")}
      help={t("twoFactor.confirmOff")}
      submitLabel={t("twoFactor.confirmTurnOff")}
      doneMessage={t("twoFactor.turnedOff")}
      onCancel={onCancel}
      onDone={() => onDone()}
      onConflict={onConflict}
    />
  );
}

function RegenerateForm({ onCancel, onDone, onConflict }: StepProps & { onDone: (codes: string[]) => void }) {
  const { t } = useTranslation();
  return (
    <ConfirmedChangeForm
      mutation={useRegenerateRecoveryCodes()}
      title={t("twoFactor.newCodesTitle")}
      help={t("twoFactor.confirmNewCodes")}
      submitLabel={t("twoFactor.createCodes")}
      doneMessage={t("twoFactor.codesCreated")}
      onCancel={onCancel}
      onDone={onDone}
      onConflict={onConflict}
    />
  );
}

/** The recovery codes, shown once, right after they were made. */
function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const text = [
    t("twoFactor.fileHeading", { username: me?.username ?? "" }),
    t("twoFactor.fileHelp"),
    "",
    ...codes,
    "",
  ].join("\n");

  return (
    <StepBox title={t("twoFactor.codesTitle")} focusHeading>
      <Help>{t("twoFactor.codesHelp")}</Help>
      <ul
        aria-label={t("twoFactor.codesList")}
        className="grid max-w-sm grid-cols-2 gap-x-6 gap-y-1 rounded-lg bg-slate-50 p-3 dark:bg-slate-800/60"
      >
        {codes.map((code) => (
          <li key={code} data-testid="recovery-code" className="font-mono text-sm text-slate-900 dark:text-slate-100">
            {code}
          </li>
        ))}
      </ul>
      <div className="flex flex-wrap gap-2">
        <Button
          variant="secondary"
          onClick={() => void copyText(codes.join("\n"), t("twoFactor.codesCopied"), t("twoFactor.copyFailed"))}
        >
          {t("twoFactor.copyCodes")}
        </Button>
        <Button variant="secondary" onClick={() => downloadText("vaultroom-recovery-codes.txt", text)}>
          {t("twoFactor.download")}
        </Button>
        <Button onClick={onDone}>{t("twoFactor.savedThem")}</Button>
      </div>
    </StepBox>
  );
}
