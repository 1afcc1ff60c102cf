// Steps of a reliability story (up, drift, refresh, destroy...) that later
// tests build on. Each test awaits the steps it needs: run in order, every step
// runs once; run alone (`-t`), a test runs the steps before it itself.

/** `f` run at most once: every call returns the first call's promise. */
export function step<T>(f: () => Promise<T>): () => Promise<T> {
  let run: Promise<T> | undefined;
  return () => (run ??= f());
}
