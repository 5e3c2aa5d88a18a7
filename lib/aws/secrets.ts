import type { SecretFetchers } from '../http/config';

/**
 * The shared secret through Powertools parameters (cached providers). Each is loaded on first use: a deployment
 * that keeps its secret in SSM should not pay for loading the Secrets Manager client at cold start, nor a local
 * run for either.
 */
export const powertoolsSecretFetchers: SecretFetchers = {
  getParameter: (name, options) =>
    (require('@aws-lambda-powertools/parameters/ssm') as typeof import('@aws-lambda-powertools/parameters/ssm')).getParameter(name, options),
  getSecret: (id, options) =>
    (require('@aws-lambda-powertools/parameters/secrets') as typeof import('@aws-lambda-powertools/parameters/secrets')).getSecret(id, options),
};
