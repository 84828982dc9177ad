/**
 * ENDPOINT_CONFIG: our egress addresses (the hub's allowlist for our calls) and our callback URL
 * (where the hub calls us) from the config. Every POST appends a row at MCM and the hub reads the
 * latest one (mcm-api.md §7.9), so we post only when the latest row differs from the config, not
 * on every cycle as PM4ML does.
 */
import { done, type Step } from '../step.js';

export const endpointsStep: Step = {
  name: 'endpoints',
  mcmKey: 'ENDPOINT_CONFIG',
  enabled: (c) => c.mcm.steps.endpoints,
  after: [],
  async run(ctx) {
    const e = ctx.config.mcm.endpoints;
    const wanted = e.egressAddresses.map((address) => ({ address, ports: [...e.egressPorts] }));
    const key = (list: Array<{ address: string; ports?: string[] | undefined }>) =>
      list.map((i) => `${i.address}|${[...(i.ports ?? [])].sort().join(',')}`).sort().join(';');
    const posted: string[] = [];
    const egress = await ctx.api.getEgress();
    if (!egress || key(egress.ipList) !== key(wanted)) {
      await ctx.api.postEgress(wanted);
      posted.push('egress addresses');
    }
    const ingress = await ctx.api.getIngress();
    if (!ingress || ingress.url !== e.callbackUrl) {
      await ctx.api.postIngress(e.callbackUrl!);
      posted.push('callback URL');
    }
    return done(posted.length > 0 ? `posted ${posted.join(' and ')}` : 'MCM holds our egress addresses and callback URL');
  },
};
