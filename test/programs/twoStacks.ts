// Two stacks composed in one program, as the scale bench does: every name must differ.
import { composeStack, loadStackSettings } from "../../stacks";

const s = loadStackSettings();
composeStack(s, "a-");
composeStack(
    {
        ...s,
        jenkins: { ...s.jenkins, namespace: "ci-b" },
        ceph: { ...s.ceph, storageClassName: "ceph-b" },
    },
    "b-",
);
