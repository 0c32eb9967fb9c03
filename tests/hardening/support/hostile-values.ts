/**
 * Hostile values the bridge and CLI specs share, each with what it tries: shell metacharacters,
 * line breaks that would end a config line or a command line, path escapes, lengths past the
 * limits, the wrong kind of SSH key.
 */

/** A valid ed25519 public key (for variations that break it). */
export const GOOD_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@host';

export const PRIVATE_KEY_MATERIAL = 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW';

export const PRIVATE_KEY = [
  '-----BEGIN OPENSSH PRIVATE KEY-----',
  PRIVATE_KEY_MATERIAL,
  '-----END OPENSSH PRIVATE KEY-----',
].join('\n');

/** Image references podman would refuse, or a shell would read as more than a reference. */
export const HOSTILE_REFS: [string, string][] = [
  ['a ; command', 'quay.io/x/os:1;touch /tmp/pwned'],
  ['a $(…) substitution', 'quay.io/x/$(touch /tmp/pwned):1'],
  ['backticks', 'quay.io/x/`id`:1'],
  ['a newline', 'quay.io/x/os:1\nquay.io/y/z:2'],
  ['a .. path', '../../etc/passwd'],
  ['upper case', 'quay.io/Me/OS:1'],
  ['300 characters', `quay.io/x/${'a'.repeat(290)}`],
  ['empty', ''],
];

/** SSH public keys that are not one usable public key. */
export const HOSTILE_KEYS: [string, string][] = [
  ['a DSA key (wrong type)', 'ssh-dss AAAAB3NzaC1kc3MAAACBAP me@host'],
  ['a truncated key', GOOD_KEY.slice(0, 40)],
  ['a private key pasted', PRIVATE_KEY],
  ['two keys on two lines', `${GOOD_KEY}\n${GOOD_KEY}`],
  ['a key with options', `command="/bin/sh" ${GOOD_KEY}`],
];

/** Kernel arguments that would end the command line, break the TOML or split into two. */
export const HOSTILE_KERNEL_ARGS: [string, string][] = [
  ['a newline', 'quiet\ninit=/bin/sh'],
  ['an unclosed "', 'console="ttyS0'],
  ['a " that would end the TOML string', 'x"\n[customizations.installer]'],
  ['a single quote', "it's"],
  ['an unquoted space', 'a b'],
  ['backticks', 'init=`id`'],
];

/** Mount points the builder refuses or that escape where filesystems may go. */
export const HOSTILE_MOUNTPOINTS: [string, string][] = [
  ['/etc', '/etc'],
  ['/var itself', '/var'],
  ['a ../ escape', '/var/../etc'],
  ['relative', 'var/data'],
  ['the /var/run symlink', '/var/run/data'],
];

/** Sizes that are not a positive size with a unit. */
export const HOSTILE_SIZES: [string, string][] = [
  ['-1', '-1'],
  ['10 XB (no such unit)', '10 XB'],
  ['huge (past 2^53 bytes)', '99999999999 TiB'],
  ['0 GiB', '0 GiB'],
  ['no unit', '20'],
];

/** User names useradd would refuse, or that are the image's own system accounts. */
export const HOSTILE_USER_NAMES: [string, string][] = [
  ['upper case', 'Admin'],
  ['a ; command', 'me;id'],
  ['300 characters', 'a'.repeat(300)],
  ['a system account', 'bin'],
  ['a newline', 'me\nroot'],
];

/** Passwords with what nobody can type at a login prompt (quotes alone are fine, and accepted). */
export const HOSTILE_PASSWORDS: [string, string][] = [
  ['a newline', 'pass\nword'],
  ['a NUL', 'pass\0word'],
  ['an escape character', 'pass\x1bword'],
  ['2000 characters', 'p'.repeat(2000)],
  ['an incomplete crypt hash', '$6$salt$short'],
];
