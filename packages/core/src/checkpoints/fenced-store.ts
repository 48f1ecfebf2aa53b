// The store as a run's writers see it: every write is fenced by the run's lease. The backend
// checks that this process still holds the lease and writes in one operation (store.cas.setFenced),
// so a holder that was paused or cut off long enough for another process to take the run over gets
// LEASE_LOST instead of overwriting the new holder's work — even when the takeover comes between
// the holder's decision to write and the write reaching the store.
import { SpxError } from '../errors/errors.js';
import type { HeldLock } from './lock.js';
import type { Store } from './store.js';

export function fencedStore(store: Store, lock: Pick<HeldLock, 'fence' | 'assertHeld'>): Store {
  /** After a fenced operation did nothing: LEASE_LOST when the lease is gone (a lost lease never comes back). */
  const refused = async () => {
    await lock.assertHeld();
    return new SpxError('LEASE_LOST', 'The store refused a write fenced by this run\'s lease, which it no longer counts as held.', {
      hint: 'Run the same command again; its checkpoints decide what repeats.',
    });
  };
  return {
    ...store,
    async set(key, value, options) {
      if (!(await store.cas.setFenced(lock.fence, key, value, options?.ttlMs))) throw await refused();
    },
    async delete(key) {
      if (await store.cas.deleteFenced(lock.fence, key)) return true;
      await lock.assertHeld();
      return false;
    },
  };
}
