import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { cn } from "../../lib/cn";
import { loadStrengthChecker, type StrengthScore } from "./passwordStrength";

interface PasswordStrengthMeterProps {
  id: string;
  password: string;
  /** Words the password should not be built from (username, email...). */
  userInputs: string[];
}

const barColours: Record<StrengthScore, string> = {
  0: "bg-red-500",
  1: "bg-orange-500",
  2: "bg-amber-400",
  3: "bg-lime-500",
  4: "bg-emerald-500",
};

export function PasswordStrengthMeter({ id, password, userInputs }: PasswordStrengthMeterProps) {
  const { t } = useTranslation();
  const [score, setScore] = useState<StrengthScore | null>(null);
  const inputsKey = userInputs.filter(Boolean).join("\u0000");

  useEffect(() => {
    if (!password) return;
    let cancelled = false;
    const timer = setTimeout(() => {
      loadStrengthChecker()
        .then((check) => {
          if (!cancelled) setScore(check(password, inputsKey ? inputsKey.split("\u0000") : []));
        })
        .catch(() => {
          // The meter is only advice; the server checks the password anyway.
        });
    }, 120);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [password, inputsKey]);

  if (!password || score === null) return null;

  return (
    <div id={id} className="space-y-1" aria-live="polite">
      <div className="flex gap-1" aria-hidden="true">
        {[0, 1, 2, 3].map((bar) => (
          <span
            key={bar}
            className={cn(
              "h-1 flex-1 rounded-full transition-colors",
              bar < Math.max(score, 1) ? barColours[score] : "bg-slate-200 dark:bg-slate-700",
            )}
          />
        ))}
      </div>
      <p className="text-xs text-slate-500 dark:text-slate-400">
        {t("auth.strength")} <span className="font-medium">{t(`auth.strength${score}`)}</span>
      </p>
    </div>
  );
}
