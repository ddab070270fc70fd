// Two stacks composed in one program, as the scale bench does: every name must differ.
import { composeStack, loadStackSettings } from "../../stacks";
import { instanceSettings } from "../../stacks/compose";

const s = loadStackSettings();
composeStack(s, "a-");
composeStack(instanceSettings(s, "b"), "b-");
