/** spectrum_events: connect and disconnect events (and failed connections) of TCP/UDP apps proxied by Spectrum. */
import { Clock, defineDataset, eventOffset, LineOptions, Rng, TimeFormatter, Weighted } from './core';
import { buildClients, buildUserAgents, Client, ipv4 } from './net';

export const spectrumEvents = defineDataset({
  dataset: 'spectrum_events',
  fields: [
    'Application', 'ClientAsn', 'ClientBytes', 'ClientCountry', 'ClientIP', 'ClientMatchedIpFirewall', 'ClientPort',
    'ClientProto', 'ClientTcpRtt', 'ClientTlsCipher', 'ClientTlsClientHelloServerName', 'ClientTlsProtocol',
    'ClientTlsStatus', 'ColoCode', 'ConnectTimestamp', 'DisconnectTimestamp', 'Event', 'IpFirewall', 'OriginBytes',
    'OriginIP', 'OriginPort', 'OriginProto', 'OriginTcpRtt', 'OriginTlsCipher', 'OriginTlsFingerprint',
    'OriginTlsMode', 'OriginTlsProtocol', 'OriginTlsStatus', 'ProxyProtocol', 'Status', 'Timestamp',
  ],
  lineBytesEstimate: 900,
  lines: spectrumLines,
});

interface SpectrumApp {
  id: string;
  port: number;
  proto: string;
  sni: string;
  tls: boolean;
  originIP: string;
  originPort: number;
  originTls: string;
  fingerprint: string;
  proxyProtocol: string;
  ipFirewall: boolean;
}

interface Connection {
  app: SpectrumApp;
  client: Client;
  port: number;
  connectOff: number;
  rtt: number;
  originRtt: number;
}

function* spectrumLines(opts: LineOptions, rng: Rng, clock: Clock): Generator<string> {
  const uas = buildUserAgents(rng);
  const clients = buildClients(rng, uas);
  const apps: SpectrumApp[] = [
    { id: rng.hex(32), port: 22, proto: 'tcp', sni: '', tls: false, originIP: ipv4(rng), originPort: 22, originTls: 'off', fingerprint: '', proxyProtocol: 'off', ipFirewall: true },
    { id: rng.hex(32), port: 3389, proto: 'tcp', sni: 'rdp.example.com', tls: true, originIP: ipv4(rng), originPort: 3389, originTls: 'off', fingerprint: '', proxyProtocol: 'v1', ipFirewall: false },
    { id: rng.hex(32), port: 25565, proto: 'tcp', sni: '', tls: false, originIP: ipv4(rng), originPort: 25565, originTls: 'off', fingerprint: '', proxyProtocol: 'v2', ipFirewall: true },
    { id: rng.hex(32), port: 8883, proto: 'tcp', sni: 'mqtt.example.net', tls: true, originIP: ipv4(rng), originPort: 8883, originTls: 'strict', fingerprint: rng.hex(64), proxyProtocol: 'off', ipFirewall: false },
    { id: rng.hex(32), port: 27015, proto: 'udp', sni: '', tls: false, originIP: ipv4(rng), originPort: 27015, originTls: 'off', fingerprint: '', proxyProtocol: 'simple', ipFirewall: false },
  ];
  const appPick = new Weighted(apps.map((a, i) => [a, [30, 10, 25, 25, 10][i]!] as const));
  const fTs = new TimeFormatter(opts.timestampFormat);
  const fConn = new TimeFormatter(opts.timestampFormat);
  const fDisc = new TimeFormatter(opts.timestampFormat);
  const epoch = fDisc.json(0, 0);
  // Epoch 0 in the job's format: 0 for the integer formats, "1970-01-01T00:00:00Z" (at the format's precision) else.
  const open: Connection[] = [];
  const n = opts.lines;

  for (let i = 0; i < n; i++) {
    const off = eventOffset(rng, clock, i, n, 2e8);
    const x = rng.float();
    let event: string;
    let conn: Connection;
    let status = 0;
    let clientBytes = 0;
    let originBytes = 0;
    // Close an open connection (one opened before this instant: event times jitter), or open a new one.
    const k = open.length > 0 && (x < 0.47 || open.length >= 500) ? rng.int(0, open.length - 1) : -1;
    if (k >= 0 && open[k]!.connectOff < off) {
      conn = open[k]!;
      open[k] = open[open.length - 1]!;
      open.pop();
      event = 'disconnect';
      const y = rng.float();
      status = y < 0.9 ? 200 : y < 0.94 ? 444 : y < 0.97 ? 497 : y < 0.99 ? 445 : 498;
      clientBytes = rng.int(200, 5000000);
      originBytes = rng.int(200, 50000000);
    } else {
      const app = appPick.pick(rng);
      conn = {
        app,
        client: clients[rng.zipf(clients.length)]!,
        port: rng.int(1024, 65535),
        connectOff: off,
        rtt: rng.int(1, 250) * 1000000 + rng.int(0, 999999),
        originRtt: rng.int(1, 40) * 1000000 + rng.int(0, 999999),
      };
      if (x < 0.95) {
        event = 'connect';
        open.push(conn);
      } else {
        const e = rng.float();
        event = e < 0.4 ? 'originError' : e < 0.7 && app.tls ? 'tlsError' : e < 0.85 && app.ipFirewall ? 'clientFiltered' : 'originError';
        status = event === 'tlsError' ? 443 : event === 'clientFiltered' ? 403 : rng.pick([444, 445, 447, 448]);
      }
    }
    const app = conn.app;
    const sec = clock.sec(off);
    const ns = clock.ns(off);
    const isConnect = event === 'connect';
    const tsText = fTs.json(sec, ns);
    const connectText = conn.connectOff === off ? tsText : fConn.json(clock.sec(conn.connectOff), clock.ns(conn.connectOff));
    const tlsOk = app.tls && event !== 'tlsError';
    const filtered = event === 'clientFiltered';

    let line = '{"Application":"' + app.id + '","ClientAsn":' + conn.client.asn + ',"ClientBytes":' + clientBytes;
    line += ',"ClientCountry":"' + conn.client.geo.country + '","ClientIP":"' + conn.client.ip;
    line += '","ClientMatchedIpFirewall":"' + (!app.ipFirewall ? 'UNKNOWN' : filtered ? 'BLOCK_COUNTRY' : 'ALLOW') + '","ClientPort":' + conn.port;
    line += ',"ClientProto":"' + app.proto + '","ClientTcpRtt":' + (app.proto === 'tcp' ? conn.rtt : 0);
    line += ',"ClientTlsCipher":"' + (tlsOk ? 'ECDHE-ECDSA-AES128-GCM-SHA256' : 'UNK') + '","ClientTlsClientHelloServerName":"' + (app.tls ? app.sni : '');
    line += '","ClientTlsProtocol":"' + (tlsOk ? 'TLSv1.3' : app.tls ? 'unknown' : 'none') + '","ClientTlsStatus":"' + (tlsOk ? 'OK' : app.tls ? 'HANDSHAKE_FAILED' : 'UNKNOWN');
    line += '","ColoCode":"' + conn.client.geo.colo + '","ConnectTimestamp":' + connectText;
    line += ',"DisconnectTimestamp":' + (isConnect ? epoch : tsText) + ',"Event":"' + event + '","IpFirewall":' + app.ipFirewall;
    line += ',"OriginBytes":' + originBytes + ',"OriginIP":"' + (filtered ? '' : app.originIP) + '","OriginPort":' + (filtered ? 0 : app.originPort);
    line += ',"OriginProto":"' + app.proto + '","OriginTcpRtt":' + (app.proto === 'tcp' && !filtered ? conn.originRtt : 0);
    const originTls = app.originTls !== 'off' && !filtered;
    line += ',"OriginTlsCipher":"' + (originTls ? 'ECDHE-RSA-AES256-GCM-SHA384' : 'UNK') + '","OriginTlsFingerprint":"' + (originTls ? app.fingerprint : '');
    line += '","OriginTlsMode":"' + app.originTls + '","OriginTlsProtocol":"' + (originTls ? 'TLSv1.2' : 'unknown');
    line += '","OriginTlsStatus":"' + (originTls ? 'OK' : 'UNKNOWN') + '","ProxyProtocol":"' + app.proxyProtocol + '","Status":' + status;
    line += ',"Timestamp":' + tsText + '}';
    yield line;
  }
}
