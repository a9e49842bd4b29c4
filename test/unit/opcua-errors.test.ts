/** node-opcua's failure messages → DriverErrors that say what to do, and whether retrying helps. */
import { describe, expect, it } from 'vitest';
import { classifyOpcuaError } from '../../drivers/opcua/errors.js';

const CTX = {
  deviceId: 'chiller1',
  endpoint: 'opc.tcp://10.0.0.40:4840',
  username: 'gw',
  pkiDir: '/var/lib/gw/pki',
  securityMode: 'SignAndEncrypt',
  securityPolicy: 'Basic256Sha256',
};

describe('opcua errors', () => {
  it.each([
    ['BadUserAccessDenied (0x801f0000)', 'auth', false, 'opc.tcp://10.0.0.40:4840 refused user "gw" (BadUserAccessDenied)'],
    ['Cannot find ANONYMOUS user token policy in end point description', 'auth', false, 'does not allow anonymous login'],
    ['server Certificate verification failed with err BadCertificateUntrusted (0x801a0000)', 'certificate', false, 'move it from /var/lib/gw/pki/rejected to /var/lib/gw/pki/trusted/certs'],
    ['The connection has been rejected by server: BadSecurityChecksFailed (0x80130000)', 'certificate', false, 'add /var/lib/gw/pki/own/certs/client_certificate.pem'],
    ['Cannot find an Endpoint matching  security mode: 3 policy: http://...', 'config', false, 'offers no endpoint with securityMode SignAndEncrypt and securityPolicy Basic256Sha256'],
    ["Fail to connect to server at opc.tcp://x to collect server's certificate (in findEndpoint) (err =premature disconnection 4)", 'comm', true, 'cannot connect (no answer)'],
    ['The connection cannot be established with server opc.tcp://x .\nErr = (connect ECONNREFUSED 10.0.0.40:4840)', 'comm', true, 'cannot connect (connection refused)'],
    ['Transaction has timed out ( timeout = 5000 ms)', 'timeout', true, 'no answer in time'],
    ['BadTooManySessions (0x80560000)', 'comm', true, 'has no session left'],
    ['socket has been disconnected by third party', 'comm', true, 'opc.tcp://10.0.0.40:4840: socket has been disconnected by third party'],
  ])('%s', (message, reason, retryable, says) => {
    const err = classifyOpcuaError(new Error(message), CTX);
    expect({ reason: err.reason, retryable: err.retryable, deviceId: err.deviceId }).toEqual({ reason, retryable, deviceId: 'chiller1' });
    expect(err.message).toContain(says);
    expect(err.message.startsWith('chiller1: ')).toBe(true);
  });
});
