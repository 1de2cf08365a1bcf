/**
 * Licence identifiers. A listing names its licence by SPDX short identifier (the list shipped by
 * the `spdx-license-ids` package, current and deprecated ids), or `unspecified` when the
 * publisher states none, as Ocean's "No License Specified" and Hugging Face's `other`.
 */
import { createRequire } from 'node:module'
import { UnknownLicenseError } from './errors.ts'

const require = createRequire(import.meta.url)
const current: string[] = require('spdx-license-ids')
const deprecated: string[] = require('spdx-license-ids/deprecated.json')

/** The explicit "no licence stated" value. */
export const UNSPECIFIED_LICENSE = 'unspecified'

const canonical = new Map<string, string>()
for (const id of [...deprecated, ...current]) canonical.set(id.toLowerCase(), id)
canonical.set(UNSPECIFIED_LICENSE, UNSPECIFIED_LICENSE)

/** Whether `id` is exactly (case included) a known SPDX identifier or `unspecified`. */
export function isKnownLicense (id: string): boolean {
  return canonical.get(id.toLowerCase()) === id
}

/**
 * The canonical spelling of a licence id given in any case (`apache-2.0` → `Apache-2.0`).
 * SPDX ids match case-insensitively; listings store the canonical case so that one licence has
 * one encoding. Throws `UnknownLicenseError` for an id that is not on the list.
 */
export function normalizeLicense (id: string): string {
  if (typeof id !== 'string') throw new TypeError('licence must be a string')
  const found = canonical.get(id.trim().toLowerCase())
  if (found == null) {
    throw new UnknownLicenseError(`"${id}" is not an SPDX licence identifier; use "${UNSPECIFIED_LICENSE}" if none applies`)
  }
  return found
}
