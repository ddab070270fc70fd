// The backup program against a real Ceph cluster and its RADOS Gateway as S3 (backup.ts),
// on a cluster of its own, beside images.spec.ts in the other mocha worker. CI
// (REQUIRE_CEPH, CI=true) fails instead of skipping when Ceph is not installed.
import { stopSharedClusterAfterAll } from "./cluster";
import "./backup";

stopSharedClusterAfterAll();
