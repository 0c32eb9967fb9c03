import { formatAge, formatBytes, shortImageId } from '../../api/format';
import type { BootcImage } from '../../api/models';
import { listBootcImages } from '../../images/bootc-images';
import type { CliCommand } from '../cli-context';
import { formatTable } from '../table';

export const imagesCommand: CliCommand = {
  name: 'images',
  summary: 'List the bootc images (labelled containers.bootc or ostree.bootable) of the engine, one row per tag',
  positionals: [0, 0],
  async run(ctx) {
    const images = await listBootcImages(await ctx.engine());
    if (ctx.json) {
      ctx.io.stdout.write(`${JSON.stringify(images, null, 2)}\n`);
      return 0;
    }
    if (images.length === 0) {
      ctx.io.stdout.write(
        'No bootc images. Build one from a Containerfile that starts with\n' +
          '  FROM quay.io/fedora/fedora-bootc:42\n' +
          'or pull one: podman pull quay.io/fedora/fedora-bootc:42\n',
      );
      return 0;
    }
    ctx.io.stdout.write(formatTable(['NAME', 'TAG', 'IMAGE ID', 'ARCH', 'SIZE', 'AGE', 'ENGINE'], images.map(row)));
    return 0;
  },
};

function row(image: BootcImage): string[] {
  const arch = image.architectures.join(',') || '?';
  return [
    image.name,
    image.tag,
    shortImageId(image.id),
    image.isManifestList ? `${arch} (manifest list)` : arch,
    formatBytes(image.size),
    formatAge(image.created),
    image.engineName,
  ];
}
