/**
 * The day-2 actions as rpm-ostree takes them, and the reference a rebase goes to. A rebase is
 * `rpm-ostree rebase <transport>:<ref>`, the transport chosen from the reference and how the user
 * chose to verify it: `ostree-unverified-registry:REF`, `ostree-image-signed:docker://REF`, or
 * `ostree-remote-image:REMOTE:docker://REF`. Nothing is verified less than the user chose: with no
 * choice, a plain reference is refused (the field `signature` named), and a reference spelled with
 * its ostree transport must agree with the choice, if one was given.
 */

import type { Day2Action, SignatureChoice } from '../api/day2';
import { SIGNATURE_CHOICE } from '../api/day2';
import { imageReferenceSchema, ValidationError } from '../api/validation';
import { parseOstreeImageReference } from './rpm-ostree-status';

export const SIGNATURE_HELP =
  "choose how the image is verified: unverified (any image from the registry), signed (the host's containers signature policy), or remote:NAME (the keys of ostree remote NAME)";

function refuse(field: string, message: string): never {
  throw new ValidationError([{ field, message }]);
}

function registryImage(image: string): string {
  const checked = imageReferenceSchema.safeParse(image);
  if (!checked.success) refuse('image', checked.error.issues[0].message);
  return checked.data;
}

/**
 * The reference rpm-ostree rebases to: from `image` (`quay.io/me/os:2`, `docker://quay.io/me/os:2`,
 * or already an ostree reference) and the user's `signature` choice.
 */
export function rebaseReference(image: string, signature: string | undefined): string {
  if (signature !== undefined && !SIGNATURE_CHOICE.test(signature)) refuse('signature', SIGNATURE_HELP);
  const chosen = signature as SignatureChoice | undefined;
  const given = image.trim();
  if (given.startsWith('ostree-')) {
    const parsed = parseOstreeImageReference(given);
    if (!parsed) refuse('image', `not an ostree image reference: ${given}`);
    if (parsed.transport !== 'registry') {
      refuse('image', `only registry images can be rebased to from here (docker://), not ${parsed.transport}`);
    }
    if (chosen && chosen !== parsed.signature) {
      refuse('signature', `${given} is verified as ${parsed.signature}, not ${chosen}: drop one of them`);
    }
    return referenceFor(registryImage(parsed.image), parsed.signature);
  }
  const plain = registryImage(given.startsWith('docker://') ? given.slice('docker://'.length) : given);
  if (!chosen) refuse('signature', `rpm-ostree does not guess how to verify ${plain}: ${SIGNATURE_HELP}`);
  return referenceFor(plain, chosen);
}

function referenceFor(image: string, signature: SignatureChoice): string {
  if (signature === 'unverified') return `ostree-unverified-registry:${image}`;
  if (signature === 'signed') return `ostree-image-signed:docker://${image}`;
  return `ostree-remote-image:${signature.slice('remote:'.length)}:docker://${image}`;
}

/** The argv of an action on an rpm-ostree host (`--reboot` where the action reboots into it). */
export function rpmOstreeArgv(action: Day2Action): string[] {
  const reboot = (apply: boolean) => (apply ? ['--reboot'] : []);
  switch (action.kind) {
    case 'check':
      return ['rpm-ostree', 'upgrade', '--check'];
    case 'upgrade':
      return ['rpm-ostree', 'upgrade', ...reboot(action.apply)];
    case 'switch':
      return ['rpm-ostree', 'rebase', ...reboot(action.apply), rebaseReference(action.image, action.signature)];
    case 'rollback':
      return ['rpm-ostree', 'rollback', ...reboot(action.apply)];
    case 'apply-live':
      return ['rpm-ostree', 'apply-live'];
    case 'reset':
      return ['rpm-ostree', 'reset', ...reboot(action.apply)];
  }
}

/** What a check prints in detail when it found an update: the package differences. */
export const RPM_OSTREE_PREVIEW = ['rpm-ostree', 'upgrade', '--preview'] as const;

/** rpm-ostree's exit status for "nothing changed" (upgrade --check / --preview with no update). */
export const RPM_OSTREE_UNCHANGED = 77;

/** What rpm-ostree prints when an upgrade has nothing to do (no reboot follows). */
export const RPM_OSTREE_NOTHING_TO_DO = /No upgrade available\.|No change\./;
