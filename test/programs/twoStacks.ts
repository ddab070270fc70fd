// Two stacks composed in one program, as the scale bench does: every name must differ.
import { composeStack, loadStackSettings } from "../../settings";
import { instanceSettings } from "../../components/jenkinsOnCeph";

const s = loadStackSettings();
composeStack(s, "a-");
composeStack(instanceSettings(s, "b"), "b-");
