import { WeftError } from '@weft/protocol';

/**
 * Why the server refused or ended the connection, as the provider's `error` event reports it.
 * `permanent` errors stop reconnecting (4400–4499, or the same state refused as too big again and
 * again) until `connect()` is called.
 */
export class ConnectionError extends WeftError {
  readonly closeCode: number;
  readonly permanent: boolean;

  constructor(closeCode: number, reason: string, permanent: boolean) {
    super('connection-closed', reason || `connection closed with code ${closeCode}`);
    this.name = 'ConnectionError';
    this.closeCode = closeCode;
    this.permanent = permanent;
  }
}
