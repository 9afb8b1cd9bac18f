import { useState, type ChangeEvent, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { Link, useLocation, useNavigate } from "react-router";
import { i18n } from "../../i18n";
import { Button } from "../../components/ui/Button";
import { PasswordField, TextField } from "../../components/ui/TextField";
import { isApiError } from "../../lib/api";
import { useDocumentTitle } from "../../lib/hooks";
import { AuthLayout, FormAlert, authLinkClass } from "./AuthLayout";
import { fieldErrorsFrom, focusFirstInvalid } from "./formErrors";
import { useLogin } from "./queries";
import { TwoFactorStep } from "./TwoFactorStep";

const FIELDS = ["login", "password"] as const;
type Field = (typeof FIELDS)[number];
type Errors = Partial<Record<Field, string>>;

const fieldId = (field: Field) => `login-${field}`;

/** Where to go after signing in: back to the page the guard sent us from. */
function redirectTarget(state: unknown): string {
  if (typeof state === "object" && state !== null && "from" in state) {
    const from = (state as { from?: { pathname?: unknown; search?: unknown; hash?: unknown } }).from;
    if (from && typeof from.pathname === "string" && from.pathname.startsWith("/") && !from.pathname.startsWith("//")) {
      const search = typeof from.search === "string" ? from.search : "";
      const hash = typeof from.hash === "string" ? from.hash : "";
      if (from.pathname !== "/login" && from.pathname !== "/register") return from.pathname + search + hash;
    }
  }
  return "/";
}

function validate(values: Record<Field, string>): Errors {
  const errors: Errors = {};
  if (!values.login.trim()) errors.login = i18n.t("auth.enterLogin");
  if (!values.password) errors.password = i18n.t("auth.enterPassword");
  return errors;
}

export function LoginPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const location = useLocation();
  const loginMutation = useLogin();

  const [values, setValues] = useState<Record<Field, string>>({ login: "", password: "" });
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<string | null>(null);
  /** Set once the password was right but the account asks for a second factor. */
  const [challenge, setChallenge] = useState<string | null>(null);
  useDocumentTitle(challenge === null ? t("auth.signIn") : t("auth.twoFactorTitle"));

  const finish = () => void navigate(redirectTarget(location.state), { replace: true });

  const update = (field: Field) => (event: ChangeEvent<HTMLInputElement>) => {
    setValues((v) => ({ ...v, [field]: event.target.value }));
    setErrors((e) => ({ ...e, [field]: undefined }));
    setFormError(null);
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (loginMutation.isPending) return;
    setFormError(null);
    const clientErrors = validate(values);
    setErrors(clientErrors);
    if (Object.keys(clientErrors).length) {
      focusFirstInvalid(clientErrors, FIELDS, fieldId);
      return;
    }
    loginMutation.mutate(
      { login: values.login.trim(), password: values.password },
      {
        onSuccess: (result) => {
          if (!result.two_factor_required) {
            finish();
            return;
          }
          // The password did its job: forget it (the field's value and the
          // mutation's copy of it) before asking for the code.
          setValues((v) => ({ ...v, password: "" }));
          loginMutation.reset();
          setChallenge(result.challenge);
        },
        onError: (error) => {
          if (isApiError(error) && error.status === 401) {
            setFormError(error.message);
            return;
          }
          const inline = fieldErrorsFrom(error, FIELDS);
          setErrors(inline);
          focusFirstInvalid(inline, FIELDS, fieldId);
        },
      },
    );
  };

  if (challenge !== null) {
    return (
      <TwoFactorStep
        challenge={challenge}
        onSignedIn={finish}
        onStartOver={(message) => {
          setChallenge(null);
          setErrors({});
          setFormError(message);
        }}
      />
    );
  }

  return (
    <AuthLayout
      title={t("auth.welcomeBack")}
      subtitle={t("auth.signInSubtitle")}
      footer={
        <>
          {t("auth.newHere")}{" "}
          <Link to="/register" className={authLinkClass}>
            {t("auth.createAnAccount")}
          </Link>
        </>
      }
    >
      <form noValidate onSubmit={onSubmit} className="space-y-5" aria-describedby={formError ? "login-form-error" : undefined}>
        {formError && <FormAlert id="login-form-error">{formError}</FormAlert>}
        <TextField
          id={fieldId("login")}
          name="login"
          label={t("auth.usernameOrEmail")}
          autoComplete="username"
          autoCapitalize="none"
          autoCorrect="off"
          spellCheck={false}
          autoFocus={!values.login}
          value={values.login}
          onChange={update("login")}
          error={errors.login}
        />
        <PasswordField
          id={fieldId("password")}
          name="password"
          label={t("auth.password")}
          autoComplete="current-password"
          autoFocus={!!values.login}
          value={values.password}
          onChange={update("password")}
          error={errors.password}
        />
        <Button type="submit" size="lg" className="w-full" loading={loginMutation.isPending}>
          {t("auth.signIn")}
        </Button>
      </form>
    </AuthLayout>
  );
}
