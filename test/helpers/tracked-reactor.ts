// In the test run, every import of lib/scheduler/reactor.ts — lib's own (lib/index.ts,
// check-reactor.ts) as well as the tests' — resolves to this module instead (vitest.config.ts,
// `trackReactors`), so there is one Reactor class and it is this subclass: it tells the loop-empty
// check (loop-empty.ts) of each reactor made, each close and each key monitor. This file alone
// imports the real module. Outside vitest (a build, `winnode exec`, worker threads) nothing changes.
export * from '../../lib/scheduler/reactor.ts';
import { Reactor as LibReactor, type ReactorOptions } from '../../lib/scheduler/reactor.ts';
import type { KeyMonitor } from '../../lib/iocp-worker/completion-port.ts';

/** What the check does at each point (set by loop-empty-setup.ts; nothing when unset). */
export interface ReactorTracker {
  made(reactor: LibReactor): void;
  /** Wraps the real close: looks before it, and once it has finished. Returns what close returns. */
  close(reactor: LibReactor, close: () => Promise<void>): Promise<void>;
  monitor(reactor: LibReactor, monitor: KeyMonitor): void;
}

export const tracker: { current: ReactorTracker | undefined } = { current: undefined };

export class Reactor extends LibReactor {
  constructor(options?: ReactorOptions) {
    super(options);
    tracker.current?.made(this);
  }

  override close(): Promise<void> {
    const close = (): Promise<void> => super.close();
    return tracker.current === undefined ? close() : tracker.current.close(this, close);
  }

  override monitorCompletionKey(): KeyMonitor {
    const monitor = super.monitorCompletionKey();
    tracker.current?.monitor(this, monitor);
    return monitor;
  }
}
