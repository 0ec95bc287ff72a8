/**
 * postgres:// URLs as libpq and the driver (pg-connection-string) read them. The one form the
 * WHATWG URL parser refuses is an empty host after a user: postgres://user:password@/app?host=/run/pg
 * (a Unix socket, Cloud SQL's documented form), where the host comes from ?host= or the default.
 * Such a URL is parsed with a placeholder host, which connectionUrlHost and formatConnectionUrl
 * take out again, so no caller ever sees it or sends it.
 */
const EMPTY_HOST = 'empty-host.strata.invalid';

/** The URL parsed; throws (TypeError, as `new URL`) when even libpq's reading cannot make one of it. */
export function parseConnectionUrl(url: string): URL {
  try {
    return new URL(url);
  } catch (error) {
    const emptyHost = /^(postgres(?:ql)?:\/\/[^/?#]*@)(?=[/?]|$)/i.exec(url);
    if (!emptyHost) throw error;
    return new URL(`${emptyHost[1]}${EMPTY_HOST}${url.slice(emptyHost[1]!.length)}`);
  }
}

/** The host written in the URL: '' when it has none (then ?host= or the default). */
export function connectionUrlHost(parsed: URL): string {
  return parsed.hostname === EMPTY_HOST ? '' : parsed.hostname;
}

/** The URL as text again, an empty host left empty. */
export function formatConnectionUrl(parsed: URL): string {
  const text = parsed.toString();
  return parsed.hostname === EMPTY_HOST ? text.replace(`@${EMPTY_HOST}`, '@') : text;
}
