// How the rbd program's messages name its settings when a stack runs it: by their config
// keys ("jenkins-ceph:volume.size"), the words the stack's user set them with. The
// components speak of their own fields unless handed these (rbdScript.ts, RbdWords).
import { RbdWords, SETTINGS_WORDS } from "../components/rbd/rbdScript";

export function configKeyWords(project: string): RbdWords {
    return Object.fromEntries(
        Object.entries(SETTINGS_WORDS).map(([k, path]) => [k, `${project}:${path}`]),
    ) as unknown as RbdWords;
}
