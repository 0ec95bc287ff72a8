import { parseConnectionUrl } from '../text/connection-url.js';

/**
 * `sslmode` as libpq reads it. strata prints SQL for psql and is configured with the URLs psql
 * takes, so a URL must mean what it means to psql: `sslmode=require` encrypts without checking
 * the server's certificate (a managed server's certificate is often signed by a CA Node does
 * not know), `verify-ca` checks the CA, `verify-full` the CA and the host name. pg 8 reads
 * `require`, `prefer` and `verify-ca` as `verify-full` (and prints a security warning about it)
 * unless the URL carries `uselibpqcompat=true`; this adds it. PGSSLMODE, which libpq reads when
 * the URL has no sslmode, is moved into the URL the same way.
 *
 * Left as they are: a URL that sets uselibpqcompat itself, pg's own `sslmode=no-verify`, libpq's
 * `allow` (pg has no fallback from TLS to plain), and anything that is not a postgres:// URL
 * (the caller reports those).
 */
// the modes pg reads differently without uselibpqcompat; `disable` and `verify-full` mean the same to both
const LIBPQ_MODES = new Set(['disable', 'prefer', 'require', 'verify-ca', 'verify-full']);

export function withLibpqSslMode(url: string, environmentSslMode: string | undefined = process.env.PGSSLMODE): string {
  let parsed: URL;
  try {
    parsed = parseConnectionUrl(url);
  } catch {
    return url;
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') return url;
  const params = parsed.searchParams;
  if (params.has('uselibpqcompat')) return url;
  const inUrl = params.get('sslmode');
  const mode = inUrl ?? environmentSslMode;
  if (mode === undefined || !LIBPQ_MODES.has(mode)) return url;
  const hash = url.indexOf('#');
  const [head, fragment] = hash === -1 ? [url, ''] : [url.slice(0, hash), url.slice(hash)];
  const added = `${inUrl === null ? `sslmode=${mode}&` : ''}uselibpqcompat=true`;
  return `${head}${parsed.search === '' ? '?' : '&'}${added}${fragment}`;
}
