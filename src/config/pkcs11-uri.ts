/**
 * PKCS#11 URIs (RFC 7512) naming a signing key in a token, the form `p11tool --list-privkeys`,
 * `pkcs11-tool` users and OpenSSL's pkcs11 engine already know:
 *
 *   pkcs11:token=dfsp-jws;object=mydfsp-jws;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/secrets/hsm-pin
 *
 * Path attributes: `token` (label) or `slot-id`, optionally `serial` (a further check on the
 * token); `object` (CKA_LABEL) and/or `id` (CKA_ID, percent-encoded bytes); `type` must be
 * `private` when given. `manufacturer`, `model` and the `library-*`/`slot-*` attributes that
 * listing tools print are accepted and not used. Query attributes: `module-path` (required: the
 * vendor's module) and `pin-source` (required: a `file:` URI or absolute path of a file holding the
 * user PIN). `pin-value` is refused: a PIN in the config would be a secret in plain sight, and
 * OpenSSL's engine prints the whole URI to stderr. Parsed at validation (errors with the key path)
 * and again when compiling, which is where the PIN file is read.
 */

export interface Pkcs11Uri {
  readonly module: string;
  readonly tokenLabel: string | undefined;
  readonly slot: number | undefined;
  readonly serial: string | undefined;
  readonly keyLabel: string | undefined;
  /** CKA_ID as lower-case hex. */
  readonly keyId: string | undefined;
  readonly pinFile: string;
}

const IGNORED_PATH = new Set(['manufacturer', 'model', 'library-manufacturer', 'library-description', 'library-version', 'slot-description', 'slot-manufacturer']);

function decode(value: string, what: string): Buffer {
  // RFC 7512 §2.3: pchar plus percent-encoding; decode to bytes (an id is binary).
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (ch === '%') {
      const hex = value.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new Error(`${what}: bad percent-encoding '%${hex}'`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      for (const b of Buffer.from(ch, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes);
}

/** Parse a PKCS#11 URI; throws an Error whose message says what is wrong (never the PIN: there is none in it). */
export function parsePkcs11Uri(text: string): Pkcs11Uri {
  if (!text.startsWith('pkcs11:')) throw new Error("a PKCS#11 URI starts with 'pkcs11:' (RFC 7512)");
  const rest = text.slice('pkcs11:'.length);
  const q = rest.indexOf('?');
  const pathPart = q === -1 ? rest : rest.slice(0, q);
  const queryPart = q === -1 ? '' : rest.slice(q + 1);
  const path = new Map<string, string>();
  for (const attr of pathPart.split(';').filter((a) => a !== '')) {
    const eq = attr.indexOf('=');
    if (eq <= 0) throw new Error(`path attribute '${attr}' is not name=value`);
    const name = attr.slice(0, eq);
    if (path.has(name)) throw new Error(`path attribute '${name}' given twice`);
    path.set(name, attr.slice(eq + 1));
  }
  const query = new Map<string, string>();
  for (const attr of queryPart.split('&').filter((a) => a !== '')) {
    const eq = attr.indexOf('=');
    if (eq <= 0) throw new Error(`query attribute '${attr}' is not name=value`);
    const name = attr.slice(0, eq);
    if (query.has(name)) throw new Error(`query attribute '${name}' given twice`);
    query.set(name, attr.slice(eq + 1));
  }
  for (const name of path.keys()) {
    if (!['token', 'slot-id', 'serial', 'object', 'id', 'type'].includes(name) && !IGNORED_PATH.has(name)) throw new Error(`unknown path attribute '${name}'`);
  }
  for (const name of query.keys()) {
    if (name === 'pin-value') throw new Error('pin-value is refused: keep the PIN in a file and name it with pin-source=file:/path');
    if (name !== 'module-path' && name !== 'pin-source') throw new Error(`unsupported query attribute '${name}' (module-path and pin-source are)`);
  }
  const str = (name: string, map: Map<string, string>) => {
    const v = map.get(name);
    return v === undefined ? undefined : decode(v, name).toString('utf8');
  };
  const tokenLabel = str('token', path);
  const slotText = str('slot-id', path);
  if ((tokenLabel === undefined) === (slotText === undefined)) throw new Error('name the token with token=LABEL (preferred: slot ids can change) or slot-id=N, one of them');
  if (slotText !== undefined && !/^\d{1,10}$/.test(slotText)) throw new Error(`slot-id '${slotText}' is not a number`);
  const keyLabel = str('object', path);
  const idRaw = path.get('id');
  const keyId = idRaw === undefined ? undefined : decode(idRaw, 'id').toString('hex');
  if (keyLabel === undefined && (keyId === undefined || keyId === '')) throw new Error('name the key with object=LABEL and/or id=%xx...');
  const type = str('type', path);
  if (type !== undefined && type !== 'private') throw new Error(`type=${type}: a signing key is type=private`);
  const module = str('module-path', query);
  if (!module || !module.startsWith('/')) throw new Error("module-path=/absolute/path/to/the/vendor's/pkcs11.so is required");
  const pinSource = str('pin-source', query);
  if (!pinSource) throw new Error('pin-source=file:/path/to/pin-file is required (the user PIN, in a file)');
  const pinFile = pinSource.startsWith('file:') ? pinSource.slice('file:'.length).replace(/^\/\/(?=\/)/, '') : pinSource;
  if (!pinFile.startsWith('/')) throw new Error(`pin-source '${pinSource}' is not a file: URI or absolute path`);
  return { module, tokenLabel, slot: slotText === undefined ? undefined : Number(slotText), serial: str('serial', path), keyLabel, keyId: keyId === '' ? undefined : keyId, pinFile };
}

/** Build the URI for a key (what `pki jws-keys --pkcs11` prints for the config). */
export function formatPkcs11Uri(u: { module: string; tokenLabel: string; keyLabel: string; keyId?: string; pinFile: string }): string {
  const enc = (s: string) => s.replace(/[^A-Za-z0-9._~:@!$'()*+,-]/g, (ch) => [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''));
  const encPath = (s: string) => s.split('/').map(enc).join('/');
  const id = u.keyId ? `;id=${u.keyId.replace(/(..)/g, '%$1')}` : '';
  return `pkcs11:token=${enc(u.tokenLabel)};object=${enc(u.keyLabel)}${id};type=private?module-path=${encPath(u.module)}&pin-source=file:${encPath(u.pinFile)}`;
}
