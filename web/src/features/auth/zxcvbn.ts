/**
 * zxcvbn-ts and its dictionaries. Only ever imported dynamically (see
 * passwordStrength.ts) so that this large chunk stays out of the main bundle.
 */
import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import { adjacencyGraphs, dictionary } from "@zxcvbn-ts/language-common";

export function createZxcvbn(): ZxcvbnFactory {
  return new ZxcvbnFactory({ dictionary: { ...dictionary }, graphs: adjacencyGraphs });
}
