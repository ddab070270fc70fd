// jenkins-ceph: Jenkins on Kubernetes with its home on Ceph RBD.
// The stack's config is validated as a whole before any resource is registered; then
// a change of Jenkins' home is checked against the stack's last run (settings/homeGuard.ts);
// every object it creates is checked not to be another owner's (components/cluster/ownership.ts);
// then one JenkinsOnCeph (components/jenkinsOnCeph.ts) is made, and its outputs exported.
import { JenkinsOnCeph } from "./components/jenkinsOnCeph";
import { checkedAgainstLastRun, guardStackObjects, loadStackSettings } from "./settings";
import { configKeyWords } from "./settings/words";

export = checkedAgainstLastRun(loadStackSettings()).then((settings) => {
    guardStackObjects(settings);
    const words = configKeyWords(settings.project);
    return new JenkinsOnCeph("jenkins", { settings, childPrefix: "", words }).outputs;
});
