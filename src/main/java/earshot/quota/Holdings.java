package earshot.quota;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The holders this process was granted and has not released: what it refreshes every TTL/3, what it reports as its
 * node's active counts, and what it re-seeds a counter backend with when {@link FailoverCounters} switches sides.
 * {@link #version()} changes with every add or remove, so a re-seed can tell whether it copied a stale view.
 *
 * <p>Threading: every method is a short critical section on this object.
 */
public final class Holdings {
  private final Map<CounterKey, Set<String>> held = new HashMap<>();
  private long version;

  public synchronized void add(CounterKey key, String holder) {
    if (held.computeIfAbsent(key, k -> new HashSet<>()).add(holder)) {
      version++;
    }
  }

  public synchronized void remove(CounterKey key, String holder) {
    Set<String> holders = held.get(key);
    if (holders != null && holders.remove(holder)) {
      version++;
      if (holders.isEmpty()) {
        held.remove(key);
      }
    }
  }

  /** How many holders of this counter this process holds. */
  public synchronized int count(CounterKey key) {
    Set<String> holders = held.get(key);
    return holders == null ? 0 : holders.size();
  }

  /** A copy: counter → its holders. */
  public synchronized Map<CounterKey, List<String>> snapshot() {
    Map<CounterKey, List<String>> copy = new HashMap<>();
    held.forEach((key, holders) -> copy.put(key, List.copyOf(holders)));
    return copy;
  }

  public synchronized long version() {
    return version;
  }
}
