// Counts Node's own callbacks while a reactor works: a setImmediate chain and a setTimeout(0)
// chain, each re-armed from its callback. Counts that grow mean Node's loop is still turning
// (fairness and guest-mode tests assert on them, not on the clock).

export interface NodeTicks {
  /** setImmediate callbacks run since `start()`. */
  readonly immediates: number;
  /** setTimeout(0) callbacks run since `start()`. */
  readonly timeouts: number;
  /** Ends both chains. */
  stop(): void;
}

/** Starts both chains now. */
export function countNodeTicks(): NodeTicks {
  let immediate: NodeJS.Immediate | undefined;
  let timer: NodeJS.Timeout | undefined;
  const ticks = {
    immediates: 0,
    timeouts: 0,
    stop(): void {
      clearImmediate(immediate);
      clearTimeout(timer);
    },
  };
  const onImmediate = (): void => {
    ticks.immediates++;
    immediate = setImmediate(onImmediate);
  };
  const onTimeout = (): void => {
    ticks.timeouts++;
    timer = setTimeout(onTimeout, 0);
  };
  onImmediate();
  onTimeout();
  return ticks;
}
