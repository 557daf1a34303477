import type { Dispatcher } from 'undici';

type DispatchController = Dispatcher.DispatchController;
type RawHeaders = NonNullable<DispatchController['rawHeaders']> | null;

/**
 * The controller the caller holds for the whole request. Each attempt has its own controller
 * from undici; this one forwards to the live attempt and keeps the caller's pause across them.
 */
export class StableController implements DispatchController {
  #target: DispatchController | null = null;
  #callerPaused = false;
  /** Held by the interceptor while it decides what to do with a response. */
  #held = false;
  #aborted = false;
  #reason: Error | null = null;
  #rawHeaders: RawHeaders | undefined;
  readonly #onAbort: (reason: Error) => void;

  constructor(onAbort: (reason: Error) => void) {
    this.#onAbort = onAbort;
  }

  attach(target: DispatchController | null): void {
    this.#target = target;
    this.#rawHeaders = undefined;
    if (target && this.#callerPaused) target.pause();
  }

  get target(): DispatchController | null {
    return this.#target;
  }

  /** The interceptor pauses (true) or lets go of (false) the attempt without the caller seeing it. */
  hold(held: boolean): void {
    this.#held = held;
    this.#flow();
  }

  /** Shows the caller these raw headers instead of the attempt's (a sanitized response). */
  overrideRawHeaders(raw: string[]): void {
    this.#rawHeaders = raw;
  }

  pause(): void {
    this.#callerPaused = true;
    this.#flow();
  }

  resume(): void {
    this.#callerPaused = false;
    this.#flow();
  }

  /** The attempt reads while neither the caller nor the interceptor holds it. */
  #flow(): void {
    if (this.#held || this.#callerPaused) this.#target?.pause();
    else this.#target?.resume();
  }

  abort(reason: Error): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#onAbort(reason);
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get paused(): boolean {
    return this.#callerPaused;
  }

  get reason(): Error | null {
    return this.#reason;
  }

  get rawHeaders(): RawHeaders {
    return this.#rawHeaders !== undefined ? this.#rawHeaders : (this.#target?.rawHeaders ?? null);
  }

  set rawHeaders(value: RawHeaders) {
    if (this.#target) this.#target.rawHeaders = value ?? null;
  }

  get rawTrailers(): RawHeaders {
    return this.#target?.rawTrailers ?? null;
  }

  set rawTrailers(value: RawHeaders) {
    if (this.#target) this.#target.rawTrailers = value ?? null;
  }
}
