// Must NOT type-check: each marked line is an error only if winmux's types are real (were they
// `any`, as with `.ts` specifiers and skipLibCheck, this file would compile). The consumer test
// requires exactly the marked errors, in this file, and no other.
import { Reactor, TcpListener, WinError } from 'winmux';

const reactor = new Reactor({ readiness: 'epoll' }); // expect TS2322
const now: string = reactor.now(); // expect TS2322
TcpListener.listen(reactor, { port: 'http' }); // expect TS2322
reactor.noSuchMethod(); // expect TS2339
const errno: string = new WinError('select', 10038).errno; // expect TS2322
export { now, errno };
