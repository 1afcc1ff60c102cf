// resetForTests forgets the process's engine load, so that one test's
// operations do not make the next one's gathering wait.
import { resetForTests } from "../../provider/impl/index";
import { engineLoad } from "../../provider/impl/scheduler";

afterEach(() => resetForTests());

it("resetForTests forgets the engine load: active, high-water mark and ramp", () => {
  for (let i = 0; i < 12; i++) engineLoad.enter();
  engineLoad.leave();
  expect([engineLoad.active, engineLoad.highWater, engineLoad.slackAbove(10)]).toEqual([11, 12, true]);
  resetForTests();
  expect([engineLoad.active, engineLoad.highWater, engineLoad.ramping, engineLoad.slackAbove(0)]).toEqual([
    0,
    0,
    false,
    false,
  ]);
});
