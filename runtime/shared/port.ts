// Reading replies from a MessagePort one at a time, each with a deadline: a tab that closes mid-exchange
// simply stops answering, and nothing else would ever tell the other side.
import { isMessage, type Message } from './messages.ts'

export class PortReader {
  readonly port: MessagePort
  /** False once closed: reads end at once. */
  open = true
  #queue: Message[] = []
  #waiter: ((m: Message | undefined) => void) | undefined

  constructor (port: MessagePort) {
    this.port = port
    // Assigning onmessage starts the port; messages are queued so none is lost between two reads.
    port.onmessage = (event) => {
      if (!isMessage(event.data)) return
      if (this.#waiter) this.#waiter(event.data)
      else this.#queue.push(event.data)
    }
  }

  /** The next message, or undefined when none arrives within `ms`. */
  next (ms: number): Promise<Message | undefined> {
    const queued = this.#queue.shift()
    if (queued) return Promise.resolve(queued)
    if (!this.open) return Promise.resolve(undefined)
    return new Promise(resolve => {
      const timer = setTimeout(() => done(undefined), ms)
      const done = (m: Message | undefined): void => {
        clearTimeout(timer)
        this.#waiter = undefined
        resolve(m)
      }
      this.#waiter = done
    })
  }

  post (message: Message, transfer: Transferable[] = []): void {
    this.port.postMessage(message, transfer)
  }

  close (): void {
    this.open = false
    this.#waiter?.(undefined)
    this.port.onmessage = null
    this.port.close()
  }
}
