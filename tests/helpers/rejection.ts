// Awaiting a call that must fail, to assert on the error itself (its class, code, message and cause).

/** The error `promise` rejects with; throws when it resolves instead, so the test fails. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}
