// meta.k8s.io/v1 Table responses for `kubectl get` (Accept: application/json;as=Table;v=v1;g=meta.k8s.io).
import type { KObject } from '../contract.js';
import { defaultPrinter } from './printers.js';
import type { ResourceInfo } from './resources.js';

export const wantsTable = (accept: string | undefined): boolean => !!accept && /as=Table/.test(accept);

function rowObject(obj: KObject, includeObject: string | null): unknown {
  if (includeObject === 'None') return undefined;
  if (includeObject === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

export function toTable(
  info: ResourceInfo,
  objs: KObject[],
  opts: { nowMs: number; includeObject: string | null; resourceVersion?: string; continueToken?: string },
): Record<string, unknown> {
  const printer = info.table ?? defaultPrinter;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {
      ...(opts.resourceVersion ? { resourceVersion: opts.resourceVersion } : {}),
      ...(opts.continueToken ? { continue: opts.continueToken } : {}),
    },
    columnDefinitions: printer.columns.map((c) => ({ format: '', description: '', priority: 0, ...c })),
    rows: objs.map((o) => {
      const object = rowObject(o, opts.includeObject);
      return { cells: printer.cells(o, opts.nowMs), ...(object ? { object } : {}) };
    }),
  };
}
