// Two teams' Jenkins controllers side by side in one stack: one JenkinsOnCeph each, from
// the same validated settings under each team's names (namespace ci-infra-web, class
// ceph-web, ...). Run it as a Pulumi program of its own: copy this folder, point `main`
// of its Pulumi.yaml here, and give it a stack file like ../../Pulumi.dev.yaml.
// test/examples.spec.ts renders it.
import { instanceSettings, JenkinsOnCeph } from "../../components/jenkinsOnCeph";
import { loadStackSettings } from "../../settings";

const base = loadStackSettings();
const teams = ["web", "data"].map(
    (team) => new JenkinsOnCeph(team, { settings: instanceSettings(base, team) }),
);

export const urls = Object.fromEntries(teams.map((t, i) => [["web", "data"][i], t.outputs.url]));
export const namespaces = teams.map((t) => t.outputs.namespace);
