import { winsock } from '../../lib/index.ts';
const [a, b] = winsock.loopbackPair();
for (const s of [a, b]) {
  winsock.setIntOption(s, winsock.SOL_SOCKET, winsock.SO_SNDBUF, 4096);
  winsock.setIntOption(s, winsock.SOL_SOCKET, winsock.SO_RCVBUF, 4096);
}
const data = new Uint8Array(300000);
const results: (number | null)[] = [];
for (let i = 0; i < 20; i++) {
  const n = winsock.sendSome(a, data);
  results.push(n);
  if (n === null) break;
}
console.log('sends:', JSON.stringify(results));
console.log('SO_SNDBUF', winsock.getIntOption(a, winsock.SOL_SOCKET, winsock.SO_SNDBUF), 'SO_RCVBUF', winsock.getIntOption(b, winsock.SOL_SOCKET, winsock.SO_RCVBUF));
winsock.closeQuietly(a, b);
