// The store as a run's writers see it: every write first checks that this process still holds the
// run's lease (a fencing check). A holder that was paused or cut off long enough for another
// process to take the run over gets LEASE_LOST instead of overwriting the new holder's work.
import type { HeldLock } from './lock.js';
import type { Store } from './store.js';

export function fencedStore(store: Store, lock: Pick<HeldLock, 'assertHeld'>): Store {
  return {
    ...store,
    async set(key, value, options) {
      await lock.assertHeld();
      await store.set(key, value, options);
    },
    async delete(key) {
      await lock.assertHeld();
      return store.delete(key);
    },
  };
}
