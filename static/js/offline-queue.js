// The handheld's outbox: every action a picker takes (scan, keypad quantity, short pick) is
// written here first, with its client id, and leaves only when the server has answered it.
// IndexedDB survives a reload, a crash and a dead battery's restart; the server applies each
// client id once, so sending an action again after a lost answer is harmless.
//
//   const q = await openQueue("dockhand-pick");
//   await q.add({ id, event, payload, taskId, local });   // -> the stored item, with its seq
//   await q.items();                                      // oldest first
//   await q.remove(seq);  await q.count();
//   await q.drain(send, onAnswer)   // send in order; stops at the first unanswered item
//
// With no IndexedDB (a private window on some browsers) the queue lives in memory: the page
// still works online and through short drops, it only cannot survive a reload.

const STORE = "actions";
const FAILED = "failed";
const VERSION = 1;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error || new Error("IndexedDB transaction aborted"));
    tx.onerror = () => reject(tx.error);
  });
}

class MemoryStore {
  constructor() {
    this.rows = new Map();
    this.failed = [];
    this.next = 1;
  }
  async add(item) {
    const row = { ...item, seq: this.next++ };
    this.rows.set(row.seq, row);
    return row;
  }
  async items() {
    return [...this.rows.values()].sort((a, b) => a.seq - b.seq);
  }
  async first() {
    return (await this.items())[0];
  }
  async count() {
    return this.rows.size;
  }
  async remove(seq) {
    this.rows.delete(seq);
  }
  async update(row) {
    this.rows.set(row.seq, row);
  }
  async fail(row) {
    this.rows.delete(row.seq);
    this.failed.push(row);
  }
  async failedItems() {
    return [...this.failed];
  }
  async clear() {
    this.rows.clear();
  }
}

class IdbStore {
  constructor(db) {
    this.db = db;
  }
  async add(item) {
    const tx = this.db.transaction(STORE, "readwrite", { durability: "strict" });
    const seq = await promised(tx.objectStore(STORE).add({ ...item }));
    await done(tx);
    return { ...item, seq };
  }
  async items() {
    const tx = this.db.transaction(STORE, "readonly");
    return promised(tx.objectStore(STORE).getAll()); // key order: oldest first
  }
  async first() {
    const tx = this.db.transaction(STORE, "readonly");
    const cursor = await promised(tx.objectStore(STORE).openCursor());
    return cursor ? cursor.value : undefined;
  }
  async count() {
    const tx = this.db.transaction(STORE, "readonly");
    return promised(tx.objectStore(STORE).count());
  }
  async remove(seq) {
    const tx = this.db.transaction(STORE, "readwrite");
    tx.objectStore(STORE).delete(seq);
    await done(tx);
  }
  async update(row) {
    const tx = this.db.transaction(STORE, "readwrite");
    tx.objectStore(STORE).put(row);
    await done(tx);
  }
  async fail(row) {
    // Never dropped: an action the server kept refusing to take moves aside, for a person.
    const tx = this.db.transaction([STORE, FAILED], "readwrite");
    tx.objectStore(FAILED).put(row);
    tx.objectStore(STORE).delete(row.seq);
    await done(tx);
  }
  async failedItems() {
    const tx = this.db.transaction(FAILED, "readonly");
    return promised(tx.objectStore(FAILED).getAll());
  }
  async clear() {
    const tx = this.db.transaction(STORE, "readwrite");
    tx.objectStore(STORE).clear();
    await done(tx);
  }
}

async function openStore(name) {
  if (!globalThis.indexedDB) return new MemoryStore();
  try {
    const request = indexedDB.open(name, VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(STORE)) {
        db.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
      }
      if (!db.objectStoreNames.contains(FAILED)) db.createObjectStore(FAILED, { keyPath: "seq" });
    };
    return new IdbStore(await promised(request));
  } catch (err) {
    console.warn("IndexedDB unavailable; the offline queue lives in memory", err);
    return new MemoryStore();
  }
}

// Answers that mean "nothing reached the server or nothing was saved": keep the action.
const TRANSIENT = new Set(["offline", "timeout", "server_error", "bad_ack"]);
// After this many server errors for one action, it moves aside instead of blocking the rest.
const MAX_SERVER_ERRORS = 3;

/** Open (or create) the queue named `name`. */
export async function openQueue(name) {
  const store = await openStore(name);
  let draining = null;
  const listeners = new Set();

  async function changed() {
    const n = await store.count();
    for (const fn of listeners) fn(n);
    return n;
  }

  return {
    persistent: store instanceof IdbStore,
    async add(item) {
      const row = await store.add({ queuedAt: new Date().toISOString(), attempts: 0, ...item });
      await changed();
      return row;
    },
    items: () => store.items(),
    failedItems: () => store.failedItems(),
    count: () => store.count(),
    async remove(seq) {
      await store.remove(seq);
      await changed();
    },
    /** Rewrite a waiting action in place (its place in the order is kept). */
    update: (row) => store.update(row),
    async clear() {
      await store.clear();
      await changed();
    },
    /** fn(count) whenever the number of waiting actions changes. */
    onChange(fn) {
      listeners.add(fn);
    },
    /**
     * Send every waiting action in order: `send(item)` resolves to the server's ack. An
     * answered action (accepted or refused) leaves the queue and goes to onAnswer(item, ack);
     * a transient failure stops the drain with the rest still queued, in order. Concurrent
     * calls share one drain. Resolves to {sent, stopped: ack|null}.
     */
    drain(send, onAnswer) {
      if (draining) return draining;
      draining = (async () => {
        let sent = 0;
        try {
          for (;;) {
            const item = await store.first();
            if (!item) return { sent, stopped: null };
            const ack = await send(item);
            if (ack && TRANSIENT.has(ack.error)) {
              if (ack.error === "server_error") {
                item.attempts = (item.attempts || 0) + 1;
                if (item.attempts >= MAX_SERVER_ERRORS) {
                  await store.fail(item);
                  await changed();
                  if (onAnswer) await onAnswer(item, ack);
                  continue;
                }
                await store.update(item);
              }
              return { sent, stopped: ack };
            }
            await store.remove(item.seq);
            sent += 1;
            await changed();
            if (onAnswer) await onAnswer(item, ack);
          }
        } finally {
          draining = null;
        }
      })();
      return draining;
    },
  };
}
