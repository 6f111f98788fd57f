// What every controller gets: the store, the event recorder, and the cluster's time scale.
import type { Store } from '../contract.js';
import type { EventRecorder } from './events.js';

export interface ControllerContext {
  store: Store;
  events: EventRecorder;
  /** Multiplies behaviour timings: 0.1 runs everything ten times faster. */
  timeScale: number;
  /** Behaviour seconds → wall-clock milliseconds under the time scale. */
  ms(seconds: number): number;
}
