package earshot.quota;

import io.vertx.core.Future;
import java.util.Collection;

/**
 * Per-owner counters of what runs at once. A counter holds named holders (a job's or stream's id), each with an
 * expiry: a holder that is neither refreshed nor released disappears after the TTL, so a crashed process's counts
 * heal themselves. Holding is idempotent: an already-held holder is granted again and re-stamped, never counted twice.
 *
 * <p>Implementations: {@link LocalCounters} (in-process), {@link RedisCounters} (shared by every node using one Redis)
 * and {@link FailoverCounters} (Redis, falling back to in-process while Redis is unreachable).
 */
public interface ActiveCounters {

  /**
   * Grants {@code holder} a place in the owner's counter when it already holds one or fewer than {@code limit} other
   * live holders do; check and increment are one atomic step.
   */
  Future<Boolean> tryHold(CounterKind kind, String owner, String holder, int limit);

  /** Frees the holder's place; releasing a holder that holds nothing succeeds. */
  Future<Void> release(CounterKind kind, String owner, String holder);

  /**
   * Re-stamps the TTL of these holders, re-adding any that went missing (expired, or lost with a restarted Redis)
   * without looking at the limit: they were granted once and are still running.
   */
  Future<Void> refresh(CounterKind kind, String owner, Collection<String> holders);

  /** Live holders of the owner's counter. */
  Future<Integer> count(CounterKind kind, String owner);

  /** Where the counts live now: {@code redis} or {@code local}. */
  String backend();

  Future<Void> close();
}
