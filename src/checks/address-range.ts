import type { IpFamily } from "../calico/types.js";
import { ipFromValue } from "../calico/net/ip.js";

const BITS: Record<IpFamily, number> = { 4: 32, 6: 128 };

/** The fewest CIDRs that cover exactly [first, last]: how an address range reads in a message. */
export function rangeToCidrs(family: IpFamily, first: bigint, last: bigint): string[] {
  const bits = BITS[family];
  const out: string[] = [];
  let start = first;
  while (start <= last) {
    let size = 0;
    while (size < bits) {
      const block = 1n << BigInt(size + 1);
      if (start % block !== 0n || start + block - 1n > last) break;
      size++;
    }
    out.push(`${ipFromValue(family, start).text}/${bits - size}`);
    start += 1n << BigInt(size);
  }
  return out;
}
