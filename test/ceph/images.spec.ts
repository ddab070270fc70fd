// The rbd program against a real Ceph cluster (mon + memstore OSD on 127.0.0.1): its image
// steps (rbd.ts) and its snapshot and restore steps (snapshot.ts), on one cluster started
// once for this file. backups.spec.ts runs beside it in the other mocha worker, on a
// cluster of its own. CI (REQUIRE_CEPH, CI=true) fails instead of skipping when Ceph is
// not installed.
import { stopSharedClusterAfterAll } from "./cluster";
import "./rbd";
import "./snapshot";

stopSharedClusterAfterAll();
