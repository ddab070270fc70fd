// jenkins-ceph: Jenkins on Kubernetes with its home on Ceph RBD.
// The stack's config is validated as a whole before any resource is registered; then
// a change of Jenkins' home is checked against the stack's last run (settings/homeGuard.ts);
// every object it creates is checked not to be another owner's (components/ownership.ts);
// then the stack is composed from it (components/jenkinsOnCeph.ts) and its outputs exported.
import {
    checkedAgainstLastRun,
    composeStack,
    guardStackObjects,
    loadStackSettings,
} from "./settings";

export = checkedAgainstLastRun(loadStackSettings()).then((s) => {
    guardStackObjects(s);
    return composeStack(s);
});
