// kubectl-style output for internal (v1-shaped) objects: tables (`-o wide` adds columns), `name`,
// `json` and `yaml`. `get -w` prints the header once and then one row per change.
import YAML from 'yaml';
import type { ResourceName } from '@coxswain/objects';
import { str, tableCells, tableColumns } from '@coxswain/objects';
import type { TableColumn } from '@coxswain/objects';
import { formatTable, KUBECTL_TABLE } from './tab-writer';

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name';

export function parseOutputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === '') return 'table';
  if (['wide', 'json', 'yaml', 'name'].includes(value)) return value as OutputFormat;
  throw new Error(`unknown output format "${value}": use one of wide, json, yaml, name`);
}

/** A column's name as kubectl prints it in a header: `Up-to-date` → `UP-TO-DATE`. */
const headerName = (c: TableColumn) => c.name.toUpperCase();

/** withNamespace (`get -A`): kubectl's NAMESPACE column first. */
export function tableRows(resource: ResourceName, objects: readonly unknown[], wide: boolean, now: number, withNamespace = false): string[][] {
  const shown = tableColumns(resource).map((c) => wide || c.priority === 0);
  return objects.map((o) => {
    const row = tableCells(resource, o, now)
      .filter((_, i) => shown[i])
      .map(String);
    return withNamespace ? [str(o, 'metadata.namespace'), ...row] : row;
  });
}

export function tableHeader(resource: ResourceName, wide: boolean, withNamespace = false): string[] {
  const header = tableColumns(resource)
    .filter((c) => wide || c.priority === 0)
    .map(headerName);
  return withNamespace ? ['NAMESPACE', ...header] : header;
}

/** `pod/redis-master-2`: kubectl's `-o name` and apply's result lines. */
export function objectRef(kind: string, objectName: string): string {
  return `${kind.toLowerCase()}/${objectName}`;
}

export function printObjects(resource: ResourceName, kind: string, objects: readonly unknown[], format: OutputFormat, now: number, withNamespace = false): string {
  switch (format) {
    case 'json':
      return JSON.stringify(objects.length === 1 ? objects[0] : { kind: 'List', apiVersion: 'v1', items: objects }, null, 2) + '\n';
    case 'yaml':
      return YAML.stringify(objects.length === 1 ? objects[0] : { kind: 'List', apiVersion: 'v1', items: objects });
    case 'name':
      return objects.map((o) => objectRef(kind, str(o, 'metadata.name')) + '\n').join('');
    default: {
      if (objects.length === 0) return '';
      const wide = format === 'wide';
      return formatTable([tableHeader(resource, wide, withNamespace), ...tableRows(resource, objects, wide, now, withNamespace)], KUBECTL_TABLE);
    }
  }
}
