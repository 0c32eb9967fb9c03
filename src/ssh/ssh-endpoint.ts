/**
 * Where an SSH connection goes: podman's `ssh://user@host:port/socket` form, as parseEndpointUrl
 * (engine/engine-endpoint.ts) makes it. The SSH room names endpoints in its messages by this.
 */

/** A podman service on another host, reached over SSH (podman's `ssh://user@host:port/socket`). */
export interface SshEndpoint {
  kind: 'ssh';
  /** Normalised `ssh://[user@]host:port/socket`; never contains a password. */
  url: string;
  user?: string;
  host: string;
  port: number;
  /** The podman socket path on the remote host. */
  socketPath: string;
  /** Private key file, from podman's `CONTAINER_SSHKEY` (ssh-auth.ts says which keys are tried without). */
  identityFile?: string;
}
