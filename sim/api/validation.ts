// Validation of built-in kinds: a small but real subset of k8s.io/kubernetes/pkg/apis/*/validation,
// with the same field paths and message shapes so clients that surface `details.causes` read well.
import type { KObject } from '../contract.js';
import type { StatusCause } from './errors.js';
import { requirementsOf, selectorMatches, type LabelSelector } from './selectors.js';
import { deepEqual } from './util.js';

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export const required = (field: string): StatusCause => ({
  reason: 'FieldValueRequired',
  message: 'Required value',
  field,
});
export const invalidValue = (field: string, value: unknown, why: string): StatusCause => ({
  reason: 'FieldValueInvalid',
  message: `Invalid value: ${JSON.stringify(value)}: ${why}`,
  field,
});

export function dns1123Subdomain(field: string, v: string): StatusCause[] {
  if (v.length <= 253 && SUBDOMAIN.test(v)) return [];
  return [
    invalidValue(
      field,
      v,
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ),
  ];
}

export function dns1123Label(field: string, v: string): StatusCause[] {
  if (v.length <= 63 && LABEL.test(v)) return [];
  return [
    invalidValue(
      field,
      v,
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ),
  ];
}

/** Checks shared by every kind: name format and label values. */
export function validateMeta(obj: KObject, nameRule: 'subdomain' | 'label' = 'subdomain'): StatusCause[] {
  const name = obj.metadata.name ?? '';
  const causes =
    nameRule === 'label' ? dns1123Label('metadata.name', name) : dns1123Subdomain('metadata.name', name);
  for (const [k, v] of Object.entries(obj.metadata.labels ?? {})) {
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) {
      causes.push(
        invalidValue(
          `metadata.labels`,
          v,
          `a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (key ${k})`,
        ),
      );
    }
  }
  return causes;
}

export function validatePodSpec(spec: Record<string, unknown> | undefined, path: string): StatusCause[] {
  const containers = spec?.containers as { name?: string; image?: string }[] | undefined;
  if (!Array.isArray(containers) || containers.length === 0) return [required(`${path}.containers`)];
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  containers.forEach((c, i) => {
    const at = `${path}.containers[${i}]`;
    if (!c.name) causes.push(required(`${at}.name`));
    else {
      causes.push(...dns1123Label(`${at}.name`, c.name));
      if (seen.has(c.name))
        causes.push({
          reason: 'FieldValueDuplicate',
          message: `Duplicate value: "${c.name}"`,
          field: `${at}.name`,
        });
      seen.add(c.name);
    }
    if (!c.image) causes.push(required(`${at}.image`));
  });
  return causes;
}

/** batch/v1 Job: a pod template whose restartPolicy a Job allows, and an immutable template. */
export function validateJob(obj: KObject, old: KObject | undefined): StatusCause[] {
  const causes = validateMeta(obj);
  const spec = obj.spec ?? {};
  const policy = spec.template?.spec?.restartPolicy;
  if (policy !== 'Never' && policy !== 'OnFailure') {
    causes.push({
      reason: policy === undefined ? 'FieldValueRequired' : 'FieldValueNotSupported',
      message: `Unsupported value: "${policy ?? ''}": supported values: "OnFailure", "Never"`,
      field: 'spec.template.spec.restartPolicy',
    });
  }
  if (old && !deepEqual(old.spec?.template, spec.template))
    causes.push(invalidValue('spec.template', spec.template, 'field is immutable'));
  causes.push(...validatePodSpec(spec.template?.spec, 'spec.template.spec'));
  return causes;
}

export function validatePod(obj: KObject): StatusCause[] {
  return [...validateMeta(obj), ...validatePodSpec(obj.spec, 'spec')];
}

/** Deployments, ReplicaSets and StatefulSets: selector required, matching the template, immutable. */
export function validateWorkload(obj: KObject, old: KObject | undefined): StatusCause[] {
  const causes = validateMeta(obj);
  const spec = obj.spec ?? {};
  const selector = spec.selector as LabelSelector | undefined;
  if (!selector) causes.push(required('spec.selector'));
  else {
    try {
      if (requirementsOf(selector).length === 0) {
        causes.push(invalidValue('spec.selector', selector, 'empty selector is invalid for deployment'));
      }
      const labels = spec.template?.metadata?.labels;
      if (!selectorMatches(selector, labels)) {
        causes.push(
          invalidValue(
            'spec.template.metadata.labels',
            labels ?? {},
            '`selector` does not match template `labels`',
          ),
        );
      }
    } catch (e) {
      causes.push(invalidValue('spec.selector', selector, (e as Error).message));
    }
    if (old && !deepEqual(old.spec?.selector, selector))
      causes.push(invalidValue('spec.selector', selector, 'field is immutable'));
  }
  if (spec.replicas !== undefined && (!Number.isInteger(spec.replicas) || spec.replicas < 0)) {
    causes.push(invalidValue('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
  }
  causes.push(...validatePodSpec(spec.template?.spec, 'spec.template.spec'));
  return causes;
}

export function validatePdb(obj: KObject): StatusCause[] {
  const causes = validateMeta(obj);
  if (obj.spec?.minAvailable !== undefined && obj.spec?.maxUnavailable !== undefined) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: 'Invalid value: minAvailable and maxUnavailable cannot be both set',
      field: 'spec',
    });
  }
  return causes;
}

/** coordination/v1 Lease (pkg/apis/coordination/validation): positive duration, no negative count. */
export function validateLease(obj: KObject): StatusCause[] {
  const causes = validateMeta(obj);
  const duration = obj.spec?.leaseDurationSeconds as unknown;
  if (typeof duration === 'number' && duration <= 0)
    causes.push(invalidValue('spec.leaseDurationSeconds', duration, 'must be greater than 0'));
  const transitions = obj.spec?.leaseTransitions as unknown;
  if (typeof transitions === 'number' && transitions < 0)
    causes.push(invalidValue('spec.leaseTransitions', transitions, 'must be greater than or equal to 0'));
  return causes;
}
