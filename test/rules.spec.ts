// Value rules and exact quantity arithmetic, directly.
import { strict as assert } from "assert";
import { MIB, parseStorageQuantity } from "../settings/quantity";
import { cephKey, host, monitor, pinnedImage } from "../settings/rules";
import { fakeCephKey } from "./fixtures";

describe("quantities", () => {
    const bytes = (q: string) => {
        const r = parseStorageQuantity(q);
        return "bytes" in r ? r.bytes : r.error;
    };
    it("converts binary and decimal suffixes exactly", () => {
        assert.equal(bytes("100Gi"), 102400n * MIB);
        assert.equal(bytes("1.5Ti"), 1572864n * MIB);
        assert.equal(bytes("100G"), 100_000_000_000n);
        assert.equal(bytes("512Mi"), 512n * MIB);
        assert.equal(bytes("1k"), 1000n);
        assert.equal(bytes("4096"), 4096n);
    });
    it("refuses what is not a positive whole number of bytes", () => {
        assert.match(String(bytes("100Gb")), /case-sensitive/);
        assert.match(String(bytes("0")), /not a positive size/);
        assert.match(String(bytes("0.5")), /not a whole number of bytes/);
        assert.match(String(bytes("1.5")), /not a whole number of bytes/);
        assert.match(String(bytes("Gi")), /not a Kubernetes quantity/);
    });
});

describe("value rules", () => {
    it("monitors: host:port, bracketed IPv6, names; port required and in range", () => {
        for (const ok of [
            "10.0.0.1:6789",
            "[2001:db8::1]:3300",
            "mon-a.ceph.local:6789",
            "mon1:3300",
            "v1:10.0.0.1:16789",
            "v2:[2001:db8::1]:13300",
        ]) {
            assert.equal(monitor(ok), undefined, ok);
        }
        for (const bad of [
            "10.0.0.1",
            "2001:db8::1:6789",
            "10.0.0.1:0",
            "10.0.0.1:65536",
            "http://m:1",
            "[zz]:1",
            "256.0.0.1:1",
            "v3:10.0.0.1:6789",
            "v1:10.0.0.1",
        ]) {
            assert.ok(monitor(bad), bad);
        }
        assert.equal(host("ceph-admin.example.com"), undefined);
        assert.ok(host("under_score.example.com"));
    });
    it("images: pinned tag or digest only", () => {
        assert.equal(pinnedImage("jenkins/jenkins:2.568.2-jdk21"), undefined);
        assert.equal(pinnedImage(`registry:5000/jenkins@sha256:${"a".repeat(64)}`), undefined);
        assert.ok(pinnedImage("registry:5000/jenkins"), "a registry port is not a tag");
        assert.ok(pinnedImage("jenkins/jenkins:latest"));
    });
    it("cephx keys: decoded, type 1, 16-byte secret", () => {
        assert.equal(cephKey(fakeCephKey("abc")), undefined);
        assert.equal(cephKey(`${fakeCephKey("abc")}\n`), undefined, "a trailing newline is fine");
        assert.ok(cephKey("AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="), "zero-length secret");
        assert.ok(cephKey("not-a-key"));
    });
});
