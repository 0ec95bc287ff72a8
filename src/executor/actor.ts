import os from 'node:os';

/** Who runs strata, as recorded in the tracking schema: `user@host`. */
export function currentActor(): string {
  let user = process.env.USER ?? 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry (containers): keep $USER
  }
  return `${user}@${os.hostname()}`;
}
