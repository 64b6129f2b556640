// Slots shared by bench/wakeup-chain.ts and its helper thread.
import type { ChannelHandle } from '../lib/index.ts';
import type { CompletionTarget } from '../lib/iocp-worker/completion-port.ts';

export const GO = 0;
export const MODE = 1;
export const MODE_WAKE = 0;
export const MODE_COMPLETION = 1;
export const MODE_STOP = 2;

export interface HelperData {
  control: SharedArrayBuffer;
  channel: ChannelHandle;
  target: CompletionTarget;
  key: number;
}
