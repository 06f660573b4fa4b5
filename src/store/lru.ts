/**
 * A map whose iteration order is least-recently-used first, with a weight per entry and a budget
 * for the total weight. Entries are only ever evicted through {@link Lru.trim}, which skips those
 * the caller says must stay (documents with writes in flight).
 */
export class Lru<K, V> {
  private readonly entries = new Map<K, { value: V; weight: number }>();
  private total = 0;
  private weighted = 0;

  constructor(readonly budget: number) {}

  /** The value, marked as most recently used. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** The value, leaving its recency alone. */
  peek(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  /** Adds `value` (most recently used) with weight 0 until {@link Lru.weigh} says otherwise. */
  add(key: K, value: V): void {
    this.delete(key);
    this.entries.set(key, { value, weight: 0 });
  }

  /** Sets the weight of an entry that `value` still owns; ignored for replaced or evicted ones. */
  weigh(key: K, value: V, weight: number): void {
    const entry = this.entries.get(key);
    if (!entry || entry.value !== value) return;
    this.account(entry.weight, -1);
    entry.weight = weight;
    this.account(weight, 1);
  }

  /** Removes the entry if `value` (when given) still owns it. */
  delete(key: K, value?: V): void {
    const entry = this.entries.get(key);
    if (!entry || (value !== undefined && entry.value !== value)) return;
    this.account(entry.weight, -1);
    this.entries.delete(key);
  }

  /** Evicts least-recently-used entries allowed by `canEvict` until the total fits the budget. */
  trim(canEvict: (value: V) => boolean): void {
    if (this.total <= this.budget) return;
    for (const [key, entry] of this.entries) {
      if (this.total <= this.budget) return;
      if (entry.weight > 0 && canEvict(entry.value)) this.delete(key);
    }
  }

  /** Total weight of all entries. */
  get weight(): number {
    return this.total;
  }

  /** Number of entries that have a weight (loaded documents). */
  get weightedCount(): number {
    return this.weighted;
  }

  values(): IterableIterator<V> {
    return [...this.entries.values()].map((e) => e.value).values();
  }

  private account(weight: number, sign: 1 | -1): void {
    this.total += sign * weight;
    if (weight > 0) this.weighted += sign;
  }
}
