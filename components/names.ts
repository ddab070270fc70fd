// Names the seed used, kept so existing clusters and runbooks still match.
export const SECRET_NAMES = { user: "ceph-secret-user", admin: "ceph-secret-admin" } as const;
export const IN_TREE_RBD_PROVISIONER = "kubernetes.io/rbd";
export const APP_LABEL = { app: "jenkins" } as const;
export const JENKINS_HOME = "/var/jenkins_home";
export const HTTP_PORT = 8080;
export const AGENT_PORT = 50000;
