// The readiness backends a Reactor can be made with: one row each — its name, how it is made from
// what the reactor gives it (BackendContext: the completion port, the sink, the wakeup socket, the
// access AFD needs), where the reactor thread waits by default with it, and whether a guest
// reactor's helper thread can wait for it. Adding a backend is its folder, one row here and its
// tests. A caller passes a row of their own as `readiness` (an AFD variant to compare, a test
// backend) and its backend is made with the same context as the built-in ones; a bare
// ReadinessBackend object is taken as a row that needs nothing from the reactor.
import type { ReadinessBackend, ReadinessSink } from '../loop/readiness.ts';
import type { CompletionPort } from '../iocp-worker/completion-port.ts';
import type { Socket } from '../win32/winsock.ts';
import { SelectBackend } from '../select/select-backend.ts';
import { AfdBackend } from '../afd/afd-backend.ts';
import { WsaPollBackend } from '../wsapoll/wsapoll-backend.ts';

/** What a backend is made with. */
export interface BackendContext {
  /** The reactor's completion port: bind handles and start, cancel and wait for overlapped operations (AFD polls). */
  readonly port: CompletionPort;
  /** Where the backend reports readiness: from its `wait`, or during the port's dispatch. */
  readonly sink: ReadinessSink;
  /** The wakeup socket's read end when the reactor sleeps in select (the reactor arms it); undefined in port mode. */
  readonly wakeupEnd: Socket | undefined;
}

/** One readiness backend: how it is made and what the reactor may do with it. */
export interface BackendRow {
  readonly name: string;
  make(context: BackendContext): ReadinessBackend;
  /** Where the reactor thread blocks when `waitIn` is not given. */
  readonly waitIn: 'select' | 'port';
  /**
   * Its readiness arrives as packets on the completion port (AFD polls), behind whatever was
   * queued there first: the reactor may then wait in the port (`waitIn: 'port'`).
   */
  readonly readinessOnPort: boolean;
  /** A guest reactor's helper thread can wait for it (true), or why it cannot (the TypeError's message). */
  readonly guest: true | string;
  /**
   * Guest mode: arming or disarming a socket must redo the helper's wait, which selects over a
   * copy of the sets (select); false where the helper's wait covers changes by itself (the port).
   */
  readonly armRedoesGuestWait: boolean;
}

/** The built-in backends, one row each. */
const BUILT_IN: readonly BackendRow[] = [
  { name: 'select', make: () => new SelectBackend(), waitIn: 'select', readinessOnPort: false, guest: true, armRedoesGuestWait: true },
  {
    name: 'afd', make: (context) => new AfdBackend(context.port, context.sink, context.wakeupEnd),
    waitIn: 'port', readinessOnPort: true, guest: true, armRedoesGuestWait: false,
  },
  {
    name: 'wsapoll', make: () => new WsaPollBackend(), waitIn: 'select', readinessOnPort: false,
    guest: "guest mode needs readiness 'select' or 'afd': its helper thread blocks in select, and 'wsapoll' keeps no fd_sets",
    armRedoesGuestWait: false,
  },
];

/** The built-in backends, by `readiness` name. */
export const BACKENDS: ReadonlyMap<string, BackendRow> = new Map(BUILT_IN.map((row) => [row.name, row]));

const BACKEND_METHODS = ['arm', 'disarm', 'wait', 'stats', 'close'] as const;
const ROW_FIELDS = ['name', 'make', 'waitIn', 'readinessOnPort', 'guest', 'armRedoesGuestWait'] as const;

/** True when `readiness` is a row (it has `make`) rather than a backend. */
function isRow(readiness: object): readiness is BackendRow {
  return typeof (readiness as { make?: unknown }).make === 'function';
}

/**
 * The row for a `readiness` option: a built-in name, a caller's row, or a ReadinessBackend object
 * (made already: a row that hands it over). Throws the TypeError `new Reactor` gives for anything else.
 */
export function backendRow(readiness: unknown): BackendRow {
  if (typeof readiness === 'string' && BACKENDS.has(readiness)) return BACKENDS.get(readiness)!;
  if (typeof readiness !== 'object' || readiness === null) {
    throw new TypeError(`new Reactor: unknown readiness backend ${JSON.stringify(readiness)} (expected 'select', 'afd', 'wsapoll', a ReadinessBackend or a backend row)`);
  }
  if (isRow(readiness)) {
    const row = readiness as unknown as Record<string, unknown>;
    const wrong = ROW_FIELDS.filter((field) => !(field === 'name' ? typeof row.name === 'string'
      : field === 'make' ? true
      : field === 'waitIn' ? row.waitIn === 'select' || row.waitIn === 'port'
      : field === 'guest' ? row.guest === true || typeof row.guest === 'string'
      : typeof row[field] === 'boolean'));
    if (wrong.length > 0) throw new TypeError(`new Reactor: readiness is not a backend row (wrong ${wrong.join(', ')})`);
    return readiness;
  }
  const backend = readiness as ReadinessBackend;
  const missing = BACKEND_METHODS.filter((m) => typeof (backend as unknown as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0) throw new TypeError(`new Reactor: readiness is not a ReadinessBackend (no ${missing.join(', ')} method)`);
  return {
    name: backend.name, make: () => backend, waitIn: 'select', readinessOnPort: false, armRedoesGuestWait: false,
    guest: typeof backend.selectSets === 'function' ? true : 'guest mode needs a readiness backend with selectSets() (select or afd), for its helper thread',
  };
}
