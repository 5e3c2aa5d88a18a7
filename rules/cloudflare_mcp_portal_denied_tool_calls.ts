import { defineRule } from '../lib/rules/model';
import { regex } from '../lib/regex';
import type { MCPPortalEvent } from '../lib/rules/events';
import { lower } from './_helpers';

/**
 * Tool calls through a Cloudflare MCP server portal keep being refused for one user: a `tools/call` that did not
 * succeed with an error that says access was denied (denied, forbidden, unauthorized, not allowed, permission).
 * An AI agent driven by a prompt injection, or a person probing, tries tools the portal does not grant; an
 * ordinary client lists the tools it may use and calls those. Other failures (timeouts, server errors) do not
 * count.
 *
 * Threshold 10 per user within 10 minutes: a misconfigured client fails a couple of times and its user notices;
 * ten refusals in minutes is a loop or a probe.
 */
const DENIED = regex('denied|forbidden|unauthori[sz]ed|not allowed|not permitted|permission|access policy', 'i');
const who = (e: MCPPortalEvent): string => e.UserEmail || e.UserID || e.ClientIP || '<unknown user>';

export default defineRule<MCPPortalEvent>({
  id: 'Cloudflare.MCPPortal.DeniedToolCalls',
  displayName: 'Cloudflare MCP Portal Tool Calls Denied Repeatedly',
  logTypes: ['Cloudflare.MCPPortal'],
  severity: 'Medium',
  threshold: 10,
  dedupPeriodMinutes: 10,
  tags: ['Cloudflare', 'Zero Trust', 'MCP', 'AI', 'attack.discovery', 'attack.t1526', 'attack.privilege_escalation', 'attack.t1078'],
  description: 'Many MCP tool calls through a Cloudflare MCP portal refused for lack of access, for one user within 10 minutes',
  runbook: [
    '1. List the tools called (ToolCallName), servers (ServerURL, ServerID) and errors for the user (UserEmail) and client (ClientIP)',
    '2. Ask the user which agent or client made the calls and what it was asked to do; look for injected instructions in the content it processed',
    '3. If the calls were not theirs, revoke the user\'s sessions and tokens for the portal',
  ].join('\n'),
  reference: 'https://developers.cloudflare.com/logs/logpush/logpush-job/datasets/account/mcp_portal_logs/',
  summaryAttributes: ['UserEmail', 'ClientIP', 'ToolCallName', 'ServerURL', 'Error'],
  rule: (e) => lower(e.Method) === 'tools/call' && e.Success === false && typeof e.Error === 'string' && DENIED.test(e.Error),
  title: (e) => `Cloudflare MCP portal: repeated denied tool calls by [${who(e)}]`,
  dedup: who,
  alertContext: (e) => ({ UserEmail: e.UserEmail, UserID: e.UserID, ClientIP: e.ClientIP, ClientCountry: e.ClientCountry, PortalID: e.PortalID, ServerID: e.ServerID, ServerURL: e.ServerURL, ToolCallName: e.ToolCallName, Error: e.Error, SessionID: e.SessionID }),
  tests: [
    {
      name: 'a denied tool call counts towards its user',
      expected: true,
      dedup: 'grace@example.com',
      title: 'Cloudflare MCP portal: repeated denied tool calls by [grace@example.com]',
      log: {
        ClientCountry: 'us',
        ClientIP: '198.51.100.120',
        ColoCode: 'SJC',
        Datetime: '2026-11-01 10:00:00.000000000',
        Error: 'Access denied: tool not permitted for this user',
        Method: 'tools/call',
        PortalID: '5e4d3c2b-0000-4000-8000-000000001601',
        ServerID: '5e4d3c2b-0000-4000-8000-000000001602',
        ServerURL: 'https://mcp.example.com/sse',
        SessionID: '5e4d3c2b-0000-4000-8000-000000001603',
        Success: false,
        ToolCallName: 'delete_repository',
        UserEmail: 'grace@example.com',
        p_log_type: 'Cloudflare.MCPPortal',
        p_event_time: '2026-11-01 10:00:00.000000000',
      },
    },
    { name: 'a successful tool call does not count', expected: false, log: { Method: 'tools/call', Success: true, Error: '', UserEmail: 'grace@example.com' } },
    { name: 'a tool call that timed out does not count', expected: false, log: { Method: 'tools/call', Success: false, Error: 'upstream timeout after 30000 ms', UserEmail: 'grace@example.com' } },
    { name: 'a denied resource read does not count', expected: false, log: { Method: 'resources/read', Success: false, Error: 'forbidden', UserEmail: 'grace@example.com' } },
  ],
});
