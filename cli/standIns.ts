// Well-formed stand-ins for keys a stack file does not hold (render, bench): the right
// shape so validation passes; they are never written anywhere.
export const STAND_IN_CEPH_KEY = "AQAAAAAAAAAAABAAAAAAAAAAAAAAAAAAAAAAAA==";
export const STAND_IN_SSH_KEY =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nstand-in\n-----END OPENSSH PRIVATE KEY-----";
export const STAND_IN_PASSWORD = "stand-in-admin-password";
