/**
 * Deliberate differences from Panther's expected results, each with its reason. docs/compatibility.md explains
 * them for users; the conformance check accepts exactly these and nothing else.
 */
export interface KnownDifference {
  /** Panther schema test name (the `name:` of the YAML document). */
  test: string;
  /** A field name, or an indicator column. */
  field: string;
  why: string;
}

export const KNOWN_DIFFERENCES: KnownDifference[] = [
  {
    test: 'spectrum',
    field: 'Timestamp',
    why:
      "Panther's expected Timestamp column drops the nanoseconds that its own p_event_time keeps " +
      '(.194526741); cflogs keeps every nanosecond in both.',
  },
  {
    test: 'spectrum',
    field: 'p_any_domain_names',
    why: 'cflogs also indexes the TLS SNI (ClientTlsClientHelloServerName) as a domain name.',
  },
];

/**
 * Refusals of corpus lines that a person has looked at and agrees with, per data stream and reason, each with the
 * lines and the why. docs/compatibility.md lists every one ("What cflogs refuses"); the conformance check fails on a
 * reject not listed here, on a listed line that is no longer refused that way, and on an entry the page lacks.
 */
export interface ExpectedReject {
  /** The data stream: Elastic's folder name (`firewall_event`, `dns`), else the file's name (see streamOf). */
  stream: string;
  reason: string;
  /** 1-based line numbers in the stream's file. */
  lines: number[];
  /**
   * `sample`: the line is not what Cloudflare sends; refusing it is right and stays so.
   * `drift`: a plausible record with a wrong-typed optional field: rejected today, kept (the value in
   * p_invalid_fields) once drift is tolerated, when the entry must go.
   */
  kind: 'sample' | 'drift';
  why: string;
}

export const EXPECTED_REJECTS: ExpectedReject[] = [
  {
    stream: 'firewall_event',
    reason: 'missing_required',
    lines: [4],
    kind: 'sample',
    why: 'it is an http_requests record (Edge*Timestamp, no Datetime) placed in the firewall fixture',
  },
];

/**
 * The Logpush dataset of each corpus file, by the folder its producer gave it (Elastic's data stream), or by the
 * corpus's top folder; as the corpora's PROVENANCE.md tables say.
 */
export const FOLDER_DATASETS: Record<string, string> = {
  // ../shared/corpus
  http_request: 'http_requests',
  firewall_event: 'firewall_events',
  spectrum_event: 'spectrum_events',
  audit: 'audit_logs',
  'otel-collector-contrib': 'http_requests',
  // ../shared/corpus-datasets (Elastic's data stream -> Cloudflare dataset)
  access_request: 'access_requests',
  casb: 'casb_findings',
  device_posture: 'device_posture_results',
  dex_application_tests: 'dex_application_tests',
  dex_device_state_events: 'dex_device_state_events',
  dns: 'dns_logs',
  dns_firewall: 'dns_firewall_logs',
  email_security_alerts: 'email_security_alerts',
  gateway_dns: 'gateway_dns',
  gateway_http: 'gateway_http',
  gateway_network: 'gateway_network',
  magic_ids: 'magic_ids_detections',
  nel_report: 'nel_reports',
  network_analytics: 'network_analytics_logs',
  network_session: 'zero_trust_network_sessions',
  page_shield_events: 'page_shield_events',
  sinkhole_http: 'sinkhole_http_logs',
  warp_config_changes: 'warp_config_changes',
  warp_toggle_changes: 'warp_toggle_changes',
  workers_trace: 'workers_trace_events',
};
