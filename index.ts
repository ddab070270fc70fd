// jenkins-ceph: Jenkins on Kubernetes with its home on Ceph RBD.
// The stack's config is validated as a whole before any resource is registered; then
// a change of Jenkins' home is checked against the stack's last run (settings/homeGuard.ts);
// every object it creates is checked not to be another owner's (components/cluster/ownership.ts);
// then one JenkinsOnCeph (components/jenkinsOnCeph.ts) is made, and its outputs exported once
// a preview's read of Ceph (settings/cephAtPreview.ts) has said what rbd will do.
import { JenkinsOnCeph } from "./components/jenkinsOnCeph";
import { checkedAgainstLastRun, guardStackObjects, loadStackSettings } from "./settings";
import { configKeyWords } from "./settings/words";

export = checkedAgainstLastRun(loadStackSettings()).then(async ({ settings, cephVerdict }) => {
    guardStackObjects(settings);
    const words = configKeyWords(settings.project);
    const { outputs } = new JenkinsOnCeph("jenkins", { settings, childPrefix: "", words });
    // At preview: what rbd will do, read from Ceph meanwhile; a change up would refuse fails here.
    await cephVerdict;
    return outputs;
});
