/**
 * Password strength estimation with zxcvbn-ts, loaded on demand: the library
 * and its dictionaries are large, so they live in their own chunks and are
 * only fetched when someone starts typing a new password.
 */

export type StrengthScore = 0 | 1 | 2 | 3 | 4;
export type StrengthChecker = (password: string, userInputs?: string[]) => StrengthScore;

let loading: Promise<StrengthChecker> | null = null;

export function loadStrengthChecker(): Promise<StrengthChecker> {
  loading ??= (async (): Promise<StrengthChecker> => {
    const { createZxcvbn } = await import("./zxcvbn");
    const zxcvbn = createZxcvbn();
    return (password: string, userInputs: string[] = []) =>
      zxcvbn.check(password, userInputs).score as StrengthScore;
  })().catch((error: unknown) => {
    loading = null; // allow a later retry, e.g. after a flaky network
    throw error;
  });
  return loading;
}
