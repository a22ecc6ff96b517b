// The server address written into a unit must be one the unit can reach over the LAN. An ESP32
// can never reach 127.0.0.1 (its own loopback) or 0.0.0.0: a unit flashed with one syncs
// nowhere, and the technician only finds out after the sync wait. The flash tool refuses those
// for the esp32 profile (unless forced) and suggests this machine's LAN addresses.
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

/** True for a host an ESP32 on the LAN cannot use to reach the server. */
export function unreachableFromLan(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (/^127\.\d+\.\d+\.\d+$/.test(h)) return true;
  if (/^0+(\.0+){0,3}$/.test(h)) return true;
  return h === 'ip6-localhost' || h === 'ip6-loopback';
}

export interface LanAddress {
  address: string;
  iface: string;
}

/** This machine's IPv4 addresses a unit on the LAN could reach (not loopback, not link-local). */
export function lanAddresses(ifaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): LanAddress[] {
  const out: LanAddress[] = [];
  for (const [iface, list] of Object.entries(ifaces)) {
    for (const a of list || []) {
      if (a.family !== 'IPv4' || a.internal || a.address.startsWith('169.254.')) continue;
      out.push({ address: a.address, iface });
    }
  }
  return out;
}

/** What to tell the technician about a loopback/unspecified server address (esp32 profile). */
export function loopbackAdvice(url: string, host: string, port: number, base: string, lan: LanAddress[]): string {
  const suggestion = lan.length
    ? `This machine's LAN address${lan.length > 1 ? 'es' : ''}: ${lan.map((a) => `${a.address} (${a.iface})`).join(', ')}; e.g. --unit-server-url http://${lan[0].address}:${port}${base}`
    : 'This machine has no LAN address right now (is it on the makerspace network?); give the server\'s address with --unit-server-url http://<server address>:' + port;
  return (
    `the unit would be told to reach the server at ${url}, but ${host} is ${/^0/.test(host) ? 'not an address a unit can connect to' : "the unit's own loopback"}: an ESP32 can never reach it and would never sync.\n` +
    `${suggestion}.\n` +
    'Use --force-loopback to write this address anyway.'
  );
}
