// Two instances of the component in one program, as examples/two-teams composes them:
// every name must differ.
import { instanceSettings, JenkinsOnCeph } from "../../components/jenkinsOnCeph";
import { loadStackSettings } from "../../settings";

const s = loadStackSettings();
new JenkinsOnCeph("a", { settings: instanceSettings(s, "a") });
new JenkinsOnCeph("b", { settings: instanceSettings(s, "b") });
