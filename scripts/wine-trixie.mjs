// A second Wine for scripts/winnode.mjs: Debian trixie's Wine 10.0, in a chroot.
//
// winmux's facts are measured under Debian bookworm's Wine 8.0 (the system Wine of this machine).
// `WINMUX_WINE=10` runs the same command under trixie's Wine 10.0 with the same Windows Node and
// koffi files, to catch what a second Wine does differently (docs/wine.md). Set-up, once, as root,
// cached in .cache/winnode/:
//   1. `debootstrap --variant=minbase trixie` into trixie-root/ (apt-get installs debootstrap on
//      the host first when it is missing);
//   2. inside it, `apt-get install --no-install-recommends wine64 ca-certificates`, the host's
//      /etc/hosts (the Wines should resolve `localhost` alike) and `apt-get clean`;
//   3. a Wine 10 prefix of its own, prefix-wine10/ (made by winnode.mjs like the Wine 8 one; a
//      prefix made by one Wine is not for the other, and the wineserver of one cannot serve the
//      other's clients).
// Each run enters the chroot in a mount namespace of its own (`unshare --mount --propagation
// private`): /proc, /dev, /tmp, the repository and the real directories of what it reaches through
// symlinks (in a git worktree, pieces of .cache may be links to the main checkout's) are mounted
// at the same paths, so every path means the same inside and out. The mounts
// die with the namespace, when the run's last process (the wineserver) ends: nothing is left
// mounted on the host, and a killed run leaves nothing to clean up. Only Wine runs inside: this
// script and everything else stay on the host, so the chroot needs no Node of its own.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const SUITE = 'trixie';
const MIRROR = 'http://deb.debian.org/debian';
/** ca-certificates: Node reads NODE_EXTRA_CA_CERTS (a Linux path) and warns on every start when it is missing. */
const PACKAGES = ['wine64', 'ca-certificates'];
/** Written last: a root without it is a set-up that did not finish, and is made again. */
const READY_STAMP = 'etc/winmux-ready';
const WINE_DIR = '/usr/lib/wine';

/**
 * Mounts what a run needs and enters the chroot. Every path arrives as an argument, never inside
 * the script's text, so no path is ever parsed by the shell:
 *   sh -c SCRIPT sh <root> <working dir> <count> <bind 1> … <bind count> <command> [args…]
 */
const ENTER_SCRIPT = [
  'root=$1; dir=$2; count=$3; shift 3',
  'mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" && mount --bind /tmp "$root/tmp" || exit 125',
  'while [ "$count" -gt 0 ]; do',
  '  mkdir -p "$root$1" && mount --bind "$1" "$root$1" || exit 125',
  '  shift; count=$((count - 1))',
  'done',
  'exec chroot "$root" /usr/bin/env --chdir="$dir" "$@"',
].join('\n');

/**
 * @param {object} o
 * @param {string} o.cache     .cache/winnode (may be reached through a symlink)
 * @param {() => string[]} o.binds  directories a run needs at the same path inside
 * @param {(message: string) => void} o.say
 * @param {(message: string) => never} o.fail
 */
export function trixieWine({ cache, binds, say, fail }) {
  const chroot = path.join(cache, 'trixie-root');

  function run(command, args, options = {}) {
    const result = spawnSync(command, args, { stdio: 'inherit', ...options });
    if (result.error) fail(`${command}: ${result.error.message}`);
    if (result.status !== 0) fail(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
  }

  /** A private mount namespace, so that whatever is mounted in it goes away with it. */
  function inNamespace(command, args, options) {
    run('unshare', ['--mount', '--propagation', 'private', '--', command, ...args], options);
  }

  /** Mount points under the chroot in this (the host's) namespace: there should be none. */
  function mountsInside() {
    const real = fs.realpathSync(chroot);
    return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
      .map((line) => line.split(' ')[4])
      .filter((point) => point !== undefined && (point === real || point.startsWith(`${real}/`)));
  }

  function requireRoot() {
    if (process.getuid?.() === 0) return;
    fail('WINMUX_WINE=10 runs Debian trixie\'s Wine 10 in a chroot, which takes root (debootstrap, mount, chroot). '
      + 'Run it as root, or leave WINMUX_WINE unset for the system\'s Wine.');
  }

  function ensureDebootstrap() {
    if (spawnSync('debootstrap', ['--version'], { stdio: 'ignore' }).status === 0) return;
    say('debootstrap is missing: installing Debian package debootstrap (apt-get update && apt-get install -y debootstrap)');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['update'], { env });
    run('apt-get', ['install', '-y', 'debootstrap'], { env });
  }

  /** Makes the chroot when it is missing or unfinished; returns whether it did. */
  function ensureChroot() {
    const wanted = `${SUITE} ${PACKAGES.join(' ')}\n`;
    const stamp = path.join(chroot, READY_STAMP);
    if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === wanted) return false;
    const started = Date.now();
    if (fs.existsSync(chroot)) {
      const mounted = mountsInside();
      if (mounted.length > 0) fail(`${chroot} is unfinished but has mounts on it (${mounted.join(', ')}); unmount them, then run again`);
      say(`removing an unfinished ${chroot}`);
      fs.rmSync(chroot, { recursive: true, force: true });
    }
    ensureDebootstrap();
    say(`making a Debian ${SUITE} chroot for Wine 10 in ${chroot} (first run only, a few minutes)`);
    fs.mkdirSync(chroot, { recursive: true });
    // debootstrap mounts /proc and /sys in the target while it works: in a namespace of its own,
    // a killed debootstrap leaves no mount behind.
    inNamespace('debootstrap', ['--variant=minbase', SUITE, chroot, MIRROR]);
    fs.copyFileSync(fs.existsSync('/etc/hosts') ? '/etc/hosts' : '/dev/null', path.join(chroot, 'etc', 'hosts'));
    say(`installing ${PACKAGES.join(', ')} in the chroot`);
    const apt = (...args) => inNamespace('sh', ['-c', 'mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" || exit 125; shift; exec chroot "$@"', 'sh', chroot, chroot, ...args],
      { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    apt('apt-get', 'update');
    apt('apt-get', 'install', '-y', '--no-install-recommends', ...PACKAGES);
    apt('apt-get', 'clean');
    fs.writeFileSync(stamp, wanted);
    say(`the ${SUITE} chroot is ready (${Math.round((Date.now() - started) / 1000)} s)`);
    return true;
  }

  return {
    name: 'Wine 10 (Debian trixie, chroot)',
    prefix: path.join(cache, 'prefix-wine10'),
    ensure() {
      requireRoot();
      ensureChroot();
    },
    /** The command and arguments that run `program` (a Wine program: 'wine64' or 'wineserver') inside. */
    command(program, args, cwd) {
      requireRoot();
      // One mount per tree: a directory inside /tmp or inside another one is there already.
      const dirs = [];
      for (const dir of binds().map((d) => fs.realpathSync(d)).sort((a, b) => a.length - b.length)) {
        if (!['/tmp', ...dirs].some((outer) => dir === outer || dir.startsWith(`${outer}/`))) dirs.push(dir);
      }
      return ['unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', ENTER_SCRIPT, 'sh',
        chroot, cwd, String(dirs.length), ...dirs, path.join(WINE_DIR, program), ...args]];
    },
  };
}
