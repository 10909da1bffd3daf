// @ts-check
import { defineConfig } from 'astro/config'
import planktos from 'planktos-web/astro'

export default defineConfig({
  // Stylesheet and script as files of their own rather than inlined, so the example shows them travelling between peers.
  build: { inlineStylesheets: 'never' },
  vite: { build: { assetsInlineLimit: 0 } },
  integrations: [
    planktos({
      // Unset, planktos uses public trackers and a public STUN server. The demo and the tests point the
      // site at a local tracker (PLANKTOS_ANNOUNCE=ws://127.0.0.1:8000) with no ICE servers (PLANKTOS_ICE=none).
      announce: process.env.PLANKTOS_ANNOUNCE ? [process.env.PLANKTOS_ANNOUNCE] : undefined,
      rtcConfig: process.env.PLANKTOS_ICE === 'none' ? { iceServers: [] } : undefined
    })
  ]
})
