// The IndexedDB database name of a site's store, apart from the store itself so the kill switch's page script can
// delete the database without bundling the store.

/** Database name: one per site base, so two planktos sites on one origin keep apart. */
export function dbName (base: string): string {
  return `planktos:${base}`
}
