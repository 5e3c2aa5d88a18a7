import { eventColumns, LakeColumn } from '../lake/format';
import type { LogSchema } from '../schema/model';

/**
 * A log type's Iceberg table: its columns (the lake's Parquet columns) and its partition, by the event time's hour or
 * day.
 *
 * Why two granularities: a partition is the smallest unit a compaction can merge into one file, and every query
 * opens at least one file per partition it touches. Datasets with a row per request, query, packet or flow grow with
 * traffic: at 100 requests a second an http_requests hour is about 60 MB of Parquet (bench/README.md, "Iceberg"), so
 * an hour's partition compacts into files of a useful size and a query for the last hour reads one hour. Datasets
 * with a row per administrative action, login, finding, device check or alert stay at hundreds to a few thousand rows
 * a day whatever the traffic: hour partitions would leave up to 24 files of a few KB a day that no compaction can
 * merge, so they are partitioned by day. A custom schema's table is partitioned by hour.
 */
export type PartitionTransform = 'hour' | 'day';

/** Tables whose rows record actions, sessions, findings or states rather than traffic: one partition a day. */
const DAY_PARTITIONED: ReadonlySet<string> = new Set([
  'cloudflare_accessrequest',
  'cloudflare_accountabuse',
  'cloudflare_audit',
  'cloudflare_auditv2',
  'cloudflare_bisouseraction',
  'cloudflare_casbfinding',
  'cloudflare_deviceposture',
  'cloudflare_dexapplicationtest',
  'cloudflare_dexdevicestate',
  'cloudflare_dlpforensiccopy',
  'cloudflare_emailsecurityalert',
  'cloudflare_emailsecuritypostdelivery',
  'cloudflare_ipsec',
  'cloudflare_magicbgp',
  'cloudflare_magicids',
  'cloudflare_mcpportal',
  'cloudflare_pageshield',
  'cloudflare_sinkholehttp',
  'cloudflare_ssh',
  'cloudflare_warpconfigchange',
  'cloudflare_warptogglechange',
]);

export function partitionTransform(table: string): PartitionTransform {
  return DAY_PARTITIONED.has(table) ? 'day' : 'hour';
}

export interface IcebergTableSpec {
  table: string;
  columns: readonly LakeColumn[];
  transform: PartitionTransform;
}

/** The Iceberg table of each log type: one per table name (log types sharing a table share its columns). */
export function icebergTableSpecs(schemas: readonly LogSchema[]): IcebergTableSpec[] {
  const byTable = new Map<string, IcebergTableSpec>();
  for (const s of schemas) {
    if (!byTable.has(s.table)) byTable.set(s.table, { table: s.table, columns: eventColumns(s, 'parquet'), transform: partitionTransform(s.table) });
  }
  return [...byTable.values()];
}
