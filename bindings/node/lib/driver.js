'use strict';
// Drives a coord_loop from Node's event loop, on the main thread.
//
// libcoord says which sockets to watch and when its next timeout is
// (coord_loop_set_callbacks); Node has no public way to watch a foreign
// socket, so the sockets are waited for by poll(2) run as a koffi async call
// (on one thread of libuv's pool), and everything else -- libcurl, the
// decoders, the callbacks -- runs here, on the main thread, which owns the
// loop, the calls and the clients as async.h's thread contract asks. The
// worker touches no libcoord state: it only sleeps in poll() on a copy of the
// socket list. When that list changes while it sleeps (a call started,
// a connection closed), an eventfd wakes it and the list is taken again.
// The timer is a Node timer. While no call is in the loop nothing waits, and
// nothing keeps the process alive.
//
// Node's event loop must not stall: the sockets poll() found ready are handed
// to libcoord a slice at a time, each slice at most SLICE_MS of work, the
// event loop running between slices (a burst of 256 answers is ~10 ms of
// libcurl and decoding).
const native = require('./native');

const { koffi, c, sys } = native;

const WATCH_IN = 1;
const WATCH_OUT = 2;
const WATCH_ERROR = 4;
const POLLIN = 0x001;
const POLLOUT = 0x004;
const POLL_FAILED = 0x008 | 0x010 | 0x020; // POLLERR | POLLHUP | POLLNVAL
const EFD_NONBLOCK = 0o4000;
const EFD_CLOEXEC = 0o2000000;
const POLLFD_SIZE = 8; // struct pollfd { int fd; short events; short revents; }
const SLICE_MS = 1;
const ONE = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]);

const drivers = new Map(); // key (user_data) -> Driver
let nextKey = 1;

const onSocket = koffi.register((loop, fd, events, key) => drivers.get(key)?.socket(fd, events),
                                koffi.pointer(native.SocketFn));
const onTimer = koffi.register((loop, ms, key) => drivers.get(key)?.timer(Number(ms)),
                               koffi.pointer(native.TimerFn));

class Driver {
  /** A driver for a new loop (coord_loop_new), with max_calls and max_host_connections. */
  constructor(maxCalls, maxHostConnections) {
    const out = [null];
    const st = c.coord_loop_new(out);
    if (st !== 0) throw new Error(`coord_loop_new: ${c.coord_status_name(st)}`);
    this.loop = out[0];
    this.key = nextKey++;
    this.fds = new Map(); // socket -> COORD_WATCH_* wanted
    this.due = null;      // the Node timer (Timeout or Immediate) for coord_loop_timeout
    this.polling = false; // a poll() is in flight on the worker
    this.woken = false;   // ... and was told to return
    this.changed = false; // the sockets changed since that poll() started
    this.ready = [];      // [fd, events] poll() found ready, not yet handed over
    this.closed = false;
    this.efd = sys.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    const limits = c.coord_loop_set_limits(this.loop, maxCalls, maxHostConnections);
    const callbacks = c.coord_loop_set_callbacks(this.loop, onSocket, onTimer, this.key);
    if (this.efd < 0 || limits !== 0 || callbacks !== 0) {
      this.free();
      throw new RangeError(this.efd < 0 ? 'eventfd failed'
        : 'maxInFlight must be 1..100000 and maxHostConnections 1..10000');
    }
    drivers.set(this.key, this);
  }

  socket(fd, events) {
    if (events === 0) this.fds.delete(fd);
    else this.fds.set(fd, events);
    this.changed = true;
  }

  timer(ms) {
    this.clearDue();
    if (ms < 0) return;
    this.due = ms === 0 ? setImmediate(() => this.expire()) : setTimeout(() => this.expire(), ms);
  }

  clearDue() {
    if (this.due === null) return;
    clearTimeout(this.due);
    clearImmediate(this.due);
    this.due = null;
  }

  expire() {
    this.due = null;
    if (this.closed) return;
    c.coord_loop_timeout(this.loop);
    this.settle();
  }

  /**
   * After every entry into the loop: wait for its sockets while calls are in
   * it (and only then keep the process alive), re-taking the list if it changed.
   */
  settle() {
    if (this.ready.length > 0) return; // handing over what the last poll() found
    const busy = !this.closed && c.coord_loop_calls(this.loop) > 0;
    if (this.due !== null) {
      if (busy) this.due.ref();
      else this.due.unref();
    }
    if (!busy || this.fds.size === 0) {
      if (this.polling) this.wake();
    } else if (!this.polling) {
      this.poll();
    } else if (this.changed) {
      this.wake();
    }
  }

  wake() {
    if (this.woken) return;
    this.woken = true;
    sys.write(this.efd, ONE, 8);
  }

  poll() {
    const n = this.fds.size + 1;
    const fds = Buffer.alloc(n * POLLFD_SIZE);
    fds.writeInt32LE(this.efd, 0);
    fds.writeInt16LE(POLLIN, 4);
    let at = POLLFD_SIZE;
    for (const [fd, events] of this.fds) {
      fds.writeInt32LE(fd, at);
      fds.writeInt16LE((events & WATCH_IN ? POLLIN : 0) | (events & WATCH_OUT ? POLLOUT : 0), at + 4);
      at += POLLFD_SIZE;
    }
    this.polling = true;
    this.woken = false;
    this.changed = false;
    sys.poll.async(fds, n, -1, () => this.polled(fds, n));
  }

  polled(fds, n) {
    this.polling = false;
    if (fds.readInt16LE(6) !== 0) {
      const drain = Buffer.alloc(8);
      sys.read(this.efd, drain, 8);
    }
    if (this.closed) {
      this.closeEventFd();
      return;
    }
    for (let at = POLLFD_SIZE; at < n * POLLFD_SIZE; at += POLLFD_SIZE) {
      const revents = fds.readInt16LE(at + 6);
      if (revents === 0) continue;
      const events = (revents & POLLIN ? WATCH_IN : 0) | (revents & POLLOUT ? WATCH_OUT : 0) |
                     (revents & POLL_FAILED ? WATCH_ERROR : 0);
      this.ready.push(fds.readInt32LE(at), events);
    }
    this.handOver();
  }

  /** The ready sockets to libcoord, SLICE_MS at a time; then wait again. */
  handOver() {
    if (this.closed) {
      this.ready.length = 0;
      return;
    }
    const ready = this.ready;
    const end = performance.now() + SLICE_MS;
    let i = 0;
    while (i < ready.length) {
      const fd = ready[i], events = ready[i + 1];
      i += 2;
      // a socket closed meanwhile is skipped (its number may have been reused)
      if (this.fds.has(fd)) c.coord_loop_socket_ready(this.loop, fd, events);
      if (performance.now() > end) break;
    }
    ready.splice(0, i);
    if (ready.length > 0) setImmediate(() => this.handOver());
    else this.settle();
  }

  /** Free the loop: calls still in it end with COORD_ERR_CANCELLED, before this returns. */
  free() {
    if (this.closed) return;
    this.closed = true;
    drivers.delete(this.key);
    this.clearDue();
    c.coord_loop_free(this.loop);
    this.loop = null;
    if (this.polling) this.wake(); // its eventfd is closed when the poll returns
    else this.closeEventFd();
  }

  closeEventFd() {
    if (this.efd >= 0) sys.close(this.efd);
    this.efd = -1;
  }
}

module.exports = { Driver };
