/**
 * The first logon of an explicit SSPI credential (a `{ principal, password }` identity), once.
 * Windows accepts any password in AcquireCredentialsHandleW and logs on during the first
 * InitializeSecurityContextW that needs a ticket: requests that start together on a fresh
 * password handle would each send the password to the domain controller, and with a wrong one
 * each attempt counts toward the account's lockout. So the first step on such a handle runs
 * alone; steps that arrive meanwhile wait for it. Once a step succeeded the logon is proven and
 * nothing waits any more; once the logon was refused, every later first step on that handle gets
 * the same refusal without calling SSPI (the handle holds that password for good).
 *
 * @module
 */

/**
 * Runs first steps on one credential handle so that its logon is attempted by one at a time.
 *
 * @example
 * ```ts
 * const gate = new LogonGate();
 * const record = await gate.run(() => initialize(), (r) => r.error?.status === SecStatus.SEC_E_LOGON_DENIED, (r) => !r.error);
 * ```
 */
export class LogonGate {
  #proven = false;
  #refused: { readonly result: unknown } | null = null;
  #running: Promise<void> | null = null;

  /** Whether a step on this handle succeeded (its logon is done). */
  get proven(): boolean {
    return this.#proven;
  }

  /**
   * Runs `step` once no other first step is running; returns the refused result instead when
   * the logon was refused before.
   *
   * @param refused - whether a result is the logon's refusal (remembered for every later step).
   * @param succeeded - whether a result proves the logon (later steps run without waiting).
   */
  async run<T>(
    step: () => Promise<T>,
    refused: (result: T) => boolean,
    succeeded: (result: T) => boolean,
  ): Promise<T> {
    for (;;) {
      if (this.#refused) return this.#refused.result as T;
      if (this.#proven) return step();
      if (!this.#running) break;
      await this.#running;
    }
    let done!: () => void;
    this.#running = new Promise<void>((resolve) => {
      done = resolve;
    });
    try {
      const result = await step();
      if (refused(result)) this.#refused = { result };
      else if (succeeded(result)) this.#proven = true;
      return result;
    } finally {
      // Another failure (an unknown SPN, an unreachable KDC) proves nothing: the next waiting
      // step tries.
      this.#running = null;
      done();
    }
  }
}
