// Preloaded into the Node.js processes of a CLI run (NODE_OPTIONS="--require
// <this file>") to simulate a machine whose clock is off: `Date.now()` and
// `new Date()` run SGREL_CLOCK_SKEW_S seconds ahead (negative: behind). The
// Tencent Cloud SDK signs requests with that clock, so the API answers
// AuthFailure.SignatureExpire, as it would for a badly set system clock.
"use strict";
const skewMs = Number(process.env.SGREL_CLOCK_SKEW_S || "0") * 1000;
if (skewMs !== 0) {
  const RealDate = Date;
  globalThis.Date = new Proxy(RealDate, {
    construct(target, args) {
      return args.length === 0 ? new target(target.now() + skewMs) : new target(...args);
    },
    apply(target) {
      return new target(target.now() + skewMs).toString();
    },
    get(target, prop, receiver) {
      if (prop === "now") return () => target.now() + skewMs;
      return Reflect.get(target, prop, receiver);
    },
  });
}
