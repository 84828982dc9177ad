/**
 * route: which hub upstream serves this request, decided from its FSPIOP resource before any other
 * work (an unroutable request costs no body read and no signature).
 */
import { SidecarError } from '../../shared/errors.js';
import type { Stage } from '../../shared/pipeline.js';
import type { OutboundExchange } from '../exchange.js';
import { resourceLabel } from '../../metrics/labels.js';
import { parseTarget, resolveRoute } from '../routes.js';

export const routeStage: Stage<OutboundExchange> = {
  name: 'route',
  run(x) {
    const target = parseTarget(x.req.url);
    if ('refused' in target) throw new SidecarError('NO_ROUTE', target.refused, `request target '${String(x.req.url).slice(0, 200)}'`);
    x.target = target;
    x.resource = resourceLabel(target.resource);
    const route = resolveRoute(x.gen.runtime.routes, target.resource);
    if (!route) throw new SidecarError('NO_ROUTE', 'no_route', `no outbound.hub.routes.${target.resource ?? '(no FSPIOP resource in the path)'} and no outbound.hub.default`);
    x.route = route;
  },
};
