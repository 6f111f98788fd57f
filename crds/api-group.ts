// The API group and version of KubeSkippy's CRDs. A leaf module (no imports, no zod), so workflow
// code may import it: the group/version of the objects it names is written once, here.
export const GROUP = 'kubeskippy.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
/** The group and version as the client's CustomObjectsApi takes them. */
export const GROUP_VERSION = { group: GROUP, version: VERSION } as const;
