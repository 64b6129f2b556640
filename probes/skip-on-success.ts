// Does this system honour SetFileCompletionNotificationModes(FILE_SKIP_COMPLETION_PORT_ON_SUCCESS)?
// For a pipe end and a file opened by winmux and bound to a reactor's port: an overlapped ReadFile
// issued (with the probe's own OVERLAPPED) when the data is already there — does it succeed at once,
// and does a packet still reach the port? A packet that no operation waits for is counted by the
// reactor as stray (reactor.stats().strayCompletions), so the probe reads that count after giving
// a packet time to arrive. Each case runs with the mode set and without it (the control).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { File, NamedPipe, NamedPipeServer, Reactor } from '../lib/index.ts';
import * as kernel32 from '../lib/win32/kernel32.ts';
import { ownHandles } from '../lib/io/handles.ts';
import { OVERLAPPED } from '../lib/win32/structs.ts';

interface Answer {
  question: string;
  answer: string;
}

const MODES = kernel32.FILE_SKIP_COMPLETION_PORT_ON_SUCCESS | kernel32.FILE_SKIP_SET_EVENT_ON_HANDLE;
/** Long enough for a packet queued at the call to be dispatched by the loop. */
const PACKET_WAIT_MS = 200;

/** Sets the modes on `handle`; returns 'ok' or the Win32 error. */
function setModes(handle: number): string {
  return kernel32.SetFileCompletionNotificationModes(handle, MODES) ? 'ok' : `error ${kernel32.GetLastError()}`;
}

/** A raw overlapped ReadFile on `handle`: what it returned, and the stray packets that came after it. */
async function readAndCount(reactor: Reactor, handle: number, skip: boolean, offset = 0): Promise<string> {
  const set = skip ? setModes(handle) : 'not set';
  const overlapped = new Uint8Array(new ArrayBuffer(4096), 0, OVERLAPPED.SIZE);
  new DataView(overlapped.buffer).setUint32(OVERLAPPED.OFFSET, offset, true);
  const buffer = new Uint8Array(64);
  const before = reactor.stats().strayCompletions;
  const ok = kernel32.ReadFile(handle, buffer, buffer.length, null, overlapped);
  const errno = ok ? 0 : kernel32.GetLastError();
  const bytes = new DataView(overlapped.buffer).getUint32(OVERLAPPED.INTERNAL_HIGH, true);
  await reactor.sleep(PACKET_WAIT_MS);
  const packets = reactor.stats().strayCompletions - before;
  const call = ok ? `succeeded at once (${bytes} bytes)` : errno === 997 ? 'pending (ERROR_IO_PENDING)' : `failed (${errno})`;
  return `modes ${set}: ${call}, packets after it: ${packets}`;
}

export async function skipOnSuccessProbes(mode: 'select' | 'afd' = 'select'): Promise<Answer[]> {
  const reactor = new Reactor({ readiness: mode });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'winmux-skip-'));
  const answers: Answer[] = [];
  // winmux's own pipes and files get the mode when they are registered: here the probe sets it
  // itself, on handles registered without it, so that the control has none.
  const ownSetting = ownHandles.skipCompletionOnSuccess;
  ownHandles.skipCompletionOnSuccess = false;
  try {
    await reactor.run(async () => {
      for (const skip of [false, true]) {
        const name = `winmux-skip-probe-${process.pid}-${skip}`;
        const server = new NamedPipeServer(reactor, name);
        const accepted = server.accept();
        const client = await NamedPipe.connect(reactor, name);
        const end = await accepted;
        server.close();
        try {
          await client.write(new TextEncoder().encode('hello'));
          answers.push({ question: `pipe, ReadFile with 5 bytes waiting (${mode})`, answer: await readAndCount(reactor, end.handle, skip) });
        } finally {
          client.close();
          end.close();
        }
        const filePath = path.join(dir, `file-${skip}.bin`);
        fs.writeFileSync(filePath, 'abcdefghij');
        const file = File.open(reactor, filePath);
        try {
          answers.push({ question: `file, ReadFile of 10 bytes at offset 0 (${mode})`, answer: await readAndCount(reactor, file.handle, skip) });
        } finally {
          file.close();
        }
      }
    });
  } finally {
    ownHandles.skipCompletionOnSuccess = ownSetting;
    await reactor.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return answers;
}

