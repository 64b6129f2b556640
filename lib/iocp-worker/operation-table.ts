// The operations in flight on a completion port, keyed by their OVERLAPPED's address, and the
// rules that end each one: its packet's status (success, a cancel the caller asked for, a close
// under it, end of data), a cancel (CancelIoEx, then still its packet), or abandonment (its
// packet will never be seen: its memory is kept forever, because the kernel may still write it).
// CompletionPort (completion-port.ts) starts operations and routes their packets here.
//
// Operations (KEY_OVERLAPPED packets) are matched by OVERLAPPED address. The OVERLAPPED (from
// OverlappedPool) and the data buffer stay referenced by the operation record until its packet
// has been dequeued, even after an abort, because the kernel may write them until then.
//
// Cancellation: abort → CancelIoEx(handle, overlapped) → wait for the packet. STATUS_CANCELLED
// (ERROR_OPERATION_ABORTED, 995) rejects with the abort reason; a packet that reports success
// (the operation finished before the cancel) returns its result, so no data is lost, and so does
// a cancelled one that reports bytes moved (a pipe write partly taken before the cancel): the
// caller learns what went — unless its starter said the count is not data (`cancelIsFinal`: AFD
// polls). A 995 that nobody asked for means the handle was closed: ClosedResourceError.
import { RtlNtStatusToDosError } from '../win32/ntdll.ts';
import { ERROR, WinError } from '../core/windows-errors.ts';
import { cancelIo } from '../win32/overlapped-calls.ts';
import { ClosedResourceError } from '../core/errors.ts';
import { onAbort } from '../core/abort.ts';
import type { OverlappedSlot } from './overlapped-pool.ts';
import type { Handle } from './handle-registry.ts';

/** How an operation's Win32 error (from the call or its packet) becomes its result. */
export type ErrorMapping = (errno: number) => { bytes: number } | undefined;

/** How an operation ends: `error` undefined and the byte count, or the error. */
export type OperationDone = (error: unknown, bytes: number) => void;

/**
 * An operation's options (`CompletionPort.start`, kept by `track`): the signal that aborts it, how
 * its error maps to a result, and `cancelIsFinal`: a cancelled packet (STATUS_CANCELLED, after
 * `cancel`) ends the operation with the cancel's reason whatever byte count it carries — for
 * counts that are not data (an AFD poll's output size; wepoll and mio look at STATUS_CANCELLED
 * first). Without it, a cancelled operation that reports bytes resolves with them (a pipe write
 * partly taken).
 */
export interface StartOptions {
  signal?: AbortSignal | undefined;
  mapError?: ErrorMapping | undefined;
  cancelIsFinal?: boolean | undefined;
}

/** An operation in flight, for its starter to cancel (`CompletionPort.cancel`). Opaque. */
export interface PendingOperation {
  readonly syscall: string;
}

export interface Operation extends PendingOperation {
  readonly handle: Handle;
  readonly overlapped: Uint8Array;
  readonly address: number;
  readonly slot: OverlappedSlot | undefined;
  /** Memory the kernel may write until the packet arrives: kept referenced until then. */
  readonly pinned: unknown;
  readonly mapError: ErrorMapping | undefined;
  /** A cancelled packet is a cancel whatever bytes it reports (StartOptions). */
  readonly cancelIsFinal: boolean;
  /** Called once, in the dispatch of its packet (or when it is abandoned): error undefined on success. */
  readonly done: OperationDone;
  /** Removes the abort listener (lib/core/abort.ts). */
  stopListening: () => void;
  abortRequested: boolean;
  /** `release(handle)` was called while this was pending: the caller is closing the handle. */
  handleReleased: boolean;
  /** Emulated mode: the event the OVERLAPPED carries, observed through the object-wait family. */
  event: number | undefined;
}

/** Memory of operations whose packets never came: never freed, because the kernel may still write it. */
const abandoned: unknown[] = [];

export class OperationTable {
  readonly #operations = new Map<number, Operation>();
  /** Abort reasons by operation, for the packet that reports the cancellation. */
  readonly #abortReasons = new WeakMap<Operation, unknown>();
  /** Gives an ended operation's OVERLAPPED slot and event back to their pools. */
  readonly #returnResources: (operation: Operation) => void;

  constructor(returnResources: (operation: Operation) => void) {
    this.#returnResources = returnResources;
  }

  get size(): number {
    return this.#operations.size;
  }

  has(address: number): boolean {
    return this.#operations.has(address);
  }

  get(address: number): Operation | undefined {
    return this.#operations.get(address);
  }

  /** An operation on `handle` that is still this handle's (not one of a released handle with the same value). */
  pendingOn(handle: Handle): boolean {
    for (const operation of this.#operations.values()) {
      if (operation.handle === handle && !operation.handleReleased) return true;
    }
    return false;
  }

  /** `handle` is being closed: its operations settle as closed unless their packets carry data. */
  markReleased(handle: Handle): void {
    for (const operation of this.#operations.values()) {
      if (operation.handle === handle) operation.handleReleased = true;
    }
  }

  track(
    handle: Handle,
    syscall: string,
    overlapped: Uint8Array,
    address: number,
    slot: OverlappedSlot | undefined,
    pinned: unknown,
    options: StartOptions,
    done: OperationDone,
    event?: number,
  ): Operation {
    const operation: Operation = {
      handle, syscall, overlapped, address, slot, pinned, mapError: options.mapError, cancelIsFinal: options.cancelIsFinal === true,
      done, stopListening: () => {}, abortRequested: false, handleReleased: false, event,
    };
    const { signal } = options;
    operation.stopListening = onAbort(signal, () => this.cancel(operation, signal!.reason));
    this.#operations.set(address, operation);
    return operation;
  }

  /** CancelIoEx once: the packet still comes, and ends the operation with `reason` if the cancel won. */
  cancel(operation: Operation, reason: unknown): void {
    if (operation.abortRequested || !this.#operations.has(operation.address)) return;
    operation.abortRequested = true;
    this.#abortReasons.set(operation, reason);
    // ERROR_NOT_FOUND: the operation already completed; its packet is on the way and wins.
    // Any other failure (the handle is gone): closing a handle cancels its I/O, so a packet comes anyway.
    cancelIo(operation.handle, operation.overlapped);
  }

  /** Cancels every operation not cancelled yet (a closing port). */
  cancelAll(reason: unknown): void {
    for (const operation of this.#operations.values()) this.cancel(operation, reason);
  }

  /** Ends `operation` with its packet's NTSTATUS and byte count. */
  settle(operation: Operation, status: number, bytes: number): void {
    this.#operations.delete(operation.address);
    this.#returnResources(operation);
    operation.stopListening();
    if (status === 0 && (bytes > 0 || !operation.handleReleased)) {
      operation.done(undefined, bytes);
      return;
    }
    const errno = status === 0 ? 0 : RtlNtStatusToDosError(status);
    if (errno === ERROR.ERROR_OPERATION_ABORTED && operation.abortRequested) {
      if (bytes > 0 && !operation.cancelIsFinal) operation.done(undefined, bytes); // the cancel came after some bytes moved
      else operation.done(this.#abortReasons.get(operation), 0);
      return;
    }
    if (errno === ERROR.ERROR_OPERATION_ABORTED || operation.handleReleased) {
      operation.done(new ClosedResourceError(`the handle was closed while ${operation.syscall} was pending`), 0);
      return;
    }
    // ERROR_MORE_DATA: a message-mode pipe's message is longer than the buffer; data did arrive.
    if (errno === ERROR.ERROR_MORE_DATA) {
      operation.done(undefined, bytes);
      return;
    }
    const mapped = operation.mapError?.(errno);
    if (mapped) operation.done(undefined, mapped.bytes);
    else operation.done(new WinError(operation.syscall, errno), 0);
  }

  /** Fails `operation`, whose packet will never be seen, if it is still here; its memory is kept forever. */
  abandon(operation: Operation, error: unknown): void {
    if (!this.#operations.delete(operation.address)) return;
    abandoned.push(operation.overlapped, operation.pinned);
    operation.stopListening();
    operation.done(error, 0);
  }

  abandonAll(error: unknown): void {
    for (const operation of [...this.#operations.values()]) this.abandon(operation, error);
  }
}
