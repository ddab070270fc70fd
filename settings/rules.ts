// Value checks shared by the settings schema. Each returns a reason (no example):
// the schema adds the key and an example of a right value.
import * as YAML from "yaml";

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const HOSTNAME =
    /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
// Ceph pool, image and client names: keep to characters every tool quotes the same way.
const CEPH_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function dnsLabel(v: string): string | undefined {
    if (v.length > 63) return `"${v}" is longer than 63 characters`;
    if (!DNS1123_LABEL.test(v))
        return `"${v}" is not a DNS-1123 label (lower case a-z, 0-9 and "-")`;
    return undefined;
}

export function dnsSubdomain(v: string): string | undefined {
    if (v.length > 253) return `"${v}" is longer than 253 characters`;
    if (!DNS1123_SUBDOMAIN.test(v)) {
        return `"${v}" is not a DNS-1123 subdomain (lower case a-z, 0-9, "-" and ".")`;
    }
    return undefined;
}

export function cephName(v: string): string | undefined {
    if (v.length === 0) return "is empty";
    if (!CEPH_NAME.test(v)) return `"${v}" has characters outside A-Z a-z 0-9 _ . -`;
    return undefined;
}

export function cephUser(v: string): string | undefined {
    if (/^client\./.test(v)) return `"${v}" starts with "client.": give the id alone`;
    return cephName(v);
}

function tcpPort(v: number): string | undefined {
    return Number.isInteger(v) && v >= 1 && v <= 65535 ? undefined : `${v} is not a port (1-65535)`;
}

export function host(v: string): string | undefined {
    if (v.startsWith("[") && v.endsWith("]")) {
        return /^\[[0-9A-Fa-f:.]+\]$/.test(v) && v.includes(":")
            ? undefined
            : `"${v}" is not a bracketed IPv6 address`;
    }
    if (v.includes(":")) return `"${v}" looks like IPv6: put it in brackets`;
    const ip = IPV4.exec(v);
    if (ip) {
        return ip.slice(1).every((o) => Number(o) <= 255)
            ? undefined
            : `"${v}" is not an IPv4 address`;
    }
    if (/^[0-9.]+$/.test(v)) return `"${v}" is not an IPv4 address`;
    if (v.length > 253 || !HOSTNAME.test(v)) return `"${v}" is not a host name`;
    return undefined;
}

/**
 * A Ceph monitor as `host:port` or `[v6]:port`, optionally with the messenger protocol
 * (`v1:host:port`, `v2:host:port`); the port is required. A plain address on a port other
 * than 6789 (v1) or 3300 (v2) makes clients try both protocols, so a refused key then
 * looks like a timeout; the prefix avoids that.
 */
export function monitor(v: string): string | undefined {
    if (v.includes("://")) return `"${v}" has a URL scheme; give host:port`;
    const m = /^(?:v[12]:)?(\[[^\]]*\]|[^:]*):(\d+)$/.exec(v);
    if (!m) {
        if ((v.match(/:/g) ?? []).length > 1 && !v.startsWith("[")) {
            return `"${v}" is an IPv6 address without brackets`;
        }
        return `"${v}" is not host:port`;
    }
    return host(m[1]) ?? tcpPort(Number(m[2]));
}

export function labelKey(k: string): string | undefined {
    const parts = k.split("/");
    if (parts.length > 2) return `"${k}" has more than one "/"`;
    const name = parts[parts.length - 1];
    if (parts.length === 2) {
        const prefixError = dnsSubdomain(parts[0]);
        if (prefixError) return `label key prefix ${prefixError}`;
    }
    if (name.length === 0 || name.length > 63 || !LABEL_VALUE.test(name)) {
        return `"${k}" is not a label key`;
    }
    return undefined;
}

export function labelValue(v: string): string | undefined {
    return v.length <= 63 && LABEL_VALUE.test(v) ? undefined : `"${v}" is not a label value`;
}

/** Container images must carry a pinned tag or digest: `latest` and no tag are silent upgrades. */
export function pinnedImage(v: string): string | undefined {
    if (/\s/.test(v) || v.length === 0) return `"${v}" is not an image reference`;
    if (/@sha256:[0-9a-f]{64}$/.test(v)) return undefined;
    const lastSlash = v.lastIndexOf("/");
    const colon = v.indexOf(":", lastSlash + 1);
    if (colon < 0) return `"${v}" has no tag, which means latest`;
    const tag = v.slice(colon + 1);
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) return `"${v}" has a malformed tag`;
    if (tag === "latest") return `"${v}" uses the latest tag`;
    return undefined;
}

/** Base64 of a cephx key: u16 type (1 = AES), 8 bytes created, u16 length 16, 16 secret bytes. */
export function cephKey(v: string): string | undefined {
    const text = v.trim();
    const bytes = /^[A-Za-z0-9+/]{38}==$/.test(text) ? Buffer.from(text, "base64") : undefined;
    if (
        !bytes ||
        bytes.length !== 28 ||
        bytes.readUInt16LE(0) !== 1 ||
        bytes.readUInt16LE(10) !== 16
    ) {
        return "is not a cephx key (40 base64 characters starting AQ, as `ceph auth get-key` prints)";
    }
    return undefined;
}

/** A plugin pinned as plugins.txt takes it: `id:version`, never unpinned or "latest". */
export function pinnedPlugin(v: string): string | undefined {
    const [id, version, ...rest] = v.split(":");
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id)) return `"${v}" has a malformed plugin id`;
    if (version === undefined || version === "")
        return `"${v}" has no version (write ${id}:<version>)`;
    if (rest.length > 0 || !/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(version))
        return `"${v}" has a malformed version`;
    if (["latest", "experimental"].includes(version)) return `"${v}" is not pinned to a version`;
    return undefined;
}

/** A JCasC file name: the ConfigMap key `<name>.yaml`. */
export function cascName(v: string): string | undefined {
    return /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(v) && v !== "jenkins-ceph"
        ? undefined
        : `"${v}" is not a file name of lower-case letters, digits and "-" (jenkins-ceph is the program's own)`;
}

/** JCasC YAML: must parse, and be a mapping of root elements (jenkins:, unclassified:, ...). */
export function cascYaml(v: string): string | undefined {
    let doc: unknown;
    try {
        doc = YAML.parse(v);
    } catch (e) {
        const first = String((e as Error).message)
            .split("\n")[0]
            .replace(/:$/, "");
        return `is not valid YAML: ${first}`;
    }
    return typeof doc === "object" && doc !== null && !Array.isArray(doc)
        ? undefined
        : "is not a YAML mapping of configuration-as-code root elements (jenkins:, unclassified:, ...)";
}

/**
 * A name in jenkinsSecrets: a file in the Secret JCasC reads, resolved as ${NAME}. Not one
 * of the program's own files (the admin's).
 */
export function cascSecretName(v: string): string | undefined {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(v))
        return "is not a name JCasC resolves as ${NAME} (letters, digits and _, not starting with a digit)";
    return undefined;
}

/** The admin password: long enough that a guess is not the way in. */
export function adminPassword(v: string): string | undefined {
    if (v.trim() !== v) return "starts or ends with white space";
    return v.length >= 12 ? undefined : "is shorter than 12 characters";
}

/** The key types an OpenSSH server offers as host keys. */
const HOST_KEY_TYPES = [
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
];

/**
 * An SSH host key as `ssh-keyscan` prints it ("host ssh-ed25519 AAAA...") or as a
 * public key ("ssh-ed25519 AAAA..."), returned as "type base64"; a reason when it is not
 * one. The base64 must hold the same key type it is labelled with, as sshd sends it.
 */
export function sshHostKey(v: string): { key: string } | { error: string } {
    const words = v.trim().split(/\s+/);
    const at = words.findIndex((w) => HOST_KEY_TYPES.includes(w));
    if (at < 0 || at > 1 || words.length < at + 2) {
        return {
            error: "is not an SSH host key line (expected what ssh-keyscan prints: HOST ssh-ed25519 AAAA...)",
        };
    }
    const [type, b64] = [words[at], words[at + 1]];
    const blob = /^[A-Za-z0-9+/]+={0,2}$/.test(b64) ? Buffer.from(b64, "base64") : Buffer.alloc(0);
    const len = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
    if (len < 0 || blob.subarray(4, 4 + len).toString() !== type) {
        return { error: `holds no ${type} key (its base64 part does not decode to one)` };
    }
    return { key: `${type} ${b64}` };
}

/** The longest suffix the program puts after jenkins.name (components/jenkins.ts). */
const NAME_SUFFIXES = ["-agents", "-agent", "-plugins", "-admin", "-casc"];

/**
 * jenkins.name names the Service (a DNS-1035 label: it starts with a letter) and, with a
 * suffix, the agents' Service, Role and ConfigMaps, which must stay within 63 characters.
 */
export function jenkinsName(v: string): string | undefined {
    const longest = Math.max(...NAME_SUFFIXES.map((x) => x.length));
    if (v.length > 63 - longest) {
        return `"${v}" is longer than ${63 - longest} characters (the program names ${v}-agents and other objects after it, at most 63)`;
    }
    if (!/^[a-z]/.test(v))
        return `"${v}" does not start with a letter, which a Service name must (DNS-1035)`;
    return dnsLabel(v);
}

/** A time zone both the JVM and Jelly know: one of the IANA names (checked with ICU). */
export function timeZone(v: string): string | undefined {
    try {
        new Intl.DateTimeFormat("en-US", { timeZone: v });
        return undefined;
    } catch {
        return `"${v}" is not a time zone the JVM knows (an IANA name such as Asia/Seoul or UTC); Java would silently use GMT`;
    }
}

/**
 * An S3 endpoint: http(s)://host[:port], nothing after it (requests are path-style, the
 * bucket goes in the path). Plain http only to this machine: the keys sign requests, but
 * Jenkins' home would cross the network readable.
 */
export function s3Endpoint(v: string): string | undefined {
    const m = /^(https?):\/\/(\[[^\]]+\]|[^/:]+)(?::(\d+))?\/?$/.exec(v);
    if (!m)
        return `"${v}" is not an endpoint URL such as https://s3.example.com (no path, no bucket)`;
    const problem = host(m[2]) ?? (m[3] ? tcpPort(Number(m[3])) : undefined);
    if (problem) return problem;
    const local = ["127.0.0.1", "localhost", "[::1]"].includes(m[2]);
    return m[1] === "http" && !local
        ? `"${v}" is plain http to another machine: Jenkins' home would cross the network readable; use https`
        : undefined;
}

/** An S3 bucket name as AWS documents it (3-63 characters, lower case, no dots at the ends). */
export function s3Bucket(v: string): string | undefined {
    return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v) && !v.includes("..")
        ? undefined
        : `"${v}" is not a bucket name (3-63 lower-case letters, digits, dots and hyphens)`;
}

/** The key prefix of every backup object: path segments, ending in a slash. */
export function s3Prefix(v: string): string | undefined {
    return /^([A-Za-z0-9_.-]+\/)+$/.test(v) && !/(^|\/)\.\.?\//.test(v)
        ? undefined
        : `"${v}" is not a prefix of path segments ending in a slash, such as jenkins-ceph/prod/`;
}

export function s3Region(v: string): string | undefined {
    return /^[a-z0-9-]{2,40}$/.test(v) ? undefined : `"${v}" is not a region such as us-east-1`;
}

export function s3AccessKey(v: string): string | undefined {
    return /^[A-Za-z0-9]{8,128}$/.test(v.trim()) ? undefined : "is not an S3 access key id";
}

export function s3SecretKey(v: string): string | undefined {
    return /^[\x21-\x7e]{16,128}$/.test(v.trim()) ? undefined : "is not an S3 secret key";
}

/** The passphrase backups are encrypted with: long enough that the bucket's owner cannot guess it. */
export function encryptionKey(v: string): string | undefined {
    if (v.trim() !== v) return "starts or ends with white space";
    return v.length >= 20 ? undefined : "is shorter than 20 characters";
}

/** A time zone the CronJob controller reads (an IANA name, checked with ICU). */
export function cronTimeZone(v: string): string | undefined {
    try {
        new Intl.DateTimeFormat("en-US", { timeZone: v });
        return /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(v)
            ? undefined
            : `"${v}" is not an IANA time zone name such as Europe/Berlin`;
    } catch {
        return `"${v}" is not an IANA time zone name such as Europe/Berlin`;
    }
}

/**
 * A name a container's environment can carry that a shell (and JCasC's ${NAME}) can read:
 * the API server takes more, but jenkins.sh and the installer could not use it.
 */
export function envName(v: string): string | undefined {
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(v)
        ? undefined
        : `"${v}" is not an environment variable name (letters, digits and _, not first a digit)`;
}

/** Jenkins' --prefix: path segments after a leading slash, no trailing slash (the chart's jenkinsUriPrefix). */
export function uriPrefix(v: string): string | undefined {
    if (!v.startsWith("/"))
        return `"${v}" does not start with a slash; write it as /${v.replace(/^\/*/, "")}`;
    return /^(\/[A-Za-z0-9._~-]+)+$/.test(v)
        ? undefined
        : `"${v}" is not a path such as /jenkins (segments of letters, digits, . _ ~ -, no trailing slash)`;
}

/** An http(s) URL of a host, with a path or not: a plugin site or an update centre. */
export function httpUrl(v: string): string | undefined {
    const m = /^https?:\/\/(\[[^\]]+\]|[^/:@?#]+)(?::(\d+))?(\/[^\s?#]*)?$/.exec(v);
    if (!m) return `"${v}" is not an http(s) URL such as https://updates.example.com/`;
    return host(m[1]) ?? (m[2] ? tcpPort(Number(m[2])) : undefined);
}

/**
 * An HTTP proxy as http://host:port. No user or password: Java's proxy properties take
 * none, and they would be plaintext in the pod spec.
 */
export function proxyUrl(v: string): { host: string; port: number } | { error: string } {
    if (/^[a-z]+:\/\/[^/]*@/.test(v))
        return {
            error: `"${v}" has credentials: they would be plaintext in the pod spec, and Java's proxy properties take none`,
        };
    const m = /^http:\/\/(\[[^\]]+\]|[^/:]+):(\d+)\/?$/.exec(v);
    if (!m) return { error: `"${v}" is not a proxy URL such as http://proxy.example.com:3128` };
    const problem = host(m[1]) ?? tcpPort(Number(m[2]));
    return problem ? { error: problem } : { host: m[1], port: Number(m[2]) };
}

/** A host that bypasses the proxy, as Java's http.nonProxyHosts takes it (a leading * wildcard). */
export function noProxyHost(v: string): string | undefined {
    const bare = v.startsWith("*.") ? v.slice(2) : v;
    return host(bare) === undefined ? undefined : `"${v}" is not a host, an IP address or *.domain`;
}
