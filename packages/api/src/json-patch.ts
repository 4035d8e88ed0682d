// JSON patch (RFC 6902), what `kubectl patch --type json` sends as application/json-patch+json: a list
// of add/remove/replace/move/copy/test operations on JSON pointers. fast-json-patch applies them (the
// RFC's pointer escaping, array index rules and `test` equality are easy to get subtly wrong by hand);
// this file turns its failures into errors naming the operation and its path.
import { applyPatch, JsonPatchError, type Operation } from 'fast-json-patch';
import type { Json } from './merge-patch';
import { badRequest } from './status';
import { PatchError } from './strategic-merge-patch';

const OPS = ['add', 'remove', 'replace', 'move', 'copy', 'test'];

/** Checks the shape of a JSON patch body (400 when it is not one): a list of operations. */
export function parseJsonPatch(body: unknown): Operation[] {
  if (!Array.isArray(body)) throw badRequest('a JSON patch (application/json-patch+json) must be a list of operations');
  body.forEach((op, i) => {
    if (typeof op !== 'object' || op === null || Array.isArray(op)) throw badRequest(`JSON patch operation [${i}] must be an object`);
    const { op: name, path } = op as Record<string, unknown>;
    if (typeof name !== 'string' || !OPS.includes(name)) throw badRequest(`JSON patch operation [${i}]: op must be one of ${OPS.join(', ')}, got ${JSON.stringify(name)}`);
    if (typeof path !== 'string') throw badRequest(`JSON patch operation [${i}] (${name}): path must be a string`);
  });
  return body as Operation[];
}

/** `target` with the operations applied (not modified); a failing operation is a PatchError naming its path. */
export function applyJsonPatch(target: Record<string, unknown>, ops: Operation[]): Record<string, unknown> {
  try {
    return applyPatch(target as Json, ops, true, false, true).newDocument as Record<string, unknown>;
  } catch (e) {
    if (!(e instanceof JsonPatchError)) throw e;
    const op = ops[e.index ?? 0];
    throw new PatchError(op?.path ?? '<root>', `JSON patch operation [${e.index ?? 0}] (${op?.op}) failed: ${describe(e.name)}`);
  }
}

function describe(name: string): string {
  switch (name) {
    case 'OPERATION_PATH_UNRESOLVABLE':
      return 'the path does not exist';
    case 'OPERATION_FROM_UNRESOLVABLE':
      return 'the from path does not exist';
    case 'TEST_OPERATION_FAILED':
      return 'the value is not the one tested';
    case 'OPERATION_VALUE_REQUIRED':
      return 'the operation needs a value';
    case 'OPERATION_PATH_ILLEGAL_ARRAY_INDEX':
    case 'OPERATION_VALUE_OUT_OF_BOUNDS':
      return 'the array index is not valid here';
    default:
      return name.toLowerCase().replace(/_/g, ' ');
  }
}
