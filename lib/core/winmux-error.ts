// WinmuxError: the base of every error winmux raises (undici's model: one base class, a stable
// `code` on every subclass, so callers match on `code`, not on message text). It imports nothing,
// so WinError (windows-errors.ts) extends it and errors.ts re-exports both with no cycle.
export abstract class WinmuxError extends Error {
  /** Stable and documented in docs/errors.md: Node's (libuv's) code for WinError and NodeSocketError (`ENOENT`; the Windows name where Node has none), `ERR_…` otherwise. */
  abstract readonly code: string;
}
