/**
 * Defines a non-enumerable own property, so that `JSON.stringify`, `Object.keys`, spreading and
 * `util.inspect` (without `showHidden`) skip it: how a response, a request or a cause rides on
 * an error or a client object without a logger printing its headers, body or token.
 */
export function hideProperty(target: unknown, key: PropertyKey, value: unknown): void {
  if (!target || (typeof target !== 'object' && typeof target !== 'function')) return;
  Object.defineProperty(target, key, { value, enumerable: false, writable: true, configurable: true });
}
