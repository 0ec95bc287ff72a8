import { StrataError } from '../errors.js';
import { bodyChecksum } from './checksums.js';
import { withoutBom } from './parse-header.js';
import type { FolderEntry } from './revision-cache.js';
import type { DownFile, Revision, RevisionFile } from './revision.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A revision from its cache entry (revision-cache.ts): the header and checksums as recorded, the
 * texts read from disk only when something asks for them (status and a no-op up never do). What
 * is read then must be what was hashed: a file edited since this run looked at it is refused
 * (FILE_CHANGED) rather than run or recorded under the checksum of its old text.
 */
export function cachedRevision(id: string, location: string, entry: FolderEntry, read: (fileName: 'up.sql' | 'down.sql') => Uint8Array): Revision {
  const { up, down } = entry;
  return {
    id,
    parent: up.parent,
    message: up.message,
    tags: up.tags,
    replaces: up.replaces,
    transactional: up.transactional,
    up: Object.assign(lazyFile(`${location}/up.sql`, up, () => read('up.sql')), { lintAllows: up.lintAllows }),
    down: Object.assign(lazyFile(`${location}/down.sql`, down, () => read('down.sql')) as DownFile, {
      transactional: down.transactional, irreversible: down.irreversible, lintAllows: down.lintAllows,
    }),
  };
}

function lazyFile(file: string, cached: { bodyOffset: number; checksum: string }, read: () => Uint8Array): RevisionFile {
  let texts: { text: string; body: string } | undefined;
  const load = () => {
    if (texts) return texts;
    let text: string | undefined;
    try {
      text = withoutBom(decoder.decode(read()));
    } catch {
      text = undefined;
    }
    const body = text?.slice(cached.bodyOffset);
    if (text === undefined || body === undefined || bodyChecksum(body) !== cached.checksum) {
      throw new StrataError('FILE_CHANGED', {
        file,
        message: `${file} changed while strata was reading the migrations folder`,
        hint: 'nothing was run; run the command again once the file is saved',
      });
    }
    return (texts = { text, body });
  };
  return {
    path: file,
    get text() {
      return load().text;
    },
    get body() {
      return load().body;
    },
    bodyOffset: cached.bodyOffset,
    checksum: cached.checksum,
  };
}
