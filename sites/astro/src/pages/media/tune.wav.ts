// The audio file is made by code when the site is built, so the repository carries no binary media.
import { tuneWav } from '../../../../shared/make-media.ts'

export function GET (): Response {
  return new Response(tuneWav(), { headers: { 'Content-Type': 'audio/wav' } })
}
