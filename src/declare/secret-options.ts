import type { Snapshot, UnmodelledObject } from '../schema/model/snapshot.js';
import type { PlanContext, Refusal } from './statement.js';

/**
 * Options that hold a secret (a server's or a user mapping's password ...) are never in an
 * object (schema/introspect/secret-options.ts), so no up.sql or down.sql can hold one, and
 * schema.sql, which strata dump writes, never declares one. So a secret the database has and the
 * declared schema does not is kept as it is (ALTER ... OPTIONS leaves the options it does not name
 * alone), and the generator refuses, by name, every change that would need one written: a secret
 * declared that the database lacks or has with another value, an object with a secret dropped
 * (down.sql would have to make it again) or made again (a server whose wrapper changes). Pure.
 */

export const SECRET_OPTION = 'secret option';

const HOW = 'set it by hand in a revision or outside migrations';

type Secrets = Map<string, UnmodelledObject>;

function secretsOf(snapshot: Snapshot): Secrets {
  return new Map(snapshot.unmodelled.filter((u) => u.kind === SECRET_OPTION).map((u) => [u.identity, u]));
}

/** For up.sql and down.sql at once (the database holds what the declared schema cannot say): the secrets that would have to be written. */
export function secretOptionRefusals(current: Snapshot, desired: Snapshot): Refusal[] {
  const [was, now] = [secretsOf(current), secretsOf(desired)];
  const declared = new Set(desired.objects.map((o) => o.identity));
  const refusals: Refusal[] = [];
  for (const [identity, secret] of now) {
    const old = was.get(identity);
    if (!old) refusals.push(refusal(secret, `its option ${keyOf(secret)} holds a secret, which strata never writes into a file: ${HOW}`));
    else if (old.digest !== secret.digest) refusals.push(refusal(secret, `the value of its option ${keyOf(secret)} changes, and it holds a secret, which strata never writes into a file: ${HOW}`));
  }
  for (const [identity, secret] of was) {
    if (now.has(identity) || secret.of === undefined || declared.has(secret.of)) continue;
    refusals.push(refusal(secret, `${secret.of} is dropped, and its option ${keyOf(secret)} holds a secret, which strata never writes into a file, so no down.sql could make it again: drop it by hand in a revision (Irreversible: down.sql) or outside migrations`));
  }
  return refusals;
}

/** The secrets of the database that the declared schema does not say, on objects it keeps: left as they are. */
export function keptSecrets(current: Snapshot, desired: Snapshot): UnmodelledObject[] {
  const now = secretsOf(desired);
  const declared = new Set(desired.objects.map((o) => o.identity));
  return [...secretsOf(current).values()].filter((s) => !now.has(s.identity) && s.of !== undefined && declared.has(s.of));
}

/**
 * Objects with a secret option on either side that one direction's plan drops and creates again
 * (a server whose wrapper changes): its create would leave the secret out.
 */
export function secretCreateRefusals(context: PlanContext, current: Snapshot, desired: Snapshot): Refusal[] {
  const refusals: Refusal[] = [];
  const seen = new Set<string>();
  for (const secret of [...secretsOf(current).values(), ...secretsOf(desired).values()]) {
    if (secret.of === undefined || seen.has(secret.identity)) continue;
    seen.add(secret.identity);
    const type = context.actions.get(secret.of)?.type;
    if (type !== 'replace' && type !== 'recreate') continue;
    refusals.push(refusal(secret, `${secret.of} would be dropped and created again, and its option ${keyOf(secret)} holds a secret, which strata never writes into a file: ${HOW}`));
  }
  return refusals;
}

function refusal(secret: UnmodelledObject, reason: string): Refusal {
  return { identity: secret.identity, kind: SECRET_OPTION, reason };
}

/** `server s: password` -> `password` */
function keyOf(secret: UnmodelledObject): string {
  return secret.of !== undefined ? secret.identity.slice(secret.of.length + 2) : secret.identity.slice(secret.identity.lastIndexOf(': ') + 2);
}
