'use strict';
/**
 * The CloudWatch dashboard: what the lake receives (rows per minute per log type), what it refuses (rejects by
 * reason, unknown and invalid fields, objects failed or salvaged), how far ingestion lags, the dead-letter queue,
 * the functions' errors, throttles and duration, and the detections' alerts, matches, publish failures and rule errors.
 *
 * The widgets are a data description (WIDGETS); dashboardResource() lays them out and turns the description into
 * the DashboardBody string. References to the stack's resources are written as intrinsics (ref / getAtt from
 * ./cfn) where they occur and become `${Name}` / `${Name.Attr}` placeholders of one Fn::Sub, so the body is plain
 * JSON.stringify output with nothing spliced into it by hand.
 */
const { ref, getAtt } = require('./cfn');

/**
 * The namespace functions/s3-ingest.ts gives Powertools' Metrics (a literal there, the same in every stage; the
 * package test holds the two together).
 */
const METRICS_NAMESPACE = 'cflogs';

/**
 * Powertools adds a `service` dimension (the function's serviceName) to every metric it emits, and a SEARCH schema
 * matches only metrics with exactly its dimensions, so each schema below names `service` as well as the
 * dimensions lib/s3/metrics.ts adds (the package test checks this against what Powertools really emits).
 */
const SERVICE = 'service';

/** `SEARCH('{cflogs,service,logType} MetricName="RowsWritten"', 'Sum', 60)`: one series per dimension value. */
function search(metric, dimensions, stat, period) {
  const schema = [METRICS_NAMESPACE, SERVICE, ...dimensions].join(',');
  return `SEARCH('{${schema}} MetricName="${metric}"', '${stat}', ${period})`;
}

const S3_FUNCTION = 'S3IngestLambdaFunction'; // osls's logical id for functions.s3Ingest
const HTTP_FUNCTION = 'HttpIngestLambdaFunction'; // and for functions.httpIngest
const lambda = (metric, fn, options) => ['AWS/Lambda', metric, 'FunctionName', ref(fn), options];
const sqs = (metric, queue, options) => ['AWS/SQS', metric, 'QueueName', getAtt(queue, 'QueueName'), options];

/** The same graphs for each function: invocations against failures, and duration against the timeout. */
function functionWidgets(name, fn, timeoutSeconds, extra = []) {
  return [
    {
      title: `${name}: invocations, errors, throttles (per minute)`,
      metrics: [
        lambda('Invocations', fn, { stat: 'Sum', label: 'invocations' }),
        lambda('Errors', fn, { stat: 'Sum', label: 'errors' }),
        lambda('Throttles', fn, { stat: 'Sum', label: 'throttles' }),
        ...extra,
      ],
      period: 60,
    },
    {
      title: `${name}: duration (ms)`,
      metrics: ['p50', 'p99', 'Maximum'].map((stat) => lambda('Duration', fn, { stat, label: stat.toLowerCase() })),
      period: 60,
      // A maximum near the timeout is a batch about to be cut off and redone.
      ...(timeoutSeconds > 0 ? { annotations: { horizontal: [{ label: 'timeout', value: timeoutSeconds * 1000 }] } } : {}),
    },
  ];
}

/**
 * The widgets, row by row (each row's widgets share its 24 columns). A widget is a metric graph unless it has
 * `markdown`; `metrics` are SEARCH expressions (strings) or metric arrays as CloudWatch writes them.
 */
function widgetRows(s, timeouts) {
  return [
    [
      {
        markdown:
          `## cflogs ${s.stage}\n` +
          'Built by `infra/stack/dashboard.js` at deploy time: changes made here are lost on the next deploy. ' +
          `Lake metrics (namespace \`${METRICS_NAMESPACE}\`) come from s3Ingest, the detections' (last row) from both functions; ` +
          'otherwise httpIngest shows in its Lambda graphs only.',
        height: 2,
      },
    ],
    [
      { title: 'Rows written per minute, by log type', metrics: [search('RowsWritten', ['logType'], 'Sum', 60)], period: 60 },
      {
        title: 'Rejects per minute, by log type and reason',
        metrics: [search('RejectsByReason', ['logType', 'reason'], 'Sum', 60)],
        period: 60,
      },
    ],
    [
      {
        // A count of names per object: the largest says how far a job has drifted from its schema.
        title: 'Unknown field names per object (max), by log type',
        metrics: [search('UnknownFieldNames', ['logType'], 'Maximum', 300)],
        period: 300,
      },
      {
        title: 'Rows with an invalid field (kept in p_invalid_fields), by log type and field',
        metrics: [search('InvalidFields', ['logType', 'field'], 'Sum', 300)],
        period: 300,
      },
    ],
    [
      {
        // No metric carries event time to processing time (the object summary has no event-time figure): the age
        // of the oldest queued object is the lag the stack can see, from S3's notification to s3Ingest.
        title: 'Ingest lag: age of the oldest queued object (s)',
        metrics: [sqs('ApproximateAgeOfOldestMessage', 'IngestQueue', { stat: 'Maximum', label: 'oldest message age' })],
        period: 60,
      },
      {
        title: 'Dead-letter queue: objects waiting for a redrive',
        metrics: [sqs('ApproximateNumberOfMessagesVisible', 'IngestDeadLetterQueue', { stat: 'Maximum', label: 'messages' })],
        period: 60,
      },
      {
        title: 'Objects failed (retried) and salvaged',
        metrics: [search('ObjectsFailed', [], 'Sum', 300), search('ObjectsSalvaged', ['logType'], 'Sum', 300)],
        period: 300,
      },
    ],
    [
      ...functionWidgets('s3Ingest', S3_FUNCTION, timeouts.s3Ingest),
      ...functionWidgets('httpIngest', HTTP_FUNCTION, timeouts.httpIngest, [
        // Logpush retries a 5xx a few times, then drops the batch.
        lambda('Url5xxCount', HTTP_FUNCTION, { stat: 'Sum', label: 'URL 5xx' }),
      ]),
    ],
    [
      {
        // The detections, from both functions (lib/s3/metrics.ts through Powertools), per rule id.
        title: 'Alerts fired per minute, by rule',
        metrics: [search('AlertsFired', ['ruleId'], 'Sum', 60)],
        period: 60,
      },
      {
        // Rows each rule matched: what moves a window towards its threshold.
        title: 'Rule matches per minute, by rule',
        metrics: [search('RuleMatches', ['ruleId'], 'Sum', 60)],
        period: 60,
      },
      {
        // Alerts SNS did not take (alarmed: infra/detections.yml), and rules whose code threw, per rule.
        title: 'Alert publish failures, and rule errors by rule',
        metrics: [search('AlertPublishFailures', [], 'Sum', 300), search('RuleErrors', ['ruleId'], 'Sum', 300)],
        period: 300,
      },
    ],
  ];
}

const GRID = 24;
const GRAPH_HEIGHT = 6;

/** The dashboard body as data: widgets placed on the grid, metric expressions numbered, the region set. */
function dashboardBody(s, timeouts = {}) {
  const widgets = [];
  let y = 0;
  for (const row of widgetRows(s, timeouts)) {
    const width = GRID / row.length;
    if (!Number.isInteger(width)) throw new Error(`a dashboard row of ${row.length} widgets does not divide ${GRID} columns`);
    let height = 0;
    row.forEach((w, i) => {
      const h = w.height ?? GRAPH_HEIGHT;
      height = Math.max(height, h);
      const place = { x: i * width, y, width, height: h };
      if (w.markdown !== undefined) {
        widgets.push({ type: 'text', ...place, properties: { markdown: w.markdown } });
        return;
      }
      const metrics = w.metrics.map((m, j) => (typeof m === 'string' ? [{ expression: m, id: `e${j}` }] : m));
      widgets.push({
        type: 'metric',
        ...place,
        properties: {
          title: w.title,
          view: 'timeSeries',
          stacked: false,
          region: ref('AWS::Region'),
          period: w.period,
          metrics,
          ...(w.annotations ? { annotations: w.annotations } : {}),
        },
      });
    });
    y += height;
  }
  return { start: '-PT6H', periodOverride: 'inherit', widgets };
}

/**
 * A value with intrinsics in it -> one Fn::Sub over its JSON text. Literal `${` is escaped as `${!` (Fn::Sub's
 * escape), so only the placeholders made here are substituted.
 */
function toSub(value) {
  const walk = (v) => {
    if (typeof v === 'string') return v.replace(/\$\{/g, '${!');
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      if ('Ref' in v) return `\${${v.Ref}}`;
      if ('Fn::GetAtt' in v) return `\${${v['Fn::GetAtt'].join('.')}}`;
      const other = Object.keys(v).find((k) => k.startsWith('Fn::'));
      if (other) throw new Error(`dashboard: ${other} cannot be written as an Fn::Sub placeholder`);
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return { 'Fn::Sub': JSON.stringify(walk(value)) };
}

/**
 * The AWS::CloudWatch::Dashboard resource, by logical id. Dashboards are global to the account, not per region,
 * so the name carries the region as well as the stack's name (service and stage).
 */
function dashboardResources(s, timeouts) {
  return {
    Dashboard: {
      Type: 'AWS::CloudWatch::Dashboard',
      Properties: {
        DashboardName: { 'Fn::Sub': '${AWS::StackName}-${AWS::Region}' },
        DashboardBody: toSub(dashboardBody(s, timeouts)),
      },
    },
  };
}

/** The dashboard's name among the stack's outputs (`osls info --verbose`). */
function dashboardOutputs() {
  return { DashboardName: { Description: 'CloudWatch dashboard (console: CloudWatch > Dashboards)', Value: ref('Dashboard') } };
}

module.exports = { METRICS_NAMESPACE, dashboardBody, dashboardResources, dashboardOutputs, toSub };
