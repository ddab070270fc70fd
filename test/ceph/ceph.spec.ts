// The suites against a real Ceph cluster (mon + memstore OSD on 127.0.0.1): the rbd
// program's image steps (rbd.ts), its snapshot and restore steps (snapshot.ts), and the
// backup program with the cluster's RADOS Gateway as S3 (backup.ts), on one cluster,
// started once and stopped after all three. CI (REQUIRE_CEPH, CI=true) fails instead
// of skipping when Ceph is not installed.
import { CephCluster } from "./cluster";
import "./rbd";
import "./snapshot";
import "./backup";

after(async function () {
    this.timeout(60_000);
    const s = await CephCluster.stopShared();
    if (s !== undefined) console.log(`    ceph: cluster stop ${s.toFixed(1)}s`);
});
