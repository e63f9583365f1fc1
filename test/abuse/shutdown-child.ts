/** The real service in a process of its own for the shutdown test: env as JSON in argv[2]; prints its URL. */
import { startApp } from '../support/app';

void startApp(JSON.parse(process.argv[2]) as Record<string, string>).then((service) => {
  process.stdout.write(`${JSON.stringify({ listening: service.baseUrl })}\n`);
});
