import { useState, type ChangeEvent, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";
import { i18n } from "../../i18n";
import { Button } from "../../components/ui/Button";
import { PasswordField, TextField } from "../../components/ui/TextField";
import { useDocumentTitle } from "../../lib/hooks";
import type { RegisterInput } from "../../lib/types";
import { AuthLayout, authLinkClass } from "./AuthLayout";
import { fieldErrorsFrom, focusFirstInvalid } from "./formErrors";
import { PasswordStrengthMeter } from "./PasswordStrengthMeter";
import { useRegister } from "./queries";

/** Field names are the request's keys, so server `fields` map straight onto them. */
const FIELDS = ["username", "email", "display_name", "password"] as const;
type Field = (typeof FIELDS)[number];
type Errors = Partial<Record<Field, string>>;

const fieldId = (field: Field) => `register-${field.replace("_", "-")}`;

const USERNAME_RE = /^[a-z0-9_.-]{3,32}$/;
const EMAIL_RE = /^[^\s@]+@[^\s@]+$/;

/** Quick checks that save a round trip; the server has the last word. */
function validate(values: Record<Field, string>): Errors {
  const errors: Errors = {};
  const username = values.username.trim().toLowerCase();
  if (!username) errors.username = i18n.t("auth.chooseUsername");
  else if (!USERNAME_RE.test(username))
    errors.username = i18n.t("auth.badUsername");

  const email = values.email.trim();
  if (!email) errors.email = i18n.t("auth.enterEmail");
  else if (!EMAIL_RE.test(email)) errors.email = i18n.t("auth.badEmail");

  if (values.display_name.trim().length > 64) errors.display_name = i18n.t("auth.displayNameTooLong");

  if (!values.password) errors.password = i18n.t("auth.choosePassword");
  else if (values.password.length < 8) errors.password = i18n.t("auth.passwordTooShort");
  else if (values.password.length > 256) errors.password = i18n.t("auth.passwordTooLong");
  return errors;
}

export function RegisterPage() {
  const { t } = useTranslation();
  useDocumentTitle(t("auth.createAccount"));
  const navigate = useNavigate();
  const registerMutation = useRegister();

  const [values, setValues] = useState<Record<Field, string>>({
    username: "",
    email: "",
    display_name: "",
    password: "",
  });
  const [errors, setErrors] = useState<Errors>({});

  const update = (field: Field) => (event: ChangeEvent<HTMLInputElement>) => {
    setValues((v) => ({ ...v, [field]: event.target.value }));
    setErrors((e) => ({ ...e, [field]: undefined }));
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (registerMutation.isPending) return;
    const clientErrors = validate(values);
    setErrors(clientErrors);
    if (Object.keys(clientErrors).length) {
      focusFirstInvalid(clientErrors, FIELDS, fieldId);
      return;
    }

    const input: RegisterInput = {
      username: values.username.trim(),
      email: values.email.trim(),
      password: values.password,
    };
    const displayName = values.display_name.trim();
    if (displayName) input.display_name = displayName;

    registerMutation.mutate(input, {
      onSuccess: () => void navigate("/", { replace: true }),
      onError: (error) => {
        const inline = fieldErrorsFrom(error, FIELDS);
        setErrors(inline);
        focusFirstInvalid(inline, FIELDS, fieldId);
      },
    });
  };

  return (
    <AuthLayout
      title={t("auth.createTitle")}
      subtitle={t("auth.createSubtitle")}
      footer={
        <>
          {t("auth.haveAccount")}{" "}
          <Link to="/login" className={authLinkClass}>
            {t("auth.signIn")}
          </Link>
        </>
      }
    >
      <form noValidate onSubmit={onSubmit} className="space-y-5">
        <TextField
          id={fieldId("username")}
          name="username"
          label={t("auth.username")}
          autoComplete="username"
          autoCapitalize="none"
          autoCorrect="off"
          spellCheck={false}
          autoFocus
          maxLength={32}
          value={values.username}
          onChange={update("username")}
          error={errors.username}
          hint={t("auth.usernameHint")}
        />
        <TextField
          id={fieldId("email")}
          name="email"
          type="email"
          label={t("auth.email")}
          autoComplete="email"
          autoCapitalize="none"
          spellCheck={false}
          value={values.email}
          onChange={update("email")}
          error={errors.email}
        />
        <TextField
          id={fieldId("display_name")}
          name="display_name"
          label={t("auth.displayName")}
          autoComplete="nickname"
          maxLength={64}
          value={values.display_name}
          onChange={update("display_name")}
          error={errors.display_name}
          hint={t("auth.displayNameHint")}
        />
        <PasswordField
          id={fieldId("password")}
          name="password"
          label={t("auth.password")}
          autoComplete="new-password"
          value={values.password}
          onChange={update("password")}
          error={errors.password}
          hint={t("auth.passwordHint")}
          below={
            <PasswordStrengthMeter
              id={`${fieldId("password")}-strength`}
              password={values.password}
              userInputs={[values.username, values.email, values.display_name]}
            />
          }
        />
        <Button type="submit" size="lg" className="w-full" loading={registerMutation.isPending}>
          {t("auth.createAccount")}
        </Button>
      </form>
    </AuthLayout>
  );
}
