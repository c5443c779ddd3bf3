// What a failed connection means, from the error ioredis or Node's TLS layer reports: a refusal of the
// store's configuration (credentials, ACL, an unverifiable certificate), which no retry can fix, or a hint
// for an ordinary connection failure (nothing listening, TLS on one side only).
import { SessionStoreConfigError } from '../errors/errors.js';
import { aclRefusal } from './acl.js';

// Node's codes for a server certificate that did not verify (tls.connect with rejectUnauthorized).
const CERTIFICATE_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

// A server's refusal of AUTH or HELLO, or a command sent before any.
const AUTH_REFUSAL = /WRONGPASS|NOAUTH|invalid (username|password)|invalid username-password/i;

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The configuration error that `error` (a connection's error, or a command's) stands for, or undefined
 * when it is none: a refused password or user, an ACL refusal, a certificate that did not verify.
 */
export function configRefusal(error: unknown): SessionStoreConfigError | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = codeOf(error);
  if (code !== undefined && CERTIFICATE_CODES.has(code)) {
    return new SessionStoreConfigError(
      `Cannot connect to Redis: the server's TLS certificate could not be verified (${code}: ${error.message}). ` +
        'Pass the CA that signed it as redisOptions.tls.ca (for Sentinel or Cluster, the tls option of their ' +
        'connection options), and connect by a host name or IP address the certificate names',
      { cause: error },
    );
  }
  if (AUTH_REFUSAL.test(error.message)) {
    return new SessionStoreConfigError(
      `Redis refused the store's credentials (${error.message.trim()}). Check the username and password ` +
        '(in the URL, redisOptions or the sentinel options) and that the ACL user is enabled',
      { cause: error },
    );
  }
  return aclRefusal(error.message, error);
}

/**
 * What to check after the connection failed with `last` (undefined when no error was seen); `tls`: whether
 * the store connects with TLS.
 */
export function connectionHint(last: Error | undefined, tls: boolean): string {
  const code = last === undefined ? undefined : codeOf(last);
  if (!tls && (code === 'ECONNRESET' || code === 'EPIPE')) {
    return (
      'The server closed the connection before answering: it may expect TLS. Use a rediss:// URL ' +
      '(with redisOptions.tls.ca for a private CA), or check that Redis is running at the configured address'
    );
  }
  if (tls && (code === 'ETIMEDOUT' || code === 'ECONNRESET' || code === 'EPROTO')) {
    return (
      'The TLS handshake did not complete: check that the server speaks TLS on that port (tls-port), or use ' +
      'redis:// for a server without TLS'
    );
  }
  return 'Check that Redis is running and reachable at the configured address';
}
