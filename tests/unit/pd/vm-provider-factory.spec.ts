/** The Create form of Settings → Resources as a launch request: the cloud-init seed choice. */

import { describe, expect, test } from 'vitest';

import { auditFactory, FACTORY, factoryRequest } from '../../../src/pd/vm-provider';

describe('the Create form: cloud-init seed', () => {
  const base = { [FACTORY.source]: '/disks/os.qcow2', [FACTORY.memory]: 1024, [FACTORY.cpus]: 2 };

  test('auto (the default Podman Desktop sends) leaves it to the backend; attach and none are sent', () => {
    expect(factoryRequest({ ...base, [FACTORY.cloudInit]: 'auto' })).not.toHaveProperty('cloudInit');
    expect(factoryRequest(base)).not.toHaveProperty('cloudInit');
    expect(factoryRequest({ ...base, [FACTORY.cloudInit]: 'attach' })).toMatchObject({ cloudInit: true });
    expect(factoryRequest({ ...base, [FACTORY.cloudInit]: 'none' })).toMatchObject({ cloudInit: false });
  });

  test('the audit of a form with a seed choice finds nothing wrong', () => {
    expect(auditFactory({ ...base, [FACTORY.cloudInit]: 'attach' }).records.map(record => record.type)).toEqual([
      'info',
    ]);
  });
});
