package earshot.quota;

import io.vertx.core.Future;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * Counters in this process's memory, with the same per-holder expiry as {@link RedisCounters}: each holder carries
 * an expiry time from the injected {@link Clock}, and expired holders are dropped whenever their counter is touched.
 * Counts are this process's only; a cluster shares counts through Redis.
 *
 * <p>Threading: every method is a short critical section on this object (no I/O), so it may be called from any
 * thread; the returned futures are already complete.
 */
public final class LocalCounters implements ActiveCounters {
  public static final String BACKEND = "local";

  private final Clock clock;
  private final long ttlMs;
  /** Per counter: holder → expiry in epoch ms. Empty counters are removed. */
  private final Map<CounterKey, Map<String, Long>> counters = new HashMap<>();

  public LocalCounters(Clock clock, Duration ttl) {
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl must be positive: " + ttl);
    }
    this.clock = clock;
    this.ttlMs = ttl.toMillis();
  }

  @Override
  public synchronized Future<Boolean> tryHold(CounterKind kind, String owner, String holder, int limit) {
    long now = clock.millis();
    Map<String, Long> holders = live(new CounterKey(kind, owner), now);
    boolean granted = holders.containsKey(holder) || holders.size() < limit;
    if (granted) {
      holders.put(holder, now + ttlMs);
    }
    dropIfEmpty(new CounterKey(kind, owner));
    return Future.succeededFuture(granted);
  }

  @Override
  public synchronized Future<Void> release(CounterKind kind, String owner, String holder) {
    CounterKey key = new CounterKey(kind, owner);
    Map<String, Long> holders = counters.get(key);
    if (holders != null) {
      holders.remove(holder);
      dropIfEmpty(key);
    }
    return Future.succeededFuture();
  }

  @Override
  public synchronized Future<Void> refresh(CounterKind kind, String owner, Collection<String> holders) {
    stamp(new CounterKey(kind, owner), holders, clock.millis());
    return Future.succeededFuture();
  }

  @Override
  public synchronized Future<Integer> count(CounterKind kind, String owner) {
    CounterKey key = new CounterKey(kind, owner);
    int n = live(key, clock.millis()).size();
    dropIfEmpty(key);
    return Future.succeededFuture(n);
  }

  /**
   * Replaces every counter with exactly these holders, freshly stamped: what this process holds when it takes over
   * counting from Redis.
   */
  public synchronized void reset(Map<CounterKey, ? extends Collection<String>> holders) {
    counters.clear();
    long now = clock.millis();
    holders.forEach((key, names) -> stamp(key, names, now));
  }

  @Override
  public String backend() {
    return BACKEND;
  }

  @Override
  public synchronized Future<Void> close() {
    counters.clear();
    return Future.succeededFuture();
  }

  private void stamp(CounterKey key, Collection<String> holders, long now) {
    if (holders.isEmpty()) {
      return;
    }
    Map<String, Long> live = live(key, now);
    holders.forEach(h -> live.put(h, now + ttlMs));
  }

  /** The counter's holders with the expired ones dropped; created when missing. */
  private Map<String, Long> live(CounterKey key, long now) {
    Map<String, Long> holders = counters.computeIfAbsent(key, k -> new HashMap<>());
    holders.values().removeIf(expiry -> expiry <= now);
    return holders;
  }

  private void dropIfEmpty(CounterKey key) {
    Map<String, Long> holders = counters.get(key);
    if (holders != null && holders.isEmpty()) {
      counters.remove(key);
    }
  }
}
