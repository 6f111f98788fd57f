// The certificates a real control plane needs, made with the openssl CLI (Node can make keys but
// not X.509 certificates). Layout follows kubeadm's: one cluster CA signs the API server's serving
// certificate and every client's, a separate front-proxy CA signs the aggregator's client (the
// metrics API needs it), and one key pair signs and checks ServiceAccount tokens.
// Files that already exist are kept: a restarted cluster keeps its etcd data, and the tokens in it
// stay valid only with the same signing key.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface Pki {
  dir: string;
  ca: CertFiles;
  frontProxyCa: CertFiles;
  apiserver: CertFiles;
  frontProxyClient: CertFiles;
  admin: CertFiles;
  controllerManager: CertFiles;
  scheduler: CertFiles;
  kwok: CertFiles;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

export interface CertFiles {
  cert: string;
  key: string;
}

interface Leaf {
  name: string;
  subject: string;
  signer: 'ca' | 'front-proxy-ca';
  usage: 'server' | 'client';
  altNames?: string[];
}

/** The in-cluster name and first service IP of the `kubernetes` Service, for the serving cert. */
const APISERVER_ALT_NAMES = [
  'DNS:localhost',
  'DNS:kubernetes',
  'DNS:kubernetes.default',
  'DNS:kubernetes.default.svc',
  'DNS:kubernetes.default.svc.cluster.local',
  'IP:127.0.0.1',
  'IP:10.96.0.1',
];

const LEAVES: readonly Leaf[] = [
  {
    name: 'apiserver',
    subject: '/CN=kube-apiserver',
    signer: 'ca',
    usage: 'server',
    altNames: APISERVER_ALT_NAMES,
  },
  // RBAC: system:masters is the admin group; the components use their built-in ClusterRoles.
  { name: 'admin', subject: '/O=system:masters/CN=kubernetes-admin', signer: 'ca', usage: 'client' },
  {
    name: 'controller-manager',
    subject: '/CN=system:kube-controller-manager',
    signer: 'ca',
    usage: 'client',
  },
  { name: 'scheduler', subject: '/CN=system:kube-scheduler', signer: 'ca', usage: 'client' },
  {
    name: 'kwok',
    subject: '/CN=kwok',
    signer: 'ca',
    usage: 'server',
    altNames: ['DNS:localhost', 'IP:127.0.0.1'],
  },
  {
    name: 'front-proxy-client',
    subject: '/CN=front-proxy-client',
    signer: 'front-proxy-ca',
    usage: 'client',
  },
];

export async function ensurePki(dir: string): Promise<Pki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const files = (name: string): CertFiles => ({
    cert: path.join(dir, `${name}.crt`),
    key: path.join(dir, `${name}.key`),
  });
  for (const ca of ['ca', 'front-proxy-ca']) await ensureCa(files(ca), `/CN=kubeskippy-${ca}`);
  // Independent leaves: sign them side by side (openssl is a process each).
  await Promise.all(LEAVES.map((leaf) => ensureLeaf(dir, leaf, files(leaf.name), files(leaf.signer))));
  const saKey = path.join(dir, 'sa.key');
  const saPub = path.join(dir, 'sa.pub');
  if (!(await exists(saKey)) || !(await exists(saPub))) {
    await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', saKey]);
    await openssl(['pkey', '-in', saKey, '-pubout', '-out', saPub]);
  }
  return {
    dir,
    ca: files('ca'),
    frontProxyCa: files('front-proxy-ca'),
    apiserver: files('apiserver'),
    frontProxyClient: files('front-proxy-client'),
    admin: files('admin'),
    controllerManager: files('controller-manager'),
    scheduler: files('scheduler'),
    kwok: files('kwok'),
    serviceAccountKey: saKey,
    serviceAccountPub: saPub,
  };
}

/** `openssl req` flags for a new, unencrypted P-256 key (every key here is one). */
const NEW_P256_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

async function ensureCa(f: CertFiles, subject: string): Promise<void> {
  if ((await exists(f.cert)) && (await exists(f.key))) return;
  await openssl([
    'req',
    '-x509',
    ...NEW_P256_KEY,
    '-keyout',
    f.key,
    '-out',
    f.cert,
    '-days',
    '3650',
    '-subj',
    subject,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  ]);
}

async function ensureLeaf(dir: string, leaf: Leaf, f: CertFiles, signer: CertFiles): Promise<void> {
  if ((await exists(f.cert)) && (await exists(f.key))) return;
  const csr = path.join(dir, `${leaf.name}.csr`);
  const ext = path.join(dir, `${leaf.name}.ext`);
  await openssl(['req', '-new', ...NEW_P256_KEY, '-keyout', f.key, '-out', csr, '-subj', leaf.subject]);
  const lines = [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${leaf.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
  ];
  if (leaf.altNames) lines.push(`subjectAltName=${leaf.altNames.join(',')}`);
  await writeFile(ext, `${lines.join('\n')}\n`);
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    signer.cert,
    '-CAkey',
    signer.key,
    // A random serial per certificate instead of -CAcreateserial: leaves are signed in parallel and
    // would race on the shared serial file.
    '-set_serial',
    `0x${randomBytes(8).toString('hex')}`,
    '-out',
    f.cert,
    '-days',
    '825',
    '-extfile',
    ext,
  ]);
}

async function openssl(args: string[]): Promise<void> {
  try {
    await execFileAsync('openssl', args, { timeout: 30_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error(
        'openssl is not installed; it makes the cluster certificates (apt-get install openssl)',
      );
    }
    throw new Error(
      `openssl ${args[0]} failed: ${(e.stderr ?? e.message).trim().split('\n').slice(-3).join(' ')}`,
    );
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
