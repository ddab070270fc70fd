// jenkins-ceph: Jenkins on Kubernetes with its home on Ceph RBD.
// The stack's config is validated as a whole before any resource is registered; then
// the stack is composed from it (stacks/compose.ts) and its outputs exported.
import { composeStack, loadStackSettings } from "./stacks";

export = composeStack(loadStackSettings());
