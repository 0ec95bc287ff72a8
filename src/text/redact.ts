/**
 * Passwords never reach the user's terminal, a JSON report or the events log.
 *
 * Two layers, because a password may contain anything (a space, '@', '#', quotes), so no pattern
 * over free text can find all of it:
 * - by shape: in any text, what lies between a URL's `scheme://` (or a postgres scheme's colon)
 *   and the last '@' of that run of text is hidden, keeping only a plain user name before a ':';
 *   `password=...` pairs (key=value strings, URL query parameters) are hidden too;
 * - by value: the connection URLs this process was given are known, so their secret parts are
 *   hidden wherever they appear, whole or in pieces, encoded or decoded.
 */

const HIDDEN = '***';
/** a user name that is safe to show before the ':' of a URL's userinfo */
const PLAIN_USER = /^[A-Za-z0-9_.~%-]*:/;
/** secrets shorter than this are hidden by shape only: hiding every 'pw' in a message would garble it */
const MIN_LITERAL_SECRET = 4;

/** Hides the password of every connection URL (and `password=` pair) in `text`, by shape. */
export function redactUrl(text: string): string {
  return text
    // any scheme: a mistyped one (mysql://, postgress://) is printed in the error that refuses it;
    // the userinfo runs to the last '@' so that an unencoded '@', '/' or '#' leaves no piece showing
    .replace(/([a-z][a-z0-9+.-]*:\/\/)([^\s'"`]*)@/gi, (_, scheme: string, userinfo: string) => scheme + hideUserinfo(userinfo, true) + '@')
    // a postgres URL missing its slashes (postgres:pw@host, postgresql:/user:pw@host)
    .replace(/\b(postgres(?:ql)?:\/?)(?!\/)([^\s'"`]*)@/gi, (_, scheme: string, userinfo: string) => scheme + hideUserinfo(userinfo, false) + '@')
    // a postgres URL cut short inside its password, before any '@' (an unquoted '#' in .env starts a
    // comment; a shell ends the word at '&' or ';'): after `name:` comes no port but the password's start
    .replace(CUT_PASSWORD, (_, head: string) => head + HIDDEN)
    .replace(/(password\s*=\s*)('[^']*'|"[^"]*"|[^\s&'"]+)/gi, `$1${HIDDEN}`);
}

/** `postgres://name:` then text that is not a port (a non-digit in it) and no '@' after it */
const CUT_PASSWORD = /\b(postgres(?:ql)?:\/\/[^\s'"`/?#@:[]*:)(?![^\s'"`/?#@]*@)(?=[^\s'"`/?#@]*[^\s'"`/?#@\d])[^\s'"`/?#@]+/gi;

/**
 * `canBeUserAlone`: in `scheme://name@host` a userinfo without ':' is a user name alone; in a malformed
 * `postgres:text@host` it may well be the password, so it is hidden.
 */
function hideUserinfo(userinfo: string, canBeUserAlone: boolean): string {
  if (userinfo === HIDDEN || userinfo.endsWith(`:${HIDDEN}`)) return userinfo;
  const user = PLAIN_USER.exec(userinfo);
  if (user) return `${user[0]}${HIDDEN}`;
  // anything else (an '@' or a space before the ':') is hidden whole
  return canBeUserAlone && !userinfo.includes(':') ? userinfo : HIDDEN;
}

/** `url` split around its userinfo: everything between the scheme's colon (and slashes) and the last '@'. */
function splitUserinfo(url: string): { before: string; userinfo: string; after: string; canBeUserAlone: boolean } | undefined {
  // (whitespace before the scheme, a stray space pasted into DATABASE_URL, is not part of a secret)
  const scheme = /^\s*[a-z][a-z0-9+.-]*:(\/{0,2})/i.exec(url);
  if (!scheme) return undefined;
  const at = url.lastIndexOf('@');
  if (at < scheme[0].length) return undefined;
  return { before: url.slice(0, scheme[0].length), userinfo: url.slice(scheme[0].length, at), after: url.slice(at), canBeUserAlone: scheme[1] === '//' };
}

/** One connection string known whole (so its last '@' is known even when the password has spaces), redacted. */
export function redactConnectionString(url: string): string {
  const parts = splitUserinfo(url);
  if (parts) return redactUrl(parts.before + hideUserinfo(parts.userinfo, parts.canBeUserAlone) + parts.after);
  // no scheme at all: whatever comes before an '@' may be a password
  const at = url.lastIndexOf('@');
  return redactUrl(at > 0 ? HIDDEN + url.slice(at) : url);
}

/**
 * The secret parts of a connection string as typed: the userinfo after a plain user name (up to the
 * last '@'), `password=` values, and their percent-decoded and -encoded forms.
 */
export function secretsOf(url: string): string[] {
  const secrets = new Set<string>();
  const parts = splitUserinfo(url);
  if (parts) {
    const user = PLAIN_USER.exec(parts.userinfo);
    if (user) secrets.add(parts.userinfo.slice(user[0].length));
    else if (!parts.canBeUserAlone || parts.userinfo.includes(':')) secrets.add(parts.userinfo);
  } else if (url.lastIndexOf('@') > 0) {
    secrets.add(url.slice(0, url.lastIndexOf('@')));
  }
  for (const match of url.matchAll(CUT_PASSWORD)) secrets.add(match[0].slice(match[1]!.length));
  for (const match of url.matchAll(/password\s*=\s*('[^']*'|"[^"]*"|[^\s&]+)/gi)) secrets.add(match[1]!.replace(/^['"]|['"]$/g, ''));
  for (const secret of [...secrets]) {
    // an unencoded '#' or '?' splits the password in the eyes of URL parsers: each piece is secret too
    for (const piece of secret.split(/[#?/]/)) secrets.add(piece);
    try {
      secrets.add(decodeURIComponent(secret));
    } catch {
      // not valid percent-encoding: the text as typed is the secret
    }
    secrets.add(encodeURIComponent(secret));
  }
  return [...secrets].filter((s) => s.length >= MIN_LITERAL_SECRET);
}

export type Redactor = (text: string) => string;

/** A redactor that hides `urls`' secrets by value and every URL's password by shape. */
export function createRedactor(urls: readonly (string | undefined)[]): Redactor {
  const secrets = [...new Set(urls.flatMap((url) => (url ? secretsOf(url) : [])))].sort((a, b) => b.length - a.length);
  const known = urls.filter((url): url is string => url !== undefined && url !== '');
  return (text) => {
    let result = text;
    // the whole URL first, where its end is known, so the shape rule sees it as one piece
    for (const url of known) result = result.split(url).join(redactConnectionString(url));
    for (const secret of secrets) result = result.split(secret).join(HIDDEN);
    return redactUrl(result);
  };
}

/** Applies `redact` to every string inside a JSON-like value (event rows, reports). */
export function redactDeep<T>(value: T, redact: Redactor = redactUrl): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, redact)) as T;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactDeep(item, redact)])) as T;
  }
  return value;
}
