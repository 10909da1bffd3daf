// The service worker's entry (runs in the worker): it only wires the events; the logic is in worker/.
import { onMessage } from './worker/inbox.ts'
import { wireKillSwitch } from './worker/kill.ts'
import { holdOn, onActivate, onInstall } from './worker/lifecycle.ts'
import { onFetch } from './worker/route.ts'
import { config, scope } from './worker/scope.ts'

if (config.killSwitch) {
  wireKillSwitch()
} else {
  scope.addEventListener('install', onInstall)
  scope.addEventListener('activate', onActivate)
  scope.addEventListener('fetch', holdOn)
  scope.addEventListener('message', holdOn)
  scope.addEventListener('fetch', onFetch)
  scope.addEventListener('message', onMessage)
}
