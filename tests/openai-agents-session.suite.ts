// The OpenAIAgentsSession suite, run over any store factory: memory in openai-agents-session.test.ts,
// and any other backend by one more `describeOpenAIAgentsSession(name, makeStore)` call.
//
// The "MemorySession expectations" group ports the cases of @openai/agents-core's own
// packages/agents-core/test/memorySession.test.ts (openai-agents-js): stores and retrieves items;
// returns clones; applies history mutations atomically; append transactions idempotent; exact suffix
// replaced idempotently; suffix mismatch rejected without recording the operation; operation id reuse
// with different content rejected; empty append recorded; identities reset by clearSession; invalid
// input, unsupported metadata, non-enumerable metadata and unexpected fields rejected before mutation;
// no transaction content in snapshot errors; ordinary object prototypes canonicalized; rejected values
// leave the operation id unused; envelope read once and accessor errors redacted; and the two logging
// cases as "the logger never sees item contents". Two are adapted to a JSON store: binary data
// (Uint8Array) is refused instead of copied, and a Proxy of a plain array is accepted (it is JSON).
// Where MemorySession throws UserError, this adapter throws the store's typed errors.
import { Agent, type AgentInputItem, RunContext, run, setTracingDisabled, tool } from '@openai/agents-core';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Logger } from '../src/logger.js';
import { OpenAIAgentsSession } from '../src/openai-agents/index.js';
import type { SessionStore, SessionStoreOptions } from '../src/store/SessionStore.js';
import { StandInModel } from './openai-agents-model.js';

setTracingDisabled(true);

export type StoreFactory = (options?: SessionStoreOptions) => SessionStore | Promise<SessionStore>;

const user = (text: string): AgentInputItem => ({ role: 'user', content: [{ type: 'input_text', text }] });
const assistant = (text: string): AgentInputItem => ({
  type: 'message',
  role: 'assistant',
  status: 'completed',
  content: [{ type: 'output_text', text }],
});
type FunctionCall = Extract<AgentInputItem, { type: 'function_call' }>;
const call = (callId: string, args = '{}'): FunctionCall => ({
  type: 'function_call',
  callId,
  name: 'lookup',
  status: 'completed',
  arguments: args,
});
const result = (callId: string, text = 'ok'): AgentInputItem => ({
  type: 'function_call_result',
  callId,
  name: 'lookup',
  status: 'completed',
  output: { type: 'text', text },
});

/** An append_items history transaction of `items` under `operationId`. */
const appendItems = (operationId: string, items: AgentInputItem[]) => ({
  operationId,
  transaction: { type: 'append_items' as const, items },
});

/** `store`, except that every replaceItems first awaits `before`: another writer getting in between. */
function beforeEachReplace(store: SessionStore, before: () => Promise<void>): SessionStore {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key !== 'replaceItems' || typeof value !== 'function')
        return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: Parameters<SessionStore['replaceItems']>) => {
        await before();
        return target.replaceItems(...args);
      };
    },
  });
}

let ids = 0;
const freshId = (label: string) => `oa-${label}-${process.pid}-${++ids}`;

export function describeOpenAIAgentsSession(name: string, makeStore: StoreFactory): void {
  describe(`OpenAIAgentsSession over ${name}`, () => {
    const opened: SessionStore[] = [];
    const open = async (options?: SessionStoreOptions) => {
      const store = await makeStore(options);
      opened.push(store);
      return store;
    };
    const session = async (label: string, initial: AgentInputItem[] = [], options?: SessionStoreOptions) => {
      const store = await open(options);
      const s = new OpenAIAgentsSession({ store, sessionId: freshId(label) });
      await s.addItems(initial);
      return { store, s };
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    describe('MemorySession expectations', () => {
      it('stores and retrieves items', async () => {
        const initial = [user('hello')];
        const { s } = await session('basic', initial);
        expect(await s.getSessionId()).toMatch(/^oa-basic-/);
        expect(await s.getItems()).toEqual(initial);
        const added = [user('one'), user('two')];
        await s.addItems(added);
        expect(await s.getItems()).toEqual([...initial, ...added]);
        expect(await s.getItems(2)).toEqual(added);
        expect(await s.popItem()).toEqual(added[1]);
        expect(await s.getItems()).toEqual([...initial, added[0]]);
        await s.clearSession();
        expect(await s.getItems()).toEqual([]);
        expect(await s.getItems(3)).toEqual([]);
        expect(await s.popItem()).toBeUndefined();
      });

      it('returns copies, so mutating them or the given items changes nothing stored', async () => {
        const { s } = await session('copies', [user('start')]);
        const items = await s.getItems();
        (items[0] as { content: unknown }).content = 'mutated';
        expect(await s.getItems()).toEqual([user('start')]);
        const next = user('next');
        await s.addItems([next]);
        (next as { content: unknown }).content = 'mutated';
        expect(await s.getItems()).toEqual([user('start'), user('next')]);
        const popped = await s.popItem();
        expect(popped).toEqual(user('next'));
        (popped as { content: unknown }).content = 'mutated';
        expect(await s.getItems()).toEqual([user('start')]);
      });

      it('applies history mutations: the first matching call replaced, its duplicates dropped', async () => {
        const { s } = await session('mutations', [
          user('start'),
          call('call-1', '{"ok":false}'),
          call('call-1', '{"dup":1}'),
        ]);
        const replacement = call('call-1', '{"ok":true}');
        await s.applyHistoryMutations({
          mutations: [{ type: 'replace_function_call', callId: 'call-1', replacement }],
        });
        expect(await s.getItems()).toEqual([user('start'), replacement]);
      });

      it('applies append transactions idempotently', async () => {
        const { s } = await session('tx-append', [user('start')]);
        const appended = user('committed');
        await s.applyHistoryTransaction(appendItems('op-append-1', [appended]));
        (appended as { content: unknown }).content = 'mutated';
        await s.addItems([user('later')]);
        await s.applyHistoryTransaction(appendItems('op-append-1', [user('committed')]));
        expect(await s.getItems()).toEqual([user('start'), user('committed'), user('later')]);
      });

      it('replaces an exact history suffix idempotently', async () => {
        const { s } = await session('tx-replace', [user('start'), user('blocked')]);
        const args = {
          operationId: 'op-replace-1',
          transaction: {
            type: 'replace_suffix' as const,
            expectedSuffix: [user('blocked')],
            replacement: [user('accepted')],
          },
        };
        await s.applyHistoryTransaction(args);
        await s.addItems([user('later')]);
        await s.applyHistoryTransaction(args);
        expect(await s.getItems()).toEqual([user('start'), user('accepted'), user('later')]);
      });

      it('rejects a suffix mismatch with SessionConflictError, without recording the operation', async () => {
        const { s } = await session('tx-stale', [user('start')]);
        const stale = s.applyHistoryTransaction({
          operationId: 'op-after-conflict',
          transaction: {
            type: 'replace_suffix',
            expectedSuffix: [user('different')],
            replacement: [user('accepted')],
          },
        });
        await expect(stale).rejects.toMatchObject({ name: 'SessionConflictError', code: 'SESSION_CONFLICT' });
        expect(await s.getItems()).toEqual([user('start')]);
        await s.applyHistoryTransaction({
          operationId: 'op-after-conflict',
          transaction: {
            type: 'replace_suffix',
            expectedSuffix: [user('start')],
            replacement: [user('accepted')],
          },
        });
        expect(await s.getItems()).toEqual([user('accepted')]);
      });

      it('rejects an operation id reused with different content', async () => {
        const { s } = await session('tx-reuse');
        await s.applyHistoryTransaction(appendItems('op-x', [user('first')]));
        await expect(s.applyHistoryTransaction(appendItems('op-x', [user('second')]))).rejects.toMatchObject({
          code: 'SESSION_CONFLICT',
        });
        expect(await s.getItems()).toEqual([user('first')]);
      });

      it('records an empty append transaction', async () => {
        const { s } = await session('tx-empty');
        await s.applyHistoryTransaction(appendItems('op-empty', []));
        await expect(
          s.applyHistoryTransaction(appendItems('op-empty', [user('unexpected')])),
        ).rejects.toMatchObject({ code: 'SESSION_CONFLICT' });
        expect(await s.getItems()).toEqual([]);
      });

      it('forgets operation ids when the session is cleared', async () => {
        const { s } = await session('tx-reset');
        const args = {
          operationId: 'op-reset',
          transaction: { type: 'append_items' as const, items: [user('committed')] },
        };
        await s.applyHistoryTransaction(args);
        await s.clearSession();
        await s.applyHistoryTransaction(args);
        expect(await s.getItems()).toEqual([user('committed')]);
      });

      it('rejects invalid transaction input before anything is written', async () => {
        const { s } = await session('tx-invalid', [user('start')]);
        const cases: [unknown, string][] = [
          [{ operationId: '   ', transaction: { type: 'append_items', items: [] } }, 'operationId'],
          [{ operationId: 'op-unknown', transaction: { type: 'unknown' } }, 'transaction.type'],
          [{ operationId: 'op-null', transaction: null }, 'transaction'],
          [
            { operationId: 'op-42', transaction: { type: 'append_items', items: [42] } },
            'transaction.items[0]',
          ],
          [
            { operationId: 'op-shape', transaction: { type: 'append_items', items: [{ nope: 1 }] } },
            'transaction.items[0]',
          ],
        ];
        for (const [args, field] of cases) {
          await expect(s.applyHistoryTransaction(args as never)).rejects.toMatchObject({
            code: 'SESSION_VALIDATION',
            field,
          });
        }
        expect(await s.getItems()).toEqual([user('start')]);
      });

      it('rejects values a JSON store cannot keep (Date, cycle, BigInt, hole, binary data) before writing', async () => {
        const { s } = await session('tx-unsupported', [user('start')]);
        const cyclic: Record<string, unknown> = {};
        cyclic.self = cyclic;
        const cases: [unknown, string][] = [
          [{ timestamp: new Date(0) }, 'transaction.items[0].providerData.timestamp'],
          [cyclic, 'transaction.items[0].providerData.self'],
          [{ value: 42n }, 'transaction.items[0].providerData.value'],
          [{ bytes: new Uint8Array([3, 7]) }, 'transaction.items[0].providerData.bytes'],
          [{ values: new Uint16Array([300]) }, 'transaction.items[0].providerData.values'],
        ];
        for (const [providerData, field] of cases) {
          const item = { ...user('unsupported'), providerData } as AgentInputItem;
          await expect(
            s.applyHistoryTransaction(appendItems('op-unsupported', [item])),
          ).rejects.toMatchObject({ code: 'SESSION_VALIDATION', field });
        }
        await expect(s.applyHistoryTransaction(appendItems('op-sparse', new Array(1)))).rejects.toMatchObject(
          { code: 'SESSION_VALIDATION', field: 'transaction.items[0]' },
        );
        expect(await s.getItems()).toEqual([user('start')]);
        // None of the refusals recorded the operation id.
        await s.applyHistoryTransaction(appendItems('op-unsupported', [user('ok')]));
        expect(await s.getItems()).toEqual([user('start'), user('ok')]);
      });

      it('rejects non-enumerable metadata, and the operation id stays usable', async () => {
        const { s } = await session('tx-hidden', [user('start')]);
        const item = user('unsupported');
        Object.defineProperty(item, 'providerData', { enumerable: false, value: { hidden: true } });
        await expect(s.applyHistoryTransaction(appendItems('op-hidden', [item]))).rejects.toMatchObject({
          code: 'SESSION_VALIDATION',
          field: 'transaction.items[0].providerData',
        });
        await s.applyHistoryTransaction(appendItems('op-hidden', [user('retry')]));
        expect(await s.getItems()).toEqual([user('start'), user('retry')]);
      });

      it('rejects unexpected transaction fields before writing', async () => {
        const { s } = await session('tx-fields', [user('start')]);
        const extra = { attempt: 1 };
        await expect(
          s.applyHistoryTransaction({
            operationId: 'op-fields',
            transaction: { type: 'append_items', items: [user('x')], metadata: extra } as never,
          }),
        ).rejects.toMatchObject({ code: 'SESSION_VALIDATION', field: 'transaction' });
        await expect(
          s.applyHistoryTransaction({
            operationId: 'op-fields-2',
            transaction: {
              type: 'replace_suffix',
              expectedSuffix: [user('start')],
              replacement: [],
              metadata: extra,
            } as never,
          }),
        ).rejects.toMatchObject({ code: 'SESSION_VALIDATION', field: 'transaction' });
        await s.applyHistoryTransaction(appendItems('op-fields', [user('retry')]));
        expect(await s.getItems()).toEqual([user('start'), user('retry')]);
      });

      it('does not put transaction content in error messages', async () => {
        const { s } = await session('tx-redact');
        const item = {
          ...user('api-key-secret-in-text'),
          providerData: { secret: Symbol('api-key-secret') },
        };
        const error = await s
          .applyHistoryTransaction(appendItems('op-secret', [item as never]))
          .catch((e: unknown) => e as Error);
        expect(error).toMatchObject({ code: 'SESSION_VALIDATION' });
        expect((error as Error).message).not.toContain('api-key-secret');
        expect(await s.getItems()).toEqual([]);
      });

      it('treats null-prototype objects as plain ones, for retries and suffixes', async () => {
        const { s } = await session('tx-proto');
        const appended = {
          ...user('canonical'),
          providerData: Object.assign(Object.create(null), { source: 'provider' }),
        };
        await s.applyHistoryTransaction(appendItems('op-c1', [appended]));
        const [roundTripped] = await s.getItems();
        await s.applyHistoryTransaction(appendItems('op-c1', [roundTripped as AgentInputItem]));
        await s.applyHistoryTransaction({
          operationId: 'op-c2',
          transaction: {
            type: 'replace_suffix',
            expectedSuffix: [appended],
            replacement: [user('replaced')],
          },
        });
        expect(await s.getItems()).toEqual([user('replaced')]);
      });

      it('accepts a Proxy of a plain item array (it is JSON)', async () => {
        const { s } = await session('tx-proxy');
        const items = new Proxy([user('proxied')], {});
        await s.applyHistoryTransaction(appendItems('op-proxy', items));
        expect(await s.getItems()).toEqual([user('proxied')]);
      });

      it('reads the transaction envelope once, and does not leak a throwing getter', async () => {
        const { s } = await session('tx-once');
        let reads = 0;
        const args = { transaction: { type: 'append_items' as const, items: [user('once')] } } as Parameters<
          OpenAIAgentsSession['applyHistoryTransaction']
        >[0];
        Object.defineProperty(args, 'operationId', {
          enumerable: true,
          get: () => (++reads === 1 ? 'op-read-once' : 'changed'),
        });
        await s.applyHistoryTransaction(args);
        expect(reads).toBe(1);
        reads = 0;
        await s.applyHistoryTransaction(args);
        expect(reads).toBe(1);
        expect(await s.getItems()).toEqual([user('once')]);
        const throwing = {} as typeof args;
        Object.defineProperty(throwing, 'operationId', {
          get: () => {
            throw new Error('api-key-secret');
          },
        });
        const error = await s.applyHistoryTransaction(throwing).catch((e: unknown) => e as Error);
        expect(error).toMatchObject({ code: 'SESSION_VALIDATION', field: 'args' });
        expect((error as Error).message).not.toContain('api-key-secret');
      });

      it('never hands item contents to the logger', async () => {
        const lines: unknown[] = [];
        const record = (message: string, context?: Record<string, unknown>) => lines.push([message, context]);
        const logger: Logger = { debug: record, info: record, warn: record, error: record };
        const store = await open();
        const s = new OpenAIAgentsSession({ store, sessionId: freshId('log'), logger });
        const secret = 'SECRET_SESSION_VALUE_123';
        await s.addItems([user(secret)]);
        await s.getItems();
        await s.applyHistoryTransaction(appendItems('op-log', [user(`${secret}-2`)]));
        expect(await s.popItem()).toEqual(user(`${secret}-2`));
        await s.clearSession();
        expect(lines.length).toBeGreaterThan(0);
        expect(JSON.stringify(lines)).not.toContain(secret);
      });
    });

    describe('the adapter', () => {
      it('generates a UUID session id when none is given, and validates a given one', async () => {
        const store = await open();
        const s = new OpenAIAgentsSession({ store });
        expect(await s.getSessionId()).toMatch(/^[0-9a-f-]{36}$/);
        expect(() => new OpenAIAgentsSession({ store, sessionId: '' })).toThrow(
          expect.objectContaining({ code: 'SESSION_VALIDATION', field: 'sessionId' }),
        );
        expect(() => new OpenAIAgentsSession({ store: {} as SessionStore })).toThrow(
          expect.objectContaining({ code: 'SESSION_VALIDATION', field: 'store' }),
        );
        expect(() => new OpenAIAgentsSession({ store, ttlSeconds: -1 })).toThrow(
          expect.objectContaining({ code: 'SESSION_VALIDATION', field: 'ttlSeconds' }),
        );
      });

      it('continues one conversation on a second instance over the same store', async () => {
        const store = await open();
        const id = freshId('shared');
        const first = new OpenAIAgentsSession({ store, sessionId: id });
        const second = new OpenAIAgentsSession({ store, sessionId: id });
        await first.addItems([user('hi'), assistant('hello')]);
        await second.addItems([user('again')]);
        expect(await first.getItems()).toEqual([user('hi'), assistant('hello'), user('again')]);
        expect(await second.popItem()).toEqual(user('again'));
        expect(await first.getItems(1)).toEqual([assistant('hello')]);
      });

      it('popItem returns undefined for an absent session; clearSession keeps the envelope', async () => {
        const store = await open();
        const id = freshId('envelope');
        const s = new OpenAIAgentsSession({ store, sessionId: id });
        expect(await s.popItem()).toBeUndefined();
        await store.set(id, { userId: 'u1', metadata: { plan: 'pro' } });
        await s.addItems([user('a'), user('b')]);
        await s.clearSession();
        expect(await s.getItems()).toEqual([]);
        expect(await store.get(id)).toMatchObject({ userId: 'u1', metadata: { plan: 'pro' } });
      });

      it('surfaces store errors as they are', async () => {
        const store = await open({ maxItems: 2 });
        const s = new OpenAIAgentsSession({ store, sessionId: freshId('errors') });
        await expect(s.addItems([user('1'), user('2'), user('3')])).rejects.toMatchObject({
          name: 'SessionValidationError',
          code: 'SESSION_VALIDATION',
          field: 'maxItems',
        });
        await expect(s.getItems(-1)).rejects.toMatchObject({ code: 'SESSION_VALIDATION', field: 'limit' });
        await store.close();
        await expect(s.getItems()).rejects.toMatchObject({
          name: 'SessionStoreClosedError',
          code: 'STORE_CLOSED',
        });
      });

      it('never returns a tool output without its call when a limit cuts the call', async () => {
        const { s } = await session('orphan', [
          user('q'),
          call('c1'),
          call('c2'),
          result('c1'),
          result('c2'),
          assistant('a'),
        ]);
        expect(await s.getItems(4)).toEqual([call('c2'), result('c2'), assistant('a')]);
        expect(await s.getItems(3)).toEqual([assistant('a')]);
        expect(await s.getItems(5)).toEqual([
          call('c1'),
          call('c2'),
          result('c1'),
          result('c2'),
          assistant('a'),
        ]);
        expect(await s.getItems()).toHaveLength(6);
      });

      it('never returns a tool output whose call the store trimmed (itemsOverflow: trimOldest)', async () => {
        const { s } = await session('trimmed', [], { maxItems: 3, itemsOverflow: 'trimOldest' });
        await s.addItems([user('q'), call('c1'), result('c1'), assistant('a')]);
        // The store keeps the newest 3 items: [call, result, answer]; one more append cuts the call.
        expect(await s.getItems()).toEqual([call('c1'), result('c1'), assistant('a')]);
        await s.addItems([user('next')]);
        expect(await s.getItems()).toEqual([assistant('a'), user('next')]);
      });

      it('replaceHistoryWithCompaction replaces the whole log at once', async () => {
        const { s } = await session('compaction', [user('a'), assistant('b'), user('c')]);
        const compacted = [{ type: 'compaction', encrypted_content: 'opaque' } as AgentInputItem, user('c')];
        await s.replaceHistoryWithCompaction(compacted);
        expect(await s.getItems()).toEqual(compacted);
      });

      it('a history rewrite retries its compare-and-swap when another writer appended meanwhile', async () => {
        const store = await open();
        const id = freshId('rewrite-race');
        const other = new OpenAIAgentsSession({ store, sessionId: id });
        let raced = false;
        // The first replaceItems finds a log that grew after the rewrite read it.
        const racing = beforeEachReplace(store, async () => {
          if (!raced) {
            raced = true;
            await other.addItems([user('meanwhile')]);
          }
        });
        const s = new OpenAIAgentsSession({ store: racing, sessionId: id });
        await s.addItems([user('start'), call('c1', '{"v":1}')]);
        const replacement = call('c1', '{"v":2}');
        await s.applyHistoryMutations({
          mutations: [{ type: 'replace_function_call', callId: 'c1', replacement }],
        });
        expect(raced).toBe(true);
        expect(await s.getItems()).toEqual([user('start'), replacement, user('meanwhile')]);
      });

      it('a rewrite that keeps conflicting throws the conflict after maxRewriteAttempts', async () => {
        const store = await open();
        const id = freshId('rewrite-give-up');
        const other = new OpenAIAgentsSession({ store, sessionId: id });
        let attempts = 0;
        const racing = beforeEachReplace(store, async () => {
          attempts += 1;
          await other.addItems([user(`meanwhile ${attempts}`)]);
        });
        const s = new OpenAIAgentsSession({ store: racing, sessionId: id, maxRewriteAttempts: 3 });
        await s.addItems([call('c1')]);
        await expect(
          s.applyHistoryMutations({
            mutations: [{ type: 'replace_function_call', callId: 'c1', replacement: call('c1', '{"v":2}') }],
          }),
        ).rejects.toMatchObject({ code: 'SESSION_CONFLICT' });
        expect(attempts).toBe(3);
        expect((await s.getItems())[0]).toEqual(call('c1'));
      });

      it('routes each run to its own store session with storeIdFor (run-context awareness)', async () => {
        const store = await open();
        const id = freshId('tenant');
        const s = new OpenAIAgentsSession<{ tenant: string }>({
          store,
          sessionId: id,
          storeIdFor: (sessionId, ctx) => (ctx ? `${ctx.context.tenant}:${sessionId}` : sessionId),
        });
        const agent = new Agent<{ tenant: string }>({ name: 'support', model: new StandInModel() });
        await run(agent, 'from acme', { session: s, context: { tenant: 'acme' } });
        await run(agent, 'from globex', { session: s, context: { tenant: 'globex' } });
        await run(agent, 'acme again', { session: s, context: { tenant: 'acme' } });
        const acme = await store.getItems(`acme:${id}`);
        expect(acme.filter((item) => item.role === 'user').map((item) => item.content)).toEqual([
          'from acme',
          'acme again',
        ]);
        expect(await store.getItems(`globex:${id}`)).toHaveLength(2);
        expect(await s.getItems(undefined, new RunContext({ tenant: 'globex' }))).toHaveLength(2);
        expect(await s.getItems()).toEqual([]);
      });

      it('run() with a stand-in model continues the conversation on a second session instance', async () => {
        const store = await open();
        const id = freshId('run');
        const model = new StandInModel();
        const agent = new Agent({ name: 'support', instructions: 'Be brief.', model });
        const first = await run(agent, 'my order is late', {
          session: new OpenAIAgentsSession({ store, sessionId: id }),
        });
        expect(first.finalOutput).toBe('reply 1 to my order is late');
        const second = await run(agent, 'any news?', {
          session: new OpenAIAgentsSession({ store, sessionId: id }),
        });
        expect(second.finalOutput).toBe('reply 2 to any news?');
        // The second model call saw the first turn, read from the store.
        expect(model.inputs[1]).toEqual([
          expect.objectContaining({ role: 'user', content: 'my order is late' }),
          expect.objectContaining({
            role: 'assistant',
            content: [expect.objectContaining({ text: 'reply 1 to my order is late' })],
          }),
          expect.objectContaining({ role: 'user', content: 'any news?' }),
        ]);
        expect(await store.getItems(id)).toHaveLength(4);
      });

      it('run() with a tool stores the call and its output, and a limited read keeps them paired', async () => {
        const store = await open();
        const id = freshId('run-tool');
        const lookup = tool({
          name: 'lookup',
          description: 'Order status',
          parameters: z.object({ q: z.string() }),
          execute: async ({ q }) => `status of ${q}: shipped`,
        });
        const agent = new Agent({
          name: 'support',
          model: new StandInModel({ toolFirst: true, name: 'tool' }),
          tools: [lookup],
        });
        const s = new OpenAIAgentsSession({ store, sessionId: id });
        const res = await run(agent, 'where is my order?', { session: s });
        expect(res.finalOutput).toBe('reply 1 to where is my order?');
        const items = await s.getItems();
        expect(items.map((item) => ('type' in item ? item.type : 'message'))).toEqual([
          'message',
          'function_call',
          'function_call_result',
          'message',
        ]);
        expect(await s.getItems(2)).toEqual([items[3]]);
        expect(await s.getItems(3)).toEqual(items.slice(1));
      });
    });
  });
}
