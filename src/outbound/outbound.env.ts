import { bool, list } from '../config/env';

export const outboundEnv = {
  OUTBOUND_ALLOW_PRIVATE: bool(false, 'Allow references/callbacks to private and loopback addresses (cloud metadata stays refused)'),
  OUTBOUND_ALLOWLIST: list(
    [],
    'Hosts, IPs or CIDRs always allowed (any port), or host:port / [v6]:port / cidr:port for that port only, e.g. controller.default.svc.cluster.local,10.0.0.0/8,localhost:5001',
  ),
};
