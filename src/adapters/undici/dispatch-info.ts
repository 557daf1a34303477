import type { NegotiateDispatchInfo } from './types.js';

/** The {@link NegotiateDispatchInfo} of one request, filled in as the handler goes. */
export class DispatchInfo implements NegotiateDispatchInfo {
  readonly url: string;
  error: NegotiateDispatchInfo['error'] = undefined;
  tokensSent = 0;
  connectionBound = false;

  constructor(url: URL) {
    this.url = url.href;
  }
}
