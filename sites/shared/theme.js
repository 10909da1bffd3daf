// A light/dark switch that remembers the reader's choice.
const KEY = 'harbour-theme'
const root = document.documentElement
const button = document.querySelector('.theme-toggle')

function apply (theme) {
  root.dataset.theme = theme
  button?.setAttribute('aria-pressed', String(theme === 'dark'))
  if (button) button.textContent = theme === 'dark' ? 'Light' : 'Dark'
}

apply(localStorage.getItem(KEY) ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'))
button?.addEventListener('click', () => {
  const next = root.dataset.theme === 'dark' ? 'light' : 'dark'
  localStorage.setItem(KEY, next)
  apply(next)
})
