import { useState, type ChangeEvent, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
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
  if (!username) errors.username = "Choose a username.";
  else if (!USERNAME_RE.test(username))
    errors.username = "Use 3–32 characters: letters, numbers, dots, hyphens and underscores.";

  const email = values.email.trim();
  if (!email) errors.email = "Enter your email address.";
  else if (!EMAIL_RE.test(email)) errors.email = "Enter a valid email address.";

  if (values.display_name.trim().length > 64) errors.display_name = "Use at most 64 characters.";

  if (!values.password) errors.password = "Choose a password.";
  else if (values.password.length < 8) errors.password = "Use at least 8 characters.";
  else if (values.password.length > 256) errors.password = "Use at most 256 characters.";
  return errors;
}

export function RegisterPage() {
  useDocumentTitle("Create account");
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
      title="Create your account"
      subtitle="Private conversations on a server you control."
      footer={
        <>
          Already have an account?{" "}
          <Link to="/login" className={authLinkClass}>
            Sign in
          </Link>
        </>
      }
    >
      <form noValidate onSubmit={onSubmit} className="space-y-5">
        <TextField
          id={fieldId("username")}
          name="username"
          label="Username"
          autoComplete="username"
          autoCapitalize="none"
          autoCorrect="off"
          spellCheck={false}
          autoFocus
          maxLength={32}
          value={values.username}
          onChange={update("username")}
          error={errors.username}
          hint="3–32 characters: letters, numbers, dots, hyphens and underscores."
        />
        <TextField
          id={fieldId("email")}
          name="email"
          type="email"
          label="Email"
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
          label="Display name (optional)"
          autoComplete="nickname"
          maxLength={64}
          value={values.display_name}
          onChange={update("display_name")}
          error={errors.display_name}
          hint="How others see you. You can use spaces and any characters."
        />
        <PasswordField
          id={fieldId("password")}
          name="password"
          label="Password"
          autoComplete="new-password"
          value={values.password}
          onChange={update("password")}
          error={errors.password}
          hint="At least 8 characters. A few unrelated words make a strong password."
          below={
            <PasswordStrengthMeter
              id={`${fieldId("password")}-strength`}
              password={values.password}
              userInputs={[values.username, values.email, values.display_name]}
            />
          }
        />
        <Button type="submit" size="lg" className="w-full" loading={registerMutation.isPending}>
          Create account
        </Button>
      </form>
    </AuthLayout>
  );
}
