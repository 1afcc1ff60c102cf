// Installs the user project (test/e2e/harness.ts) once, before the e2e
// workers start: two workers installing it at once would share one folder.
import { userProject } from "./harness";

export default function globalSetup(): void {
  userProject();
}
