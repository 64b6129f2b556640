// HandleRegistry: which handles a reactor's completion port serves, and how — 'native' (bound to
// this port, so their packets come here) or 'emulated' (bound for life to a port this reactor
// does not own: each operation's OVERLAPPED carries an event instead, completion-port.ts) — and
// the binding calls that decide it. It knows nothing of the operations in flight: the port checks
// those (none may be pending on a handle that moves) before it asks for a transfer, and marks
// them when a handle is released.
//
// A handle binds to one completion port for its whole life: a second CreateIoCompletionPort on it
// fails with ERROR_INVALID_PARAMETER. Windows 8.1 added a way out, NtSetInformationFile with
// FileReplaceCompletionInformation (win32/completion-binding.ts), which detaches it so it can be
// bound again; where that is missing (Wine 8, older Windows) a handle moved to another reactor
// stays bound to the old port, and the new one runs its operations in emulated mode.
//
// It also knows which native handles skip the packet of a call that succeeds at once
// (FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, set by `bind` when asked): a property of the handle, not
// of the port, so it travels with a transfer. Only handles winmux opened itself are asked for it
// (lib/io/handles.ts): an adopted handle's modes are unknown, and are never changed here.
import * as kernel32 from '../win32/kernel32.ts';
import { ERROR, WinError } from '../core/windows-errors.ts';
import { detachFromCompletionPort } from '../win32/completion-binding.ts';
import { HandleStateError } from '../core/errors.ts';
import { KEY_OVERLAPPED } from '../loop/reserved-keys.ts';

/** A handle as winmux keeps it: a JS number (kernel handles are significant in 32 bits). */
export type Handle = number;

/**
 * A handle on its way from one reactor to another (`transferHandle` → `adoptHandle`): 'native'
 * when it was detached and bound to the target's port, 'emulated' when it stays bound to the
 * old port and the target must run its operations in emulated mode.
 */
export interface HandleTransfer {
  handle: Handle;
  port: Handle;
  mode: 'native' | 'emulated';
  /** The handle skips the packet of a call that succeeds at once (FILE_SKIP_COMPLETION_PORT_ON_SUCCESS). */
  skipOnSuccess?: boolean;
}

/** What winmux sets on the handles it opens (`bind` with skipOnSuccess). */
const SKIP_MODES = kernel32.FILE_SKIP_COMPLETION_PORT_ON_SUCCESS | kernel32.FILE_SKIP_SET_EVENT_ON_HANDLE;

export class HandleRegistry {
  readonly #port: Handle;
  readonly #native = new Set<Handle>();
  /** Handles bound to a port this reactor does not own: their operations are emulated. */
  readonly #emulated = new Set<Handle>();
  /** Native handles with FILE_SKIP_COMPLETION_PORT_ON_SUCCESS: a call that succeeds at once queues no packet. */
  readonly #skipping = new Set<Handle>();

  constructor(port: Handle) {
    this.#port = port;
  }

  /** How `handle`'s operations run here: 'native', 'emulated', or undefined when it is not registered. */
  mode(handle: Handle): 'native' | 'emulated' | undefined {
    return this.#native.has(handle) ? 'native' : this.#emulated.has(handle) ? 'emulated' : undefined;
  }

  /** A call on `handle` that succeeds at once queues no packet: its result is in the OVERLAPPED when the call returns. */
  skipsOnSuccess(handle: Handle): boolean {
    return this.#skipping.has(handle);
  }

  get emulatedCount(): number {
    return this.#emulated.size;
  }

  /**
   * Binds `handle` to the port: its operations' packets come here. `skipOnSuccess`: then also
   * FILE_SKIP_COMPLETION_PORT_ON_SUCCESS | FILE_SKIP_SET_EVENT_ON_HANDLE, so that a call that
   * succeeds at once queues no packet (and sets no event on the handle). Where that fails (the
   * handle's driver refuses it) the handle is bound without it, as Go's internal/poll does.
   */
  bind(handle: Handle, skipOnSuccess = false): void {
    if (this.#native.has(handle)) {
      throw new WinError('CreateIoCompletionPort', ERROR.ERROR_INVALID_PARAMETER, { detail: `handle ${handle} is already bound to this reactor's completion port` });
    }
    const result = kernel32.CreateIoCompletionPort(handle, this.#port, KEY_OVERLAPPED, 0);
    if (kernel32.isNullHandle(result)) {
      const errno = kernel32.GetLastError();
      const detail = errno === ERROR.ERROR_INVALID_PARAMETER
        ? `handle ${handle} is already bound to a completion port (a handle binds to one port for its whole life)`
        : `could not bind handle ${handle} to the reactor's completion port`;
      throw new WinError('CreateIoCompletionPort', errno, { detail });
    }
    this.#native.add(handle);
    if (skipOnSuccess && kernel32.SetFileCompletionNotificationModes(handle, SKIP_MODES)) this.#skipping.add(handle);
  }

  forget(handle: Handle): void {
    this.#native.delete(handle);
    this.#emulated.delete(handle);
    this.#skipping.delete(handle);
  }

  /**
   * Hands a registered `handle` with nothing pending to the port `targetPort`, and forgets it
   * here: detached and bound there where the OS can ('native'), else left bound here ('emulated').
   */
  transfer(handle: Handle, targetPort: Handle): HandleTransfer {
    let mode: HandleTransfer['mode'] = 'emulated';
    const skipOnSuccess = this.#skipping.has(handle);
    if (!this.#emulated.has(handle) && detachFromCompletionPort(handle)) {
      if (kernel32.isNullHandle(kernel32.CreateIoCompletionPort(handle, targetPort, KEY_OVERLAPPED, 0))) {
        throw new WinError('CreateIoCompletionPort', kernel32.GetLastError(), { detail: `could not bind handle ${handle} to the target reactor's port` });
      }
      mode = 'native';
    }
    this.forget(handle);
    return { handle, port: targetPort, mode, skipOnSuccess };
  }

  /**
   * Takes a handle transferred from another reactor, or any handle already bound to a port winmux
   * does not own (`{ handle }` alone): native when it is bound to this port, else emulated.
   */
  adopt(handle: Handle, transfer: HandleTransfer | { handle: number | bigint }): 'native' | 'emulated' {
    if (this.mode(handle) !== undefined) throw new HandleStateError(`handle ${handle} is already registered with this reactor`);
    if ('mode' in transfer && transfer.mode === 'native') {
      if (transfer.port !== this.#port) throw new HandleStateError('this transfer was made for another reactor\'s port');
      this.#native.add(handle);
      // The modes stay with the handle: a call that succeeds at once still queues no packet.
      if (transfer.skipOnSuccess === true) this.#skipping.add(handle);
      return 'native';
    }
    if (!kernel32.isNullHandle(kernel32.CreateIoCompletionPort(handle, this.#port, KEY_OVERLAPPED, 0))) {
      this.#native.add(handle); // it was not bound anywhere after all
      return 'native';
    }
    const errno = kernel32.GetLastError();
    if (errno !== ERROR.ERROR_INVALID_PARAMETER) throw new WinError('CreateIoCompletionPort', errno);
    this.#emulated.add(handle);
    return 'emulated';
  }
}
