import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { AlertMetrics } from '../alerts/alerting';
import { alertMetrics, outcomeMetrics } from '../s3/metrics';
import type { ObjectMetrics } from '../s3/object';

/** The functions' logger and EMF metrics, so that entry points need no AWS package of their own. */
export { Logger } from '@aws-lambda-powertools/logger';
export { Metrics } from '@aws-lambda-powertools/metrics';

/** The Powertools binding: one EMF record per metric, dimensioned by log type (and reason / filter). */
export function powertoolsMetrics(metrics: Metrics): ObjectMetrics {
  return outcomeMetrics((name, value, dimensions) => {
    const m = metrics.singleMetric();
    for (const [k, v] of Object.entries(dimensions ?? {})) m.addDimension(k, v);
    m.addMetric(name, name.startsWith('Bytes') ? 'Bytes' : 'Count', value);
  });
}

/** alertMetrics through Powertools, as powertoolsMetrics does for objects. */
export function powertoolsAlertMetrics(metrics: Metrics): AlertMetrics {
  return alertMetrics((name, value, dimensions) => {
    const m = metrics.singleMetric();
    for (const [k, v] of Object.entries(dimensions ?? {})) m.addDimension(k, v);
    m.addMetric(name, 'Count', value);
  });
}
