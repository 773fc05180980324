// Package managedlogin serves Cognito managed login for a user pool that has none of its
// own: moto's. It is what https://PREFIX.auth.REGION.amazoncognito.com is on AWS, for
// the pool's app clients that use OAuth, on an origin (a port) of its own:
//
//   - /.well-known/openid-configuration and /.well-known/jwks.json;
//   - /oauth2/authorize: the authorization code flow with PKCE (S256), with plain
//     sign-in pages: e-mail and password, a new password for an invited user (who signs
//     in first with the temporary password), then the user's authenticator (TOTP),
//     set up at the first sign-in;
//   - /oauth2/token: the code exchange (PKCE verified) and refresh tokens;
//   - /oauth2/userInfo and /logout.
//
// Users, passwords, groups and tokens stay moto's: a password is checked with
// AdminInitiateAuth (ADMIN_USER_PASSWORD_AUTH), a new one set with
// RespondToAuthChallenge (NEW_PASSWORD_REQUIRED), and the tokens handed out are the ones
// moto issued, so an API's JWT authorizer sees what it sees for any other sign-in. moto
// does no MFA, so the TOTP secrets live here, in memory.
//
// Where Cognito is lenient the emulation is strict, so that a client that works here
// works there: a public client must use PKCE with S256, and the token endpoint answers
// CORS only for the origins of the clients' callback and sign-out URLs. What it does
// not do: other identity providers, the implicit and client credentials flows, a nonce
// in the ID token (moto's tokens carry none), and token revocation.
package managedlogin
