// A readiness backend that lives in test/, not lib/: an AFD variant made from the registry's
// context (BackendContext: the reactor's completion port, its sink, its wakeup socket), passed as
// `readiness: AFD_VARIANT`. It shows that a backend of the caller's own — a comparison backend —
// gets the same access as the built-in ones (lib/scheduler/backends.ts), and the readiness suite
// runs against it (test/select/readiness.test.ts). It counts the arms it is asked for, so a test
// sees that it, not the built-in AFD backend, served the reactor.
import { AfdBackend, BACKENDS, type BackendContext, type BackendRow, type Direction, type winsock } from '../../lib/index.ts';

class CountingAfdBackend extends AfdBackend {
  override arm(socket: winsock.Socket, direction: Direction): void {
    afdVariant.arms++;
    super.arm(socket, direction);
  }
}

/** What the variant has been asked for, across every reactor made with it. */
export const afdVariant = { made: 0, arms: 0 };

export const AFD_VARIANT: BackendRow = {
  name: 'afd-variant',
  make: (context: BackendContext) => {
    afdVariant.made++;
    return new CountingAfdBackend(context.port, context.sink, context.wakeupEnd);
  },
  waitIn: 'port',
  readinessOnPort: true,
  // The built-in AFD row's guest wait: the port's, or select's over its wakeup socket.
  guestWait: BACKENDS.get('afd')!.guestWait,
};
