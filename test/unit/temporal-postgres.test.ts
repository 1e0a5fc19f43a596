// The topology mode's Temporal server config (src/dev/temporal-postgres.ts), read back as YAML
// (with the parser @fastify/swagger brings): the stores, ports and cluster the server was given.
import { parse } from 'yaml';
import { renderServerConfig } from '../../src/dev/temporal-postgres';

const ports = { frontend: 7001, history: 7002, matching: 7003, worker: 7004, frontendMembership: 7011, historyMembership: 7012, matchingMembership: 7013, workerMembership: 7014, metrics: 7020 };
const config = parse(renderServerConfig({ postgres: { port: 5999, user: 'postgres' }, databases: { default: 'temporal', visibility: 'temporal_visibility' }, ports, historyShards: 4 }));

describe('renderServerConfig', () => {
  it('keeps persistence and visibility in the given Postgres databases with the postgres12 plugin', () => {
    const p = config.persistence;
    expect(p.numHistoryShards).toBe(4);
    expect(p.datastores[p.defaultStore].sql).toMatchObject({ pluginName: 'postgres12', databaseName: 'temporal', connectAddr: '127.0.0.1:5999', user: 'postgres', password: '' });
    expect(p.datastores[p.visibilityStore].sql).toMatchObject({ pluginName: 'postgres12', databaseName: 'temporal_visibility', connectAddr: '127.0.0.1:5999' });
  });

  it('gives every service its own gRPC and membership port on 127.0.0.1, and points the cluster at the frontend', () => {
    expect(config.services).toEqual({
      frontend: { rpc: { grpcPort: 7001, membershipPort: 7011, bindOnLocalHost: true } },
      history: { rpc: { grpcPort: 7002, membershipPort: 7012, bindOnLocalHost: true } },
      matching: { rpc: { grpcPort: 7003, membershipPort: 7013, bindOnLocalHost: true } },
      worker: { rpc: { grpcPort: 7004, membershipPort: 7014, bindOnLocalHost: true } },
    });
    const cluster = config.clusterMetadata;
    expect(cluster.clusterInformation[cluster.currentClusterName]).toMatchObject({ enabled: true, rpcAddress: '127.0.0.1:7001' });
    expect(cluster.masterClusterName).toBe(cluster.currentClusterName);
    expect(config.global.metrics.prometheus.listenAddress).toBe('127.0.0.1:7020');
    expect(config.dcRedirectionPolicy).toEqual({ policy: 'noop' });
  });
});
