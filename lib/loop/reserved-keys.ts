// The completion keys winmux reserves on a reactor's port, in one place below every family that
// posts or routes them: the wake (wakeup/wake.ts posts KEY_WAKE), the IOCP worker (KEY_STOP) and
// the completion part (iocp-worker/, which binds every handle with KEY_OVERLAPPED and routes by
// key). What each means and where its packets go: iocp-worker/completion-keys.ts. Nothing here
// imports koffi.

/** Every handle winmux binds (files, pipes, AFD handles) is bound with this key. */
export const KEY_OVERLAPPED = 1;
/** Posted by the reactor to stop the IOCP worker; private to winmux. */
export const KEY_STOP = 2;
/** A cross-thread wake, posted to a reactor that waits in its port (see wakeup/wake.ts); private to winmux. */
export const KEY_WAKE = 3;
/** The first user key; the keys below it that are not reserved are never monitored (their packets are stray). */
export const USER_KEY_BASE = 0x1000;
