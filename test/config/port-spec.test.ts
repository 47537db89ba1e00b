// Required-port strings (design §6): every accepted syntax and the labels people see in messages.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parsePortTarget, requiredPort } from "../../src/config/index.js";
import type { RequiredPort } from "../../src/config/index.js";
import { bare, icmp, portsOf, tcp, udp } from "./helpers.js";

describe("port strings accepted", () => {
  const cases: [text: string, expected: RequiredPort][] = [
    ["tcp:80", tcp(80)],
    ["TCP:80", tcp(80)],
    ["Tcp:443", tcp(443)],
    ["tcp:1", tcp(1)],
    ["tcp:65535", tcp(65535)],
    ["tcp:080", tcp(80)],
    ["udp:8472", udp(8472)],
    ["UDP:53", udp(53)],
    ["sctp:9", portsOf(132, 9, 9)],
    ["tcp:30000-32767", tcp(30000, 32767)],
    ["tcp:30000:32767", tcp(30000, 32767)],
    ["udp:51820-51821", udp(51820, 51821)],
    ["tcp:80-80", tcp(80)],
    ["tcp:1-65535", tcp(1, 65535)],
    ["icmp:8", icmp(8)],
    ["ICMP:8", icmp(8)],
    ["icmp:0", icmp(0)],
    ["icmp:8/0", icmp(8, 0)],
    ["icmp:3/4", icmp(3, 4)],
    ["icmp:254/255", icmp(254, 255)],
    ["icmpv6:128", icmp(128, undefined, true)],
    ["ICMPv6:135/0", icmp(135, 0, true)],
    ["ipip", bare(4, "IPIP")],
    ["IPIP", bare(4, "IPIP")],
    ["proto:4", bare(4, "IPIP")],
    ["proto:47", bare(47, "proto 47")],
    ["proto:255", bare(255, "proto 255")],
    ["proto:136", bare(136, "UDPLite")],
  ];
  for (const [text, expected] of cases) {
    test(text, () => {
      const target = parsePortTarget(text);
      assert.ok(target.ok, target.ok ? "" : target.error);
      assert.deepEqual(requiredPort(target.value, "host"), expected);
    });
  }
});

describe("port strings rejected", () => {
  const cases: [text: string, reason: RegExp][] = [
    ["tcp:0", /port 0 is not allowed \(ports are 1-65535\)/],
    ["tcp:70000", /port 70000 is out of range \(1-65535\)/],
    ["tcp:65536", /out of range/],
    ["tcp:99999999999999999999999", /out of range/],
    ["tcp:200-100", /range starts at 200, after its end 100/],
    ["tcp:0-10", /port 0 is not allowed/],
    ["tcp:10-70000", /70000 is out of range/],
    ["udp", /UDP needs a port or a range, e\.g\. udp:443/],
    ["udp:", /UDP needs a port/],
    ["tcp", /TCP needs a port/],
    ["tcp:http", /"http" is not a port 1-65535 or a range/],
    ["tcp:80,443", /not a port 1-65535 or a range/],
    ["tcp: 80", /not a port 1-65535/],
    ["tcp:-80", /not a port 1-65535/],
    ["tcp:1-2-3", /not a port 1-65535/],
    ["icmp", /ICMP needs a type/],
    ["icmp:300", /ICMP type 300 is out of range \(0-254\)/],
    ["icmp:255", /ICMP type 255 is out of range/],
    ["icmp:8/256", /ICMP code 256 is out of range \(0-255\)/],
    ["icmp:8/", /expected <type> or <type>\/<code>/],
    ["icmp:echo", /expected <type> or <type>\/<code>/],
    ["icmpv6", /ICMPv6 needs a type/],
    ["ipip:4", /ipip has no ports/],
    ["proto", /expected proto:<number 1-255>/],
    ["proto:gre", /expected proto:<number 1-255>/],
    ["proto:0", /out of range \(1-255\)/],
    ["proto:256", /out of range \(1-255\)/],
    ["proto:6", /protocol 6 is TCP, which needs a port: write tcp:<port>/],
    ["proto:17", /UDP, which needs a port/],
    ["proto:132", /SCTP, which needs a port/],
    ["proto:1", /ICMP, which needs a type: write icmp:<type>/],
    ["proto:58", /ICMPv6, which needs a type/],
    ["gre", /"gre" is not a port; use tcp:<port>/],
    ["80", /"80" is not a port; use tcp:<port>/],
    ["", /"" is not a port/],
    ["udplite:5", /is not a port; use/],
  ];
  for (const [text, reason] of cases) {
    test(JSON.stringify(text), () => {
      const target = parsePortTarget(text);
      assert.equal(target.ok, false);
      if (!target.ok) {
        assert.match(target.error, reason);
        assert.ok(!target.error.includes("\n"), "reasons are one line");
      }
    });
  }
});
