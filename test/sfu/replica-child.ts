/**
 * One replica of the service in a process of its own (a SIGKILL is a real crash): env as JSON in argv[2]; prints its
 * URL. The face engine is a steady-face double, so a flow stays in its blink challenge until it times out or ends.
 */
import { startApp } from '../support/app';
import { FakeFace, FakeMatcher } from '../support/flow-fakes';

void startApp(JSON.parse(process.argv[2]) as Record<string, string>, { face: new FakeFace(), matcher: new FakeMatcher() }).then((service) =>
  process.stdout.write(`${JSON.stringify({ listening: service.baseUrl })}\n`),
);
