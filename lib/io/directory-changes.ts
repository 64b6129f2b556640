// The records ReadDirectoryChangesW writes, decoded into DirectoryChange values, and the watcher's
// options checked: the data half of DirectoryWatcher (directory-watcher.ts), with no handle or
// reactor in it.
import { Buffer } from 'node:buffer';
import * as kernel32 from '../win32/kernel32.ts';
import { FILE_NOTIFY_INFORMATION } from '../win32/structs.ts';

export type DirectoryChangeAction = 'added' | 'removed' | 'modified' | 'renamedFrom' | 'renamedTo';

/**
 * One change: `path` is relative to the watched directory (Windows separators; it names a
 * subdirectory's entry when watching recursively). 'rescan': changes were lost (the kernel's
 * buffer overflowed) and the directory must be listed again.
 */
export type DirectoryChange = { action: DirectoryChangeAction; path: string } | { action: 'rescan' };

/** What to be told about (FILE_NOTIFY_CHANGE_*). */
export type DirectoryChangeFilter = 'fileName' | 'dirName' | 'attributes' | 'size' | 'lastWrite' | 'lastAccess' | 'creation' | 'security';

const FILTERS: Readonly<Record<DirectoryChangeFilter, number>> = {
  fileName: kernel32.FILE_NOTIFY_CHANGE_FILE_NAME,
  dirName: kernel32.FILE_NOTIFY_CHANGE_DIR_NAME,
  attributes: kernel32.FILE_NOTIFY_CHANGE_ATTRIBUTES,
  size: kernel32.FILE_NOTIFY_CHANGE_SIZE,
  lastWrite: kernel32.FILE_NOTIFY_CHANGE_LAST_WRITE,
  lastAccess: kernel32.FILE_NOTIFY_CHANGE_LAST_ACCESS,
  creation: kernel32.FILE_NOTIFY_CHANGE_CREATION,
  security: kernel32.FILE_NOTIFY_CHANGE_SECURITY,
};
export const DEFAULT_FILTER: readonly DirectoryChangeFilter[] = ['fileName', 'dirName', 'attributes', 'size', 'lastWrite', 'creation'];

/** FILE_ACTION_ADDED (1) … FILE_ACTION_RENAMED_NEW_NAME (5). */
const ACTIONS: readonly DirectoryChangeAction[] = ['added', 'removed', 'modified', 'renamedFrom', 'renamedTo'];

export const DEFAULT_WATCH_BUFFER_SIZE = 16384;
const MIN_BUFFER_SIZE = 16;
const MAX_BUFFER_SIZE = 65536;

/** Decodes the FILE_NOTIFY_INFORMATION records in the first `bytes` of `buffer`. */
export function parseNotifications(buffer: Uint8Array, bytes: number): DirectoryChange[] {
  const view = new DataView(buffer.buffer, buffer.byteOffset, bytes);
  const changes: DirectoryChange[] = [];
  // ends: offset grows by at least a record header each pass (next ≥ FILE_NAME), and a record past `bytes` returns
  for (let offset = 0; ;) {
    if (offset + FILE_NOTIFY_INFORMATION.FILE_NAME > bytes) return malformed(changes);
    const next = view.getUint32(offset + FILE_NOTIFY_INFORMATION.NEXT_ENTRY_OFFSET, true);
    const action = ACTIONS[view.getUint32(offset + FILE_NOTIFY_INFORMATION.ACTION, true) - 1];
    const nameBytes = view.getUint32(offset + FILE_NOTIFY_INFORMATION.FILE_NAME_LENGTH, true);
    const nameStart = offset + FILE_NOTIFY_INFORMATION.FILE_NAME;
    if (action === undefined || nameStart + nameBytes > bytes || nameBytes % 2 !== 0) return malformed(changes);
    const path = Buffer.from(buffer.buffer, buffer.byteOffset + nameStart, nameBytes).toString('utf16le');
    changes.push({ action, path });
    if (next === 0) return changes;
    // Windows aligns each record to a DWORD; Wine 8 packs them (NextEntryOffset = 12 + name
    // bytes), so an offset is only checked to move forward. DataView reads unaligned fields.
    if (next < FILE_NOTIFY_INFORMATION.FILE_NAME) return malformed(changes);
    offset += next;
  }
}

/** Records winmux cannot read: what they said is unknown, so the caller must rescan. */
function malformed(changes: DirectoryChange[]): DirectoryChange[] {
  changes.push({ action: 'rescan' });
  return changes;
}

/** The FILE_NOTIFY_CHANGE_* mask for `filter`'s names; TypeError/RangeError for anything else. */
export function filterMask(filter: unknown): number {
  if (!Array.isArray(filter)) throw new TypeError(`DirectoryWatcher.open: filter must be an array of change kinds, got ${typeof filter}`);
  if (filter.length === 0) throw new RangeError('DirectoryWatcher.open: filter is empty (nothing would be reported)');
  let mask = 0;
  for (const name of filter as unknown[]) {
    const bit = typeof name === 'string' && Object.hasOwn(FILTERS, name) ? FILTERS[name as DirectoryChangeFilter] : undefined;
    if (bit === undefined) throw new RangeError(`DirectoryWatcher.open: unknown filter ${JSON.stringify(name)} (expected one of ${Object.keys(FILTERS).join(', ')})`);
    mask |= bit;
  }
  return mask;
}

/** A watcher's buffer size: a DWORD multiple within ReadDirectoryChangesW's network limit. */
export function checkBufferSize(size: unknown): number {
  if (typeof size !== 'number') throw new TypeError(`DirectoryWatcher: bufferSize must be a number of bytes, got ${typeof size}`);
  if (!Number.isInteger(size) || size < MIN_BUFFER_SIZE || size > MAX_BUFFER_SIZE || size % 4 !== 0) {
    throw new RangeError(`DirectoryWatcher: bufferSize must be a multiple of 4 from ${MIN_BUFFER_SIZE} to ${MAX_BUFFER_SIZE} (ReadDirectoryChangesW's limit over the network), got ${size}`);
  }
  return size;
}
