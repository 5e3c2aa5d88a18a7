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

/** Lines of the third-party corpus that a person agrees must be refused, with the reason code expected. */
export interface ExpectedReject {
  file: string;
  line: number;
  reason: string;
  why: string;
}

export const EXPECTED_REJECTS: ExpectedReject[] = [
  {
    file: 'elastic-integrations/firewall_event/test-pipeline-firewall-event.log',
    line: 4,
    reason: 'missing_required',
    why: 'it is an http_requests record (Edge*Timestamp, no Datetime) placed in the firewall fixture',
  },
];

/** How each corpus file maps to a log type: by the folder name its producer gave it. */
export const FOLDER_LOG_TYPES: Record<string, string> = {
  http_request: 'Cloudflare.HttpRequest',
  firewall_event: 'Cloudflare.Firewall',
  spectrum_event: 'Cloudflare.Spectrum',
  audit: 'Cloudflare.Audit',
  'otel-collector-contrib': 'Cloudflare.HttpRequest',
};
