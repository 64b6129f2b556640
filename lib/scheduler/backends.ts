// The readiness backends a Reactor can be made with: one row each — its name, how it is made from
// what the reactor gives it (BackendContext: the completion port, the sink, the wakeup socket, the
// access AFD needs), where the reactor thread waits by default with it, and the blocking call a
// guest reactor's helper thread makes for it (guestWait: the poller's own, ../loop/guest-wait.ts;
// a row without one cannot run as a guest). Adding a backend is its folder, one row here and its
// tests. A caller passes a row of their own as `readiness` (an AFD variant to compare, a test
// backend) and its backend is made with the same context as the built-in ones; a bare
// ReadinessBackend object is taken as a row that needs nothing from the reactor.
import type { ReadinessBackend, ReadinessSink } from '../loop/readiness.ts';
import type { CompletionPort } from '../iocp-worker/completion-port.ts';
import type { GuestWait } from '../loop/guest-wait.ts';
import type { Socket } from '../win32/winsock.ts';
import { SelectBackend } from '../select/select-backend.ts';
import { selectGuestWait, type SelectSetsSource } from '../select/guest-wait.ts';
import { AfdBackend } from '../afd/afd-backend.ts';
import { WsaPollBackend } from '../wsapoll/wsapoll-backend.ts';
import { portGuestWait } from '../iocp-worker/guest-wait.ts';

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
export interface BackendRow<B extends ReadinessBackend = ReadinessBackend> {
  readonly name: string;
  make(context: BackendContext): B;
  /** Where the reactor thread blocks when `waitIn` is not given. */
  readonly waitIn: 'select' | 'port';
  /**
   * Its readiness arrives as packets on the completion port (AFD polls), behind whatever was
   * queued there first: the reactor may then wait in the port (`waitIn: 'port'`).
   */
  readonly readinessOnPort: boolean;
  /**
   * Guest mode: the blocking call a guest reactor's helper thread makes for `backend` (made by
   * `make` with `context`) — select's over copies of its fd_sets, or the port's when the reactor
   * waits in the port (`context.port.inLoop`). Absent: the backend cannot run as a guest.
   */
  guestWait?(backend: B, context: BackendContext): GuestWait;
}

/** A row, typed by its backend (`guestWait` gets the backend `make` made). */
const row = <B extends ReadinessBackend>(fields: BackendRow<B>): BackendRow => fields;

/** The built-in backends, one row each. */
const BUILT_IN: readonly BackendRow[] = [
  row({ name: 'select', make: () => new SelectBackend(), waitIn: 'select', readinessOnPort: false, guestWait: (backend) => selectGuestWait(backend) }),
  row({
    name: 'afd', make: (context) => new AfdBackend(context.port, context.sink, context.wakeupEnd), waitIn: 'port', readinessOnPort: true,
    // In select mode the reactor's select covers only its wakeup socket; the polls complete on the port, whose worker wakes it.
    guestWait: (backend, context) => (context.port.inLoop ? portGuestWait(context.port.port) : selectGuestWait(backend)),
  }),
  // No guestWait: WSAPoll keeps a WSAPOLLFD array, not fd_sets, and no helper's call is written for it.
  row({ name: 'wsapoll', make: () => new WsaPollBackend(), waitIn: 'select', readinessOnPort: false }),
];

/** The built-in backends, by `readiness` name. */
export const BACKENDS: ReadonlyMap<string, BackendRow> = new Map(BUILT_IN.map((row) => [row.name, row]));

const BACKEND_METHODS = ['arm', 'disarm', 'wait', 'stats', 'close'] as const;
const ROW_FIELDS = ['name', 'make', 'waitIn', 'readinessOnPort', 'guestWait'] as const;

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
      : field === 'guestWait' ? row.guestWait === undefined || typeof row.guestWait === 'function'
      : typeof row[field] === 'boolean'));
    if (wrong.length > 0) throw new TypeError(`new Reactor: readiness is not a backend row (wrong ${wrong.join(', ')})`);
    return readiness;
  }
  const backend = readiness as ReadinessBackend;
  const missing = BACKEND_METHODS.filter((m) => typeof (backend as unknown as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0) throw new TypeError(`new Reactor: readiness is not a ReadinessBackend (no ${missing.join(', ')} method)`);
  // A backend that keeps fd_sets (SelectBackend, AfdBackend waiting in select) runs as a guest over them.
  const guestWait = typeof backend.selectSets === 'function' ? () => selectGuestWait(backend as SelectSetsSource) : undefined;
  return { name: backend.name, make: () => backend, waitIn: 'select', readinessOnPort: false, guestWait };
}
