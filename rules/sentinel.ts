import type { Rule } from '../lib/rules/model';
import badClientIp from './sentinel_bad_client_ip';
import emptyUserAgent from './sentinel_empty_user_agent';
import multipleErrorsSource from './sentinel_multiple_errors_source';
import multipleUserAgents from './sentinel_multiple_user_agents';
import unexpectedCountry from './sentinel_unexpected_country';
import unexpectedPost from './sentinel_unexpected_post';
import unexpectedRequest from './sentinel_unexpected_request';
import unexpectedUrl from './sentinel_unexpected_url';
import wafThreatAllowed from './sentinel_waf_threat_allowed';
import xssProbing from './sentinel_xss_probing';

/**
 * Ports of Microsoft Sentinel's Cloudflare solution analytic rules (docs/rules-sentinel.md), one file each, in the
 * order of Sentinel's file names. All off by default, as Sentinel ships them (templates a team turns on): enable
 * them by id with CFLOGS_RULES_ENABLE (the stack's rulesEnable).
 */
export const SENTINEL_RULES: readonly Rule[] = Object.freeze([
  badClientIp,
  emptyUserAgent,
  multipleErrorsSource,
  multipleUserAgents,
  unexpectedCountry,
  unexpectedPost,
  unexpectedRequest,
  unexpectedUrl,
  wafThreatAllowed,
  xssProbing,
]);
