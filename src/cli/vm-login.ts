/**
 * Logging into a VM from the CLI: the VM's own key, else the user's keys (vm-login.ts); when none
 * gets in and the VM takes a password, the password is asked for on the terminal (not echoed), checked
 * by a login, and held in this process's memory for the command. Without a terminal to ask on, the
 * refusal says what was tried.
 */

import type { VmInfo } from '../api/vms';
import { ValidationError } from '../api/validation';
import { connectWithKey, LoginRefusedError, type KeySshTarget } from '../ssh/ssh-session';
import { vmHasOwnKey } from '../vms/vm-login';
import type { VmService } from '../vms/vm-service';
import type { CliIo } from './cli-context';
import { readSecret } from './secret-input';

const TRIES = 3;

/** The SSH target of the running VM, after asking for its password when only that gets in. */
export async function cliSshTarget(vms: VmService, vm: VmInfo, io: CliIo): Promise<KeySshTarget> {
  const target = await vms.sshTarget(vm);
  if (vmHasOwnKey(vm)) return target;
  try {
    (await connectWithKey(target)).client.end();
    return target;
  } catch (error: unknown) {
    if (!(error instanceof LoginRefusedError) || !error.passwordWouldHelp) throw error;
    const stdin = io.stdin;
    if (!stdin?.isTTY || !stdin.setRawMode) {
      throw new Error(`${error.message}: run this on a terminal to type it`);
    }
    for (let attempt = 1; ; attempt++) {
      const password = await readSecret(stdin, io.stderr, `Password of ${vm.sshUser} on VM ${vm.name}: `);
      try {
        return await vms.sshTarget(await vms.logIn(vm.id, password));
      } catch (refused: unknown) {
        if (!(refused instanceof ValidationError) || attempt >= TRIES) throw refused;
        io.stderr.write(`${refused.errors[0]?.message ?? refused.message}; try again\n`);
      }
    }
  }
}
