// Names and ports of the 2018 hand-made installation, kept so existing clusters,
// Services and runbooks still match.
export const APP_LABEL = { app: "jenkins" } as const;
/** APP_LABEL as a kubectl label selector. */
export const APP_SELECTOR = Object.entries(APP_LABEL)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
export const JENKINS_HOME = "/var/jenkins_home";
export const HTTP_PORT = 8080;
export const AGENT_PORT = 50000;
