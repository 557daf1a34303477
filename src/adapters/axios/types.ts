/**
 * The public types of `http-gssapi/axios`.
 *
 * @module
 */
import type { InternalAxiosRequestConfig } from 'axios';

/** One request axios sent for a call: the first, each Negotiate resend, each redirect hop. */
export interface NegotiateLeg {
  readonly url: string;
  /** Upper-case method. */
  readonly method: string;
  readonly status: number;
  /** Whether the request carried a Negotiate token made by this library. */
  readonly negotiate: boolean;
}

/** What axios's `adapter` option takes: a name, a function, or a list to try in order. */
export type AdapterConfig = NonNullable<InternalAxiosRequestConfig['adapter']>;
