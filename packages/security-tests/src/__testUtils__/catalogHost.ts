import { Entity } from '@backstage/catalog-model';
import http from 'node:http';
import { AddressInfo } from 'node:net';

/*
 * Where an attacker's `catalog-info.yaml` lives: a file served over HTTP,
 * as from a Git host. The catalog only accepts `url` locations through its
 * API (`file` is refused unless the adopter's backend allows it), so the
 * suite registers entities the way any signed-in user can.
 */

export interface CatalogHost {
  /** Origin, e.g. `http://127.0.0.1:41234`, for `backend.reading.allow`. */
  origin: string;
  host: string;
  /** Publishes `entities` as one YAML document stream; returns its URL. */
  publish(name: string, entities: Entity[]): string;
  close(): Promise<void>;
}

export async function startCatalogHost(): Promise<CatalogHost> {
  const files = new Map<string, string>();
  const server = http.createServer((req, res) => {
    const body = files.get(req.url ?? '');
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/yaml' }).end(body);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const host = `127.0.0.1:${port}`;
  const origin = `http://${host}`;
  return {
    origin,
    host,
    publish(name, entities) {
      const path = `/${name}/catalog-info.yaml`;
      // JSON is YAML: one document per entity.
      files.set(path, entities.map(e => JSON.stringify(e)).join('\n---\n'));
      return `${origin}${path}`;
    },
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
