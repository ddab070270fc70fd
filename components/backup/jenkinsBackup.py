#!/usr/bin/env python3
# jenkins-ceph's backup program: Jenkins' home, an rbd image, to S3-compatible object
# storage, as chains of `rbd export-diff` streams (docs/backups.md).
#
# One program for every place it runs: the CronJob in the key's namespace (a pinned Ceph
# image: it has rbd and python3), `npm run backup` here, or on rbdHost over SSH. It needs
# only python3's standard library, rbd, and gpg when backups are encrypted.
#
# Its settings are one JSON object: a line before the program when it comes on standard input
# (`python3 -`, the CLIs), or a file named by --config whose secrets are files (the CronJob's
# mounted Secret). Secrets never
# reach argv or the environment: the Ceph key is a 0600 file in a private temp dir for
# rbd's --keyfile, the encryption key goes to gpg through a pipe (--passphrase-fd), and
# the S3 secret only signs requests (AWS Signature V4, path-style).
#
# Layout under the prefix: <chain>/manifest.json and <chain>/<n>.diff[.gpg], where <chain>
# is the UTC time the chain began. Backup n of a chain is `rbd export-diff` of snapshot n
# against snapshot n-1 (n = 1: against nothing, a full export). The manifest records each
# object's size and sha256 as stored; a restore checks every object before it imports.
# The backup ID is <chain>-<n>.
import datetime
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import xml.etree.ElementTree as ET

PART_BYTES = 8 * 1024 * 1024
SNAP_PREFIX = "jenkins-ceph-"
BACKUP_SNAP = re.compile(r"^jenkins-ceph-[0-9]{8}T[0-9]{6}Z-backup$")
CHAIN = re.compile(r"^[0-9]{8}T[0-9]{6}Z$")
BACKUP_ID = re.compile(r"^([0-9]{8}T[0-9]{6}Z)-([1-9][0-9]*)$")
KEY_CHECK_LABEL = b"jenkins-ceph backup key check v1"
S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


class Refusal(Exception):
    """One sentence for the user; the program exits 1 with it."""


def utc_stamp():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def say(msg):
    print(msg, flush=True)


# ---------------------------------------------------------------- S3 (SigV4, path-style)
class S3:
    def __init__(self, cfg):
        u = urllib.parse.urlsplit(cfg["endpoint"])
        self.tls = u.scheme == "https"
        self.host = u.netloc
        self.bucket = cfg["bucket"]
        self.region = cfg.get("region") or "us-east-1"
        self.access = cfg["accessKey"]
        self.secret = cfg["secretKey"]
        self.timeout = cfg.get("timeoutSeconds", 60)

    def _conn(self):
        cls = http.client.HTTPSConnection if self.tls else http.client.HTTPConnection
        return cls(self.host, timeout=self.timeout)

    def _sign(self, method, path, query, payload_hash):
        now = datetime.datetime.now(datetime.timezone.utc)
        amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        q = lambda s: urllib.parse.quote(s, safe="-_.~")
        canonical_query = "&".join(f"{q(k)}={q(v)}" for k, v in sorted(query.items()))
        headers = {"host": self.host, "x-amz-content-sha256": payload_hash, "x-amz-date": amz_date}
        signed = ";".join(sorted(headers))
        canonical = "\n".join(
            [method, path, canonical_query]
            + [f"{k}:{headers[k]}" for k in sorted(headers)]
            + ["", signed, payload_hash]
        )
        scope = f"{day}/{self.region}/s3/aws4_request"
        to_sign = "\n".join(
            ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
        )
        k = ("AWS4" + self.secret).encode()
        for part in (day, self.region, "s3", "aws4_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.access}/{scope}, SignedHeaders={signed}, Signature={sig}"
        )
        return headers, canonical_query

    def request(self, method, key, query=None, body=b"", stream=False):
        query = query or {}
        path = "/" + urllib.parse.quote(self.bucket + ("/" + key if key else ""), safe="/-_.~")
        headers, qs = self._sign(method, path, query, hashlib.sha256(body).hexdigest())
        conn = self._conn()
        try:
            conn.request(method, path + ("?" + qs if qs else ""), body=body, headers=headers)
            resp = conn.getresponse()
        except OSError as e:
            conn.close()
            raise Refusal(f"S3 endpoint {self.host} could not be reached ({e})")
        if stream and resp.status == 200:
            return resp
        data = resp.read()
        conn.close()
        self.last_etag = resp.getheader("ETag")
        self.last_length = resp.getheader("Content-Length")
        return resp.status, data

    def check(self, status, data, what):
        if status in (200, 204):
            return data
        code = re.search(rb"<Code>([^<]*)</Code>", data or b"")
        code = code.group(1).decode() if code else f"HTTP {status}"
        hint = {
            "NoSuchBucket": f"create the bucket {self.bucket} first",
            "InvalidAccessKeyId": "the access key is not known to the endpoint (backupAccessKey)",
            "SignatureDoesNotMatch": "the secret key does not match the access key (backupSecretKey)",
            "AccessDenied": f"the credentials may not use bucket {self.bucket}",
        }.get(code, "")
        raise Refusal(f"S3 {what} failed: {code}" + (f"; {hint}" if hint else ""))

    def put(self, key, body):
        self.check(*self.request("PUT", key, body=body), f"upload of {key}")

    def get(self, key):
        return self.check(*self.request("GET", key), f"download of {key}")

    def delete(self, key):
        self.check(*self.request("DELETE", key), f"removal of {key}")

    def head(self, key):
        status, _ = self.request("HEAD", key)
        return status

    def list(self, prefix):
        keys, token = [], None
        while True:
            query = {"list-type": "2", "prefix": prefix}
            if token:
                query["continuation-token"] = token
            data = self.check(*self.request("GET", "", query), f"listing of {prefix}")
            root = ET.fromstring(data)
            keys += [c.findtext(S3_NS + "Key") for c in root.findall(S3_NS + "Contents")]
            token = root.findtext(S3_NS + "NextContinuationToken")
            if root.findtext(S3_NS + "IsTruncated") != "true" or not token:
                return keys

    def upload_stream(self, key, reader):
        """Multipart upload of a stream of unknown length; returns (bytes, sha256)."""
        data = self.check(*self.request("POST", key, {"uploads": ""}), f"upload of {key}")
        upload_id = ET.fromstring(data).findtext(S3_NS + "UploadId")
        digest, total, parts = hashlib.sha256(), 0, []
        try:
            while True:
                chunk = read_full(reader, PART_BYTES)
                if not chunk and parts:
                    break
                digest.update(chunk)
                total += len(chunk)
                n = len(parts) + 1
                query = {"partNumber": str(n), "uploadId": upload_id}
                self.check(*self.request("PUT", key, query, body=chunk), f"upload of part {n} of {key}")
                parts.append((n, self.last_etag))
                if len(chunk) < PART_BYTES:
                    break
            body = "<CompleteMultipartUpload>" + "".join(
                f"<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>" for n, etag in parts
            ) + "</CompleteMultipartUpload>"
            self.check(
                *self.request("POST", key, {"uploadId": upload_id}, body=body.encode()),
                f"completion of {key}",
            )
        except BaseException:
            self.request("DELETE", key, {"uploadId": upload_id})
            raise
        return total, digest.hexdigest()

def read_full(reader, n):
    buf = bytearray()
    while len(buf) < n:
        b = reader.read(n - len(buf))
        if not b:
            break
        buf += b
    return bytes(buf)


# ---------------------------------------------------------------- rbd and gpg
class Rbd:
    """rbd as client.<user>, bounded like every rbd step (components/rbd/rbdScript.ts)."""

    def __init__(self, cfg, tmp):
        self.cfg = cfg
        self.keyfile = os.path.join(tmp, "key")
        with open(os.open(self.keyfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(cfg["key"].strip() + "\n")
        if shutil.which("rbd") is None:
            raise Refusal(f"rbd is not installed on {os.uname().nodename}: install ceph-common there, or set rbdHost to a host that has it")

    def argv(self, *args):
        t = str(int(self.cfg["timeoutSeconds"]))
        return ["rbd", "-c", "/dev/null", "-m", ",".join(self.cfg["monitors"]), "--id", self.cfg["user"],
                "--keyfile", self.keyfile, "--client-mount-timeout", t, "--rados-mon-op-timeout", t,
                "--rados-osd-op-timeout", t, *args]

    def run(self, *args, what):
        r = subprocess.run(self.argv(*args), stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if r.returncode != 0:
            raise Refusal(f"rbd {what} failed: {self.clean(r.stderr)} [rbd exit {r.returncode}]")
        return r.stdout

    def clean(self, err):
        key = self.cfg["key"].strip()
        return " ".join(line for line in err.splitlines() if key not in line).strip()

    def exists(self, spec):
        r = subprocess.run(self.argv("info", "--format", "json", spec), stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if r.returncode == 0:
            return json.loads(r.stdout)
        if r.returncode == 2 and "opening pool" not in r.stderr:
            return None
        raise Refusal(f"rbd info of {spec} failed: {self.clean(r.stderr)} [rbd exit {r.returncode}]")

    def snapshots(self, spec):
        return [s["name"] for s in json.loads(self.run("snap", "ls", "--format", "json", spec, what="snap ls"))]


def gpg(tmp, key, *args):
    """argv and pass-fd for gpg with the passphrase on a pipe, never in argv or a file."""
    home = tempfile.mkdtemp(dir=tmp)
    r, w = os.pipe()
    os.write(w, key.encode() + b"\n")
    os.close(w)
    argv = ["gpg", "--homedir", home, "--batch", "--quiet", "--no-tty", "--pinentry-mode", "loopback",
            "--passphrase-fd", str(r), *args]
    return argv, r


def key_check(key):
    return hmac.new(key.encode(), KEY_CHECK_LABEL, hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- manifests
class Store:
    def __init__(self, cfg):
        self.s3 = S3(cfg["s3"])
        self.prefix = cfg["s3"].get("prefix", "")

    def chains(self):
        names = set()
        for k in self.s3.list(self.prefix):
            rest = k[len(self.prefix):].split("/")
            if len(rest) == 2 and rest[1] == "manifest.json" and CHAIN.match(rest[0]):
                names.add(rest[0])
        return sorted(names)

    def manifest(self, chain):
        return json.loads(self.s3.get(f"{self.prefix}{chain}/manifest.json"))

    def save(self, m):
        self.s3.put(f"{self.prefix}{m['chain']}/manifest.json", json.dumps(m, indent=1).encode())

    def object_key(self, m, n):
        return f"{self.prefix}{m['chain']}/{n}.diff" + (".gpg" if m["encrypted"] else "")


def backup_ids(m):
    return [f"{m['chain']}-{e['n']}" for e in m["backups"]]


# ---------------------------------------------------------------- backup
def home_spec(cfg):
    """pool/image of Jenkins' home; a dynamic claim that is not bound yet has none."""
    if not cfg.get("pool") or not cfg.get("image"):
        raise Refusal("there is no image to back up yet: the claim of Jenkins' home is not bound (run pulumi up again once it is)")
    return f"{cfg['pool']}/{cfg['image']}"


def next_base(cfg, store, rbd, spec):
    """The chain to extend and the snapshot to diff from, or (None, None): a new chain."""
    chains = store.chains()
    if not chains:
        return None, None
    m = store.manifest(chains[-1])
    last = m["backups"][-1]
    encrypted = bool(cfg.get("encryptionKey"))
    if m["image"] != spec or len(m["backups"]) >= cfg["chainLength"] or m["encrypted"] != encrypted:
        return None, None
    if encrypted and m.get("keyCheck") != key_check(cfg["encryptionKey"]):
        return None, None
    if last["snapshot"] not in rbd.snapshots(spec):
        return None, None
    return m, last["snapshot"]


def backup(ctx, dry_run):
    cfg, tmp, store, rbd = ctx.cfg, ctx.tmp, ctx.store, ctx.rbd
    spec = home_spec(cfg)
    info = rbd.exists(spec)
    if info is None:
        raise Refusal(f"rbd image {spec} does not exist; nothing was backed up")
    m, base = next_base(cfg, store, rbd, spec)
    kind = f"incremental from {base}" if base else "full (a new chain)"
    if dry_run:
        say(f"would back up {spec}: {kind} (dry run; add --yes to do it)")
        return
    # Names carry the second: a backup within the same second as the last waits for the next.
    while f"{SNAP_PREFIX}{utc_stamp()}-backup" in rbd.snapshots(spec) or utc_stamp() in store.chains():
        time.sleep(0.2)
    snap = f"{SNAP_PREFIX}{utc_stamp()}-backup"
    if m is None:
        m = {"format": 1, "chain": utc_stamp(), "image": spec, "encrypted": bool(cfg.get("encryptionKey")), "backups": []}
        if m["encrypted"]:
            m["keyCheck"] = key_check(cfg["encryptionKey"])
    rbd.run("snap", "create", f"{spec}@{snap}", what="snap create")
    n = len(m["backups"]) + 1
    started = datetime.datetime.now(datetime.timezone.utc)
    size, digest, content = upload_diff(cfg, tmp, store, rbd, m, n, spec, snap, base)
    seconds = (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds()
    m["backups"].append({"n": n, "snapshot": snap, "from": base, "time": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "bytes": size, "sha256": digest, "diffSha256": content, "imageBytes": info["size"]})
    store.save(m)
    drop_old_bases(rbd, spec, snap)
    prune_chains(cfg, store)
    say(f"backup {m['chain']}-{n} of {spec}: {kind}, {size} bytes in {seconds:.1f}s")


def upload_diff(cfg, tmp, store, rbd, m, n, spec, snap, base):
    args = ["export-diff", "--no-progress"] + (["--from-snap", base] if base else []) + [f"{spec}@{snap}", "-"]
    export = subprocess.Popen(rbd.argv(*args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    content = hashlib.sha256()
    reader = Tee(export.stdout, content)
    enc = None
    if m["encrypted"]:
        argv, fd = gpg(tmp, cfg["encryptionKey"], "--symmetric", "--cipher-algo", "AES256", "--compress-algo", "none", "-o", "-")
        enc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(fd,))
        os.close(fd)
        feeder = Feeder(reader, enc.stdin)
        feeder.start()
        reader = enc.stdout
    try:
        size, digest = store.s3.upload_stream(store.object_key(m, n), reader)
    finally:
        if enc:
            feeder.join()
            enc.wait()
        export.wait()
    if export.returncode != 0:
        store.s3.delete(store.object_key(m, n))
        raise Refusal(f"rbd export-diff of {spec}@{snap} failed: {rbd.clean(export.stderr.read().decode())}; the object was removed, the chain is as before")
    if enc and enc.returncode != 0:
        store.s3.delete(store.object_key(m, n))
        raise Refusal(f"gpg could not encrypt the backup: {enc.stderr.read().decode().strip()}")
    return size, digest, content.hexdigest()


class Tee:
    def __init__(self, src, digest):
        self.src, self.digest = src, digest

    def read(self, n):
        b = self.src.read(n)
        self.digest.update(b)
        return b


class Feeder:
    """Copies a reader into a pipe on a thread, so gpg's both ends stay streaming."""

    def __init__(self, reader, pipe):
        import threading
        self.reader, self.pipe = reader, pipe
        self.thread = threading.Thread(target=self.run, daemon=True)

    def start(self):
        self.thread.start()

    def run(self):
        try:
            while True:
                b = self.reader.read(1 << 20)
                if not b:
                    break
                self.pipe.write(b)
        except BrokenPipeError:
            pass
        finally:
            try:
                self.pipe.close()
            except BrokenPipeError:
                pass

    def join(self):
        self.thread.join()


def drop_old_bases(rbd, spec, keep):
    """Older backup snapshots are in the bucket now; only the next diff's base stays."""
    for s in rbd.snapshots(spec):
        if BACKUP_SNAP.match(s) and s < keep:
            rbd.run("snap", "rm", "--no-progress", f"{spec}@{s}", what=f"snap rm {s}")


def prune_chains(cfg, store):
    keep = cfg.get("keep", {"chains": 4})
    chains = store.chains()
    if "chains" in keep:
        old = chains[: max(0, len(chains) - int(keep["chains"]))]
    else:
        limit = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=int(keep["days"]))
        old = [c for c in chains[:-1] if datetime.datetime.strptime(store.manifest(c)["backups"][-1]["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc) < limit]
    for c in old:
        for k in store.s3.list(f"{store.prefix}{c}/"):
            if not k.endswith("/manifest.json"):
                store.s3.delete(k)
        store.s3.delete(f"{store.prefix}{c}/manifest.json")
        say(f"removed chain {c} (backup.keep)")


# ---------------------------------------------------------------- list, restore, verify
def list_backups(ctx):
    store = ctx.store
    chains = store.chains()
    if not chains:
        say(f"no backups under s3://{store.s3.bucket}/{store.prefix}")
    for c in chains:
        m = store.manifest(c)
        for e in m["backups"]:
            kind = "full" if e["from"] is None else "incremental"
            lock = "encrypted" if m["encrypted"] else "plain"
            say(f"{c}-{e['n']}  {e['time']}  {kind:<11}  {e['bytes']} bytes  {m['image']}@{e['snapshot']}  {lock}")


def chain_to(store, cfg, backup_id):
    """The manifest and the backups up to backup_id, after every check that reads no data."""
    match = BACKUP_ID.match(backup_id or "")
    if not match:
        raise Refusal(f"--from-backup {backup_id} is not a backup ID (they look like 20261201T120000Z-3; npm run backups lists them)")
    chain, n = match.group(1), int(match.group(2))
    if chain not in store.chains():
        raise Refusal(f"there is no backup chain {chain} under s3://{store.s3.bucket}/{store.prefix}; nothing was written")
    m = store.manifest(chain)
    if n > len(m["backups"]):
        raise Refusal(f"chain {chain} has {len(m['backups'])} backups, not {n}; nothing was written")
    if m["encrypted"]:
        if not cfg.get("encryptionKey"):
            raise Refusal(f"backup {backup_id} is encrypted and no backupEncryptionKey is set; nothing was written")
        if m.get("keyCheck") != key_check(cfg["encryptionKey"]):
            raise Refusal(f"backupEncryptionKey is not the key backup {backup_id} was encrypted with; nothing was written")
    entries = m["backups"][:n]
    for e in entries:
        key = store.object_key(m, e["n"])
        if store.s3.head(key) != 200:
            raise Refusal(f"object {key} of backup {chain}-{e['n']} is missing from the bucket; nothing was written")
        if str(e["bytes"]) != (store.s3.last_length or ""):
            raise Refusal(f"object {key} of backup {chain}-{e['n']} has {store.s3.last_length} bytes, the manifest says {e['bytes']}; nothing was written")
    return m, entries


def import_chain(cfg, tmp, store, rbd, m, entries, scratch):
    """Every object of the chain into the new image scratch, each checked as it streams."""
    features = cfg.get("features", "layering")
    rbd.run("create", "--image-format", "2", *sum((["--image-feature", f] for f in features.split(",")), []),
            "--size", f"{entries[0]['imageBytes'] // 1048576 or 1}M", scratch, what="create")
    for e in entries:
        key = store.object_key(m, e["n"])
        resp = store.s3.request("GET", key, stream=True)
        if isinstance(resp, tuple):
            store.s3.check(*resp, f"download of {key}")
        stored = hashlib.sha256()
        src = Tee(resp, stored)
        importer = subprocess.Popen(rbd.argv("import-diff", "--no-progress", "-", scratch), stdin=subprocess.PIPE,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        dec = None
        if m["encrypted"]:
            argv, fd = gpg(tmp, cfg["encryptionKey"], "--decrypt", "-o", "-")
            dec = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=importer.stdin, stderr=subprocess.PIPE, pass_fds=(fd,))
            os.close(fd)
            sink = dec.stdin
        else:
            sink = importer.stdin
        # The whole object is read even when the importer stops early, so that the checksum
        # tells a damaged object from a failed import.
        for b in iter(lambda: src.read(1 << 20), b""):
            if sink is not None:
                try:
                    sink.write(b)
                except BrokenPipeError:
                    sink = None
        try:
            if sink is not None:
                sink.close()
        except BrokenPipeError:
            pass
        if dec:
            dec.wait()
            importer.stdin.close()
        importer.wait()
        if stored.hexdigest() != e["sha256"]:
            raise Refusal(f"object {key} of backup {m['chain']}-{e['n']} does not match its checksum (the bucket's copy is damaged); the restore's scratch image was removed, nothing else was written")
        if dec and dec.returncode != 0:
            raise Refusal(f"object {key} of backup {m['chain']}-{e['n']} could not be decrypted; the restore's scratch image was removed, nothing else was written: {dec.stderr.read().decode().strip()}")
        if importer.returncode != 0:
            raise Refusal(f"rbd import-diff of backup {m['chain']}-{e['n']} failed: {rbd.clean(importer.stderr.read().decode())}")


def remove_image(rbd, spec):
    for s in rbd.snapshots(spec):
        rbd.run("snap", "rm", "--no-progress", f"{spec}@{s}", what="snap rm")
    rbd.run("rm", "--no-progress", spec, what="rm")


def into_scratch(ctx, backup_id):
    cfg, tmp, store, rbd = ctx.cfg, ctx.tmp, ctx.store, ctx.rbd
    home_spec(cfg)
    m, entries = chain_to(store, cfg, backup_id)
    scratch = f"{cfg['pool']}/{cfg['image']}-restore-{utc_stamp()}"
    try:
        import_chain(cfg, tmp, store, rbd, m, entries, scratch)
    except BaseException:
        if rbd.exists(scratch) is not None:
            remove_image(rbd, scratch)
        raise
    return rbd, m, entries, scratch


def restore(ctx, backup_id, target, into_stack, dry_run):
    cfg = ctx.cfg
    spec = home_spec(cfg)
    dest = f"{cfg['pool']}/{target}" if target else spec
    if target and ctx.rbd.exists(dest) is not None:
        raise Refusal(f"rbd image {dest} exists already; --to names a new image; nothing was written")
    if dry_run:
        chain_to(ctx.store, cfg, backup_id)
        say(f"would restore backup {backup_id} into {dest} (dry run; add --yes to do it)")
        return
    if not target and not into_stack:
        raise Refusal("restore into the stack's image runs through npm run restore, which stops Jenkins first")
    rbd, m, entries, scratch = into_scratch(ctx, backup_id)
    if target:
        rbd.run("rename", scratch, dest, what="rename")
        say(f"restored backup {backup_id} into the new image {dest}")
        return
    swap_into_stack(rbd, spec, scratch, backup_id)


def swap_into_stack(rbd, spec, scratch, backup_id):
    """The stack's image keeps its data under another name; the restored one takes its place."""
    if rbd.exists(spec) is None:
        rbd.run("rename", scratch, spec, what="rename")
        say(f"restored backup {backup_id} into {spec} (there was no such image)")
        return
    status = json.loads(rbd.run("status", "--format", "json", spec, what="status"))
    if status.get("watchers"):
        remove_image(rbd, scratch)
        raise Refusal(f"rbd image {spec} is still open by a client (the Jenkins pod, or a node that has not unmapped it); nothing was changed")
    stamp = utc_stamp()
    # The restore's safety snapshot, as npm run restore takes it, on the home it replaces;
    # that image is then kept whole under another name (undo: rename the two back).
    rbd.run("snap", "create", f"{spec}@{SNAP_PREFIX}{stamp}-pre-restore", what="snap create")
    kept = f"{spec}-pre-restore-{stamp}"
    rbd.run("rename", spec, kept, what="rename")
    rbd.run("rename", scratch, spec, what="rename")
    say(f"restored backup {backup_id} into {spec}; the home it replaces is kept whole as {kept}, with the safety snapshot {SNAP_PREFIX}{stamp}-pre-restore (rbd rm it when no longer needed)")


def export_hash(rbd, spec):
    p = subprocess.Popen(rbd.argv("export", "--no-progress", spec, "-"), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    h = hashlib.sha256()
    for b in iter(lambda: p.stdout.read(1 << 20), b""):
        h.update(b)
    p.wait()
    if p.returncode != 0:
        raise Refusal(f"rbd export of {spec} failed: {rbd.clean(p.stderr.read().decode())}")
    return h.hexdigest()


def verify(ctx):
    store = ctx.store
    chains = store.chains()
    if not chains:
        raise Refusal(f"verify failed: no backups under s3://{store.s3.bucket}/{store.prefix}")
    m = store.manifest(chains[-1])
    e = m["backups"][-1]
    backup_id = f"{m['chain']}-{e['n']}"
    rbd, _, _, scratch = into_scratch(ctx, backup_id)
    try:
        restored = export_hash(rbd, f"{scratch}@{e['snapshot']}")
        original = export_hash(rbd, f"{m['image']}@{e['snapshot']}")
    finally:
        remove_image(rbd, scratch)
    if restored != original:
        raise Refusal(f"verify failed: backup {backup_id} restores to content other than {m['image']}@{e['snapshot']}")
    say(f"verify passed: backup {backup_id} restores to {m['image']}@{e['snapshot']} byte for byte (sha256 {restored[:16]})")


# ---------------------------------------------------------------- settings and main
def load_config(path):
    if path is None:
        # The CLIs send the program on standard input with its settings on the line before.
        if "STDIN_SETTINGS" not in globals():
            raise Refusal("no settings: give --config FILE, or send them on standard input")
        import base64
        return json.loads(base64.b64decode(globals()["STDIN_SETTINGS"]))
    with open(path) as f:
        cfg = json.load(f)
    for where, name in cfg.pop("secretFiles", {}).items():
        with open(name) as f:
            value = f.read().strip()
        section, _, field = where.rpartition(".")
        (cfg[section] if section else cfg)[field] = value
    if "encryptionKey" in cfg and not cfg["encryptionKey"]:
        del cfg["encryptionKey"]
    return cfg


class Context:
    """One run's settings, private temp dir, bucket and rbd client (made on first use)."""

    def __init__(self, cfg, tmp):
        self.cfg, self.tmp = cfg, tmp
        self._store = self._rbd = None

    @property
    def store(self):
        self._store = self._store or Store(self.cfg)
        return self._store

    @property
    def rbd(self):
        self._rbd = self._rbd or Rbd(self.cfg, self.tmp)
        return self._rbd


def main(argv):
    opts = {"--config": None, "--from-backup": None, "--to": None}
    flags = set()
    step, rest = (argv[0] if argv else ""), argv[1:]
    while rest:
        a = rest.pop(0)
        if a in opts and rest:
            opts[a] = rest.pop(0)
        elif a in ("--yes", "--into-stack"):
            flags.add(a)
        else:
            raise Refusal(f"unknown argument {a}")
    cfg = load_config(opts["--config"])
    with tempfile.TemporaryDirectory(prefix="jenkins-backup.") as tmp:
        os.chmod(tmp, 0o700)
        ctx = Context(cfg, tmp)
        if step == "backup":
            backup(ctx, "--yes" not in flags)
        elif step == "list":
            list_backups(ctx)
        elif step == "restore":
            restore(ctx, opts["--from-backup"], opts["--to"], "--into-stack" in flags, "--yes" not in flags)
        elif step == "verify":
            verify(ctx)
        else:
            raise Refusal(f"unknown step '{step}' (expected backup, list, restore or verify)")


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except Refusal as e:
        print(str(e), file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as e:  # one sentence, never a trace (the details follow it)
        print(f"the backup program failed unexpectedly: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
