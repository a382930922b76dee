/** Most schedule verbs take one schedule name and print the answer (Convoy's own JSON: schedules are an addition): this builds them. */
import type { RouteName, RouteRequest, RouteResponse } from '@convoy/plugin-server/client';
import type { CommandModule } from '../command-module.js';

type NameRoute = 'inspectSchedule' | 'deleteSchedule' | 'pauseSchedule' | 'resumeSchedule';

export function oneScheduleCommand<K extends NameRoute & RouteName>(
  verb: string,
  describe: string,
  route: K,
  table: (r: RouteResponse<K>, name: string) => string,
): CommandModule<{ name: string }> {
  return {
    command: `${verb} <name>`,
    describe,
    builder: (c) => c.positional('name', { type: 'string', demandOption: true, describe: 'the schedule' }),
    async handler(args, { client, out }) {
      const result = await client.call(route, { name: args.name } as RouteRequest<K>);
      out.result({ go: result ?? { [`${verb}d`]: args.name }, table: () => table(result, args.name) });
    },
  };
}
