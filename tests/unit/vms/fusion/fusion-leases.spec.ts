/** Fusion's vmnet8 DHCP leases: the address a guest without VMware Tools got. */

import { describe, expect, test } from 'vitest';

import {
  leasedAddressFor,
  newestLeaseFor,
  normalizeMac,
  parseDhcpLeases,
} from '../../../../src/vms/fusion/fusion-leases';

const LEASES = `# All times in this file are in UTC (GMT), not your local timezone.
# The format of this file is documented in the dhcpd.leases(5) manual page.

lease 172.16.1.5 {
\tstarts 4 2026/12/03 09:30:00;
\tends 4 2026/12/03 10:00:00;
\thardware ethernet 00:0c:29:ab:cd:ef;
\tclient-hostname "old;name";
}
lease 172.16.1.9 {
\tstarts 4 2026/12/03 11:00:00;
\tends 4 2026/12/03 11:30:00;
\thardware ethernet 00:0C:29:AB:CD:EF;
}
lease 172.16.1.7 {
\tstarts 4 2026/12/03 10:15:00;
\tends 4 2026/12/03 10:45:00;
\thardware ethernet 00:0c:29:ab:cd:ef;
}
lease 172.16.1.20 {
\tstarts 4 2026/12/03 12:00:00;
\tends 4 2026/12/03 12:30:00;
\thardware ethernet 00:50:56:11:22:33;
}
`;

describe('parseDhcpLeases', () => {
  test('every lease with its address, MAC (one spelling) and UTC times, in file order', () => {
    const leases = parseDhcpLeases(LEASES);
    expect(leases.map(lease => lease.ip)).toEqual(['172.16.1.5', '172.16.1.9', '172.16.1.7', '172.16.1.20']);
    expect(leases[1]).toMatchObject({
      mac: '00:0c:29:ab:cd:ef',
      starts: new Date('2026-12-03T11:00:00Z'),
      ends: new Date('2026-12-03T11:30:00Z'),
    });
  });

  test('epoch times, trailing comments, `ends never` and binding states', () => {
    const [lease] = parseDhcpLeases(
      'lease 10.0.0.2 {\n  starts epoch 1796292000; # Thu Dec 03 10:00:00 2026\n  ends never;\n' +
        '  binding state active;\n  hardware ethernet 0:c:29:1:2:3;\n}\n',
    );
    expect(lease).toMatchObject({
      ip: '10.0.0.2',
      starts: new Date(1796292000 * 1000),
      ends: undefined,
      bindingState: 'active',
      mac: '00:0c:29:01:02:03',
    });
  });

  test('an empty or garbled file has no leases', () => {
    expect(parseDhcpLeases('')).toEqual([]);
    expect(parseDhcpLeases('lease nonsense { }\nserver-duid "x";')).toEqual([]);
  });
});

describe('newestLeaseFor', () => {
  test('picks the newest of several leases for one MAC, in any case', () => {
    const leases = parseDhcpLeases(LEASES);
    expect(newestLeaseFor(leases, '00:0C:29:AB:CD:EF')?.ip).toBe('172.16.1.9');
    expect(leasedAddressFor(LEASES, '00-0c-29-ab-cd-ef')).toBe('172.16.1.9');
    expect(leasedAddressFor(LEASES, '00:50:56:11:22:33')).toBe('172.16.1.20');
  });

  test('an unknown or malformed MAC has none; a freed lease does not count; equal times go to the later', () => {
    expect(leasedAddressFor(LEASES, '00:0c:29:00:00:00')).toBeUndefined();
    expect(leasedAddressFor(LEASES, 'not a mac')).toBeUndefined();
    const freed = `${LEASES}lease 172.16.1.30 {\n starts 4 2026/12/04 00:00:00;\n binding state free;\n hardware ethernet 00:0c:29:ab:cd:ef;\n}\n`;
    expect(leasedAddressFor(freed, '00:0c:29:ab:cd:ef')).toBe('172.16.1.9');
    const noTimes =
      'lease 1.1.1.1 { hardware ethernet 00:0c:29:ab:cd:ef; }\nlease 1.1.1.2 { hardware ethernet 00:0c:29:ab:cd:ef; }';
    expect(leasedAddressFor(noTimes, '00:0c:29:ab:cd:ef')).toBe('1.1.1.2');
  });

  test('normalizeMac', () => {
    expect(normalizeMac('0:C:29:A:B:C')).toBe('00:0c:29:0a:0b:0c');
    expect(normalizeMac('00:0c:29:ab:cd')).toBeUndefined();
    expect(normalizeMac('00:0c:29:ab:cd:eg')).toBeUndefined();
  });
});
