import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { mintToken } from './auth.ts';

export const TOKEN_HELP = `weft-server token — mint a capability token for a document (prints the JWT)

Usage: weft-server token (--doc <name> | --prefix <prefix>) [options]

Options:
  --doc <name>               the one document the token opens
  --prefix <prefix>          ...or every document whose name starts with this
  --access <read|write>      what the token allows            (default write)
  --expires <span>           lifetime: seconds or 15m, 2h, 7d  (default 1h)
  --subject <who>            who it is for (shows in the server's logs)
  --auth-secret-file <file>  HS256 secret, as the server has it (env WEFT_AUTH_SECRET holds the secret itself)
  --private-key <file>       ...or a PEM Ed25519 / P-256 private key whose public key the server has
  -h, --help                 show this help

Example:
  WEFT_AUTH_SECRET=... weft-server token --doc team/board-1 --access read --expires 15m
`;

/** `weft-server token ...`: mints a token with the same keys the server verifies, for scripts and testing. */
export async function runTokenCommand(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const { values } = parseArgs({
    args,
    options: {
      doc: { type: 'string' },
      prefix: { type: 'string' },
      access: { type: 'string', default: 'write' },
      expires: { type: 'string', default: '1h' },
      subject: { type: 'string' },
      'auth-secret-file': { type: 'string' },
      'private-key': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return TOKEN_HELP;
  if (values.access !== 'read' && values.access !== 'write') {
    throw new Error(`--access must be read or write, not "${values.access}"`);
  }
  const secretFile = values['auth-secret-file'];
  const secret = secretFile === undefined ? env.WEFT_AUTH_SECRET : readFileSync(secretFile, 'utf8').trim();
  const keyFile = values['private-key'];
  if (!secret && keyFile === undefined) {
    throw new Error('a token needs a key: --auth-secret-file, WEFT_AUTH_SECRET or --private-key');
  }
  const expiresIn = /^\d+$/.test(values.expires) ? Number(values.expires) : values.expires;
  const token = await mintToken({
    ...(keyFile === undefined ? { secret } : { privateKey: readFileSync(keyFile, 'utf8') }),
    ...(values.doc === undefined ? {} : { doc: values.doc }),
    ...(values.prefix === undefined ? {} : { prefix: values.prefix }),
    access: values.access,
    expiresIn,
    ...(values.subject === undefined ? {} : { subject: values.subject }),
  });
  return `${token}\n`;
}
