// What a family of operations (families/*.ts) gets from the world it runs in (world.ts): the one
// reactor, the current step, the operations in flight and the hang rule, the signals, the helper
// thread, and the place to report a violation.
import type { Reactor } from '../../lib/index.ts';
import type { Aborts } from './aborts.ts';
import type { Helper } from './helper.ts';
import type { Op } from './ops.ts';
import type { Allowed, KnownDefect, ViolationKind } from './outcomes.ts';
import type { Holds, Pending, PendingOp } from './pending.ts';

export interface Tracking<T> {
  /** The operation's signal: its abort makes the operation due. */
  signal?: AbortSignal | undefined;
  /** Checks the value (and updates the family's model); report violations through the context. */
  onValue(value: T): void;
  /** What may end the operation with an error. */
  allowed: Allowed;
  /** After an error (allowed or not, `ok` says): updates the family's model. */
  onError?(error: unknown, ok: boolean): void;
  /** For an error that is not allowed: the tag (outcomes.ts KNOWN) if it is a symptom of a defect already known. */
  knownError?(error: unknown): KnownDefect | undefined;
}

export interface Context {
  readonly reactor: Reactor;
  /** The index of the operation being applied (-1 in the drain). */
  readonly step: number;
  readonly pending: Pending;
  readonly aborts: Aborts;
  readonly helper: Helper;
  /** Running under Wine (some tolerated differences depend on it: docs/wine.md). */
  readonly wine: boolean;
  /** A fresh directory for this run's files. */
  readonly dir: string;
  /** Unique in this process: for pipe names. */
  readonly runId: string;
  /** Reports a violation; `known` (one of outcomes.ts's KNOWN) when it is a defect already being fixed. */
  violate(kind: ViolationKind, message: string, known?: KnownDefect): void;
  /** Watches `promise` (the operation `what`) until it settles, then judges its outcome. */
  track<T>(what: string, holds: Holds, promise: Promise<T>, tracking: Tracking<T>): PendingOp;
  /** Runs `action` after `steps` more steps (or at the drain, whichever comes first). */
  later(steps: number, action: () => void): void;
  /** A violation not already known was found: drains stop (their waits would only add noise). */
  readonly failed: boolean;
  /** Waits (bounded by the hang rule) until the helper thread has carried out every command sent so far. */
  flushHelper(): Promise<boolean>;
  /**
   * Turns the loop until `condition()` holds; a violation of kind 'hang' naming `what` if it does
   * not within the hang bound (`ms` instead of HANG_MS for what takes longer: a child's start-up).
   */
  until(condition: () => boolean, what: () => string, ms?: number): Promise<boolean>;
}

/** One family of operations (TCP, pipes, files, …) and its resources. */
export interface Family {
  /** Applies `op` if it is this family's (false: not this family's). `skip()` marks an operation whose resource is not there. */
  apply(op: Op, skip: () => void): boolean | Promise<boolean>;
  /** After each step: the family's own invariants (watchdogs, data checks). */
  check(): void;
  /** In-flight work the family holds in the reactor beyond its tracked operations (a watcher's own read). */
  extraHolds?(): Partial<Record<keyof Holds, number>>;
  /** After the last operation: brings what must complete to completion (data read to the end, deliveries taken). */
  drain(): Promise<void>;
  /** Closes every resource (pending operations then end with their closed outcome). */
  close(): Promise<void>;
  /** Figures worth reporting beside the verdict. */
  counters?(): Record<string, number>;
}
