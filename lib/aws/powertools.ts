import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { AlertMetrics } from '../alerts/alerting';
import { alertMetrics, MetricSink, outcomeMetrics } from '../s3/metrics';
import type { ObjectMetrics } from '../s3/object';

/** The functions' logger and EMF metrics, so that entry points need no AWS package of their own. */
export { Logger } from '@aws-lambda-powertools/logger';
export { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * Records as EMF through Powertools: each record's metrics under its dimensions (and the service's), one log line
 * per record. Published at once, so nothing waits for the end of the invocation.
 */
function emf(metrics: Metrics): MetricSink {
  return (records) => {
    for (const r of records) {
      if (r.dimensions) metrics.addDimensions(r.dimensions);
      for (const [name, value] of r.metrics) metrics.addMetric(name, name.startsWith('Bytes') ? 'Bytes' : 'Count', value);
      metrics.publishStoredMetrics();
    }
  };
}

/** The Powertools binding: one EMF record per dimension set of an object (log type; and reason, filter, field, rule). */
export function powertoolsMetrics(metrics: Metrics): ObjectMetrics {
  return outcomeMetrics(emf(metrics));
}

/** alertMetrics through Powertools, as powertoolsMetrics does for objects. */
export function powertoolsAlertMetrics(metrics: Metrics): AlertMetrics {
  return alertMetrics(emf(metrics));
}
