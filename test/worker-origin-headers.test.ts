// The security headers the origin sends with one file only (an nginx `location` block, undeclared at build time) stay
// on the worker's answer made of that file's bytes from the origin, for a byte range too, over what the build
// declared (docs/security.md). In Node, with the worker's scope faked; no page is open, so the origin answers at once.
import { ORIGIN, build, deploy, origin } from './helpers/worker-scope.ts'
import { createHash } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { lookup } from '../runtime/worker/site.ts'
import { answerFile } from '../runtime/worker/sources.ts'

const bytes = new TextEncoder().encode('<!doctype html><title>Admin</title>'.repeat(200))
const b = build('headers', { 'admin/index.html': 'admin', 'index.html': 'home' })
const entry = b.part.files.find(f => f.path === 'admin/index.html')!
entry.size = bytes.length
entry.sha256 = createHash('sha256').update(bytes).digest('hex')
// Declared at build time for every file: the origin's own header for this file must win over it.
b.part.headers = [{ 'x-frame-options': 'SAMEORIGIN', 'referrer-policy': 'no-referrer' }]
entry.headers = 0
deploy(b)
// The worker asks the origin for the URL the page asked for (its folder URL), as the HTTP cache has it.
origin.files.set('admin/', bytes)
origin.headers.set('admin/', { 'X-Frame-Options': 'DENY', 'Content-Security-Policy': "frame-ancestors 'none'", 'Cache-Control': 'no-store' })

async function answer (headers: Record<string, string> = {}): Promise<Response> {
  const found = await lookup('admin/index.html', b.manifest)
  assert.ok(found, 'the file is in the build')
  return answerFile({ found: found!, request: new Request(`${ORIGIN}/admin/`, { headers }), requester: '', waitUntil: () => {} })
}

const test = suite('an answer from the origin keeps the headers the origin sent with the file')

test('a whole file: the origin\'s X-Frame-Options over the declared one, its CSP, the declared Referrer-Policy, no Cache-Control', async () => {
  const res = await answer()
  assert.is(res.status, 200)
  assert.is(res.headers.get('X-Planktos-Source'), 'origin')
  assert.is(res.headers.get('x-frame-options'), 'DENY')
  assert.is(res.headers.get('content-security-policy'), "frame-ancestors 'none'")
  assert.is(res.headers.get('referrer-policy'), 'no-referrer')
  assert.is(res.headers.get('cache-control'), null, 'only security headers are carried over')
  assert.equal(new Uint8Array(await res.arrayBuffer()), bytes)
})

test('a byte range of it, answered from the origin\'s bytes, keeps them too', async () => {
  const res = await answer({ Range: 'bytes=10-19' })
  assert.is(res.status, 206)
  assert.is(res.headers.get('x-frame-options'), 'DENY')
  assert.is(res.headers.get('content-security-policy'), "frame-ancestors 'none'")
  assert.equal(new Uint8Array(await res.arrayBuffer()), bytes.subarray(10, 20))
})

test.run()
