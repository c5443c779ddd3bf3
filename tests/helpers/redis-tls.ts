// A redis-server that speaks TLS only (`--port 0 --tls-port <port>`), with a throwaway CA and server
// certificate made by the openssl CLI in a temp dir that stop() removes.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { redisBinaries } from './redis-binaries.js';
import { freePort } from './redis-ports.js';
import {
  captureOutput,
  GRACEFUL_STOP_MS,
  HOST,
  isRunning,
  makeTempDir,
  NotComing,
  removeTempDir,
  STANDALONE_START_MS,
  track,
  waitForExit,
  waitUntil,
} from './redis-process.js';

export interface TlsAuthority {
  /** PEM of the CA certificate. */
  ca: Buffer;
  /** Files of the CA, and of a server certificate it signed for 127.0.0.1 and localhost. */
  caFile: string;
  certFile: string;
  keyFile: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA valid for a day, and a server certificate signed by it, in `dir`. */
export function makeAuthority(dir: string, name = 'ca'): TlsAuthority {
  const file = (f: string) => path.join(dir, f);
  openssl(
    dir,
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`].concat([
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.crt`),
    ]),
  );
  openssl(
    dir,
    ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost'].concat([
      '-keyout',
      file(`${name}-server.key`),
      '-out',
      file(`${name}-server.csr`),
    ]),
  );
  writeFileSync(file(`${name}-ext.cnf`), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    dir,
    ['x509', '-req', '-days', '1', '-in', file(`${name}-server.csr`)]
      .concat(['-CA', file(`${name}.crt`), '-CAkey', file(`${name}.key`), '-CAcreateserial'])
      .concat(['-extfile', file(`${name}-ext.cnf`), '-out', file(`${name}-server.crt`)]),
  );
  return {
    ca: readFileSync(file(`${name}.crt`)),
    caFile: file(`${name}.crt`),
    certFile: file(`${name}-server.crt`),
    keyFile: file(`${name}-server.key`),
  };
}

export interface TlsRedisHandle {
  port: number;
  /** `rediss://127.0.0.1:PORT` */
  url: string;
  /** The CA that signed the server's certificate (PEM), for `redisOptions.tls.ca`. */
  ca: Buffer;
  /** A second CA that signed nothing the server holds: a wrong `ca`. */
  otherCa: Buffer;
  stop(): Promise<void>;
}

/** One PING over TLS, trusting `ca`; true on PONG. */
function tlsPing(port: number, ca: Buffer): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: HOST, port, ca, servername: 'localhost' });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`PING over TLS on port ${port} timed out`));
    }, 1000);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('secureConnect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.once('data', (chunk: Buffer) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(chunk.toString('utf8').startsWith('+PONG'));
    });
  });
}

/** A TLS-only redis-server (clients need no certificate of their own) with extra `args`. */
export async function startTlsRedis(args: string[] = []): Promise<TlsRedisHandle> {
  const dir = makeTempDir('redis-tls');
  let child: ReturnType<typeof spawn> | undefined;
  const stop = async () => {
    if (child !== undefined && isRunning(child)) {
      child.kill('SIGTERM');
      await waitForExit(child, GRACEFUL_STOP_MS);
    }
    removeTempDir(dir);
  };
  try {
    const authority = makeAuthority(dir, 'ca');
    const other = makeAuthority(dir, 'other');
    const port = await freePort();
    const argv = ['--port', '0', '--tls-port', String(port), '--bind', HOST, '--dir', dir, '--save', '']
      .concat(['--tls-cert-file', authority.certFile, '--tls-key-file', authority.keyFile])
      .concat(['--tls-ca-cert-file', authority.caFile, '--tls-auth-clients', 'no', ...args]);
    const output: string[] = [];
    const started = spawn(redisBinaries().server, argv, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    track(started);
    captureOutput(started, output);
    await waitUntil(
      `redis-server (TLS) on port ${port}`,
      STANDALONE_START_MS,
      async () => {
        if (!isRunning(started))
          throw new NotComing(`process exited (${started.exitCode ?? started.signalCode})`);
        return tlsPing(port, authority.ca);
      },
      () => output.join('\n'),
    );
    return { port, url: `rediss://${HOST}:${port}`, ca: authority.ca, otherCa: other.ca, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
