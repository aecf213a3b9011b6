/** Cookie names and flags: `__Host-` and Secure whenever Haven is not plain HTTP on loopback. */
export interface CookiePolicy {
  session: string;
  device: string;
  secure: boolean;
}

export function cookiePolicy(secure: boolean): CookiePolicy {
  return secure
    ? { session: '__Host-haven_session', device: '__Host-haven_device', secure: true }
    : { session: 'haven_session', device: 'haven_device', secure: false };
}
